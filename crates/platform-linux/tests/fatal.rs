//! The runner's own failures under its seccomp filter: a panic and an abort print their
//! message on stderr and end the process with status 125, making no call the filter refuses
//! (a refused call from the runner's text would kill the process with SIGSYS here, where no
//! handler is installed).
//!
//! Each case runs in a forked child that installs the default policy's filter for this test
//! binary's text (linked with `--wrap=abort` by the build script, as the runner is) and then
//! fails; the parent checks the child's status and what it wrote to stderr.

use meridian_platform_linux::fatal;
use meridian_platform_linux::filter::{Features, FilterSpec, build};
use meridian_platform_linux::{install_filter, runner_text};
use std::io::Read;
use std::os::fd::FromRawFd;
use std::sync::Mutex;

/// What a failing child did: its exit status (or signal) and its stderr.
#[derive(Debug)]
struct Outcome {
    status: i32,
    stderr: String,
}

/// One fork at a time: a child must not inherit a lock (malloc's, the environment's) that
/// another test thread held at its fork.
static FORK: Mutex<()> = Mutex::new(());

/// Forks a child that installs the panic hook and the filter, then runs `fail`.
fn run_filtered(fail: fn()) -> Outcome {
    let _one = FORK.lock().unwrap_or_else(|e| e.into_inner());
    let mut fds = [0; 2];
    // SAFETY: valid out array for two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // Built before the fork: the child should allocate as little as possible.
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() } as u32;
    let spec = FilterSpec {
        text: runner_text(),
        vdso: None,
        features: Features::DEFAULT_POLICY,
        pid,
        own_pid_namespace: false,
    };
    let prog = build(&spec).expect("the filter assembles");
    // SAFETY: the child runs only `fail` under the filter and then `_exit`s.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork: {}", std::io::Error::last_os_error());
    if child == 0 {
        // SAFETY: plain descriptor and prctl calls in the child; `_exit` never returns.
        unsafe {
            libc::dup2(fds[1], 2);
            fatal::install();
            let ok = libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
                && install_filter(&prog).is_ok();
            if !ok {
                libc::_exit(90);
            }
            // The test harness unwinds panics: keep an unwinding one from returning into it.
            let _ = std::panic::catch_unwind(fail);
            libc::_exit(91);
        }
    }
    // SAFETY: the parent's copy of the write end is ours to close.
    unsafe { libc::close(fds[1]) };
    // SAFETY: fds[0] is the pipe's read end, owned from here on.
    let mut reader = unsafe { std::fs::File::from_raw_fd(fds[0]) };
    let mut stderr = String::new();
    reader
        .read_to_string(&mut stderr)
        .expect("reading the child's stderr");
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
    let status = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    Outcome { status, stderr }
}

#[test]
fn a_panic_under_the_filter_prints_its_message_and_exits_125() {
    let out = run_filtered(|| {
        let wrapped = 1usize.checked_add(usize::MAX);
        panic!("test panic under the filter: {wrapped:?}");
    });
    assert_eq!(out.status, 125, "{out:?}");
    assert!(
        out.stderr
            .starts_with("meridian: internal error: panicked at ")
            && out.stderr.contains("tests/fatal.rs:")
            && out
                .stderr
                .ends_with(": test panic under the filter: None; please report this\n"),
        "{out:?}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
}

#[test]
fn an_allocation_failure_under_the_filter_prints_its_message_and_exits_125() {
    let out = run_filtered(|| {
        let huge = std::alloc::Layout::from_size_align(1 << 46, 8).expect("a valid layout");
        std::alloc::handle_alloc_error(huge);
    });
    assert_eq!(out.status, 125, "{out:?}");
    assert!(
        out.stderr
            .starts_with("memory allocation of 70368744177664 bytes failed\n")
            && out
                .stderr
                .ends_with("\nmeridian: internal error: aborted; please report this\n"),
        "{out:?}"
    );
}
