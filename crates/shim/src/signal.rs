//! Guest signals: dispositions, masks, pending sets, frame construction and sigreturn.
//!
//! Every host signal belongs to the library OS; the guest's signals are virtual. A signal
//! is delivered when the guest thread leaves the library OS (after a syscall, a fault or an
//! interruption): the shim writes a Linux `rt_sigframe` on the guest stack and points the
//! saved registers at the handler, exactly as arch/x86/kernel/signal_64.c does, so that
//! handlers reading their `ucontext_t`, and `rt_sigreturn`, see what Linux gives them.

use crate::errno::{SysError, SysResult};
use crate::{Kernel, LinuxPlatform, Thread};
use core::sync::atomic::{AtomicU64, Ordering};
use meridian_abi::layout::Fields;
use meridian_abi::signal::{
    self as abisig, DefaultAction, NSIG, SigAction, SigInfo, UNBLOCKABLE, frame, sa, si_code,
    sigbit,
};
use meridian_abi::{CpuContext, Errno};
use meridian_core::platform::Resume;
use spin::Mutex;

/// Dispositions and the process-wide pending set.
pub struct SignalState {
    actions: Mutex<[SigAction; NSIG as usize]>,
    /// Pending for the process (any thread may take it).
    pub pending: AtomicU64,
}

impl Default for SignalState {
    fn default() -> Self {
        Self::new()
    }
}

impl SignalState {
    /// All default.
    pub fn new() -> Self {
        SignalState {
            actions: Mutex::new([SigAction::default(); NSIG as usize]),
            pending: AtomicU64::new(0),
        }
    }
    /// The action for `signo` (1..=64).
    pub fn action(&self, signo: u32) -> SigAction {
        self.actions
            .lock()
            .get(signo as usize - 1)
            .copied()
            .unwrap_or_default()
    }
    /// Mark `signo` pending for the process. Lock-free: called from host signal handlers.
    pub fn raise_process(&self, signo: u32) {
        self.pending.fetch_or(sigbit(signo), Ordering::AcqRel);
    }
}

const EFLAGS_DF: u64 = 1 << 10;
const EFLAGS_TF: u64 = 1 << 8;
const SS_ONSTACK: u32 = 1;
const SS_DISABLE: u32 = 2;
/// FXSAVE bytes the guest may change on sigreturn; 464..576 (software-reserved bytes and the
/// XSAVE header) stay the host's so a guest cannot make the host's xrstor fail.
const FPU_KEEP: core::ops::Range<usize> = 464..576;

impl<P: LinuxPlatform> Kernel<P> {
    fn take_signal(&self, t: &Thread) -> Option<u32> {
        let mask = t.sigmask.load(Ordering::Acquire);
        let tp = t.pending.load(Ordering::Acquire) & !mask;
        if tp != 0 {
            let sig = tp.trailing_zeros() + 1;
            t.pending.fetch_and(!sigbit(sig), Ordering::AcqRel);
            return Some(sig);
        }
        let pp = self.signals.pending.load(Ordering::Acquire) & !mask;
        if pp != 0 {
            let sig = pp.trailing_zeros() + 1;
            if self
                .signals
                .pending
                .fetch_and(!sigbit(sig), Ordering::AcqRel)
                & sigbit(sig)
                != 0
            {
                return Some(sig);
            }
        }
        None
    }

    /// Whether a signal is deliverable to `t` now (blocking calls then return EINTR).
    pub fn signal_pending(&self, t: &Thread) -> bool {
        let mask = t.sigmask.load(Ordering::Acquire);
        (t.pending.load(Ordering::Acquire) | self.signals.pending.load(Ordering::Acquire)) & !mask
            != 0
    }

    /// Deliver pending signals on the way back to guest code. `restart_nr` is the syscall
    /// just served, for SA_RESTART.
    pub fn deliver_signals(
        &self,
        t: &Thread,
        ctx: &mut CpuContext,
        fpu: &mut [u8],
        restart_nr: Option<u64>,
    ) -> Resume {
        while let Some(sig) = self.take_signal(t) {
            let info = SigInfo {
                signo: sig,
                code: si_code::SI_USER,
                pid: self.pid,
                ..SigInfo::default()
            };
            match self.deliver_one(t, sig, info, ctx, fpu, restart_nr) {
                Some(r) => return r,
                None => continue,
            }
        }
        if t.has_saved_mask.swap(false, Ordering::AcqRel) {
            t.sigmask
                .store(t.saved_mask.load(Ordering::Acquire), Ordering::Release);
        }
        Resume::Guest
    }

