//! Dual-run tests with python3: each script in `tests/python/` runs natively with
//! `/usr/bin/python3` and inside the sandbox (the directory mounted read-only at `/py`), and
//! stdout and exit status must match. Scripts print nothing that depends on the host, the
//! time, their own path or random names.
//!
//! Both sides get the same interpreter settings (`PYTHONDONTWRITEBYTECODE=1`, so nothing is
//! written next to the scripts, `PYTHONHASHSEED=0`, `PYTHONUTF8=1`) and otherwise run python3
//! as a user would, `site` included. Each script also has the exit status it must have
//! natively, and `MERIDIAN_NATIVE_ONLY=1` runs only the native side.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{DualRun, Sandbox};

const PYTHON: &str = "/usr/bin/python3";
/// Where the sandbox mounts `tests/python/`.
const GUEST_SCRIPT_DIR: &str = "/py";
const PYTHON_ENV: &[(&str, &str)] = &[
    ("PYTHONDONTWRITEBYTECODE", "1"),
    ("PYTHONHASHSEED", "0"),
    ("PYTHONUTF8", "1"),
];
const NATIVE_PATH: &str = "/usr/local/bin:/usr/bin:/bin";
/// Per run; python3 with threads and sqlite takes well under a second natively.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Fed to `stdin_summary.py`: several lines, a blank one, non-ASCII text, no final newline.
const STDIN_TEXT: &str = concat!(
    "first line of input\n",
    "second: caf\u{e9} \u{2603}\n",
    "\n",
    "  indented words here\n",
    "last line without newline",
);

/// A script in `tests/python/`: its stdin and the exit status it has natively.
#[derive(Clone, Copy)]
struct Script {
    file: &'static str,
    stdin: &'static str,
    status: i32,
}

impl Script {
    const fn new(file: &'static str) -> Self {
        Self {
            file,
            stdin: "",
            status: 0,
        }
    }

    const fn stdin(mut self, stdin: &'static str) -> Self {
        self.stdin = stdin;
        self
    }

    const fn status(mut self, status: i32) -> Self {
        self.status = status;
        self
    }
}

const SCRIPTS: &[Script] = &[
    Script::new("json_roundtrip.py"),
    Script::new("hashlib_digests.py"),
    Script::new("regex.py"),
    Script::new("dates.py"),
    Script::new("threads_queue.py"),
    Script::new("sqlite_db.py"),
    Script::new("tempfiles.py"),
    Script::new("stdin_summary.py").stdin(STDIN_TEXT),
    Script::new("exit_code.py").status(3),
    Script::new("uncaught_exception.py").status(1),
    // Processes (issue 4): these fork, so they need the sandbox's process support.
    Script::new("proc_subprocess.py"),
    Script::new("proc_fork_wait.py"),
    Script::new("proc_multiprocessing.py"),
    Script::new("sock_socketpair.py"),
];

fn script_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python");
    dir.canonicalize()
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
}

fn native_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(PYTHON);
    cmd.args(args)
        .current_dir("/")
        .env_clear()
        .env("PATH", NATIVE_PATH)
        .envs(PYTHON_ENV.iter().copied());
    cmd
}

fn sandboxed_command(args: &[&str]) -> Command {
    let mut sandbox = Sandbox::new().mount(&script_dir(), GUEST_SCRIPT_DIR, true);
    for (key, value) in PYTHON_ENV {
        sandbox = sandbox.env(key, value);
    }
    sandbox.command(PYTHON, args)
}

/// Runs `python3 native_args` natively and `python3 guest_args` sandboxed (unless
/// native-only); panics unless the native run exits with `status` (and prints
/// `expected_stdout`, when given) and the sandboxed run matches it.
fn dual_run(
    native_args: &[&str],
    guest_args: &[&str],
    stdin: &[u8],
    status: i32,
    expected_stdout: Option<&str>,
) -> DualRun {
    let runs = common::native_vs_sandbox(
        native_command(native_args),
        sandboxed_command(guest_args),
        stdin,
        common::timeout_or(RUN_TIMEOUT),
    );
    let native = &runs.native;
    let native_stdout = String::from_utf8_lossy(&native.stdout);
    assert_eq!(
        native.status,
        status,
        "natively `python3 {}` exited {} (expected {status})\nstdout:\n{native_stdout}\nstderr:\n{}",
        native_args.join(" "),
        native.status,
        String::from_utf8_lossy(&native.stderr)
    );
    if let Some(expected) = expected_stdout {
        assert_eq!(
            native_stdout,
            expected,
            "native stdout of `python3 {}`",
            native_args.join(" ")
        );
    }
    if let Some(report) = runs.mismatch() {
        panic!(
            "`python3 {}` in the sandbox differs from native:\n{report}",
            guest_args.join(" ")
        );
    }
    runs
}

