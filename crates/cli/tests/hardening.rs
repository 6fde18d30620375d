//! The runner's hardening under the seccomp filter (crates/platform-linux/src/harden.rs),
//! checked from outside a real run through `/proc/<pid>/`: no_new_privs and the filter, no
//! inherited descriptor but stdio, core dumps off, namespaces of its own; as the invoking user
//! and as `nobody`, and with user namespaces unavailable (warnings, not a failure). Landlock
//! leaves no trace in /proc; its rules are checked by the unit tests of `harden`.
//!
//! Each run is `meridian run -- /bin/busybox cat`, which blocks reading its stdin until the
//! test has looked and closes it.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the runner may take to reach the guest.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a run may take after its stdin is closed.
const RUN_TIMEOUT: Duration = Duration::from_secs(20);
/// The uid and gid of `nobody`.
const NOBODY: u32 = 65534;
/// The descriptor on which the runner inherits an open host file.
const INHERITED_FD: u32 = 7;
/// Namespaces the runner enters (all but pid: see harden.rs).
const NAMESPACES: [&str; 6] = ["user", "mnt", "net", "ipc", "uts", "cgroup"];

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

/// The uid of this test process.
fn own_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().next()?.parse().ok())
        .expect("a Uid line")
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
/// execs `meridian run -- /bin/busybox cat`: the runner's pid is the child's.
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
        "--",
        "/bin/busybox",
        "cat",
    ];
    command(prefix, &argv)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the runner")
}

/// `/proc/<pid>/status` once the filter is installed (the guest is about to run or running).
fn wait_for_lock_down(child: &mut Child) -> String {
    let path = format!("/proc/{}/status", child.id());
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let status = std::fs::read_to_string(&path).unwrap_or_default();
        if status.contains("Seccomp:\t2\n") {
            return status;
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
        // Inside the filesystem jail the volumes are at /volumes/<index>; without it, at
        // their host paths.
        assert!(
            target.starts_with("/volumes/") || volumes.iter().any(|v| target.starts_with(v)),
            "fd {fd} -> {} is neither stdio nor a volume directory",
            target.display()
        );
    }
    assert!(
        !seen
            .iter()
            .any(|s| s.starts_with(&format!("{INHERITED_FD} -> "))),
        "fd {INHERITED_FD} was inherited and must be closed: {seen:#?}"
    );
}

/// Everything that can be seen from outside, for a runner started with `prefix`, as `uid`.
fn check_hardened_run(prefix: &[&str], uid: u32, name: &str) {
    let secret = Secret::new(name);
    let userns = user_namespaces_work(prefix);
    let mut child = start(prefix, &secret.0);
    let pid = child.id();
    let status = wait_for_lock_down(&mut child);

    assert!(status.contains("NoNewPrivs:\t1\n"), "{status}");
    assert!(status.contains("Seccomp:\t2\n"), "{status}");
    assert!(status.contains("Threads:\t1\n"), "{status}");
    check_descriptors(pid, &secret.0);
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
    } else {
        assert!(
            stderr.contains("meridian: warning: user namespace not available ("),
            "stderr:\n{stderr}"
        );
    }
}

#[test]
fn runner_is_hardened() {
    check_hardened_run(&[], own_uid(), "self");
}

/// `setpriv` prefix that runs a command as `nobody`, or `None` (with a note) where this test
/// cannot switch users or `nobody` cannot run the runner.
fn as_nobody() -> Option<Vec<String>> {
    if own_uid() != 0 {
        eprintln!("note: not root, so the runs as nobody were skipped");
        return None;
    }
    let prefix: Vec<String> = [
        "setpriv".to_string(),
        format!("--reuid={NOBODY}"),
        format!("--regid={NOBODY}"),
        "--clear-groups".into(),
        "--".into(),
    ]
    .into();
    let meridian = common::meridian_bin();
    let can_run = Command::new(&prefix[0])
        .args(&prefix[1..])
        .arg("test")
        .arg("-x")
        .arg(&meridian)
        .status()
        .is_ok_and(|s| s.success());
    if !can_run {
        eprintln!(
            "note: setpriv is missing or nobody cannot run {}; the runs as nobody were skipped",
            meridian.display()
        );
        return None;
    }
    Some(prefix)
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
        .args(["run", "--", "/bin/busybox", "echo", "ran"]);
    let out = common::run(cmd, b"", RUN_TIMEOUT);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        (out.status, &out.stdout[..]),
        (0, &b"ran\n"[..]),
        "{stderr}"
    );
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("namespace")).collect();
    assert_eq!(
        warnings,
        [
            "meridian: warning: user namespace not available (unshare: No space left on device (os error 28)); continuing without it",
            "meridian: warning: mount, network, IPC, UTS, cgroup namespaces not available (unshare: Operation not permitted (os error 1)); continuing without them",
            "meridian: warning: filesystem jail not available (needs the user and mount namespaces); continuing without it",
        ],
        "stderr:\n{stderr}"
    );
}
