//! `meridian run --rootfs IMAGE`: root filesystem images built here from host files.
//!
//! - A busybox image (GNU tar format, `./` names like `docker export`, a long name, hard and
//!   symbolic links) runs `ls`, `cat`, `stat` and `find`, compared with the same applets run
//!   natively on the unpacked tree; gzip-compressed it runs the same.
//! - A python3 image (the interpreter, the libraries `ldd` lists, the standard library; PAX
//!   format) runs `tests/rootfs/overlay_ops.py`, which deletes, renames, rewrites, maps and
//!   moves files and directories of the image and prints what it sees; natively the script
//!   runs on an unpacked copy. The image file is byte-identical afterwards.
//! - Malformed images (truncated, garbage, bad checksum, `..` and absolute names, corrupt
//!   gzip) stop the run with exit status 125 and a message naming the image, and the
//!   program never runs.

mod common;

use common::{Outcome, meridian_bin, run, scratch_dir};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);
const BUSYBOX: &str = "/usr/bin/busybox";
const PYTHON: &str = "/usr/bin/python3";
const EXIT_MERIDIAN_ERROR: i32 = 125;
const OS_RELEASE: &str = "NAME=\"Meridian rootfs test\"\nID=meridian-test\n";

fn sh(cmd: &mut Command) {
    let status = cmd.status().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(status.success(), "{cmd:?}: {status}");
}

fn write(path: &Path, data: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(path, data).expect("write");
}

/// Files every test image has under /data, and /etc/os-release.
fn add_data(root: &Path) {
    write(&root.join("etc/os-release"), OS_RELEASE.as_bytes());
    let data = root.join("data");
    write(&data.join("a.txt"), b"alpha\n");
    write(&data.join("b.txt"), b"bravo\n");
    write(&data.join("c.txt"), b"charlie\n");
    write(&data.join("hard-1"), b"linked\n");
    fs::hard_link(data.join("hard-1"), data.join("hard-2")).expect("link");
    symlink("c.txt", data.join("link")).expect("symlink");
    write(&data.join("tree/x/y/z.txt"), b"zulu\n");
    write(&data.join("tree/top.txt"), b"top\n");
    write(&data.join("dir/sub/deep.txt"), b"deep\n");
    write(&data.join("dir/one.txt"), b"one\n");
    let long = "l".repeat(120);
    write(&data.join(&long).join("file-with-a-long-path"), b"long\n");
    // Modes and times the image must keep.
    let set_mode = |p: &Path, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).expect("chmod");
    };
    set_mode(&data.join("b.txt"), 0o640);
    set_mode(&data.join("dir"), 0o750);
    sh(Command::new("touch")
        .args(["-h", "-d", "2001-02-03 04:05:06"])
        .arg(data.join("a.txt"))
        .arg(data.join("link"))
        .arg(data.join("dir")));
}

/// `tar -C root -c .` with the given format, optionally gzip-compressed.
fn make_tar(root: &Path, out: &Path, format: &str, gzip: bool) {
    let mut cmd = Command::new("tar");
    cmd.arg(format!("--format={format}"))
        .arg("--numeric-owner")
        .arg("-C")
        .arg(root);
    if gzip {
        cmd.arg("-z");
    }
    sh(cmd.arg("-cf").arg(out).arg("."));
}

/// A busybox root: /bin/busybox and applet links, plus the test data.
fn busybox_root(dir: &Path) -> PathBuf {
    let root = dir.join("busybox-root");
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join("bin")).expect("mkdir");
    fs::copy(BUSYBOX, root.join("bin/busybox")).expect("copy busybox");
    for applet in ["sh", "ls", "cat", "stat", "find", "echo"] {
        symlink("busybox", root.join("bin").join(applet)).expect("symlink");
    }
    add_data(&root);
    root
}

