//! Readiness: poll/ppoll/select/pselect6, epoll, eventfd, and ioctl on descriptors.
//!
//! One readiness check serves all of them: nodes the library OS serves report readiness
//! themselves; host-backed stream nodes (stdio) are asked through the platform's host poll.
//! Waiting is on the kernel-wide readiness epoch, or on the host poll when host streams are
//! in the set.

use crate::errno::{SysError, SysResult};
use crate::fs_calls::o;
use crate::{Kernel, LinuxPlatform, Thread};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use meridian_abi::Errno;
use meridian_abi::layout::{Fields, Timespec, get_u32, get_u64};
use meridian_core::Error;
use meridian_core::file::OpenFile;
use meridian_core::fs::{FileType, Metadata, Node, NodeRef};
use meridian_core::platform::{HostFd, Readiness, TermQuery, WaitOutcome};
use meridian_core::time::{ClockKind, Nanos};
use spin::Mutex;

const POLLIN: u16 = 0x1;
const POLLPRI: u16 = 0x2;
const POLLOUT: u16 = 0x4;
const POLLERR: u16 = 0x8;
const POLLHUP: u16 = 0x10;
const POLLNVAL: u16 = 0x20;
const POLLRDNORM: u16 = 0x40;
const POLLWRNORM: u16 = 0x100;
const POLLRDHUP: u16 = 0x2000;
/// Longest slice a host poll blocks before re-checking in-kernel objects and signals.
const HOST_POLL_SLICE_NS: u64 = 50_000_000;

/// poll(2) timeout in milliseconds → optional duration (negative: forever).
pub fn timeout_ms(ms: u64) -> Option<Nanos> {
    let v = ms as i32;
    if v < 0 {
        None
    } else {
        Some(Nanos(u64::from(v as u32) * 1_000_000))
    }
}

fn host_stream(f: &OpenFile) -> Option<HostFd> {
    f.node.host_fd().filter(|_| !f.node.seekable())
}

fn mask_of(r: Readiness, events: u16) -> u16 {
    let mut m = 0;
    if r.readable {
        m |= POLLIN | POLLRDNORM;
    }
    if r.writable {
        m |= POLLOUT | POLLWRNORM;
    }
    (m & (events | POLLERR | POLLHUP))
        | if r.hangup { POLLHUP } else { 0 }
        | if r.error { POLLERR } else { 0 }
}

/// `POLLRDHUP` (reported only when asked for): a socket's peer will send nothing more
/// (af_unix.c `unix_poll`).
fn rdhup_of(node: &NodeRef, events: u16) -> u16 {
    match node
        .as_any()
        .downcast_ref::<meridian_core::unix::UnixSocket>()
    {
        Some(s) if events & POLLRDHUP != 0 && s.read_hangup() => POLLRDHUP,
        _ => 0,
    }
}

/// One polled descriptor.
#[derive(Clone, Copy, Debug)]
struct Item {
    fd: i32,
    events: u16,
    /// What the caller is told (`full` less `suppress`).
    revents: u16,
    /// Readiness as it is now.
    full: u16,
    /// Bits not to report (edge-triggered epoll: already reported and still set).
    suppress: u16,
}

impl Item {
    fn new(fd: i32, events: u16) -> Self {
        Item {
            fd,
            events,
            revents: 0,
            full: 0,
            suppress: 0,
        }
    }
    /// Record readiness `mask`; true if something is reported.
    fn set(&mut self, mask: u16) -> bool {
        self.full = mask;
        self.revents = mask & !self.suppress;
        self.revents != 0
    }
}

/// An eventfd (eventfd(2)).
pub struct EventFd {
    count: Mutex<u64>,
    semaphore: bool,
    /// Reads and writes so far (edges for edge-triggered epoll).
    changes: core::sync::atomic::AtomicU64,
}

