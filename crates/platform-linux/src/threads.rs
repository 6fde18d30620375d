//! Guest threads on host threads, and the waits that a guest signal can cut short.

use crate::intercept::{self, KICK_SIGNAL, ThreadBlock};
use meridian_abi::CpuContext;
use meridian_core::Error;
use meridian_core::platform::WaitOutcome;
use meridian_core::time::Nanos;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Host stack of a guest thread's host side (only used before entering the guest).
pub const HOST_THREAD_STACK_BYTES: usize = 64 * 1024;
const FUTEX2_SIZE_U32: u32 = 0x02;
const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;
const FUTEX2_PRIVATE: u32 = 128;
/// Checks of a kernel word before a wait sleeps, with more than one CPU: a partner on
/// another CPU (the other end of a pipe) often answers within a few microseconds, while a
/// futex sleep and a wake-up across idle virtual CPUs cost tens (pipe ping-pong between two
/// processes: 24 µs a round trip without, 5 µs with; docs/performance.md). A few
/// microseconds of spinning in all; on one CPU it would only keep the partner out.
pub const SPINS_BEFORE_SLEEP: u32 = 100;
/// [`SPINS_BEFORE_SLEEP`], or 0 on one CPU (set once at start).
pub static WAIT_SPINS: AtomicU32 = AtomicU32::new(0);

static BLOCKS: Mutex<Option<HashMap<u32, usize>>> = Mutex::new(None);

fn register(tid: u32, b: &'static ThreadBlock) {
    crate::kheap::private_heap(|| {
        if let Ok(mut m) = BLOCKS.lock() {
            m.get_or_insert_with(HashMap::new)
                .insert(tid, b as *const ThreadBlock as usize);
        }
    })
}

/// Register the main thread's block (set up by the caller).
pub fn register_main(tid: u32, b: &'static ThreadBlock) {
    register(tid, b);
}

/// Start guest thread `tid` on a new host thread.
pub fn spawn(tid: u32, ctx: CpuContext, fs: u64) -> Result<(), Error> {
    spawn_with(tid, ctx, fs, core::ptr::null_mut())
}

/// Start guest thread `tid` on a new host thread whose traps go to the handler in `slot`
/// (null: the process's). Called while the calling thread serves the guest's clone (on its
/// signal stack), whose saved vector state the new thread starts with.
pub fn spawn_with(
    tid: u32,
    ctx: CpuContext,
    fs: u64,
    slot: *mut &'static dyn meridian_core::platform::TrapHandler<CpuContext>,
) -> Result<(), Error> {
    // Raw pointers are not Send; the slot is a leaked, never-freed box.
    let slot = slot as usize;
    // Linux gives a clone child its parent's vector state at the clone (`fpu_clone`): the
    // guest's, saved in this thread's signal frame, not what the runner leaves in the new
    // host thread's registers.
    let fpu = crate::kheap::private_heap(|| Box::new(intercept::current_block().clone_fpu_image()));
    // The new thread starts with every signal blocked (it inherits this mask) until its own
    // signal stack and block exist: a handler run on a thread without them would find no
    // block. It unblocks them just before entering the guest.
    // SAFETY: full/old sets are locals; only this thread's mask changes, and is restored.
    let mut old: libc::sigset_t = unsafe { core::mem::zeroed() };
    // SAFETY: as above.
    unsafe {
        let mut all: libc::sigset_t = core::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    // std's handles of the new host thread are the platform's own, private memory.
    let r = crate::kheap::private_heap(|| {
        std::thread::Builder::new()
            .stack_size(HOST_THREAD_STACK_BYTES)
            .spawn(move || {
                let block = match intercept::setup_thread(tid) {
                    Ok(b) => b,
                    Err(e) => {
                        eprintln!("meridian: cannot set up guest thread {tid}: {e}");
                        std::process::exit(125);
                    }
                };
                block.handler.store(
                    slot as *mut &'static dyn meridian_core::platform::TrapHandler<CpuContext>,
                    Ordering::Release,
                );
                register(tid, block);
                // Guest code runs with every host signal deliverable (see the top of `spawn`).
                // SAFETY: sets this thread's mask from an empty set we own.
                unsafe {
                    let mut empty: libc::sigset_t = core::mem::zeroed();
                    libc::sigemptyset(&mut empty);
                    libc::pthread_sigmask(libc::SIG_SETMASK, &empty, core::ptr::null_mut());
                }
                // Off the heap before the jump: the thread never returns to free it.
                let fpu = *fpu;
                intercept::enter_guest(&ctx, fs, &fpu)
            })
    });
    // SAFETY: restores the mask saved above.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, core::ptr::null_mut()) };
    r.map(|_| ()).map_err(|_| Error::Host(libc::EAGAIN))
}

/// Give the calling guest thread (inside a handler, on its signal stack) the id `tid`: the
/// handlers pass it to the library OS and kicks find its block by it.
pub fn rename_current(tid: u32) {
    let block = intercept::current_block();
    let old = block.tid.swap(tid, Ordering::AcqRel);
    if let Ok(mut m) = BLOCKS.lock() {
        let m = m.get_or_insert_with(HashMap::new);
        m.remove(&old);
        m.insert(tid, block as *const ThreadBlock as usize);
    }
}

/// Interrupt guest thread `tid`: cut its wait short and signal its host thread.
pub fn kick(tid: u32) {
    let ptr = BLOCKS
        .lock()
        .ok()
        .and_then(|m| m.as_ref().and_then(|m| m.get(&tid).copied()));
    let Some(ptr) = ptr else { return };
    // SAFETY: blocks are never freed once registered.
    let b = unsafe { &*(ptr as *const ThreadBlock) };
    b.kick.store(1, Ordering::Release);
    wake(&b.kick as *const _ as u64, u32::MAX, FUTEX_BITSET_MATCH_ANY);
    if b.signalled.swap(1, Ordering::AcqRel) != 0 {
        // The last kick signal has not reached its handler yet; it will see this one's
        // signal too.
        return;
    }
    // host_pid() is this process's pid in its own pid namespace (1 inside the sandbox's),
    // which is what tgkill takes and what the filter's OwnPid rule holds.
    // SAFETY: tgkill to a thread of this very process.
    unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            crate::host_pid() as libc::pid_t,
            b.host_tid.load(Ordering::Relaxed),
            KICK_SIGNAL,
        )
    };
}

