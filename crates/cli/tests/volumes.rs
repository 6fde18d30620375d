//! Host volumes (issue 3, item 4): what the guest writes through a read-write volume is on the
//! host, as a native run would have left it; a read-only volume refuses every write with EROFS;
//! host permission errors reach the guest as EACCES.
//!
//! Each workload runs natively against one fresh host directory and in the sandbox against
//! another, mounted read-write at `/out`; the test compares stdout and exit status, then the two
//! directories as the host sees them after the sandbox has exited ([`tree`]: names, types,
//! modes, sizes, link counts, which names share an inode, contents, link targets, and
//! modification times set explicitly). The C programs are in `tests/volumes/`.
//!
//! Ownership: the guest runs as uid 0, and files it creates belong on the host to the user who
//! runs `meridian` (nothing can be chowned on the host). Permission errors: inside its user
//! namespace the runner keeps its capabilities over the files of its own user, so the guest,
//! root, can read and change its user's files whatever their mode (as native root could, and as
//! the user could after a chmod); files of other users keep the host's access rules, and a
//! refusal is EACCES, never ENOENT (`host_permission_errors`).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
/// Where the sandbox sees the read-write volume, the C programs and the python script.
const GUEST_OUT: &str = "/out";
const GUEST_BIN: &str = "/t";
const GUEST_SCRIPTS: &str = "/s";
/// Modification times before this (2020-01-01) were set by the workload, so they must match.
const SET_TIMES_BEFORE_SECS: i64 = 1_577_836_800;

/// Lines of `rw_ops` where the sandbox differs from native for a reason outside host volumes,
/// with that reason. The list only shrinks: an entry that matches native fails the test.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
    "mkfifo:",
    "no FIFOs in host volumes: they could not be opened (hostfs), so mknod gives EPERM",
)];
/// Paths of the `rw_ops` directory that differ for the reasons above.
const KNOWN_TREE_DIFFERENCES: &[&str] = &["fifo"];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/volumes")
}

/// A fresh, empty directory for one side of one workload.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = common::scratch_dir("volumes").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch dir");
    dir
}

/// Compiles `tests/volumes/NAME.c` (static, cached); returns the binaries' directory.
fn build(name: &str) -> PathBuf {
    let bin = common::scratch_dir("volumes/bin");
    let src = sources().join(format!("{name}.c"));
    let out = bin.join(name);
    if !common::is_up_to_date(&out, &[&src]) {
        common::compile_c(
            &common::find_gcc(),
            &src,
            &out,
            &["-O1", "-static", "-D_GNU_SOURCE"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    bin
}

/// The host's view of `root`: one line per entry, sorted by path.
fn tree(root: &Path, skip: &[&str]) -> String {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, std::fs::Metadata)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let meta = std::fs::symlink_metadata(&path).expect("lstat");
            let rel = path
                .strip_prefix(root)
                .expect("beneath the root")
                .display()
                .to_string();
            let is_dir = meta.is_dir();
            out.push((rel, meta));
            if is_dir {
                walk(&path, root, out);
            }
        }
    }
    let mut entries = Vec::new();
    walk(root, root, &mut entries);
    entries.retain(|(rel, _)| !skip.contains(&rel.as_str()));
    let mut by_inode: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for (rel, meta) in &entries {
        by_inode.entry(meta.ino()).or_default().push(rel.clone());
    }
    let mut out = String::new();
    for (rel, meta) in &entries {
        let path = root.join(rel);
        let mode = meta.permissions().mode() & 0o7777;
        let ft = meta.file_type();
        let what = if ft.is_symlink() {
            format!(
                "link -> {}",
                std::fs::read_link(&path).expect("readlink").display()
            )
        } else if ft.is_dir() {
            format!("dir {mode:o} nlink {}", meta.nlink())
        } else if ft.is_file() {
            let shared = &by_inode[&meta.ino()];
            let links = if shared.len() > 1 {
                format!(" same inode as {shared:?}")
            } else {
                String::new()
            };
            format!(
                "file {mode:o} size {} nlink {}{links} {:?}",
                meta.len(),
                meta.nlink(),
                text(&std::fs::read(&path).expect("read"))
            )
        } else {
            format!("other {:o}", meta.mode())
        };
        let mtime = if meta.mtime() < SET_TIMES_BEFORE_SECS && !ft.is_symlink() {
            format!(" mtime {}.{:09}", meta.mtime(), meta.mtime_nsec())
        } else {
            String::new()
        };
        out.push_str(&format!("{rel}: {what}{mtime}\n"));
    }
    out
}

