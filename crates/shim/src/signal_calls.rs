//! Signal syscalls that send signals and wait for them: kill, tgkill, tkill,
//! rt_sigqueueinfo, rt_tgsigqueueinfo and rt_sigtimedwait.
//!
//! The sandbox holds one process, so every target is this process or one of its threads;
//! the checks keep the kernel's order (kernel/signal.c) so that a bad call fails with the
//! errno Linux gives. `pid_t` and `int` arguments are the low 32 bits of their registers,
//! as the kernel reads them. Queuing and delivery are in [`crate::signal`].

use crate::errno::{SysError, SysResult};
use crate::signal::Target;
use crate::{Kernel, LinuxPlatform, Thread};
use meridian_abi::Errno;
use meridian_abi::layout::Timespec;
use meridian_abi::signal::{KERNEL_SIGINFO_SIZE, NSIG, SigInfo, UNBLOCKABLE, si_code};
use meridian_core::time::{ClockKind, Nanos};

/// The uid every sender has: the guest runs as root.
const SENDER_UID: u32 = 0;
/// How long one wait without a deadline sleeps before looking again.
const WAIT_SLICE: Nanos = Nanos(3_600_000_000_000);

/// A signal number as `valid_signal` accepts it (0 probes; above `_NSIG` is EINVAL).
fn valid_signal(sig: u64) -> Result<u32, SysError> {
    u32::try_from(sig as i32)
        .ok()
        .filter(|&s| s <= NSIG)
        .ok_or(SysError(Errno::EINVAL))
}

/// Whether a guest-made siginfo claims to come from the kernel or from kill/tgkill, which
/// a process may only do to itself (`do_rt_sigqueueinfo`).
fn impersonates_kernel(info: &SigInfo) -> bool {
    info.code >= 0 || info.code == si_code::SI_TKILL
}

impl<P: LinuxPlatform> Kernel<P> {
    /// kill(2). The only process is this one, leader of its own group; kill(-1) reaches
    /// every process but init and the caller (`kill_something_info`), so none here.
    pub fn sys_kill(&self, t: &Thread, pid: u64, sig: u64) -> SysResult {
        // kill(2): a missing target (ESRCH) is found before a bad signal (EINVAL), as in
        // `kill_pid_info` (kernel/signal.c).
        let uid = self.creds.lock().uid[0];
        self.kill_processes(t, pid as i32, || {
            let sig = valid_signal(sig)?;
            Ok(SigInfo::sender(sig, si_code::SI_USER, self.pid, uid))
        })
    }

    /// tgkill(2).
    pub fn sys_tgkill(&self, t: &Thread, tgid: u64, tid: u64, sig: u64) -> SysResult {
        let (tgid, tid) = (tgid as i32, tid as i32);
        if tgid <= 0 || tid <= 0 {
            return Err(Errno::EINVAL.into());
        }
        self.send_specific(t, Some(tgid), tid, sig, |sig| {
            SigInfo::sender(sig, si_code::SI_TKILL, self.pid, SENDER_UID)
        })
    }

    /// tkill(2).
    pub fn sys_tkill(&self, t: &Thread, tid: u64, sig: u64) -> SysResult {
        let tid = tid as i32;
        if tid <= 0 {
            return Err(Errno::EINVAL.into());
        }
        self.send_specific(t, None, tid, sig, |sig| {
            SigInfo::sender(sig, si_code::SI_TKILL, self.pid, SENDER_UID)
        })
    }

    /// rt_sigqueueinfo(2): send `sig` with the caller's siginfo to process `tgid`.
    pub fn sys_rt_sigqueueinfo(&self, t: &Thread, tgid: u64, sig: u64, uinfo: u64) -> SysResult {
        let info = SigInfo::decode(sig as u32, &self.read_mem(uinfo, KERNEL_SIGINFO_SIZE)?);
        let tgid = tgid as i32;
        // The kernel compares the calling thread's id, not its process id.
        if impersonates_kernel(&info) && tgid != t.tid as i32 {
            return Err(Errno::EPERM.into());
        }
        if tgid <= 0 {
            return Err(Errno::ESRCH.into());
        }
        self.kill_processes(t, tgid, || {
            valid_signal(sig)?;
            Ok(info)
        })
    }

