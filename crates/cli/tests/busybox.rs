//! Dual-run tests with busybox: each check runs one `/bin/busybox <applet> ...` natively and
//! inside the sandbox, and their stdout and exit status must match (stderr is not compared:
//! messages name paths, and the sandbox may add its own).
//!
//! The workloads read a fixture (`tests/busybox/fixture/`) copied into a temporary directory,
//! with fixed modes and mtimes and a symlink added, which the sandbox mounts read-only at
//! `/data`. Natively the workload runs with that directory as its working directory and
//! sandboxed with `--workdir /data`, so relative paths print the same on both sides.
//!
//! Every check is a single process (these tests predate fork; pipelines inside the sandbox are
//! covered by `shell.rs`). Pipelines are split at the host:
//! an `Input::Native` check feeds the sandboxed applet the output of a native busybox run (say,
//! `tar -c` into a sandboxed `tar -x`), and `Compare::ThroughNative` pipes both outputs into the
//! same native applet before comparing (say, a sandboxed `tar -c` listed by a native `tar -t`).
//! `{scratch}` in an argument is a writable directory: `/tmp` in the sandbox, a fresh directory
//! natively.
//!
//! `MERIDIAN_NATIVE_ONLY=1` runs only the native side, which checks the workloads themselves
//! (each declares the exit status it must have natively); `MERIDIAN_TEST_FILTER=text` runs
//! only the checks whose command line contains `text`. See `common/mod.rs` for the others.

mod common;

use std::fs::{self, File, FileTimes};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::{DualRun, Outcome, Sandbox};

const BUSYBOX: &str = "/bin/busybox";
/// Where the sandbox mounts the fixture.
const GUEST_DATA_DIR: &str = "/data";
/// The writable directory inside the sandbox (the default in-memory /tmp).
const GUEST_SCRATCH_DIR: &str = "/tmp";
const SCRATCH_PLACEHOLDER: &str = "{scratch}";
/// Both sides run with this environment: a timezone that needs no tzfile, so `ls -l` prints
/// the same times whether or not /etc/localtime exists, and the C locale.
const WORKLOAD_ENV: &[(&str, &str)] = &[("TZ", "UTC0"), ("LC_ALL", "C")];
const NATIVE_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";
const NATIVE_TIMEOUT: Duration = Duration::from_secs(30);
const SANDBOX_TIMEOUT: Duration = Duration::from_secs(120);

/// 2001-02-03T04:05:06Z: fixture mtimes are this plus one hour per entry, old enough that
/// `ls -l` prints the year rather than the time of day whatever today's date is.
const FIXTURE_BASE_MTIME_SECS: u64 = 981_173_106;
const FIXTURE_MTIME_STEP_SECS: u64 = 3600;
const FILE_MODE: u32 = 0o644;
const DIR_MODE: u32 = 0o755;
/// Modes other than the defaults above; git records only the executable bit, and checkouts
/// apply the umask, so every mode is set explicitly.
const SPECIAL_MODES: &[(&str, u32)] = &[
    ("notes/run.sh", 0o755),
    ("table.csv", 0o600),
    ("notes/nested", 0o750),
];
/// Symlinks added to the copy (link path, target): git on some hosts stores them as files.
const SYMLINKS: &[(&str, &str)] = &[("notes/hello-link", "../hello.txt")];

/// What a check feeds to stdin.
#[derive(Clone, Copy)]
enum Input {
    /// Nothing (stdin is empty).
    Empty,
    /// These bytes.
    Bytes(&'static [u8]),
    /// The stdout of this native busybox command, run in the fixture directory.
    Native(&'static [&'static str]),
}

/// How the two stdouts are compared.
#[derive(Clone, Copy)]
enum Compare {
    /// Byte for byte.
    Exact,
    /// As sorted lines: for output in directory order (`find`, `grep -r`), which the kernel
    /// does not define and a sandbox may legitimately differ in.
    SortedLines,
    /// `ls -l` output with the owner and group columns replaced and runs of blanks squeezed:
    /// the sandbox has its own /etc/passwd, so names (and column widths) may differ.
    LsWithoutOwners,
    /// After piping each stdout through this native busybox command.
    ThroughNative(&'static [&'static str]),
}

/// One workload, run natively and sandboxed.
struct Check {
    args: &'static [&'static str],
    input: Input,
    compare: Compare,
    /// The exit status the workload has natively.
    native_status: i32,
}