fn rootfs_run(image: &Path, program: &str, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(meridian_bin());
    cmd.arg("run")
        .arg("--rootfs")
        .arg(image)
        .arg("--")
        .arg(program)
        .args(args);
    run(cmd, b"", TIMEOUT)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn expect_ok(what: &str, out: &Outcome) -> String {
    assert_eq!(
        out.status,
        0,
        "{what}: status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The busybox applet natively, from inside `root` (relative paths).
fn native_busybox(root: &Path, args: &[&str]) -> String {
    let out = run(
        {
            let mut cmd = Command::new(BUSYBOX);
            cmd.args(args).current_dir(root);
            cmd
        },
        b"",
        TIMEOUT,
    );
    expect_ok(&format!("native busybox {args:?}"), &out)
}

fn sorted_lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn the_writable_layer_is_charged_to_the_memory_limit() {
    // What is written over the image (its in-memory upper layer) and to its /tmp counts
    // against `--limit memory` together: ENOSPC near 32 MiB, space back after rm, and
    // statfs of the root reports the limit. The image's own bytes are not charged.
    let dir = scratch_dir("rootfs-memory");
    let root = busybox_root(&dir);
    let image = dir.join("busybox.tar");
    make_tar(&root, &image, "gnu", false);
    let mut cmd = Command::new(meridian_bin());
    cmd.args(["run", "--limit", "memory=32M", "--rootfs"])
        .arg(&image)
        .args(["--", "/bin/busybox", "sh", "-c"])
        .arg(
            "busybox df -k / | busybox tail -1\n\
             busybox dd if=/dev/zero of=/data/big bs=1M count=40 2>&1 | busybox head -1\n\
             busybox dd if=/dev/zero of=/tmp/more bs=1M count=1 2>&1 | busybox head -1\n\
             busybox rm /data/big && busybox dd if=/dev/zero of=/tmp/more bs=1M count=16 \
             2>/dev/null && echo again ok\n",
        );
    let out = expect_ok("dd over the image", &run(cmd, b"", TIMEOUT));
    let mut lines = out.lines();
    let df: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(df.get(1), Some(&"32768"), "df -k /: {out}");
    assert_eq!(
        lines.collect::<Vec<_>>(),
        [
            "dd: error writing '/data/big': No space left on device",
            "dd: error writing '/tmp/more': No space left on device",
            "again ok",
        ],
        "{out}"
    );
}

#[test]
fn busybox_image_runs_and_matches_the_unpacked_tree() {
    let dir = scratch_dir("rootfs-busybox");
    let root = busybox_root(&dir);
    let image = dir.join("busybox.tar");
    make_tar(&root, &image, "gnu", false);
    let before = fs::read(&image).expect("read image");

    let out = rootfs_run(&image, "/bin/cat", &["/etc/os-release"]);
    assert_eq!(expect_ok("cat", &out), OS_RELEASE);

    // `ls /`: the image's entries plus the mount points of /dev, /proc and /tmp.
    let out = rootfs_run(&image, "/bin/ls", &["-1", "/"]);
    let mut expected = sorted_lines(&native_busybox(&root, &["ls", "-1", "."]));
    expected.extend(["dev", "proc", "tmp"].map(String::from));
    expected.sort();
    assert_eq!(sorted_lines(&expect_ok("ls /", &out)), expected);

    // Types, modes, link counts, sizes and modification times as in the tree (`ls -ln`
    // without its `total` line and directory sizes, which belong to the filesystem).
    let strip_total = |s: String| -> Vec<String> {
        s.lines()
            .filter(|l| !l.starts_with("total"))
            .map(|l| {
                let mut fields: Vec<&str> = l.split_whitespace().collect();
                if l.starts_with('d')
                    && let Some(size) = fields.get_mut(4)
                {
                    *size = "-";
                }
                fields.join(" ")
            })
            .collect()
    };
    let out = rootfs_run(&image, "/bin/ls", &["-ln", "--full-time", "/data"]);
    assert_eq!(
        strip_total(expect_ok("ls -ln", &out)),
        strip_total(native_busybox(&root, &["ls", "-ln", "--full-time", "data"]))
    );
    let stat_args = |prefix: &str| -> Vec<String> {
        let mut v = vec!["-c".to_string(), "%n %F %a %h %s %Y".to_string()];
        for f in [
            "a.txt",
            "b.txt",
            "hard-1",
            "hard-2",
            "link",
            "tree/x/y/z.txt",
        ] {
            v.push(format!("{prefix}data/{f}"));
        }
        v
    };
    let sandbox_args = stat_args("/");
    let args: Vec<&str> = sandbox_args.iter().map(String::as_str).collect();
    let out = rootfs_run(&image, "/bin/stat", &args);
    let native_args = stat_args("");
    let mut nargs: Vec<&str> = vec!["stat"];
    nargs.extend(native_args.iter().map(String::as_str));
    let native = native_busybox(&root, &nargs).replace("data/", "/data/");
    assert_eq!(expect_ok("stat", &out), native);

    // Every path, the long name included.
    let out = rootfs_run(&image, "/bin/find", &["/data"]);
    let native = native_busybox(&root, &["find", "data"]).replace("data", "/data");
    let native = native.replace("//data", "/data");
    assert_eq!(
        sorted_lines(&expect_ok("find", &out)),
        sorted_lines(&native)
    );

    // The same image compressed.
    let gz = dir.join("busybox.tar.gz");
    make_tar(&root, &gz, "gnu", true);
    let out = rootfs_run(&gz, "/bin/cat", &["/data/tree/x/y/z.txt"]);
    assert_eq!(expect_ok("gzip cat", &out), "zulu\n");

    // Deleting a file of the image in one run does not touch the image.
    let out = rootfs_run(
        &image,
        "/bin/busybox",
        &["rm", "/data/a.txt", "/data/b.txt"],
    );
    expect_ok("rm", &out);
    assert!(
        fs::read(&image).expect("read image") == before,
        "image changed"
    );
}

/// A python3 root: the interpreter, what `ldd` lists, the standard library, the test data.
fn python_root(dir: &Path) -> Option<PathBuf> {
    let real = fs::canonicalize(PYTHON).ok()?;
    let root = dir.join("python-root");
    let _ = fs::remove_dir_all(&root);
    let copy_to_same_path = |host: &Path| {
        let dest = root.join(host.strip_prefix("/").expect("absolute"));
        fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        fs::copy(host, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", host.display()));
    };
    copy_to_same_path(&real);
    symlink(real.file_name()?, root.join("usr/bin/python3")).expect("symlink");
    let ldd = Command::new("ldd").arg(&real).output().ok()?;
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        // "libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x...)" or "/lib64/ld-linux... (0x...)"
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(path) = path.filter(|p| p.starts_with('/')) {
            copy_to_same_path(Path::new(path));
        }
    }
    let version = real.file_name()?.to_str()?.to_string();
    let stdlib = Path::new("/usr/lib").join(&version);
    fs::create_dir_all(root.join("usr/lib")).expect("mkdir");
    sh(Command::new("cp")
        .arg("-a")
        .arg(&stdlib)
        .arg(root.join("usr/lib")));
    add_data(&root);
    Some(root)
}

#[test]
fn python_image_changes_go_through_the_overlay() {
    if !Path::new(PYTHON).exists() {
        eprintln!("skipped: no {PYTHON}");
        return;
    }
    let dir = scratch_dir("rootfs-python");
    let root = python_root(&dir).expect("python root");
    let image = dir.join("python.tar");
    make_tar(&root, &image, "pax", false);
    let before = fs::read(&image).expect("read image");
    let script = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rootfs/overlay_ops.py"),
    )
    .expect("script");

    // Natively on a copy of the tree (the script changes it).
    let copy = dir.join("native-copy");
    let _ = fs::remove_dir_all(&copy);
    sh(Command::new("cp").arg("-a").arg(&root).arg(&copy));
    let mut native = Command::new(PYTHON);
    native
        .args(["-S", "-c", &script])
        .env("ROOT", &copy)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let native = run(native, b"", TIMEOUT);
    let native = expect_ok("native python", &native);

    let mut cmd = Command::new(meridian_bin());
    cmd.arg("run")
        .arg("--rootfs")
        .arg(&image)
        .args(["--env", "PYTHONDONTWRITEBYTECODE=1"])
        .args(["--", "/usr/bin/python3", "-S", "-c", &script]);
    let sandboxed = run(cmd, b"", TIMEOUT);
    let sandboxed = expect_ok("sandboxed python", &sandboxed);
    assert_eq!(sandboxed, native, "sandbox vs native");
    assert!(sandboxed.contains("a.txt exists: False"));
    assert!(
        fs::read(&image).expect("read image") == before,
        "image changed"
    );
}

/// One valid 512-byte tar header for a regular file of `size` bytes named `name`.
fn raw_header(name: &[u8], size: usize) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

/// A valid busybox image with one more entry named `name` appended.
fn with_entry(base: &[u8], name: &[u8]) -> Vec<u8> {
    // Drop the end-of-archive blocks (and the rest of the record) before appending.
    let mut out = base.to_vec();
    while out.len() >= 512 && out[out.len() - 512..].iter().all(|&b| b == 0) {
        out.truncate(out.len() - 512);
    }
    out.extend(raw_header(name, 4));
    let mut data = b"evil".to_vec();
    data.resize(512, 0);
    out.extend(data);
    out.resize(out.len() + 1024, 0);
    out
}

#[test]
fn malformed_images_stop_the_run() {
    let dir = scratch_dir("rootfs-malformed");
    let root = busybox_root(&dir);
    let image = dir.join("good.tar");
    make_tar(&root, &image, "gnu", false);
    let good = fs::read(&image).expect("read");
    let gz = dir.join("good.tar.gz");
    make_tar(&root, &gz, "gnu", true);
    let mut corrupt_gz = fs::read(&gz).expect("read");
    let mid = corrupt_gz.len() / 2;
    for b in &mut corrupt_gz[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let mut bad_sum = good.clone();
    bad_sum[0] ^= 0x01; // the first header's name, under an unchanged checksum
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", good[..good.len() / 2].to_vec(), "truncated"),
        (
            "garbage",
            b"definitely not a tar file\n".repeat(100),
            "not a tar archive",
        ),
        ("checksum", bad_sum, "checksum"),
        (
            "traversal",
            with_entry(&good, b"../../escaped"),
            "traversal",
        ),
        (
            "traversal-inner",
            with_entry(&good, b"./data/../../x"),
            "traversal",
        ),
        ("absolute", with_entry(&good, b"/etc/shadow"), "absolute"),
        ("corrupt-gzip", corrupt_gz, "gzip"),
    ];
    for (name, bytes, reason) in cases {
        let path = dir.join(format!("{name}.tar"));
        fs::write(&path, &bytes).expect("write");
        let out = rootfs_run(&path, "/bin/echo", &["PROGRAM-RAN"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status, EXIT_MERIDIAN_ERROR, "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: the program ran");
        assert!(
            stderr.contains(&path.display().to_string()) && stderr.contains(reason),
            "{name}: expected the image and {reason:?} in: {stderr}"
        );
    }
    // The appended entry is fine when its name is.
    let path = dir.join("fine.tar");
    fs::write(&path, with_entry(&good, b"./data/extra")).expect("write");
    let out = rootfs_run(&path, "/bin/cat", &["/data/extra"]);
    assert_eq!(expect_ok("appended entry", &out), "evil");
    let out = rootfs_run(&dir.join("missing.tar"), "/bin/echo", &["PROGRAM-RAN"]);
    assert_eq!(out.status, EXIT_MERIDIAN_ERROR);
    assert!(out.stdout.is_empty());
}
