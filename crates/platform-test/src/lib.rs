//! An in-memory platform that drives the core and the shim in unit tests (DESIGN §1).
//!
//! Guest memory is a map of 4 KiB pages in the test's own heap, so any address a test or a
//! fuzzer passes is checked exactly like the real platform does (unmapped → `Fault`, no
//! write to a read-only page). Clocks advance only when a test says so; entropy is a fixed
//! sequence; stdin is a byte buffer given at creation and stdout/stderr are captured.
//! There are no host threads: `spawn_thread` fails with `NotSupported` and waits return at
//! once (`TimedOut`), so tests use non-blocking descriptors. No host volumes.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use meridian_abi::CpuContext;
use meridian_abi::uapi as nr;
use meridian_core::Error;
use meridian_core::error::Result;
use meridian_core::platform::{
    GuestAddr, HostFd, HostIo, HostStat, HostVolumes, Platform, Prot, Readiness, TermQuery,
    WaitOutcome,
};
use meridian_core::time::{ClockKind, Nanos};
use spin::Mutex;

const PAGE: u64 = 4096;
/// The guest range of the test platform.
pub const GUEST_LOW: u64 = 0x1_0000;
/// End of the guest range.
pub const GUEST_HIGH: u64 = 0x1_0000_0000;

struct Page {
    data: Box<[u8; PAGE as usize]>,
    prot: Prot,
}

/// Syscalls that arbitrary-argument tests and fuzzers must not make on this platform: they
/// wait for something a single-threaded test never delivers (there are no other threads and
/// waits return at once, so the shim's wait loops would spin), or grow guest memory by
/// arbitrary amounts, which this page map really allocates (the Linux platform reserves).
pub const BLOCKING_OR_GROWING: &[u32] = &[
    nr::__NR_poll,
    nr::__NR_ppoll,
    nr::__NR_select,
    nr::__NR_pselect6,
    nr::__NR_epoll_wait,
    nr::__NR_epoll_pwait,
    nr::__NR_pause,
    nr::__NR_rt_sigsuspend,
    nr::__NR_rt_sigtimedwait,
    nr::__NR_mmap,
    nr::__NR_mremap,
    nr::__NR_brk,
    nr::__NR_read,
    nr::__NR_readv,
    nr::__NR_write,
    nr::__NR_writev,
    nr::__NR_sendfile,
    nr::__NR_copy_file_range,
    // Lock requests that wait (flock without LOCK_NB, F_SETLKW) block for good when the
    // conflicting lock belongs to another description of the same thread.
    nr::__NR_flock,
    nr::__NR_fcntl,
];

/// A shared memory region: its capacity and the bytes written, by offset.
type SharedRegion = (u64, BTreeMap<u64, u8>);

/// The in-memory test platform.
pub struct TestPlatform {
    pages: Mutex<BTreeMap<u64, Page>>,
    clock_ns: AtomicU64,
    random: AtomicU64,
    fs_base: AtomicU64,
    /// Shared memory regions by handle: capacity and the bytes written (a byte map: tests
    /// use little of it).
    shared: Mutex<BTreeMap<u64, SharedRegion>>,
    stdin: Mutex<Vec<u8>>,
    stdout: Mutex<Vec<u8>>,
    stderr: Mutex<Vec<u8>>,
    slot: meridian_core::platform::ProcessSlot,
}