impl Check {
    fn new(args: &'static [&'static str]) -> Self {
        Self {
            args,
            input: Input::Empty,
            compare: Compare::Exact,
            native_status: 0,
        }
    }

    fn stdin(mut self, bytes: &'static [u8]) -> Self {
        self.input = Input::Bytes(bytes);
        self
    }

    fn stdin_from_native(mut self, args: &'static [&'static str]) -> Self {
        self.input = Input::Native(args);
        self
    }

    fn compare(mut self, compare: Compare) -> Self {
        self.compare = compare;
        self
    }

    fn status(mut self, status: i32) -> Self {
        self.native_status = status;
        self
    }

    /// The check as a shell pipeline, for failure messages.
    fn name(&self) -> String {
        let mut name = command_line(self.args);
        if let Input::Native(args) = self.input {
            name = format!("{} | {name}", command_line(args));
        }
        if let Compare::ThroughNative(args) = self.compare {
            name = format!("{name} | {}", command_line(args));
        }
        name
    }
}

/// `busybox ARGS...` with arguments quoted where a shell would need it.
fn command_line(args: &[&str]) -> String {
    let mut line = String::from("busybox");
    for arg in args {
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.,/=+:%{}".contains(c));
        line.push(' ');
        if plain {
            line.push_str(arg);
        } else {
            line.push_str(&format!("'{}'", arg.replace('\'', "'\\''")));
        }
    }
    line
}

/// The fixture copy, made once per test process.
struct Fixture {
    /// The directory mounted at /data.
    data: PathBuf,
    /// Parent of the native scratch directories.
    scratch_root: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let root = common::scratch_dir("busybox");
        remove_stale_runs(&root);
        let run_dir = root.join(std::process::id().to_string());
        if run_dir.exists() {
            fs::remove_dir_all(&run_dir).expect("remove the previous fixture copy");
        }
        let data = run_dir.join("data");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/busybox/fixture");
        copy_fixture(&source, &data);
        let scratch_root = run_dir.join("scratch");
        fs::create_dir_all(&scratch_root).expect("create the scratch root");
        Fixture { data, scratch_root }
    })
}

/// Removes fixture copies left by test processes that no longer exist.
fn remove_stale_runs(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            // Best effort: a stale copy only costs disk space.
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Copies the checked-in fixture to `dest`, then sets modes, adds symlinks and fixes mtimes
/// (children before their directory, whose mtime creating them would change).
fn copy_fixture(source: &Path, dest: &Path) {
    let mut entries = Vec::new();
    collect_relative(source, Path::new(""), &mut entries);
    entries.sort();
    fs::create_dir_all(dest).expect("create the fixture directory");
    for rel in &entries {
        let from = source.join(rel);
        let to = dest.join(rel);
        if from.is_dir() {
            fs::create_dir(&to).expect("create a fixture directory");
        } else {
            fs::copy(&from, &to).expect("copy a fixture file");
        }
    }
    for (link, target) in SYMLINKS {
        symlink(target, dest.join(link)).expect("create a fixture symlink");
    }
    for rel in &entries {
        let path = dest.join(rel);
        let default = if path.is_dir() { DIR_MODE } else { FILE_MODE };
        let mode = SPECIAL_MODES
            .iter()
            .find(|(name, _)| Path::new(name) == rel)
            .map_or(default, |&(_, mode)| mode);
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("set a fixture mode");
    }
    // Deepest first, so that setting a directory's mtime comes after all changes inside it.
    let mut by_depth: Vec<&PathBuf> = entries.iter().collect();
    by_depth.sort_by_key(|rel| std::cmp::Reverse(rel.components().count()));
    for (index, rel) in by_depth.into_iter().enumerate() {
        set_mtime(&dest.join(rel), index);
    }
    fs::set_permissions(dest, fs::Permissions::from_mode(DIR_MODE)).expect("set the root mode");
    set_mtime(dest, entries.len());
}

fn collect_relative(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir.join(rel)).expect("read the fixture source") {
        let entry = entry.expect("read a fixture source entry");
        let child = rel.join(entry.file_name());
        out.push(child.clone());
        if entry.file_type().expect("fixture entry type").is_dir() {
            collect_relative(dir, &child, out);
        }
    }
}

fn set_mtime(path: &Path, index: usize) {
    let secs = FIXTURE_BASE_MTIME_SECS + FIXTURE_MTIME_STEP_SECS * index as u64;
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    // Opening a directory read-only is allowed on Linux, and futimens works on that fd.
    let file = File::open(path).expect("open a fixture entry to set its mtime");
    file.set_times(FileTimes::new().set_modified(time).set_accessed(time))
        .expect("set a fixture mtime");
}

