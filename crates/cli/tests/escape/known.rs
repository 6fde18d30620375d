//! "Layout known" attacks (issue 10): the guest is handed the address of a `syscall; ret`
//! sequence in the runner's own text and makes host calls with forged registers
//! (`tests/escape/known/forge.c`). SECURITY.md's threat model assumes such a guest: the fast
//! path gives every guest Meridian's addresses by design.
//!
//! The test finds the gadget from outside (`common::layout`): the bytes `0f 05 c3` in an
//! executable `PT_LOAD` segment of the meridian binary, plus the load base of the binary in
//! `/proc/<sandbox pid>/maps`. It writes "GADGET SUPERVISOR_PID" to the run's read-write
//! volume, where the guest waits for it. The guest's stdio are host files the test made:
//! stdin a file, stdout and stderr logs opened with `O_APPEND`. After each run the test checks
//! from outside that they kept their mode, owner, size (stdin), content (stdin; the logs'
//! first bytes), times (stdin), that the secret did not leak and that the `sleep` bystander
//! lives; and that the run ended as expected: the forged call refused by the filter (never
//! executed: status 125, "not on the allowlist") or let through and harmless.

use super::common;
use super::common::identity::Identity;
use super::common::layout;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// What a forged call must come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forged {
    /// The filter refuses it: the sandbox ends with status 125 and the report.
    Refused,
    /// The filter lets it through; it must fail harmlessly and the program ends normally.
    Harmless,
}

/// The attacks of `forge.c`, each with its expected ending.
pub const KNOWN_LAYOUT_ATTACKS: &[(&str, Forged)] = &[
    ("fchmod_stdin", Forged::Refused),
    ("fchmod_stdout", Forged::Refused),
    ("fchmod_stdin_high_word", Forged::Refused),
    ("fchown_stdin", Forged::Refused),
    ("ftruncate_stdout", Forged::Refused),
    ("ftruncate_stdin", Forged::Refused),
    ("fallocate_stderr", Forged::Refused),
    ("pwrite_stdout", Forged::Refused),
    ("utimensat_stdin", Forged::Refused),
    ("utimensat_fdcwd_high_word", Forged::Refused),
    ("fsync_stdout", Forged::Refused),
    ("close_stdin", Forged::Refused),
    ("close_below_floor", Forged::Refused),
    ("read_below_floor", Forged::Refused),
    ("mmap_stdin", Forged::Refused),
    ("mmap_below_floor", Forged::Refused),
    ("openat2_fdcwd", Forged::Refused),
    ("openat2_absolute_from_volume", Forged::Harmless),
    // Needs root for its bind mount (`Run::nest_mount`); skipped with a note otherwise.
    ("nested_readonly_volume", Forged::Harmless),
    ("newfstatat_fdcwd", Forged::Refused),
    ("newfstatat_absolute_from_stdin", Forged::Harmless),
    ("readlinkat_fdcwd", Forged::Refused),
    ("tgkill_bystander", Forged::Refused),
    ("kill_supervisor", Forged::Refused),
];

/// Attacks whose filter outcome depends on the pid namespace: the kick signal to another
/// process is allowed inside one (where no host process has a pid), refused without.
pub const KICK_ATTACKS: &[&str] = &["tgkill_bystander_kick", "tgkill_supervisor_kick"];

/// What the report of a refused call says.
const REFUSED_MESSAGE: &str = "not on the allowlist";
const STDIN_CONTENT: &str = "the guest's stdin: a host file\n";
const LOG_START: &str = "log before the run\n";
/// How long a run may take (a refused call ends it at once).
const RUN_TIMEOUT: Duration = Duration::from_secs(20);

/// The sandbox's process of the run whose `meridian` process is `pid` (its child when it is
/// a supervisor), once its filter is installed.
fn locked_down_sandbox(pid: u32) -> Option<u32> {
    // The kernel's own list of the main thread's children where it has one: a scan of
    // `/proc/*/status` can miss a child it is creating, and then the supervisor, locked down
    // just after its fork, was taken for the sandbox.
    let kids = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).map_or_else(
        |_| layout::children_of(pid),
        |s| {
            s.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        },
    );
    let candidates = match kids[..] {
        [one] => vec![one],
        _ => vec![pid],
    };
    candidates.into_iter().find(|p| {
        std::fs::read_to_string(format!("/proc/{p}/status"))
            .is_ok_and(|s| s.contains("Seccomp:\t2\n"))
    })
}

