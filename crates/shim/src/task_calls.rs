//! Threads, identity, time, limits and other process-wide calls.

use crate::errno::{SysError, SysResult};
use crate::{Kernel, LinuxPlatform, Thread};
use alloc::collections::BTreeMap;
use core::sync::atomic::Ordering;
use meridian_abi::layout::{Fields, Timespec};
use meridian_abi::{CpuContext, Errno};
use meridian_core::Error;
use meridian_core::mm::Backing;
use meridian_core::platform::{Resume, WaitOutcome};
use meridian_core::time::{ClockKind, Nanos};

/// Default RLIMIT_NOFILE soft limit.
pub const DEFAULT_NOFILE: u64 = 1024;
const RLIMIT_CPU: u32 = 0;
/// RLIMIT_FSIZE (include/uapi/asm-generic/resource.h).
pub(crate) const RLIMIT_FSIZE: u32 = 1;
const RLIMIT_STACK: u32 = 3;
const RLIMIT_CORE: u32 = 4;
pub(crate) const RLIMIT_NPROC: u32 = 6;
const RLIMIT_NOFILE: u32 = 7;
const RLIMIT_AS: u32 = 9;
const RLIM_INFINITY: u64 = u64::MAX;
const RLIMIT_COUNT: u32 = 16;

/// Limits a new sandbox starts with (what a login shell on Debian has).
pub fn default_rlimits() -> BTreeMap<u32, (u64, u64)> {
    let mut m = BTreeMap::new();
    for r in 0..RLIMIT_COUNT {
        m.insert(r, (RLIM_INFINITY, RLIM_INFINITY));
    }
    m.insert(RLIMIT_STACK, (8 << 20, RLIM_INFINITY));
    m.insert(RLIMIT_NOFILE, (DEFAULT_NOFILE, 4096));
    m.insert(RLIMIT_CORE, (0, RLIM_INFINITY)); // no core dumps
    m
}

/// The guest's rlimits: those Meridian inherited (`inherited`, `(soft, hard)` by resource;
/// the defaults where it has none), tightened by the policy, never loosened: hard =
/// min(inherited hard, policy), soft = min(inherited soft, policy, hard). RLIMIT_CPU's
/// policy hard limit is a second above its soft one, so SIGXCPU comes before SIGKILL. Core
/// dumps are off (soft 0).
pub fn rlimits_for(limits: &crate::Limits, inherited: &[(u64, u64)]) -> BTreeMap<u32, (u64, u64)> {
    let mut m = default_rlimits();
    for (r, &lim) in (0..RLIMIT_COUNT).zip(inherited) {
        m.insert(r, lim);
    }
    let policy = [
        (RLIMIT_AS, limits.memory.map(|v| (v, v))),
        (RLIMIT_NPROC, limits.processes.map(|v| (v, v))),
        (RLIMIT_NOFILE, limits.open_files.map(|v| (v, v))),
        (RLIMIT_FSIZE, limits.file_size.map(|v| (v, v))),
        (
            RLIMIT_CPU,
            limits.cpu_seconds.map(|s| (s, s.saturating_add(1))),
        ),
        (RLIMIT_CORE, Some((0, RLIM_INFINITY))),
    ];
    for (r, lim) in policy {
        let (Some((soft, hard)), Some(cur)) = (lim, m.get_mut(&r)) else {
            continue;
        };
        let hard = cur.1.min(hard);
        *cur = (cur.0.min(soft).min(hard), hard);
    }
    m
}

/// The descriptor table's size for `rlimits`: the soft RLIMIT_NOFILE, at most 2^20 (Linux's
/// default `fs.nr_open`).
pub fn descriptor_limit(rlimits: &BTreeMap<u32, (u64, u64)>) -> usize {
    const NR_OPEN: u64 = 1 << 20;
    rlimits
        .get(&RLIMIT_NOFILE)
        .map_or(DEFAULT_NOFILE, |l| l.0)
        .min(NR_OPEN) as usize
}

use crate::process::{
    CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_FILES, CLONE_FS, CLONE_PARENT_SETTID,
    CLONE_SETTLS, CLONE_SIGHAND, CLONE_THREAD, CLONE_VFORK, CLONE_VM,
};
const CLONE_SYSVSEM: u64 = 0x40000;
const CLONE_DETACHED: u64 = 0x400000;
const THREAD_FLAGS_ALLOWED: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED
    | CLONE_CHILD_SETTID;

