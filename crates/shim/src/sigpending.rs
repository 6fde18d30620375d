//! Pending guest signals: what waits for one thread, or for the process, with the
//! `siginfo_t` of each instance (the kernel's `struct sigpending`, kernel/signal.c).
//!
//! Signals arrive two ways. A host signal forwarded to the guest is recorded from a host
//! signal handler that may have interrupted the library OS in the middle of anything, lock
//! holders included, so it only sets a bit ([`Pending::mark`]: lock-free, no allocation).
//! Signals the guest sends itself by syscall are recorded in ordinary handler context with
//! their siginfo, queued behind a spin lock ([`Pending::post`]). The bitmask is the union of
//! both, so "is anything deliverable" stays one atomic load on every return to the guest.
//!
//! As on Linux (signal(7), "Real-time signals"), a standard signal that is already pending
//! is not queued again, while each real-time signal (`SIGRTMIN` and up) queues with its own
//! siginfo; a signal pending without a queued siginfo is taken with `SI_USER` and a zero
//! sender, as `collect_signal` fills it in. Depends on the ABI crate only.

use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicU64, Ordering};
use meridian_abi::signal::{SIGRTMIN, SYNCHRONOUS, SigInfo, si_code, sigbit};
use spin::Mutex;

/// The queue is at its limit and the signal is one that must not be sent without its
/// siginfo (a real-time signal not sent by kill(2)): the sender gets EAGAIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueFull;

/// Signals pending for one thread or for the process.
pub struct Pending {
    /// One bit per pending signal (`sigbit`), queued or marked.
    bits: AtomicU64,
    /// The siginfo of queued instances, oldest first.
    queue: Mutex<VecDeque<SigInfo>>,
}

impl Default for Pending {
    fn default() -> Self {
        Self::new()
    }
}

impl Pending {
    /// Nothing pending.
    pub const fn new() -> Self {
        Pending {
            bits: AtomicU64::new(0),
            queue: Mutex::new(VecDeque::new()),
        }
    }

    /// The pending set, as a `sigset_t` word. Lock-free.
    pub fn bits(&self) -> u64 {
        self.bits.load(Ordering::Acquire)
    }

    /// Mark `signo` pending without a siginfo. Lock-free and allocation-free: this is the
    /// one operation a host signal handler may perform.
    pub fn mark(&self, signo: u32) {
        self.bits.fetch_or(sigbit(signo), Ordering::AcqRel);
    }

    /// Queue `info` (`__send_signal_locked`, kernel/signal.c): a standard signal that is
    /// already pending is dropped; past `limit` queued entries a real-time signal sent other
    /// than by kill(2) fails, any other signal becomes pending without its siginfo.
    pub fn post(&self, info: SigInfo, limit: usize) -> Result<(), QueueFull> {
        let bit = sigbit(info.signo);
        if bit == 0 {
            return Ok(());
        }
        let mut queue = self.queue.lock();
        if info.signo < SIGRTMIN && self.bits() & bit != 0 {
            return Ok(());
        }
        if queue.len() < limit {
            queue.push_back(info);
        } else if info.signo >= SIGRTMIN && info.code != si_code::SI_USER {
            return Err(QueueFull);
        }
        self.bits.fetch_or(bit, Ordering::AcqRel);
        Ok(())
    }

    /// Take the next pending signal among `allowed` (a `sigset_t` word), in the kernel's
    /// order (`next_signal`): synchronous faults first, then the lowest number; instances of
    /// one signal in the order they were sent.
    pub fn take(&self, allowed: u64) -> Option<SigInfo> {
        if self.bits() & allowed == 0 {
            return None;
        }
        let mut queue = self.queue.lock();
        let ready = self.bits() & allowed;
        if ready == 0 {
            return None;
        }
        let pick = if ready & SYNCHRONOUS != 0 {
            ready & SYNCHRONOUS
        } else {
            ready
        };
        let signo = pick.trailing_zeros() + 1;
        let queued = queue
            .iter()
            .position(|i| i.signo == signo)
            .and_then(|at| queue.remove(at));
        if !queue.iter().any(|i| i.signo == signo) {
            self.bits.fetch_and(!sigbit(signo), Ordering::AcqRel);
        }
        Some(queued.unwrap_or_else(|| SigInfo::sender(signo, si_code::SI_USER, 0, 0)))
    }

