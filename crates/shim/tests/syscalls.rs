//! The shim driven through its dispatch table on the in-memory test platform: syscalls as a
//! guest makes them (registers in, rax out), without a host underneath.

use meridian_abi::uapi as nr;
use meridian_abi::{CpuContext, Errno};
use meridian_core::platform::Platform;
use meridian_platform_test::TestPlatform;
use meridian_shim::table::{Outcome, dispatch};
use meridian_shim::{Kernel, Thread};
use std::sync::Arc;

/// Scratch guest memory every test may use.
const SCRATCH: u64 = 0x10_0000;
const SCRATCH_LEN: u64 = 0x10000;

struct Guest {
    p: &'static TestPlatform,
    k: Kernel<TestPlatform>,
    t: Arc<Thread>,
}

impl Guest {
    fn new(stdin: &[u8]) -> Guest {
        let p: &'static TestPlatform = Box::leak(Box::new(TestPlatform::new(stdin)));
        let (k, t) = meridian_shim::setup::minimal(p).unwrap();
        let g = Guest { p, k, t };
        let prot = 3; // PROT_READ | PROT_WRITE
        let flags = 0x32; // MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED
        assert_eq!(
            g.call(
                nr::__NR_mmap,
                [SCRATCH, SCRATCH_LEN, prot, flags, u64::MAX, 0]
            ),
            SCRATCH as i64
        );
        g
    }

    /// Make syscall `n` with `args`; returns rax as the guest sees it.
    fn call(&self, n: u32, args: [u64; 6]) -> i64 {
        let mut ctx = CpuContext::with_syscall_args(args);
        match dispatch(&self.k, &self.t, u64::from(n), &mut ctx, &mut []) {
            Outcome::Return(Ok(v)) => v as i64,
            Outcome::Return(Err(e)) => -i64::from(e.0.0),
            Outcome::ContextSet | Outcome::Exit(_) | Outcome::ForkChild { .. } | Outcome::Gone => {
                i64::MIN
            }
        }
    }

    /// Put `bytes` at SCRATCH + `off` and return the address.
    fn put(&self, off: u64, bytes: &[u8]) -> u64 {
        self.p.write_guest(SCRATCH + off, bytes).unwrap();
        SCRATCH + off
    }

    fn get(&self, addr: u64, len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len];
        self.p.read_guest(addr, &mut b).unwrap();
        b
    }
}

fn err(e: Errno) -> i64 {
    -i64::from(e.0)
}

const AT_FDCWD: u64 = (-100i64) as u64;

#[test]
fn write_reaches_stdout_and_read_takes_stdin() {
    let g = Guest::new(b"from stdin");
    let msg = g.put(0, b"hello\n");
    assert_eq!(g.call(nr::__NR_write, [1, msg, 6, 0, 0, 0]), 6);
    assert_eq!(g.p.stdout(), b"hello\n");
    assert_eq!(g.call(nr::__NR_read, [0, SCRATCH + 100, 64, 0, 0, 0]), 10);
    assert_eq!(g.get(SCRATCH + 100, 10), b"from stdin");
}

#[test]
fn files_in_tmpfs_round_trip() {
    let g = Guest::new(b"");
    let path = g.put(0, b"/tmp/f\0");
    let fd = g.call(nr::__NR_openat, [AT_FDCWD, path, 0o102, 0o644, 0, 0]); // O_RDWR|O_CREAT
    assert_eq!(fd, 3);
    let data = g.put(64, b"0123456789");
    assert_eq!(g.call(nr::__NR_write, [3, data, 10, 0, 0, 0]), 10);
    assert_eq!(g.call(nr::__NR_lseek, [3, 2, 0, 0, 0, 0]), 2);
    assert_eq!(g.call(nr::__NR_read, [3, SCRATCH + 200, 4, 0, 0, 0]), 4);
    assert_eq!(g.get(SCRATCH + 200, 4), b"2345");
    assert_eq!(g.call(nr::__NR_pread64, [3, SCRATCH + 200, 3, 7, 0, 0]), 3);
    assert_eq!(g.get(SCRATCH + 200, 3), b"789");
    assert_eq!(g.call(nr::__NR_fstat, [3, SCRATCH + 300, 0, 0, 0, 0]), 0);
    let st = g.get(SCRATCH + 300, 144);
    assert_eq!(
        u64::from_le_bytes(st[48..56].try_into().unwrap()),
        10,
        "st_size"
    );
    assert_eq!(
        u32::from_le_bytes(st[24..28].try_into().unwrap()),
        0o100644,
        "st_mode"
    );
    // O_EXCL on an existing file, then unlink and ENOENT.
    assert_eq!(
        g.call(nr::__NR_openat, [AT_FDCWD, path, 0o302, 0o644, 0, 0]),
        err(Errno::EEXIST)
    );
    assert_eq!(g.call(nr::__NR_close, [3, 0, 0, 0, 0, 0]), 0);
    assert_eq!(g.call(nr::__NR_unlinkat, [AT_FDCWD, path, 0, 0, 0, 0]), 0);
    assert_eq!(
        g.call(nr::__NR_openat, [AT_FDCWD, path, 0, 0, 0, 0]),
        err(Errno::ENOENT)
    );
}

