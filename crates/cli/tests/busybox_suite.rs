//! The busybox conformance suite (docs/conformance.md): `scripts/busybox-suite.sh` runs
//! Debian's busybox testsuite natively and inside the sandbox and compares them against
//! `tests/busybox-suite/KNOWN_FAILURES`. These tests run that script:
//!
//! - `busybox_suite_native_vs_sandbox`: the whole suite, both sides (`MERIDIAN_NATIVE_ONLY=1`:
//!   the native side only).
//! - `known_failures_rules`: the comparison on made-up results, so that each rule of the
//!   known-failures list is seen to fail when it should.
//!
//! The first run downloads Debian's busybox source package with apt (then cached in
//! `target/busybox-suite/`); scripts/test.sh checks that apt and dpkg-source are present.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Outcome, meridian_bin, native_only, run, scratch_dir};

/// Both sides, with room for a slow sandbox: the native side takes about 30 s on 2 CPUs.
const FULL_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const COMPARE_TIMEOUT: Duration = Duration::from_secs(60);

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/busybox-suite.sh")
}

fn suite(args: &[&str], env: &[(&str, &Path)], timeout: Duration) -> Outcome {
    let mut cmd = Command::new("bash");
    cmd.arg(script()).args(args).env("MERIDIAN", meridian_bin());
    for (key, value) in env {
        cmd.env(key, value);
    }
    run(cmd, b"", timeout)
}

fn report(outcome: &Outcome) -> String {
    format!(
        "exit status {} (timed out: {})\n--- stdout\n{}\n--- stderr\n{}",
        outcome.status,
        outcome.timed_out,
        String::from_utf8_lossy(&outcome.stdout),
        String::from_utf8_lossy(&outcome.stderr)
    )
}

#[test]
fn busybox_suite_native_vs_sandbox() {
    let args: &[&str] = if native_only() {
        &["--native-only"]
    } else {
        &[]
    };
    let outcome = suite(args, &[], FULL_TIMEOUT);
    assert_eq!(
        outcome.status,
        0,
        "the busybox suite failed:\n{}",
        report(&outcome)
    );
    println!("{}", report(&outcome));
}

/// Made-up native and sandboxed results: `a: one` passes on both sides, `a: two` and
/// `b: three` pass natively only, `b: four` fails on both. Each known-failures file below
/// breaks one rule, or none.
#[test]
fn known_failures_rules() {
    let dir = scratch_dir("busybox-suite-rules");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        fs::write(&path, text).unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
        path
    };
    let native = write(
        "native.tsv",
        "a: one\tPASS\na: two\tPASS\nb: three\tPASS\nb: four\tFAIL\n",
    );
    let sandboxed = write("sandbox.tsv", "a: one\tPASS\na: two\tFAIL\nb: four\tFAIL\n");
    let native = native.to_str().expect("utf-8 path");
    let sandboxed = sandboxed.to_str().expect("utf-8 path");
    let compare = |known: &Path, sandboxed: &str| {
        suite(
            &["--compare", native, sandboxed],
            &[("BUSYBOX_SUITE_KNOWN_FAILURES", known)],
            COMPARE_TIMEOUT,
        )
    };

    // Both natively passing failures listed, but 1 of 3 is under 95%.
    let both = write(
        "both",
        "# comment\n\na: two -- reason\nb: three -- missing: no result\n",
    );
    let outcome = compare(&both, sandboxed);
    assert_eq!(outcome.status, 1, "{}", report(&outcome));
    let stdout = String::from_utf8_lossy(&outcome.stdout);
    assert!(stdout.contains("1 of 3 (33.3%"), "{}", report(&outcome));
    assert!(!stdout.contains("not in"), "{}", report(&outcome));

    // The same list against a sandbox where everything passes: both entries are stale.
    let outcome = compare(&both, native);
    assert_eq!(outcome.status, 1, "{}", report(&outcome));
    let stdout = String::from_utf8_lossy(&outcome.stdout);
    assert!(
        stdout.contains("now pass sandboxed"),
        "{}",
        report(&outcome)
    );
    assert!(
        stdout.contains("  a: two\n  b: three\n"),
        "{}",
        report(&outcome)
    );

    // Nothing listed against that sandbox: passes (3 of 3).
    let empty = write("empty", "# nothing\n");
    let outcome = compare(&empty, native);
    assert_eq!(outcome.status, 0, "{}", report(&outcome));

    // An unlisted failure is named with its sandboxed status.
    let one = write("one", "a: two -- reason\n");
    let outcome = compare(&one, sandboxed);
    assert_eq!(outcome.status, 1, "{}", report(&outcome));
    let stdout = String::from_utf8_lossy(&outcome.stdout);
    assert!(
        stdout.contains("  b: three (sandboxed: MISSING)"),
        "{}",
        report(&outcome)
    );

    // A line without a reason is an error, not an entry.
    let malformed = write("malformed", "a: two\n");
    let outcome = compare(&malformed, native);
    assert_eq!(outcome.status, 1, "{}", report(&outcome));
    assert!(
        String::from_utf8_lossy(&outcome.stderr).contains("expected `APPLET: NAME -- REASON`"),
        "{}",
        report(&outcome)
    );
}

/// The checked-in list parses: every entry is `APPLET: NAME -- REASON` with a reason (the
/// script checks the same when it compares, and warns about entries that match no case).
#[test]
fn known_failures_file_is_well_formed() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/busybox-suite/KNOWN_FAILURES");
    let text =
        fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim_start().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (case, reason) = line.split_once(" -- ").unwrap_or_else(|| {
            panic!(
                "{}:{}: expected `APPLET: NAME -- REASON`",
                path.display(),
                n + 1
            )
        });
        assert!(
            case.split_once(": ")
                .is_some_and(|(applet, name)| !applet.is_empty() && !name.is_empty()),
            "{}:{}: the case must be `APPLET: NAME`",
            path.display(),
            n + 1
        );
        assert!(
            !reason.trim().is_empty(),
            "{}:{}: empty reason",
            path.display(),
            n + 1
        );
    }
}
