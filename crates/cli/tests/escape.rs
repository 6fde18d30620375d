//! The escape suite (issue 5): attack programs run inside Meridian, each checked from outside.
//!
//! Every program in `tests/escape/*.c` (compiled `-static`, mounted read-only at `/t`) attacks
//! the boundary one way; its header comment names the attack and the expected containment, and
//! `docs/escape-tests.md` lists them. Every attack runs as the test's user and, when the test
//! is root and `setpriv` is there, as `nobody` with host files of its own (`common::identity`),
//! both through one pool. The test does not trust what a program says about itself. For every
//! run it checks, from the host:
//!
//! - meridian's exit status and signal are the expected ones (a designed kill, or the program's
//!   own exit 0), within a timeout;
//! - a random token in a host file outside every mount (a fresh scratch dir) never appears in
//!   stdout or stderr (the programs print whatever they manage to read);
//! - the program reported no `ESCAPE:` line;
//!
//! and after all runs: host victim files (one outside every mount, one in the read-only volume)
//! are unchanged, a host process the test started (`sleep`) is still alive, and no process of a
//! run is left over.
//!
//! The volume `/v` (read-only) holds links planted by the test: absolute and relative symlinks
//! to the secret and its directory, and a hard link (when the scratch dir allows one). Every
//! attack also gets a read-write volume `/w` of its own (so the write calls of the filter are
//! in every run), holding `keep.txt` and planted links: `abs_victim` → the victim's host path,
//! `dir_link` → its directory, `up_link` → `../../outside`. After the runs the test also checks
//! that the victim's mode and times are unchanged, that no file of any `/w` shares an inode with
//! the secret or a victim, and that each `keep.txt` is still in its volume.

mod common;
#[path = "escape/known.rs"]
mod known;

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::Outcome;
use common::identity::{self, Identity};

/// Bound on one attack's run; a contained attack ends in well under a second or two.
const RUN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the CPU hog spins before the test kills meridian with SIGKILL.
const HOG_RUNS_FOR: Duration = Duration::from_millis(1500);
/// SIGKILL, SIGSEGV and SIGSYS: the designed endings.
const SIGKILL: i32 = 9;
const SIGSEGV: i32 = 11;
const SIGSYS: i32 = 31;
/// What the runner prints when a guest touches memory above the guest range.
const LIBOS_TOUCH_MESSAGE: &str = "guest touched library OS memory";
/// Content of the file hard-linked into the volume (not secret: the volume holds it).
const HARDLINK_CONTENT: &str = "HARDLINK-VISIBLE";