#[test]
fn directory_listing_has_dot_entries_and_names() {
    let g = Guest::new(b"");
    for name in [&b"/tmp/a\0"[..], b"/tmp/b\0"] {
        let p = g.put(0, name);
        let fd = g.call(nr::__NR_openat, [AT_FDCWD, p, 0o101, 0o600, 0, 0]);
        assert!(fd >= 0);
        g.call(nr::__NR_close, [fd as u64, 0, 0, 0, 0, 0]);
    }
    let dir = g.put(0, b"/tmp\0");
    let fd = g.call(nr::__NR_openat, [AT_FDCWD, dir, 0o200000, 0, 0, 0]) as u64;
    let n = g.call(nr::__NR_getdents64, [fd, SCRATCH + 1024, 4096, 0, 0, 0]);
    assert!(n > 0);
    let buf = g.get(SCRATCH + 1024, n as usize);
    let mut names = Vec::new();
    let mut off = 0;
    while off < buf.len() {
        let reclen = u16::from_le_bytes([buf[off + 16], buf[off + 17]]) as usize;
        let name: Vec<u8> = buf[off + 19..off + reclen]
            .iter()
            .copied()
            .take_while(|&b| b != 0)
            .collect();
        names.push(String::from_utf8(name).unwrap());
        off += reclen;
    }
    assert_eq!(names, [".", "..", "a", "b"]);
    assert_eq!(
        g.call(nr::__NR_getdents64, [fd, SCRATCH + 1024, 4096, 0, 0, 0]),
        0,
        "end of directory"
    );
}

#[test]
fn bad_arguments_get_errnos_not_panics() {
    let g = Guest::new(b"");
    assert_eq!(
        g.call(nr::__NR_write, [1, 0x10, 4, 0, 0, 0]),
        err(Errno::EFAULT)
    );
    assert_eq!(
        g.call(nr::__NR_write, [99, SCRATCH, 4, 0, 0, 0]),
        err(Errno::EBADF)
    );
    assert_eq!(
        g.call(nr::__NR_read, [u64::MAX, SCRATCH, 4, 0, 0, 0]),
        err(Errno::EBADF)
    );
    assert_eq!(
        g.call(nr::__NR_openat, [AT_FDCWD, 0, 0, 0, 0, 0]),
        err(Errno::EFAULT)
    );
    assert_eq!(
        g.call(nr::__NR_lseek, [1, 0, 0, 0, 0, 0]),
        err(Errno::ESPIPE)
    );
    assert_eq!(
        g.call(nr::__NR_rt_sigaction, [9, SCRATCH, 0, 8, 0, 0]),
        err(Errno::EINVAL),
        "SIGKILL"
    );
    assert_eq!(g.call(1000, [0; 6]), err(Errno::ENOSYS));
    assert_eq!(g.call(1000, [0; 6]), err(Errno::ENOSYS));
    let reports = String::from_utf8(g.p.stderr()).unwrap();
    assert_eq!(
        reports.matches("unsupported system call 1000").count(),
        1,
        "reported once: {reports}"
    );
}

