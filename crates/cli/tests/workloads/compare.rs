//! How the workloads' results are compared: a dual run's output line by line with the
//! [`Known`] differences it may have, busybox output reshaped where its order or some times
//! belong to the filesystem or the run ([`Order`]), and host directories ([`host_tree`]).

use super::common;
use super::{TIMEOUT, text};
use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hasher};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Modification times before 2020-01-01 come from the fixture and were kept by the workload,
/// so they must match; later ones are "now" at the time of a run.
const KEPT_TIMES_BEFORE_SECS: i64 = 1_577_836_800;

/// A way the sandbox's output may differ from native, and why; `accepts(native, sandbox)`
/// recognises one line of it.
pub(crate) struct Known<'a> {
    pub(crate) name: &'static str,
    pub(crate) reason: &'static str,
    pub(crate) accepts: &'a dyn Fn(&str, &str) -> bool,
}

/// Checks a dual run: the native run succeeded, the sandbox's exit status is the same and its
/// stdout too, line by line, except for lines that one of `known` accepts; every entry of
/// `known` must be met at least once.
pub(crate) fn check(what: &str, run: &common::DualRun, known: &[Known]) {
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
                "{what}: line {} differs:\n  native:  {n:?}\n  sandbox: {s:?}\n  \
                 sandbox stderr:\n{}",
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
pub(crate) const OVERLAY_KNOWN: &[Known<'static>] = &[
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

/// How a step's stdout is compared.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
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
pub(crate) fn dual(what: &str, native: Command, sandboxed: Command, order: Order, known: &[Known]) {
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

/// The host's view of `root`, one line per entry sorted by path: type, mode, size, link
/// count, which names share an inode, a hash of the contents, link targets and kept times.
pub(crate) fn host_tree(root: &Path) -> String {
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

pub(crate) fn assert_same_trees(what: &str, native: &Path, sandbox: &Path) {
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