    /// rt_tgsigqueueinfo(2): send `sig` with the caller's siginfo to thread `tid`.
    pub fn sys_rt_tgsigqueueinfo(
        &self,
        t: &Thread,
        tgid: u64,
        tid: u64,
        sig: u64,
        uinfo: u64,
    ) -> SysResult {
        let info = SigInfo::decode(sig as u32, &self.read_mem(uinfo, KERNEL_SIGINFO_SIZE)?);
        let (tgid, tid) = (tgid as i32, tid as i32);
        if tgid <= 0 || tid <= 0 {
            return Err(Errno::EINVAL.into());
        }
        if impersonates_kernel(&info) && tid != t.tid as i32 {
            return Err(Errno::EPERM.into());
        }
        // `decode` gave the siginfo the signal number, as the kernel does.
        self.send_specific(t, Some(tgid), tid, sig, |_| info)
    }

    /// Send to one thread (`do_send_specific`): ESRCH unless `tid` is a live thread of the
    /// process `tgid` (any, when `None`); then the signal is checked; 0 only probes.
    fn send_specific(
        &self,
        from: &Thread,
        tgid: Option<i32>,
        tid: i32,
        sig: u64,
        info: impl FnOnce(u32) -> SigInfo,
    ) -> SysResult {
        let target = u32::try_from(tid)
            .ok()
            .and_then(|tid| self.thread(tid))
            .filter(|_| tgid.is_none_or(|g| g == self.pid as i32))
            .ok_or(SysError(Errno::ESRCH))?;
        let sig = valid_signal(sig)?;
        if sig == 0 {
            return Ok(0);
        }
        self.send_signal(from, Target::Thread(&target), info(sig))
    }

    /// rt_sigtimedwait(2): take a pending signal of `set` without running its handler
    /// (`do_sigtimedwait`). EAGAIN when `timeout` passes first (at once for a zero timeout),
    /// EINTR when another, unblocked signal arrives.
    pub fn sys_rt_sigtimedwait(
        &self,
        t: &Thread,
        set: u64,
        uinfo: u64,
        timeout: u64,
        setsize: u64,
    ) -> SysResult {
        if setsize != 8 {
            return Err(Errno::EINVAL.into());
        }
        // SIGKILL and SIGSTOP cannot be waited for (sigwaitinfo(2), NOTES).
        let wanted = self.read_u64(set)? & !UNBLOCKABLE;
        let deadline = if timeout == 0 {
            None
        } else {
            let ts = Timespec::decode(&self.read_mem(timeout, 16)?);
            if ts.sec < 0 || !(0..1_000_000_000).contains(&ts.nsec) {
                return Err(Errno::EINVAL.into());
            }
            let now = self.p.now(ClockKind::Monotonic).0;
            Some(now.saturating_add(ts.as_nanos()))
        };
        loop {
            let seen = self.epoch.current();
            if let Some(info) = self.take_signal(t, wanted) {
                if uinfo != 0 {
                    self.write_mem(uinfo, &info.encode())?;
                }
                return Ok(u64::from(info.signo));
            }
            let now = self.p.now(ClockKind::Monotonic).0;
            if deadline.is_some_and(|d| now >= d) {
                return Err(Errno::EAGAIN.into());
            }
            if self.signal_pending(t) {
                return Err(Errno::EINTR.into());
            }
            // A signal sent to this thread or the process kicks it out of the wait; one from
            // another process also bumps the epoch (its host kick may land before the wait).
            let _ = self.p.wait(
                self.epoch.word(),
                seen,
                Some(deadline.map_or(WAIT_SLICE, |d| Nanos(d - now))),
            );
        }
    }
}
