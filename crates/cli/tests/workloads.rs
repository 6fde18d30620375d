//! Filesystem workloads on every mount kind (issue 3, "Must show"): busybox and python3 over a
//! 10,000-file tree, each compared with the same workload run natively.
//!
//! The fixture ([`fixture`], made once per run of this test binary by
//! `tests/workloads/mktree.py`): a tree of 10,000 regular files in nested directories, with
//! mixed sizes, empty files, a few modes, symbolic links (relative, absolute, dangling, to
//! directories), hard links and old modification times; a ustar archive of it; a root
//! filesystem image holding it at `/tree`; and a policy file that mounts the archive as an
//! image at `/img` and the tree as an overlay at `/ov`.
//!
//! Mount kinds and what runs on them:
//! - in-memory (`/tmp`, a `--tmpfs` mount): python extracts the archive with tarfile, copies
//!   with shutil.copytree, moves, renames, removes with rmtree; busybox `tar -xv`. Natively the
//!   same on a host tmpfs (`/dev/shm`).
//! - read-write host volume: the python cycle, then busybox `tar -x`, `cp -a` from every
//!   read-only kind, `mv`, `rm -r`, `find`, `du`, `ls -lR`, one applet per sandbox run (the
//!   sandbox runs one process: no fork/exec yet, issue 4); natively the same in a host
//!   directory of the same filesystem. After the runs the two host directories must agree
//!   ([`host_tree`]).
//! - read-only host volume, read-only image (policy and `--rootfs`), overlay (policy over a host
//!   directory, and the root of `--rootfs`): python os.walk and copytree out of them; busybox
//!   `find`, `du`, `ls -lR`, `cp -a` out of them. Natively the fixture tree itself, or for
//!   images its copy on a host tmpfs (an image is an in-memory filesystem, and `du` counts the
//!   blocks of the filesystem that holds the files).
//! - writable overlays: python changes the tree (moving a lower directory, which rename(2)
//!   refuses with EXDEV so shutil.move copies and deletes; renaming, deleting and re-creating,
//!   rewriting lower files; extracting and copying into it) and busybox `mv`, `rm -r`,
//!   `tar -x` over it; natively the same on a plain copy of the tree. The lower layer is
//!   unchanged afterwards.
//!
//! Where the sandbox differs from native for a stated reason, the difference is listed
//! ([`Known`]) and the test fails when it no longer occurs.

mod common;

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hasher};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(180);
const PYTHON: &str = "/usr/bin/python3";
const BUSYBOX: &str = "/usr/bin/busybox";
/// Modification times before 2020-01-01 come from the fixture and were kept by the workload,
/// so they must match; later ones are "now" at the time of a run.
const KEPT_TIMES_BEFORE_SECS: i64 = 1_577_836_800;
/// Where the sandbox sees things.
const GUEST_FIXTURE: &str = "/fx";
const GUEST_SCRIPTS: &str = "/s";
const GUEST_OUT: &str = "/out";
const GUEST_TMPFS: &str = "/scratch";
const GUEST_IMAGE_TREE: &str = "/img/tree";
const GUEST_OVERLAY: &str = "/ov";
const GUEST_ROOTFS_TREE: &str = "/tree";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/workloads")
}

/// The fixture: made once per test binary run.
struct Fixture {
    /// Holds everything below; mounted read-only at [`GUEST_FIXTURE`].
    dir: PathBuf,
    /// The tree (`dir/tree`).
    tree: PathBuf,
    /// `tar` of the tree (`tree/...` names).
    tar: PathBuf,
    /// A root image with the tree at `/tree` and `/usr` to mount the host's on.
    rootfs: PathBuf,
    /// Mounts `tree.tar` as an image at `/img` and `tree` as an overlay at `/ov`.
    policy: PathBuf,
    /// A copy of the tree (`cp -a`) on a host tmpfs: the native side of in-memory images.
    tmpfs_tree: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = common::scratch_dir("workloads/fixture");
        std::fs::remove_dir_all(&dir).expect("clear the fixture");
        std::fs::create_dir_all(&dir).expect("create the fixture dir");
        let (tar, rootfs) = (dir.join("tree.tar"), dir.join("rootfs.tar"));
        let mut make = Command::new(PYTHON);
        make.arg(scripts().join("mktree.py"))
            .args([&dir, &tar, &rootfs]);
        succeed("mktree.py", make);
        let policy = dir.join("layers.toml");
        std::fs::write(
            &policy,
            "[[mount]]\ntype = \"image\"\nsource = \"tree.tar\"\ntarget = \"/img\"\n\n\
             [[mount]]\ntype = \"overlay\"\nsource = \"tree\"\ntarget = \"/ov\"\n",
        )
        .expect("write the policy");
        let tree = dir.join("tree");
        let tmpfs_tree = host_tmpfs("fixture-tree");
        std::fs::remove_dir(&tmpfs_tree).expect("cp -a makes it");
        copy_tree(&tree, &tmpfs_tree);
        Fixture {
            dir,
            tree,
            tar,
            rootfs,
            policy,
            tmpfs_tree,
        }
    })
}

