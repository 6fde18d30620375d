//! Unit tests of the filter: routing by instruction pointer, argument rules, features,
//! the 30-call budget of the default policy, and the generated SECURITY.md table.

use super::*;
use crate::bpf::run;

/// The first volume descriptor.
const V: u64 = FD_FLOOR as u64;
/// `-1` as glibc passes it (sign-extended).
const NO_FILE: u64 = u64::MAX;

fn spec() -> FilterSpec {
    FilterSpec {
        text: (0x7f00_0010_0000, 0x7f00_0020_0000),
        vdso: Some((0x7fff_0000_0000, 0x7fff_0000_2000)),
        features: Features::default(),
        pid: 4242,
        own_pid_namespace: false,
    }
}

#[test]
fn guest_calls_trap_and_own_calls_follow_the_allowlist() {
    let p = build(&spec()).unwrap();
    let ours = 0x7f00_0015_0000;
    let guest = 0x40_1000;
    assert_eq!(
        run(&p, &seccomp_data(libc::SYS_gettid as u32, guest, [0; 6])),
        libc::SECCOMP_RET_TRAP
    );
    assert_eq!(
        run(&p, &seccomp_data(libc::SYS_gettid as u32, ours, [0; 6])),
        libc::SECCOMP_RET_ALLOW
    );
    // Not on the allowlist from our own text: trapped (reported), never executed.
    assert_eq!(
        run(&p, &seccomp_data(libc::SYS_execve as u32, ours, [0; 6])),
        libc::SECCOMP_RET_TRAP
    );
    // Path-based calls only with host volumes.
    assert_eq!(
        run(&p, &seccomp_data(libc::SYS_openat2 as u32, ours, [0; 6])),
        libc::SECCOMP_RET_TRAP
    );
    let hv = build(&FilterSpec {
        features: Features {
            host_volumes: true,
            ..Features::default()
        },
        pid: 4242,
        ..spec()
    })
    .unwrap();
    assert_eq!(
        run(
            &hv,
            &seccomp_data(libc::SYS_openat2 as u32, ours, [V, 0, 0, 0, 0, 0])
        ),
        libc::SECCOMP_RET_ALLOW
    );
    // Just past the end of the text is not ours.
    assert_eq!(
        run(
            &p,
            &seccomp_data(libc::SYS_gettid as u32, 0x7f00_0020_0000, [0; 6])
        ),
        libc::SECCOMP_RET_TRAP
    );
}

#[test]
fn argument_rules_and_vdso() {
    let p = build(&spec()).unwrap();
    let ours = 0x7f00_0015_0000;
    let clone = libc::SYS_clone as u32;
    assert_eq!(
        run(
            &p,
            &seccomp_data(clone, ours, [CLONE_THREAD_FLAGS | 0x100, 0, 0, 0, 0, 0])
        ),
        libc::SECCOMP_RET_ALLOW
    );
    assert_eq!(
        run(
            &p,
            &seccomp_data(clone, ours, [libc::SIGCHLD as u64, 0, 0, 0, 0, 0])
        ),
        libc::SECCOMP_RET_TRAP
    );
    for ns in [
        libc::CLONE_NEWNET,
        libc::CLONE_NEWNS,
        libc::CLONE_NEWUSER,
        0x80,
    ] {
        assert_eq!(
            run(
                &p,
                &seccomp_data(clone, ours, [CLONE_THREAD_FLAGS | ns as u64, 0, 0, 0, 0, 0])
            ),
            libc::SECCOMP_RET_TRAP,
            "clone with namespace flag {ns:#x}"
        );
    }
    let tgkill = libc::SYS_tgkill as u32;
    assert_eq!(
        run(&p, &seccomp_data(tgkill, ours, [4242, 4243, 40, 0, 0, 0])),
        libc::SECCOMP_RET_ALLOW
    );
    assert_eq!(
        run(&p, &seccomp_data(tgkill, ours, [1, 1, 9, 0, 0, 0])),
        libc::SECCOMP_RET_TRAP,
        "another process"
    );
    assert_eq!(
        run(
            &p,
            &seccomp_data(tgkill, ours, [4242 | (1 << 32), 1, 9, 0, 0, 0])
        ),
        libc::SECCOMP_RET_TRAP
    );
    let ioctl = libc::SYS_ioctl as u32;
    assert_eq!(
        run(
            &p,
            &seccomp_data(ioctl, ours, [1, libc::TCGETS, 0, 0, 0, 0])
        ),
        libc::SECCOMP_RET_ALLOW
    );
    assert_eq!(
        run(
            &p,
            &seccomp_data(ioctl, ours, [1, libc::TIOCSTI, 0, 0, 0, 0])
        ),
        libc::SECCOMP_RET_TRAP
    );
    assert_eq!(
        run(
            &p,
            &seccomp_data(ioctl, ours, [1, libc::TCGETS | (1 << 32), 0, 0, 0, 0])
        ),
        libc::SECCOMP_RET_TRAP
    );
    assert_eq!(
        run(&p, &seccomp_data(libc::SYS_clone3 as u32, ours, [0; 6])),
        RET_ENOSYS
    );
    let vdso = 0x7fff_0000_1000;
    assert_eq!(
        run(
            &p,
            &seccomp_data(libc::SYS_clock_gettime as u32, vdso, [0; 6])
        ),
        libc::SECCOMP_RET_ALLOW
    );
    assert_eq!(
        run(&p, &seccomp_data(libc::SYS_write as u32, vdso, [0; 6])),
        libc::SECCOMP_RET_KILL_PROCESS
    );
}