/// What must not change about a host file: mode, owner, size, content, times.
#[derive(Debug, PartialEq, Eq)]
struct FileState {
    mode: u32,
    owner: (u32, u32),
    size: u64,
    content: Vec<u8>,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

fn state(path: &Path) -> FileState {
    let m = std::fs::metadata(path).expect("stat a stdio file");
    FileState {
        mode: m.mode(),
        owner: (m.uid(), m.gid()),
        size: m.size(),
        content: std::fs::read(path).expect("read a stdio file"),
        mtime: (m.mtime(), m.mtime_nsec()),
        ctime: (m.ctime(), m.ctime_nsec()),
    }
}

/// One run's host side: its stdio files, read-write volume and read-only volume.
pub struct Run {
    dir: PathBuf,
    stdin: PathBuf,
    stdout: PathBuf,
    stderr: PathBuf,
    volume: PathBuf,
    /// Mounted read-only at `/r`.
    ro_volume: PathBuf,
    /// The host file of a mount nested in the read-only volume, and that mount.
    nested: Option<(PathBuf, NestedMount)>,
}

/// A host directory bind-mounted inside a run's read-only volume (`<volume>/sub`), unmounted
/// when dropped (also when the test fails).
pub struct NestedMount(PathBuf);

impl Drop for NestedMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

impl Run {
    /// Fresh files for attack `name` under `root`, owned by `owner` where given (the runs as
    /// an unprivileged user: their files are theirs, so only the sandbox stands in the way).
    pub fn new(root: &Path, name: &str, owner: Option<u32>) -> Run {
        let dir = root.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        let volume = dir.join("w");
        std::fs::create_dir_all(&volume).expect("make the run's volume");
        let ro_volume = dir.join("r");
        std::fs::create_dir_all(&ro_volume).expect("make the run's read-only volume");
        let run = Run {
            ro_volume,
            nested: None,
            stdin: dir.join("stdin.txt"),
            stdout: dir.join("stdout.log"),
            stderr: dir.join("stderr.log"),
            volume,
            dir,
        };
        std::fs::write(&run.stdin, STDIN_CONTENT).expect("write stdin");
        std::fs::write(&run.stdout, LOG_START).expect("write the stdout log");
        std::fs::write(&run.stderr, LOG_START).expect("write the stderr log");
        if let Some(uid) = owner {
            for p in [
                &run.dir,
                &run.volume,
                &run.ro_volume,
                &run.stdin,
                &run.stdout,
                &run.stderr,
            ] {
                std::os::unix::fs::chown(p, Some(uid), Some(uid)).expect("chown a run's file");
            }
        }
        run
    }
}

impl Run {
    /// Bind-mount a fresh host directory with a file `victim` (owned by `owner` where given)
    /// at `sub` inside the read-only volume: a mount nested in the volume. Needs root; `false`
    /// (nothing done) otherwise.
    pub fn nest_mount(&mut self, owner: Option<u32>) -> bool {
        if common::own_uid() != 0 {
            return false;
        }
        let data = self.dir.join("hostdata");
        let point = self.ro_volume.join("sub");
        std::fs::create_dir_all(&data).expect("make the nested mount's host dir");
        std::fs::create_dir_all(&point).expect("make the nested mount point");
        let victim = data.join("victim");
        std::fs::write(&victim, "a host file on a nested mount\n").expect("write the victim");
        if let Some(uid) = owner {
            for p in [&data, &point, &victim] {
                std::os::unix::fs::chown(p, Some(uid), Some(uid)).expect("chown the victim");
            }
        }
        let ok = std::process::Command::new("mount")
            .arg("--bind")
            .arg(&data)
            .arg(&point)
            .status()
            .expect("run mount")
            .success();
        assert!(
            ok,
            "bind-mounting {} at {}",
            data.display(),
            point.display()
        );
        self.nested = Some((victim, NestedMount(point)));
        true
    }
}

/// How a run ended and what it left.
pub struct Ended {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    /// Whether the sandbox had a pid namespace of its own.
    pub pid_namespace: bool,
}

/// What the attacks aim at outside the sandbox.
pub struct Targets<'a> {
    /// The secret file, outside every mount.
    pub secret: &'a Path,
    /// The host pid of the test's `sleep`.
    pub bystander: u32,
}