fn check_script(file: &str) -> DualRun {
    let script = SCRIPTS
        .iter()
        .find(|s| s.file == file)
        .unwrap_or_else(|| panic!("{file} is not in SCRIPTS"));
    let native_path = script_dir().join(script.file);
    let guest_path = format!("{GUEST_SCRIPT_DIR}/{}", script.file);
    dual_run(
        &[&native_path.to_string_lossy()],
        &[&guest_path],
        script.stdin.as_bytes(),
        script.status,
        None,
    )
}

/// Every script in `tests/python/` is in `SCRIPTS`, and every entry there has a test below.
#[test]
fn every_script_has_a_test() {
    let on_disk: BTreeSet<String> = fs::read_dir(script_dir())
        .expect("read tests/python")
        .map(|entry| entry.expect("tests/python entry").file_name())
        .filter_map(|name| name.into_string().ok())
        .filter(|name| name.ends_with(".py"))
        .collect();
    let listed: BTreeSet<String> = SCRIPTS.iter().map(|s| s.file.to_owned()).collect();
    assert_eq!(
        on_disk, listed,
        "tests/python/*.py and SCRIPTS in this file"
    );
    let source = include_str!("python.rs");
    for script in SCRIPTS {
        let call = format!("check_script(\"{}\")", script.file);
        assert!(source.contains(&call), "no test calls {call}");
    }
}

#[test]
fn json_roundtrip() {
    check_script("json_roundtrip.py");
}

#[test]
fn hashlib_digests() {
    check_script("hashlib_digests.py");
}

#[test]
fn regex() {
    check_script("regex.py");
}

#[test]
fn dates() {
    check_script("dates.py");
}

#[test]
fn threads_queue() {
    check_script("threads_queue.py");
}

#[test]
fn sqlite_db() {
    check_script("sqlite_db.py");
}

#[test]
fn tempfiles() {
    check_script("tempfiles.py");
}

#[test]
fn stdin_summary() {
    check_script("stdin_summary.py");
}

#[test]
fn exit_code() {
    check_script("exit_code.py");
}

#[test]
fn proc_subprocess() {
    check_script("proc_subprocess.py");
}

#[test]
fn proc_fork_wait() {
    check_script("proc_fork_wait.py");
}

#[test]
fn proc_multiprocessing() {
    check_script("proc_multiprocessing.py");
}

#[test]
fn sock_socketpair() {
    check_script("sock_socketpair.py");
}

#[test]
fn uncaught_exception() {
    let runs = check_script("uncaught_exception.py");
    // The traceback names the script's path, which differs; its last line must not.
    let native_stderr = String::from_utf8_lossy(&runs.native.stderr);
    let last_line = native_stderr.lines().last().unwrap_or_default();
    assert_eq!(last_line, "KeyError: 'c'");
    if let Some(sandbox) = &runs.sandbox {
        let sandbox_stderr = String::from_utf8_lossy(&sandbox.stderr);
        assert!(
            sandbox_stderr.lines().any(|line| line == last_line),
            "sandboxed stderr lacks {last_line:?}:\n{sandbox_stderr}"
        );
    }
}

#[test]
fn one_liner() {
    const PROGRAM: &str =
        r#"import json,hashlib; print(json.dumps({"h": hashlib.sha256(b"x").hexdigest()}))"#;
    const EXPECTED: &str =
        "{\"h\": \"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\"}\n";
    dual_run(&["-c", PROGRAM], &["-c", PROGRAM], b"", 0, Some(EXPECTED));
}

/// execve(2) in place from Python: os.execv of the interpreter itself with a new program,
/// then os.execvp, which searches PATH itself (failing with ENOENT in directories without
/// the program), of a program that is not Python.
#[test]
fn exec_in_place() {
    const PROGRAM: &str = r#"
import os, sys
STAGE2 = '''
import os, sys
print("stage 2:", sys.argv[1:], os.environ["EXEC_STAGE"], os.getpid() == int(os.environ["EXEC_PID"]), flush=True)
os.environ["PATH"] = "/nonexistent:" + os.environ.get("PATH", "/usr/bin:/bin")
os.execvp("echo", ["echo", "stage 3: echo"])
'''
print("stage 1", flush=True)
os.environ["EXEC_STAGE"] = "two"
os.environ["EXEC_PID"] = str(os.getpid())
try:
    os.execv("/nonexistent", ["x"])
except FileNotFoundError as e:
    print("missing:", e.errno, flush=True)
os.execv(sys.executable, [sys.executable, "-c", STAGE2, "a", "b c"])
"#;
    const EXPECTED: &str = "stage 1\nmissing: 2\nstage 2: ['a', 'b c'] two True\nstage 3: echo\n";
    dual_run(&["-c", PROGRAM], &["-c", PROGRAM], b"", 0, Some(EXPECTED));
}