/// The calls that change host files come only with a read-write volume, and only with
/// the flags the library OS uses.
#[test]
fn read_write_volume_rules() {
    let ours = 0x7f00_0015_0000;
    let ro = build(&FilterSpec {
        features: Features::DEFAULT_POLICY,
        ..spec()
    })
    .unwrap();
    let rw = build(&FilterSpec {
        features: Features {
            writable_volumes: true,
            ..Features::DEFAULT_POLICY
        },
        ..spec()
    })
    .unwrap();
    let call =
        |p: &[SockFilter], nr: i64, args: [u64; 6]| run(p, &seccomp_data(nr as u32, ours, args));
    let (allow, trap) = (libc::SECCOMP_RET_ALLOW, libc::SECCOMP_RET_TRAP);
    for nr in [libc::SYS_pwrite64, libc::SYS_mkdirat, libc::SYS_fsync] {
        assert_eq!(
            call(&ro, nr, [V, 0, 0, 0, 0, 0]),
            trap,
            "{nr} with read-only volumes"
        );
        assert_eq!(
            call(&rw, nr, [V, 0, 0, 0, 0, 0]),
            allow,
            "{nr} with a read-write volume"
        );
    }
    let linkat = libc::SYS_linkat;
    assert_eq!(call(&rw, linkat, [V, 0, V + 1, 0, 0, 0]), allow);
    for flags in [libc::AT_EMPTY_PATH, libc::AT_SYMLINK_FOLLOW] {
        assert_eq!(call(&rw, linkat, [V, 0, V + 1, 0, flags as u64, 0]), trap);
    }
    let renameat2 = libc::SYS_renameat2;
    for flags in [0, libc::RENAME_NOREPLACE, libc::RENAME_EXCHANGE] {
        assert_eq!(
            call(&rw, renameat2, [V, 0, V + 1, 0, flags as u64, 0]),
            allow
        );
    }
    assert_eq!(
        call(
            &rw,
            renameat2,
            [V, 0, V + 1, 0, libc::RENAME_WHITEOUT as u64, 0]
        ),
        trap
    );
    let unlinkat = libc::SYS_unlinkat;
    assert_eq!(
        call(&rw, unlinkat, [V, 0, libc::AT_REMOVEDIR as u64, 0, 0, 0]),
        allow
    );
    assert_eq!(call(&rw, unlinkat, [V, 0, 0x8000, 0, 0, 0]), trap);
    let fchmodat2 = libc::SYS_fchmodat2;
    let nofollow = libc::AT_SYMLINK_NOFOLLOW as u64;
    assert_eq!(call(&rw, fchmodat2, [V, 0, 0o644, nofollow, 0, 0]), allow);
    assert_eq!(
        call(&rw, fchmodat2, [V, 0, 0o644, 0, 0, 0]),
        trap,
        "following"
    );
    let empty = libc::AT_EMPTY_PATH as u64;
    assert_eq!(call(&rw, fchmodat2, [V, 0, 0o644, empty, 0, 0]), trap);
    let utimensat = libc::SYS_utimensat;
    assert_eq!(call(&rw, utimensat, [V, 0, 0, nofollow, 0, 0]), allow);
    assert_eq!(call(&rw, utimensat, [V, 0, 0, empty, 0, 0]), trap);
    let fallocate = libc::SYS_fallocate;
    assert_eq!(call(&rw, fallocate, [V, 1, 0, 10, 0, 0]), allow);
    let punch = (libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE) as u64;
    assert_eq!(call(&rw, fallocate, [V, punch, 0, 10, 0, 0]), trap);
    // Still nothing that takes a whole host path or follows links.
    for nr in [
        libc::SYS_chmod,
        libc::SYS_fchmodat,
        libc::SYS_truncate,
        libc::SYS_rename,
    ] {
        assert_eq!(call(&rw, nr, [0; 6]), trap, "{nr}");
    }
}