/// Runs `native` and `sandboxed`, and asserts that stdout, exit status and the two host
/// directories agree.
fn assert_same(
    what: &str,
    native: Command,
    sandboxed: Command,
    dirs: (&Path, &Path),
    skip: &[&str],
) {
    let run = common::native_vs_sandbox(native, sandboxed, b"", common::timeout_or(TIMEOUT));
    assert_eq!(
        run.native.status,
        0,
        "{what}: the native run failed: {}",
        text(&run.native.stderr)
    );
    if let Some(report) = run.mismatch() {
        panic!("{what}: the sandbox differs from native:\n{report}");
    }
    if run.sandbox.is_some() {
        let (native, sandbox) = (tree(dirs.0, skip), tree(dirs.1, skip));
        assert!(
            native == sandbox,
            "{what}: the host directories differ:\n{}",
            common::diff_lines("native", native.as_bytes(), "sandbox", sandbox.as_bytes())
        );
    }
}

/// Every way of changing a directory (create with O_EXCL and modes under umasks, write,
/// pwrite, append, truncate, fallocate, fsync, mkdir, symlink, hard link, rename and its
/// errors, unlink, rmdir, chmod, utimensat), natively and on a read-write volume.
#[test]
fn c_changes_land_on_the_host_as_natively() {
    let bin = build("rw_ops");
    let (native_dir, sandbox_dir) = (fresh_dir("rw_ops-native"), fresh_dir("rw_ops-sandbox"));
    let mut native = Command::new(bin.join("rw_ops"));
    native.arg(&native_dir);
    let sandboxed = common::Sandbox::new()
        .mount(&bin, GUEST_BIN, true)
        .mount(&sandbox_dir, GUEST_OUT, false)
        .command(&format!("{GUEST_BIN}/rw_ops"), &[GUEST_OUT]);
    let run = common::native_vs_sandbox(native, sandboxed, b"", common::timeout_or(TIMEOUT));
    let Some(sandbox) = &run.sandbox else { return };
    assert_eq!(
        (run.native.status, sandbox.status),
        (0, 0),
        "{}",
        text(&sandbox.stderr)
    );
    let (native_out, sandbox_out) = (text(&run.native.stdout), text(&sandbox.stdout));
    let (mut native_lines, mut sandbox_lines) = (Vec::new(), Vec::new());
    for (n, s) in native_out.lines().zip(sandbox_out.lines()) {
        match KNOWN_DIFFERENCES.iter().find(|(p, _)| n.starts_with(p)) {
            Some((prefix, why)) => assert_ne!(
                n, s,
                "known difference {prefix:?} ({why}) no longer differs: remove it from the list"
            ),
            None => {
                native_lines.push(n);
                sandbox_lines.push(s);
            }
        }
    }
    assert_eq!(native_out.lines().count(), sandbox_out.lines().count());
    assert_eq!(
        native_lines,
        sandbox_lines,
        "sandbox stderr:\n{}",
        text(&sandbox.stderr)
    );
    let (native, sandboxed) = (
        tree(&native_dir, KNOWN_TREE_DIFFERENCES),
        tree(&sandbox_dir, KNOWN_TREE_DIFFERENCES),
    );
    assert!(
        native == sandboxed,
        "the host directories differ:\n{}",
        common::diff_lines("native", native.as_bytes(), "sandbox", sandboxed.as_bytes())
    );
    // The tree itself holds what rw_ops made (a check of the check).
    assert!(
        native.contains("moved/sub/modes: file 600 size 3 nlink 2"),
        "{native}"
    );
    assert!(native.contains("mtime 1234567890.000000500"), "{native}");
}

/// python3 writes files, copies a tree with shutil.copytree (symlinks, modes, times),
/// renames, walks it with os.walk, rewrites a file in place and removes a tree with rmtree.
#[test]
fn python_workload_matches_native() {
    let (native_dir, sandbox_dir) = (fresh_dir("python-native"), fresh_dir("python-sandbox"));
    let script = sources().join("workload.py");
    let mut native = Command::new("python3");
    native.arg(&script).arg(&native_dir);
    let sandboxed = common::Sandbox::new()
        .mount(&sources(), GUEST_SCRIPTS, true)
        .mount(&sandbox_dir, GUEST_OUT, false)
        .command(
            "python3",
            &[&format!("{GUEST_SCRIPTS}/workload.py"), GUEST_OUT],
        );
    assert_same(
        "python workload",
        native,
        sandboxed,
        (&native_dir, &sandbox_dir),
        &[],
    );
}

