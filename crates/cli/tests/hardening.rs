//! The runner's hardening under the seccomp filter (crates/platform-linux/src/harden.rs),
//! checked from outside a real run through `/proc/<pid>/`: no_new_privs and the filter, no
//! inherited descriptor but stdio, core dumps off, namespaces of its own (pid included: the
//! sandbox's process is the child of the `meridian` process, the supervisor, which stays
//! outside under its own filter: crates/platform-linux/src/supervisor.rs); as the invoking
//! user and as `nobody`, and with user namespaces unavailable (warnings, not a failure).
//! Landlock leaves no trace in /proc; its rules are checked by the unit tests of `harden`.
//! Then the pid namespace's promises: no process of the sandbox outlives it, whichever of the
//! two is killed, and a signal from the terminal or from `kill` reaches the guest once.
//!
//! Each hardening run is `meridian run -- /bin/busybox cat`, which blocks reading its stdin
//! until the test has looked and closes it.

mod common;

use common::identity::{self, Identity, NOBODY};
use common::layout::{children_of, pid_namespace_of, processes_in};

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the runner may take to reach the guest.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a run may take after its stdin is closed.
const RUN_TIMEOUT: Duration = Duration::from_secs(20);
/// The signal the tests kill with.
const SIGKILL: i32 = 9;
/// The descriptor on which the runner inherits an open host file.
const INHERITED_FD: u32 = 7;
/// The descriptor floor: volume descriptors are numbered from here, placeholders below.
const FD_FLOOR: u32 = meridian_platform_linux::fd_floor::FD_FLOOR as u32;
/// Namespaces the sandbox's process is in, other than the test's.
const NAMESPACES: [&str; 7] = ["user", "mnt", "net", "ipc", "uts", "cgroup", "pid"];

/// A host file the runner inherits open on [`INHERITED_FD`], world-readable (for `nobody`), in
/// a world-searchable directory; removed on drop.
struct Secret(PathBuf);