/// Interrupt host process `pid` of the sandbox: its main thread gets the kick signal and
/// looks at its pending signals (a thread blocked in a wait wakes with EINTR).
pub fn kick_process(pid: i32) {
    // Without a pid namespace of its own the filter refuses the kick (another pid could be
    // any process of the user): the target then sees the signal when its wait wakes on the
    // readiness epoch the sender bumped, or at its next system call.
    if !OWN_PID_NAMESPACE.load(Ordering::Relaxed) {
        return;
    }
    // SAFETY: tgkill with the kick signal; the filter allows it to other processes only
    // inside the sandbox's pid namespace, where every process is the sandbox's.
    unsafe { libc::syscall(libc::SYS_tgkill, pid, pid, KICK_SIGNAL) };
}

/// Whether the sandbox has its own pid namespace (the first runner process was its pid 1);
/// set once at start, inherited by forks.
pub static OWN_PID_NAMESPACE: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Host fork for a guest fork. In the child, the calling thread becomes guest thread
/// `child_tid` and the only one.
pub fn fork(child_tid: u32) -> Result<meridian_core::platform::Forked, Error> {
    use meridian_core::platform::Forked;
    // glibc's fork (not a raw clone): it takes its allocator's and stdio's locks around the
    // clone, so the child's private heap is usable even if another thread was allocating.
    // SAFETY: fork has no memory preconditions; the child only runs this thread.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Error::Host(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EAGAIN),
        ));
    }
    if pid > 0 {
        return Ok(Forked::Parent { host_pid: pid });
    }
    // SAFETY: gettid has no preconditions; in the new process the main thread's id is the pid.
    let me = unsafe { libc::gettid() };
    crate::HOST_PID.store(me as u32, Ordering::Relaxed);
    let block = intercept::current_block();
    block.tid.store(child_tid, Ordering::Relaxed);
    block.host_tid.store(me, Ordering::Relaxed);
    // The process's handler (set by the caller) serves this thread from now on.
    block
        .handler
        .store(core::ptr::null_mut(), Ordering::Release);
    // The parent's other threads do not exist here. Their registry entries are forgotten,
    // not dropped: they may point into memory the parent owns.
    let fresh = crate::kheap::private_heap(|| {
        let mut m = HashMap::new();
        m.insert(child_tid, block as *const ThreadBlock as usize);
        m
    });
    if let Ok(mut blocks) = BLOCKS.lock() {
        core::mem::forget(blocks.replace(fresh));
    }
    Ok(Forked::Child { host_pid: me })
}

#[repr(C)]
struct FutexWaitv {
    val: u64,
    uaddr: u64,
    flags: u32,
    reserved: u32,
}