/// Runs a host command that must succeed.
fn succeed(what: &str, cmd: Command) {
    let out = common::run(cmd, b"", TIMEOUT);
    assert_eq!(out.status, 0, "{what}: {}", text(&out.stderr));
}

/// `cp -a from to` on the host (`to` must not exist).
fn copy_tree(from: &Path, to: &Path) {
    let mut cp = Command::new("cp");
    cp.arg("-a").arg(from).arg(to);
    succeed("cp -a", cp);
}

/// A fresh, empty directory on a host tmpfs (`/dev/shm`), the native counterpart of the
/// sandbox's in-memory filesystems; the disk scratch dir if there is no tmpfs there. Named
/// after this worktree's target dir so that concurrent checkouts do not collide.
fn host_tmpfs(name: &str) -> PathBuf {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    let base = BASE.get_or_init(|| {
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        if mounts
            .lines()
            .any(|l| l.starts_with("tmpfs /dev/shm tmpfs "))
        {
            let mut hash = DefaultHasher::new();
            hash.write(env!("CARGO_TARGET_TMPDIR").as_bytes());
            PathBuf::from(format!("/dev/shm/meridian-workloads-{:x}", hash.finish()))
        } else {
            eprintln!("note: no tmpfs at /dev/shm; in-memory mounts compared with a disk dir");
            common::scratch_dir("workloads/tmpfs")
        }
    });
    let dir = base.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a tmpfs dir");
    dir
}

/// Removes the directories of a test that passed (a failed one leaves them to look at), so
/// that the host tmpfs does not keep their memory.
fn remove(dirs: &[&Path]) {
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A way the sandbox's output may differ from native, and why; `accepts(native, sandbox)`
/// recognises one line of it.
struct Known<'a> {
    name: &'static str,
    reason: &'static str,
    accepts: &'a dyn Fn(&str, &str) -> bool,
}

/// Checks a dual run: the native run succeeded, the sandbox's exit status is the same and its
/// stdout too, line by line, except for lines that one of `known` accepts; every entry of
/// `known` must be met at least once.
fn check(what: &str, run: &common::DualRun, known: &[Known]) {
    assert_eq!(
        run.native.status,
        0,
        "{what}: the native run failed:\n{}",
        text(&run.native.stderr)
    );
    let Some(sandbox) = &run.sandbox else { return };
    let stderr = || common::indented_tail(&sandbox.stderr, common::STDERR_TAIL_LINES);
    let (native_out, sandbox_out) = (text(&run.native.stdout), text(&sandbox.stdout));
    let (native_lines, sandbox_lines): (Vec<&str>, Vec<&str>) =
        (native_out.lines().collect(), sandbox_out.lines().collect());
    if sandbox.status != run.native.status || native_lines.len() != sandbox_lines.len() {
        panic!(
            "{what}: the sandbox differs from native:\n{}",
            run.mismatch().unwrap_or_default()
        );
    }
    let mut met = vec![0usize; known.len()];
    for (i, (n, s)) in native_lines.iter().zip(&sandbox_lines).enumerate() {
        if n == s {
            continue;
        }
        match known.iter().position(|k| (k.accepts)(n, s)) {
            Some(k) => met[k] += 1,
            None => panic!(
                "{what}: line {} differs:\n  native:  {n:?}\n  sandbox: {s:?}\n  sandbox stderr:\n{}",
                i + 1,
                stderr()
            ),
        }
    }
    for (k, count) in known.iter().zip(met) {
        assert!(
            count > 0,
            "{what}: known difference {:?} ({}) no longer occurs: remove it from the list",
            k.name,
            k.reason
        );
    }
}

