//! The host filter's own cost (issue 5's benchmark): how many BPF instructions the kernel
//! evaluates for the hottest calls, and what the filter adds to an allowed host call and to a
//! trapped guest call, against no filter and against a minimal routing-only filter (only the
//! instruction-pointer check, no allowlist). Run by `scripts/bench.sh`; prints Markdown.
//!
//! Usage: `cargo run --release -p meridian-platform-linux --example filter_cost [ITERATIONS]`
//!
//! Each variant runs in a forked child (a filter cannot be removed once installed). A
//! "guest" call is a `syscall` instruction on a page this program writes and then makes
//! executable, outside the runner's text, so the filter traps it; the SIGSYS handler answers
//! it as the shim would answer getpid, without doing anything else, so the figure is the
//! trap round trip plus the filter.

use meridian_platform_linux::bpf::{Op, SockFilter, To, assemble, data, run_counted};
use meridian_platform_linux::filter::{self, Features, FilterSpec, seccomp_data};
use std::time::Instant;

const REPS: usize = 7;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// What the SIGSYS handler answers for a trapped call.
const EMULATED_PID: u64 = 4242;

/// Routing only: calls from our text are allowed, every other one trapped.
fn routing_only(text: (u64, u64)) -> Vec<SockFilter> {
    let (lo, hi) = (text.0, text.1 - 1);
    assert_eq!(lo >> 32, hi >> 32, "text crosses a 4 GiB boundary");
    assemble(&[
        Op::Load(data::ARCH),
        Op::Jeq(AUDIT_ARCH_X86_64, To::Next, To::L(1)),
        Op::Load(data::IP_HI),
        Op::Jeq((lo >> 32) as u32, To::Next, To::L(1)),
        Op::Load(data::IP_LO),
        Op::Jge(lo as u32, To::Next, To::L(1)),
        Op::Jgt(hi as u32, To::L(1), To::Next),
        Op::Ret(libc::SECCOMP_RET_ALLOW),
        Op::Label(1),
        Op::Ret(libc::SECCOMP_RET_TRAP),
    ])
    .expect("routing filter assembles")
}

extern "C" fn on_sigsys(_sig: i32, _info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid ucontext to an SA_SIGINFO handler.
    unsafe {
        let uc = uc.cast::<libc::ucontext_t>();
        (*uc).uc_mcontext.gregs[libc::REG_RAX as usize] = EMULATED_PID as i64;
    }
}

/// A page holding `mov eax, 39 (getpid); syscall; ret`, executable, outside our text.
fn guest_getpid() -> extern "C" fn() -> u64 {
    const CODE: [u8; 8] = [0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3];
    // SAFETY: a fresh anonymous mapping, written then made read+execute (W^X).
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        std::ptr::copy_nonoverlapping(CODE.as_ptr(), p.cast::<u8>(), CODE.len());
        assert_eq!(
            libc::mprotect(p, 4096, libc::PROT_READ | libc::PROT_EXEC),
            0
        );
        std::mem::transmute::<*mut libc::c_void, extern "C" fn() -> u64>(p)
    }
}

/// Nanoseconds per call of `f`, median of [`REPS`] loops of `iters`.
fn per_call(iters: u32, mut f: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..REPS)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / f64::from(iters)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[REPS / 2]
}

/// In a child: install `prog` (if any), time an allowed host call (gettid) and a guest call
/// (getpid from outside our text), and return both in ns.
fn measure(prog: Option<&[SockFilter]>, iters: u32) -> (f64, f64) {
    let mut fds = [0i32; 2];
    // SAFETY: valid out array.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let call = guest_getpid();
    // SAFETY: the child only runs this function's code and then _exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: plain libc calls in the single-threaded child.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigsys as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO;
            libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut());
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        }
        if let Some(p) = prog
            && meridian_platform_linux::install_filter(p).is_err()
        {
            // SAFETY: ends the child.
            unsafe { libc::_exit(2) };
        }
        let allowed = per_call(iters, || {
            // SAFETY: gettid has no preconditions.
            std::hint::black_box(unsafe { libc::syscall(libc::SYS_gettid) });
        });
        let trapped = per_call(iters / 4, || {
            std::hint::black_box(call());
        });
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&allowed.to_le_bytes());
        out[8..].copy_from_slice(&trapped.to_le_bytes());
        // SAFETY: write to our pipe, then end the child without running destructors.
        unsafe {
            libc::write(fds[1], out.as_ptr().cast(), out.len());
            libc::_exit(0);
        }
    }
    let mut buf = [0u8; 16];
    // SAFETY: read from our pipe; wait for our child.
    unsafe {
        libc::close(fds[1]);
        let n = libc::read(fds[0], buf.as_mut_ptr().cast(), buf.len());
        libc::close(fds[0]);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        assert_eq!(n, 16, "the measuring child failed (status {status:#x})");
    }
    let f = |b: &[u8]| f64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    (f(&buf[..8]), f(&buf[8..]))
}