/// busybox cp -a, mv, rm -r, find, du and ls on a read-write volume, one command per run, each
/// compared with the same command run natively in the other directory.
#[test]
fn busybox_tools_match_native() {
    let (native_dir, sandbox_dir) = (fresh_dir("busybox-native"), fresh_dir("busybox-sandbox"));
    for dir in [&native_dir, &sandbox_dir] {
        std::fs::create_dir_all(dir.join("src/deep/er")).expect("mkdir");
        for (i, sub) in ["src", "src/deep", "src/deep/er"].iter().enumerate() {
            for j in 0..5 {
                std::fs::write(
                    dir.join(format!("{sub}/f{j}")),
                    "x".repeat(1000 * (i + j + 1)),
                )
                .expect("write");
            }
        }
        std::os::unix::fs::symlink("deep/er/f1", dir.join("src/link")).expect("symlink");
        std::fs::set_permissions(
            dir.join("src/deep/f2"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
    }
    let steps: &[&[&str]] = &[
        &["cp", "-a", "src", "copy"],
        &["mkdir", "-p", "made/a/b"],
        &["mv", "copy/deep", "made/a/b/moved"],
        &["mv", "copy", "renamed"],
        &["find", ".", "-type", "f"],
        &["find", ".", "-type", "l", "-o", "-type", "d"],
        &["du", "-a", "."],
        &["ls", "-R", "."],
        &["cp", "-r", "made", "src/"],
        &["rm", "-r", "src"],
        &["rm", "-rf", "made/a"],
        &["find", "."],
        &["rmdir", "renamed"],
        &["ls", "-a", "renamed"],
    ];
    for step in steps {
        let mut native = Command::new("/bin/busybox");
        native.args(*step).current_dir(&native_dir);
        let sandboxed = common::Sandbox::new()
            .mount(&sandbox_dir, GUEST_OUT, false)
            .workdir(GUEST_OUT)
            .command("/bin/busybox", step);
        let run = common::native_vs_sandbox(native, sandboxed, b"", common::timeout_or(TIMEOUT));
        if let Some(report) = run.mismatch() {
            panic!("busybox {step:?} differs from native:\n{report}");
        }
    }
    let (native, sandbox) = (tree(&native_dir, &[]), tree(&sandbox_dir, &[]));
    assert!(
        native == sandbox,
        "{}",
        common::diff_lines("native", native.as_bytes(), "sandbox", sandbox.as_bytes())
    );
    assert!(native.contains("renamed/f0"), "{native}");
}

/// Every write path on a read-only volume fails with EROFS, as on a native read-only bind
/// mount (made with `unshare -rm` where the host allows it), and the files are unchanged.
#[test]
fn read_only_volume_refuses_every_write_with_erofs() {
    let bin = build("write_paths");
    let dir = fresh_dir("read-only");
    std::fs::create_dir(dir.join("dir")).expect("mkdir");
    std::fs::write(dir.join("file"), b"unchanged\n").expect("write");
    std::os::unix::fs::symlink("file", dir.join("link")).expect("symlink");
    let before = tree(&dir, &[]);
    let sandboxed = common::Sandbox::new()
        .mount(&bin, GUEST_BIN, true)
        .mount(&dir, "/ro", true)
        .command(&format!("{GUEST_BIN}/write_paths"), &["/ro"]);
    let out = common::run(sandboxed, b"", common::timeout_or(TIMEOUT));
    let stdout = text(&out.stdout);
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    for line in stdout.lines() {
        let expected = match line.split(':').next() {
            Some("open O_RDONLY" | "read") => "ok",
            Some("ftruncate of a read-only fd") => "EINVAL",
            _ => "EROFS",
        };
        assert!(line.ends_with(expected), "{line} (expected {expected})");
    }
    assert_eq!(stdout.lines().count(), 22, "{stdout}");
    assert_eq!(tree(&dir, &[]), before);
    // The same program natively on a read-only bind mount of the same directory.
    let script = format!(
        "mount --bind {d} {d} && mount -o remount,bind,ro {d} && exec {} {d}",
        bin.join("write_paths").display(),
        d = dir.display()
    );
    let mut native = Command::new("unshare");
    native.args(["-rm", "sh", "-c", &script]);
    let native = common::run(native, b"", common::timeout_or(TIMEOUT));
    if native.status == 0 {
        assert_eq!(
            text(&native.stdout),
            stdout,
            "native on a read-only bind mount"
        );
    } else {
        eprintln!(
            "note: no native read-only bind mount here ({}); compared with EROFS only",
            text(&native.stderr).trim()
        );
    }
}

/// A file the guest writes and fsyncs is on the host while the sandbox still runs.
#[test]
fn fsynced_file_is_on_the_host_before_exit() {
    let bin = build("fsync_wait");
    let dir = fresh_dir("fsync");
    let mut cmd = common::Sandbox::new()
        .mount(&bin, GUEST_BIN, true)
        .mount(&dir, GUEST_OUT, false)
        .command(&format!("{GUEST_BIN}/fsync_wait"), &[GUEST_OUT]);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start meridian");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("read the guest's line");
    assert_eq!(line, "synced\n");
    let on_host = std::fs::read(dir.join("synced.txt"));
    let still_running = child.try_wait().expect("wait").is_none();
    let mut stdin = child.stdin.take().expect("piped");
    let _ = stdin.write_all(b"done");
    drop(stdin);
    let status = child.wait().expect("wait for meridian");
    assert!(still_running, "the sandbox had already exited");
    assert_eq!(on_host.ok(), Some(b"durable\n".to_vec()));
    assert!(status.success(), "{status:?}");
}

/// Host permission errors: files of another user keep the host's rules and are refused with
/// EACCES (not ENOENT or EROFS); the runner's own files with mode 0 are the guest's (root's)
/// to read and change, as natively for root. See the module documentation.
#[test]
fn host_permission_errors() {
    let bin = build("write_paths");
    let Some(nobody) = common::identity::nobody() else {
        return;
    };
    // Root's files in a directory nobody may enter, and one nobody may list but not change.
    let dir = fresh_dir("perm");
    for sub in ["closed", "open"] {
        std::fs::create_dir(dir.join(sub)).expect("mkdir");
        std::fs::create_dir(dir.join(sub).join("dir")).expect("mkdir");
        std::fs::write(dir.join(sub).join("file"), b"root's\n").expect("write");
        std::os::unix::fs::symlink("file", dir.join(sub).join("link")).expect("symlink");
        std::fs::set_permissions(
            dir.join(sub).join("file"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
    }
    let mode = |path: &Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    mode(&dir.join("closed"), 0o700);
    mode(&dir.join("open"), 0o755);
    mode(&dir, 0o755);
    // The scratch dir's parents must let nobody reach it (and the binary).
    for p in [dir.parent(), bin.parent()].into_iter().flatten() {
        let m = std::fs::metadata(p).expect("stat").permissions().mode();
        mode(p, m | 0o755);
    }
    mode(&bin, 0o755);
    let before = tree(&dir, &[]);
    for sub in ["closed", "open"] {
        let mut native = Command::new(bin.join("write_paths"));
        native.arg(dir.join(sub));
        let native = common::run(nobody.command(&native), b"", common::timeout_or(TIMEOUT));
        let sandboxed = common::Sandbox::new()
            .mount(&bin, GUEST_BIN, true)
            .mount(&dir, GUEST_OUT, false)
            .command(
                &format!("{GUEST_BIN}/write_paths"),
                &[&format!("{GUEST_OUT}/{sub}")],
            );
        let sandbox = common::run(nobody.command(&sandboxed), b"", common::timeout_or(TIMEOUT));
        let (n, s) = (text(&native.stdout), text(&sandbox.stdout));
        // Lines that differ for reasons of their own: no FIFOs in volumes (EPERM first), and
        // the errno of the ftruncate line is left over from the line before when the file
        // could not be opened.
        // And utime with the current time: the shim hands the host explicit times, which a
        // non-owner is refused with EPERM where "now" is refused with EACCES (utimensat(2)).
        let compared = |out: &str| -> Vec<String> {
            out.lines()
                .filter(|l| !l.starts_with("mkfifo:") && !l.starts_with("ftruncate of"))
                .map(|l| {
                    if l.starts_with("ut") {
                        l.replace("EACCES", "EPERM")
                    } else {
                        l.to_owned()
                    }
                })
                .collect()
        };
        if sub == "closed" {
            // Natively chdir is refused (exit 2, nothing printed). The library OS lets the
            // guest, root, change into it (it checks no search permission for root), and then
            // the host refuses every access beneath it: EACCES each time.
            assert_eq!(native.status, 2, "{}", text(&native.stderr));
            assert_eq!(sandbox.status, 0, "{}", text(&sandbox.stderr));
            assert_eq!(compared(&s).len(), 20, "{s}");
            for line in s.lines().take(20) {
                assert!(line.ends_with(": EACCES"), "{line}");
            }
            continue;
        }
        assert_eq!(
            compared(&n),
            compared(&s),
            "as nobody on root's files; stderr {}",
            text(&sandbox.stderr)
        );
        // Every one a permission error, none ENOENT or EROFS.
        for line in compared(&s) {
            assert!(
                line.ends_with(": EACCES") || line.ends_with(": EPERM"),
                "{line}"
            );
        }
    }
    assert_eq!(tree(&dir, &[]), before, "nothing changed");

    // nobody's own file with mode 0: natively nobody is refused, root is not; the guest is
    // root, and the runner, inside its user namespace, may do what the owner could anyway.
    let own = |name: &str| {
        let dir = fresh_dir(name);
        mode(&dir, 0o777);
        let mut make = Command::new("sh");
        make.args([
            "-c",
            &format!(
                "cd {} && mkdir dir && echo mine > file && ln -s file link && chmod 0 file dir",
                dir.display()
            ),
        ]);
        assert_eq!(common::run(nobody.command(&make), b"", TIMEOUT).status, 0);
        dir
    };
    let (native_dir, sandbox_dir) = (own("perm-own-native"), own("perm-own-sandbox"));
    let mut native_root = Command::new(bin.join("write_paths"));
    native_root.arg(&native_dir);
    let native = common::run(native_root, b"", TIMEOUT);
    let sandboxed = common::Sandbox::new()
        .mount(&bin, GUEST_BIN, true)
        .mount(&sandbox_dir, GUEST_OUT, false)
        .command(&format!("{GUEST_BIN}/write_paths"), &[GUEST_OUT]);
    let sandbox = common::run(nobody.command(&sandboxed), b"", TIMEOUT);
    let without_fifo = |out: &[u8]| {
        text(out)
            .lines()
            .filter(|l| !l.starts_with("mkfifo:"))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        without_fifo(&native.stdout),
        without_fifo(&sandbox.stdout),
        "nobody's own files, as native root; stderr {}",
        text(&sandbox.stderr)
    );
    assert!(text(&sandbox.stdout).starts_with("open O_RDONLY: ok\nread: ok\nopen O_WRONLY: ok\n"));
    let (n, s) = (tree(&native_dir, &["fifo"]), tree(&sandbox_dir, &["fifo"]));
    assert!(
        n == s,
        "{}",
        common::diff_lines("native", n.as_bytes(), "sandbox", s.as_bytes())
    );
}

/// A guest futex on a mapped host-volume file never reaches a host process's waiters on the
/// same file (the host keys a shared futex on a file page by the file): a host process waits
/// on a MAP_SHARED mapping of a file; an ordinary guest maps that file read-only (private and
/// shared) and tries FUTEX_CMP_REQUEUE and FUTEX_WAKE on the same word. Natively that would
/// move the waiter onto the guest's word (it would never be woken) or wake it. The waiter
/// must still be waiting afterwards and be woken by the test's own wake.
#[test]
fn guest_futex_never_reaches_host_waiters() {
    let bin = build("futex_file");
    let dir = fresh_dir("futex");
    let file = dir.join("shm");
    std::fs::write(&file, [0u8; 4096]).expect("write the shared file");
    let helper = bin.join("futex_file");
    let mut waiter = Command::new(&helper)
        .arg("wait")
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the host waiter");
    // Until the waiter sleeps in futex (syscall 202).
    let proc_syscall = format!("/proc/{}/syscall", waiter.id());
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&proc_syscall).is_ok_and(|s| s.starts_with("202 ")) {
        if start.elapsed() > TIMEOUT {
            let _ = waiter.kill();
            panic!("the host waiter never waited");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let guest = common::Sandbox::new()
        .mount(&bin, GUEST_BIN, true)
        .mount(&dir, "/ro", true)
        .command(&format!("{GUEST_BIN}/futex_file"), &["steal", "/ro/shm"]);
    let out = common::run(guest, b"", common::timeout_or(TIMEOUT));
    let mut wake = Command::new(&helper);
    wake.arg("wake").arg(&file);
    let woke = common::run(wake, b"", common::timeout_or(TIMEOUT));
    if text(&woke.stdout) != "woke 1\n" {
        let _ = waiter.kill();
    }
    let mut line = String::new();
    BufReader::new(waiter.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("read the waiter's line");
    let _ = waiter.wait();
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "private cmp_requeue 0\nprivate wake 0\nshared cmp_requeue 0\nshared wake 0\n",
        "the guest reached the host waiter"
    );
    assert_eq!(
        text(&woke.stdout),
        "woke 1\n",
        "the host waiter was not there"
    );
    assert_eq!(line, "waited 0 0 marker 1\n", "the host waiter woke early");
}