fn clock_of(id: u64) -> Result<ClockKind, SysError> {
    Ok(match id {
        0 | 5 | 8 => ClockKind::Realtime,
        1 | 4 | 6 => ClockKind::Monotonic,
        2 => ClockKind::ProcessCpu,
        3 => ClockKind::ThreadCpu,
        7 | 9 => ClockKind::Boottime,
        _ => return Err(Errno::EINVAL.into()),
    })
}

fn encode_ts(n: Nanos) -> [u8; 16] {
    Timespec {
        sec: n.secs() as i64,
        nsec: n.subsec_nanos() as i64,
    }
    .encode()
}

impl<P: LinuxPlatform> Kernel<P> {
    /// clone(2) for threads.
    pub fn sys_clone(
        &self,
        t: &Thread,
        ctx: &CpuContext,
        flags: u64,
        stack: u64,
        ptid: u64,
        ctid: u64,
        tls: u64,
    ) -> SysResult {
        let need = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND;
        if flags & need != need
            || flags & !(THREAD_FLAGS_ALLOWED | 0xff) != 0
            || flags & CLONE_VFORK != 0
        {
            self.report_once(
                0x2_0000,
                format_args!(
                    "clone of a thread with flags {flags:#x} is not supported: returning EINVAL"
                ),
            );
            return Err(Errno::EINVAL.into());
        }
        let tasks = self.threads.lock().len() as u64;
        if tasks >= self.rlimit(RLIMIT_NPROC).0 {
            // clone(2): EAGAIN when RLIMIT_NPROC is reached.
            return Err(Errno::EAGAIN.into());
        }
        let child = self.new_thread(t.sigmask.load(Ordering::Acquire));
        let tid = child.tid;
        if flags & CLONE_PARENT_SETTID != 0 {
            self.write_u32(ptid, tid)?;
        }
        if flags & CLONE_CHILD_SETTID != 0 {
            self.write_u32(ctid, tid)?;
        }
        if flags & CLONE_CHILD_CLEARTID != 0 {
            child.clear_child_tid.store(ctid, Ordering::Release);
        }
        let (cctx, fs) = self.clone_context(ctx, flags, stack, tls);
        if let Err(e) = self.p.spawn_thread(tid, cctx, fs) {
            self.threads.lock().remove(&tid);
            return Err(e.into());
        }
        Ok(u64::from(tid))
    }

    /// Where a clone child starts: the caller's registers with 0 in rax, on `stack` if not 0,
    /// and its FS base (`tls` with CLONE_SETTLS, else the caller's).
    pub(crate) fn clone_context(
        &self,
        ctx: &CpuContext,
        flags: u64,
        stack: u64,
        tls: u64,
    ) -> (CpuContext, u64) {
        let mut cctx = *ctx;
        cctx.rax = 0;
        if stack != 0 {
            cctx.rsp = stack;
        }
        let fs = if flags & CLONE_SETTLS != 0 {
            tls
        } else {
            self.p.guest_fs_base()
        };
        (cctx, fs)
    }

    /// clone(2), fork(2) and vfork(2): a thread (CLONE_THREAD) or a process.
    pub fn clone_outcome(
        &self,
        t: &Thread,
        ctx: &CpuContext,
        flags: u64,
        stack: u64,
        ptid: u64,
        ctid: u64,
        tls: u64,
    ) -> crate::table::Outcome {
        use crate::table::Outcome;
        if flags & CLONE_THREAD != 0 {
            return Outcome::Return(self.sys_clone(t, ctx, flags, stack, ptid, ctid, tls));
        }
        match self.sys_fork(t, ctx, flags, stack, ptid, ctid, tls) {
            Ok(Some(pid)) => Outcome::Return(Ok(pid)),
            Ok(None) => Outcome::ForkChild { stack },
            Err(e) => Outcome::Return(Err(e)),
        }
    }

