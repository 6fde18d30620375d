//! Readiness notification.
//!
//! Blocking in the library OS is "check, then wait for a change": every object whose
//! readiness can change (pipes, eventfds, ...) bumps one kernel-wide [`Epoch`] after the
//! change, and a blocked thread waits (through the platform's wait/wake) until the epoch
//! moves on from the value it saw before its check. One counter for the whole kernel wakes
//! more threads than needed, but cannot lose a wake-up, which is the property that matters
//! first; per-object queues are a later optimisation.

use core::sync::atomic::{AtomicU32, Ordering};

/// A change counter that blocked threads wait on.
#[derive(Debug, Default)]
pub struct Epoch {
    word: AtomicU32,
}

impl Epoch {
    /// A new counter.
    pub const fn new() -> Self {
        Epoch {
            word: AtomicU32::new(0),
        }
    }
    /// The current value, read before checking a condition.
    pub fn current(&self) -> u32 {
        self.word.load(Ordering::Acquire)
    }
    /// Record a change; the caller then wakes waiters on [`Epoch::word`].
    pub fn bump(&self) {
        self.word.fetch_add(1, Ordering::AcqRel);
    }
    /// The word to wait on and wake.
    pub fn word(&self) -> &AtomicU32 {
        &self.word
    }
}
