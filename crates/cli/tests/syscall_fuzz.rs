//! The random system call fuzzer (`tests/fuzz/syscall_fuzz.c`) inside Meridian, for a bounded
//! time: two worker processes of three threads each issue random calls with adversarial
//! arguments (the program's header says which calls it skips and why). Checked from outside:
//!
//! - meridian exits 0 (the fuzzer's first process ends normally; 125 would be Meridian failing
//!   itself), within a timeout, and its stderr has no "internal error" and no panic;
//! - the fuzzer printed its seed and its `fuzz: done` line (so it ran to the end);
//! - a host file outside every mount is unchanged (content, mode, modification time), and the
//!   read-write volume the fuzzer was given (`/w`) still holds only what it may change.
//!
//! Two runs: a fixed seed, and one derived from the clock (printed, so a failure can be
//! replayed with `MERIDIAN_FUZZ_SEED`). `MERIDIAN_FUZZ_SECONDS` (default 10 per run) and
//! `MERIDIAN_FUZZ_SEED` override them; docs/fuzzing.md records longer runs.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::Sandbox;

/// The fixed seed of the first run.
const FIXED_SEED: u64 = 0x5eed_0001;
/// Seconds per run unless `MERIDIAN_FUZZ_SECONDS` says otherwise.
const DEFAULT_SECONDS: u64 = 10;
/// Worker processes and threads per worker.
const PROCESSES: u32 = 2;
const THREADS: u32 = 3;
/// A bound on calls per run (0 would be none); far above what 10 s reaches.
const MAX_CALLS: u64 = 5_000_000;
/// How long past its own deadline a run may take before the test kills it.
const GRACE: Duration = Duration::from_secs(20);
const VICTIM_CONTENT: &str = "victim: must stay as it is\n";

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn build_fuzzer() -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fuzz/syscall_fuzz.c");
    let bin_dir = common::scratch_dir("syscall_fuzz/bin");
    let out = bin_dir.join("syscall_fuzz");
    if !common::is_up_to_date(&out, &[&src]) {
        common::compile_c(
            &common::find_gcc(),
            &src,
            &out,
            &["-O1", "-pthread", "-D_GNU_SOURCE", "-Wall", "-static"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    out
}

/// Content, mode and modification time of a file.
fn fingerprint(path: &Path) -> (String, u32, i64, i64) {
    let meta = std::fs::metadata(path).expect("the victim exists");
    (
        std::fs::read_to_string(path).expect("the victim is readable"),
        meta.mode(),
        meta.mtime(),
        meta.mtime_nsec(),
    )
}

fn fuzz_once(bin: &Path, seed: u64, seconds: u64) {
    let scratch = common::scratch_dir(&format!("syscall_fuzz/run-{seed}"));
    let outside = scratch.join("outside");
    let volume = scratch.join("volume");
    for dir in [&outside, &volume] {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).expect("create the scratch dirs");
    }
    let victim = outside.join("victim.txt");
    std::fs::write(&victim, VICTIM_CONTENT).expect("write the victim");
    std::fs::write(volume.join("f"), "in the volume\n").expect("write the volume file");
    let before = fingerprint(&victim);

    let bin_dir = bin.parent().expect("a directory");
    let mut cmd = Sandbox::new()
        .mount(bin_dir, "/t", true)
        .mount(&volume, "/w", false)
        .command(
            "/t/syscall_fuzz",
            &[
                &seed.to_string(),
                &seconds.to_string(),
                &PROCESSES.to_string(),
                &THREADS.to_string(),
                &MAX_CALLS.to_string(),
            ],
        );
    let out = common::run(&mut cmd, b"", Duration::from_secs(seconds) + GRACE);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The workers write random bytes to stdout too: the fuzzer's own lines start on a line
    // of their own, but a line may have such bytes before it.
    let summary: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.find("fuzz: ").map(|at| &l[at..]))
        .collect();
    let report = format!(
        "seed {seed} ({seconds} s): status {}, signal {:?}, timed out {}\nfuzzer: {summary:#?}\nstderr (tail):\n{}",
        out.status,
        out.signal,
        out.timed_out,
        common::indented_tail(&out.stderr, common::STDERR_TAIL_LINES)
    );
    eprintln!("{report}");
    assert!(
        !stderr.contains("internal error") && !stderr.contains("panicked"),
        "Meridian failed itself under the fuzzer: {report}"
    );
    assert_eq!(out.status, 0, "{report}");
    assert!(
        summary.iter().any(|l| l.starts_with("fuzz: done: ")),
        "the fuzzer did not reach its end: {report}"
    );
    assert_eq!(
        fingerprint(&victim),
        before,
        "the host file outside every mount changed: {report}"
    );
    for entry in std::fs::read_dir(&volume).expect("the volume is readable") {
        let entry = entry.expect("a volume entry");
        let meta = std::fs::symlink_metadata(entry.path()).expect("volume entry metadata");
        let victim_meta = std::fs::metadata(&victim).expect("the victim exists");
        assert!(
            meta.ino() != victim_meta.ino() || meta.dev() != victim_meta.dev(),
            "the victim was linked into the volume: {report}"
        );
    }
}

#[test]
fn random_system_calls_never_make_meridian_fail_itself() {
    let bin = build_fuzzer();
    let seconds = env_u64("MERIDIAN_FUZZ_SECONDS").unwrap_or(DEFAULT_SECONDS);
    let seeds = match env_u64("MERIDIAN_FUZZ_SEED") {
        Some(seed) => vec![seed],
        None => {
            let clock = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("the clock is past 1970")
                .as_nanos() as u64;
            vec![FIXED_SEED, clock]
        }
    };
    for seed in seeds {
        fuzz_once(&bin, seed, seconds);
    }
}