/// How an attack's run must end.
#[derive(Debug, Clone, Copy)]
enum Ending {
    /// The program runs to the end and exits 0 after its last line, `CONTAINED`.
    Contained,
    /// meridian exits with this status (`128+N` for a guest's death by signal N), its stderr
    /// containing the text.
    Status(i32, &'static str),
    /// The meridian process itself is killed by this signal by the host kernel (a designed
    /// seccomp kill).
    KilledBy(i32),
    /// The test kills meridian with SIGKILL after [`HOG_RUNS_FOR`]; stdout must have the text
    /// (the attack had started).
    KilledFromOutside(&'static str),
}

/// One attack: its program's name in `tests/escape` and how its run must end.
struct Attack {
    name: &'static str,
    ending: Ending,
}

const fn contained(name: &'static str) -> Attack {
    Attack {
        name,
        ending: Ending::Contained,
    }
}

/// The suite. Every program in `tests/escape` must be listed (checked).
const ATTACKS: &[Attack] = &[
    contained("01_absolute_path"),
    contained("02_dotdot"),
    contained("03_proc_root"),
    contained("04_symlinks"),
    contained("05_hardlink"),
    contained("06_readonly_volume"),
    contained("07_jit_openat"),
    contained("08_forged_args"),
    contained("09_sigsys_handler"),
    contained("10_block_sigsys"),
    contained("11_kill_host"),
    contained("12_kill_all"),
    contained("13_ptrace"),
    contained("14_setuid_exec"),
    contained("15_namespaces"),
    contained("16_mount"),
    contained("17_bad_syscall_numbers"),
    contained("18_fork_bomb"),
    contained("19_memory_bomb"),
    contained("20_fd_exhaustion"),
    Attack {
        name: "21_cpu_hog",
        ending: Ending::KilledFromOutside("spinning\n"),
    },
    Attack {
        name: "22_gadget_probe",
        ending: Ending::Status(common::SIGNAL_STATUS_BASE + SIGSEGV, LIBOS_TOUCH_MESSAGE),
    },
    contained("23_no_anchor"),
    contained("24_gsbase"),
    contained("25_proc_mem"),
    contained("26_tgkill_near"),
    contained("27_tiocsti"),
    contained("28_many_threads"),
    contained("29_register_leak"),
    contained("30_int80"),
    contained("31_rw_volume_symlinks"),
    contained("32_rw_volume_dotdot"),
    contained("33_rw_volume_links_out"),
    contained("34_vector_leftovers"),
    contained("35_shared_file_spans"),
];

fn sources_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/escape")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A token nobody can guess, from the kernel's random source.
fn random_token() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .expect("/dev/urandom is readable");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("MERIDIAN-SECRET-{hex}")
}

/// The host side of the suite for one identity: the scratch layout and the process to
/// protect, all the identity's own (so that for `nobody` only the sandbox keeps the guest from
/// them, not the host's permissions).
struct Host {
    /// Who the attacks run as.
    identity: Identity,
    /// Fresh per run of the suite; removed at the end when everything was contained.
    root: PathBuf,
    /// The secret file (outside every mount) and its token.
    secret: PathBuf,
    token: String,
    /// A host file outside every mount that attacks try to write.
    victim: PathBuf,
    /// A host file inside the read-only volume that attacks try to write.
    volume_victim: PathBuf,
    /// The read-only volume mounted at `/v`.
    volume: PathBuf,
    /// The directory of the attacks' read-write volumes (`/w`), one per attack beneath it.
    rw_volumes: PathBuf,
    /// The victim's mode and modification time as the test left them.
    victim_meta: (u32, i64, i64),
    /// Whether the hard link could be made (same filesystem).
    hard_link: bool,
    /// A host process the attacks try to kill (`sleep`).
    bystander: Child,
}

const VICTIM_CONTENT: &str = "victim: must stay as it is\n";
/// Content of `keep.txt` in each read-write volume.
const KEEP_CONTENT: &str = "stays in the volume\n";

/// A file's mode and modification time (seconds, nanoseconds); zeros if it is gone.
fn file_meta(path: &Path) -> (u32, i64, i64) {
    std::fs::metadata(path).map_or((0, 0, 0), |m| (m.mode(), m.mtime(), m.mtime_nsec()))
}

impl Host {
    fn new(identity: &Identity) -> Host {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let root = common::scratch_dir("escape").join(format!(
            "run-{}-{nanos}-{}",
            std::process::id(),
            identity.name
        ));
        let outside = root.join("outside");
        let volume = root.join("vol");
        std::fs::create_dir_all(&outside).expect("create the outside dir");
        std::fs::create_dir_all(&volume).expect("create the volume dir");
        let token = random_token();
        let secret = outside.join("secret.txt");
        std::fs::write(&secret, format!("{token}\n")).expect("write the secret");
        let victim = outside.join("victim.txt");
        std::fs::write(&victim, VICTIM_CONTENT).expect("write the victim");
        let volume_victim = volume.join("victim.txt");
        std::fs::write(&volume_victim, VICTIM_CONTENT).expect("write the volume victim");

        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, volume.join(name))
                .unwrap_or_else(|err| panic!("symlink {name}: {err}"));
        };
        link(&secret, "abs_link");
        let secret_str = secret.to_str().expect("scratch paths are UTF-8");
        let climb = "../".repeat(16);
        link(
            Path::new(&format!("{climb}{}", secret_str.trim_start_matches('/'))),
            "rel_link",
        );
        link(&outside, "dir_link");
        link(Path::new("../outside"), "up_link");

        let hard_source = outside.join("hard_src.txt");
        std::fs::write(&hard_source, format!("{HARDLINK_CONTENT}\n")).expect("write hard_src");
        let hard_link = match std::fs::hard_link(&hard_source, volume.join("hard.txt")) {
            Ok(()) => true,
            Err(err) => {
                println!("note: no hard link in the volume ({err}); 05_hardlink is skipped");
                false
            }
        };

        let rw_volumes = root.join("rw");
        std::fs::create_dir_all(&rw_volumes).expect("create the rw volumes' dir");
        identity.own_tree(&root);
        let victim_meta = file_meta(&victim);