/// Known differences of Meridian's overlay, which behaves like Linux overlayfs here; natively
/// the workload runs on a plain directory.
const OVERLAY_KNOWN: &[Known<'static>] = &[
    Known {
        name: "merged directory nlink",
        reason: "a directory present in both layers (the overlay's root, or a lower directory \
                 once changed) reports st_nlink 1, as Linux overlayfs does (fs/overlayfs/\
                 inode.c, ovl_getattr: counting subdirectories across layers is not worth it, \
                 and nlink 1 tells find not to rely on it)",
        accepts: &merged_dir_nlink,
    },
    Known {
        name: "lower hard link nlink",
        reason: "a file of the lower layer that another name of it was deleted from keeps the \
                 lower file's st_nlink (2): the deletion is a whiteout in the upper layer and \
                 the lower file is never changed, as on Linux overlayfs without the inode index",
        accepts: &stale_lower_nlink,
    },
];

/// `X/ d MODE nlink N ...` natively, the same with `nlink 1` in the sandbox.
fn merged_dir_nlink(native: &str, sandbox: &str) -> bool {
    let (n, s): (Vec<&str>, Vec<&str>) =
        (native.split(' ').collect(), sandbox.split(' ').collect());
    n.len() == s.len()
        && n.get(1) == Some(&"d")
        && n.get(3) == Some(&"nlink")
        && s.get(4) == Some(&"1")
        && n.iter()
            .zip(&s)
            .enumerate()
            .all(|(i, (a, b))| i == 4 || a == b)
}

/// `X f MODE size S nlink 1 crc C ...` natively; in the sandbox `nlink 2` and the hard-link
/// group mark `=X` (the only name left).
fn stale_lower_nlink(native: &str, sandbox: &str) -> bool {
    let n: Vec<&str> = native.split(' ').collect();
    let mut s: Vec<&str> = sandbox.split(' ').collect();
    let Some(path) = n.first() else { return false };
    let mark = format!("={path}");
    let had_mark = s.len() > 9 && s[9] == mark;
    if had_mark {
        s.remove(9);
    }
    had_mark
        && n.get(1) == Some(&"f")
        && n.get(6) == Some(&"1")
        && s.get(6) == Some(&"2")
        && n.len() == s.len()
        && n.iter()
            .zip(&s)
            .enumerate()
            .all(|(i, (a, b))| i == 6 || a == b)
}

/// `python3 fsload.py ARGS` natively.
fn python_native(args: &[&Path]) -> Command {
    let mut cmd = Command::new(PYTHON);
    cmd.arg(scripts().join("fsload.py")).args(args);
    cmd
}

/// A sandbox with the fixture read-only at [`GUEST_FIXTURE`], the scripts at
/// [`GUEST_SCRIPTS`] and the policy's image and overlay.
fn sandbox_with_fixture() -> common::Sandbox {
    let fx = fixture();
    common::Sandbox::new()
        .policy(&fx.policy)
        .mount(&fx.dir, GUEST_FIXTURE, true)
        .mount(&scripts(), GUEST_SCRIPTS, true)
}

/// `python3 /s/fsload.py ARGS` in `sandbox`.
fn python_sandboxed(sandbox: &common::Sandbox, args: &[&str]) -> Command {
    let script = format!("{GUEST_SCRIPTS}/fsload.py");
    let mut all = vec![script.as_str()];
    all.extend(args);
    sandbox.command(PYTHON, &all)
}

fn guest_tar() -> String {
    format!("{GUEST_FIXTURE}/tree.tar")
}

