//! Guest signals: dispositions, masks, sending, frame construction and sigreturn.
//!
//! Every host signal belongs to the library OS; the guest's signals are virtual. A signal
//! sent by the guest is queued with its siginfo on the target thread or on the process
//! ([`crate::sigpending`]); a forwarded host signal is only marked, lock-free. A signal
//! is delivered when the guest thread leaves the library OS (after a syscall, a fault or an
//! interruption): the shim writes a Linux `rt_sigframe` on the guest stack and points the
//! saved registers at the handler, exactly as arch/x86/kernel/signal_64.c does, so that
//! handlers reading their `ucontext_t`, and `rt_sigreturn`, see what Linux gives them.

use crate::errno::{SysError, SysResult};
use crate::sigpending::{Pending, QueueFull};
use crate::{Kernel, LinuxPlatform, Thread};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use meridian_abi::layout::Fields;
use meridian_abi::signal::{
    self as abisig, DefaultAction, NSIG, SigAction, SigInfo, UNBLOCKABLE, frame, sa, sigbit,
};
use meridian_abi::{CpuContext, Errno};
use meridian_core::platform::Resume;
use spin::Mutex;

/// `RLIMIT_SIGPENDING`: how many signals may be queued.
pub const RLIMIT_SIGPENDING: u32 = 11;
/// Most siginfo entries one pending queue holds whatever the limit says, which bounds the
/// memory a guest can make the library OS hold (Linux counts per user instead).
pub const MAX_QUEUED_SIGNALS: usize = 32_768;

/// Dispositions and the process-wide pending set.
pub struct SignalState {
    actions: Mutex<[SigAction; NSIG as usize]>,
    /// Pending for the process (any thread that does not block one may take it).
    pub pending: Pending,
    /// Host signals forwarded since a thread last woke the others for them (the host
    /// handler that records one may not take the locks waking needs).
    unrouted: AtomicU64,
    /// The process is stopped by a stop signal ([`crate::jobctl`]).
    pub stopped: AtomicBool,
    /// A stop signal may have been taken for delivery and no SIGCONT was sent since
    /// (`JOBCTL_STOP_DEQUEUED`, kernel/signal.c): a stop is abandoned without it.
    pub stop_dequeued: AtomicBool,
}