fn run_native(args: &[&str], stdin: &[u8], cwd: &Path) -> Outcome {
    let mut cmd = Command::new(BUSYBOX);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", NATIVE_PATH)
        .envs(WORKLOAD_ENV.iter().copied());
    common::run(cmd, stdin, common::timeout_or(NATIVE_TIMEOUT))
}

fn run_sandboxed(args: &[&str], stdin: &[u8], data: &Path) -> Outcome {
    let mut sandbox = Sandbox::new()
        .mount(data, GUEST_DATA_DIR, true)
        .workdir(GUEST_DATA_DIR);
    for (key, value) in WORKLOAD_ENV {
        sandbox = sandbox.env(key, value);
    }
    let cmd = sandbox.command(BUSYBOX, args);
    common::run(cmd, stdin, common::timeout_or(SANDBOX_TIMEOUT))
}

/// Substitutes `{scratch}` in `args`.
fn with_scratch(args: &[&str], scratch: &str) -> Vec<String> {
    args.iter()
        .map(|arg| arg.replace(SCRATCH_PLACEHOLDER, scratch))
        .collect()
}

fn fresh_native_scratch(fixture: &Fixture) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = fixture
        .scratch_root
        .join(NEXT.fetch_add(1, Ordering::Relaxed).to_string());
    fs::create_dir_all(&dir).expect("create a native scratch directory");
    dir
}

/// Applies `compare` to one side's stdout, giving what is compared.
fn comparable(compare: Compare, stdout: Vec<u8>, fixture: &Fixture) -> Result<Vec<u8>, String> {
    match compare {
        Compare::Exact => Ok(stdout),
        Compare::SortedLines => {
            let mut lines: Vec<&[u8]> = stdout.split(|&b| b == b'\n').collect();
            lines.sort_unstable();
            Ok(lines.join(&b'\n'))
        }
        Compare::LsWithoutOwners => Ok(ls_without_owners(&String::from_utf8_lossy(&stdout))),
        Compare::ThroughNative(args) => {
            let out = run_native(args, &stdout, &fixture.data);
            if out.status == 0 {
                Ok(out.stdout)
            } else {
                Err(format!(
                    "`{}` on it exited {}; stderr:\n{}",
                    command_line(args),
                    out.status,
                    common::indented_tail(&out.stderr, common::STDERR_TAIL_LINES)
                ))
            }
        }
    }
}

fn ls_without_owners(listing: &str) -> Vec<u8> {
    let mut out = String::new();
    for line in listing.lines() {
        let mut fields: Vec<&str> = line.split_whitespace().collect();
        let is_long_entry = fields.first().is_some_and(|mode| {
            mode.len() == 10 && mode.starts_with(['-', 'd', 'l', 'c', 'b', 'p', 's'])
        });
        if is_long_entry && fields.len() > 4 {
            fields[2] = "OWNER";
            fields[3] = "GROUP";
        }
        out.push_str(&fields.join(" "));
        out.push('\n');
    }
    out.into_bytes()
}