        let mut sleep = Command::new("sleep");
        sleep.arg("60");
        let bystander = identity
            .command(&sleep)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start `sleep 60`");
        Host {
            identity: identity.clone(),
            root,
            secret,
            token,
            victim,
            volume_victim,
            volume,
            rw_volumes,
            victim_meta,
            hard_link,
            bystander,
        }
    }

    /// The read-write volume of attack `name`, made with its planted links and `keep.txt`.
    fn rw_volume(&self, name: &str) -> PathBuf {
        let dir = self.rw_volumes.join(name);
        std::fs::create_dir_all(&dir).expect("create an rw volume");
        std::fs::write(dir.join("keep.txt"), KEEP_CONTENT).expect("write keep.txt");
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, dir.join(name))
                .unwrap_or_else(|err| panic!("symlink {name}: {err}"));
        };
        link(&self.victim, "abs_victim");
        link(self.victim.parent().expect("a directory"), "dir_link");
        link(Path::new("../../outside"), "up_link");
        self.identity.own_tree(&dir);
        dir
    }

    /// What is wrong on the host after the runs: a changed file, a dead bystander.
    fn damage(&mut self) -> Vec<String> {
        let mut damage = Vec::new();
        if file_meta(&self.victim) != self.victim_meta {
            damage.push(format!(
                "the victim's mode or mtime changed: {:?}, was {:?}",
                file_meta(&self.victim),
                self.victim_meta
            ));
        }
        let protected: Vec<(u64, u64)> = [&self.secret, &self.victim, &self.volume_victim]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| (m.dev(), m.ino()))
            .collect();
        for vol in std::fs::read_dir(&self.rw_volumes)
            .into_iter()
            .flatten()
            .flatten()
        {
            let keep = vol.path().join("keep.txt");
            if std::fs::read_to_string(&keep).ok().as_deref() != Some(KEEP_CONTENT) {
                damage.push(format!("{} moved or changed", keep.display()));
            }
            for entry in std::fs::read_dir(vol.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if let Ok(m) = std::fs::symlink_metadata(entry.path())
                    && protected.contains(&(m.dev(), m.ino()))
                {
                    damage.push(format!(
                        "{} is a hard link to a protected file",
                        entry.path().display()
                    ));
                }
            }
        }
        for file in [&self.victim, &self.volume_victim] {
            match std::fs::read_to_string(file) {
                Ok(content) if content == VICTIM_CONTENT => {}
                Ok(content) => damage.push(format!("{} changed: {content:?}", file.display())),
                Err(err) => damage.push(format!("{} unreadable: {err}", file.display())),
            }
        }
        match std::fs::read_to_string(&self.secret) {
            Ok(content) if content == format!("{}\n", self.token) => {}
            other => damage.push(format!("the secret changed: {other:?}")),
        }
        match self.bystander.try_wait() {
            Ok(None) => {}
            Ok(Some(status)) => damage.push(format!("the host process `sleep 60` died: {status}")),
            Err(err) => damage.push(format!("cannot check the host process: {err}")),
        }
        damage
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.bystander.kill();
        let _ = self.bystander.wait();
    }
}

