//! Dual-run C tests: every `tests/c/*.c` is compiled twice (`-static` and dynamic), run
//! natively, then run inside the sandbox as `meridian run --mount <bindir>:/t:ro -- /t/<name>`;
//! stdout and exit status must match (death by signal N counts as status 128+N on both sides).
//!
//! Each program checks itself and must pass natively first: a native run whose status differs
//! from the expected one is reported as a harness error, not as a sandbox bug. All runs are
//! collected before the test fails, so one report lists every mismatch.
//!
//! Markers, in the comment lines at the top of a program (`// meridian-test: a b ...`):
//! - `stdin`: the program reads stdin; it gets [`STDIN_TEXT`] (others get empty input).
//! - `skip-static`: build only the dynamic variant.
//! - `nostdlib`: the program brings its own `_start` and no libc (to see the registers at its
//!   first instruction); built only static, with [`NOSTDLIB_FLAGS`].
//! - `exit=N`: the program is expected to end with status N (default 0), e.g. 134 for abort().
//!
//! Binaries are cached in `$CARGO_TARGET_TMPDIR/dual_run_c/bin` and rebuilt when the source or
//! this test binary is newer. See `common/mod.rs` for the environment switches
//! (`MERIDIAN_DUAL_NATIVE_ONLY=1`, `MERIDIAN_TEST_FILTER=substring`, `MERIDIAN_TEST_JOBS`,
//! `MERIDIAN_TEST_TIMEOUT_SECS`, `MERIDIAN_TEST_TRACE`, `MERIDIAN_TEST_CC`).

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{DualRun, Sandbox};

/// Compiler flags for every program; `-static` is added for the static variant.
const C_FLAGS: &[&str] = &["-O1", "-pthread", "-D_GNU_SOURCE", "-Wall"];
/// Added for programs marked `nostdlib` (static only).
const NOSTDLIB_FLAGS: &[&str] = &["-nostdlib", "-ffreestanding", "-fno-stack-protector"];
/// Standard input for programs marked `stdin`.
const STDIN_TEXT: &[u8] = b"hello\nworld\n";
/// Where the sandbox sees the directory of compiled programs.
const GUEST_BIN_DIR: &str = "/t";
/// Per run, native or sandboxed.
const RUN_TIMEOUT: Duration = Duration::from_secs(20);
/// Environment for native runs (the sandbox chooses the guest's own).
const NATIVE_PATH: &str = "/usr/bin:/bin";
const MARKER_PREFIX: &str = "// meridian-test:";

/// How a program is linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Static,
    Dynamic,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Static => "static",
            Variant::Dynamic => "dynamic",
        }
    }
}

/// One C program and what its markers say about it.
#[derive(Debug, Clone)]
struct Program {
    name: String,
    source: PathBuf,
    reads_stdin: bool,
    skip_static: bool,
    nostdlib: bool,
    expected_status: i32,
}

/// One build of one program, the unit of work.
#[derive(Debug, Clone)]
struct Job {
    program: Program,
    variant: Variant,
}

impl Job {
    fn binary_name(&self) -> String {
        format!("{}-{}", self.program.name, self.variant.name())
    }
}

/// What went wrong with one job, if anything.
enum Verdict {
    Pass,
    /// The harness or the program itself is broken (compile failure, fails natively).
    HarnessError(String),
    /// The sandbox disagrees with the native run.
    Mismatch(String),
}