#[test]
fn ranges_across_a_4gib_boundary() {
    let s = FilterSpec {
        text: (0x7f00_ffff_0000, 0x7f01_0001_0000),
        vdso: None,
        features: Features::default(),
        pid: 4242,
        own_pid_namespace: false,
    };
    let p = build(&s).unwrap();
    let nr = libc::SYS_gettid as u32;
    for ip in [
        0x7f00_ffff_0000u64,
        0x7f00_ffff_ffff,
        0x7f01_0000_0000,
        0x7f01_0000_ffff,
    ] {
        assert_eq!(
            run(&p, &seccomp_data(nr, ip, [0; 6])),
            libc::SECCOMP_RET_ALLOW,
            "{ip:#x}"
        );
    }
    for ip in [0x7f00_fffe_ffff, 0x7f01_0001_0000, 0x7f02_0000_0000] {
        assert_eq!(
            run(&p, &seccomp_data(nr, ip, [0; 6])),
            libc::SECCOMP_RET_TRAP,
            "{ip:#x}"
        );
    }
}

/// SECURITY.md's table is this table: regenerate with `MERIDIAN_BLESS=1 cargo test`.
#[test]
fn security_md_allowlist_is_current() {
    crate::check_security_md_section("allowlist", "filter.rs", &allowlist_markdown());
}

#[test]
fn every_rule_has_a_reason() {
    for a in ALLOWLIST {
        assert!(!a.reason.is_empty(), "{} has no reason", a.name);
        assert!(
            !a.attacker.is_empty(),
            "{} does not say what forged arguments can do",
            a.name
        );
    }
    // A budget, not a law: raise it with the reason of what was added (14 entries came
    // with read-write volumes).
    assert!(ALLOWLIST.len() <= 52);
}

/// DESIGN §3 and issue 5: the default policy's host boundary stays at most 30 calls.
#[test]
fn default_policy_allows_at_most_30_host_calls() {
    let n = allowed_for(Features::DEFAULT_POLICY).count();
    assert!(n <= 30, "{n} host calls for the default policy");
    assert!(
        allowed_for(Features::default()).count() < n,
        "no volumes, fewer calls"
    );
}

#[test]
fn writable_executable_mappings_need_the_jit_feature() {
    let ours = 0x7f00_0015_0000;
    let wx = (libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC) as u64;
    let rx = (libc::PROT_READ | libc::PROT_EXEC) as u64;
    let p = build(&spec()).unwrap();
    let jit = build(&FilterSpec {
        features: Features {
            jit: true,
            ..Features::default()
        },
        ..spec()
    })
    .unwrap();
    for nr in [libc::SYS_mmap as u32, libc::SYS_mprotect as u32] {
        assert_eq!(
            run(&p, &seccomp_data(nr, ours, [0, 4096, wx, 0, NO_FILE, 0])),
            libc::SECCOMP_RET_TRAP
        );
        // High bits of the int argument are ignored by the kernel, and by the rule.
        assert_eq!(
            run(
                &p,
                &seccomp_data(nr, ours, [0, 4096, wx | 1 << 40, 0, NO_FILE, 0])
            ),
            libc::SECCOMP_RET_TRAP
        );
        assert_eq!(
            run(&p, &seccomp_data(nr, ours, [0, 4096, rx, 0, NO_FILE, 0])),
            libc::SECCOMP_RET_ALLOW
        );
        assert_eq!(
            run(&jit, &seccomp_data(nr, ours, [0, 4096, wx, 0, NO_FILE, 0])),
            libc::SECCOMP_RET_ALLOW
        );
    }
    for nr in [
        libc::SYS_sched_getaffinity as u32,
        libc::SYS_set_robust_list as u32,
    ] {
        assert_eq!(run(&p, &seccomp_data(nr, ours, [0; 6])), RET_ENOSYS);
    }
}