impl Secret {
    fn new(name: &str) -> Secret {
        let path =
            std::env::temp_dir().join(format!("meridian-hardening-{name}-{}", std::process::id()));
        std::fs::write(&path, "not for the guest\n").expect("write the inherited file");
        Secret(path)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `prefix` (e.g. `setpriv ... --`), then `argv`, as one command.
fn command(prefix: &[&str], argv: &[&str]) -> Command {
    let all: Vec<&str> = prefix.iter().chain(argv).copied().collect();
    let mut cmd = Command::new(all[0]);
    cmd.args(&all[1..]);
    cmd
}

/// Whether `prefix true` and `prefix unshare -U true` work: the identity the prefix gives may
/// create user namespaces.
fn user_namespaces_work(prefix: &[&str]) -> bool {
    command(prefix, &["unshare", "-U", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Run, as `prefix` says, a shell that opens `secret` on fd 7 without close-on-exec and
/// execs `meridian run --limit memory=1G -- /bin/busybox cat`: the runner's pid is the
/// child's. The memory limit gives the run a memory cgroup where one can be made, whose
/// descriptors the sandbox must not hold.
fn start(prefix: &[&str], secret: &Path) -> Child {
    let meridian = common::meridian_bin();
    let argv = [
        "bash",
        "-c",
        r#"exec 7<"$1" && shift && exec "$@""#,
        "bash",
        secret.to_str().expect("UTF-8 temp path"),
        meridian.to_str().expect("UTF-8 binary path"),
        "run",
        "--limit",
        "memory=1G",
        "--",
        "/bin/busybox",
        "cat",
    ];
    spawn_piped(command(prefix, &argv))
}

/// Wait for a runner started by [`spawn_piped`]: its exit status and what it wrote on stderr.
fn wait_with_stderr(child: &mut Child) -> (std::process::ExitStatus, String) {
    let status = child.wait().expect("wait for the runner");
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .map(|mut e| e.read_to_string(&mut stderr));
    (status, stderr)
}

/// Start `cmd` (a runner) with its stdin, stdout and stderr piped to the test.
fn spawn_piped(mut cmd: Command) -> Child {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the runner")
}

/// The host pid of the sandbox's process of the run whose `meridian` process is `child`:
/// its only child when it is a supervisor (the pid namespace was entered), else itself.
fn sandbox_pid(child: &Child, pid_namespace: bool) -> Option<u32> {
    if !pid_namespace {
        return Some(child.id());
    }
    match children_of(child.id())[..] {
        [one] => Some(one),
        _ => None,
    }
}

/// (host pid of the sandbox's process, its `/proc/<pid>/status`) once its filter is installed
/// (the guest is about to run or running).
fn wait_for_lock_down(child: &mut Child, pid_namespace: bool) -> (u32, String) {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let pid = sandbox_pid(child, pid_namespace);
        let status = pid
            .and_then(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
            .unwrap_or_default();
        if let Some(pid) = pid
            && status.contains("Seccomp:\t2\n")
        {
            return (pid, status);
        }
        if let Ok(Some(exit)) = child.try_wait() {
            let mut err = String::new();
            let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
            panic!("the runner ended before locking down: {exit}; stderr:\n{err}");
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("the runner did not lock down within {START_TIMEOUT:?}:\n{status}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Feed the guest a line, close its stdin and collect the run: (exit code, stdout, stderr).
fn finish(mut child: Child) -> (i32, String, String) {
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(b"hello\n").expect("write to the guest");
    drop(stdin);
    let deadline = Instant::now() + RUN_TIMEOUT;
    while child.try_wait().expect("wait for the runner").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("the runner did not end within {RUN_TIMEOUT:?} of its stdin closing");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().expect("the runner's output");
    (
        common::exit_code(output.status),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The default volumes of `meridian run` (host system directories that are not symlinks).
fn default_volumes() -> Vec<&'static str> {
    [
        "/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",
    ]
    .into_iter()
    .filter(|d| std::fs::symlink_metadata(d).is_ok_and(|m| m.is_dir()))
    .collect()
}

/// The runner's descriptors: stdio, and beyond it only volume directories (roots and the
/// ones it caches); not the inherited file.
fn check_descriptors(pid: u32, secret: &Path) {
    let volumes = default_volumes();
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).expect("list the runner's fds") {
        let entry = entry.expect("an fd entry");
        let fd: u32 = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse().ok())
            .unwrap();
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        seen.push(format!("{fd} -> {}", target.display()));
        if fd <= 2 {
            continue;
        }
        assert_ne!(
            target, secret,
            "the runner kept the inherited file on fd {fd}"
        );
        // Below the descriptor floor: placeholders, O_PATH descriptors of the runner's root
        // (the jail's), which no volume call may name.
        if fd < FD_FLOOR {
            assert_eq!(
                target,
                Path::new("/"),
                "fd {fd}, below the floor, is not a placeholder"
            );
            continue;
        }
        // Inside the filesystem jail the volumes are at /volumes/<index>; without it, at
        // their host paths.
        assert!(
            target.starts_with("/volumes/") || volumes.iter().any(|v| target.starts_with(v)),
            "fd {fd} -> {} is neither stdio nor a volume directory",
            target.display()
        );
    }
    // The inherited number is taken again, by a placeholder (checked above).
    assert!(
        seen.iter().any(|s| s == &format!("{INHERITED_FD} -> /")),
        "fd {INHERITED_FD} was inherited and must be a placeholder now: {seen:#?}"
    );
    let below = seen
        .iter()
        .filter_map(|s| s.split(' ').next()?.parse::<u32>().ok())
        .filter(|&fd| fd < FD_FLOOR)
        .count();
    assert_eq!(
        below, FD_FLOOR as usize,
        "every descriptor below the floor is taken: {seen:#?}"
    );
}

/// The supervisor (`meridian`'s own process, outside the pid namespace): no_new_privs, its
/// own filter, one thread, no stdin or stdout and nothing inherited (stderr for its one
/// message, the write end of the pipe by which its child learns that it is there, and
/// where it made them for the sandbox, the directories holding the pids and memory cgroups
/// and the memory cgroup's OOM count); and the
/// sandbox's process is pid 1 of its namespace.
fn check_supervisor(supervisor: u32, sandbox: u32) {
    let status = std::fs::read_to_string(format!("/proc/{supervisor}/status")).unwrap();
    assert!(status.contains("NoNewPrivs:\t1\n"), "{status}");
    assert!(status.contains("Seccomp:\t2\n"), "{status}");
    assert!(status.contains("Threads:\t1\n"), "{status}");
    let fds: Vec<String> = std::fs::read_dir(format!("/proc/{supervisor}/fd"))
        .unwrap()
        .flatten()
        .map(|e| {
            let target = std::fs::read_link(e.path()).unwrap_or_default();
            format!(
                "{} -> {}",
                e.file_name().to_string_lossy(),
                target.display()
            )
        })
        .collect();
    let cgroup_dir = fds
        .iter()
        .filter(|f| f.contains(" -> /sys/fs/cgroup"))
        .count();
    assert_eq!(fds.len(), 2 + cgroup_dir, "{fds:#?}");
    assert!(
        cgroup_dir <= 3
            && fds.iter().any(|f| f.starts_with("2 -> "))
            && fds
                .iter()
                .any(|f| f.contains(" -> pipe:[") && !f.starts_with("2 ")),
        "the supervisor holds stderr, its pipe and the cgroups' descriptors only: {fds:#?}"
    );
    let theirs = std::fs::read_link(format!("/proc/{supervisor}/ns/pid")).unwrap();
    let ours = std::fs::read_link("/proc/self/ns/pid").unwrap();
    assert_eq!(
        theirs, ours,
        "the supervisor stays in the test's pid namespace"
    );
    let inside = std::fs::read_to_string(format!("/proc/{sandbox}/status")).unwrap();
    assert!(
        inside.contains(&format!("NSpid:\t{sandbox}\t1\n")),
        "the sandbox's process is pid 1 of its namespace:\n{inside}"
    );
}

/// Everything that can be seen from outside, for a runner started with `prefix`, as `uid`.
fn check_hardened_run(prefix: &[&str], uid: u32, name: &str) {
    let secret = Secret::new(name);
    let userns = user_namespaces_work(prefix);
    let mut child = start(prefix, &secret.0);
    let (pid, status) = wait_for_lock_down(&mut child, userns);

    assert!(status.contains("NoNewPrivs:\t1\n"), "{status}");
    assert!(status.contains("Seccomp:\t2\n"), "{status}");
    assert!(status.contains("Threads:\t1\n"), "{status}");
    check_descriptors(pid, &secret.0);
    let mut task_limit = true;
    if userns {
        check_supervisor(child.id(), pid);
        task_limit = check_task_limit(pid, child.id(), uid, DEFAULT_GUEST_TASKS);
    }
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let core: Vec<&str> = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max core file size"))
        .expect("a core limit line")
        .split_whitespace()
        .collect();
    assert_eq!(
        core[..2],
        ["0", "0"],
        "core dumps off, soft and hard:\n{limits}"
    );
    // Not dumpable (no core dump through a core_pattern pipe either, no ptrace attach): the
    // kernel then gives /proc/<pid>'s files to root, where a dumpable runner's are its own.
    if uid != 0 {
        use std::os::unix::fs::MetadataExt;
        let owner = std::fs::metadata(format!("/proc/{pid}/status"))
            .expect("the runner's status")
            .uid();
        assert_eq!(owner, 0, "the runner (uid {uid}) is dumpable");
    }
    if userns {
        for ns in NAMESPACES {
            let theirs = std::fs::read_link(format!("/proc/{pid}/ns/{ns}")).unwrap();
            let ours = std::fs::read_link(format!("/proc/self/ns/{ns}")).unwrap();
            assert_ne!(
                theirs, ours,
                "the runner is still in the test's {ns} namespace"
            );
        }
        // The filesystem jail: the runner's root holds the volumes and nothing else of the host.
        let mut root: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/root"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        root.sort();
        assert_eq!(root, ["volumes"], "the runner's root");
        let uid_map = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap();
        let fields: Vec<&str> = uid_map.split_whitespace().collect();
        assert_eq!(
            fields,
            [uid.to_string(), uid.to_string(), "1".into()],
            "only the runner's own uid is mapped"
        );
    } else {
        eprintln!("note: `unshare -U true` fails here; the namespace checks were skipped");
    }

    let (code, stdout, stderr) = finish(child);
    assert_eq!((code, stdout.as_str()), (0, "hello\n"), "stderr:\n{stderr}");
    if userns {
        assert!(!stderr.contains("namespace"), "stderr:\n{stderr}");
        assert_eq!(
            !task_limit,
            stderr.contains("host limit on the sandbox's tasks not available"),
            "a bound on the sandbox's tasks, or a warning:\n{stderr}"
        );
    } else {
        assert!(
            stderr.contains("meridian: warning: user namespace not available ("),
            "stderr:\n{stderr}"
        );
    }
}

#[test]
fn runner_is_hardened() {
    check_hardened_run(&[], common::own_uid(), "self");
}

/// `setpriv` prefix that runs a command as `nobody`, or `None` (with a note) where this test
/// cannot switch users or `nobody` cannot run the runner.
fn as_nobody() -> Option<Vec<String>> {
    identity::nobody().map(|n| n.prefix)
}

#[test]
fn runner_is_hardened_as_nobody() {
    let Some(prefix) = as_nobody() else { return };
    let prefix: Vec<&str> = prefix.iter().map(String::as_str).collect();
    check_hardened_run(&prefix, NOBODY, "nobody");
}

/// As `nobody`, in the user namespace: a mounted volume and the default ones stay readable,
/// and a dynamic program (its libraries mapped executable from a volume under Landlock) runs.
#[test]
fn volumes_work_as_nobody() {
    let Some(prefix) = as_nobody() else { return };
    let prefix: Vec<&str> = prefix.iter().map(String::as_str).collect();
    let data = std::env::temp_dir().join(format!("meridian-hardening-vol-{}", std::process::id()));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("input.txt"), "volume data\n").unwrap();
    let sandbox = common::Sandbox::new().mount(&data, "/data", true);

    let cat = sandbox.command("/bin/busybox", &["cat", "/data/input.txt"]);
    let mut cmd = command(&prefix, &[cat.get_program().to_str().unwrap()]);
    cmd.args(cat.get_args());
    let out = common::run(cmd, b"", RUN_TIMEOUT);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        (out.status, &out.stdout[..]),
        (0, &b"volume data\n"[..]),
        "{stderr}"
    );

    let py = sandbox.command("python3", &["-c", "import json; print(json.dumps([1, 2]))"]);
    let mut cmd = command(&prefix, &[py.get_program().to_str().unwrap()]);
    cmd.args(py.get_args());
    let out = common::run(cmd, b"", RUN_TIMEOUT);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        (out.status, &out.stdout[..]),
        (0, &b"[1, 2]\n"[..]),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// Where user namespaces are not available, the runner says so, one line each, and runs
/// anyway. Simulated inside a user namespace whose `user.max_user_namespaces` is 0 (the limit
/// is per namespace, so the host's is untouched), with every capability dropped, so that the
/// other namespaces are refused too.
#[test]
fn missing_namespaces_are_warnings() {
    if !user_namespaces_work(&[]) {
        eprintln!("note: `unshare -U true` fails here; this case needs one user namespace");
        return;
    }
    let meridian = common::meridian_bin();
    let script = r#"echo 0 > /proc/sys/user/max_user_namespaces &&
        exec setpriv --bounding-set=-all --inh-caps=-all -- "$@""#;
    let mut cmd = Command::new("unshare");
    cmd.args(["-U", "-r", "sh", "-c", script, "sh"])
        .arg(&meridian)
        // A child process killed by its parent: without a pid namespace the host kick
        // between processes is refused, and the signal must still arrive.
        .args([
            "run",
            "--",
            "/bin/busybox",
            "sh",
            "-c",
            "busybox sleep 30 & p=$!; busybox kill -TERM $p; wait $p; echo ran $?",
        ]);
    let out = common::run(cmd, b"", RUN_TIMEOUT);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        (out.status, &out.stdout[..]),
        (0, &b"ran 143\n"[..]),
        "{stderr}"
    );
    // Without the user namespace RLIMIT_NPROC cannot bound the sandbox alone, and this
    // namespace's root may not make a pids cgroup on the host's tree.
    const NO_TASK_LIMIT: &str =
        "meridian: warning: host limit on the sandbox's tasks not available (";
    assert!(
        stderr.lines().any(|l| l.starts_with(NO_TASK_LIMIT)
            && l.contains(
                "RLIMIT_NPROC would count the user's other processes: no user namespace"
            )),
        "stderr:\n{stderr}"
    );
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("namespace") && !l.starts_with(NO_TASK_LIMIT))
        .collect();
    assert_eq!(
        warnings,
        [
            "meridian: warning: user namespace not available (unshare: No space left on device (os error 28)); continuing without it",
            "meridian: warning: mount, network, IPC, UTS, cgroup, pid namespaces not available (unshare: Operation not permitted (os error 1)); continuing without them",
            "meridian: warning: filesystem jail not available (needs the user and mount namespaces); continuing without it",
        ],
        "stderr:\n{stderr}"
    );
}

/// A guest with three threads besides its main one, which prints `ready` and sleeps.
const THREADED_GUEST: &str = "import threading, time\n\
    for _ in range(3): threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n\
    print('ready', flush=True)\n\
    time.sleep(60)\n";

/// Start `meridian run -- ARGV` with piped stdio and wait for the guest's first line, which
/// must be `ready`. Returns the runner and the sandbox's pid namespace.
fn start_ready(argv: &[&str]) -> (Child, PathBuf) {
    let mut runner = Command::new(common::meridian_bin());
    runner.arg("run").arg("--").args(argv);
    let mut child = spawn_piped(runner);
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("the guest's first line");
    assert_eq!(line, "ready\n");
    let sandbox = sandbox_pid(&child, true).expect("the supervisor has one child");
    let ns = pid_namespace_of(sandbox).expect("the sandbox's pid namespace");
    (child, ns)
}

/// Wait until no process is left in pid namespace `ns`; fail after [`RUN_TIMEOUT`].
fn wait_until_empty(ns: &Path, what: &str) {
    let deadline = Instant::now() + RUN_TIMEOUT;
    loop {
        let left = processes_in(ns);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: processes {left:?} of the sandbox outlived it"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether this test may put a process of its own into another process's pid namespace
/// (`nsenter --pid`: root, and the tool present).
fn can_nsenter() -> bool {
    common::own_uid() == 0
        && Command::new("nsenter")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// Which process of a run the test kills with SIGKILL.
#[derive(Clone, Copy, Debug)]
enum Victim {
    /// `meridian`'s own process, outside the pid namespace.
    Supervisor,
    /// The sandbox's process, pid 1 of the namespace.
    Sandbox,
}

/// Start a threaded guest, add a second process to its pid namespace where the test can
/// (standing for the guest processes that fork will make), SIGKILL `victim`, and check that
/// `meridian` ends as killed by SIGKILL and that no process is left in the namespace.
fn nothing_outlives(victim: Victim) {
    let (mut child, ns) = start_ready(&["/usr/bin/python3", "-c", THREADED_GUEST]);
    let sandbox = sandbox_pid(&child, true).expect("the supervisor has one child");
    assert_ne!(ns, pid_namespace_of(std::process::id()).unwrap());
    let threads = std::fs::read_dir(format!("/proc/{sandbox}/task"))
        .unwrap()
        .count();
    assert!(threads >= 4, "{threads} threads");

    let mut extra = can_nsenter().then(|| {
        let extra = Command::new("nsenter")
            .args([
                "--target",
                &sandbox.to_string(),
                "--pid",
                "--",
                "sleep",
                "60",
            ])
            .spawn()
            .expect("start a process in the sandbox's pid namespace");
        let deadline = Instant::now() + START_TIMEOUT;
        while processes_in(&ns).len() < 2 {
            assert!(Instant::now() < deadline, "nsenter's sleep did not appear");
            std::thread::sleep(Duration::from_millis(10));
        }
        extra
    });
    if extra.is_none() {
        eprintln!("note: not root or no nsenter: only the sandbox's own process is checked");
    }

    let target = match victim {
        Victim::Supervisor => child.id(),
        Victim::Sandbox => sandbox,
    };
    let killed = Command::new("kill")
        .args(["-KILL", &target.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let status = child.wait().expect("wait for the runner");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(SIGKILL),
        "{victim:?} killed: meridian ends as killed by SIGKILL ({status})"
    );
    if let Some(extra) = extra.as_mut() {
        let status = extra.wait().expect("wait for nsenter");
        assert!(!status.success(), "the extra process was killed: {status}");
    }
    wait_until_empty(&ns, &format!("{victim:?} killed"));
    // A supervisor killed by SIGKILL cannot remove the sandbox's pids cgroup (SECURITY.md,
    // "Resource limits"): the test removes what it left, now empty.
    let _ = std::fs::remove_dir(format!("/sys/fs/cgroup/pids/meridian-{}", child.id()));
}

#[test]
fn nothing_outlives_a_killed_supervisor() {
    if !user_namespaces_work(&[]) {
        eprintln!("note: `unshare -U true` fails here: no pid namespace to check");
        return;
    }
    nothing_outlives(Victim::Supervisor);
}

#[test]
fn nothing_outlives_a_killed_sandbox() {
    if !user_namespaces_work(&[]) {
        eprintln!("note: `unshare -U true` fails here: no pid namespace to check");
        return;
    }
    nothing_outlives(Victim::Sandbox);
}

/// The guest counts its SIGINTs for a second after the first and prints the count.
const SIGINT_COUNTER: &str = "import signal, time\n\
    n = [0]\n\
    def h(s, f): n[0] += 1\n\
    signal.signal(signal.SIGINT, h)\n\
    print('ready', flush=True)\n\
    t = time.time()\n\
    while n[0] == 0 and time.time() - t < 15: time.sleep(0.02)\n\
    time.sleep(1)\n\
    print('sigints', n[0], flush=True)\n";

/// Runs `meridian run -- python3 -c SIGINT_COUNTER` as the foreground process group of a new
/// terminal (python's `pty.fork`), and once it is ready either types Ctrl-C (`tty`) or sends
/// SIGINT to the `meridian` process (`kill`); prints everything the terminal showed.
const PTY_DRIVER: &str = r#"
import os, pty, select, signal, sys, time
meridian, how, guest = sys.argv[1], sys.argv[2], sys.argv[3]
pid, fd = pty.fork()
if pid == 0:
    os.execv(meridian, [meridian, 'run', '--', '/usr/bin/python3', '-c', guest])
out = b''
sent = False
deadline = time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent and b'ready' in out:
        if how == 'tty':
            os.write(fd, b'\x03')
        else:
            os.kill(pid, signal.SIGINT)
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.stdout.write('status %d\n' % os.waitstatus_to_exitcode(status))
"#;

/// Ctrl-C on the terminal reaches both the supervisor and the sandbox's process (one
/// foreground process group); `kill` reaches the supervisor only, which forwards it. Either
/// way the guest sees one SIGINT.
#[test]
fn a_sigint_reaches_the_guest_once() {
    for how in ["tty", "kill"] {
        let out = Command::new("python3")
            .args(["-c", PTY_DRIVER])
            .arg(common::meridian_bin())
            .args([how, SIGINT_COUNTER])
            .output()
            .expect("run the terminal driver");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("sigints 1\r\n") && text.ends_with("status 0\n"),
            "SIGINT by {how}: the guest must see exactly one; the terminal showed:\n{text}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A guest shell with two background children; it ends when its stdin gives a line.
const SHELL_WITH_CHILDREN: &str =
    "busybox sleep 60 & busybox sleep 60 & echo ready; read line; exit 3";

/// How a run with guest child processes ends in [`children_end_with_the_sandbox`].
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// The first process exits (status 3) while its children still run.
    FirstProcessExits,
    /// SIGTERM to `meridian` (the supervisor forwards it; the shell dies of it).
    Sigterm,
}

/// The sandbox ends as a whole: with the first process's status (or its death by SIGTERM),
/// and with every host process of it gone, children included.
fn children_end_with_the_sandbox(ending: Ending) {
    let (mut child, ns) = start_ready(&["/bin/busybox", "sh", "-c", SHELL_WITH_CHILDREN]);
    let deadline = Instant::now() + START_TIMEOUT;
    while processes_in(&ns).len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the shell and its two children are host processes of the sandbox: {:?}",
            processes_in(&ns)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut stdin = child.stdin.take().expect("piped stdin");
    match ending {
        Ending::FirstProcessExits => stdin.write_all(b"go\n").expect("write a line"),
        Ending::Sigterm => {
            let sent = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .expect("run kill");
            assert!(sent.success());
        }
    }
    let status = child.wait().expect("wait for the runner");
    let code = common::exit_code(status);
    let expected = match ending {
        Ending::FirstProcessExits => 3,
        Ending::Sigterm => 128 + 15,
    };
    assert_eq!(code, expected, "{ending:?}: meridian's status");
    wait_until_empty(&ns, &format!("{ending:?}"));
    drop(stdin);
}

#[test]
fn children_end_when_the_first_process_exits() {
    children_end_with_the_sandbox(Ending::FirstProcessExits);
}

#[test]
fn children_end_on_sigterm_to_meridian() {
    children_end_with_the_sandbox(Ending::Sigterm);
}

/// Tasks the host allows a sandbox whose guest may have `guest_tasks`: one spare for a vfork
/// child that execs (crates/platform-linux/src/limits.rs, `SPARE_TASKS`).
fn host_task_bound(guest_tasks: u64) -> u64 {
    guest_tasks + 1
}

/// The library OS's process limit when the policy sets none.
const DEFAULT_GUEST_TASKS: u64 = 1024;

/// The directory of the pids cgroup that host process `pid` is in, where that is a cgroup of
/// its own made by Meridian (`meridian-<supervisor pid>`); `None` if it is in none.
fn meridian_pids_cgroup(pid: u32, supervisor: u32) -> Option<PathBuf> {
    meridian_cgroup(pid, supervisor, "pids", "pids.max")
}

/// `pids.max` of [`meridian_pids_cgroup`].
fn meridian_pids_max(pid: u32, supervisor: u32) -> Option<String> {
    let dir = meridian_pids_cgroup(pid, supervisor)?;
    let max = std::fs::read_to_string(dir.join("pids.max")).ok()?;
    Some(max.trim().to_string())
}

/// The soft and hard "Max processes" of host process `pid`.
fn max_processes(pid: u32) -> Vec<String> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    limits
        .lines()
        .find_map(|l| l.strip_prefix("Max processes"))
        .expect("a processes limit line")
        .split_whitespace()
        .take(2)
        .map(String::from)
        .collect()
}

/// The host bound on the sandbox's tasks, for a run whose guest may have `guest_tasks`
/// processes: as an ordinary user RLIMIT_NPROC, counted in the sandbox's user namespace,
/// of the guest's tasks plus the spare plus the supervisor; as root (whom RLIMIT_NPROC does
/// not bind) a pids cgroup with `pids.max` at the guest's tasks plus the spare. Returns
/// whether a bound was seen (else the runner must have warned).
fn check_task_limit(pid: u32, supervisor: u32, uid: u32, guest_tasks: u64) -> bool {
    let bound = host_task_bound(guest_tasks);
    let nproc = (bound + 1).to_string();
    let pids_max = meridian_pids_max(pid, supervisor);
    if let Some(max) = &pids_max {
        assert_eq!(*max, bound.to_string(), "pids.max of the sandbox's cgroup");
    }
    assert_eq!(
        max_processes(pid),
        [nproc.clone(), nproc],
        "RLIMIT_NPROC of the sandbox's process"
    );
    uid != 0 || pids_max.is_some()
}

/// Build `tests/hardening/<name>.c` statically; returns the directory holding the binary.
/// One build at a time: the tests of this file run in parallel threads of one process.
fn build_guest(name: &str) -> PathBuf {
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let gcc = common::find_gcc();
    let dir = common::scratch_dir("hardening/bin");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../tests/hardening/{name}.c"));
    let out = dir.join(name);
    if !common::is_up_to_date(&out, &[&src]) {
        common::compile_c(&gcc, &src, &out, &["-O1", "-static"]).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

/// Guest code that knows the runner's layout calls glibc's fork in Meridian's text directly
/// (tests/hardening/fork_gadget.c, issue 10 finding 4), past the library OS's count, under
/// `--limit processes=4`: the host refuses past 4 tasks plus the spare (the pids cgroup as
/// root, RLIMIT_NPROC in the user namespace as anybody else: both read from outside), the
/// guest sees EAGAIN, the tasks counted from outside in the sandbox's pid namespace stay
/// within the bound, and the cgroup is gone afterwards.
fn check_forks_past_the_limit(who: &Identity) {
    let prefix = who.prefix();
    if !user_namespaces_work(&prefix) {
        eprintln!("note: `unshare -U true` fails here: no pid namespace to count in");
        return;
    }
    const GUEST_TASKS: u64 = 4;
    let bin = build_guest("fork_gadget");
    let meridian = common::meridian_bin();
    let mount = format!("{}:/t:ro", bin.display());
    let limit = format!("processes={GUEST_TASKS}");
    let argv = [
        meridian.to_str().unwrap(),
        "run",
        "--mount",
        &mount,
        "--limit",
        &limit,
        "--",
        "/t/fork_gadget",
    ];
    let mut child = spawn_piped(command(&prefix, &argv));
    let (pid, _) = wait_for_lock_down(&mut child, true);
    let ns = pid_namespace_of(pid).expect("the sandbox's pid namespace");
    assert_ne!(
        Some(&ns),
        pid_namespace_of(std::process::id()).as_ref(),
        "the count needs the sandbox's own pid namespace"
    );
    let uid = who.uid.unwrap_or_else(common::own_uid);
    let bounded = check_task_limit(pid, child.id(), uid, GUEST_TASKS);
    let cgroup = meridian_pids_cgroup(pid, child.id());
    let gadget = common::layout::gadget_in(pid, &meridian).expect("meridian's image in its maps");
    let mut stdin = child.stdin.take().expect("piped stdin");
    writeln!(stdin, "{gadget:#x}").expect("pass the gadget");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("the guest's report");
    // Every child the guest made blocks until the sandbox ends: all are there now.
    let processes = processes_in(&ns);
    let tasks: usize = processes
        .iter()
        .map(|p| std::fs::read_dir(format!("/proc/{p}/task")).map_or(0, |d| d.count()))
        .sum();
    drop(stdin);
    let (status, stderr) = wait_with_stderr(&mut child);
    wait_until_empty(&ns, "the fork attack");
    eprintln!(
        "{}: guest: {}host: {} processes, {tasks} tasks",
        who.name,
        line,
        processes.len()
    );
    assert_eq!(common::exit_code(status), 0, "stderr:\n{stderr}");
    assert!(
        bounded && !stderr.contains("host limit on the sandbox's tasks not available"),
        "the host bounds the sandbox's tasks here: {stderr}"
    );
    let bound = host_task_bound(GUEST_TASKS);
    assert!(
        tasks as u64 <= bound && line.ends_with("then errno 11\n"),
        "the host let the guest make {tasks} tasks past --limit {limit} (bound {bound}); guest: {line}"
    );
    if let Some(cgroup) = cgroup {
        assert!(
            !cgroup.exists(),
            "the supervisor removes the sandbox's pids cgroup {}",
            cgroup.display()
        );
    }
}

#[test]
fn forks_past_the_limit_are_refused_by_the_host() {
    check_forks_past_the_limit(&Identity::own());
}

#[test]
fn forks_past_the_limit_are_refused_by_the_host_as_nobody() {
    let Some(nobody) = identity::nobody() else {
        return;
    };
    check_forks_past_the_limit(&nobody);
}

/// How the child of tests/hardening/child_host_death.c ends.
#[derive(Clone, Copy, Debug)]
enum ChildDeath {
    /// The test SIGKILLs its host process from outside.
    Killed,
    /// It makes a host call the filter refuses through the runner's `syscall; ret`.
    RefusedCall,
}

/// A guest process whose host process ends without the library OS's exit path (decision
/// D22): killed by the host, its parent, blocked in waitpid, sees it end as killed by that
/// signal (SIGKILL); SIGCHLD is delivered, the killed child's own child becomes pid 1's, and
/// the sandbox ends normally. Ended by the runner's internal-error report (a refused call),
/// the whole sandbox ends with 125 (D21). Before, the parent waited forever either way.
fn check_child_host_death(who: &Identity, how: ChildDeath) {
    let prefix = who.prefix();
    if !user_namespaces_work(&prefix) {
        eprintln!("note: `unshare -U true` fails here: no pid namespace to find the child in");
        return;
    }
    let bin = build_guest("child_host_death");
    let meridian = common::meridian_bin();
    let mount = format!("{}:/t:ro", bin.display());
    let mode = match how {
        ChildDeath::Killed => "kill",
        ChildDeath::RefusedCall => "gadget",
    };
    let argv = [
        meridian.to_str().unwrap(),
        "run",
        "--mount",
        &mount,
        "--",
        "/t/child_host_death",
        mode,
    ];
    let mut child = spawn_piped(command(&prefix, &argv));
    let (pid, _) = wait_for_lock_down(&mut child, true);
    let mut stdin = child.stdin.take().expect("piped stdin");
    if let ChildDeath::RefusedCall = how {
        let gadget =
            common::layout::gadget_in(pid, &meridian).expect("meridian's image in its maps");
        writeln!(stdin, "{gadget:#x}").expect("pass the gadget");
    }
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("the guest's first line");
    // After a refused call the sandbox may end before the parent has said so.
    if let ChildDeath::Killed = how {
        assert_eq!(line, "forked\n");
        let forked = children_of(pid);
        assert_eq!(forked.len(), 1, "the guest's child: {forked:?}");
        let sent = Command::new("kill")
            .args(["-KILL", &forked[0].to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "SIGKILL to the guest's child");
    }
    let deadline = Instant::now() + RUN_TIMEOUT;
    while child.try_wait().expect("wait for the runner").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{}, {how:?}: the parent still waits for its child after {RUN_TIMEOUT:?}",
                who.name
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(stdin);
    let mut rest = String::new();
    stdout
        .read_to_string(&mut rest)
        .expect("the guest's report");
    let (status, stderr) = wait_with_stderr(&mut child);
    match how {
        ChildDeath::Killed => {
            assert_eq!(
                rest,
                "child killed by signal 9\nSIGCHLD delivered\norphan reaped by pid 1\nwaitpid again: 0\n",
                "{}, {how:?}: stderr:\n{stderr}",
                who.name
            );
            assert_eq!(
                common::exit_code(status),
                0,
                "{}, {how:?}: stderr:\n{stderr}",
                who.name
            );
        }
        // A call the filter refuses from the runner's text is a library OS failure (or guest
        // code inside the runner): the whole sandbox ends with 125 (decision D21), not only
        // the child, and the parent does not wait forever.
        ChildDeath::RefusedCall => {
            assert_eq!(
                common::exit_code(status),
                125,
                "{}, {how:?}: stdout after fork: {rest:?}, stderr:\n{stderr}",
                who.name
            );
            assert!(
                stderr.contains("is not on the allowlist"),
                "{}, {how:?}: stderr:\n{stderr}",
                who.name
            );
        }
    }
}

#[test]
fn a_child_killed_by_the_host_is_a_zombie_for_its_parent() {
    check_child_host_death(&Identity::own(), ChildDeath::Killed);
}

#[test]
fn a_child_ended_by_a_refused_host_call_ends_the_sandbox() {
    check_child_host_death(&Identity::own(), ChildDeath::RefusedCall);
}

#[test]
fn a_child_that_dies_outside_the_library_os_is_a_zombie_as_nobody() {
    let Some(nobody) = identity::nobody() else {
        return;
    };
    check_child_host_death(&nobody, ChildDeath::Killed);
    check_child_host_death(&nobody, ChildDeath::RefusedCall);
}

/// The directory of the cgroup of `controller` that host process `pid` is in, where it is
/// one made by Meridian (`meridian-<supervisor pid>`) that has `file`; `None` if none.
fn meridian_cgroup(pid: u32, supervisor: u32, controller: &str, file: &str) -> Option<PathBuf> {
    let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let name = format!("/meridian-{supervisor}");
    let v1 = format!("/sys/fs/cgroup/{controller}");
    cgroups.lines().find_map(|l| {
        let mut f = l.splitn(3, ':');
        let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
        let dirs: Vec<&str> = if controllers.split(',').any(|c| c == controller) {
            vec![&v1]
        } else if controllers.is_empty() {
            vec!["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        } else {
            return None;
        };
        if !path.ends_with(&name) {
            return None;
        }
        dirs.iter()
            .map(|d| PathBuf::from(format!("{d}{path}")))
            .find(|dir| dir.join(file).exists())
    })
}

/// The memory the host allows the sandbox beyond `--limit memory`
/// (crates/platform-linux/src/limits.rs, `MEMORY_ALLOWANCE`).
const MEMORY_ALLOWANCE: u64 = 64 << 20;

/// Anonymous memory resident in host process `pid` (`RssAnon`), bytes.
fn rss_anon(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("RssAnon:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb << 10)
}

/// Eight guest processes each touch 48 MiB (tests/hardening/memory_hog.c) under
/// `--limit memory=128M`: each fits its own RLIMIT_AS, but as root the sandbox's memory
/// cgroup (read from outside: its limit is 128 MiB plus the allowance, swap included) keeps
/// them together within that bound, the kernel's OOM killer ends some (the guest sees them
/// killed by SIGKILL), Meridian says so in one line, and the cgroup is gone afterwards.
#[test]
fn memory_is_bounded_for_the_whole_sandbox() {
    if common::own_uid() != 0 || !user_namespaces_work(&[]) {
        eprintln!("note: needs root and a pid namespace (the memory cgroup); skipped");
        return;
    }
    const MEMORY: u64 = 128 << 20;
    const BOUND: u64 = MEMORY + MEMORY_ALLOWANCE;
    let bin = build_guest("memory_hog");
    let mount = format!("{}:/t:ro", bin.display());
    let mut runner = Command::new(common::meridian_bin());
    runner
        .args(["run", "--mount", &mount, "--limit", "memory=128M", "--"])
        .arg("/t/memory_hog");
    let mut child = spawn_piped(runner);
    let (pid, _) = wait_for_lock_down(&mut child, true);
    let ns = pid_namespace_of(pid).expect("the sandbox's pid namespace");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("the guest's first line");
    assert_eq!(line, "ready\n");
    let cgroup = meridian_cgroup(pid, child.id(), "memory", "memory.limit_in_bytes")
        .map(|d| (d, "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"))
        .or_else(|| {
            meridian_cgroup(pid, child.id(), "memory", "memory.max")
                .map(|d| (d, "memory.max", "memory.swap.max"))
        });
    let Some((cgroup, limit_file, swap_file)) = cgroup else {
        let _ = child.kill();
        panic!("as root the sandbox is in a memory cgroup of its own");
    };
    let read = |f: &str| std::fs::read_to_string(cgroup.join(f)).map(|s| s.trim().to_string());
    assert_eq!(read(limit_file).unwrap(), BOUND.to_string(), "{limit_file}");
    if let Ok(swap) = read(swap_file) {
        let want = if swap_file == "memory.swap.max" {
            0
        } else {
            BOUND
        };
        assert_eq!(swap, want.to_string(), "{swap_file}");
    }
    writeln!(stdin, "go").expect("start the children");
    line.clear();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("the guest's count");
    // Every child that was not killed holds its 48 MiB now.
    let resident: u64 = processes_in(&ns).into_iter().map(rss_anon).sum();
    writeln!(stdin, "end").expect("release the children");
    drop(stdin);
    let mut rest = String::new();
    stdout
        .read_to_string(&mut rest)
        .expect("the guest's summary");
    let (status, stderr) = wait_with_stderr(&mut child);
    wait_until_empty(&ns, "the memory hog");
    eprintln!("guest: {line}{rest}host: {resident} bytes of anonymous memory resident");
    assert_eq!(common::exit_code(status), 0, "stderr:\n{stderr}");
    assert!(
        resident <= BOUND,
        "the sandbox held {resident} bytes, past --limit memory=128M plus the allowance"
    );
    let counts: Vec<u32> = rest
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [touched, killed, enomem] = counts[..] else {
        panic!("the guest's summary: {rest}");
    };
    // A child may be killed after it reported its memory touched (the OOM killer picks the
    // largest), so `touched` and `killed` may overlap; what was resident at once is the
    // host's figure above.
    assert!(
        touched + killed + enomem >= 8 && killed + enomem > 0,
        "the children: {rest}"
    );
    if killed > 0 {
        assert!(
            stderr.contains("meridian: the sandbox reached its host memory limit (--limit memory plus the runner's allowance): the kernel killed "),
            "stderr:\n{stderr}"
        );
    }
    assert!(
        !cgroup.exists(),
        "the supervisor removes the sandbox's memory cgroup {}",
        cgroup.display()
    );
}