    /// A synchronous fault in guest code.
    pub fn deliver_fault(
        &self,
        t: &Thread,
        signo: u32,
        code: i32,
        addr: u64,
        ctx: &mut CpuContext,
        fpu: &mut [u8],
    ) -> Resume {
        let act = self.signals.action(signo);
        let blocked = t.sigmask.load(Ordering::Acquire) & sigbit(signo) != 0;
        // A blocked or ignored synchronous fault kills, as the kernel's force_sig does.
        if blocked || act.handler == abisig::SIG_IGN || act.handler == abisig::SIG_DFL {
            return Resume::KilledBy(signo);
        }
        let info = SigInfo {
            signo,
            code,
            addr,
            ..SigInfo::default()
        };
        self.deliver_one(t, signo, info, ctx, fpu, None)
            .unwrap_or(Resume::Guest)
    }

    /// Deliver one signal: `Some(resume)` when the thread must go somewhere now.
    fn deliver_one(
        &self,
        t: &Thread,
        sig: u32,
        info: SigInfo,
        ctx: &mut CpuContext,
        fpu: &mut [u8],
        restart_nr: Option<u64>,
    ) -> Option<Resume> {
        let act = self.signals.action(sig);
        if act.handler == abisig::SIG_IGN {
            return None;
        }
        if act.handler == abisig::SIG_DFL {
            return match abisig::default_action(sig) {
                DefaultAction::Terminate | DefaultAction::Core => Some(Resume::KilledBy(sig)),
                DefaultAction::Ignore | DefaultAction::Continue | DefaultAction::Stop => None,
            };
        }
        if let Some(nr) = restart_nr
            && ctx.rax == Errno::EINTR.to_return()
            && act.flags & sa::SA_RESTART != 0
            && restartable(nr)
        {
            ctx.rax = nr;
            ctx.rip = ctx.rip.wrapping_sub(2);
        }
        let current = t.sigmask.load(Ordering::Acquire);
        let frame_mask = if t.has_saved_mask.swap(false, Ordering::AcqRel) {
            t.saved_mask.load(Ordering::Acquire)
        } else {
            current
        };
        match self.build_frame(t, sig, &act, &info, ctx, fpu, frame_mask) {
            Ok(()) => {
                let mut mask = current | act.mask;
                if act.flags & sa::SA_NODEFER == 0 {
                    mask |= sigbit(sig);
                }
                t.sigmask.store(mask & !UNBLOCKABLE, Ordering::Release);
                if act.flags & sa::SA_RESETHAND != 0
                    && let Some(a) = self.signals.actions.lock().get_mut(sig as usize - 1)
                {
                    *a = SigAction::default();
                }
                Some(Resume::Guest)
            }
            // The frame cannot be written: Linux forces SIGSEGV, which then kills.
            Err(_) => Some(Resume::KilledBy(abisig::sig::SIGSEGV)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn build_frame(
        &self,
        t: &Thread,
        sig: u32,
        act: &SigAction,
        info: &SigInfo,
        ctx: &mut CpuContext,
        fpu: &[u8],
        frame_mask: u64,
    ) -> Result<(), SysError> {
        let (ss_sp, ss_size, ss_flags) = *t.altstack.lock();
        let on_alt = ss_flags & SS_DISABLE == 0 && ctx.rsp.wrapping_sub(ss_sp) < ss_size;
        let mut sp = if act.flags & sa::SA_ONSTACK != 0 && ss_flags & SS_DISABLE == 0 && !on_alt {
            ss_sp + ss_size
        } else {
            ctx.rsp.wrapping_sub(frame::RED_ZONE)
        };
        sp = sp.wrapping_sub(fpu.len() as u64) & !63;
        let fpstate = sp;
        self.write_mem(fpstate, fpu)?;
        let base = (sp.wrapping_sub(frame::SIZE) & !15).wrapping_sub(8);
        let mut f = alloc::vec![0u8; frame::SIZE as usize];
        let mut w = Fields(&mut f);
        w.u64(0, act.restorer);
        let uc = frame::UCONTEXT as usize;
        w.u64(uc + frame::UC_FLAGS as usize, frame::UC_FLAGS_VALUE);
        w.u64(uc + frame::UC_STACK as usize, ss_sp);
        w.u32(
            uc + frame::UC_STACK as usize + 8,
            if on_alt { SS_ONSTACK } else { ss_flags },
        );
        w.u64(uc + frame::UC_STACK as usize + 16, ss_size);
        let mc = uc + frame::UC_MCONTEXT as usize;
        for (i, v) in ctx.to_words().iter().enumerate() {
            w.u64(mc + 8 * i, *v);
        }
        w.u64(mc + frame::MC_FPSTATE as usize, fpstate);
        w.u64(uc + frame::UC_SIGMASK as usize, frame_mask);
        w.put(frame::SIGINFO as usize, &info.encode());
        self.write_mem(base, &f)?;
        ctx.rip = act.handler;
        ctx.rsp = base;
        ctx.rdi = u64::from(sig);
        ctx.rsi = base + frame::SIGINFO;
        ctx.rdx = base + frame::UCONTEXT;
        ctx.rax = 0;
        ctx.eflags &= !(EFLAGS_DF | EFLAGS_TF);
        Ok(())
    }

    /// rt_sigreturn(2): restore the context saved by [`Self::build_frame`].
    pub fn sys_rt_sigreturn(
        &self,
        t: &Thread,
        ctx: &mut CpuContext,
        fpu: &mut [u8],
    ) -> Result<(), SysError> {
        let uc = ctx.rsp;
        let raw = self.read_mem(uc, frame::UCONTEXT_SIZE as usize)?;
        let mut words = [0u64; meridian_abi::regs::SIGCONTEXT_WORDS];
        for (i, w) in words.iter_mut().enumerate() {
            *w = meridian_abi::layout::get_u64(&raw, frame::UC_MCONTEXT as usize + 8 * i);
        }
        let mut restored = CpuContext::from_words(&words);
        // Segment selectors and flags the guest cannot choose stay as they are.
        restored.segs = ctx.segs;
        restored.eflags = (ctx.eflags & !0x0dd5) | (restored.eflags & 0x0dd5);
        let fpstate =
            meridian_abi::layout::get_u64(&raw, (frame::UC_MCONTEXT + frame::MC_FPSTATE) as usize);
        if fpstate != 0 && !fpu.is_empty() {
            let saved = self.read_mem(fpstate, fpu.len())?;
            for (i, (d, s)) in fpu.iter_mut().zip(saved.iter()).enumerate() {
                if !FPU_KEEP.contains(&i) {
                    *d = *s;
                }
            }
        }
        let mask = meridian_abi::layout::get_u64(&raw, frame::UC_SIGMASK as usize);
        t.sigmask.store(mask & !UNBLOCKABLE, Ordering::Release);
        *ctx = restored;
        Ok(())
    }

    /// rt_sigaction(2).
    pub fn sys_rt_sigaction(&self, signo: u64, act: u64, old: u64, setsize: u64) -> SysResult {
        if setsize != 8 || signo == 0 || signo > u64::from(NSIG) {
            return Err(Errno::EINVAL.into());
        }
        let s = signo as u32;
        let new = if act != 0 {
            Some(SigAction::decode(
                &self.read_mem(act, abisig::SIGACTION_SIZE)?,
            ))
        } else {
            None
        };
        if new.is_some() && (s == abisig::sig::SIGKILL || s == abisig::sig::SIGSTOP) {
            return Err(Errno::EINVAL.into());
        }
        let prev = {
            let mut acts = self.signals.actions.lock();
            let slot = acts
                .get_mut(s as usize - 1)
                .ok_or(SysError(Errno::EINVAL))?;
            let prev = *slot;
            if let Some(mut n) = new {
                n.mask &= !UNBLOCKABLE;
                *slot = n;
            }
            prev
        };
        if old != 0 {
            self.write_mem(old, &prev.encode())?;
        }
        Ok(0)
    }

    /// rt_sigprocmask(2).
    pub fn sys_rt_sigprocmask(
        &self,
        t: &Thread,
        how: u64,
        set: u64,
        old: u64,
        setsize: u64,
    ) -> SysResult {
        const SIG_BLOCK: u64 = 0;
        const SIG_UNBLOCK: u64 = 1;
        const SIG_SETMASK: u64 = 2;
        if setsize != 8 {
            return Err(Errno::EINVAL.into());
        }
        let cur = t.sigmask.load(Ordering::Acquire);
        if set != 0 {
            let s = self.read_u64(set)?;
            let new = match how {
                SIG_BLOCK => cur | s,
                SIG_UNBLOCK => cur & !s,
                SIG_SETMASK => s,
                _ => return Err(Errno::EINVAL.into()),
            };
            t.sigmask.store(new & !UNBLOCKABLE, Ordering::Release);
        }
        if old != 0 {
            self.write_u64(old, cur)?;
        }
        Ok(0)
    }

    /// rt_sigpending(2).
    pub fn sys_rt_sigpending(&self, t: &Thread, set: u64, setsize: u64) -> SysResult {
        if setsize != 8 {
            return Err(Errno::EINVAL.into());
        }
        let p = (t.pending.load(Ordering::Acquire) | self.signals.pending.load(Ordering::Acquire))
            & t.sigmask.load(Ordering::Acquire);
        self.write_u64(set, p)?;
        Ok(0)
    }

    /// sigaltstack(2).
    pub fn sys_sigaltstack(&self, t: &Thread, ss: u64, old: u64, rsp: u64) -> SysResult {
        const MINSIGSTKSZ: u64 = 2048;
        let cur = *t.altstack.lock();
        let on = cur.2 & SS_DISABLE == 0 && rsp.wrapping_sub(cur.0) < cur.1;
        if old != 0 {
            let mut b = [0u8; 24];
            let mut f = Fields(&mut b);
            f.u64(0, cur.0);
            f.u32(8, if on { SS_ONSTACK } else { cur.2 });
            f.u64(16, cur.1);
            self.write_mem(old, &b)?;
        }
        if ss != 0 {
            if on {
                return Err(Errno::EPERM.into());
            }
            let b = self.read_mem(ss, 24)?;
            let (sp, flags, size) = (
                meridian_abi::layout::get_u64(&b, 0),
                meridian_abi::layout::get_u32(&b, 8),
                meridian_abi::layout::get_u64(&b, 16),
            );
            if flags & !(SS_DISABLE | (1 << 31)) != 0 {
                return Err(Errno::EINVAL.into());
            }
            if flags & SS_DISABLE != 0 {
                *t.altstack.lock() = (0, 0, SS_DISABLE);
            } else {
                if size < MINSIGSTKSZ {
                    return Err(Errno::ENOMEM.into());
                }
                *t.altstack.lock() = (sp, size, 0);
            }
        }
        Ok(0)
    }

    /// Send `sig` to thread `tid` of this process (tgkill/tkill).
    pub fn send_to_thread(&self, tid: u32, sig: u32) -> SysResult {
        if sig > NSIG {
            return Err(Errno::EINVAL.into());
        }
        let t = self.thread(tid).ok_or(SysError(Errno::ESRCH))?;
        if sig != 0 {
            t.pending.fetch_or(sigbit(sig), Ordering::AcqRel);
            self.p.kick_thread(tid);
        }
        Ok(0)
    }

    /// Send `sig` to the process (kill to our pid).
    pub fn send_to_process(&self, sig: u32) -> SysResult {
        if sig > NSIG {
            return Err(Errno::EINVAL.into());
        }
        if sig != 0 {
            self.signals.raise_process(sig);
            let tids: alloc::vec::Vec<u32> = self.threads.lock().keys().copied().collect();
            for tid in tids {
                self.p.kick_thread(tid);
            }
        }
        Ok(0)
    }
}

/// Syscalls that SA_RESTART restarts (signal(7), "Interruption of system call").
fn restartable(nr: u64) -> bool {
    use meridian_abi::uapi as u;
    [
        u::__NR_read,
        u::__NR_write,
        u::__NR_readv,
        u::__NR_writev,
        u::__NR_pread64,
        u::__NR_pwrite64,
        u::__NR_wait4,
        u::__NR_futex,
        u::__NR_openat,
        u::__NR_ioctl,
    ]
    .iter()
    .any(|&n| u64::from(n) == nr)
}