/// Compiles every attack (cached), in parallel; returns the binaries' directory.
fn build_all(names: Vec<&'static str>) -> PathBuf {
    let gcc = common::find_gcc();
    let bin = common::scratch_dir("escape/bin");
    // The headers the programs include (34 shares tests/c's vector dump).
    let header = sources_dir().join("escape.h");
    let vector_header = sources_dir().join("../c/vector_state.h");
    let errors: Vec<String> = common::parallel_map(names, common::workers(), |name| {
        let src = sources_dir().join(format!("{name}.c"));
        let out = bin.join(name);
        if common::is_up_to_date(&out, &[&src, &header, &vector_header]) {
            return None;
        }
        common::compile_c(&gcc, &src, &out, &["-O1", "-static", "-D_GNU_SOURCE"]).err()
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    bin
}

/// Runs one attack in the sandbox, as the host's identity.
fn run_attack(attack: &Attack, bin: &Path, host: &Host) -> Outcome {
    let sandbox = common::Sandbox::new()
        .mount(bin, "/t", true)
        .mount(&host.volume, "/v", true)
        .mount(&host.rw_volume(attack.name), "/w", false)
        .command(
            &format!("/t/{}", attack.name),
            &[
                host.secret.to_str().expect("UTF-8 path"),
                &host.bystander.id().to_string(),
                host.victim.to_str().expect("UTF-8 path"),
            ],
        );
    let cmd = host.identity.command(&sandbox);
    let timeout = match attack.ending {
        Ending::KilledFromOutside(_) => HOG_RUNS_FOR,
        _ => RUN_TIMEOUT,
    };
    common::run(cmd, b"", timeout)
}

/// Why an attack's run was not contained; empty when it was. Pure, so that the checks
/// themselves are tested (`every_check_can_fail`).
fn verdict(ending: Ending, out: &Outcome, token: &str, extra_stdout: Option<&str>) -> Vec<String> {
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    let mut problems = Vec::new();
    if stdout.contains(token) || stderr.contains(token) {
        problems.push("the secret token appeared in the output".to_owned());
    }
    for line in stdout
        .lines()
        .filter(|l| l.starts_with("ESCAPE") || *l == "NOT CONTAINED")
    {
        problems.push(format!("the program reports: {line}"));
    }
    if let Some(needle) = extra_stdout
        && !stdout.contains(needle)
    {
        problems.push(format!("stdout lacks {needle:?}"));
    }
    match ending {
        Ending::Contained => {
            if out.timed_out {
                problems.push("timed out".to_owned());
            }
            if out.status != 0 || out.signal.is_some() {
                problems.push(format!(
                    "exit status {} (signal {:?}), expected 0",
                    out.status, out.signal
                ));
            }
            if !stdout.ends_with("CONTAINED\n") || stdout.ends_with("NOT CONTAINED\n") {
                problems.push("the program did not reach its end (no final CONTAINED)".to_owned());
            }
        }
        Ending::Status(status, message) => {
            if out.timed_out || out.status != status || out.signal.is_some() {
                problems.push(format!(
                    "exit status {} (signal {:?}, timed out {}), expected {status}",
                    out.status, out.signal, out.timed_out
                ));
            }
            if !stderr.contains(message) {
                problems.push(format!("stderr lacks {message:?}"));
            }
        }
        Ending::KilledBy(signal) => {
            if out.timed_out || out.signal != Some(signal) {
                problems.push(format!(
                    "meridian ended with status {} (signal {:?}, timed out {}), expected death by \
                     signal {signal}",
                    out.status, out.signal, out.timed_out
                ));
            }
        }
        Ending::KilledFromOutside(started) => {
            if !out.timed_out || out.signal != Some(SIGKILL) {
                problems.push(format!(
                    "expected to be running until killed; ended with status {} (signal {:?})",
                    out.status, out.signal
                ));
            }
            if !stdout.contains(started) {
                problems.push(format!(
                    "the attack did not start (stdout lacks {started:?})"
                ));
            }
        }
    }
    problems
}

/// Fails with `failures` and each host's damage, if any; else removes the hosts' scratch dirs.
fn conclude(mut hosts: Vec<Host>, mut failures: Vec<String>) {
    for host in &mut hosts {
        let who = host.identity.name;
        failures.extend(
            host.damage()
                .into_iter()
                .map(|d| format!("{who}: host damage: {d}")),
        );
    }
    assert!(
        failures.is_empty(),
        "not contained:\n{}",
        failures.join("\n")
    );
    for host in hosts {
        let root = host.root.clone();
        drop(host);
        let _ = std::fs::remove_dir_all(&root);
    }
}

/// Host processes whose command line mentions `needle` (a run's scratch path), other than ours.
fn leftover_processes(needle: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = text(&cmdline).replace('\0', " ");
            (pid != std::process::id() && cmdline.contains(needle))
                .then(|| format!("{pid}: {cmdline}"))
        })
        .collect()
}

/// The attack programs present in `tests/escape`.
fn programs_on_disk() -> BTreeSet<String> {
    std::fs::read_dir(sources_dir())
        .expect("tests/escape exists")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".c").map(str::to_owned)
        })
        .collect()
}