impl Node for EventFd {
    fn metadata(&self) -> meridian_core::error::Result<Metadata> {
        Ok(Metadata {
            mode: 0o600,
            nlink: 1,
            ..Metadata::default()
        })
    }
    fn file_type(&self) -> FileType {
        FileType::CharDevice
    }
    fn read_at(&self, _pos: u64, buf: &mut [u8]) -> meridian_core::error::Result<usize> {
        if buf.len() < 8 {
            return Err(Error::Invalid);
        }
        let mut c = self.count.lock();
        if *c == 0 {
            return Err(Error::WouldBlock);
        }
        let v = if self.semaphore { 1 } else { *c };
        *c -= v;
        self.changes
            .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        buf[..8].copy_from_slice(&v.to_le_bytes());
        Ok(8)
    }
    /// fs/eventfd.c `eventfd_write`: exactly one 8-byte word, as current Linux checks it
    /// (older kernels took the first word of a longer write; 6.18 refuses it).
    fn write_at(&self, _pos: u64, data: &[u8]) -> meridian_core::error::Result<usize> {
        if data.len() != 8 {
            return Err(Error::Invalid);
        }
        let v = get_u64(data, 0);
        if v == u64::MAX {
            return Err(Error::Invalid);
        }
        let mut c = self.count.lock();
        if u64::MAX - 1 - *c < v {
            return Err(Error::WouldBlock);
        }
        *c += v;
        self.changes
            .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        Ok(8)
    }
    fn open(self: Arc<Self>, _write: bool) -> meridian_core::error::Result<NodeRef> {
        Ok(self)
    }
    fn readiness(&self) -> Readiness {
        let c = *self.count.lock();
        Readiness {
            readable: c > 0,
            writable: c < u64::MAX - 1,
            hangup: false,
            error: false,
        }
    }
    fn change_count(&self) -> u64 {
        self.changes.load(core::sync::atomic::Ordering::Relaxed)
    }
    fn seekable(&self) -> bool {
        false
    }
    /// eventfd_fops has `.write` only: writev writes each segment, sendfile cannot splice.
    fn takes_vectored_writes(&self) -> bool {
        false
    }
    fn anon_name(&self) -> Option<Vec<u8>> {
        Some(b"anon_inode:[eventfd]".to_vec())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `EPOLLET`.
const EPOLLET: u32 = 1 << 31;
/// `EPOLLONESHOT`.
const EPOLLONESHOT: u32 = 1 << 30;

/// One registered descriptor of an epoll instance.
#[derive(Clone, Copy, Debug)]
struct Interest {
    events: u32,
    data: u64,
    /// Edge-triggered: readiness bits already reported and still set.
    reported: u16,
    /// One-shot and already reported: silent until EPOLL_CTL_MOD.
    disarmed: bool,
    /// The node's change count when last reported: a different count is a new edge.
    seen_changes: u64,
}

/// An epoll instance: its interest list, keyed by descriptor.
pub struct Epoll {
    interest: Mutex<BTreeMap<i32, Interest>>,
}

impl Node for Epoll {
    fn metadata(&self) -> meridian_core::error::Result<Metadata> {
        Ok(Metadata {
            mode: 0o600,
            nlink: 1,
            ..Metadata::default()
        })
    }
    fn file_type(&self) -> FileType {
        FileType::CharDevice
    }
    fn open(self: Arc<Self>, _write: bool) -> meridian_core::error::Result<NodeRef> {
        Ok(self)
    }
    fn seekable(&self) -> bool {
        false
    }
    fn readiness(&self) -> Readiness {
        Readiness::default()
    }
    fn anon_name(&self) -> Option<Vec<u8>> {
        Some(b"anon_inode:[eventpoll]".to_vec())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<P: LinuxPlatform> Kernel<P> {
    /// Compute readiness of `items`, waiting up to `timeout` for at least one.
    fn poll_items(
        &self,
        t: &Thread,
        items: &mut [Item],
        timeout: Option<Nanos>,
    ) -> Result<usize, SysError> {
        let deadline = timeout.map(|d| self.p.now(ClockKind::Monotonic).0.saturating_add(d.0));
        loop {
            let seen = self.epoch.current();
            let mut ready = 0;
            let mut host: Vec<(usize, HostFd)> = Vec::new();
            for (i, it) in items.iter_mut().enumerate() {
                it.set(0);
                if it.fd < 0 {
                    continue;
                }
                let reported = match self.file(it.fd as u64) {
                    Err(_) => it.set(POLLNVAL),
                    Ok(f) => match host_stream(&f) {
                        Some(h) => {
                            host.push((i, h));
                            false
                        }
                        None => {
                            let r = match crate::signalfd::signalfd_of(&f) {
                                Some(s) => self.signalfd_readiness(t, s),
                                None => f.node.readiness(),
                            };
                            it.set(mask_of(r, it.events) | rdhup_of(&f.node, it.events))
                        }
                    },
                };
                if reported {
                    ready += 1;
                }
            }
            let left =
                deadline.map(|d| Nanos(d.saturating_sub(self.p.now(ClockKind::Monotonic).0)));
            let may_wait = ready == 0 && left.is_none_or(|l| l.0 > 0);
            if !host.is_empty() {
                let q: Vec<(HostFd, bool, bool)> = host
                    .iter()
                    .map(|&(i, h)| {
                        let e = items.get(i).map_or(0, |it| it.events);
                        (h, e & (POLLIN | POLLPRI) != 0, e & POLLOUT != 0)
                    })
                    .collect();
                let wait = if may_wait {
                    Some(Nanos(
                        left.map_or(HOST_POLL_SLICE_NS, |l| l.0.min(HOST_POLL_SLICE_NS)),
                    ))
                } else {
                    Some(Nanos(0))
                };
                let res = match self.p.host_poll(&q, wait) {
                    Ok(r) => r,
                    Err(Error::Interrupted) => Vec::new(),
                    Err(e) => return Err(e.into()),
                };
                for ((i, _), r) in host.iter().zip(res) {
                    if let Some(it) = items.get_mut(*i)
                        && it.set(mask_of(r, it.events))
                    {
                        ready += 1;
                    }
                }
            }
            if ready > 0 || !may_wait {
                return Ok(ready);
            }
            if self.signal_pending(t) {
                return Err(Errno::EINTR.into());
            }
            if host.is_empty()
                && self.p.wait(self.epoch.word(), seen, left) == WaitOutcome::Interrupted
                && self.signal_pending(t)
            {
                return Err(Errno::EINTR.into());
            }
        }
    }

    /// poll(2).
    pub fn sys_poll(&self, t: &Thread, fds: u64, n: u64, timeout: Option<Nanos>) -> SysResult {
        if n > self.fds.lock().limit() as u64 {
            return Err(Errno::EINVAL.into());
        }
        let raw = self.read_mem(fds, (n * 8) as usize)?;
        let mut items: Vec<Item> = raw
            .chunks_exact(8)
            .map(|c| Item::new(get_u32(c, 0) as i32, (get_u32(c, 4) & 0xffff) as u16))
            .collect();
        let ready = self.poll_items(t, &mut items, timeout)?;
        let mut out = raw;
        for (c, it) in out.chunks_exact_mut(8).zip(items.iter()) {
            Fields(c).u16(6, it.revents);
        }
        self.write_mem(fds, &out)?;
        Ok(ready as u64)
    }

    /// ppoll(2) (the signal mask argument is applied for the call's duration).
    pub fn sys_ppoll(&self, t: &Thread, fds: u64, n: u64, ts: u64, sigmask: u64) -> SysResult {
        let timeout = if ts == 0 {
            None
        } else {
            Some(Nanos(Timespec::decode(&self.read_mem(ts, 16)?).as_nanos()))
        };
        self.with_mask(t, sigmask, || self.sys_poll(t, fds, n, timeout))
    }

    fn with_mask(&self, t: &Thread, sigmask: u64, f: impl FnOnce() -> SysResult) -> SysResult {
        if sigmask == 0 {
            return f();
        }
        let m = self.read_u64(sigmask)?;
        let old = t.sigmask.swap(
            m & !meridian_abi::signal::UNBLOCKABLE,
            core::sync::atomic::Ordering::AcqRel,
        );
        let r = f();
        if r == Err(SysError(Errno::EINTR)) {
            t.saved_mask
                .store(old, core::sync::atomic::Ordering::Release);
            t.has_saved_mask
                .store(true, core::sync::atomic::Ordering::Release);
        } else {
            t.sigmask.store(old, core::sync::atomic::Ordering::Release);
        }
        r
    }

    /// select(2) / pselect6(2) core. `ts_is_timespec`: pselect's timespec vs select's timeval.
    pub fn sys_select(
        &self,
        t: &Thread,
        nfds: u64,
        rd: u64,
        wr: u64,
        ex: u64,
        tmo: u64,
        ts_is_timespec: bool,
    ) -> SysResult {
        const FD_SETSIZE: u64 = 1024;
        if nfds > FD_SETSIZE {
            return Err(Errno::EINVAL.into());
        }
        let bytes = (nfds.div_ceil(64) * 8) as usize;
        let load = |p: u64| -> Result<Vec<u8>, SysError> {
            if p == 0 {
                Ok(alloc::vec![0u8; bytes])
            } else {
                self.read_mem(p, bytes)
            }
        };
        let (r, w, e) = (load(rd)?, load(wr)?, load(ex)?);
        let bit = |s: &[u8], i: usize| s.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0);
        let mut items = Vec::new();
        for i in 0..nfds as usize {
            let ev = (if bit(&r, i) { POLLIN } else { 0 })
                | (if bit(&w, i) { POLLOUT } else { 0 })
                | (if bit(&e, i) { POLLPRI } else { 0 });
            if ev != 0 {
                items.push(Item::new(i as i32, ev));
            }
        }
        let timeout = if tmo == 0 {
            None
        } else {
            let b = self.read_mem(tmo, 16)?;
            let (s, sub) = (get_u64(&b, 0) as i64, get_u64(&b, 8) as i64);
            if s < 0 || sub < 0 {
                return Err(Errno::EINVAL.into());
            }
            Some(Nanos::from_parts(
                s as u64,
                if ts_is_timespec {
                    sub as u64
                } else {
                    (sub as u64).saturating_mul(1000)
                },
            ))
        };
        let started = self.p.now(ClockKind::Monotonic).0;
        let polled = self.poll_items(t, &mut items, timeout);
        // Linux writes the time not slept back into the timeout (select(2) NOTES).
        if let Some(total) = timeout {
            let left = total
                .0
                .saturating_sub(self.p.now(ClockKind::Monotonic).0.saturating_sub(started));
            let sub = if ts_is_timespec {
                left % 1_000_000_000
            } else {
                (left % 1_000_000_000) / 1000
            };
            let mut b = [0u8; 16];
            let mut w = Fields(&mut b);
            w.u64(0, left / 1_000_000_000);
            w.u64(8, sub);
            self.write_mem(tmo, &b)?;
        }
        polled?;
        if items.iter().any(|it| it.revents & POLLNVAL != 0) {
            return Err(Errno::EBADF.into());
        }
        let (mut ro, mut wo, mut eo) = (
            alloc::vec![0u8; bytes],
            alloc::vec![0u8; bytes],
            alloc::vec![0u8; bytes],
        );
        let mut count = 0u64;
        for it in &items {
            let i = it.fd as usize;
            let set = |s: &mut Vec<u8>| {
                if let Some(b) = s.get_mut(i / 8) {
                    *b |= 1 << (i % 8);
                }
            };
            if it.events & POLLIN != 0 && it.revents & (POLLIN | POLLHUP | POLLERR) != 0 {
                set(&mut ro);
                count += 1;
            }
            if it.events & POLLOUT != 0 && it.revents & (POLLOUT | POLLERR) != 0 {
                set(&mut wo);
                count += 1;
            }
            if it.events & POLLPRI != 0 && it.revents & POLLPRI != 0 {
                set(&mut eo);
                count += 1;
            }
        }
        for (p, v) in [(rd, &ro), (wr, &wo), (ex, &eo)] {
            if p != 0 {
                self.write_mem(p, v)?;
            }
        }
        Ok(count)
    }

    /// pselect6(2).
    pub fn sys_pselect6(
        &self,
        t: &Thread,
        nfds: u64,
        rd: u64,
        wr: u64,
        ex: u64,
        ts: u64,
        sig: u64,
    ) -> SysResult {
        let mask_ptr = if sig == 0 { 0 } else { self.read_u64(sig)? };
        self.with_mask(t, mask_ptr, || {
            self.sys_select(t, nfds, rd, wr, ex, ts, true)
        })
    }

    /// epoll_create1(2).
    pub fn sys_epoll_create1(&self, flags: u64) -> SysResult {
        if flags & !o::CLOEXEC != 0 {
            return Err(Errno::EINVAL.into());
        }
        let node: NodeRef = Arc::new(Epoll {
            interest: Mutex::new(BTreeMap::new()),
        });
        self.install(
            OpenFile::new(node, Vec::new(), true, false, 0),
            flags & o::CLOEXEC != 0,
        )
    }

    fn epoll_of(&self, epfd: u64) -> Result<Arc<OpenFile>, SysError> {
        let f = self.file(epfd)?;
        if f.node.as_any().downcast_ref::<Epoll>().is_none() {
            return Err(Errno::EINVAL.into());
        }
        Ok(f)
    }

    /// epoll_ctl(2).
    pub fn sys_epoll_ctl(&self, epfd: u64, op: u64, fd: u64, event: u64) -> SysResult {
        const ADD: u64 = 1;
        const DEL: u64 = 2;
        const MOD: u64 = 3;
        let f = self.epoll_of(epfd)?;
        let target = self.file(fd)?;
        if epfd == fd {
            return Err(Errno::EINVAL.into());
        }
        // Regular files and directories are always ready: epoll refuses them (epoll_ctl(2)).
        if target.node.host_fd().is_none()
            && matches!(
                target.node.file_type(),
                FileType::Regular | FileType::Directory
            )
        {
            return Err(Errno::EPERM.into());
        }
        let Some(ep) = f.node.as_any().downcast_ref::<Epoll>() else {
            return Err(Errno::EINVAL.into());
        };
        let mut list = ep.interest.lock();
        let key = fd as i32;
        match op {
            ADD | MOD => {
                let ev = self.read_mem(event, 12)?;
                let entry = Interest {
                    events: get_u32(&ev, 0),
                    data: get_u64(&ev, 4),
                    reported: 0,
                    disarmed: false,
                    seen_changes: 0,
                };
                if op == ADD && list.contains_key(&key) {
                    return Err(Errno::EEXIST.into());
                }
                if op == MOD && !list.contains_key(&key) {
                    return Err(Errno::ENOENT.into());
                }
                list.insert(key, entry);
            }
            DEL => {
                list.remove(&key).ok_or(SysError(Errno::ENOENT))?;
            }
            _ => return Err(Errno::EINVAL.into()),
        }
        Ok(0)
    }

    /// epoll_wait(2) / epoll_pwait(2).
    pub fn sys_epoll_wait(
        &self,
        t: &Thread,
        epfd: u64,
        events: u64,
        max: u64,
        timeout: u64,
    ) -> SysResult {
        let max = max as i32;
        if max <= 0 {
            return Err(Errno::EINVAL.into());
        }
        let f = self.epoll_of(epfd)?;
        let Some(ep) = f.node.as_any().downcast_ref::<Epoll>() else {
            return Err(Errno::EINVAL.into());
        };
        // (fd, registration, the node's change count now)
        let list: Vec<(i32, Interest, u64)> = ep
            .interest
            .lock()
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    *v,
                    self.file(*k as u64).map_or(0, |f| f.node.change_count()),
                )
            })
            .collect();
        let mut items: Vec<Item> = list
            .iter()
            .map(|(fd, i, changes)| {
                let mut item = Item::new(
                    *fd,
                    if i.disarmed {
                        0
                    } else {
                        (i.events & 0xffff) as u16
                    },
                );
                if i.events & EPOLLET != 0 && *changes == i.seen_changes {
                    item.suppress = i.reported;
                }
                item
            })
            .collect();
        self.poll_items(t, &mut items, timeout_ms(timeout))?;
        let mut out = Vec::new();
        let mut n = 0;
        let mut interest = ep.interest.lock();
        for (it, (fd, _, changes)) in items.iter().zip(list.iter()) {
            let Some(entry) = interest.get_mut(fd) else {
                continue;
            };
            let report =
                n < max && it.revents != 0 && it.revents & POLLNVAL == 0 && !entry.disarmed;
            if report {
                let mut rec = [0u8; 12];
                let mut w = Fields(&mut rec);
                w.u32(0, u32::from(it.revents));
                w.u64(4, entry.data);
                out.extend_from_slice(&rec);
                n += 1;
                entry.disarmed = entry.events & EPOLLONESHOT != 0;
                entry.reported = it.full;
                entry.seen_changes = *changes;
            } else {
                // A bit that dropped can be reported again when it comes back (a new edge).
                entry.reported &= it.full;
            }
        }
        drop(interest);
        self.write_mem(events, &out)?;
        Ok(n as u64)
    }