/// Runs every check (those `MERIDIAN_TEST_FILTER` selects) and fails listing all mismatches.
fn run_checks(checks: &[Check]) {
    let fixture = fixture();
    let mut failures = Vec::new();
    let mut ran = 0;
    for check in checks {
        let name = check.name();
        if !common::selected(&name) {
            continue;
        }
        ran += 1;
        if let Err(why) = run_check(check, fixture) {
            failures.push(format!("{name}\n{why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} checks failed:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs one check natively and, unless native-only, sandboxed; `Err` holds the report.
fn run_check(check: &Check, fixture: &Fixture) -> Result<(), String> {
    let stdin = match check.input {
        Input::Empty => Vec::new(),
        Input::Bytes(bytes) => bytes.to_vec(),
        Input::Native(args) => {
            let producer = run_native(args, &[], &fixture.data);
            if producer.status != 0 {
                return Err(format!(
                    "  native input `{}` exited {}; stderr:\n{}",
                    command_line(args),
                    producer.status,
                    common::indented_tail(&producer.stderr, common::STDERR_TAIL_LINES)
                ));
            }
            producer.stdout
        }
    };

    let scratch = fresh_native_scratch(fixture);
    let native_args = with_scratch(check.args, &scratch.to_string_lossy());
    let native_args: Vec<&str> = native_args.iter().map(String::as_str).collect();
    let mut native = run_native(&native_args, &stdin, &fixture.data);
    if native.status != check.native_status {
        return Err(format!(
            "  natively exited {} (the check expects {}); stderr:\n{}",
            native.status,
            check.native_status,
            common::indented_tail(&native.stderr, common::STDERR_TAIL_LINES)
        ));
    }
    native.stdout = comparable(check.compare, std::mem::take(&mut native.stdout), fixture)
        .map_err(|why| format!("  native output: {why}"))?;
    if common::native_only() {
        return Ok(());
    }

    let guest_args = with_scratch(check.args, GUEST_SCRATCH_DIR);
    let guest_args: Vec<&str> = guest_args.iter().map(String::as_str).collect();
    let mut guest = run_sandboxed(&guest_args, &stdin, &fixture.data);
    guest.stdout =
        comparable(check.compare, std::mem::take(&mut guest.stdout), fixture).map_err(|why| {
            format!(
                "  sandbox exit status {} (native {}); sandboxed output: {why}  sandbox stderr:\n{}",
                guest.status,
                native.status,
                common::indented_tail(&guest.stderr, common::STDERR_TAIL_LINES)
            )
        })?;
    let dual = DualRun {
        native,
        sandbox: Some(guest),
    };
    dual.mismatch().map_or(Ok(()), Err)
}

#[test]
fn echo() {
    run_checks(&[
        Check::new(&["echo", "hello", "from", "busybox"]),
        Check::new(&["echo", "-n", "no newline"]),
        Check::new(&["echo", "-e", "tab\\there\\nnew line\\x41"]),
    ]);
}

#[test]
fn cat() {
    run_checks(&[
        Check::new(&["cat", "hello.txt", "no-newline.txt", "notes/empty"]),
        Check::new(&["cat", "-n", "lines.txt"]),
        Check::new(&["cat", "notes/hello-link"]),
        Check::new(&["cat", "-", "hello.txt"]).stdin(b"from stdin\n"),
        Check::new(&["cat", "missing.txt"]).status(1),
        Check::new(&["cat", "notes"]).status(1),
    ]);
}

#[test]
fn ls() {
    run_checks(&[
        Check::new(&["ls"]),
        Check::new(&["ls", "-1", "-R"]),
        Check::new(&["ls", "-la", "notes"]).compare(Compare::LsWithoutOwners),
        Check::new(&["ls", "-lan", "notes"]),
        Check::new(&["ls", "-la", "--full-time", "notes/nested"]).compare(Compare::LsWithoutOwners),
        Check::new(&["ls", "-lt", "."]).compare(Compare::LsWithoutOwners),
        Check::new(&["ls", "-ld", "notes/hello-link", "notes/run.sh", "table.csv"])
            .compare(Compare::LsWithoutOwners),
        Check::new(&["ls", "-lL", "notes/hello-link"]).compare(Compare::LsWithoutOwners),
        Check::new(&["ls", "-F", "notes"]),
        Check::new(&["ls", "-S", "-r"]),
        Check::new(&["ls", "does-not-exist"]).status(1),
    ]);
}

#[test]
fn wc() {
    run_checks(&[
        Check::new(&[
            "wc",
            "hello.txt",
            "lines.txt",
            "no-newline.txt",
            "notes/empty",
        ]),
        Check::new(&["wc", "-l"]).stdin(b"one\ntwo\nthree\n"),
        Check::new(&["wc", "-c", "-w", "table.csv"]),
    ]);
}

#[test]
fn sort() {
    run_checks(&[
        Check::new(&["sort", "lines.txt"]),
        Check::new(&["sort", "-f", "lines.txt"]),
        Check::new(&["sort", "-r", "-u", "lines.txt"]),
        Check::new(&["sort", "-n", "numbers.txt"]),
        Check::new(&["sort", "-t", ",", "-k", "3,3n", "-k", "1,1", "table.csv"]),
        Check::new(&["sort", "-c", "lines.txt"]).status(1),
        Check::new(&["sort"]).stdin(b"zeta\nalpha\nmu\n"),
    ]);
}

#[test]
fn uniq() {
    run_checks(&[
        Check::new(&["uniq", "lines.txt"]),
        Check::new(&["uniq", "-c"]).stdin_from_native(&["sort", "lines.txt"]),
        Check::new(&["uniq", "-d"]).stdin_from_native(&["sort", "lines.txt"]),
        Check::new(&["uniq", "-u", "-i"]).stdin_from_native(&["sort", "-f", "lines.txt"]),
    ]);
}

#[test]
fn sha256sum() {
    run_checks(&[
        Check::new(&["sha256sum", "hello.txt", "lines.txt", "notes/empty"]),
        Check::new(&["sha256sum", "-c", "SHA256SUMS"]),
        Check::new(&["sha256sum"]).stdin(b"hashed from stdin\n"),
        Check::new(&["sha256sum", "missing.txt"]).status(1),
    ]);
}

#[test]
fn md5sum() {
    run_checks(&[
        Check::new(&["md5sum", "table.csv", "notes/nested/deep.txt"]),
        Check::new(&["md5sum", "-c", "MD5SUMS"]),
        Check::new(&["md5sum", "-c", "SHA256SUMS"]).status(1),
    ]);
}

#[test]
fn tar() {
    const NATIVE_ARCHIVE: &[&str] = &["tar", "-cf", "-", "notes", "hello.txt"];
    run_checks(&[
        // A host-made archive listed and extracted (into /tmp) in the sandbox.
        Check::new(&["tar", "-tf", "-"]).stdin_from_native(NATIVE_ARCHIVE),
        Check::new(&["tar", "-xvf", "-", "-C", "{scratch}"]).stdin_from_native(NATIVE_ARCHIVE),
        Check::new(&["tar", "-xOf", "-", "notes/todo.md", "hello.txt"])
            .stdin_from_native(NATIVE_ARCHIVE),
        // An archive made in the sandbox, listed and unpacked to stdout on the host.
        Check::new(&["tar", "-cf", "-", "notes", "lines.txt"])
            .compare(Compare::ThroughNative(&["tar", "-tf", "-"])),
        Check::new(&["tar", "-cf", "-", "notes", "lines.txt"])
            .compare(Compare::ThroughNative(&["tar", "-xOf", "-"])),
        Check::new(&["tar", "-tf", "-"])
            .stdin(b"not a tar archive")
            .status(1),
    ]);
}

#[test]
fn gzip() {
    run_checks(&[
        Check::new(&["gzip", "-c", "lines.txt"]),
        Check::new(&["gzip", "-9", "-c"]).stdin(b"compress me, compress me, compress me\n"),
        Check::new(&["gzip", "-c", "table.csv"]).compare(Compare::ThroughNative(&["gunzip", "-c"])),
        Check::new(&["gunzip", "-c"]).stdin_from_native(&["gzip", "-c", "table.csv"]),
        Check::new(&["gunzip", "-t"]).stdin_from_native(&["gzip", "-c", "lines.txt"]),
        Check::new(&["gunzip", "-c"])
            .stdin(b"not gzip data")
            .status(1),
    ]);
}

#[test]
fn sed() {
    run_checks(&[
        Check::new(&["sed", "-n", "s/apple/APPLE/p", "lines.txt"]),
        Check::new(&["sed", "-e", "1d", "-e", "s/,/ | /g", "table.csv"]),
        Check::new(&["sed", "-n", "2,4p;$=", "lines.txt"]),
        Check::new(&["sed", "s/\\([a-z]*\\) \\([a-z]*\\)/\\2 \\1/"]).stdin(b"hello world\n"),
        Check::new(&["sed", "-n", "/needle/{=;p}", "notes/todo.md"]),
    ]);
}

#[test]
fn awk() {
    run_checks(&[
        Check::new(&[
            "awk",
            "-F,",
            "NR > 1 { calls += $2; bytes += $3 } END { printf \"%d calls, %d bytes\\n\", calls, bytes }",
            "table.csv",
        ]),
        Check::new(&[
            "awk",
            "{ count[$1]++ } END { for (w in count) print w, count[w] }",
            "lines.txt",
        ])
        .compare(Compare::SortedLines),
        Check::new(&[
            "awk",
            "-F,",
            "$4 != \"ok\" { print NR\": \"toupper($1) }",
            "table.csv",
        ]),
        Check::new(&[
            "awk",
            "BEGIN { printf \"%.4f %d %s %d\\n\", 22 / 7, int(-7.5), substr(\"meridian\", 2, 4), index(\"library\", \"r\") }",
        ]),
        Check::new(&["awk", "{ print length($0), $NF }", "no-newline.txt"]),
        Check::new(&["awk", "BEGIN { exit 4 }"]).status(4),
    ]);
}

#[test]
fn find() {
    run_checks(&[
        Check::new(&["find", "."]).compare(Compare::SortedLines),
        Check::new(&["find", ".", "-type", "f", "-name", "*.txt"]).compare(Compare::SortedLines),
        Check::new(&["find", ".", "-type", "l"]),
        Check::new(&["find", ".", "-type", "d"]).compare(Compare::SortedLines),
        Check::new(&["find", "notes", "-size", "0"]),
        Check::new(&["find", ".", "-newer", "lines.txt", "-type", "f"])
            .compare(Compare::SortedLines),
        Check::new(&["find", ".", "-perm", "-100", "-type", "f"]),
        Check::new(&["find", "missing-dir"]).status(1),
    ]);
}

#[test]
fn grep() {
    run_checks(&[
        Check::new(&["grep", "-r", "needle", "."]).compare(Compare::SortedLines),
        Check::new(&["grep", "-rn", "needle", "notes"]).compare(Compare::SortedLines),
        Check::new(&["grep", "-rl", "apple", "."]).compare(Compare::SortedLines),
        Check::new(&["grep", "-c", "apple", "lines.txt"]),
        Check::new(&["grep", "-i", "-v", "a", "lines.txt"]),
        Check::new(&["grep", "-E", "^(fig|date)$", "lines.txt"]),
        Check::new(&["grep", "-o", "[0-9][0-9]*", "table.csv"]),
        Check::new(&["grep", "nomatch", "hello.txt"]).status(1),
        Check::new(&["grep", "x", "missing.txt"]).status(2),
    ]);
}

#[test]
fn head() {
    run_checks(&[
        Check::new(&["head", "-n", "3", "lines.txt"]),
        Check::new(&["head", "-c", "10", "table.csv"]),
        Check::new(&["head", "-n", "1", "hello.txt", "table.csv"]),
        Check::new(&["head", "-n", "2"]).stdin(b"1\n2\n3\n4\n"),
    ]);
}

#[test]
fn tail() {
    run_checks(&[
        Check::new(&["tail", "-n", "2", "lines.txt"]),
        Check::new(&["tail", "-c", "8", "no-newline.txt"]),
        Check::new(&["tail", "-n", "+10", "lines.txt"]),
        Check::new(&["tail", "-n", "1"]).stdin(b"first\nlast\n"),
    ]);
}

#[test]
fn cut() {
    run_checks(&[
        Check::new(&["cut", "-d,", "-f1,3", "table.csv"]),
        Check::new(&["cut", "-c", "1-4", "lines.txt"]),
        Check::new(&["cut", "-d", " ", "-f", "2-"]).stdin(b"a b c\nd e f\n"),
    ]);
}

#[test]
fn tr() {
    run_checks(&[
        Check::new(&["tr", "a-z", "A-Z"]).stdin(b"Hello, Meridian!\n"),
        Check::new(&["tr", "-d", "aeiou"]).stdin(b"library operating system\n"),
        Check::new(&["tr", "-s", " "]).stdin(b"squeeze    these     blanks\n"),
        Check::new(&["tr", "-c", "a-z\\n", "_"]).stdin(b"only [lower] letters\n"),
    ]);
}

#[test]
fn stat_and_readlink() {
    run_checks(&[
        Check::new(&[
            "stat",
            "-c",
            "%n %s %a %F %Y %h",
            "hello.txt",
            "notes",
            "notes/run.sh",
        ]),
        Check::new(&["stat", "-c", "%n %F %N", "notes/hello-link"]),
        Check::new(&["stat", "-L", "-c", "%n %s %F", "notes/hello-link"]),
        Check::new(&["readlink", "notes/hello-link"]),
    ]);
}

/// execve(2) in place: `exec` in the shell and applets that exec a program (`env`) replace
/// the image inside the same sandboxed process; a `#!` script is run by its interpreter.
#[test]
fn exec_in_place() {
    run_checks(&[
        Check::new(&["sh", "-c", "echo before; exec /bin/busybox echo after"]),
        Check::new(&["sh", "-c", "exec echo hi from the PATH"]),
        Check::new(&["sh", "-c", "exec ls notes"]),
        Check::new(&["sh", "-c", "exec ./notes/run.sh one two"]),
        Check::new(&["sh", "-c", "exec 3</dev/null; exec cat hello.txt"]),
        Check::new(&["sh", "-c", "exec /nonexistent; echo not reached"]).status(127),
        Check::new(&["sh", "-c", "exec ./hello.txt"]).status(126),
        Check::new(&["env", "-i", "ONLY=this", "/bin/busybox", "env"]),
    ]);
}