impl TestPlatform {
    /// A platform whose guest stdin holds `stdin`.
    pub fn new(stdin: &[u8]) -> Self {
        TestPlatform {
            pages: Mutex::new(BTreeMap::new()),
            clock_ns: AtomicU64::new(0),
            random: AtomicU64::new(0x9e37_79b9_7f4a_7c15),
            fs_base: AtomicU64::new(0),
            shared: Mutex::new(BTreeMap::new()),
            stdin: Mutex::new(stdin.to_vec()),
            stdout: Mutex::new(Vec::new()),
            stderr: Mutex::new(Vec::new()),
            slot: meridian_core::platform::ProcessSlot::new(None),
        }
    }
    /// Everything the guest wrote to stdout so far.
    pub fn stdout(&self) -> Vec<u8> {
        self.stdout.lock().clone()
    }
    /// Everything written to stderr so far (the guest's and the library OS's reports).
    pub fn stderr(&self) -> Vec<u8> {
        self.stderr.lock().clone()
    }
    /// Move the clocks forward (saturating).
    pub fn advance(&self, ns: u64) {
        let _ = self
            .clock_ns
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                Some(t.saturating_add(ns))
            });
    }

    fn pages_of(addr: u64, len: u64) -> Result<core::ops::Range<u64>> {
        let end = addr.checked_add(len).ok_or(Error::Fault)?;
        if addr < GUEST_LOW || end > GUEST_HIGH {
            return Err(Error::Fault);
        }
        Ok(addr / PAGE..end.div_ceil(PAGE))
    }

    fn copy(
        &self,
        addr: u64,
        len: usize,
        write: bool,
        mut each: impl FnMut(&mut [u8], usize),
    ) -> Result<()> {
        let mut pages = self.pages.lock();
        let range = Self::pages_of(addr, len as u64)?;
        // Check every page first: a faulting copy changes nothing.
        for p in range.clone() {
            let page = pages.get(&p).ok_or(Error::Fault)?;
            if (write && !page.prot.write) || (!write && !page.prot.read) {
                return Err(Error::Fault);
            }
        }
        let mut done = 0usize;
        let mut at = addr;
        while done < len {
            let off = (at % PAGE) as usize;
            let n = (PAGE as usize - off).min(len - done);
            let page = pages.get_mut(&(at / PAGE)).ok_or(Error::Fault)?;
            each(&mut page.data[off..off + n], done);
            done += n;
            at += n as u64;
        }
        Ok(())
    }

    fn check_range(addr: u64, len: u64) -> Result<core::ops::Range<u64>> {
        if !addr.is_multiple_of(PAGE) || !len.is_multiple_of(PAGE) {
            return Err(Error::Invalid);
        }
        Self::pages_of(addr, len).map_err(|_| Error::NoMemory)
    }
}

impl HostIo for TestPlatform {
    fn host_read(&self, fd: HostFd, buf: &mut [u8], _offset: Option<u64>) -> Result<usize> {
        if fd.0 != 0 {
            return Err(Error::BadFd);
        }
        let mut input = self.stdin.lock();
        let n = buf.len().min(input.len());
        buf[..n].copy_from_slice(&input[..n]);
        input.drain(..n);
        Ok(n)
    }
    fn host_write(&self, fd: HostFd, data: &[u8], _offset: Option<u64>) -> Result<usize> {
        match fd.0 {
            1 => self.stdout.lock().extend_from_slice(data),
            2 => self.stderr.lock().extend_from_slice(data),
            _ => return Err(Error::BadFd),
        }
        Ok(data.len())
    }
    fn host_stat(&self, fd: HostFd) -> Result<HostStat> {
        if !(0..=2).contains(&fd.0) {
            return Err(Error::BadFd);
        }
        Ok(HostStat {
            mode: 0o010600,
            nlink: 1,
            blksize: 4096,
            ..HostStat::default()
        })
    }
    fn host_poll(
        &self,
        fds: &[(HostFd, bool, bool)],
        _timeout: Option<Nanos>,
    ) -> Result<Vec<Readiness>> {
        Ok(fds
            .iter()
            .map(|&(_, r, w)| Readiness {
                readable: r,
                writable: w,
                hangup: false,
                error: false,
            })
            .collect())
    }
    fn host_term(&self, _fd: HostFd, _query: TermQuery, _out: &mut [u8]) -> Result<()> {
        Err(Error::NotTty)
    }
    fn host_close(&self, _fd: HostFd) {}
    fn host_volumes(&self) -> Option<&dyn HostVolumes> {
        None
    }
}

impl Platform for TestPlatform {
    type Context = CpuContext;

    fn spawn_thread(&self, _tid: u32, _ctx: CpuContext, _fs_base: u64) -> Result<()> {
        Err(Error::NotSupported)
    }
    fn guest_fs_base(&self) -> u64 {
        self.fs_base.load(Ordering::Relaxed)
    }
    fn set_guest_fs_base(&self, base: u64) {
        self.fs_base.store(base, Ordering::Relaxed);
    }
    fn kick_thread(&self, _tid: u32) {}