#[test]
fn fork_and_kicks_between_processes() {
    let ours = 0x7f00_0015_0000;
    let clone = libc::SYS_clone as u32;
    let tgkill = libc::SYS_tgkill as u32;
    let outside = build(&spec()).unwrap();
    let inside = build(&FilterSpec {
        pid: 1,
        own_pid_namespace: true,
        ..spec()
    })
    .unwrap();
    for p in [&outside, &inside] {
        assert_eq!(
            run(
                p,
                &seccomp_data(clone, ours, [GLIBC_FORK_FLAGS, 0, 0, 0, 0, 0])
            ),
            libc::SECCOMP_RET_ALLOW,
            "glibc's fork"
        );
        for extra in [libc::CLONE_NEWUSER, libc::CLONE_NEWPID, libc::CLONE_VM] {
            let flags = GLIBC_FORK_FLAGS | extra as u64;
            assert_eq!(
                run(p, &seccomp_data(clone, ours, [flags, 0, 0, 0, 0, 0])),
                libc::SECCOMP_RET_TRAP,
                "fork flags plus {extra:#x}"
            );
        }
    }
    // Another process: only the kick signal, and only from pid 1 of a pid namespace.
    assert_eq!(
        run(&inside, &seccomp_data(tgkill, ours, [7, 7, 40, 0, 0, 0])),
        libc::SECCOMP_RET_ALLOW
    );
    assert_eq!(
        run(&inside, &seccomp_data(tgkill, ours, [7, 7, 9, 0, 0, 0])),
        libc::SECCOMP_RET_TRAP
    );
    assert_eq!(
        run(
            &inside,
            &seccomp_data(tgkill, ours, [7, 7, 40 | (1 << 32), 0, 0, 0])
        ),
        libc::SECCOMP_RET_TRAP
    );
    assert_eq!(
        run(&outside, &seccomp_data(tgkill, ours, [7, 7, 40, 0, 0, 0])),
        libc::SECCOMP_RET_TRAP
    );
    // Pid 1 of a namespace the runner did not make (a container's entrypoint where unshare is
    // refused): the other pids there are not the sandbox's, so no kick reaches them.
    let borrowed = build(&FilterSpec { pid: 1, ..spec() }).unwrap();
    assert_eq!(
        run(&borrowed, &seccomp_data(tgkill, ours, [7, 7, 40, 0, 0, 0])),
        libc::SECCOMP_RET_TRAP
    );
    assert_eq!(
        run(&borrowed, &seccomp_data(tgkill, ours, [1, 1, 40, 0, 0, 0])),
        libc::SECCOMP_RET_ALLOW,
        "its own thread group"
    );
}