#[test]
fn nonblocking_pipes_and_eof() {
    let g = Guest::new(b"");
    assert_eq!(g.call(nr::__NR_pipe2, [SCRATCH, 0o4000, 0, 0, 0, 0]), 0); // O_NONBLOCK
    let fds = g.get(SCRATCH, 8);
    let (r, w) = (
        u32::from_le_bytes(fds[0..4].try_into().unwrap()) as u64,
        u32::from_le_bytes(fds[4..8].try_into().unwrap()) as u64,
    );
    assert_eq!(
        g.call(nr::__NR_read, [r, SCRATCH + 64, 16, 0, 0, 0]),
        err(Errno::EAGAIN)
    );
    let data = g.put(128, b"ping");
    assert_eq!(g.call(nr::__NR_write, [w, data, 4, 0, 0, 0]), 4);
    assert_eq!(g.call(nr::__NR_read, [r, SCRATCH + 64, 16, 0, 0, 0]), 4);
    assert_eq!(g.get(SCRATCH + 64, 4), b"ping");
    assert_eq!(g.call(nr::__NR_close, [w, 0, 0, 0, 0, 0]), 0);
    assert_eq!(
        g.call(nr::__NR_read, [r, SCRATCH + 64, 16, 0, 0, 0]),
        0,
        "EOF once the writer is gone"
    );
}

#[test]
fn signal_actions_round_trip() {
    let g = Guest::new(b"");
    let mut act = [0u8; 32];
    act[0..8].copy_from_slice(&0x401000u64.to_le_bytes());
    act[8..16].copy_from_slice(&0x0400_0004u64.to_le_bytes()); // SA_RESTORER | SA_SIGINFO
    act[24..32].copy_from_slice(&(1u64 << 8).to_le_bytes()); // mask: SIGKILL's bit, dropped
    let a = g.put(0, &act);
    assert_eq!(g.call(nr::__NR_rt_sigaction, [10, a, 0, 8, 0, 0]), 0);
    assert_eq!(
        g.call(nr::__NR_rt_sigaction, [10, 0, SCRATCH + 64, 8, 0, 0]),
        0
    );
    let old = g.get(SCRATCH + 64, 32);
    assert_eq!(&old[0..16], &act[0..16]);
    assert_eq!(
        u64::from_le_bytes(old[24..32].try_into().unwrap()),
        0,
        "SIGKILL cannot be masked"
    );
}

#[test]
fn mmap_bookkeeping_follows_the_guest() {
    let g = Guest::new(b"");
    let a = g.call(nr::__NR_mmap, [0, 3 * 4096, 3, 0x22, u64::MAX, 0]);
    assert!(a > 0);
    let a = a as u64;
    assert_eq!(g.call(nr::__NR_munmap, [a + 4096, 4096, 0, 0, 0, 0]), 0);
    // The hole faults; the rest is still there.
    assert_eq!(
        g.call(nr::__NR_write, [1, a + 4096, 1, 0, 0, 0]),
        err(Errno::EFAULT)
    );
    assert_eq!(
        g.call(nr::__NR_mprotect, [a, 3 * 4096, 1, 0, 0, 0]),
        err(Errno::ENOMEM)
    );
    assert_eq!(g.call(nr::__NR_mprotect, [a, 4096, 1, 0, 0, 0]), 0);
    assert_eq!(
        g.call(nr::__NR_read, [0, a, 1, 0, 0, 0]),
        0,
        "stdin at EOF: nothing written"
    );
    assert_eq!(
        g.call(nr::__NR_mmap, [a, 4096, 3, 0x100022, u64::MAX, 0]),
        err(Errno::EEXIST),
        "MAP_FIXED_NOREPLACE"
    );
}

/// Any syscall number with any arguments returns (no panic, no hang). Calls that wait for
/// something the single-threaded test platform can never deliver, and calls that grow guest
/// memory by arbitrary amounts, are left to the fuzz targets with their own limits.
#[test]
fn arbitrary_syscalls_never_panic() {
    use meridian_platform_test::BLOCKING_OR_GROWING;
    let g = Guest::new(b"some input");
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let interesting = [
        0,
        1,
        2,
        3,
        u64::MAX,
        0x7fff_ffff,
        SCRATCH,
        SCRATCH + 4095,
        4096,
        (-100i64) as u64,
    ];
    for _ in 0..100_000 {
        let n = (next() % 460) as u32;
        if BLOCKING_OR_GROWING.contains(&n) {
            continue;
        }
        let mut args = [0u64; 6];
        for a in &mut args {
            let r = next();
            *a = if r % 3 == 0 {
                r
            } else {
                interesting[(r % interesting.len() as u64) as usize]
            };
        }
        let _ = g.call(n, args);
    }
}