/// Where a signal is sent.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    /// One thread (tgkill, rt_tgsigqueueinfo, a signal the kernel raises for a thread).
    Thread(&'a Thread),
    /// The process: whichever thread does not block it (kill, rt_sigqueueinfo).
    Process,
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
            pending: Pending::new(),
            unrouted: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            stop_dequeued: AtomicBool::new(false),
        }
    }
    /// fork's copy: the same dispositions, nothing pending (fork(2)).
    pub fn fork_copy(&self) -> Self {
        SignalState {
            actions: Mutex::new(*self.actions.lock()),
            pending: Pending::new(),
            unrouted: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            stop_dequeued: AtomicBool::new(false),
        }
    }

    /// execve(2): caught signals go back to their default action; ignored ones stay
    /// ignored (signal(7), "Signal disposition"; kernel/signal.c `flush_signal_handlers`,
    /// which also clears each action's flags and mask).
    pub fn reset_for_exec(&self) {
        for a in self.actions.lock().iter_mut() {
            if a.handler != abisig::SIG_IGN {
                *a = SigAction::default();
            } else {
                *a = SigAction {
                    handler: abisig::SIG_IGN,
                    ..SigAction::default()
                };
            }
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
    /// Mark `signo` pending for the process. Lock-free and allocation-free: called from
    /// host signal handlers, which may interrupt the library OS holding any lock.
    pub fn raise_process(&self, signo: u32) {
        self.pending.mark(signo);
        self.unrouted.fetch_or(sigbit(signo), Ordering::AcqRel);
    }

    /// Whether the disposition of `signo` discards it (`sig_handler_ignored`,
    /// kernel/signal.c): `SIG_IGN`, or `SIG_DFL` for a signal whose default is to be ignored.
    fn ignores(&self, signo: u32) -> bool {
        let handler = self.action(signo).handler;
        handler == abisig::SIG_IGN
            || (handler == abisig::SIG_DFL
                && matches!(
                    abisig::default_action(signo),
                    DefaultAction::Ignore | DefaultAction::Continue
                ))
    }
}

const EFLAGS_DF: u64 = 1 << 10;
const EFLAGS_TF: u64 = 1 << 8;
const SS_ONSTACK: u32 = 1;
const SS_DISABLE: u32 = 2;

impl<P: LinuxPlatform> Kernel<P> {
    /// Take the next pending signal among `allowed` for `t`: its own signals first, then
    /// the process's (`dequeue_signal`, kernel/signal.c).
    pub fn take_signal(&self, t: &Thread, allowed: u64) -> Option<SigInfo> {
        self.take_incoming(t);
        t.pending
            .take(allowed)
            .or_else(|| self.signals.pending.take(allowed))
    }

    /// /proc status's signal words: the main thread's pending set, the process's, the main
    /// thread's mask, the ignored and the caught signals.
    pub fn signal_masks(&self) -> (u64, u64, u64, u64, u64) {
        let main = self
            .thread(self.pid)
            .or_else(|| self.threads.lock().values().next().cloned());
        let (pnd, blk) = main.map_or((0, 0), |t| {
            (t.pending.bits(), t.sigmask.load(Ordering::Acquire))
        });
        let (mut ign, mut cgt) = (0u64, 0u64);
        for signo in 1..=NSIG {
            let h = self.signals.action(signo).handler;
            if h == abisig::SIG_IGN {
                ign |= sigbit(signo);
            } else if h != abisig::SIG_DFL {
                cgt |= sigbit(signo);
            }
        }
        (pnd, self.signals.pending.bits(), blk, ign, cgt)
    }

    /// Whether a signal is deliverable to `t` now (blocking calls then return EINTR).
    /// Blocking calls ask this whenever their wait is cut short, so it is also where host
    /// signals forwarded meanwhile are passed on to the other threads.
    pub fn signal_pending(&self, t: &Thread) -> bool {
        // A thread that an execve ends must leave any wait at once, like one with SIGKILL.
        if t.ended_by_exec.load(Ordering::Acquire) {
            return true;
        }
        self.take_incoming(t);
        self.route_forwarded(t);
        let mask = t.sigmask.load(Ordering::Acquire);
        (t.pending.bits() | self.signals.pending.bits()) & !mask != 0
    }

    /// Wake the threads other than `t` for host signals forwarded since the last call. The
    /// host delivers a process signal to whichever host thread it likes, and that one may
    /// block it in the guest or be inside the library OS; another guest thread may be the
    /// one that takes it (its handler, or a sigwait). Ordinary handler context only.
    fn route_forwarded(&self, t: &Thread) {
        if self.signals.unrouted.load(Ordering::Acquire) == 0
            || self.signals.unrouted.swap(0, Ordering::AcqRel) == 0
        {
            return;
        }
        let others: alloc::vec::Vec<u32> = self
            .threads
            .lock()
            .keys()
            .copied()
            .filter(|&tid| tid != t.tid)
            .collect();
        for tid in others {
            self.p.kick_thread(tid);
        }
    }

    /// Send `info` to `target` on behalf of guest thread `from` (`send_signal_locked`,
    /// kernel/signal.c). A signal whose disposition discards it is dropped unless the target
    /// blocks it; the threads that might take it are woken (not `from`, which is on its way
    /// back to the guest and delivers on the way). EAGAIN when a real-time signal does not
    /// fit in the queue.
    pub fn send_signal(&self, from: &Thread, target: Target<'_>, info: SigInfo) -> SysResult {
        let bit = sigbit(info.signo);
        if bit == 0 {
            return Ok(0);
        }
        // SIGCONT continues and stop signals cancel it when sent, not when delivered.
        self.prepare_signal(info.signo);
        let limit = self.sigqueue_limit();
        match target {
            Target::Thread(t) => {
                if self.signals.ignores(info.signo) && t.sigmask.load(Ordering::Acquire) & bit == 0
                {
                    return Ok(0);
                }
                t.pending
                    .post(info, limit)
                    .map_err(|QueueFull| SysError(Errno::EAGAIN))?;
                if t.tid != from.tid {
                    self.p.kick_thread(t.tid);
                }
            }
            Target::Process => {
                let threads: alloc::vec::Vec<alloc::sync::Arc<Thread>> =
                    self.threads.lock().values().cloned().collect();
                // Linux asks whether the thread-group leader blocks it; any thread blocking it
                // may take it here, so any one keeps it.
                if self.signals.ignores(info.signo)
                    && threads
                        .iter()
                        .all(|t| t.sigmask.load(Ordering::Acquire) & bit == 0)
                {
                    return Ok(0);
                }
                self.signals
                    .pending
                    .post(info, limit)
                    .map_err(|QueueFull| SysError(Errno::EAGAIN))?;
                for t in threads.iter().filter(|t| t.tid != from.tid) {
                    self.p.kick_thread(t.tid);
                }
            }
        }
        Ok(0)
    }

    /// How many siginfo entries a pending queue may hold: the soft `RLIMIT_SIGPENDING`,
    /// bounded by [`MAX_QUEUED_SIGNALS`].
    fn sigqueue_limit(&self) -> usize {
        let soft = self
            .rlimits
            .lock()
            .get(&RLIMIT_SIGPENDING)
            .map_or(u64::MAX, |l| l.0);
        usize::try_from(soft).map_or(MAX_QUEUED_SIGNALS, |s| s.min(MAX_QUEUED_SIGNALS))
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
        self.stop_point(t);
        self.route_forwarded(t);
        loop {
            // Before the take: a SIGCONT sent between the take of a stop signal and the stop
            // clears it ([`crate::jobctl`]).
            self.signals.stop_dequeued.store(true, Ordering::Release);
            let Some(info) = self.take_signal(t, !t.sigmask.load(Ordering::Acquire)) else {
                break;
            };
            match self.deliver_one(t, info.signo, info, ctx, fpu, restart_nr) {
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
        let info = SigInfo::fault(signo, code, addr);
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
                DefaultAction::Stop => {
                    self.stop_process(t, sig);
                    None
                }
                DefaultAction::Ignore | DefaultAction::Continue => None,
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
                // The handler starts with a fresh vector state (`fpu__clear_user_states`,
                // arch/x86/kernel/signal.c); the interrupted one is in the frame.
                crate::fpu_state::reset(fpu);
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
            crate::fpu_state::restore(fpu, &saved);
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
        // A disposition that discards the signal discards its pending instances too, blocked
        // or not (`do_sigaction`, kernel/signal.c).
        if new.is_some() && self.signals.ignores(s) {
            self.signals.pending.discard(sigbit(s));
            let threads: alloc::vec::Vec<alloc::sync::Arc<Thread>> =
                self.threads.lock().values().cloned().collect();
            for t in threads {
                t.pending.discard(sigbit(s));
            }
        }
        if s == abisig::sig::SIGCHLD {
            self.update_auto_reap();
        }
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
        let p =
            (t.pending.bits() | self.signals.pending.bits()) & t.sigmask.load(Ordering::Acquire);
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
