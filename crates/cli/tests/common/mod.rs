//! Helpers shared by the dual-run integration tests (C programs, busybox, python).
//!
//! A dual-run test runs the same workload natively and inside the sandbox and compares stdout
//! and exit status; stderr is kept for reports but never compared. Use it from a test file with
//! `mod common;`. The pieces:
//!
//! - [`meridian_bin`]: the `meridian` binary cargo built for this test run.
//! - [`Sandbox`]: builds a `meridian run [--policy ..] [--mount ..] [--tmpfs ..] [--rootfs ..]
//!   [--env ..] [--workdir ..] -- PROG ARGS` command.
//! - [`run`]: runs a command with a stdin, a timeout (the process group is killed on expiry) and
//!   captured output; returns an [`Outcome`] whose `status` is the exit code, or 128+N for death
//!   by signal N, the way a shell reports it and the way `meridian` reports a guest's death.
//! - [`native_vs_sandbox`]: both runs plus a readable [`DualRun::mismatch`] report.
//! - [`find_gcc`], [`compile_c`]: build C test programs.
//! - [`parallel_map`], [`workers`]: a small thread pool; [`native_only`], [`selected`]: the
//!   environment switches all dual-run tests honour.
//! - [`identity`]: running `meridian` as the test's user and as `nobody`; [`layout`]: the
//!   runner's `syscall; ret` for "layout known" attacks, and a sandbox's host processes.
//!
//! Environment switches:
//! - `MERIDIAN_DUAL_NATIVE_ONLY=1` (or `MERIDIAN_NATIVE_ONLY=1`): run only the native side, to
//!   check the workloads themselves while the sandbox cannot run them yet.
//! - `MERIDIAN_TEST_FILTER=substring`: run only the workloads whose name contains it.
//! - `MERIDIAN_TEST_JOBS=N`: worker threads (default 2-4, from the CPU count).
//! - `MERIDIAN_TEST_TIMEOUT_SECS=N`: override each test file's per-run timeout.
//! - `MERIDIAN_TEST_TRACE=1`: pass `--trace` to `meridian run`.
//! - `MERIDIAN_TEST_CC=path`: the C compiler to use instead of `gcc` from `PATH`.

#![allow(
    dead_code,
    reason = "each test crate uses a different subset of these helpers"
)]

pub mod identity;
pub mod layout;

use std::borrow::BorrowMut;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// Exit status the shell convention gives a process killed by signal N: `128 + N`.
pub const SIGNAL_STATUS_BASE: i32 = 128;
/// SIGKILL, which [`run`] sends to a process group that outlives its timeout.
const SIGKILL: i32 = 9;
/// How often [`run`] checks whether the child has exited.
const POLL_INTERVAL: Duration = Duration::from_millis(5);
/// How long [`run`] waits for stdout/stderr to reach EOF after the child has exited; longer
/// means a descendant still holds the pipes, and the process group is killed.
const DRAIN_GRACE: Duration = Duration::from_secs(2);
/// Default upper bound on worker threads for [`workers`].
const MAX_DEFAULT_WORKERS: usize = 4;
/// Lines of stderr a mismatch report shows.
pub const STDERR_TAIL_LINES: usize = 15;

/// What one run of a program produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr; after a timeout, ends with a line saying so.
    pub stderr: Vec<u8>,
    /// The exit code, or 128+N if the process died by signal N (137 after a timeout kill).
    pub status: i32,
    /// The signal that killed the process itself, if it did not exit. `meridian` reports a
    /// guest's death by signal N as exit code 128+N, so a `Some` here for a sandboxed run means
    /// the runner itself died.
    pub signal: Option<i32>,
    /// The run was killed because it exceeded its timeout.
    pub timed_out: bool,
}

/// The real uid of this test process.
pub fn own_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().next()?.parse().ok())
        .expect("a Uid line")
}

/// The `meridian` binary built by cargo for this test run.
pub fn meridian_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_meridian"))
}

/// Whether only the native side should run (`MERIDIAN_DUAL_NATIVE_ONLY=1` or
/// `MERIDIAN_NATIVE_ONLY=1`).
pub fn native_only() -> bool {
    ["MERIDIAN_DUAL_NATIVE_ONLY", "MERIDIAN_NATIVE_ONLY"]
        .iter()
        .any(|var| std::env::var_os(var).is_some_and(|v| v == "1"))
}

/// Whether `name` passes `MERIDIAN_TEST_FILTER` (a substring; unset or empty selects all).
pub fn selected(name: &str) -> bool {
    match std::env::var("MERIDIAN_TEST_FILTER") {
        Ok(filter) if !filter.is_empty() => name.contains(&filter),
        _ => true,
    }
}

