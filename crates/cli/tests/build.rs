//! `make -j2` of a small C project (issue 4, processes): `tests/make/` (a static library from
//! three sources, a program linking it, a target that fails) is copied to a fresh directory
//! and built natively and inside the sandbox, where the directory is a read-write host volume
//! at `/src` (`--mount DIR:/src`, read-write by default) and the working directory. make runs
//! gcc, cc1, as, ar and ld as parallel child processes, so this needs fork, execve, wait and
//! pipes to work together.
//!
//! Compared: a `busybox sh` script's stdout and exit status. The script prints make's exit
//! status (its own output, whose order -j2 does not fix, goes to a log that is not compared),
//! the program's output, that a second `make -q` finds everything up to date, the status of a
//! failing target, and the files left after `make clean`.
//!
//! Switches (see `common/mod.rs`): `MERIDIAN_NATIVE_ONLY=1` runs only the native side.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::Sandbox;

const BUSYBOX: &str = "/bin/busybox";
/// Where the sandbox mounts the copy of the project.
const GUEST_SRC_DIR: &str = "/src";
const BUILD_ENV: &[(&str, &str)] = &[("PATH", "/usr/bin:/bin"), ("LC_ALL", "C")];
/// Tools the build needs on the host (and, through the default root, in the sandbox).
const TOOLS: &[&str] = &[
    "/usr/bin/make",
    "/usr/bin/gcc",
    "/usr/bin/as",
    "/usr/bin/ld",
    "/usr/bin/ar",
];
/// Natively the build takes about a second.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

/// The compared script; run with the project directory as the working directory.
const SCRIPT: &str = r#"
make -j2 > make.log 2>&1
echo "make -j2: $?"
./stats
echo "stats: $?"
make -q
echo "make -q after the build (0: up to date): $?"
make -j2 -k broken > broken.log 2>&1
echo "make broken: $?"
make clean > /dev/null
echo "make clean: $?"
ls
"#;

fn project_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/make");
    dir.canonicalize()
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
}

/// A fresh copy of `tests/make` under the test's scratch directory.
fn fresh_copy(name: &str) -> PathBuf {
    let dir = common::scratch_dir(name);
    std::fs::remove_dir_all(&dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    for entry in std::fs::read_dir(project_dir()).expect("list tests/make") {
        let entry = entry.expect("a tests/make entry");
        std::fs::copy(entry.path(), dir.join(entry.file_name()))
            .unwrap_or_else(|err| panic!("copy {}: {err}", entry.path().display()));
    }
    dir
}

#[test]
fn make_j2_matches_native() {
    if !common::selected("make") {
        return;
    }
    for tool in TOOLS {
        assert!(
            Path::new(tool).is_file(),
            "{tool} is missing: this test builds a C project with make and gcc (binutils); \
             `bash scripts/test-deps.sh` installs them (packages make, gcc, binutils)"
        );
    }
    let native_dir = fresh_copy("build_make/native");
    let mut native = Command::new(BUSYBOX);
    native
        .args(["sh", "-c", SCRIPT])
        .current_dir(&native_dir)
        .env_clear()
        .envs(BUILD_ENV.iter().copied());

    let sandbox_dir = fresh_copy("build_make/sandbox");
    let mut sandbox = Sandbox::new()
        .mount(&sandbox_dir, GUEST_SRC_DIR, false)
        .workdir(GUEST_SRC_DIR);
    for (key, value) in BUILD_ENV {
        sandbox = sandbox.env(key, value);
    }
    let sandboxed = sandbox.command(BUSYBOX, &["sh", "-c", SCRIPT]);

    let runs = common::native_vs_sandbox(native, sandboxed, b"", common::timeout_or(RUN_TIMEOUT));
    let stdout = String::from_utf8_lossy(&runs.native.stdout);
    assert_eq!(
        runs.native.status,
        0,
        "the build script failed natively\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&runs.native.stderr)
    );
    assert!(
        stdout.starts_with("make -j2: 0\n") && stdout.contains("primes below 1000: 168\n"),
        "natively make -j2 did not build the program:\n{stdout}\nmake.log:\n{}",
        std::fs::read_to_string(native_dir.join("make.log")).unwrap_or_default()
    );
    if let Some(report) = runs.mismatch() {
        panic!(
            "make -j2 in the sandbox differs from native:\n{report}\n  sandbox make.log:\n{}",
            std::fs::read_to_string(sandbox_dir.join("make.log")).unwrap_or_default()
        );
    }
}