/// The host's view of `root`, one line per entry sorted by path: type, mode, size, link
/// count, which names share an inode, a hash of the contents, link targets and kept times.
fn host_tree(root: &Path) -> String {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let is_dir = std::fs::symlink_metadata(&path).expect("lstat").is_dir();
            out.push(path.clone());
            if is_dir {
                walk(&path, out);
            }
        }
    }
    let mut paths = Vec::new();
    walk(root, &mut paths);
    let mut first_name: BTreeMap<u64, String> = BTreeMap::new();
    let mut out = String::new();
    for path in paths {
        let meta = std::fs::symlink_metadata(&path).expect("lstat");
        let rel = path
            .strip_prefix(root)
            .expect("beneath")
            .display()
            .to_string();
        let mode = meta.permissions().mode() & 0o7777;
        let ft = meta.file_type();
        let what = if ft.is_symlink() {
            format!(
                "-> {}",
                std::fs::read_link(&path).expect("readlink").display()
            )
        } else if ft.is_dir() {
            format!("d {mode:o} nlink {}", meta.nlink())
        } else if ft.is_file() {
            let mut hash = DefaultHasher::new();
            hash.write(&std::fs::read(&path).expect("read"));
            let group = if meta.nlink() > 1 {
                format!(" ={}", first_name.entry(meta.ino()).or_insert(rel.clone()))
            } else {
                String::new()
            };
            format!(
                "f {mode:o} size {} nlink {} {:016x}{group}",
                meta.len(),
                meta.nlink(),
                hash.finish()
            )
        } else {
            format!("other {:o}", meta.mode())
        };
        let kept = if meta.mtime() < KEPT_TIMES_BEFORE_SECS {
            format!(" mtime {}.{:09}", meta.mtime(), meta.mtime_nsec())
        } else {
            String::new()
        };
        out.push_str(&format!("{rel} {what}{kept}\n"));
    }
    out
}

fn assert_same_trees(what: &str, native: &Path, sandbox: &Path) {
    if common::native_only() {
        return;
    }
    let (n, s) = (host_tree(native), host_tree(sandbox));
    assert!(
        n == s,
        "{what}: the host directories differ:\n{}",
        common::diff_lines("native", n.as_bytes(), "sandbox", s.as_bytes())
    );
}