/// `default`, unless `MERIDIAN_TEST_TIMEOUT_SECS` overrides it.
pub fn timeout_or(default: Duration) -> Duration {
    std::env::var("MERIDIAN_TEST_TIMEOUT_SECS")
        .ok()
        .and_then(|secs| secs.parse().ok())
        .map_or(default, Duration::from_secs)
}

/// Worker threads for [`parallel_map`]: `MERIDIAN_TEST_JOBS`, else the CPU count clamped to 2-4.
pub fn workers() -> usize {
    if let Some(jobs) = std::env::var("MERIDIAN_TEST_JOBS")
        .ok()
        .and_then(|jobs| jobs.parse::<usize>().ok())
    {
        return jobs.max(1);
    }
    let cpus = thread::available_parallelism().map_or(2, usize::from);
    cpus.clamp(2, MAX_DEFAULT_WORKERS)
}

/// A directory for this test's files under cargo's `CARGO_TARGET_TMPDIR`, created if missing.
/// It persists between runs (useful for caches and for looking at failures).
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
    dir
}

/// Exit code of a finished process; death by signal N gives 128+N.
pub fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => SIGNAL_STATUS_BASE + signal,
        // A stopped or continued status never comes from wait() without WUNTRACED.
        (None, None) => unreachable!("process neither exited nor was killed: {status:?}"),
    }
}

/// Runs `cmd` with `stdin` as its standard input, capturing stdout and stderr, and kills it (its
/// whole process group) if it runs longer than `timeout`.
///
/// Accepts `Command` or `&mut Command`. The child is put in a new process group so that a
/// timeout also kills anything it started; a consequence is that Ctrl-C on the test run does
/// not reach it, but the timeout still bounds its life. Panics if the command cannot start.
pub fn run(mut cmd: impl BorrowMut<Command>, stdin: &[u8], timeout: Duration) -> Outcome {
    let cmd = cmd.borrow_mut();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", describe_command(cmd)));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    feed(child.stdin.take(), stdin);

    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                kill_group(&mut child);
                break child.wait().expect("wait for a killed child");
            }
            Ok(None) => thread::sleep(POLL_INTERVAL),
            Err(err) => panic!("waiting for {}: {err}", describe_command(cmd)),
        }
    };

    // Output reaches EOF when every holder of the pipes is gone; a lingering descendant is
    // killed with the rest of the group.
    let (stdout, stdout_complete) = collect(&stdout, &mut child);
    let (mut stderr, stderr_complete) = collect(&stderr, &mut child);
    if timed_out {
        let note = format!(
            "\n[test harness: killed after the {} s timeout]\n",
            timeout.as_secs_f32()
        );
        stderr.extend_from_slice(note.as_bytes());
    }
    if !(stdout_complete && stderr_complete) {
        stderr.extend_from_slice(b"\n[test harness: output pipes still open after exit]\n");
    }
    Outcome {
        stdout,
        stderr,
        status: exit_code(status),
        signal: status.signal(),
        timed_out,
    }
}

/// A reader thread's result arrives on this channel.
type Drained = mpsc::Receiver<Vec<u8>>;