fn deadline(timeout: Option<Nanos>) -> Option<libc::timespec> {
    timeout.map(|t| {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: valid out pointer.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
        let total = Nanos::from_parts(now.tv_sec as u64, now.tv_nsec as u64)
            .0
            .saturating_add(t.0);
        libc::timespec {
            tv_sec: (total / 1_000_000_000) as i64,
            tv_nsec: (total % 1_000_000_000) as i64,
        }
    })
}

/// Wait while the word at `addr` holds `expected`, or until this thread is kicked.
pub fn wait_on(addr: u64, expected: u32, timeout: Option<Nanos>) -> WaitOutcome {
    // Not FUTEX2_PRIVATE: kernel words live in the kernel heap, which every process of the
    // sandbox maps, and a waker may be another process (DESIGN §4).
    wait_word(addr, expected, timeout, true)
}

/// [`wait_on`] with the word's futex `shared` (across host processes) or private.
fn wait_word(addr: u64, expected: u32, timeout: Option<Nanos>, shared: bool) -> WaitOutcome {
    let block = intercept::current_block();
    if block.kick.swap(0, Ordering::AcqRel) != 0 {
        return WaitOutcome::Interrupted;
    }
    let spins = WAIT_SPINS.load(Ordering::Relaxed);
    if spins > 0 {
        // SAFETY: `addr` is a live kernel word (the caller holds a reference to it).
        let word = unsafe { &*(addr as *const AtomicU32) };
        for _ in 0..spins {
            if word.load(Ordering::Acquire) != expected {
                return WaitOutcome::Woken;
            }
            if block.kick.load(Ordering::Acquire) != 0 {
                block.kick.store(0, Ordering::Release);
                return WaitOutcome::Interrupted;
            }
            core::hint::spin_loop();
        }
    }
    let waiters = [
        FutexWaitv {
            val: u64::from(expected),
            uaddr: addr,
            flags: if shared {
                FUTEX2_SIZE_U32
            } else {
                FUTEX2_SIZE_U32 | FUTEX2_PRIVATE
            },
            reserved: 0,
        },
        // The kick word is in the thread's block, in the kernel heap: another process of the
        // sandbox may kick this thread.
        FutexWaitv {
            val: 0,
            uaddr: &block.kick as *const _ as u64,
            flags: FUTEX2_SIZE_U32,
            reserved: 0,
        },
    ];
    let dl = deadline(timeout);
    // SAFETY: futex_waitv over two valid waiters; the deadline is absolute CLOCK_MONOTONIC.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex_waitv,
            waiters.as_ptr(),
            2u32,
            0u32,
            dl.as_ref().map_or(core::ptr::null(), |t| t as *const _),
            libc::CLOCK_MONOTONIC,
        )
    };
    if block.kick.swap(0, Ordering::AcqRel) != 0 {
        return WaitOutcome::Interrupted;
    }
    if r >= 0 {
        return WaitOutcome::Woken;
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::ETIMEDOUT) => WaitOutcome::TimedOut,
        Some(libc::EINTR) => WaitOutcome::Interrupted,
        _ => WaitOutcome::Woken,
    }
}

/// The host futex operation for a guest word: with `FUTEX_PRIVATE_FLAG` unless the word is
/// in memory the sandbox's processes share (`shared`, decided by the shim from its areas).
/// Never shared for a host-file mapping: the host keys a shared futex on a file page by the
/// file (kernel/futex/core.c `get_futex_key`), so a guest futex there would meet the waiters
/// of host processes that map the same file.
fn guest_op(op: i32, shared: bool) -> i32 {
    if shared {
        op
    } else {
        op | libc::FUTEX_PRIVATE_FLAG
    }
}

/// Guest futex wait with a bitset; `shared` as in [`guest_op`].
pub fn wait_guest(
    addr: u64,
    expected: u32,
    timeout: Option<Nanos>,
    bitset: u32,
    shared: bool,
) -> WaitOutcome {
    if bitset == FUTEX_BITSET_MATCH_ANY {
        return wait_word(addr, expected, timeout, shared);
    }
    let dl = deadline(timeout);
    // SAFETY: FUTEX_WAIT_BITSET on a guest word (checked in range by the caller).
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            addr,
            guest_op(libc::FUTEX_WAIT_BITSET, shared),
            expected,
            dl.as_ref().map_or(core::ptr::null(), |t| t as *const _),
            0u64,
            bitset,
        )
    };
    if r == 0 {
        return WaitOutcome::Woken;
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::ETIMEDOUT) => WaitOutcome::TimedOut,
        Some(libc::EINTR) => WaitOutcome::Interrupted,
        _ => WaitOutcome::Woken,
    }
}

