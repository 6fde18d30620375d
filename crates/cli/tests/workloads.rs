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
//!   read-only kind, `mv`, `rm -r`, `find`, `du`, `ls -lR`, one applet per sandbox run (written
//!   before processes worked; kept so each applet is compared on its own); natively the same in a host
//!   directory of the same filesystem, so that `du` counts the same blocks. Both directories
//!   are on the host tmpfs when there is one: on this project's machines 10,000-file trees on
//!   the disk made each run several times slower, natively as much as sandboxed (the host
//!   volume code is the same whatever the host filesystem; `volumes.rs` uses the disk). After
//!   the runs the two host directories must agree ([`host_tree`]).
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
//! ([`Known`]: the overlay's link counts and merged directory sizes, as on Linux overlayfs)
//! and the test fails when it no longer occurs. The comparisons are in `workloads/compare.rs`.
//!
//! Found by these workloads and fixed: chown(2) to a file's own owner failed with EPERM on
//! host volumes and overlays (tar and copytree then skipped restoring directory modes and
//! times); directories and short symbolic links of in-memory filesystems counted blocks
//! (`du` differed from a host tmpfs; dual-run test `fs_tmpfs_blocks`).

mod common;
#[path = "workloads/compare.rs"]
mod compare;

use compare::{Known, OVERLAY_KNOWN, Order, assert_same_trees, check, dual, host_tree};
use std::hash::{DefaultHasher, Hasher};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(180);
const PYTHON: &str = "/usr/bin/python3";
const BUSYBOX: &str = "/usr/bin/busybox";
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
    // The image links /lib and /lib64 into the mounted /usr, which holds the interpreter's
    // libraries only on a merged-/usr host.
    let merged_usr = ["/lib", "/lib64"]
        .iter()
        .all(|l| std::fs::read_link(l).is_ok_and(|t| t == Path::new("usr").join(&l[1..])));
    if !merged_usr {
        eprintln!("note: /lib is not a link to usr/lib here; python in a --rootfs skipped");
        return;
    }
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
/// `du`, `cp -a` out of the read-only volume, the image, the overlay and a `--rootfs` image,
/// `ls -lR`, `mv`, `rm -r`; natively the same in a directory of the same host filesystem, so that `du`'s
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
/// bytes, every entry and totals), `ls -lnR`. Natively on the fixture tree (host volumes; the
/// overlay's lower is a host directory) or its copy on a host tmpfs (images: an in-memory
/// filesystem).
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
        if common::native_only() {
            continue;
        }
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
