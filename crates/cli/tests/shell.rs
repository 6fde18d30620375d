//! Dual-run tests with `busybox sh` scripts (issue 4, processes): every `tests/sh/*.sh` runs
//! as `/bin/busybox sh SCRIPT` natively and inside the sandbox (the directory mounted
//! read-only at `/sh`), and stdout and exit status must match. The scripts exercise what a
//! shell does with processes: pipelines, subshells, command substitution, background jobs and
//! `wait`, traps, `set -e`, redirections to files in `/tmp`, `xargs`, and long runs of
//! external commands.
//!
//! A script declares the exit status it must have natively in a comment line at its top
//! (`# meridian-test: exit=N`, default 0). Scripts print nothing that depends on the host, on
//! pids or on timing; a second native run checks that. Both sides run with the same small
//! environment ([`SCRIPT_ENV`]) and `/` as the working directory natively (the sandbox's own
//! default otherwise; scripts do not print it).
//!
//! Switches (see `common/mod.rs`): `MERIDIAN_NATIVE_ONLY=1` runs only the native side, which
//! checks the scripts themselves; `MERIDIAN_TEST_FILTER=text` runs the scripts whose name
//! contains `text`.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::Sandbox;

const BUSYBOX: &str = "/bin/busybox";
/// Where the sandbox mounts `tests/sh/`.
const GUEST_SCRIPT_DIR: &str = "/sh";
/// The same environment on both sides: applets first on PATH, a timezone without a tzfile,
/// the C locale.
const SCRIPT_ENV: &[(&str, &str)] = &[("PATH", "/bin:/usr/bin"), ("TZ", "UTC0"), ("LC_ALL", "C")];
/// Per run; the slowest script (1000 processes) takes about a second natively.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
const MARKER_PREFIX: &str = "# meridian-test:";

/// One script and the exit status it must have natively.
struct Script {
    name: String,
    path: PathBuf,
    status: i32,
}

fn script_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sh");
    dir.canonicalize()
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
}

/// The selected scripts, sorted by name.
fn discover(dir: &Path) -> Vec<Script> {
    let mut scripts: Vec<Script> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .map(|entry| entry.expect("read a tests/sh entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sh"))
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            common::selected(&name).then(|| {
                let status = expected_status(&path);
                Script { name, path, status }
            })
        })
        .collect();
    scripts.sort_by(|a, b| a.name.cmp(&b.name));
    scripts
}

/// The `exit=N` marker in the script's leading comment lines, or 0.
fn expected_status(path: &Path) -> i32 {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    let mut status = 0;
    let header = text.lines().take_while(|line| line.starts_with('#'));
    for marker in header.filter_map(|line| line.strip_prefix(MARKER_PREFIX)) {
        for word in marker.split_whitespace() {
            match word.strip_prefix("exit=").map(str::parse) {
                Some(Ok(n)) => status = n,
                _ => panic!(
                    "{}: unknown marker {word:?} (known: exit=N)",
                    path.display()
                ),
            }
        }
    }
    status
}

fn native_command(script: &Script) -> Command {
    let mut cmd = Command::new(BUSYBOX);
    cmd.arg("sh")
        .arg(&script.path)
        .current_dir("/")
        .env_clear()
        .envs(SCRIPT_ENV.iter().copied());
    cmd
}

fn sandboxed_command(script: &Script) -> Command {
    let mut sandbox = Sandbox::new().mount(&script_dir(), GUEST_SCRIPT_DIR, true);
    for (key, value) in SCRIPT_ENV {
        sandbox = sandbox.env(key, value);
    }
    let guest_path = format!("{GUEST_SCRIPT_DIR}/{}", script.name);
    sandbox.command(BUSYBOX, &["sh", &guest_path])
}

/// `None` if the script passes, else a report.
fn check(script: &Script, timeout: Duration) -> Option<String> {
    let runs = common::native_vs_sandbox(
        native_command(script),
        sandboxed_command(script),
        b"",
        timeout,
    );
    let native = &runs.native;
    if native.status != script.status {
        return Some(format!(
            "HARNESS ERROR {}: natively exited {}{} (expected {}; scripts must pass natively)\n\
             \x20 stdout:\n{}  stderr:\n{}",
            script.name,
            native.status,
            if native.timed_out { " (timed out)" } else { "" },
            script.status,
            common::indented_tail(&native.stdout, common::STDERR_TAIL_LINES),
            common::indented_tail(&native.stderr, common::STDERR_TAIL_LINES),
        ));
    }
    let again = common::run(native_command(script), b"", timeout);
    if again.stdout != native.stdout {
        return Some(format!(
            "HARNESS ERROR {}: native stdout differs between two runs; print only \
             deterministic facts:\n{}",
            script.name,
            common::diff_lines("run 1", &native.stdout, "run 2", &again.stdout)
        ));
    }
    runs.mismatch()
        .map(|report| format!("MISMATCH {}\n{report}", script.name))
}

#[test]
fn shell_scripts_match_native() {
    let scripts = discover(&script_dir());
    assert!(
        !scripts.is_empty(),
        "no scripts in tests/sh match MERIDIAN_TEST_FILTER"
    );
    let timeout = common::timeout_or(RUN_TIMEOUT);
    let reports = common::parallel_map(scripts.iter().collect(), common::workers(), |script| {
        check(script, timeout)
    });
    let mut failures = String::new();
    let mut failed = 0;
    for report in reports.into_iter().flatten() {
        failed += 1;
        let _ = writeln!(failures, "{report}");
    }
    let mode = if common::native_only() {
        "native only"
    } else {
        "native vs sandbox"
    };
    let summary = format!(
        "busybox sh scripts ({mode}): {} scripts, {} passed, {failed} failed",
        scripts.len(),
        scripts.len() - failed
    );
    println!("{summary}");
    assert!(
        failed == 0,
        "{summary}\n\n{failures}(scripts are in tests/sh; rerun one with MERIDIAN_TEST_FILTER=<name>)"
    );
}