/// Finding 3 of issue 10: every descriptor-taking call names only the library OS's volume
/// descriptors (at or above the floor), never stdio or the runner's own below it, whatever
/// the high word or sign of the argument.
#[test]
fn descriptor_calls_name_only_volume_descriptors() {
    let ours = 0x7f00_0015_0000;
    let p = build(&FilterSpec {
        features: Features::ALL,
        ..spec()
    })
    .unwrap();
    let (allow, trap) = (libc::SECCOMP_RET_ALLOW, libc::SECCOMP_RET_TRAP);
    let at_fdcwd = libc::AT_FDCWD as i64 as u64;
    let below = [
        0,
        1,
        2,
        3,
        V - 1,
        at_fdcwd,
        at_fdcwd & 0xffff_ffff,
        NO_FILE,
        1 << 32 | 1,
        0x8000_0000,
        u64::from(u32::MAX) << 32 | (V - 1),
    ];
    let volume = [V, V + 1, 1000, i32::MAX as u64];
    // (call, descriptor argument, the other arguments as the library OS passes them)
    let nofollow = libc::AT_SYMLINK_NOFOLLOW as u64;
    let calls: &[(i64, usize, [u64; 6])] = &[
        (libc::SYS_pread64, 0, [0; 6]),
        (libc::SYS_close, 0, [0; 6]),
        (libc::SYS_openat2, 0, [0; 6]),
        (libc::SYS_getdents64, 0, [0; 6]),
        (libc::SYS_readlinkat, 0, [0; 6]),
        (libc::SYS_fstatfs, 0, [0; 6]),
        (libc::SYS_pwrite64, 0, [0; 6]),
        (libc::SYS_ftruncate, 0, [0; 6]),
        (libc::SYS_fsync, 0, [0; 6]),
        (libc::SYS_fallocate, 0, [0; 6]),
        (libc::SYS_fchmod, 0, [0, 0o4777, 0, 0, 0, 0]),
        (libc::SYS_fchmodat2, 0, [0, 0, 0o4777, nofollow, 0, 0]),
        (libc::SYS_utimensat, 0, [0; 6]),
        (libc::SYS_mkdirat, 0, [0; 6]),
        (libc::SYS_symlinkat, 1, [0; 6]),
        (libc::SYS_unlinkat, 0, [0; 6]),
        (libc::SYS_renameat2, 0, [0, 0, V, 0, 0, 0]),
        (libc::SYS_renameat2, 2, [V, 0, 0, 0, 0, 0]),
        (libc::SYS_linkat, 0, [0, 0, V, 0, 0, 0]),
        (libc::SYS_linkat, 2, [V, 0, 0, 0, 0, 0]),
        (libc::SYS_mmap, 4, [0, 4096, 1, 1, 0, 0]),
        (libc::SYS_read, 0, [0; 6]),
        (
            libc::SYS_newfstatat,
            0,
            [0, 0, 0, libc::AT_EMPTY_PATH as u64, 0, 0],
        ),
    ];
    for &(nr, i, args) in calls {
        let with = |fd: u64| {
            let mut a = args;
            a[i] = fd;
            run(&p, &seccomp_data(nr as u32, ours, a))
        };
        for fd in below {
            let expected = match nr {
                // stdin, and the fstat of stdio
                libc::SYS_read if fd & 0xffff_ffff == 0 => allow,
                libc::SYS_newfstatat if fd & 0xffff_ffff <= 2 => allow,
                // an anonymous mapping
                libc::SYS_mmap if fd & 0xffff_ffff == 0xffff_ffff => allow,
                _ => trap,
            };
            assert_eq!(with(fd), expected, "call {nr} with arg{i} = {fd:#x}");
        }
        for fd in volume {
            assert_eq!(with(fd), allow, "call {nr} with arg{i} = {fd:#x}");
        }
        // A volume descriptor's number with a high word: not what the library OS passes.
        assert_eq!(with(1 << 32 | V), trap, "call {nr} with a high word");
    }
    // write and ioctl: stdio only, never a volume descriptor.
    for nr in [libc::SYS_write, libc::SYS_ioctl] {
        for fd in [0, 1, 2] {
            let a = [fd, libc::TCGETS, 0, 0, 0, 0];
            assert_eq!(run(&p, &seccomp_data(nr as u32, ours, a)), allow);
        }
        for fd in [3, V, at_fdcwd, 1 << 32 | 1] {
            let a = [fd, libc::TCGETS, 0, 0, 0, 0];
            assert_eq!(run(&p, &seccomp_data(nr as u32, ours, a)), trap, "{fd:#x}");
        }
    }
    // utimensat(stdout, NULL, times, 0): the finding's futimens on stdio.
    let utimensat = libc::SYS_utimensat as u32;
    assert_eq!(
        run(&p, &seccomp_data(utimensat, ours, [1, 0, 0, 0, 0, 0])),
        trap
    );
    assert_eq!(
        run(&p, &seccomp_data(utimensat, ours, [V, 0, 0, 0, 0, 0])),
        allow
    );
}

/// The vDSO may make only the clock_gettime fallback: the runner calls no other vDSO function.
#[test]
fn the_vdso_may_only_read_clocks() {
    let p = build(&spec()).unwrap();
    let vdso = 0x7fff_0000_1000;
    for nr in [
        libc::SYS_gettimeofday,
        libc::SYS_time,
        libc::SYS_clock_getres,
        libc::SYS_getcpu,
    ] {
        assert_eq!(
            run(&p, &seccomp_data(nr as u32, vdso, [0; 6])),
            libc::SECCOMP_RET_KILL_PROCESS,
            "{nr}"
        );
    }
    assert_eq!(
        run(
            &p,
            &seccomp_data(libc::SYS_clock_gettime as u32, vdso, [0; 6])
        ),
        libc::SECCOMP_RET_ALLOW
    );
}

/// madvise from the runner's text: the advice the library OS and its allocators give, never
/// one that acts on physical (host page-cache) pages or on what a fork copies.
#[test]
fn madvise_takes_only_the_advice_the_runner_gives() {
    let ours = 0x7f00_0015_0000;
    let p = build(&spec()).unwrap();
    let nr = libc::SYS_madvise as u32;
    let with = |advice: u64| run(&p, &seccomp_data(nr, ours, [0x1000, 4096, advice, 0, 0, 0]));
    for advice in [libc::MADV_DONTNEED, libc::MADV_FREE, libc::MADV_REMOVE] {
        assert_eq!(with(advice as u64), libc::SECCOMP_RET_ALLOW, "{advice}");
    }
    for advice in [
        libc::MADV_HWPOISON as u64,
        libc::MADV_SOFT_OFFLINE as u64,
        libc::MADV_DONTFORK as u64,
        libc::MADV_WIPEONFORK as u64,
        1 << 32 | libc::MADV_DONTNEED as u64,
    ] {
        assert_eq!(with(advice), libc::SECCOMP_RET_TRAP, "{advice:#x}");
    }
}