/// Every attack, as the test's user and as `nobody` (when the test is root), through one
/// pool; then, per identity, its host files, bystander and leftover processes.
#[test]
fn every_attack_is_contained() {
    let listed: BTreeSet<String> = ATTACKS.iter().map(|a| a.name.to_owned()).collect();
    assert_eq!(
        listed,
        programs_on_disk(),
        "ATTACKS and tests/escape/*.c must name the same programs"
    );
    assert!(ATTACKS.len() >= 25, "issue 5 asks for at least 25 attacks");

    let started = Instant::now();
    let bin = build_all(ATTACKS.iter().map(|a| a.name).collect());
    let hosts: Vec<Host> = identity::identities().iter().map(Host::new).collect();
    let jobs: Vec<(&Host, &Attack)> = ATTACKS
        .iter()
        .filter(|a| common::selected(a.name))
        .flat_map(|attack| hosts.iter().map(move |host| (host, attack)))
        .collect();
    let results = common::parallel_map(jobs, common::workers(), |(host, attack)| {
        let began = Instant::now();
        let out = run_attack(attack, &bin, host);
        let extra = (attack.name == "05_hardlink" && host.hard_link).then_some(HARDLINK_CONTENT);
        let problems = verdict(attack.ending, &out, &host.token, extra);
        (host.identity.name, attack, out, problems, began.elapsed())
    });

    let mut failures = Vec::new();
    for host in &hosts {
        let run_dir = host.root.to_str().expect("UTF-8 path");
        failures.extend(leftover_processes(run_dir).into_iter().map(|p| {
            format!(
                "{}: process left over after the runs: {p}",
                host.identity.name
            )
        }));
    }

    println!(
        "{:<8} {:<24} {:>6} {:>7}  verdict",
        "as", "attack", "status", "secs"
    );
    for (who, attack, out, problems, took) in &results {
        let verdict = if problems.is_empty() {
            "contained"
        } else {
            "NOT CONTAINED"
        };
        println!(
            "{who:<8} {:<24} {:>6} {:>7.2}  {verdict}",
            attack.name,
            out.status,
            took.as_secs_f32()
        );
        if !problems.is_empty() {
            failures.push(format!(
                "{who}: {}:\n  - {}\n  stdout:\n{}  stderr:\n{}",
                attack.name,
                problems.join("\n  - "),
                common::indented_tail(&out.stdout, common::STDERR_TAIL_LINES),
                common::indented_tail(&out.stderr, common::STDERR_TAIL_LINES)
            ));
        }
    }
    println!(
        "{} runs in {:.1} s",
        results.len(),
        started.elapsed().as_secs_f32()
    );
    conclude(hosts, failures);
}

/// Each check of [`verdict`] fires on the outcome it is there to catch.
#[test]
fn every_check_can_fail() {
    let token = "MERIDIAN-SECRET-0123";
    let outcome =
        |stdout: &str, stderr: &str, status: i32, signal: Option<i32>, timed_out| Outcome {
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
            status,
            signal,
            timed_out,
        };
    let fine = outcome("ok: x\nCONTAINED\n", "", 0, None, false);
    assert!(verdict(Ending::Contained, &fine, token, None).is_empty());
    let bad = [
        outcome(
            "read /v/x: MERIDIAN-SECRET-0123\nCONTAINED\n",
            "",
            0,
            None,
            false,
        ),
        outcome("ok: x\nCONTAINED\n", "MERIDIAN-SECRET-0123", 0, None, false),
        outcome("ESCAPE: x\nNOT CONTAINED\n", "", 1, None, false),
        outcome("ok: x\n", "", 0, None, false),
        outcome("ok: x\nCONTAINED\n", "", 139, None, false),
        outcome("ok: x\nCONTAINED\n", "", 137, Some(SIGKILL), true),
    ];
    for out in &bad {
        assert!(
            !verdict(Ending::Contained, out, token, None).is_empty(),
            "{out:?}"
        );
    }
    assert!(!verdict(Ending::Contained, &fine, token, Some(HARDLINK_CONTENT)).is_empty());
    let fault = Ending::Status(139, LIBOS_TOUCH_MESSAGE);
    let touched = outcome(
        "",
        "meridian: guest touched library OS memory (..)",
        139,
        None,
        false,
    );
    assert!(verdict(fault, &touched, token, None).is_empty());
    assert!(!verdict(fault, &outcome("", "", 139, None, false), token, None).is_empty());
    assert!(!verdict(fault, &fine, token, None).is_empty());
    let sys = Ending::KilledBy(SIGSYS);
    assert!(verdict(sys, &outcome("", "", 159, Some(SIGSYS), false), token, None).is_empty());
    assert!(!verdict(sys, &outcome("", "", 159, None, false), token, None).is_empty());
    let hog = Ending::KilledFromOutside("spinning\n");
    assert!(
        verdict(
            hog,
            &outcome("spinning\n", "", 137, Some(SIGKILL), true),
            token,
            None
        )
        .is_empty()
    );
    assert!(!verdict(hog, &outcome("spinning\n", "", 0, None, false), token, None).is_empty());
    assert!(!verdict(hog, &outcome("", "", 137, Some(SIGKILL), true), token, None).is_empty());
}