/// Run `forge ATTACK` in a sandbox as `identity`, hand it the gadget and wait for the end.
pub fn run_forged(
    identity: &Identity,
    bin: &Path,
    run: &Run,
    attack: &str,
    targets: &Targets<'_>,
) -> Ended {
    let (secret, bystander) = (targets.secret, targets.bystander);
    let meridian = common::meridian_bin();
    let sandbox = common::Sandbox::new()
        .mount(bin, "/t", true)
        .mount(&run.volume, "/w", false)
        .mount(&run.ro_volume, "/r", true)
        .command(
            "/t/forge",
            &[
                attack,
                secret.to_str().expect("UTF-8 path"),
                &bystander.to_string(),
            ],
        );
    let append = |p: &Path| {
        std::fs::OpenOptions::new()
            .append(true)
            .custom_flags(0)
            .open(p)
            .expect("open a log for appending")
    };
    let mut child: Child = identity
        .command(&sandbox)
        .stdin(std::fs::File::open(&run.stdin).expect("open stdin"))
        .stdout(append(&run.stdout))
        .stderr(append(&run.stderr))
        .spawn()
        .expect("start meridian");
    // With a prefix (setpriv), meridian is the prefix's process after its exec.
    let meridian_pid = child.id();
    let deadline = Instant::now() + RUN_TIMEOUT;
    let mut handed = false;
    let mut pid_namespace = false;
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for meridian") {
            break status;
        }
        if !handed
            && let Some(sandbox) = locked_down_sandbox(meridian_pid)
            && let Some(gadget) = layout::gadget_in(sandbox, &meridian)
        {
            // Before the gadget is published: the guest may use it and end at once, and a
            // process that has ended has no namespace to read.
            pid_namespace = layout::pid_namespace_of(sandbox)
                .is_some_and(|n| Some(n) != layout::pid_namespace_of(std::process::id()));
            let tmp = run.volume.join("gadget.tmp");
            let mut f = std::fs::File::create(&tmp).expect("write the gadget file");
            writeln!(f, "{gadget:x} {meridian_pid}").expect("write the gadget");
            drop(f);
            std::fs::rename(&tmp, run.volume.join("gadget")).expect("publish the gadget");
            handed = true;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    Ended {
        status: common::exit_code(status),
        stdout: read(&run.stdout),
        stderr: read(&run.stderr),
        timed_out,
        pid_namespace,
    }
}

/// What is wrong with run `run` of `attack` that ended as `ended`, expected `expected`.
pub fn problems(
    run: &Run,
    before: &FileStates,
    ended: &Ended,
    expected: Forged,
    token: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    if ended.timed_out {
        problems.push("timed out".into());
    }
    if !ended.stdout.contains("gettid through the gadget: ") {
        problems.push("the guest never called the gadget".into());
    }
    match expected {
        Forged::Refused => {
            if ended.status != 125 || !ended.stderr.contains(REFUSED_MESSAGE) {
                problems.push(format!(
                    "expected the filter to refuse the call (125, {REFUSED_MESSAGE:?}); status {}",
                    ended.status
                ));
            }
        }
        Forged::Harmless => {
            if ended.status != 0 || !ended.stdout.ends_with("CONTAINED\n") {
                problems.push(format!("expected a normal end; status {}", ended.status));
            }
        }
    }
    if ended.stdout.contains(token) || ended.stderr.contains(token) {
        problems.push("the secret leaked".into());
    }
    if ended.stdout.lines().any(|l| l.starts_with("ESCAPE")) {
        problems.push("the program reports an escape".into());
    }
    if let (Some((victim, _)), Some(was)) = (&run.nested, &before.nested) {
        let now = state(victim);
        if &now != was {
            problems.push(format!(
                "the file on the mount nested in the read-only volume changed: {now:?}, was {was:?}"
            ));
        }
    }
    let stdin = state(&run.stdin);
    if stdin != before.stdin {
        problems.push(format!(
            "stdin's host file changed: {stdin:?}, was {:?}",
            before.stdin
        ));
    }
    for (path, was) in [(&run.stdout, &before.stdout), (&run.stderr, &before.stderr)] {
        let now = state(path);
        if (now.mode, now.owner) != (was.mode, was.owner)
            || !now.content.starts_with(LOG_START.as_bytes())
        {
            problems.push(format!(
                "{} changed: mode {:o} owner {:?}, starts {:?}",
                path.display(),
                now.mode,
                now.owner,
                String::from_utf8_lossy(&now.content[..now.content.len().min(40)])
            ));
        }
    }
    problems
}

/// The stdio files' state before a run.
pub struct FileStates {
    stdin: FileState,
    stdout: FileState,
    stderr: FileState,
    nested: Option<FileState>,
}

impl FileStates {
    pub fn of(run: &Run) -> FileStates {
        FileStates {
            stdin: state(&run.stdin),
            stdout: state(&run.stdout),
            stderr: state(&run.stderr),
            nested: run.nested.as_ref().map(|(victim, _)| state(victim)),
        }
    }
}