    fn process_slot(&self) -> &meridian_core::platform::ProcessSlot {
        &self.slot
    }
    fn cpu_count(&self) -> u32 {
        2
    }
    fn read_guest(&self, addr: GuestAddr, buf: &mut [u8]) -> Result<()> {
        let len = buf.len();
        self.copy(addr, len, false, |src, at| {
            buf[at..at + src.len()].copy_from_slice(src)
        })
    }
    fn write_guest(&self, addr: GuestAddr, data: &[u8]) -> Result<()> {
        self.copy(addr, data.len(), true, |dst, at| {
            dst.copy_from_slice(&data[at..at + dst.len()])
        })
    }
    fn guest_range(&self) -> core::ops::Range<GuestAddr> {
        GUEST_LOW..GUEST_HIGH
    }
    fn map_anonymous(&self, addr: GuestAddr, len: u64, prot: Prot, _shared: bool) -> Result<()> {
        let range = Self::check_range(addr, len)?;
        let mut pages = self.pages.lock();
        for p in range {
            pages.insert(
                p,
                Page {
                    data: Box::new([0u8; PAGE as usize]),
                    prot,
                },
            );
        }
        Ok(())
    }
    fn map_host_file(
        &self,
        _a: GuestAddr,
        _l: u64,
        _p: Prot,
        _fd: HostFd,
        _o: u64,
        _s: bool,
    ) -> Result<()> {
        Err(Error::NotSupported)
    }
    fn protect(&self, addr: GuestAddr, len: u64, prot: Prot) -> Result<()> {
        let range = Self::check_range(addr, len)?;
        let mut pages = self.pages.lock();
        for p in range {
            pages.get_mut(&p).ok_or(Error::NoMemory)?.prot = prot;
        }
        Ok(())
    }
    fn unmap(&self, addr: GuestAddr, len: u64) -> Result<()> {
        let range = Self::check_range(addr, len)?;
        let mut pages = self.pages.lock();
        for p in range {
            pages.remove(&p);
        }
        Ok(())
    }
    fn discard(&self, addr: GuestAddr, len: u64) -> Result<()> {
        let range = Self::check_range(addr, len)?;
        let mut pages = self.pages.lock();
        for p in range {
            if let Some(page) = pages.get_mut(&p) {
                page.data.fill(0);
            }
        }
        Ok(())
    }
    fn move_mapping(
        &self,
        old: GuestAddr,
        old_len: u64,
        new: GuestAddr,
        new_len: u64,
    ) -> Result<()> {
        let from = Self::check_range(old, old_len)?;
        let to = Self::check_range(new, new_len)?;
        let mut pages = self.pages.lock();
        let moved: Vec<(u64, Page)> = from
            .clone()
            .filter_map(|p| pages.remove(&p).map(|pg| (p - from.start, pg)))
            .collect();
        let prot = moved.first().map_or(Prot::RW, |(_, pg)| pg.prot);
        for p in to.clone() {
            pages.insert(
                p,
                Page {
                    data: Box::new([0u8; PAGE as usize]),
                    prot,
                },
            );
        }
        for (i, pg) in moved {
            if to.start + i < to.end {
                pages.insert(to.start + i, pg);
            }
        }
        Ok(())
    }
    fn shared_alloc(&self, capacity: u64) -> Result<u64> {
        let mut regions = self.shared.lock();
        let handle = regions.keys().next_back().map_or(1, |h| h + 1);
        regions.insert(handle, (capacity, BTreeMap::new()));
        Ok(handle)
    }
    fn shared_free(&self, handle: u64, _capacity: u64) {
        self.shared.lock().remove(&handle);
    }
    fn shared_read(&self, handle: u64, _capacity: u64, offset: u64, buf: &mut [u8]) -> Result<()> {
        let regions = self.shared.lock();
        let (cap, bytes) = regions.get(&handle).ok_or(Error::Invalid)?;
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|e| e > *cap)
        {
            return Err(Error::Invalid);
        }
        for (i, b) in buf.iter_mut().enumerate() {
            *b = bytes.get(&(offset + i as u64)).copied().unwrap_or(0);
        }
        Ok(())
    }
    fn shared_write(&self, handle: u64, _capacity: u64, offset: u64, data: &[u8]) -> Result<()> {
        let mut regions = self.shared.lock();
        let (cap, bytes) = regions.get_mut(&handle).ok_or(Error::Invalid)?;
        if offset
            .checked_add(data.len() as u64)
            .is_none_or(|e| e > *cap)
        {
            return Err(Error::Invalid);
        }
        for (i, b) in data.iter().enumerate() {
            bytes.insert(offset + i as u64, *b);
        }
        Ok(())
    }
    fn shared_zero(&self, handle: u64, _capacity: u64, offset: u64, len: u64) -> Result<()> {
        let mut regions = self.shared.lock();
        let (_, bytes) = regions.get_mut(&handle).ok_or(Error::Invalid)?;
        bytes.retain(|&at, _| at < offset || at >= offset.saturating_add(len));
        Ok(())
    }
    /// Mapping the same bytes twice needs aliasing the page map cannot express.
    fn shared_map(
        &self,
        _handle: u64,
        _capacity: u64,
        _offset: u64,
        _addr: GuestAddr,
        _len: u64,
        _prot: Prot,
    ) -> Result<()> {
        Err(Error::NotSupported)
    }
    fn now(&self, clock: ClockKind) -> Nanos {
        // Monotonic time starts at 0 and saturates (so a sleep of any length ends); the wall
        // clock is a fixed date plus it.
        const EPOCH_2023_NS: u64 = 1_700_000_000_000_000_000;
        let t = self.clock_ns.load(Ordering::Relaxed);
        match clock {
            ClockKind::Realtime => Nanos(EPOCH_2023_NS.saturating_add(t)),
            _ => Nanos(t),
        }
    }
    fn resolution(&self, _clock: ClockKind) -> Nanos {
        Nanos(1)
    }
    fn fill_random(&self, buf: &mut [u8]) {
        for b in buf {
            // xorshift64: deterministic, which is what tests want.
            let mut x = self.random.load(Ordering::Relaxed);
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.random.store(x, Ordering::Relaxed);
            *b = x as u8;
        }
    }
    /// Nothing else runs, so a wait always times out: the virtual clock moves by the
    /// timeout, as [`Self::sleep`] moves it (a caller waiting for a deadline reaches it).
    fn wait(&self, _word: &AtomicU32, _expected: u32, timeout: Option<Nanos>) -> WaitOutcome {
        if let Some(t) = timeout {
            self.advance(t.0);
        }
        WaitOutcome::TimedOut
    }
    fn wake(&self, _word: &AtomicU32, _count: u32) {}
    fn guest_wait(
        &self,
        addr: GuestAddr,
        expected: u32,
        _timeout: Option<Nanos>,
        _bitset: u32,
        _shared: bool,
    ) -> Result<WaitOutcome> {
        let mut b = [0u8; 4];
        self.read_guest(addr, &mut b)?;
        if u32::from_le_bytes(b) != expected {
            return Err(Error::WouldBlock);
        }
        Ok(WaitOutcome::TimedOut)
    }
    fn guest_wake(&self, addr: GuestAddr, _count: u32, _bitset: u32, _shared: bool) -> Result<u32> {
        let mut b = [0u8; 4];
        self.read_guest(addr, &mut b)?;
        Ok(0)
    }
    fn guest_requeue(
        &self,
        addr: GuestAddr,
        _wake: u32,
        _requeue: u32,
        addr2: GuestAddr,
        expected: Option<u32>,
        _shared: bool,
    ) -> Result<u32> {
        let mut b = [0u8; 4];
        self.read_guest(addr2, &mut b)?;
        self.read_guest(addr, &mut b)?;
        if expected.is_some_and(|e| e != u32::from_le_bytes(b)) {
            return Err(Error::WouldBlock);
        }
        Ok(0)
    }
    fn sleep(&self, duration: Nanos) -> WaitOutcome {
        self.advance(duration.0);
        WaitOutcome::TimedOut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_saturate_so_any_sleep_ends() {
        let p = TestPlatform::new(b"");
        p.sleep(Nanos(u64::MAX - 5));
        p.sleep(Nanos(u64::MAX));
        assert_eq!(p.now(ClockKind::Monotonic), Nanos(u64::MAX));
        assert_eq!(p.now(ClockKind::Realtime), Nanos(u64::MAX));
    }

    #[test]
    fn memory_faults_like_the_real_platform() {
        let p = TestPlatform::new(b"");
        let mut b = [0u8; 8];
        assert_eq!(p.read_guest(0x20000, &mut b), Err(Error::Fault));
        p.map_anonymous(0x20000, 2 * PAGE, Prot::RW, false).unwrap();
        p.write_guest(0x20ffc, b"abcdefgh").unwrap();
        p.read_guest(0x20ffc, &mut b).unwrap();
        assert_eq!(&b, b"abcdefgh");
        p.protect(
            0x21000,
            PAGE,
            Prot {
                read: true,
                write: false,
                exec: false,
            },
        )
        .unwrap();
        assert_eq!(p.write_guest(0x20ffc, b"12345678"), Err(Error::Fault));
        // A failed copy changed nothing.
        p.read_guest(0x20ffc, &mut b).unwrap();
        assert_eq!(&b, b"abcdefgh");
        assert_eq!(p.read_guest(GUEST_HIGH - 4, &mut b), Err(Error::Fault));
        assert_eq!(p.read_guest(u64::MAX - 2, &mut b), Err(Error::Fault));
        p.unmap(0x20000, 2 * PAGE).unwrap();
        assert_eq!(p.read_guest(0x20ffc, &mut b), Err(Error::Fault));
    }
}
