//! Containment tests: what a guest must not reach, checked from outside the sandbox.
//!
//! Each case runs a program inside Meridian and checks its output and exit status against
//! what containment requires (not against a native run: natively these programs do reach the
//! host). Programs live in `tests/containment/` and are compiled static by this test.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(20);

fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/containment")
}

/// Compile `tests/containment/<name>.c` statically into a scratch bin dir; returns the dir.
fn build(name: &str) -> PathBuf {
    let gcc = common::find_gcc();
    let dir = common::scratch_dir("containment/bin");
    let src = programs_dir().join(format!("{name}.c"));
    let out = dir.join(name);
    if !common::is_up_to_date(&out, &[&src]) {
        common::compile_c(&gcc, &src, &out, &["-O1", "-static", "-D_GNU_SOURCE"])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

fn run_in_sandbox(name: &str, extra: &[&str]) -> common::Outcome {
    let dir = build(name);
    let mut cmd = common::Sandbox::new()
        .mount(&dir, "/t", true)
        .command(&format!("/t/{name}"), &[]);
    cmd.args(extra);
    common::run(cmd, b"", TIMEOUT)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn host_paths_outside_mounts_are_not_found() {
    let out = run_in_sandbox("unmounted_paths", &[]);
    assert_eq!(out.status, 0, "stderr: {}", text(&out.stderr));
    let expected = "\
/etc/hostname: ENOENT
/etc/shadow: ENOENT
/etc/machine-id: ENOENT
/home/../etc/hostname: ENOENT
/../../../../etc/hostname: ENOENT
/proc/self/root/etc/hostname: ENOENT
/proc/1/root/etc/hostname: ENOENT
/var/log/syslog: ENOENT
/work: ENOENT
";
    assert_eq!(text(&out.stdout), expected);
    // The paths do exist on this host (where it has them), so the ENOENTs are containment.
    assert!(Path::new("/work").exists() || Path::new("/etc/hostname").exists());
}

#[test]
fn jit_built_syscalls_are_served_by_meridian() {
    let out = run_in_sandbox("jit_syscall", &[]);
    assert_eq!(out.status, 0, "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    // The sandbox's pid is 1; the host would have answered with the runner's real pid.
    assert!(
        stdout.contains("jit getpid == libc getpid: 1\n"),
        "{stdout}"
    );
    assert!(stdout.contains("jit getpid: 1\n"), "{stdout}");
    assert!(
        stdout.contains("written by a JIT syscall\njit write returned 25\n"),
        "{stdout}"
    );

    // The trace shows the JIT's calls going through the shim.
    let dir = build("jit_syscall");
    let mut cmd = std::process::Command::new(common::meridian_bin());
    cmd.arg("run")
        .arg("--trace")
        .arg("--mount")
        .arg(format!("{}:/t:ro", dir.display()));
    cmd.args(["--", "/t/jit_syscall"]);
    let traced = common::run(cmd, b"", TIMEOUT);
    let trace = text(&traced.stderr);
    assert!(
        trace.contains("getpid() = 1"),
        "trace lacks the JIT getpid:\n{trace}"
    );
    assert!(
        trace.contains("write(1, "),
        "trace lacks the JIT write:\n{trace}"
    );
}

#[test]
fn unknown_syscall_numbers_get_enosys_and_the_guest_goes_on() {
    let out = run_in_sandbox("unknown_syscalls", &[]);
    assert_eq!(out.status, 0, "stderr: {}", text(&out.stderr));
    let expected = "\
syscall(0x3e8) = -1 errno=ENOSYS
syscall(0x1388) = -1 errno=ENOSYS
syscall(0xffffffffffffffff) = -1 errno=ENOSYS
syscall(0x40000027) = -1 errno=ENOSYS
syscall(0x7fffffff) = -1 errno=ENOSYS
still running
";
    assert_eq!(text(&out.stdout), expected);
    // Reported once on stderr, as unsupported.
    assert!(
        text(&out.stderr).contains("unsupported system call 1000"),
        "{}",
        text(&out.stderr)
    );
}

/// Run `meridian run -- <guest path>` with `dir` mounted at /t.
fn run_file(dir: &Path, guest: &str) -> common::Outcome {
    let cmd = common::Sandbox::new()
        .mount(dir, "/t", true)
        .command(guest, &[]);
    common::run(cmd, b"", TIMEOUT)
}

#[test]
fn bad_programs_exit_like_a_shell_with_a_reason() {
    use std::os::unix::fs::PermissionsExt;
    let dir = common::scratch_dir("containment/bad");
    let write = |name: &str, bytes: &[u8], mode: u32| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write("garbage", b"this is not a program\n", 0o755);
    // A valid ELF identification with a program header table far past the end of the file.
    let mut elf = vec![0u8; 64];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[4] = 2;
    elf[5] = 1;
    elf[16] = 2;
    elf[18] = 62;
    elf[32..40].copy_from_slice(&0x10_0000u64.to_le_bytes());
    elf[54] = 56;
    elf[56] = 1;
    write("truncated-elf", &elf, 0o755);
    let mut arm = elf.clone();
    arm[18] = 183; // EM_AARCH64
    write("arm-elf", &arm, 0o755);
    write("not-executable", b"#!/bin/sh\n", 0o644);
    std::fs::create_dir_all(dir.join("a-directory")).unwrap();

    for (guest, status, reason) in [
        ("/t/garbage", 126, "not an ELF file"),
        ("/t/truncated-elf", 126, "program header table out of range"),
        ("/t/arm-elf", 126, "not an x86-64 program"),
        ("/t/not-executable", 126, "permission denied"),
        ("/t/a-directory", 126, "is a directory"),
        ("/t/missing", 127, "not found"),
        ("no-such-program-anywhere", 127, "not found"),
    ] {
        let out = run_file(&dir, guest);
        let stderr = text(&out.stderr);
        assert_eq!(out.status, status, "{guest}: stderr {stderr}");
        assert!(
            stderr.contains(reason),
            "{guest}: expected {reason:?} in {stderr:?}"
        );
        assert_eq!(
            stderr.lines().count(),
            1,
            "{guest}: one line, got {stderr:?}"
        );
    }
}
