//! How the runner ends when the library OS itself fails: a panic, or an abort (Rust's
//! allocation-failure path, glibc's own fatal checks). Both print one line on stderr and end
//! the process with exit status 125 ("Meridian itself failed"), making only `write` and
//! `exit_group`, which the filter allows.
//!
//! std's default panic hook is unusable under the filter: with `RUST_BACKTRACE` set it prints
//! a backtrace, which calls `getcwd` (to shorten paths) and opens the executable (to read its
//! symbols); and glibc's `abort`, which `panic = "abort"` and the allocation-failure path end
//! in, calls `getpid` before raising SIGABRT. Each of those is refused, so the real message
//! was followed by a misleading "host system call … is not on the allowlist".
//!
//! A failure in any process of the sandbox ends the whole sandbox with 125: the failing
//! process marks the shared kernel heap and kicks the first process, and every process that
//! traps or is kicked after that ends too ([`crate::kheap::sandbox_failed`]). The allocation
//! failure path also prints a backtrace when `RUST_BACKTRACE` is set, which the runner
//! therefore forgets at start-up.

use core::fmt::Write as _;

/// Exit status of a runner that failed itself (the CLI documents 125).
pub const EXIT_INTERNAL_ERROR: i32 = 125;

/// Longest message the hook prints; a longer one is cut (no allocation on this path).
const MESSAGE_BYTES: usize = 1024;

/// A fixed buffer that keeps what fits.
struct Line {
    buf: [u8; MESSAGE_BYTES],
    len: usize,
}

impl core::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = MESSAGE_BYTES.saturating_sub(self.len);
        let take = s.len().min(room);
        if let (Some(dst), Some(src)) = (
            self.buf.get_mut(self.len..self.len + take),
            s.as_bytes().get(..take),
        ) {
            dst.copy_from_slice(src);
            self.len += take;
        }
        Ok(())
    }
}

/// Write `bytes` to stderr and end the process with status 125: `write` and `exit_group`
/// only (async-signal-safe; callable from the signal handlers).
pub fn write_and_exit(bytes: &[u8]) -> ! {
    // SAFETY: write(2) of a valid buffer to stderr: allowlisted.
    unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
    // The sandbox ends as a whole: the other processes see the mark at their next trap, and
    // the first one (pid 1 of the sandbox's namespace, whose end ends them all) is kicked
    // now. Without a pid namespace the filter refuses the kick; the mark is enough there.
    // After the message: the kicked first process may end this one at once.
    crate::kheap::mark_failed();
    if crate::threads::OWN_PID_NAMESPACE.load(std::sync::atomic::Ordering::Relaxed)
        && crate::host_pid() != 1
    {
        crate::threads::kick_process(1);
    }
    // SAFETY: exit_group: allowlisted.
    unsafe { libc::_exit(EXIT_INTERNAL_ERROR) }
}

/// Make the runner's failures filter-safe: forget `RUST_BACKTRACE` (std's allocation-failure
/// path prints a backtrace when it is set, and a backtrace calls `getcwd`), and replace std's
/// panic hook with one that prints `meridian: internal error: panicked at FILE:LINE: MESSAGE`
/// and exits with status 125.
///
/// # Safety
/// The process must have one thread (no other thread may read the environment meanwhile).
pub unsafe fn install() {
    // SAFETY: one thread, as the caller promises; std reads the variable lazily, at the first
    // panic or allocation failure, and caches what it found.
    unsafe {
        std::env::remove_var("RUST_BACKTRACE");
        std::env::remove_var("RUST_LIB_BACKTRACE");
    }
    std::panic::set_hook(Box::new(|info| {
        let mut line = Line {
            buf: [0; MESSAGE_BYTES],
            len: 0,
        };
        let _ = write!(line, "meridian: internal error: panicked");
        if let Some(at) = info.location() {
            let _ = write!(line, " at {}:{}", at.file(), at.line());
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str));
        if let Some(m) = message {
            let _ = write!(line, ": {m}");
        }
        let _ = writeln!(line, "; please report this");
        write_and_exit(line.buf.get(..line.len).unwrap_or_default())
    }));
}

/// glibc's `abort`, replaced at link time (`-Wl,--wrap=abort`, set by the binaries' build
/// scripts): Rust's allocation-failure path prints "memory allocation of N bytes failed" and
/// then aborts; glibc's heap checks print their own message first too. Neither ends in a call
/// the filter refuses.
#[unsafe(no_mangle)]
pub extern "C" fn __wrap_abort() -> ! {
    write_and_exit(b"meridian: internal error: aborted; please report this\n")
}