#[test]
fn c_programs_match_native() {
    let started = Instant::now();
    let gcc = common::find_gcc();
    let sources_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/c");
    let sources_dir = sources_dir
        .canonicalize()
        .unwrap_or_else(|err| panic!("{}: {err}", sources_dir.display()));
    let programs = discover(&sources_dir);
    assert!(
        !programs.is_empty(),
        "no C programs in {} match MERIDIAN_TEST_FILTER",
        sources_dir.display()
    );
    let bin_dir = common::scratch_dir("dual_run_c/bin");
    let jobs: Vec<Job> = programs
        .iter()
        .flat_map(|program| {
            [Variant::Static, Variant::Dynamic]
                .into_iter()
                .filter(|&variant| match variant {
                    Variant::Static => !program.skip_static,
                    Variant::Dynamic => !program.nostdlib,
                })
                .map(|variant| Job {
                    program: program.clone(),
                    variant,
                })
        })
        .collect();
    let timeout = common::timeout_or(RUN_TIMEOUT);
    let verdicts = common::parallel_map(jobs.clone(), common::workers(), |job| {
        run_job(&gcc, &bin_dir, &job, timeout)
    });

    let known = known_failures(&sources_dir);
    let mut harness_errors = String::new();
    let mut mismatches = String::new();
    let (mut n_errors, mut n_mismatches, mut n_known) = (0, 0, 0);
    for (job, verdict) in jobs.iter().zip(&verdicts) {
        let label = format!("{} [{}]", job.program.name, job.variant.name());
        let known_reason = known.get(job.program.name.as_str());
        match verdict {
            Verdict::Mismatch(_) if known_reason.is_some() && !common::native_only() => {
                n_known += 1;
                println!(
                    "known failure {label}: {}",
                    known_reason.map_or("", |r| r.as_str())
                );
            }
            Verdict::Pass if known_reason.is_some() && !common::native_only() => {
                n_mismatches += 1;
                let _ = writeln!(
                    mismatches,
                    "FIXED {label}: it passes now; remove it from tests/c/KNOWN_FAILURES (the list only shrinks)\n"
                );
            }
            Verdict::Pass => {}
            Verdict::HarnessError(report) => {
                n_errors += 1;
                let _ = write!(harness_errors, "HARNESS ERROR {label}\n{report}\n");
            }
            Verdict::Mismatch(report) => {
                n_mismatches += 1;
                let _ = write!(mismatches, "MISMATCH {label}\n{report}\n");
            }
        }
    }
    let mode = if common::native_only() {
        "native only"
    } else {
        "native vs sandbox"
    };
    let summary = format!(
        "dual-run C tests ({mode}): {} programs, {} runs, {} passed, {n_known} known failures, \
         {n_mismatches} mismatches, {n_errors} harness errors, {:.1} s",
        programs.len(),
        jobs.len(),
        jobs.len() - n_errors - n_mismatches - n_known,
        started.elapsed().as_secs_f32()
    );
    println!("{summary}");
    if n_errors + n_mismatches > 0 {
        panic!(
            "{summary}\n\n{harness_errors}{mismatches}\
             (programs are in tests/c; rerun one with MERIDIAN_TEST_FILTER=<name>)"
        );
    }
}

/// `tests/c/KNOWN_FAILURES`: one `program  reason` per line (`#` comments). A listed program
/// may mismatch in the sandbox (reported, not failed); one that passes must leave the list.
fn known_failures(dir: &Path) -> std::collections::HashMap<String, String> {
    let text = std::fs::read_to_string(dir.join("KNOWN_FAILURES")).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            assert!(
                !reason.trim().is_empty(),
                "KNOWN_FAILURES: {name} has no reason"
            );
            (name.to_string(), reason.trim().to_string())
        })
        .collect()
}