fn main() {
    let iters: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(400_000);
    let text = meridian_platform_linux::runner_text();
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() } as u32;
    let spec = |features| FilterSpec {
        text,
        vdso: None,
        features,
        pid,
        own_pid_namespace: false,
    };
    let default = filter::build(&spec(Features::DEFAULT_POLICY)).expect("filter assembles");
    let all = filter::build(&spec(Features::ALL)).expect("filter assembles");
    let routing = routing_only(text);

    println!("### Instructions evaluated per call (default policy filter)\n");
    println!(
        "Program length: {} instructions (default policy), {} (every feature), {} (routing only).\n",
        default.len(),
        all.len(),
        routing.len()
    );
    println!("| call | from | result | instructions |\n|---|---|---|---|");
    let ours = text.0 + 0x1000;
    let guest = 0x40_1000;
    let rw = (libc::PROT_READ | libc::PROT_WRITE) as u64;
    let cases: &[(&str, u32, u64, [u64; 6], &str)] = &[
        (
            "any guest call",
            libc::SYS_getpid as u32,
            guest,
            [0; 6],
            "guest",
        ),
        ("read", libc::SYS_read as u32, ours, [0; 6], "runner"),
        (
            "write",
            libc::SYS_write as u32,
            ours,
            [1, 0, 0, 0, 0, 0],
            "runner",
        ),
        ("futex", libc::SYS_futex as u32, ours, [0; 6], "runner"),
        (
            "mmap RW",
            libc::SYS_mmap as u32,
            ours,
            [0, 4096, rw, 0, 0, 0],
            "runner",
        ),
        (
            "clock_gettime",
            libc::SYS_clock_gettime as u32,
            ours,
            [0; 6],
            "runner",
        ),
        (
            "tgkill (own pid)",
            libc::SYS_tgkill as u32,
            ours,
            [u64::from(pid), 0, 0, 0, 0, 0],
            "runner",
        ),
        (
            "ioctl TCGETS",
            libc::SYS_ioctl as u32,
            ours,
            [0, libc::TCGETS, 0, 0, 0, 0],
            "runner",
        ),
        (
            "execve (not allowed)",
            libc::SYS_execve as u32,
            ours,
            [0; 6],
            "runner",
        ),
    ];
    for (name, nr, ip, args, from) in cases {
        let (ret, steps) = run_counted(&default, &seccomp_data(*nr, *ip, *args));
        let result = match ret {
            libc::SECCOMP_RET_ALLOW => "allow",
            libc::SECCOMP_RET_TRAP => "trap",
            _ => "errno/kill",
        };
        println!("| {name} | {from} | {result} | {steps} |");
    }

    println!(
        "\n### Time per call ({iters} allowed calls, {} trapped, median of {REPS})\n",
        iters / 4
    );
    println!(
        "| filter | allowed host call (gettid) | ratio | guest getpid, trapped | ratio |\n|---|---|---|---|---|"
    );
    let (none_allowed, none_guest) = measure(None, iters);
    let (r_allowed, r_guest) = measure(Some(&routing), iters);
    let (d_allowed, d_guest) = measure(Some(&default), iters);
    let (a_allowed, a_guest) = measure(Some(&all), iters);
    println!(
        "| none (host getpid executed) | {none_allowed:.0} ns | 1.00 | {none_guest:.0} ns | — |"
    );
    for (name, allowed, guest) in [
        ("routing only (IP check)", r_allowed, r_guest),
        ("derived, default policy", d_allowed, d_guest),
        ("derived, every feature", a_allowed, a_guest),
    ] {
        println!(
            "| {name} | {allowed:.0} ns | {:.2} | {guest:.0} ns | {:.2} |",
            allowed / none_allowed,
            guest / r_guest
        );
    }
    println!(
        "\nThe guest ratio is against the routing-only filter: the allowlist adds {:.0} ns to a trapped call \
         ({:.1}%), {:.0} ns to an allowed one.",
        d_guest - r_guest,
        100.0 * (d_guest - r_guest) / r_guest,
        d_allowed - r_allowed
    );
}