    /// Drop every pending instance of the signals in `set` (`flush_sigqueue_mask`).
    pub fn discard(&self, set: u64) {
        let mut queue = self.queue.lock();
        queue.retain(|i| sigbit(i.signo) & set == 0);
        self.bits.fetch_and(!set, Ordering::AcqRel);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use meridian_abi::signal::sig;

    const ALL: u64 = u64::MAX;
    const LIMIT: usize = 8;

    fn queued(signo: u32, value: u64) -> SigInfo {
        SigInfo::queued(signo, si_code::SI_QUEUE, 1, 0, value)
    }

    #[test]
    fn standard_signals_coalesce_and_keep_the_first_siginfo() {
        let p = Pending::new();
        p.post(
            SigInfo::sender(sig::SIGUSR1, si_code::SI_TKILL, 1, 0),
            LIMIT,
        )
        .unwrap();
        p.post(SigInfo::sender(sig::SIGUSR1, si_code::SI_USER, 1, 0), LIMIT)
            .unwrap();
        assert_eq!(p.bits(), sigbit(sig::SIGUSR1));
        assert_eq!(p.take(ALL).unwrap().code, si_code::SI_TKILL);
        assert_eq!(p.take(ALL), None);
        assert_eq!(p.bits(), 0);
    }

    #[test]
    fn real_time_signals_queue_in_order_with_their_values() {
        let p = Pending::new();
        for v in 1..=3 {
            p.post(queued(34, v), LIMIT).unwrap();
        }
        let values: alloc::vec::Vec<u64> = (0..3).map(|_| p.take(ALL).unwrap().value()).collect();
        assert_eq!(values, [1, 2, 3]);
        assert_eq!(p.bits(), 0);
    }

    #[test]
    fn lowest_number_first_but_faults_before_all() {
        let p = Pending::new();
        p.post(queued(40, 0), LIMIT).unwrap();
        p.post(SigInfo::sender(sig::SIGUSR2, 0, 1, 0), LIMIT)
            .unwrap();
        p.post(SigInfo::sender(sig::SIGUSR1, 0, 1, 0), LIMIT)
            .unwrap();
        p.post(SigInfo::fault(sig::SIGSEGV, 1, 0), LIMIT).unwrap();
        let order: alloc::vec::Vec<u32> = core::iter::from_fn(|| p.take(ALL))
            .map(|i| i.signo)
            .collect();
        assert_eq!(order, [sig::SIGSEGV, sig::SIGUSR1, sig::SIGUSR2, 40]);
    }

    #[test]
    fn only_allowed_signals_are_taken() {
        let p = Pending::new();
        p.post(SigInfo::sender(sig::SIGUSR1, 0, 1, 0), LIMIT)
            .unwrap();
        assert_eq!(p.take(!sigbit(sig::SIGUSR1)), None);
        assert_eq!(p.bits(), sigbit(sig::SIGUSR1));
        assert_eq!(p.take(sigbit(sig::SIGUSR1)).unwrap().signo, sig::SIGUSR1);
    }

    #[test]
    fn marked_signals_are_taken_with_an_anonymous_sender() {
        let p = Pending::new();
        p.mark(sig::SIGINT);
        p.mark(sig::SIGINT);
        let info = p.take(ALL).unwrap();
        assert_eq!((info.signo, info.code, info.pid()), (sig::SIGINT, 0, 0));
        assert_eq!(p.take(ALL), None);
    }

    #[test]
    fn marking_needs_no_lock() {
        // A host signal handler may interrupt a thread that holds the queue lock: marking
        // must complete anyway (were it to take the lock, this test would spin forever).
        let p = Pending::new();
        let held = p.queue.lock();
        p.mark(sig::SIGTERM);
        assert_eq!(p.bits(), sigbit(sig::SIGTERM));
        drop(held);
    }

    #[test]
    fn a_full_queue_refuses_sigqueue_but_not_kill() {
        let p = Pending::new();
        for v in 0..LIMIT as u64 {
            p.post(queued(40, v), LIMIT).unwrap();
        }
        assert_eq!(p.post(queued(41, 0), LIMIT), Err(QueueFull));
        p.post(SigInfo::sender(41, si_code::SI_USER, 1, 0), LIMIT)
            .unwrap();
        p.post(
            SigInfo::sender(sig::SIGUSR1, si_code::SI_TKILL, 1, 0),
            LIMIT,
        )
        .unwrap();
        assert_eq!(p.bits(), sigbit(40) | sigbit(41) | sigbit(sig::SIGUSR1));
        let usr1 = p.take(sigbit(sig::SIGUSR1)).unwrap();
        assert_eq!(
            (usr1.code, usr1.pid()),
            (si_code::SI_USER, 0),
            "siginfo lost"
        );
    }

    #[test]
    fn discard_drops_queued_and_marked_instances() {
        let p = Pending::new();
        p.post(queued(40, 1), LIMIT).unwrap();
        p.post(queued(40, 2), LIMIT).unwrap();
        p.post(queued(41, 3), LIMIT).unwrap();
        p.mark(sig::SIGINT);
        p.discard(sigbit(40) | sigbit(sig::SIGINT));
        assert_eq!(p.bits(), sigbit(41));
        assert_eq!(p.take(ALL).unwrap().value(), 3);
    }
}