const SIGUSR1: u64 = 10;
const SIGUSR2: u64 = 12;
const SIGRTMIN: u64 = 34; // as glibc numbers it
const SI_USER: i32 = 0;
const SI_QUEUE: i32 = -1;
const SI_TKILL: i32 = -6;

/// A `siginfo_t` as sigqueue(3) fills it in.
fn sigqueue_info(code: i32, pid: u32, value: u64) -> [u8; 128] {
    let mut b = [0u8; 128];
    b[8..12].copy_from_slice(&code.to_le_bytes());
    b[16..20].copy_from_slice(&pid.to_le_bytes());
    b[24..32].copy_from_slice(&value.to_le_bytes());
    b
}

impl Guest {
    /// rt_sigtimedwait for the signals in `set`, with a zero timeout; the siginfo taken is
    /// left at SCRATCH + 512.
    fn sigtimedwait_now(&self, set: u64) -> i64 {
        let set_at = self.put(256, &set.to_le_bytes());
        let ts = self.put(272, &[0u8; 16]);
        self.call(
            nr::__NR_rt_sigtimedwait,
            [set_at, SCRATCH + 512, ts, 8, 0, 0],
        )
    }

    /// (si_signo, si_code, si_pid, si_value) of the siginfo at SCRATCH + 512.
    fn taken(&self) -> (u32, i32, u32, u64) {
        let b = self.get(SCRATCH + 512, 32);
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        (
            u32_at(0),
            u32_at(8) as i32,
            u32_at(16),
            u64::from_le_bytes(b[24..32].try_into().unwrap()),
        )
    }
}

fn bit(sig: u64) -> u64 {
    1 << (sig - 1)
}

#[test]
fn senders_fill_in_siginfo_as_linux_does() {
    let g = Guest::new(b"");
    assert_eq!(g.call(nr::__NR_tgkill, [1, 1, SIGUSR1, 0, 0, 0]), 0);
    assert_eq!(g.sigtimedwait_now(bit(SIGUSR1)), SIGUSR1 as i64);
    assert_eq!(g.taken(), (10, SI_TKILL, 1, 0));
    assert_eq!(g.call(nr::__NR_tkill, [1, SIGUSR1, 0, 0, 0, 0]), 0);
    assert_eq!(g.sigtimedwait_now(bit(SIGUSR1)), SIGUSR1 as i64);
    assert_eq!(g.taken().1, SI_TKILL);
    assert_eq!(g.call(nr::__NR_kill, [1, SIGUSR1, 0, 0, 0, 0]), 0);
    assert_eq!(g.sigtimedwait_now(bit(SIGUSR1)), SIGUSR1 as i64);
    assert_eq!(g.taken(), (10, SI_USER, 1, 0));
    let info = g.put(0, &sigqueue_info(SI_QUEUE, 1, 1234));
    assert_eq!(
        g.call(nr::__NR_rt_sigqueueinfo, [1, SIGUSR2, info, 0, 0, 0]),
        0
    );
    assert_eq!(g.sigtimedwait_now(bit(SIGUSR2)), SIGUSR2 as i64);
    assert_eq!(g.taken(), (12, SI_QUEUE, 1, 1234));
    assert_eq!(
        g.sigtimedwait_now(bit(SIGUSR1) | bit(SIGUSR2)),
        err(Errno::EAGAIN),
        "nothing left"
    );
}