/// Wake up to `count` waiters on the kernel word at `addr` (shared, as in [`wait_on`]).
pub fn wake(addr: u64, count: u32, bitset: u32) -> u32 {
    wake_op(addr, count, bitset, libc::FUTEX_WAKE_BITSET)
}

/// Wake up to `count` waiters on the guest word at `addr`; `shared` as in [`guest_op`].
pub fn wake_guest(addr: u64, count: u32, bitset: u32, shared: bool) -> u32 {
    wake_op(
        addr,
        count,
        bitset,
        guest_op(libc::FUTEX_WAKE_BITSET, shared),
    )
}

fn wake_op(addr: u64, count: u32, bitset: u32, op: i32) -> u32 {
    // SAFETY: FUTEX_WAKE_BITSET; waking touches no memory.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            addr,
            op,
            count.min(i32::MAX as u32),
            0u64,
            0u64,
            bitset,
        )
    };
    r.max(0) as u32
}

/// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE.
pub fn requeue(
    addr: u64,
    wake: u32,
    requeue: u32,
    addr2: u64,
    expected: Option<u32>,
    shared: bool,
) -> Result<u32, Error> {
    let (op, val3) = match expected {
        Some(v) => (libc::FUTEX_CMP_REQUEUE, v),
        None => (libc::FUTEX_REQUEUE, 0),
    };
    // SAFETY: requeue between two guest words (checked in range by the caller); `shared`
    // (both words) as in `guest_op`.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            addr,
            guest_op(op, shared),
            wake.min(i32::MAX as u32),
            requeue.min(i32::MAX as u32) as u64,
            addr2,
            val3,
        )
    };
    if r < 0 {
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL);
        return Err(if e == libc::EAGAIN {
            Error::WouldBlock
        } else {
            Error::Host(e)
        });
    }
    Ok(r as u32)
}

/// Host children that ended, from the host's SIGCHLD (intercept.rs records them in its
/// handler, so only atomics here): each slot holds `1 << 63 | code << 40 | status << 32 |
/// pid`, 0 when free. A full table drops the notice's details but not the notice.
static ENDED: [AtomicU64; 64] = [const { AtomicU64::new(0) }; 64];
/// A host child ended since the last [`take_ended`].
static ANY_ENDED: AtomicBool = AtomicBool::new(false);
/// How many times [`take_ended`] found ends.
pub static NOTICES: AtomicU64 = AtomicU64::new(0);

/// Record a host SIGCHLD (signal context).
pub fn record_ended(info: &libc::siginfo_t) {
    // Stops and continues (the handler has SA_NOCLDSTOP, but a ptrace stop would still
    // come) are not ends.
    if !matches!(
        info.si_code,
        libc::CLD_EXITED | libc::CLD_KILLED | libc::CLD_DUMPED
    ) {
        return;
    }
    // SAFETY: a SIGCHLD siginfo carries si_pid and si_status.
    let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
    let word = 1u64 << 63
        | u64::from(info.si_code as u8) << 40
        | u64::from(status as u8) << 32
        | u64::from(pid as u32);
    for slot in &ENDED {
        if slot
            .compare_exchange(0, word, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            break;
        }
    }
    ANY_ENDED.store(true, Ordering::Release);
}

/// See [`meridian_core::platform::Platform::take_ended_children`].
pub fn take_ended(f: &mut dyn FnMut(i32, meridian_core::platform::HostEnd)) -> bool {
    use meridian_core::platform::HostEnd;
    if !ANY_ENDED.swap(false, Ordering::AcqRel) {
        return false;
    }
    NOTICES.fetch_add(1, Ordering::AcqRel);
    for slot in &ENDED {
        let w = slot.swap(0, Ordering::AcqRel);
        if w == 0 {
            continue;
        }
        let pid = w as u32 as i32;
        let status = (w >> 32) as u8;
        let end = match i32::from((w >> 40) as u8) {
            libc::CLD_EXITED => HostEnd::Exited(status),
            _ => HostEnd::Killed(u32::from(status)),
        };
        f(pid, end);
    }
    true
}

/// Whether host process `pid` exists: a kick it (if alive) takes as a spurious interruption.
/// Only with the sandbox's own pid namespace, where the filter allows the kick.
pub fn process_alive(pid: i32) -> Option<bool> {
    if !OWN_PID_NAMESPACE.load(Ordering::Relaxed) || pid <= 0 {
        return None;
    }
    // SAFETY: tgkill with the kick signal, inside the sandbox's pid namespace.
    let r = unsafe { libc::syscall(libc::SYS_tgkill, pid, pid, KICK_SIGNAL) };
    Some(r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH))
}
