//! The sandbox as a program and a person see it: /proc and /dev contents, and host signals
//! (Ctrl-C, SIGTERM) forwarded to the program with the exit status a shell would show.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn proc_and_dev_describe_the_sandboxed_program() {
    let gcc = common::find_gcc();
    let dir = common::scratch_dir("sandbox/bin");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/containment/proc_self.c");
    let out = dir.join("proc_self");
    common::compile_c(&gcc, &src, &out, &["-O1", "-static"]).unwrap();
    let cmd = common::Sandbox::new()
        .mount(&dir, "/t", true)
        .command("/t/proc_self", &["one", "two"]);
    let run = common::run(cmd, b"", Duration::from_secs(20));
    assert_eq!(run.status, 0, "{}", text(&run.stderr));
    let expected = "\
exe: /t/proc_self
cmdline: /t/proc_self one two 
fd entries (stdio, /dev/null, the directory): 5, /dev/null link: 1
maps names the executable: 1
status has Name: 1
cpuinfo has processor: 1
meminfo has MemTotal: 1
/dev/zero reads zeros: 1
/dev/full write fails: 1
/dev/urandom differs: 1
";
    assert_eq!(text(&run.stdout), expected);
}

/// Start `args` under meridian, wait for its first stdout line when `wait_ready` (else a
/// short delay), send `signal`, and return (exit code, all stdout, time from signal to end).
fn signal_after(args: &[&str], signal: i32, wait_ready: bool) -> (Option<i32>, String, Duration) {
    use std::io::{BufRead, BufReader, Read};
    let mut child = Command::new(common::meridian_bin())
        .arg("run")
        .arg("--")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    if wait_ready {
        stdout.read_line(&mut seen).unwrap();
    } else {
        std::thread::sleep(Duration::from_millis(500));
    }
    let sent = Instant::now();
    let ok = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
    let reader = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        rest
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            seen.push_str(&reader.join().unwrap());
            return (status.code(), seen, sent.elapsed());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} did not end after signal {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_and_sigint_reach_the_program() {
    let python = "/usr/bin/python3";
    // Default action: the program dies of the signal; meridian exits 128+N like a shell.
    let (status, _, took) = signal_after(
        &[
            python,
            "-c",
            "import time; print('ready', flush=True); time.sleep(60)",
        ],
        15,
        true,
    );
    assert_eq!(status, Some(143));
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let (status, _, _) = signal_after(&["/bin/busybox", "sleep", "60"], 2, false);
    assert_eq!(status, Some(130));
    // A handler runs, interrupting a blocking sleep, and decides the exit status. "ready" is
    // written with os.write: the signal may come as soon as it is out, and a handler that
    // prints while the main code is still inside print() fails with "reentrant call inside
    // BufferedWriter" (natively too).
    let script = "import os, signal, sys, time\n\
                  def h(s, f):\n    print('got', s, flush=True); sys.exit(5)\n\
                  signal.signal(signal.SIGTERM, h)\n\
                  os.write(1, b'ready\\n')\n\
                  time.sleep(60)\n";
    let (status, stdout, _) = signal_after(&[python, "-c", script], 15, true);
    assert_eq!(status, Some(5));
    assert_eq!(stdout, "ready\ngot 15\n");
}

#[test]
fn a_forwarded_signal_reaches_the_thread_that_waits_for_it() {
    // Every thread blocks SIGTERM and one waits in sigwait: the host hands the signal to
    // some other thread (here the main one, inside a join), which must pass it on.
    let script = "import signal, threading\n\
                  signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})\n\
                  got = []\n\
                  t = threading.Thread(target=lambda: got.append(signal.sigwait({signal.SIGTERM})))\n\
                  t.start()\n\
                  print('ready', flush=True)\n\
                  t.join()\n\
                  print('sigwait got', got[0], flush=True)\n";
    let (status, stdout, took) = signal_after(&["/usr/bin/python3", "-c", script], 15, true);
    assert_eq!(
        (status, stdout.as_str()),
        (Some(0), "ready\nsigwait got 15\n")
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn bad_command_lines_are_refused_before_anything_runs() {
    // Each case: arguments, and a phrase the one-line error must contain. A marker file in
    // /tmp (in-memory in the sandbox) cannot show "nothing ran"; the program would print.
    for (args, phrase) in [
        (
            &[
                "--mount",
                "/nonexistent-meridian-test:/x",
                "--",
                "/bin/busybox",
                "echo",
                "ran",
            ][..],
            "does not exist",
        ),
        (
            &[
                "--mount",
                "/tmp:relative",
                "--",
                "/bin/busybox",
                "echo",
                "ran",
            ][..],
            "must be an absolute path",
        ),
        (
            &["--env", "NOEQUALS", "--", "/bin/busybox", "echo", "ran"][..],
            "expected K=V",
        ),
        (
            &[
                "--mount",
                "/usr:/data:ro",
                "--tmpfs",
                "/data",
                "--",
                "/bin/busybox",
                "echo",
                "ran",
            ][..],
            "/data is already mounted by --mount /usr:/data:ro",
        ),
        (
            &["--workdir", "/nope", "--", "/bin/busybox", "echo", "ran"][..],
            "no such directory",
        ),
    ] {
        let mut cmd = Command::new(common::meridian_bin());
        cmd.arg("run").args(args);
        let out = common::run(cmd, b"", Duration::from_secs(20));
        let stderr = text(&out.stderr);
        assert_eq!(out.status, 125, "{args:?}: {stderr}");
        assert!(stderr.contains(phrase), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} ran the program");
    }
}

#[test]
fn policy_explain_shows_mounts_and_the_host_allowlist() {
    let dir = common::scratch_dir("sandbox/explain");
    let mut cmd = Command::new(common::meridian_bin());
    cmd.args([
        "policy",
        "explain",
        "--env",
        "LANG=C.UTF-8",
        "--workdir",
        "/data",
        "--mount",
    ])
    .arg(format!("{}:/data:ro", dir.display()));
    let out = common::run(cmd, b"", Duration::from_secs(20));
    let stdout = text(&out.stdout);
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "  /data        host directory {}, read-only  (--mount ",
            dir.display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("Working directory: /data\n"), "{stdout}");
    assert!(stdout.contains("  LANG=C.UTF-8\n"), "{stdout}");
    // Every allowlisted call is listed with its reason; constraints are shown.
    assert!(stdout.contains("[arg0 is the runner's pid"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("openat2 ")),
        "{stdout}"
    );
    // Nothing ran.
    assert!(!stdout.contains("meridian:"), "{stdout}");
}

/// Host directories under /tmp (where the runner stages its filesystem jail), /tmp itself
/// and / can be mounted: the guest sees the host's files there, not the jail's.
#[test]
fn host_tmp_and_root_can_be_mounted() {
    let dir = std::env::temp_dir().join(format!("meridian-mount-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.txt"), "hello from host /tmp\n").unwrap();
    let name = dir.file_name().unwrap().to_str().unwrap().to_string();
    let mut cmd = Command::new(common::meridian_bin());
    cmd.arg("run")
        .arg("--mount")
        .arg(format!("{}:/under:ro", dir.display()))
        .args(["--mount", "/tmp:/hosttmp:ro", "--mount", "/:/host:ro", "--"])
        .args(["/bin/busybox", "cat"])
        .arg("/under/hello.txt")
        .arg(format!("/hosttmp/{name}/hello.txt"))
        .arg(format!("/host/tmp/{name}/hello.txt"));
    let out = common::run(cmd, b"", Duration::from_secs(20));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello from host /tmp\n".repeat(3));
}