#[test]
fn real_time_signals_queue_and_standard_ones_coalesce() {
    let g = Guest::new(b"");
    for v in 1..=3 {
        let info = g.put(0, &sigqueue_info(SI_QUEUE, 1, v));
        assert_eq!(
            g.call(nr::__NR_rt_sigqueueinfo, [1, SIGRTMIN, info, 0, 0, 0]),
            0
        );
        assert_eq!(g.call(nr::__NR_tgkill, [1, 1, SIGUSR2, 0, 0, 0]), 0);
    }
    assert_eq!(g.call(nr::__NR_tgkill, [1, 1, SIGUSR1, 0, 0, 0]), 0);
    let mut order = Vec::new();
    loop {
        let r = g.sigtimedwait_now(bit(SIGUSR1) | bit(SIGUSR2) | bit(SIGRTMIN));
        if r < 0 {
            assert_eq!(r, err(Errno::EAGAIN));
            break;
        }
        order.push((r, g.taken().3));
    }
    assert_eq!(
        order,
        [(10, 0), (12, 0), (34, 1), (34, 2), (34, 3)],
        "lowest number first, real-time instances in order"
    );
}

#[test]
fn sending_checks_follow_the_kernel_order() {
    let g = Guest::new(b"");
    let as_kill = g.put(0, &sigqueue_info(SI_USER, 1, 0));
    let as_queue = g.put(128, &sigqueue_info(SI_QUEUE, 1, 0));
    let q = |pid, sig, info| g.call(nr::__NR_rt_sigqueueinfo, [pid, sig, info, 0, 0, 0]);
    assert_eq!(q(1, SIGUSR1, 0x10), err(Errno::EFAULT));
    assert_eq!(q(7, SIGUSR1, as_kill), err(Errno::EPERM), "posing as kill");
    assert_eq!(q(7, SIGUSR1, as_queue), err(Errno::ESRCH));
    assert_eq!(q(1, 65, as_queue), err(Errno::EINVAL));
    assert_eq!(q(1, 0, as_queue), 0, "probe");
    assert_eq!(q(1, SIGUSR1, as_kill), 0, "to itself any si_code goes");
    let tq = |tgid, tid, info| g.call(nr::__NR_rt_tgsigqueueinfo, [tgid, tid, SIGUSR1, info, 0, 0]);
    assert_eq!(tq(1, 0, as_queue), err(Errno::EINVAL));
    assert_eq!(tq(1, 9, as_kill), err(Errno::EPERM));
    assert_eq!(tq(1, 9, as_queue), err(Errno::ESRCH));
    assert_eq!(
        tq(2, 1, as_queue),
        err(Errno::ESRCH),
        "another process's thread"
    );
    assert_eq!(tq(1, 1, as_queue), 0);
    assert_eq!(
        g.call(nr::__NR_kill, [u64::MAX, SIGUSR1, 0, 0, 0, 0]),
        err(Errno::ESRCH),
        "kill(-1) spares the caller"
    );
    assert_eq!(
        g.call(nr::__NR_kill, [5, 99, 0, 0, 0, 0]),
        err(Errno::ESRCH)
    );
    assert_eq!(
        g.call(nr::__NR_kill, [0, 99, 0, 0, 0, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        g.call(nr::__NR_tgkill, [1, 0, SIGUSR1, 0, 0, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        g.call(nr::__NR_tgkill, [1, 9, 99, 0, 0, 0]),
        err(Errno::ESRCH)
    );
    assert_eq!(
        g.call(nr::__NR_tkill, [1, 99, 0, 0, 0, 0]),
        err(Errno::EINVAL)
    );
}

#[test]
fn ignored_signals_are_dropped_unless_blocked() {
    let g = Guest::new(b"");
    let mut act = [0u8; 32];
    act[0..8].copy_from_slice(&1u64.to_le_bytes()); // SIG_IGN
    let ign = g.put(0, &act);
    assert_eq!(g.call(nr::__NR_rt_sigaction, [SIGUSR1, ign, 0, 8, 0, 0]), 0);
    assert_eq!(g.call(nr::__NR_kill, [1, SIGUSR1, 0, 0, 0, 0]), 0);
    assert_eq!(g.sigtimedwait_now(bit(SIGUSR1)), err(Errno::EAGAIN));
    let set = g.put(64, &bit(SIGUSR1).to_le_bytes());
    assert_eq!(g.call(nr::__NR_rt_sigprocmask, [0, set, 0, 8, 0, 0]), 0);
    assert_eq!(g.call(nr::__NR_kill, [1, SIGUSR1, 0, 0, 0, 0]), 0);
    assert_eq!(
        g.call(nr::__NR_rt_sigpending, [SCRATCH + 96, 8, 0, 0, 0, 0]),
        0
    );
    assert_eq!(
        g.get(SCRATCH + 96, 8),
        bit(SIGUSR1).to_le_bytes(),
        "blocked: kept"
    );
    // Setting SIG_IGN again discards what is pending.
    assert_eq!(g.call(nr::__NR_rt_sigaction, [SIGUSR1, ign, 0, 8, 0, 0]), 0);
    assert_eq!(
        g.call(nr::__NR_rt_sigpending, [SCRATCH + 96, 8, 0, 0, 0, 0]),
        0
    );
    assert_eq!(g.get(SCRATCH + 96, 8), [0; 8]);
}

#[test]
fn sigtimedwait_times_out_or_is_interrupted() {
    let g = Guest::new(b"");
    let set = g.put(0, &bit(SIGUSR1).to_le_bytes());
    let mut ts = [0u8; 16];
    ts[8..16].copy_from_slice(&10_000_000u64.to_le_bytes()); // 10 ms
    let ten_ms = g.put(16, &ts);
    let wait = |timeout, size| g.call(nr::__NR_rt_sigtimedwait, [set, 0, timeout, size, 0, 0]);
    assert_eq!(wait(ten_ms, 8), err(Errno::EAGAIN));
    assert_eq!(wait(ten_ms, 16), err(Errno::EINVAL), "sigsetsize");
    ts[8..16].copy_from_slice(&1_000_000_000u64.to_le_bytes());
    let bad = g.put(32, &ts);
    assert_eq!(wait(bad, 8), err(Errno::EINVAL), "tv_nsec out of range");
    assert_eq!(wait(0x10, 8), err(Errno::EFAULT));
    // Another signal, not waited for and not blocked: EINTR, and it stays pending.
    assert_eq!(g.call(nr::__NR_tgkill, [1, 1, SIGUSR2, 0, 0, 0]), 0);
    assert_eq!(wait(ten_ms, 8), err(Errno::EINTR));
    assert_eq!(g.sigtimedwait_now(bit(SIGUSR2)), SIGUSR2 as i64);
}

#[test]
fn scheduler_priority_ranges() {
    let g = Guest::new(b"");
    let range = |policy| {
        (
            g.call(nr::__NR_sched_get_priority_min, [policy, 0, 0, 0, 0, 0]),
            g.call(nr::__NR_sched_get_priority_max, [policy, 0, 0, 0, 0, 0]),
        )
    };
    assert_eq!(range(0), (0, 0), "SCHED_OTHER");
    assert_eq!(range(1), (1, 99), "SCHED_FIFO");
    assert_eq!(range(2), (1, 99), "SCHED_RR");
    assert_eq!(range(5), (0, 0), "SCHED_IDLE");
    assert_eq!(range(4), (err(Errno::EINVAL), err(Errno::EINVAL)));
    assert_eq!(range(1 << 32), (0, 0), "an int: high bits ignored");
}

#[test]
fn o_creat_through_a_dangling_symlink_creates_its_target() {
    let g = Guest::new(b"");
    let target = g.put(0, b"target\0");
    let link = g.put(64, b"/tmp/link\0");
    assert_eq!(
        g.call(nr::__NR_symlinkat, [target, AT_FDCWD, link, 0, 0, 0]),
        0
    );
    let fd = g.call(nr::__NR_openat, [AT_FDCWD, link, 0o101, 0o600, 0, 0]); // O_WRONLY|O_CREAT
    assert!(fd >= 0, "{fd}");
    let made = g.put(128, b"/tmp/target\0");
    assert_eq!(
        g.call(
            nr::__NR_newfstatat,
            [AT_FDCWD, made, SCRATCH + 256, 0, 0, 0]
        ),
        0
    );
    // With O_EXCL a symlink is never followed (open(2)).
    assert_eq!(
        g.call(nr::__NR_openat, [AT_FDCWD, link, 0o301, 0o600, 0, 0]),
        err(Errno::EEXIST)
    );
}

#[test]
fn credentials_and_permissions_follow_linux() {
    let g = Guest::new(b"");
    let secret = g.put(0, b"/tmp/secret\0");
    let fd = g.call(nr::__NR_openat, [AT_FDCWD, secret, 0o101, 0o600, 0, 0]);
    assert!(fd >= 0);
    assert_eq!(g.call(nr::__NR_close, [fd as u64, 0, 0, 0, 0, 0]), 0);
    // Root reads a 0600 file of its own; then drops to 1000 keeping saved uid 0.
    assert_eq!(g.call(nr::__NR_setresuid, [1000, 1000, 0, 0, 0, 0]), 0);
    assert_eq!(g.call(nr::__NR_geteuid, [0; 6]), 1000);
    assert_eq!(
        g.call(nr::__NR_openat, [AT_FDCWD, secret, 0, 0, 0, 0]),
        err(Errno::EACCES)
    );
    assert_eq!(
        g.call(nr::__NR_fchmodat, [AT_FDCWD, secret, 0o777, 0, 0, 0]),
        err(Errno::EPERM)
    );
    assert_eq!(
        g.call(nr::__NR_setgroups, [0, 0, 0, 0, 0, 0]),
        err(Errno::EPERM)
    );
    // Back to root through the saved id; getresuid reports all three.
    assert_eq!(
        g.call(nr::__NR_setresuid, [u64::MAX, 0, u64::MAX, 0, 0, 0]),
        0
    );
    let (r, e, s) = (SCRATCH + 100, SCRATCH + 104, SCRATCH + 108);
    assert_eq!(g.call(nr::__NR_getresuid, [r, e, s, 0, 0, 0]), 0);
    assert_eq!(g.get(r, 12), [232, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        g.call(nr::__NR_fchownat, [AT_FDCWD, secret, 1000, 1000, 0, 0]),
        0
    );
    // Once every uid is 1000, root cannot come back.
    assert_eq!(g.call(nr::__NR_setuid, [1000, 0, 0, 0, 0, 0]), 0);
    assert_eq!(
        g.call(nr::__NR_setuid, [0, 0, 0, 0, 0, 0]),
        err(Errno::EPERM)
    );
    // The file is now the user's own.
    let fd = g.call(nr::__NR_openat, [AT_FDCWD, secret, 0, 0, 0, 0]);
    assert!(fd >= 0);
}

#[test]
fn openat2_checks_its_arguments() {
    let g = Guest::new(b"");
    let path = g.put(0, b"/tmp\0");
    // struct open_how { flags, mode, resolve } followed by a non-zero extension word.
    let mut how = [0u8; 32];
    how[0..8].copy_from_slice(&0o200000u64.to_le_bytes()); // O_DIRECTORY
    let at = g.put(64, &how);
    assert!(g.call(nr::__NR_openat2, [AT_FDCWD, path, at, 24, 0, 0]) >= 0);
    assert!(g.call(nr::__NR_openat2, [AT_FDCWD, path, at, 32, 0, 0]) >= 0);
    assert_eq!(
        g.call(nr::__NR_openat2, [AT_FDCWD, path, at, 16, 0, 0]),
        err(Errno::EINVAL)
    );
    assert_eq!(
        g.call(nr::__NR_openat2, [AT_FDCWD, path, at, 8192, 0, 0]),
        err(Errno::E2BIG)
    );
    how[24] = 1;
    let at = g.put(64, &how);
    assert_eq!(
        g.call(nr::__NR_openat2, [AT_FDCWD, path, at, 32, 0, 0]),
        err(Errno::E2BIG)
    );
    how[24] = 0;
    how[16] = 0x18; // RESOLVE_BENEATH | RESOLVE_IN_ROOT
    let at = g.put(64, &how);
    assert_eq!(
        g.call(nr::__NR_openat2, [AT_FDCWD, path, at, 24, 0, 0]),
        err(Errno::EINVAL)
    );
    how[16] = 0x08; // RESOLVE_BENEATH with an absolute path
    let at = g.put(64, &how);
    assert_eq!(
        g.call(nr::__NR_openat2, [AT_FDCWD, path, at, 24, 0, 0]),
        err(Errno::EXDEV)
    );
}