/// The programs of the "layout known" attacks (`tests/escape/known`), compiled into `dir`.
fn build_known(dir: &Path) -> PathBuf {
    let gcc = common::find_gcc();
    let src = sources_dir().join("known/forge.c");
    let cached = common::scratch_dir("escape/known-bin").join("forge");
    if !common::is_up_to_date(&cached, &[&src, &sources_dir().join("escape.h")]) {
        common::compile_c(&gcc, &src, &cached, &["-O1", "-static", "-D_GNU_SOURCE"])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("make the bin dir");
    std::fs::copy(&cached, bin.join("forge")).expect("copy forge");
    bin
}

/// A world-traversable directory under /tmp for the known-layout runs (an unprivileged run
/// must reach its files), removed when dropped.
struct KnownRoot(PathBuf);

impl KnownRoot {
    fn new(name: &str) -> KnownRoot {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("meridian-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("make the known-layout root");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        KnownRoot(dir)
    }
}

impl Drop for KnownRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Issue 10: the guest knows the runner's layout and calls the runner's own `syscall; ret`
/// with forged registers (stdio and runner descriptors, paths outside the jail, host pids),
/// with a read-write volume mounted. Each forged call is refused by the filter or harmless;
/// the host files of the guest's stdio keep their mode, owner, size, content and times.
#[test]
fn layout_known_attacks_are_contained() {
    let root = KnownRoot::new("escape-known");
    let bin = build_known(&root.0);
    let hosts: Vec<Host> = identity::identities().iter().map(Host::new).collect();
    let mut jobs = Vec::new();
    for host in &hosts {
        for &(attack, expected) in known::KNOWN_LAYOUT_ATTACKS {
            jobs.push((host, attack, Some(expected)));
        }
        for &attack in known::KICK_ATTACKS {
            jobs.push((host, attack, None));
        }
    }
    // The attack on a mount nested in a read-only volume needs root for its bind mount.
    const NESTED: &str = "nested_readonly_volume";
    if common::own_uid() != 0 {
        println!("{NESTED}: skipped, the test's bind mount inside the volume needs root");
    }
    let jobs: Vec<_> = jobs
        .into_iter()
        .filter(|j| common::selected(j.1) && (j.1 != NESTED || common::own_uid() == 0))
        .collect();
    let results = common::parallel_map(jobs, common::workers(), |(host, attack, expected)| {
        let who = &host.identity;
        let mut run = known::Run::new(&root.0, &format!("{}-{attack}", who.name), who.uid);
        if attack == NESTED {
            assert!(run.nest_mount(who.uid), "the nested bind mount needs root");
        }
        let before = known::FileStates::of(&run);
        let ended = known::run_forged(
            who,
            &bin,
            &run,
            attack,
            &known::Targets {
                secret: &host.secret,
                bystander: host.bystander.id(),
            },
        );
        // The kick signal may name another process only inside the sandbox's pid namespace,
        // where no host process has a pid: there it is let through and finds nobody.
        let expected = expected.unwrap_or(if ended.pid_namespace {
            known::Forged::Harmless
        } else {
            known::Forged::Refused
        });
        let problems = known::problems(&run, &before, &ended, expected, &host.token);
        (format!("{}: {attack}", who.name), ended, problems)
    });
    let mut failures = Vec::new();
    for (name, ended, problems) in &results {
        println!(
            "{name:<44} {:>4}  {}",
            ended.status,
            if problems.is_empty() {
                "contained"
            } else {
                "NOT CONTAINED"
            }
        );
        if !problems.is_empty() {
            failures.push(format!(
                "{name}:\n  - {}\n  stdout:\n{}  stderr:\n{}",
                problems.join("\n  - "),
                common::indented_tail(ended.stdout.as_bytes(), common::STDERR_TAIL_LINES),
                common::indented_tail(ended.stderr.as_bytes(), common::STDERR_TAIL_LINES)
            ));
        }
    }
    conclude(hosts, failures);
}