    /// exit(2): end the thread; the last thread ends the process.
    pub fn sys_exit(&self, t: &Thread, code: u64) -> Resume {
        self.exit_robust_list(t);
        let ctid = t.clear_child_tid.load(Ordering::Acquire);
        if ctid != 0 && self.write_u32(ctid, 0).is_ok() {
            let _ = self
                .p
                .guest_wake(ctid, 1, u32::MAX, self.futex_shared(&[ctid]));
        }
        let left = {
            let mut th = self.threads.lock();
            th.remove(&t.tid);
            th.len()
        };
        if left == 0 {
            Resume::ExitProcess(code as u8)
        } else {
            Resume::ExitThread
        }
    }

    /// Mark the robust futexes a dying thread still holds as owner-dead and wake a waiter
    /// of each (kernel/futex/core.c `exit_robust_list`, futex(2) "Robust futexes").
    fn exit_robust_list(&self, t: &Thread) {
        const ROBUST_LIST_LIMIT: usize = 2048;
        const FUTEX_WAITERS: u32 = 0x8000_0000;
        const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
        const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
        let head = t.robust_list.load(Ordering::Acquire);
        if head == 0 {
            return;
        }
        let Ok(raw) = self.read_mem(head, 24) else {
            return;
        };
        let (first, offset, pending) = (
            meridian_abi::layout::get_u64(&raw, 0),
            meridian_abi::layout::get_u64(&raw, 8),
            meridian_abi::layout::get_u64(&raw, 16),
        );
        let owner_died = |entry: u64| {
            let word = (entry & !1).wrapping_add(offset);
            let Ok(b) = self.read_mem(word, 4) else {
                return;
            };
            let v = meridian_abi::layout::get_u32(&b, 0);
            if v & FUTEX_TID_MASK != t.tid {
                return;
            }
            if self
                .write_u32(word, (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED)
                .is_ok()
                && v & FUTEX_WAITERS != 0
            {
                let _ = self
                    .p
                    .guest_wake(word, 1, u32::MAX, self.futex_shared(&[word]));
            }
        };
        let mut entry = first;
        for _ in 0..ROBUST_LIST_LIMIT {
            if entry == head || entry == 0 {
                break;
            }
            let Ok(next) = self.read_u64(entry & !1) else {
                break;
            };
            if entry != pending {
                owner_died(entry);
            }
            entry = next;
        }
        if pending != 0 {
            owner_died(pending);
        }
    }

    /// set_tid_address(2).
    pub fn sys_set_tid_address(&self, t: &Thread, addr: u64) -> SysResult {
        t.clear_child_tid.store(addr, Ordering::Release);
        Ok(u64::from(t.tid))
    }

    /// set_robust_list(2).
    pub fn sys_set_robust_list(&self, t: &Thread, head: u64, len: u64) -> SysResult {
        if len != 24 {
            return Err(Errno::EINVAL.into());
        }
        t.robust_list.store(head, Ordering::Release);
        Ok(0)
    }

    /// get_robust_list(2).
    pub fn sys_get_robust_list(&self, t: &Thread, tid: u64, head: u64, len: u64) -> SysResult {
        let th = if tid == 0 {
            self.thread(t.tid)
        } else {
            self.thread(tid as u32)
        }
        .ok_or(SysError(Errno::ESRCH))?;
        self.write_u64(head, th.robust_list.load(Ordering::Acquire))?;
        self.write_u64(len, 24)?;
        Ok(0)
    }

    /// arch_prctl(2).
    pub fn sys_arch_prctl(&self, code: u64, addr: u64) -> SysResult {
        const ARCH_SET_FS: u64 = 0x1002;
        const ARCH_GET_FS: u64 = 0x1003;
        match code {
            ARCH_SET_FS => {
                self.p.set_guest_fs_base(addr);
                Ok(0)
            }
            ARCH_GET_FS => {
                self.write_u64(addr, self.p.guest_fs_base())?;
                Ok(0)
            }
            _ => Err(Errno::EINVAL.into()),
        }
    }

    /// Whether a non-private guest futex on the words at `addrs` is a shared host futex:
    /// only when every word is in memory the sandbox's processes share (MAP_SHARED anonymous
    /// memory, /dev/zero, in-memory files). Everywhere else, and always for host-file
    /// mappings (even MAP_SHARED ones), a private host futex: the host would key a shared
    /// one on the host file and meet host processes' waiters on it. For private memory this
    /// is Linux's own key (the address space); a MAP_SHARED read-only host-file mapping loses
    /// futexes across the sandbox's processes (its words cannot be written anyway).
    fn futex_shared(&self, addrs: &[u64]) -> bool {
        let mm = self.mm.lock();
        addrs.iter().all(|&a| {
            mm.find(a).is_some_and(|(_, area)| {
                area.shared && !matches!(area.backing, Backing::File { host: true, .. })
            })
        })
    }

    /// futex(2).
    pub fn sys_futex(
        &self,
        t: &Thread,
        addr: u64,
        op: u64,
        val: u64,
        timeout: u64,
        addr2: u64,
        val3: u64,
    ) -> SysResult {
        const FUTEX_WAIT: u64 = 0;
        const FUTEX_WAKE: u64 = 1;
        const FUTEX_REQUEUE: u64 = 3;
        const FUTEX_CMP_REQUEUE: u64 = 4;
        const FUTEX_WAIT_BITSET: u64 = 9;
        const FUTEX_WAKE_BITSET: u64 = 10;
        const FUTEX_PRIVATE_FLAG: u64 = 128;
        const FUTEX_CLOCK_REALTIME: u64 = 256;
        let cmd = op & 0x7f;
        let val32 = val as u32;
        // With FUTEX_PRIVATE_FLAG (glibc's process-private locks) no area lookup is needed.
        let private = op & FUTEX_PRIVATE_FLAG != 0;
        match cmd {
            FUTEX_WAIT | FUTEX_WAIT_BITSET => {
                let bitset = if cmd == FUTEX_WAIT {
                    u32::MAX
                } else {
                    val3 as u32
                };
                if bitset == 0 {
                    return Err(Errno::EINVAL.into());
                }
                let to = if timeout == 0 {
                    None
                } else {
                    let ts = Timespec::decode(&self.read_mem(timeout, 16)?);
                    if ts.nsec < 0 || ts.nsec >= 1_000_000_000 || ts.sec < 0 {
                        return Err(Errno::EINVAL.into());
                    }
                    if cmd == FUTEX_WAIT {
                        Some(Nanos(ts.as_nanos()))
                    } else {
                        // Absolute deadline on the chosen clock.
                        let clock = if op & FUTEX_CLOCK_REALTIME != 0 {
                            ClockKind::Realtime
                        } else {
                            ClockKind::Monotonic
                        };
                        Some(Nanos(ts.as_nanos().saturating_sub(self.p.now(clock).0)))
                    }
                };
                let monotonic = || self.p.now(ClockKind::Monotonic).0;
                let deadline = to.map(|d| monotonic().saturating_add(d.0));
                let shared = !private && self.futex_shared(&[addr]);
                loop {
                    if self.signal_pending(t) {
                        return Err(Errno::EINTR.into());
                    }
                    let left = deadline.map(|d| Nanos(d.saturating_sub(monotonic())));
                    match self.p.guest_wait(addr, val32, left, bitset, shared) {
                        Ok(WaitOutcome::Woken) => return Ok(0),
                        Ok(WaitOutcome::TimedOut) => return Err(Errno::ETIMEDOUT.into()),
                        // A host signal for the library OS itself (a child's end, a kick)
                        // cut the host wait short: EINTR only if it left a guest signal
                        // pending (checked above); otherwise the wait goes on, as Linux
                        // restarts a futex wait that no handler interrupted.
                        Ok(WaitOutcome::Interrupted) => continue,
                        Err(Error::WouldBlock) => return Err(Errno::EAGAIN.into()),
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            FUTEX_WAKE | FUTEX_WAKE_BITSET => {
                let bitset = if cmd == FUTEX_WAKE {
                    u32::MAX
                } else {
                    val3 as u32
                };
                if bitset == 0 {
                    return Err(Errno::EINVAL.into());
                }
                let shared = !private && self.futex_shared(&[addr]);
                Ok(u64::from(self.p.guest_wake(addr, val32, bitset, shared)?))
            }
            FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
                let expected = if cmd == FUTEX_CMP_REQUEUE {
                    Some(val3 as u32)
                } else {
                    None
                };
                let shared = !private && self.futex_shared(&[addr, addr2]);
                match self
                    .p
                    .guest_requeue(addr, val32, timeout as u32, addr2, expected, shared)
                {
                    Ok(n) => Ok(u64::from(n)),
                    Err(Error::WouldBlock) => Err(Errno::EAGAIN.into()),
                    Err(e) => Err(e.into()),
                }
            }
            _ => {
                self.report_once(
                    0x3_0000u64.wrapping_add(cmd),
                    format_args!("futex operation {cmd} is not supported: returning ENOSYS"),
                );
                Err(Errno::ENOSYS.into())
            }
        }
    }

    /// sched_getaffinity(2).
    pub fn sys_sched_getaffinity(&self, pid: u64, size: u64, mask: u64) -> SysResult {
        let n = self.p.cpu_count().clamp(1, 64) as usize;
        let bytes = n.div_ceil(64) * 8;
        if (size as usize) < bytes || !size.is_multiple_of(8) {
            return Err(Errno::EINVAL.into());
        }
        let set = self.affinity_of(pid)?.affinity.load(Ordering::Acquire) & self.online_cpus();
        self.write_mem(mask, &set.to_le_bytes())?;
        Ok(bytes as u64)
    }

    /// sched_setaffinity(2): recorded per process (what sched_getaffinity and children see);
    /// the host threads are not pinned (the filter has no sched_setaffinity).
    pub fn sys_sched_setaffinity(&self, pid: u64, len: u64, mask: u64) -> SysResult {
        let got = self.read_mem(mask, (len as usize).min(8))?;
        let mut b = [0u8; 8];
        for (d, s) in b.iter_mut().zip(got) {
            *d = s;
        }
        let set = u64::from_le_bytes(b) & self.online_cpus();
        if set == 0 {
            return Err(Errno::EINVAL.into());
        }
        self.affinity_of(pid)?
            .affinity
            .store(set, Ordering::Release);
        Ok(0)
    }

    fn online_cpus(&self) -> u64 {
        let n = self.p.cpu_count().clamp(1, 64);
        if n == 64 { u64::MAX } else { (1u64 << n) - 1 }
    }

    /// The affinity word of the process of thread or process `pid` (0: the caller).
    fn affinity_of(&self, pid: u64) -> Result<alloc::sync::Arc<crate::process::Process>, SysError> {
        let id = pid as u32;
        if id == 0 || self.threads.lock().contains_key(&id) {
            return Ok(self.proc.clone());
        }
        if (pid as i32) < 0 {
            return Err(Errno::EINVAL.into());
        }
        self.sandbox.get(id).ok_or_else(|| Errno::ESRCH.into())
    }

    /// sched_get_priority_max(2) and sched_get_priority_min(2): the static priorities of a
    /// policy (kernel/sched/syscalls.c): 1..=99 for the real-time ones, 0 for the others.
    pub fn sys_sched_get_priority(&self, policy: u64, max: bool) -> SysResult {
        const SCHED_NORMAL: i32 = 0;
        const SCHED_FIFO: i32 = 1;
        const SCHED_RR: i32 = 2;
        const SCHED_BATCH: i32 = 3;
        const SCHED_IDLE: i32 = 5;
        const SCHED_DEADLINE: i32 = 6;
        const SCHED_EXT: i32 = 7;
        const MAX_RT_PRIO: u64 = 100;
        // `policy` is an int: the kernel reads the register's low 32 bits.
        match policy as i32 {
            SCHED_FIFO | SCHED_RR => Ok(if max { MAX_RT_PRIO - 1 } else { 1 }),
            SCHED_NORMAL | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE | SCHED_EXT => Ok(0),
            _ => Err(Errno::EINVAL.into()),
        }
    }

    /// getcpu(2).
    pub fn sys_getcpu(&self, cpu: u64, node: u64) -> SysResult {
        if cpu != 0 {
            self.write_u32(cpu, 0)?;
        }
        if node != 0 {
            self.write_u32(node, 0)?;
        }
        Ok(0)
    }

    /// clock_gettime(2).
    pub fn sys_clock_gettime(&self, id: u64, out: u64) -> SysResult {
        let c = clock_of(id)?;
        self.write_mem(out, &encode_ts(self.p.now(c)))?;
        Ok(0)
    }

    /// clock_getres(2).
    pub fn sys_clock_getres(&self, id: u64, out: u64) -> SysResult {
        let c = clock_of(id)?;
        if out != 0 {
            self.write_mem(out, &encode_ts(self.p.resolution(c)))?;
        }
        Ok(0)
    }

    /// gettimeofday(2).
    pub fn sys_gettimeofday(&self, tv: u64, tz: u64) -> SysResult {
        let now = self.p.now(ClockKind::Realtime);
        if tv != 0 {
            self.write_mem(
                tv,
                &Timespec {
                    sec: now.secs() as i64,
                    nsec: (now.subsec_nanos() / 1000) as i64,
                }
                .encode(),
            )?;
        }
        if tz != 0 {
            self.write_mem(tz, &[0u8; 8])?;
        }
        Ok(0)
    }

    /// time(2).
    pub fn sys_time(&self, out: u64) -> SysResult {
        let s = self.p.now(ClockKind::Realtime).secs();
        if out != 0 {
            self.write_u64(out, s)?;
        }
        Ok(s)
    }

    /// Sleep `d` unless a signal comes first: then the time that was left (nanosleep(2)
    /// "rem").
    fn sleep_for(&self, t: &Thread, d: Nanos) -> Result<(), Nanos> {
        let start = self.p.now(ClockKind::Monotonic).0;
        let end = start.saturating_add(d.0);
        loop {
            // On the readiness epoch, as `sys_pause`: a signal from another process bumps it,
            // also where no host kick can reach this process (no pid namespace).
            let seen = self.epoch.current();
            let now = self.p.now(ClockKind::Monotonic).0;
            if now >= end {
                return Ok(());
            }
            if self.signal_pending(t) {
                return Err(Nanos(end - now));
            }
            let _ = self.p.wait(self.epoch.word(), seen, Some(Nanos(end - now)));
        }
    }

    /// nanosleep(2).
    pub fn sys_nanosleep(&self, t: &Thread, req: u64, rem: u64) -> SysResult {
        let ts = Timespec::decode(&self.read_mem(req, 16)?);
        if ts.nsec < 0 || ts.nsec >= 1_000_000_000 || ts.sec < 0 {
            return Err(Errno::EINVAL.into());
        }
        match self.sleep_for(t, Nanos(ts.as_nanos())) {
            Ok(()) => Ok(0),
            Err(left) => {
                if rem != 0 {
                    self.write_mem(rem, &encode_ts(left))?;
                }
                Err(Errno::EINTR.into())
            }
        }
    }

    /// clock_nanosleep(2).
    pub fn sys_clock_nanosleep(
        &self,
        t: &Thread,
        id: u64,
        flags: u64,
        req: u64,
        rem: u64,
    ) -> SysResult {
        const TIMER_ABSTIME: u64 = 1;
        let c = clock_of(id)?;
        let ts = Timespec::decode(&self.read_mem(req, 16)?);
        if ts.nsec < 0 || ts.nsec >= 1_000_000_000 || ts.sec < 0 {
            return Err(Errno::EINVAL.into());
        }
        let d = if flags & TIMER_ABSTIME != 0 {
            ts.as_nanos().saturating_sub(self.p.now(c).0)
        } else {
            ts.as_nanos()
        };
        match self.sleep_for(t, Nanos(d)) {
            Ok(()) => Ok(0),
            Err(left) => {
                if rem != 0 && flags & TIMER_ABSTIME == 0 {
                    self.write_mem(rem, &encode_ts(left))?;
                }
                Err(Errno::EINTR.into())
            }
        }
    }

    /// pause(2).
    pub fn sys_pause(&self, t: &Thread) -> SysResult {
        loop {
            // A signal from another process comes with a readiness bump (`post_to`) and a
            // host kick that is lost if it lands between the check and the wait: wait on
            // the epoch so the bump alone ends the wait.
            let seen = self.epoch.current();
            if self.signal_pending(t) {
                return Err(Errno::EINTR.into());
            }
            let _ = self
                .p
                .wait(self.epoch.word(), seen, Some(Nanos(3_600_000_000_000)));
        }
    }

    /// rt_sigsuspend(2).
    pub fn sys_rt_sigsuspend(&self, t: &Thread, mask: u64, size: u64) -> SysResult {
        if size != 8 {
            return Err(Errno::EINVAL.into());
        }
        let m = self.read_u64(mask)?;
        let old = t
            .sigmask
            .swap(m & !meridian_abi::signal::UNBLOCKABLE, Ordering::AcqRel);
        // The handler's frame records `old`, so its sigreturn restores it (sigsuspend(2)).
        t.saved_mask.store(old, Ordering::Release);
        t.has_saved_mask.store(true, Ordering::Release);
        self.sys_pause(t)
    }

    /// uname(2).
    pub fn sys_uname(&self, out: u64) -> SysResult {
        let b = meridian_abi::layout::encode_utsname([
            b"Linux",
            &self.config.hostname,
            &self.config.release,
            b"#1 SMP Meridian",
            b"x86_64",
            b"(none)",
        ]);
        self.write_mem(out, &b)?;
        Ok(0)
    }

    /// sysinfo(2).
    pub fn sys_sysinfo(&self, out: u64) -> SysResult {
        let up = (self
            .p
            .now(ClockKind::Monotonic)
            .0
            .saturating_sub(self.started))
            / 1_000_000_000;
        let procs = self.threads.lock().len() as u16;
        self.write_mem(
            out,
            &meridian_abi::layout::encode_sysinfo(
                up,
                self.config.memory.0,
                self.config.memory.1,
                procs,
            ),
        )?;
        Ok(0)
    }

    /// times(2).
    pub fn sys_times(&self, out: u64) -> SysResult {
        const CLK_TCK: u64 = 100;
        let cpu = self.p.now(ClockKind::ProcessCpu).0 / (1_000_000_000 / CLK_TCK);
        if out != 0 {
            let mut b = [0u8; 32];
            Fields(&mut b).u64(0, cpu);
            self.write_mem(out, &b)?;
        }
        Ok(self.p.now(ClockKind::Monotonic).0 / (1_000_000_000 / CLK_TCK))
    }

    /// getrusage(2): CPU time as user time.
    pub fn sys_getrusage(&self, who: u64, out: u64) -> SysResult {
        let cpu = match who as i64 {
            0 => self.p.now(ClockKind::ProcessCpu),
            1 => self.p.now(ClockKind::ThreadCpu),
            -1 => Nanos(0),
            _ => return Err(Errno::EINVAL.into()),
        };
        let mut b = [0u8; 144];
        let mut f = Fields(&mut b);
        f.u64(0, cpu.secs());
        f.u64(8, cpu.subsec_nanos() / 1000);
        self.write_mem(out, &b)?;
        Ok(0)
    }

    /// The (soft, hard) value of resource `r`.
    pub fn rlimit(&self, r: u32) -> (u64, u64) {
        self.rlimits
            .lock()
            .get(&r)
            .copied()
            .unwrap_or((RLIM_INFINITY, RLIM_INFINITY))
    }

    /// Whether mapping `[start, start+len)` in `mm` would pass RLIMIT_AS.
    pub fn over_memory_limit(
        &self,
        mm: &meridian_core::mm::AddressSpace,
        start: u64,
        len: u64,
    ) -> bool {
        let limit = self.rlimit(RLIMIT_AS).0;
        limit != RLIM_INFINITY && mm.would_exceed(start, len, limit)
    }

    /// prlimit64(2) on the process itself.
    pub fn sys_prlimit64(&self, pid: u64, res: u64, new: u64, old: u64) -> SysResult {
        if pid != 0 && pid != u64::from(self.pid) {
            return Err(Errno::ESRCH.into());
        }
        let r = u32::try_from(res)
            .ok()
            .filter(|&r| r < RLIMIT_COUNT)
            .ok_or(SysError(Errno::EINVAL))?;
        let mut lim = self.rlimits.lock();
        let cur = lim
            .get(&r)
            .copied()
            .unwrap_or((RLIM_INFINITY, RLIM_INFINITY));
        if old != 0 {
            let mut b = [0u8; 16];
            let mut f = Fields(&mut b);
            f.u64(0, cur.0);
            f.u64(8, cur.1);
            self.write_mem(old, &b)?;
        }
        if new != 0 {
            let b = self.read_mem(new, 16)?;
            let (soft, hard) = (
                meridian_abi::layout::get_u64(&b, 0),
                meridian_abi::layout::get_u64(&b, 8),
            );
            if soft > hard {
                return Err(Errno::EINVAL.into());
            }
            if hard > cur.1 {
                return Err(Errno::EPERM.into());
            }
            lim.insert(r, (soft, hard));
            if r == RLIMIT_NOFILE {
                self.fds.lock().set_limit(descriptor_limit(&lim));
            }
        }
        Ok(0)
    }

    /// getrandom(2).
    pub fn sys_getrandom(&self, buf: u64, len: u64, flags: u64) -> SysResult {
        if flags & !7 != 0 {
            return Err(Errno::EINVAL.into());
        }
        // drivers/char/random.c: the length is cut to MAX_RW_COUNT, the buffer must lie in
        // user space, and the bytes are copied until the first fault.
        let len = len.min(crate::mem::MAX_RW_COUNT);
        crate::mem::check_user_range(buf, len)?;
        let mut done = 0usize;
        while done < len as usize {
            let chunk = (len as usize - done).min(crate::mem::MAX_IO_CHUNK_BYTES);
            let mut b = crate::mem::zeroed(chunk)?;
            self.p.fill_random(&mut b);
            match self.write_mem_prefix(buf + done as u64, &b) {
                Ok(n) if n == chunk => done += n,
                Ok(n) => {
                    done += n;
                    break;
                }
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done as u64)
    }

    /// prctl(2).
    pub fn sys_prctl(&self, option: u64, arg: u64) -> SysResult {
        const PR_SET_PDEATHSIG: u64 = 1;
        const PR_GET_DUMPABLE: u64 = 3;
        const PR_SET_DUMPABLE: u64 = 4;
        const PR_SET_NAME: u64 = 15;
        const PR_GET_NAME: u64 = 16;
        match option {
            PR_SET_NAME => {
                let name = self.read_cstr(arg, 4096)?;
                let mut n = name;
                n.truncate(15);
                self.image.lock().comm = n;
                self.publish_view();
                Ok(0)
            }
            PR_GET_NAME => {
                let mut b = self.image.lock().comm.clone();
                b.resize(16, 0);
                self.write_mem(arg, &b)?;
                Ok(0)
            }
            PR_SET_PDEATHSIG | PR_SET_DUMPABLE => Ok(0),
            PR_GET_DUMPABLE => Ok(1),
            _ => {
                self.report_once(
                    0x4_0000u64.wrapping_add(option),
                    format_args!("prctl option {option} is not supported: returning EINVAL"),
                );
                Err(Errno::EINVAL.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inherited limits pass through; the policy tightens soft and hard, never loosens; core
    /// dumps stay off.
    #[test]
    fn the_policy_tightens_inherited_rlimits() {
        const INF: u64 = RLIM_INFINITY;
        let mut inherited = alloc::vec![(INF, INF); RLIMIT_COUNT as usize];
        inherited[RLIMIT_NOFILE as usize] = (256, 512);
        inherited[RLIMIT_CPU as usize] = (5, 100);
        inherited[RLIMIT_STACK as usize] = (4 << 20, 64 << 20);
        let none = crate::Limits::default();
        let m = rlimits_for(&none, &inherited);
        assert_eq!(m[&RLIMIT_NOFILE], (256, 512));
        assert_eq!(m[&RLIMIT_STACK], (4 << 20, 64 << 20));
        assert_eq!(m[&RLIMIT_CORE], (0, INF));
        assert_eq!(descriptor_limit(&m), 256);
        let loose = crate::Limits {
            open_files: Some(1000),
            cpu_seconds: Some(10),
            memory: Some(1 << 30),
            ..none
        };
        let m = rlimits_for(&loose, &inherited);
        assert_eq!(m[&RLIMIT_NOFILE], (256, 512), "never loosened");
        assert_eq!(m[&RLIMIT_CPU], (5, 11));
        assert_eq!(m[&RLIMIT_AS], (1 << 30, 1 << 30));
        let tight = crate::Limits {
            open_files: Some(100),
            ..none
        };
        assert_eq!(rlimits_for(&tight, &inherited)[&RLIMIT_NOFILE], (100, 100));
        // Without inherited limits (the test platform), the defaults.
        assert_eq!(
            rlimits_for(&none, &[])[&RLIMIT_NOFILE],
            (DEFAULT_NOFILE, 4096)
        );
    }
}