    /// eventfd2(2).
    pub fn sys_eventfd2(&self, initval: u64, flags: u64) -> SysResult {
        const EFD_SEMAPHORE: u64 = 1;
        if flags & !(o::CLOEXEC | o::NONBLOCK | EFD_SEMAPHORE) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let node: NodeRef = Arc::new(EventFd {
            count: Mutex::new(u64::from(initval as u32)),
            semaphore: flags & EFD_SEMAPHORE != 0,
            changes: core::sync::atomic::AtomicU64::new(0),
        });
        self.install(
            OpenFile::new(
                node,
                Vec::new(),
                true,
                true,
                (flags & o::NONBLOCK) as u32 | o::RDWR as u32,
            ),
            flags & o::CLOEXEC != 0,
        )
    }

    /// ioctl(2).
    pub fn sys_ioctl(&self, fd: u64, req: u64, arg: u64) -> SysResult {
        const TCGETS: u64 = 0x5401;
        const TIOCGPGRP: u64 = 0x540f;
        const TIOCGWINSZ: u64 = 0x5413;
        const FIONREAD: u64 = 0x541b;
        const FIONBIO: u64 = 0x5421;
        const FIONCLEX: u64 = 0x5450;
        const FIOCLEX: u64 = 0x5451;
        let f = self.file(fd)?;
        match req {
            TCGETS | TIOCGWINSZ | TIOCGPGRP => {
                let Some(h) = f.node.host_fd() else {
                    return Err(Errno::ENOTTY.into());
                };
                // TCGETS fills the kernel's struct termios, 36 bytes on x86-64 (NCCS 19,
                // asm-generic/termbits.h), not glibc's 60-byte one: glibc's tcgetattr passes
                // a 36-byte buffer on its stack (termios(3), ioctl_tty(2)).
                let (q, len) = match req {
                    TCGETS => (TermQuery::GetAttrs, 36),
                    TIOCGWINSZ => (TermQuery::WindowSize, 8),
                    _ => (TermQuery::ForegroundGroup, 4),
                };
                let mut buf = alloc::vec![0u8; len];
                self.p.host_term(h, q, &mut buf)?;
                if req == TIOCGPGRP {
                    buf.copy_from_slice(&self.pid.to_le_bytes());
                }
                self.write_mem(arg, &buf)?;
                Ok(0)
            }
            FIONREAD => {
                let n = if let Some(p) = f
                    .node
                    .as_any()
                    .downcast_ref::<meridian_core::pipe::PipeEnd>()
                {
                    p.available() as u64
                } else if let Some(s) = f
                    .node
                    .as_any()
                    .downcast_ref::<meridian_core::unix::UnixSocket>()
                {
                    s.available() as u64
                } else if f.node.file_type() == FileType::Regular {
                    f.node.metadata()?.size.saturating_sub(*f.offset.lock())
                } else {
                    0
                };
                self.write_u32(arg, n as u32)?;
                Ok(0)
            }
            FIONBIO => {
                let on = get_u32(&self.read_mem(arg, 4)?, 0) != 0;
                let cur = u64::from(f.status());
                let new = if on {
                    cur | o::NONBLOCK
                } else {
                    cur & !o::NONBLOCK
                };
                f.status
                    .store(new as u32, core::sync::atomic::Ordering::Relaxed);
                Ok(0)
            }
            FIOCLEX | FIONCLEX => {
                self.fds.lock().get_mut(fd as u32)?.cloexec = req == FIOCLEX;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY.into()),
        }
    }
}