/// The selected programs in `dir`, sorted by name.
fn discover(dir: &Path) -> Vec<Program> {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot list C programs in {}: {err}", dir.display()));
    let mut programs: Vec<Program> = entries
        .map(|entry| entry.expect("read a tests/c entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "c"))
        .filter_map(|source| {
            let name = source.file_stem()?.to_str()?.to_owned();
            common::selected(&name).then(|| parse_program(name, source))
        })
        .collect();
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    programs
}

/// Reads a program's markers from the comment lines at its top.
fn parse_program(name: String, source: PathBuf) -> Program {
    let text = std::fs::read_to_string(&source)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", source.display()));
    let mut program = Program {
        name,
        source,
        reads_stdin: false,
        skip_static: false,
        nostdlib: false,
        expected_status: 0,
    };
    let header = text.lines().take_while(|line| line.starts_with("//"));
    for marker in header.filter_map(|line| line.strip_prefix(MARKER_PREFIX)) {
        for word in marker.split_whitespace() {
            match word {
                "stdin" => program.reads_stdin = true,
                "skip-static" => program.skip_static = true,
                "nostdlib" => program.nostdlib = true,
                _ => match word.strip_prefix("exit=").map(str::parse) {
                    Some(Ok(status)) => program.expected_status = status,
                    _ => panic!(
                        "{}: unknown marker {word:?} (known: stdin, skip-static, nostdlib, exit=N)",
                        program.source.display()
                    ),
                },
            }
        }
    }
    program
}

fn run_job(gcc: &Path, bin_dir: &Path, job: &Job, timeout: Duration) -> Verdict {
    let binary_name = job.binary_name();
    let binary = bin_dir.join(&binary_name);
    if let Err(report) = build(gcc, job, &binary) {
        return Verdict::HarnessError(format!("  does not compile:\n{}", indent(&report)));
    }

    let native = || {
        let mut cmd = Command::new(&binary);
        cmd.current_dir("/").env_clear().env("PATH", NATIVE_PATH);
        cmd
    };
    let guest_path = format!("{GUEST_BIN_DIR}/{binary_name}");
    let sandboxed = Sandbox::new()
        .mount(bin_dir, GUEST_BIN_DIR, true)
        .command(&guest_path, &[]);
    let stdin = if job.program.reads_stdin {
        STDIN_TEXT
    } else {
        b""
    };
    let dual = common::native_vs_sandbox(native(), sandboxed, stdin, timeout);
    // A second native run catches output that is not deterministic, which would otherwise
    // show up as a sandbox mismatch.
    let again = common::run(native(), stdin, timeout);
    if again.stdout != dual.native.stdout {
        return Verdict::HarnessError(format!(
            "  native stdout differs between two runs; print only deterministic facts:\n{}",
            common::diff_lines("run 1", &dual.native.stdout, "run 2", &again.stdout)
        ));
    }
    verdict(job, &dual)
}

/// Compiles the job's binary unless an up-to-date one exists.
fn build(gcc: &Path, job: &Job, binary: &Path) -> Result<(), String> {
    let harness = std::env::current_exe().map_err(|err| format!("current_exe: {err}"))?;
    // The headers beside the program (shared code such as vector_state.h) count too.
    let headers: Vec<PathBuf> = job
        .program
        .source
        .parent()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "h"))
        .collect();
    let mut inputs: Vec<&Path> = vec![&job.program.source, &harness];
    inputs.extend(headers.iter().map(PathBuf::as_path));
    if common::is_up_to_date(binary, &inputs) {
        return Ok(());
    }
    let mut flags = C_FLAGS.to_vec();
    if job.variant == Variant::Static {
        flags.push("-static");
    }
    if job.program.nostdlib {
        flags.extend_from_slice(NOSTDLIB_FLAGS);
    }
    common::compile_c(gcc, &job.program.source, binary, &flags)
}

fn verdict(job: &Job, dual: &DualRun) -> Verdict {
    let native = &dual.native;
    if native.status != job.program.expected_status {
        return Verdict::HarnessError(format!(
            "  fails natively (tests must pass natively first): exit status {}{}, expected {}\n\
             \x20 native stdout (last {n} lines):\n{}\
             \x20 native stderr (last {n} lines):\n{}",
            native.status,
            if native.timed_out { " (timed out)" } else { "" },
            job.program.expected_status,
            common::indented_tail(&native.stdout, common::STDERR_TAIL_LINES),
            common::indented_tail(&native.stderr, common::STDERR_TAIL_LINES),
            n = common::STDERR_TAIL_LINES,
        ));
    }
    match dual.mismatch() {
        Some(report) => Verdict::Mismatch(report),
        None => Verdict::Pass,
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}\n")).collect()
}