fn drain(pipe: Option<impl Read + Send + 'static>) -> Drained {
    let (tx, rx) = mpsc::channel();
    let mut pipe = pipe.expect("stdout and stderr are piped");
    thread::spawn(move || {
        let mut bytes = Vec::new();
        // A read error ends the output early; the comparison then shows what arrived.
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    rx
}

fn feed(pipe: Option<impl Write + Send + 'static>, input: &[u8]) {
    let mut pipe = pipe.expect("stdin is piped");
    let input = input.to_vec();
    thread::spawn(move || {
        // The child may exit without reading; a broken pipe is not an error here. Dropping the
        // pipe closes it, so the child sees end of input.
        let _ = pipe.write_all(&input);
    });
}

/// The drained bytes, and whether the pipe reached EOF (after killing the group if needed).
fn collect(rx: &Drained, child: &mut Child) -> (Vec<u8>, bool) {
    if let Ok(bytes) = rx.recv_timeout(DRAIN_GRACE) {
        return (bytes, true);
    }
    kill_group(child);
    match rx.recv_timeout(DRAIN_GRACE) {
        Ok(bytes) => (bytes, true),
        Err(_) => (Vec::new(), false),
    }
}

/// Sends SIGKILL to the child's process group (it leads one, see [`run`]), then to the child.
fn kill_group(child: &mut Child) {
    // std has no killpg; kill(1) takes a negative pid for a process group. If it is missing,
    // killing the child alone still ends a single-process run.
    let _ = Command::new("kill")
        .arg(format!("-{SIGKILL}"))
        .arg("--")
        .arg(format!("-{}", child.id()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
}

/// `cmd` as a shell-like line, for messages.
pub fn describe_command(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds `meridian run` command lines.
#[derive(Debug, Clone, Default)]
pub struct Sandbox {
    options: Vec<OsString>,
}

impl Sandbox {
    /// A sandbox with the default root and no extra options.
    pub fn new() -> Self {
        Self::default()
    }

    /// `--mount HOST:GUEST[:ro]`. Panics if `host` contains ':', which the flag cannot express.
    pub fn mount(mut self, host: &Path, guest: &str, read_only: bool) -> Self {
        let host = host.to_str().expect("mount source is UTF-8");
        assert!(
            !host.contains(':'),
            "{host} contains ':', which --mount cannot express"
        );
        let suffix = if read_only { ":ro" } else { "" };
        self.options.push("--mount".into());
        self.options.push(format!("{host}:{guest}{suffix}").into());
        self
    }

    /// `--env KEY=VALUE`.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.options.push("--env".into());
        self.options.push(format!("{key}={value}").into());
        self
    }

    /// `--policy FILE`.
    pub fn policy(mut self, file: &Path) -> Self {
        self.options.push("--policy".into());
        self.options.push(file.into());
        self
    }

    /// `--tmpfs GUEST`: an empty in-memory filesystem.
    pub fn tmpfs(mut self, guest: &str) -> Self {
        self.options.push("--tmpfs".into());
        self.options.push(guest.into());
        self
    }

    /// `--rootfs IMAGE`: a tar image as the root, with an in-memory layer on top.
    pub fn rootfs(mut self, image: &Path) -> Self {
        self.options.push("--rootfs".into());
        self.options.push(image.into());
        self
    }

    /// `--trace`: every system call of the guest on stderr.
    pub fn trace(mut self) -> Self {
        self.options.push("--trace".into());
        self
    }

    /// `--workdir DIR`.
    pub fn workdir(mut self, dir: &str) -> Self {
        self.options.push("--workdir".into());
        self.options.push(dir.into());
        self
    }

    /// `meridian run [options] [--trace if MERIDIAN_TEST_TRACE=1] -- program args...`.
    pub fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(meridian_bin());
        cmd.arg("run").args(&self.options);
        if std::env::var_os("MERIDIAN_TEST_TRACE").is_some_and(|v| v == "1")
            && !self.options.iter().any(|o| o == "--trace")
        {
            cmd.arg("--trace");
        }
        cmd.arg("--").arg(program).args(args);
        cmd
    }
}

/// A native run and, unless [`native_only`], the sandboxed run of the same workload.
#[derive(Debug, Clone)]
pub struct DualRun {
    /// The native run.
    pub native: Outcome,
    /// The sandboxed run; `None` in native-only mode.
    pub sandbox: Option<Outcome>,
}

impl DualRun {
    /// A report of how the sandboxed run differs from the native one in stdout or exit status,
    /// or `None` if they agree (or the sandbox did not run).
    pub fn mismatch(&self) -> Option<String> {
        let sandbox = self.sandbox.as_ref()?;
        let mut report = String::new();
        if sandbox.status != self.native.status {
            let why = match (sandbox.timed_out, sandbox.signal) {
                (true, _) => " (timed out)".to_owned(),
                (false, Some(signal)) => {
                    format!(" (the meridian process itself was killed by signal {signal})")
                }
                (false, None) => String::new(),
            };
            report += &format!(
                "  exit status: native {}, sandbox {}{why}\n",
                self.native.status, sandbox.status,
            );
        }
        if sandbox.stdout != self.native.stdout {
            report += &format!(
                "  stdout differs:\n{}",
                diff_lines("native", &self.native.stdout, "sandbox", &sandbox.stdout)
            );
        }
        if report.is_empty() {
            return None;
        }
        report += &format!(
            "  sandbox stderr (last {STDERR_TAIL_LINES} lines):\n{}",
            indented_tail(&sandbox.stderr, STDERR_TAIL_LINES)
        );
        Some(report)
    }
}

/// Runs `native`, then (unless [`native_only`]) `sandboxed`, each with `stdin` and `timeout`.
pub fn native_vs_sandbox(
    native: impl BorrowMut<Command>,
    sandboxed: impl BorrowMut<Command>,
    stdin: &[u8],
    timeout: Duration,
) -> DualRun {
    let native = run(native, stdin, timeout);
    let sandbox = (!native_only()).then(|| run(sandboxed, stdin, timeout));
    DualRun { native, sandbox }
}

/// The first differing line of two outputs, with a line of context either side, formatted for
/// a report: each line indented, tagged with `left_name`/`right_name` (or "both" where they
/// agree), and quoted (non-UTF-8 shown lossily).
pub fn diff_lines(left_name: &str, left: &[u8], right_name: &str, right: &[u8]) -> String {
    let left_text = String::from_utf8_lossy(left);
    let right_text = String::from_utf8_lossy(right);
    let lefts: Vec<&str> = left_text.lines().collect();
    let rights: Vec<&str> = right_text.lines().collect();
    let first = (0..lefts.len().max(rights.len()))
        .find(|&i| lefts.get(i) != rights.get(i))
        // Same lines, so the difference is in the final newline.
        .unwrap_or(lefts.len());
    let mut out = format!(
        "    first difference at line {} ({left_name} {} lines, {right_name} {} lines)\n",
        first + 1,
        lefts.len(),
        rights.len()
    );
    let width = left_name.len().max(right_name.len()).max("both".len());
    let show =
        |lines: &[&str], i: usize| lines.get(i).map_or("<none>".into(), |l| format!("{l:?}"));
    for i in first.saturating_sub(1)..=first + 1 {
        if i >= lefts.len() && i >= rights.len() {
            break;
        }
        if lefts.get(i) == rights.get(i) {
            out += &format!(
                "          {:>4} {:width$}: {}\n",
                i + 1,
                "both",
                show(&lefts, i)
            );
        } else {
            out += &format!(
                "        > {:>4} {left_name:width$}: {}\n",
                i + 1,
                show(&lefts, i)
            );
            out += &format!(
                "        > {:>4} {right_name:width$}: {}\n",
                i + 1,
                show(&rights, i)
            );
        }
    }
    out
}

/// The last `lines` lines of `bytes`, each indented by four spaces and a bar.
pub fn indented_tail(bytes: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let all: Vec<&str> = text.lines().collect();
    if all.is_empty() {
        return "    | <empty>\n".into();
    }
    all[all.len().saturating_sub(lines)..]
        .iter()
        .map(|line| format!("    | {line}\n"))
        .collect()
}

/// The C compiler: `MERIDIAN_TEST_CC`, else `gcc` from `PATH`. Panics with install instructions
/// if there is none.
pub fn find_gcc() -> PathBuf {
    if let Some(cc) = std::env::var_os("MERIDIAN_TEST_CC") {
        return PathBuf::from(cc);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("gcc"))
        .find(|gcc| gcc.is_file())
        .unwrap_or_else(|| {
            panic!(
                "gcc not found on PATH. The dual-run tests compile C programs with gcc, both \
                 -static and dynamic. Install it: `sudo apt-get install gcc libc6-dev` \
                 (Debian/Ubuntu; libc6-dev has the static libc.a) or `sudo dnf install gcc \
                 glibc-static` (Fedora). Or set MERIDIAN_TEST_CC to a gcc-compatible compiler."
            )
        })
}

/// Compiles `src` into `out` with `gcc` and `flags`. The binary is written under a temporary
/// name and renamed, so a concurrent reader never sees half a file. On failure, returns the
/// compiler's command line and messages (plus a hint if static libc is missing).
pub fn compile_c(gcc: &Path, src: &Path, out: &Path, flags: &[&str]) -> Result<(), String> {
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let mut cmd = Command::new(gcc);
    cmd.args(flags).arg("-o").arg(&tmp).arg(src);
    let output = cmd
        .output()
        .map_err(|err| format!("cannot run {}: {err}", gcc.display()))?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&tmp);
        let messages = String::from_utf8_lossy(&output.stderr);
        let hint = if messages.contains("cannot find -lc") {
            "\nhint: static linking needs libc.a: `sudo apt-get install libc6-dev` (Debian/Ubuntu) \
             or `sudo dnf install glibc-static` (Fedora)"
        } else {
            ""
        };
        return Err(format!(
            "{} failed:\n{messages}{hint}",
            describe_command(&cmd)
        ));
    }
    std::fs::rename(&tmp, out).map_err(|err| {
        format!(
            "cannot rename {} to {}: {err}",
            tmp.display(),
            out.display()
        )
    })
}

/// Whether `out` exists and is newer than every file in `inputs` (for build caching).
pub fn is_up_to_date(out: &Path, inputs: &[&Path]) -> bool {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let Some(built) = modified(out) else {
        return false;
    };
    inputs
        .iter()
        .all(|input| modified(input).is_some_and(|time| time < built))
}

/// Applies `f` to every item on `workers` threads; results come back in the items' order.
pub fn parallel_map<T, R, F>(items: Vec<T>, workers: usize, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let count = items.len();
    let queue = Mutex::new(items.into_iter().enumerate());
    let results = Mutex::new((0..count).map(|_| None).collect::<Vec<Option<R>>>());
    thread::scope(|scope| {
        for _ in 0..workers.clamp(1, count.max(1)) {
            scope.spawn(|| {
                loop {
                    // Take the next item and release the queue before working on it.
                    let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                    let Some((index, item)) = next else { break };
                    let result = f(item);
                    results.lock().unwrap_or_else(PoisonError::into_inner)[index] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .map(|result| result.expect("every item was processed"))
        .collect()
}