/// python on /tmp and on a `--tmpfs` mount: tarfile extraction of the 10,000-file tree,
/// copytree, move, rename, rmtree; natively on a host tmpfs.
#[test]
fn python_on_in_memory_mounts() {
    let fx = fixture();
    let (native_tmp, native_tmpfs) = (host_tmpfs("py-tmp"), host_tmpfs("py-tmpfs"));
    let cycle = Path::new("cycle");
    let native = python_native(&[
        cycle,
        &fx.tar,
        &native_tmp.join("w"),
        cycle,
        &fx.tar,
        &native_tmpfs.join("w"),
    ]);
    let tar = guest_tar();
    let tmpfs_work = format!("{GUEST_TMPFS}/w");
    let sandboxed = python_sandboxed(
        &sandbox_with_fixture().tmpfs(GUEST_TMPFS),
        &["cycle", &tar, "/tmp/w", "cycle", &tar, &tmpfs_work],
    );
    let run = common::native_vs_sandbox(native, sandboxed, b"", common::timeout_or(TIMEOUT));
    check("python on /tmp and --tmpfs", &run, &[]);
    remove(&[&native_tmp, &native_tmpfs]);
    assert!(
        text(&run.native.stdout).contains("\ntotals: 213 dirs, 10026 files, 25 links, "),
        "the fixture is not what the test expects:\n{}",
        text(&run.native.stdout)
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// python on a read-write host volume: the same cycle; the extracted tree stays and must be on
/// the host as natively. (Copies out of read-only mounts into it are busybox's part.)
#[test]
fn python_on_a_read_write_volume() {
    let fx = fixture();
    let (native_dir, sandbox_dir) = (host_tmpfs("py-rw-native"), host_tmpfs("py-rw-sandbox"));
    let native = python_native(&[Path::new("cycle"), &fx.tar, &native_dir.join("w")]);
    let tar = guest_tar();
    let work = format!("{GUEST_OUT}/w");
    let sandboxed = python_sandboxed(
        &sandbox_with_fixture().mount(&sandbox_dir, GUEST_OUT, false),
        &["cycle", &tar, &work],
    );
    let run = common::native_vs_sandbox(native, sandboxed, b"", common::timeout_or(TIMEOUT));
    check("python on a read-write volume", &run, &[]);
    assert_same_trees("python on a read-write volume", &native_dir, &sandbox_dir);
    remove(&[&native_dir, &sandbox_dir]);
}

/// python os.walk of, and copytree out of, a read-only volume and an image; natively the
/// fixture tree.
#[test]
fn python_on_read_only_mounts() {
    let fx = fixture();
    let (native_tmp, native_tmp2) = (host_tmpfs("py-ro-1"), host_tmpfs("py-ro-2"));
    let (walk, copyout) = (Path::new("walk"), Path::new("copyout"));
    let native = python_native(&[
        walk,
        &fx.tree,
        copyout,
        &fx.tree,
        &native_tmp,
        walk,
        &fx.tmpfs_tree,
        copyout,
        &fx.tmpfs_tree,
        &native_tmp2,
    ]);
    let tree = format!("{GUEST_FIXTURE}/tree");
    let sandboxed = python_sandboxed(
        &sandbox_with_fixture(),
        &[
            "walk",
            &tree,
            "copyout",
            &tree,
            "/tmp/a",
            "walk",
            GUEST_IMAGE_TREE,
            "copyout",
            GUEST_IMAGE_TREE,
            "/tmp/b",
        ],
    );
    let run = common::native_vs_sandbox(native, sandboxed, b"", common::timeout_or(TIMEOUT));
    check("python on a read-only volume and an image", &run, &[]);
    remove(&[&native_tmp, &native_tmp2]);
}

/// python on an overlay over a host directory (policy): os.walk, then changes to the lower
/// layer's files and directories, extraction and copies into it, and emptying it; natively
/// the same on a copy of the tree. The lower directory is unchanged.
#[test]
fn python_on_an_overlay() {
    let fx = fixture();
    let before = host_tree(&fx.tree);
    let native_dir = host_tmpfs("py-overlay");
    std::fs::remove_dir(&native_dir).expect("cp -a makes it");
    copy_tree(&fx.tree, &native_dir);
    let (walk, mutate) = (Path::new("walk"), Path::new("mutate"));
    let native = python_native(&[walk, &native_dir, mutate, &native_dir, &fx.tar]);
    let tar = guest_tar();
    let sandboxed = python_sandboxed(
        &sandbox_with_fixture(),
        &["walk", GUEST_OVERLAY, "mutate", GUEST_OVERLAY, &tar],
    );
    let run = common::native_vs_sandbox(native, sandboxed, b"", common::timeout_or(TIMEOUT));
    check("python on an overlay", &run, OVERLAY_KNOWN);
    remove(&[&native_dir]);
    assert!(
        host_tree(&fx.tree) == before,
        "the overlay's lower directory changed"
    );
}

/// `--rootfs`: the root is an overlay over the image; python (from the host's /usr, mounted
/// read-only) walks the image's /tree, copies it out, then changes it as on the overlay.
#[test]
fn python_on_a_rootfs_image() {
    let fx = fixture();
    let native_dir = host_tmpfs("py-rootfs");
    std::fs::remove_dir(&native_dir).expect("cp -a makes it");
    copy_tree(&fx.tmpfs_tree, &native_dir);
    let native_copy = host_tmpfs("py-rootfs-copy");
    let (walk, copyout, mutate) = (Path::new("walk"), Path::new("copyout"), Path::new("mutate"));
    let native = python_native(&[
        walk,
        &native_dir,
        copyout,
        &native_dir,
        &native_copy,
        mutate,
        &native_dir,
        &fx.tar,
    ]);
    let tar = guest_tar();
    let sandbox = common::Sandbox::new()
        .rootfs(&fx.rootfs)
        .mount(Path::new("/usr"), "/usr", true)
        .mount(&fx.dir, GUEST_FIXTURE, true)
        .mount(&scripts(), GUEST_SCRIPTS, true);
    let sandboxed = python_sandboxed(
        &sandbox,
        &[
            "walk",
            GUEST_ROOTFS_TREE,
            "copyout",
            GUEST_ROOTFS_TREE,
            "/tmp/c",
            "mutate",
            GUEST_ROOTFS_TREE,
            &tar,
        ],
    );
    let run = common::native_vs_sandbox(native, sandboxed, b"", common::timeout_or(TIMEOUT));
    check("python on a --rootfs image", &run, OVERLAY_KNOWN);
    remove(&[&native_dir, &native_copy]);
}

/// How a step's stdout is compared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// As printed.
    AsIs,
    /// With its lines sorted: `find` and `du` print in directory order, which belongs to the
    /// filesystem.
    Sorted,
    /// `ls -l --full-time` with the times of symbolic links left out: busybox `cp -a` does not
    /// copy them (it sets times with utimes(2), which follows links), so they are the time of
    /// each run.
    LinksUntimed,
}

/// An `ls -l --full-time` line with a symbolic link's date, time and zone replaced by `-`.
fn untimed_link(line: &str) -> String {
    if !line.starts_with('l') {
        return line.to_owned();
    }
    let mut fields: Vec<&str> = line.split_whitespace().collect();
    for field in fields.iter_mut().skip(5).take(3) {
        *field = "-";
    }
    fields.join(" ")
}

/// Runs both sides, sorts their output if asked, and [`check`]s them.
fn dual(what: &str, native: Command, sandboxed: Command, order: Order, known: &[Known]) {
    let mut run = common::native_vs_sandbox(native, sandboxed, b"", common::timeout_or(TIMEOUT));
    let reshape = |out: &mut common::Outcome| {
        let text = text(&out.stdout);
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        match order {
            Order::AsIs => return,
            Order::Sorted => lines.sort_unstable(),
            Order::LinksUntimed => lines = lines.iter().map(|l| untimed_link(l)).collect(),
        }
        out.stdout = lines
            .iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .into_bytes();
    };
    reshape(&mut run.native);
    if let Some(sandbox) = run.sandbox.as_mut() {
        reshape(sandbox);
    }
    check(what, &run, known);
}

/// `args` with each `{name}` replaced by its value.
fn fill(args: &[&str], values: &[(&str, &str)]) -> Vec<String> {
    args.iter()
        .map(|arg| {
            values.iter().fold((*arg).to_owned(), |arg, (name, value)| {
                arg.replace(&format!("{{{name}}}"), value)
            })
        })
        .collect()
}

fn busybox_native(cwd: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(BUSYBOX);
    cmd.args(args).current_dir(cwd);
    cmd
}

fn busybox_sandboxed(sandbox: &common::Sandbox, args: &[String]) -> Command {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sandbox.command(BUSYBOX, &args)
}

/// busybox on a read-write volume, one applet per run: `tar -x` of the archive, `find`,
/// `du`, `cp -a` out of the read-only volume, the image and the overlay, `ls -lR`, `mv`,
/// `rm -r`; natively the same in a directory of the same host filesystem, so that `du`'s
/// blocks are comparable. The two directories agree afterwards.
#[test]
fn busybox_on_a_read_write_volume() {
    let fx = fixture();
    let (native_dir, sandbox_dir) = (host_tmpfs("bb-rw-native"), host_tmpfs("bb-rw-sandbox"));
    let sandbox = sandbox_with_fixture()
        .mount(&sandbox_dir, GUEST_OUT, false)
        .workdir(GUEST_OUT);
    let fx_dir = fx.dir.display().to_string();
    let fx_tree = fx.tree.display().to_string();
    let native_values = [
        ("fx", fx_dir.as_str()),
        ("img", fx_tree.as_str()),
        ("ov", fx_tree.as_str()),
    ];
    let guest_values = [
        ("fx", GUEST_FIXTURE),
        ("img", GUEST_IMAGE_TREE),
        ("ov", GUEST_OVERLAY),
    ];
    let fx_tmpfs_tree = fx.tmpfs_tree.display().to_string();
    // The root image's /tree, copied out by a `--rootfs` sandbox with the same volume.
    let rootfs = common::Sandbox::new()
        .rootfs(&fx.rootfs)
        .mount(Path::new("/usr"), "/usr", true)
        .mount(&sandbox_dir, GUEST_OUT, false)
        .workdir(GUEST_OUT);
    dual(
        "busybox cp -a out of a --rootfs image into a read-write volume",
        busybox_native(
            &native_dir,
            &fill(
                &["cp", "-a", "{t}", "copy-rootfs"],
                &[("t", &fx_tmpfs_tree)],
            ),
        ),
        busybox_sandboxed(
            &rootfs,
            &fill(&["cp", "-a", GUEST_ROOTFS_TREE, "copy-rootfs"], &[]),
        ),
        Order::AsIs,
        &[],
    );
    let steps: &[(&[&str], Order)] = &[
        (&["tar", "-xf", "{fx}/tree.tar"], Order::AsIs),
        (&["find", "tree"], Order::Sorted),
        (&["du", "-a", "tree"], Order::Sorted),
        (&["cp", "-a", "{fx}/tree", "copy-ro"], Order::AsIs),
        (&["cp", "-a", "{img}", "copy-img"], Order::AsIs),
        (&["cp", "-a", "{ov}", "copy-ov"], Order::AsIs),
        (
            &["ls", "-lnR", "--full-time", "copy-ro"],
            Order::LinksUntimed,
        ),
        (
            &["du", "-s", "copy-img", "copy-ov", "copy-rootfs"],
            Order::AsIs,
        ),
        (&["mv", "copy-ov", "moved"], Order::AsIs),
        (&["mv", "moved/d11", "moved/d00/moved-d11"], Order::AsIs),
        (
            &["rm", "-r", "copy-ro", "moved/d01", "copy-rootfs/d02"],
            Order::AsIs,
        ),
        (&["find", "."], Order::Sorted),
    ];
    for (args, order) in steps {
        dual(
            &format!("busybox {args:?} on a read-write volume"),
            busybox_native(&native_dir, &fill(args, &native_values)),
            busybox_sandboxed(&sandbox, &fill(args, &guest_values)),
            *order,
            &[],
        );
    }
    assert_same_trees("busybox on a read-write volume", &native_dir, &sandbox_dir);
    remove(&[&native_dir, &sandbox_dir]);
}

/// Read-only applets on the read-only kinds, from the tree's root: `find`, `du` (blocks and
/// bytes, every entry and totals), `ls -lnR`. Natively on the fixture tree (host volumes; the overlay's
/// lower is a host directory) or its copy on a host tmpfs (images: an in-memory filesystem).
#[test]
fn busybox_on_read_only_mounts() {
    let fx = fixture();
    let rootfs = common::Sandbox::new()
        .rootfs(&fx.rootfs)
        .mount(Path::new("/usr"), "/usr", true);
    let kinds: [(&str, common::Sandbox, &Path); 4] = [
        (
            "read-only volume",
            sandbox_with_fixture().workdir(&format!("{GUEST_FIXTURE}/tree")),
            &fx.tree,
        ),
        (
            "image",
            sandbox_with_fixture().workdir(GUEST_IMAGE_TREE),
            &fx.tmpfs_tree,
        ),
        (
            "overlay",
            sandbox_with_fixture().workdir(GUEST_OVERLAY),
            &fx.tree,
        ),
        ("rootfs", rootfs.workdir(GUEST_ROOTFS_TREE), &fx.tmpfs_tree),
    ];
    let steps: &[(&[&str], Order)] = &[
        (&["find", "."], Order::Sorted),
        // `-l`: every name of a hard-linked file, as which one du counts depends on the
        // directory order; the totals (`-s`) count each file once.
        (&["du", "-al", "."], Order::Sorted),
        (&["du", "-abl", "."], Order::Sorted),
        (&["du", "-s", "."], Order::AsIs),
        (&["du", "-bs", "."], Order::AsIs),
        (&["ls", "-lnR", "--full-time", "."], Order::AsIs),
    ];
    // The overlay's root is a merged directory: like Linux overlayfs, it shows the upper
    // directory's size and blocks, those of an empty in-memory directory (40 bytes, no
    // blocks), where the native run sees the host directory's.
    let root = std::fs::metadata(&fx.tree).expect("stat the fixture tree");
    let (root_kib, root_extra_bytes) = (root.blocks() / 2, root.size() - 2 * 20);
    let merged_root = |native: &str, sandbox: &str| {
        let total = |line: &str| line.strip_suffix("\t.")?.parse::<u64>().ok();
        let (Some(n), Some(s)) = (total(native), total(sandbox)) else {
            return false;
        };
        n.checked_sub(s)
            .is_some_and(|d| d == root_kib || d == root_extra_bytes)
    };
    let overlay_du = [Known {
        name: "merged root directory's own size",
        reason: "the overlay's root shows the upper directory's size and blocks, as on Linux \
                 overlayfs (ovl_getattr stats the upper of a merged directory); du's total \
                 for . differs from native by the host directory's own",
        accepts: &merged_root,
    }];
    for (kind, sandbox, native_dir) in &kinds {
        for (args, order) in steps {
            let args = fill(args, &[]);
            let known: &[Known] = if *kind == "overlay" && args[0] == "du" {
                &overlay_du
            } else {
                &[]
            };
            dual(
                &format!("busybox {args:?} on the {kind}"),
                busybox_native(native_dir, &args),
                busybox_sandboxed(sandbox, &args),
                *order,
                known,
            );
        }
    }
}

/// Single runs that change an in-memory mount or an overlay, whose state ends with the
/// sandbox: exit status and output against the same applet natively on a fresh host tmpfs
/// directory or a fresh copy of the tree. `tar -xv` into /tmp and a `--tmpfs` mount; on the
/// overlay (policy) and the `--rootfs` root, `mv` of a lower directory (EXDEV, so busybox
/// copies and deletes), `rm -r` of a lower tree, and `tar -x` over the lower files.
#[test]
fn busybox_changes_in_memory_and_overlay_mounts() {
    let fx = fixture();
    let fx_dir = fx.dir.display().to_string();
    let in_memory = sandbox_with_fixture().tmpfs(GUEST_TMPFS);
    for guest in ["/tmp", GUEST_TMPFS] {
        let native_dir = host_tmpfs("bb-extract");
        let args = ["tar", "-xvf", "{fx}/tree.tar", "-C", "{dir}"];
        let native_dir_str = native_dir.display().to_string();
        dual(
            &format!("busybox tar -xv into {guest}"),
            busybox_native(
                &native_dir,
                &fill(&args, &[("fx", &fx_dir), ("dir", &native_dir_str)]),
            ),
            busybox_sandboxed(
                &in_memory,
                &fill(&args, &[("fx", GUEST_FIXTURE), ("dir", guest)]),
            ),
            Order::AsIs,
            &[],
        );
        remove(&[&native_dir]);
    }
    let rootfs = common::Sandbox::new()
        .rootfs(&fx.rootfs)
        .mount(Path::new("/usr"), "/usr", true)
        .mount(&fx.dir, GUEST_FIXTURE, true);
    let overlays = [
        ("overlay", sandbox_with_fixture(), GUEST_OVERLAY, &fx.tree),
        ("rootfs", rootfs, GUEST_ROOTFS_TREE, &fx.tmpfs_tree),
    ];
    let steps: &[&[&str]] = &[
        &["mv", "{top}/d11", "{top}/d00/moved"],
        &["rm", "-r", "{top}/d04", "{top}/d05/s1"],
        &[
            "tar",
            "-xvf",
            "{fx}/tree.tar",
            "--strip-components",
            "1",
            "-C",
            "{top}",
        ],
    ];
    for (kind, sandbox, guest_top, lower) in &overlays {
        for args in steps {
            let native_top = host_tmpfs("bb-overlay");
            std::fs::remove_dir(&native_top).expect("cp -a makes it");
            copy_tree(lower, &native_top);
            let native_top_str = native_top.display().to_string();
            dual(
                &format!("busybox {args:?} on the {kind}"),
                busybox_native(
                    &native_top,
                    &fill(args, &[("fx", &fx_dir), ("top", &native_top_str)]),
                ),
                busybox_sandboxed(
                    sandbox,
                    &fill(args, &[("fx", GUEST_FIXTURE), ("top", guest_top)]),
                ),
                Order::AsIs,
                &[],
            );
            remove(&[&native_top]);
        }
        // The `mv` above succeeded by copying: rename(2) refused with EXDEV, then busybox
        // made each directory of the moved tree.
        let mv = fill(steps[0], &[("top", guest_top)]);
        let traced = busybox_sandboxed(&sandbox.clone().trace(), &mv);
        let out = common::run(traced, b"", common::timeout_or(TIMEOUT));
        let trace = text(&out.stderr);
        let renamed = format!("rename(\"{guest_top}/d11\", \"{guest_top}/d00/moved\") = -1 EXDEV");
        let dirs_moved = count_dirs(&lower.join("d11"));
        let made = trace
            .lines()
            .filter(|l| l.contains("mkdir") && l.ends_with("= 0"))
            .count();
        assert!(
            out.status == 0 && trace.contains(&renamed) && made == dirs_moved,
            "busybox mv on the {kind}: expected {renamed:?} and {dirs_moved} mkdirs, saw {made}; \
             status {}; trace:\n{}",
            out.status,
            common::indented_tail(&out.stderr, 40)
        );
    }
}

/// Directories in `dir`, itself included.
fn count_dirs(dir: &Path) -> usize {
    1 + std::fs::read_dir(dir)
        .expect("list a fixture directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()))
        .map(|p| count_dirs(&p))
        .sum::<usize>()
}
