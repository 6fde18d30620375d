//! A mutex that works between host processes: a futex word with no `FUTEX_PRIVATE_FLAG`, so
//! a waiter in one process is woken by an unlock in another when the word lives in a
//! `MAP_SHARED` mapping (the kernel keys such futexes by the backing inode and offset, see
//! futex(2), "Private futexes"). std's and parking_lot's locks use the private flag and so
//! wake nobody across a fork.
//!
//! The protocol is the classic three-state one (Drepper, "Futexes Are Tricky", mutex2):
//! 0 unlocked, 1 locked, 2 locked with possible waiters. Locking and unlocking without
//! contention is one atomic each and no system call; only an unlock that saw state 2 calls
//! `FUTEX_WAKE`.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;
/// Spins before sleeping: a holder's critical section in the kernel heap is short, and a
/// futex sleep and wake costs microseconds (see docs/performance.md).
const SPIN_BEFORE_WAIT: u32 = 100;

/// Waits while `*word == expected`, across processes (no private flag). Returns on a wake,
/// a signal, a changed value or spuriously: callers re-check in a loop.
pub fn futex_wait(word: &AtomicU32, expected: u32) {
    // SAFETY: FUTEX_WAIT reads the aligned u32 `word` points to, which the reference keeps
    // alive for the call; a null timeout waits without limit. EINTR, EAGAIN (value changed)
    // and spurious returns are all handled by the callers' loops.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            core::ptr::null::<libc::timespec>(),
        );
    }
}

/// Wakes up to `count` waiters on `word`, in any process mapping the same memory.
pub fn futex_wake(word: &AtomicU32, count: u32) {
    // SAFETY: FUTEX_WAKE only uses the address as a key; the reference keeps it valid.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, count);
    }
}

/// The lock word alone, for structures that keep the data beside it.
///
/// # Robustness
/// A holder that dies (or panics with `panic = "abort"`) leaves the word locked and every other
/// process of the sandbox waits forever. Robust futexes (`set_robust_list(2)`) are **not**
/// implemented here: DESIGN §4 has the library OS never kill a sandbox process while it may
/// hold a shared lock (guest termination and signals take effect at safe points, and only
/// the whole sandbox is killed from outside), and code under these locks must not panic.
/// A robust lock would keep its owner's tid in the word (futex(2), "Robust futexes"), and
/// glibc already registers each thread's robust list for its own mutexes, so ours would have
/// to share that list head; that is the open question for later.
#[derive(Debug, Default)]
#[repr(C)]
pub struct RawProcessMutex {
    state: AtomicU32,
}

impl RawProcessMutex {
    /// An unlocked mutex.
    pub const fn new() -> RawProcessMutex {
        RawProcessMutex {
            state: AtomicU32::new(UNLOCKED),
        }
    }

    /// Takes the lock if it is free, without waiting.
    #[inline]
    pub fn try_lock(&self) -> bool {
        self.state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Takes the lock, sleeping on the futex while another thread or process holds it.
    #[inline]
    pub fn lock(&self) {
        if !self.try_lock() {
            self.lock_contended();
        }
    }

    #[cold]
    fn lock_contended(&self) {
        for _ in 0..SPIN_BEFORE_WAIT {
            core::hint::spin_loop();
            if self.state.load(Ordering::Relaxed) == UNLOCKED && self.try_lock() {
                return;
            }
        }
        // From here on the state is 2 whenever we might sleep, so the holder's unlock wakes us.
        while self.state.swap(CONTENDED, Ordering::Acquire) != UNLOCKED {
            futex_wait(&self.state, CONTENDED);
        }
    }

    /// Releases the lock.
    ///
    /// # Safety
    /// The caller holds the lock (took it with [`lock`](Self::lock) or a successful
    /// [`try_lock`](Self::try_lock), in this thread or, for a lock handed over by design, in
    /// another), and no reference obtained under it is used afterwards.
    #[inline]
    pub unsafe fn unlock(&self) {
        if self.state.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            futex_wake(&self.state, 1);
        }
    }

    /// Whether someone holds the lock (a snapshot, for assertions and diagnostics).
    pub fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) != UNLOCKED
    }
}

/// A value behind a [`RawProcessMutex`]; `#[repr(C)]` with no pointers of its own, so it may be
/// placed in the shared kernel region and used from every process of the sandbox.
#[derive(Debug, Default)]
#[repr(C)]
pub struct ProcessMutex<T> {
    raw: RawProcessMutex,
    value: UnsafeCell<T>,
}

// SAFETY: the mutex hands out access to `value` to one holder at a time, so sharing it between
// threads (or processes) needs only that `T` may move between them, as for std's Mutex.
unsafe impl<T: Send> Sync for ProcessMutex<T> {}
// SAFETY: owning the mutex is owning a `T`.
unsafe impl<T: Send> Send for ProcessMutex<T> {}

impl<T> ProcessMutex<T> {
    /// An unlocked mutex holding `value`.
    pub const fn new(value: T) -> ProcessMutex<T> {
        ProcessMutex {
            raw: RawProcessMutex::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Locks, waiting as long as it takes.
    #[inline]
    pub fn lock(&self) -> ProcessMutexGuard<'_, T> {
        self.raw.lock();
        ProcessMutexGuard { mutex: self }
    }

    /// Locks if free.
    #[inline]
    pub fn try_lock(&self) -> Option<ProcessMutexGuard<'_, T>> {
        self.raw
            .try_lock()
            .then_some(ProcessMutexGuard { mutex: self })
    }

    /// The value, through exclusive access (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// The lock word, for diagnostics.
    pub fn raw(&self) -> &RawProcessMutex {
        &self.raw
    }
}

/// Proof of holding a [`ProcessMutex`]; unlocks when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ProcessMutexGuard<'a, T> {
    mutex: &'a ProcessMutex<T>,
}

impl<T> Deref for ProcessMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this holder has the lock, so no one else has a
        // reference to the value.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T> DerefMut for ProcessMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `deref`, and `&mut self` makes this the only reference through the
        // guard.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T> Drop for ProcessMutexGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the guard was made when the lock was taken and is dropped once; references
        // derived from it cannot outlive it.
        unsafe { self.mutex.raw.unlock() };
    }
}
