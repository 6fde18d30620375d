//! Job control: stop and continue a whole process (signal(7), "Stopping and continuing").
//!
//! A stop signal (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) whose action is the default stops the
//! process: the thread that takes it marks the process stopped in its entry of the process
//! table ([`crate::process::Life::stopped`]), tells the parent (SIGCHLD with CLD_STOPPED,
//! unless the parent's SIGCHLD action has SA_NOCLDSTOP) and waits inside the library OS;
//! every other thread waits too on its next way back to guest code ([`Kernel::stop_point`]).
//! SIGCONT continues the process when it is *sent*, whatever its disposition or mask
//! (`prepare_signal`, kernel/signal.c): the process is marked continued for WCONTINUED and
//! the parent gets CLD_CONTINUED. Sending SIGCONT discards pending stop signals and sending
//! a stop signal discards a pending SIGCONT. SIGKILL ends a stopped process.
//!
//! Not modelled: stop signals other than SIGSTOP are not discarded for a process in an
//! orphaned process group (there are no terminals to stop for), and a thread blocked in a
//! system call does not leave it to stop (it runs no guest code meanwhile either).

use crate::process::Process;
use crate::{Kernel, LinuxPlatform, Thread};
use core::sync::atomic::Ordering;
use meridian_abi::signal::{SigInfo, si_code, sig, sigbit};

/// The stop signals (signal(7)).
pub const STOP_SIGNALS: u64 = (1 << (sig::SIGSTOP - 1))
    | (1 << (sig::SIGTSTP - 1))
    | (1 << (sig::SIGTTIN - 1))
    | (1 << (sig::SIGTTOU - 1));

/// What sending `signo` to another process does at once, in the sender: signals waiting in
/// the target's entry are taken over lowest number first, so the order of a stop signal and
/// a SIGCONT is settled here, as `prepare_signal` settles it at send time.
pub(crate) fn prepare_incoming(target: &Process, signo: u32) {
    if sigbit(signo) & STOP_SIGNALS != 0 {
        target.incoming.discard(sigbit(sig::SIGCONT));
    } else if signo == sig::SIGCONT {
        target.incoming.discard(STOP_SIGNALS);
    }
}

impl<P: LinuxPlatform> Kernel<P> {
    /// What sending `signo` to this process does before it is queued (`prepare_signal`).
    pub(crate) fn prepare_signal(&self, signo: u32) {
        let bit = sigbit(signo);
        if bit & STOP_SIGNALS != 0 {
            self.discard_pending(sigbit(sig::SIGCONT));
        } else if signo == sig::SIGCONT {
            self.discard_pending(STOP_SIGNALS);
            self.continue_process();
        } else if signo == sig::SIGKILL && self.signals.stopped.load(Ordering::Acquire) {
            // The stopped threads look for it.
            self.notify();
        }
    }

    /// Drop pending instances of `set` for the process and each of its threads.
    fn discard_pending(&self, set: u64) {
        self.signals.pending.discard(set);
        let threads: alloc::vec::Vec<alloc::sync::Arc<Thread>> =
            self.threads.lock().values().cloned().collect();
        for t in threads {
            t.pending.discard(set);
        }
    }

    /// Tell the parent about a stop or a continue (`do_notify_parent_cldstop`): always
    /// SIGCHLD, whatever the exit signal, unless the parent set SA_NOCLDSTOP.
    fn notify_parent_cldstop(&self, code: i32, status: u32) {
        let parent = self.sandbox.get(self.proc.ppid.load(Ordering::Acquire));
        if let Some(parent) = parent
            && !parent.nocldstop.load(Ordering::Acquire)
        {
            let uid = self.proc.uid.load(Ordering::Acquire);
            self.post_to(
                &parent,
                SigInfo::child(sig::SIGCHLD, code, self.pid, uid, status as i32),
            );
        }
        // A parent in wait4(WUNTRACED/WCONTINUED) looks again.
        self.notify();
    }

    /// SIGCONT: a stopped process runs again.
    fn continue_process(&self) {
        let was_stopped = {
            let mut life = self.proc.life.lock();
            let was = life.stopped.is_some();
            if was {
                life.stopped = None;
                life.continued = true;
            }
            self.signals.stopped.store(false, Ordering::Release);
            self.signals.stop_dequeued.store(false, Ordering::Release);
            was
        };
        if was_stopped {
            self.notify_parent_cldstop(si_code::CLD_CONTINUED, sig::SIGCONT);
        }
    }

    /// The default action of stop signal `signo`, taken by thread `t`: stop the process and
    /// wait until it is continued or killed.
    pub(crate) fn stop_process(&self, t: &Thread, signo: u32) {
        {
            let mut life = self.proc.life.lock();
            // A SIGCONT came after this stop signal was taken: it cancels the stop.
            if life.zombie.is_some() || !self.signals.stop_dequeued.swap(false, Ordering::AcqRel) {
                return;
            }
            life.stopped = Some((signo, false));
            life.continued = false;
            self.signals.stopped.store(true, Ordering::Release);
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
        self.notify_parent_cldstop(si_code::CLD_STOPPED, signo);
        self.stop_point(t);
    }

    /// While the process is stopped, thread `t` waits here (on its way back to guest code).
    /// It leaves when the process is continued, when SIGKILL is pending (the caller then
    /// takes it), or when another thread's execve ends it.
    pub(crate) fn stop_point(&self, t: &Thread) {
        while self.signals.stopped.load(Ordering::Acquire) {
            let seen = self.epoch.current();
            // A SIGCONT or SIGKILL from another process arrives through the process entry.
            self.take_incoming(t);
            let kill = sigbit(sig::SIGKILL);
            if !self.signals.stopped.load(Ordering::Acquire)
                || (t.pending.bits() | self.signals.pending.bits()) & kill != 0
                || t.ended_by_exec.load(Ordering::Acquire)
            {
                return;
            }
            let _ = self.p.wait(self.epoch.word(), seen, None);
        }
    }
}
