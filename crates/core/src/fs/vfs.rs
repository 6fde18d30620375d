//! Mounts and path resolution.
//!
//! [`Vfs`] holds the mount table (canonical mount point → root node, read-only flag) and
//! resolves paths one component at a time, as Linux's `namei` does (path_resolution(7)):
//! it keeps the chain of directories from the root to where it stands, so `..` goes back
//! along the path it came (out of a mount to the parent of its mount point, never above
//! `/`), a lookup whose canonical path is a mount point continues in that mount's root, and
//! symbolic links are spliced into the remaining path (absolute ones restart at `/`).
//! Filesystems only ever see [`Node::lookup`](super::Node::lookup) of a single plain name, so `..` and links
//! inside a host volume cannot leave the sandbox's root.
//!
//! Limits are Linux's: 40 links per resolution (`Error::Loop`), names of 255 bytes and
//! paths of 4095 (`Error::NameTooLong`).
//!
//! [`ResolveOpts`] adds what openat2(2) and permission checks ask of a resolution: search
//! permission on every directory walked (for non-root callers), and the `RESOLVE_*` scopes:
//! `beneath` (never above the starting directory: `..` there, absolute paths and absolute
//! links are `Error::CrossDevice`), `in_root` (the starting directory acts as `/`),
//! `no_symlinks`, `no_magiclinks` (`Error::Loop`) and `no_xdev` (crossing a mount:
//! `Error::CrossDevice`). `/proc` magic links ([`Node::follow_magic`](super::Node::follow_magic))
//! jump to the object they stand for.
//!
//! Depends on `fs` ([`Node`](super::Node), `perm`) and `error` only.

use super::perm::{Cred, MAY_EXEC};
use super::{FileType, NodeRef};
use crate::error::{Error, Result};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use spin::RwLock;

/// Most symbolic links followed in one resolution (`MAXSYMLINKS`, include/linux/namei.h).
pub const MAX_SYMLINKS: u32 = 40;
/// Longest path (`PATH_MAX` less its terminating NUL).
pub const PATH_MAX_BYTES: usize = 4095;
/// Longest name (`NAME_MAX`).
pub const NAME_MAX_BYTES: usize = 255;
/// Permission bits of directories and files [`Vfs::mount`] creates as mount points.
const MOUNT_POINT_DIR_PERM: u32 = 0o755;
const MOUNT_POINT_FILE_PERM: u32 = 0o644;

/// The outcome of a resolution.
#[derive(Clone)]
pub struct Resolved {
    /// The node found.
    pub node: NodeRef,
    /// Its canonical absolute path: no `.`, `..`, symbolic links or repeated `/`; `/` for the
    /// root.
    pub path: Vec<u8>,
    /// Whether the mount holding it is read-only.
    pub read_only: bool,
}

impl core::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Resolved")
            .field("path", &alloc::string::String::from_utf8_lossy(&self.path))
            .field("file_type", &self.node.file_type())
            .field("read_only", &self.read_only)
            .finish()
    }
}

/// How to resolve; [`ResolveOpts::default`] is plain path resolution with no checks.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResolveOpts<'a> {
    /// Follow a final symbolic link.
    pub follow_final: bool,
    /// Check search permission on the way for these ids (`None`: no checks).
    pub cred: Option<&'a Cred>,
    /// `RESOLVE_BENEATH`.
    pub beneath: bool,
    /// `RESOLVE_IN_ROOT`.
    pub in_root: bool,
    /// `RESOLVE_NO_SYMLINKS`.
    pub no_symlinks: bool,
    /// `RESOLVE_NO_MAGICLINKS`.
    pub no_magiclinks: bool,
    /// `RESOLVE_NO_XDEV`.
    pub no_xdev: bool,
}

impl ResolveOpts<'_> {
    fn scoped(&self) -> bool {
        self.beneath || self.in_root
    }
}

#[derive(Clone)]
struct Mount {
    root: NodeRef,
    read_only: bool,
    /// Order of mounting, for [`Vfs::mounts`].
    seq: u64,
}

struct MountTable {
    /// By canonical mount point in the walk's form: `""` for `/`, else `/a/b`.
    by_path: BTreeMap<Vec<u8>, Mount>,
    next_seq: u64,
}

/// The mount table and path resolution; see the module documentation.
pub struct Vfs {
    mounts: RwLock<MountTable>,
}

/// One directory on the way: its node, its mount's read-only flag and where its canonical
/// path ends in [`Walk::path`].
struct Step {
    node: NodeRef,
    read_only: bool,
    path_len: usize,
    /// Which mount it is in (the mount's sequence number).
    mount: u64,
}

/// Where a resolution stands: the chain from the root and its canonical path (`""` for the
/// root, `/a/b` below it).
struct Walk {
    steps: Vec<Step>,
    path: Vec<u8>,
    /// Steps at and below this index are the scope of `beneath`/`in_root` (1: the root).
    floor: usize,
}

impl Walk {
    fn top(&self) -> Result<&Step> {
        self.steps.last().ok_or(Error::NotFound)
    }

    /// Back to the root (the scope's root for `in_root`).
    fn restart(&mut self) {
        self.steps.truncate(self.floor.max(1));
        let len = self.steps.last().map_or(0, |s| s.path_len);
        self.path.truncate(len);
    }

    fn into_resolved(mut self) -> Result<Resolved> {
        let top = self.steps.pop().ok_or(Error::NotFound)?;
        self.path.truncate(top.path_len);
        Ok(Resolved {
            node: top.node,
            path: display_path(&self.path),
            read_only: top.read_only,
        })
    }
}

/// The walk's form of a path (`""` for the root) as users see it (`/`).
fn display_path(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        b"/".to_vec()
    } else {
        path.to_vec()
    }
}

/// The walk's form of a canonical path.
fn key_of(path: &[u8]) -> &[u8] {
    if path == b"/" { b"" } else { path }
}

/// The components of `path`, last first (so the next one is `pop`ped). A trailing `/`
/// becomes a final `.`: the name before it must be a directory, and a symbolic link there
/// is followed, as path_resolution(7) says of trailing slashes.
fn components_reversed(path: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    if path.ends_with(b"/") && path.iter().any(|&b| b != b'/') {
        out.push(b".".to_vec());
    }
    out.extend(
        path.split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .rev()
            .map(<[u8]>::to_vec),
    );
    out
}

impl Vfs {
    /// A VFS whose root mount (read-write) is `root`.
    pub fn new(root: NodeRef) -> Vfs {
        let mut by_path = BTreeMap::new();
        by_path.insert(
            Vec::new(),
            Mount {
                root,
                read_only: false,
                seq: 0,
            },
        );
        Vfs {
            mounts: RwLock::new(MountTable {
                by_path,
                next_seq: 1,
            }),
        }
    }

    /// Mount `root` at absolute `path` (creating missing directories on the way in the
    /// parent mount if it is a tmpfs-like writable node; error if they can't be created),
    /// read_only applies to the whole mount.
    ///
    /// Symbolic links on the way are followed and the mount point is the canonical path.
    /// A missing final component is created as a directory, or as an empty file when `root`
    /// is not a directory (a file mount); an existing one must be of the same kind
    /// (`Error::NotDir` / `Error::IsDir`). `..` is refused (`Error::Invalid`). Mounting on
    /// a mount point again (or on `/`) replaces that mount.
    pub fn mount(&self, path: &[u8], root: NodeRef, read_only: bool) -> Result<()> {
        if !path.starts_with(b"/") {
            return Err(Error::Invalid);
        }
        if path.len() > PATH_MAX_BYTES {
            return Err(Error::NameTooLong);
        }
        let mount_dir = root.file_type() == FileType::Directory;
        let names: Vec<&[u8]> = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
            .collect();
        if names.iter().any(|c| *c == b"..") {
            return Err(Error::Invalid);
        }
        let mut current = self.resolve(b"/", b"/", true)?;
        let count = names.len();
        for (i, name) in names.into_iter().enumerate() {
            let last = i + 1 == count;
            current = match self.resolve(&current.path, name, true) {
                Ok(found) => found,
                Err(Error::NotFound) => {
                    let (file_type, perm) = if last && !mount_dir {
                        (FileType::Regular, MOUNT_POINT_FILE_PERM)
                    } else {
                        (FileType::Directory, MOUNT_POINT_DIR_PERM)
                    };
                    current.node.create(name, file_type, perm)?;
                    self.resolve(&current.path, name, true)?
                }
                Err(e) => return Err(e),
            };
        }
        match (mount_dir, current.node.file_type() == FileType::Directory) {
            (true, false) => return Err(Error::NotDir),
            (false, true) => return Err(Error::IsDir),
            _ => {}
        }
        let mut table = self.mounts.write();
        let seq = table.next_seq;
        table.next_seq = seq.saturating_add(1);
        table.by_path.insert(
            key_of(&current.path).to_vec(),
            Mount {
                root,
                read_only,
                seq,
            },
        );
        Ok(())
    }

    /// Resolve `path` (absolute, or relative to the absolute canonical directory `base`).
    /// follow_final: follow a final symlink. Trailing slash on a non-directory → NotDir.
    /// Empty path → NotFound.
    pub fn resolve(&self, base: &[u8], path: &[u8], follow_final: bool) -> Result<Resolved> {
        let opts = ResolveOpts {
            follow_final,
            ..ResolveOpts::default()
        };
        self.resolve_with(base, path, &opts)
    }

    /// [`Vfs::resolve`] with checks and scopes; see [`ResolveOpts`].
    pub fn resolve_with(
        &self,
        base: &[u8],
        path: &[u8],
        opts: &ResolveOpts<'_>,
    ) -> Result<Resolved> {
        if path.is_empty() {
            return Err(Error::NotFound);
        }
        if path.len() > PATH_MAX_BYTES {
            return Err(Error::NameTooLong);
        }
        let walk = self.start(base, path, opts)?;
        self.walk(walk, path, opts)?.into_resolved()
    }

    /// Resolve all but the last component; returns the parent directory and the final name.
    ///
    /// Trailing slashes are allowed and stripped (the shim checks directory-ness). A path
    /// naming the root itself (`/`, `//`) is `Error::Exists` (what mkdir(2) of `/` gives on
    /// Linux); a final `.` or `..` is `Error::Invalid`; an empty path `Error::NotFound`; a
    /// parent that is no directory `Error::NotDir`.
    pub fn resolve_parent(&self, base: &[u8], path: &[u8]) -> Result<(Resolved, Vec<u8>)> {
        self.resolve_parent_with(base, path, &ResolveOpts::default())
    }

    /// [`Vfs::resolve_parent`] with checks and scopes; the parent must also be searchable.
    pub fn resolve_parent_with(
        &self,
        base: &[u8],
        path: &[u8],
        opts: &ResolveOpts<'_>,
    ) -> Result<(Resolved, Vec<u8>)> {
        if path.is_empty() {
            return Err(Error::NotFound);
        }
        if path.len() > PATH_MAX_BYTES {
            return Err(Error::NameTooLong);
        }
        let end = path.iter().rposition(|&b| b != b'/').ok_or(Error::Exists)?;
        let trimmed = path.get(..=end).ok_or(Error::Invalid)?;
        let (dir, name) = match trimmed.iter().rposition(|&b| b == b'/') {
            Some(slash) => {
                let dir = trimmed.get(..=slash).ok_or(Error::Invalid)?;
                (dir, trimmed.get(slash + 1..).ok_or(Error::Invalid)?)
            }
            None => (&b""[..], trimmed),
        };
        if name == b"." || name == b".." {
            return Err(Error::Invalid);
        }
        if name.len() > NAME_MAX_BYTES {
            return Err(Error::NameTooLong);
        }
        let opts = ResolveOpts {
            follow_final: true,
            ..*opts
        };
        let walk = self.start(base, dir, &opts)?;
        let parent = self.walk(walk, dir, &opts)?.into_resolved()?;
        if parent.node.file_type() != FileType::Directory {
            return Err(Error::NotDir);
        }
        if let Some(cred) = opts.cred.filter(|c| !c.is_privileged()) {
            cred.check(&parent.node.metadata()?, MAY_EXEC)?;
        }
        Ok((parent, name.to_vec()))
    }

    /// The mount table as (mount point, read_only), for /proc/self/mounts, in mount order.
    pub fn mounts(&self) -> Vec<(Vec<u8>, bool)> {
        let table = self.mounts.read();
        let mut list: Vec<(u64, Vec<u8>, bool)> = table
            .by_path
            .iter()
            .map(|(path, m)| (m.seq, display_path(path), m.read_only))
            .collect();
        list.sort_by_key(|(seq, _, _)| *seq);
        list.into_iter()
            .map(|(_, path, read_only)| (path, read_only))
            .collect()
    }

    /// Whether canonical absolute `path` is a mount point (rmdir(2) and rename(2) of one
    /// are `EBUSY`).
    pub fn is_mount_point(&self, path: &[u8]) -> bool {
        self.mounts.read().by_path.contains_key(key_of(path))
    }

    fn mount_at(&self, path: &[u8]) -> Option<Mount> {
        self.mounts.read().by_path.get(path).cloned()
    }

    /// The walk's starting point: the root for an absolute `path`, else `base` (which is
    /// also the scope of `beneath`/`in_root`).
    fn start(&self, base: &[u8], path: &[u8], opts: &ResolveOpts<'_>) -> Result<Walk> {
        let root = self.mount_at(b"").ok_or(Error::NotFound)?;
        let walk = Walk {
            steps: alloc::vec![Step {
                node: root.root,
                read_only: root.read_only,
                path_len: 0,
                mount: root.seq,
            }],
            path: Vec::new(),
            floor: 1,
        };
        let absolute = path.starts_with(b"/");
        if absolute && opts.beneath {
            return Err(Error::CrossDevice);
        }
        if absolute && !opts.in_root {
            return Ok(walk);
        }
        if !base.starts_with(b"/") {
            return Err(Error::Invalid);
        }
        // The base was reached before; resolving it again checks nothing.
        let plain = ResolveOpts {
            follow_final: true,
            ..ResolveOpts::default()
        };
        let mut walk = self.walk(walk, base, &plain)?;
        if walk.top()?.node.file_type() != FileType::Directory {
            return Err(Error::NotDir);
        }
        if opts.scoped() {
            walk.floor = walk.steps.len();
        }
        Ok(walk)
    }

    /// Walk `path` (whose leading `/`, if any, `start` has dealt with) from `walk`.
    fn walk(&self, mut walk: Walk, path: &[u8], opts: &ResolveOpts<'_>) -> Result<Walk> {
        let follow_final = opts.follow_final;
        let cred = opts.cred.filter(|c| !c.is_privileged());
        let mut pending = components_reversed(path);
        let mut links = 0u32;
        while let Some(name) = pending.pop() {
            let top = walk.top()?;
            // Every component, even `.` and `..`, must be looked up in a directory.
            if top.node.file_type() != FileType::Directory {
                return Err(Error::NotDir);
            }
            if let Some(cred) = cred {
                cred.check(&top.node.metadata()?, MAY_EXEC)?;
            }
            match &name[..] {
                b"." => continue,
                b".." => {
                    if walk.steps.len() <= walk.floor.max(1) {
                        // At the root of the scope: `..` stays (in_root, or `/`), or
                        // leaves it (beneath).
                        if opts.beneath {
                            return Err(Error::CrossDevice);
                        }
                        continue;
                    }
                    let left = walk.steps.pop().map(|s| s.mount);
                    let now = walk.top()?.mount;
                    if opts.no_xdev && left != Some(now) {
                        return Err(Error::CrossDevice);
                    }
                    let len = walk.top()?.path_len;
                    walk.path.truncate(len);
                    continue;
                }
                _ => {}
            }
            if name.len() > NAME_MAX_BYTES {
                return Err(Error::NameTooLong);
            }
            let parent_len = walk.top()?.path_len;
            walk.path.truncate(parent_len);
            walk.path.push(b'/');
            walk.path.extend_from_slice(&name);
            // A mount point is found even if the guest removed or replaced the directory
            // under it.
            let (node, read_only, mount) = match self.mount_at(&walk.path) {
                Some(mount) => (mount.root, mount.read_only, mount.seq),
                None => {
                    let top = walk.top()?;
                    (top.node.lookup(&name)?, top.read_only, top.mount)
                }
            };
            if opts.no_xdev && mount != walk.top()?.mount {
                return Err(Error::CrossDevice);
            }
            let is_final = pending.is_empty();
            if node.file_type() == FileType::Symlink && (!is_final || follow_final) {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(Error::Loop);
                }
                if opts.no_symlinks {
                    return Err(Error::Loop);
                }
                if let Some(jump) = node.follow_magic() {
                    if opts.no_magiclinks {
                        return Err(Error::Loop);
                    }
                    if opts.scoped() {
                        return Err(Error::CrossDevice);
                    }
                    let target = jump?;
                    if opts.no_xdev {
                        return Err(Error::CrossDevice);
                    }
                    walk.path.truncate(parent_len);
                    if is_final {
                        // The object itself, even one without a name any more.
                        walk.path = key_of(&target.path).to_vec();
                        walk.steps.push(Step {
                            node: target.node,
                            read_only: target.read_only,
                            path_len: walk.path.len(),
                            mount,
                        });
                    } else {
                        walk.restart();
                        pending.extend(components_reversed(&target.path));
                    }
                    continue;
                }
                let target = node.read_link()?;
                if target.is_empty() {
                    return Err(Error::NotFound);
                }
                if target.len() > PATH_MAX_BYTES {
                    return Err(Error::NameTooLong);
                }
                walk.path.truncate(parent_len);
                if target.starts_with(b"/") {
                    if opts.beneath {
                        return Err(Error::CrossDevice);
                    }
                    walk.restart();
                    if opts.no_xdev && walk.top()?.mount != mount {
                        return Err(Error::CrossDevice);
                    }
                }
                pending.extend(components_reversed(&target));
                continue;
            }
            walk.steps.push(Step {
                node,
                read_only,
                path_len: walk.path.len(),
                mount,
            });
        }
        Ok(walk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::hostfs::tests::sample;
    use crate::fs::hostfs::volume_root;
    use crate::fs::tmpfs::TmpFs;
    use crate::time::Nanos;
    use alloc::sync::Arc;
    use alloc::vec;

    fn tmpfs(dev: u64) -> Arc<TmpFs> {
        TmpFs::new(dev, Arc::new(|| Nanos(0)))
    }

    /// `/` tmpfs with `/a/b/file`, `/a/link_rel` → `b/file`, `/abs` → `/a/b`,
    /// `/loop1` ↔ `/loop2`, `/self` → `self`, `/dangling` → `nowhere`, `/file`.
    fn sample_vfs() -> Result<(Vfs, Arc<TmpFs>)> {
        let fs = tmpfs(1);
        let root = fs.root();
        let a = TmpFs::add_dir(&root, b"a", 0o755)?;
        let b = TmpFs::add_dir(&a, b"b", 0o755)?;
        TmpFs::add_file(&b, b"file", b"data", 0o644)?;
        TmpFs::add_file(&root, b"file", b"top", 0o644)?;
        TmpFs::add_symlink(&a, b"link_rel", b"b/file")?;
        TmpFs::add_symlink(&a, b"link_up", b"../file")?;
        TmpFs::add_symlink(&a, b"rel_dir", b"./b")?;
        TmpFs::add_symlink(&root, b"abs", b"/a/b")?;
        TmpFs::add_symlink(&root, b"abs_slash", b"/a/b/")?;
        TmpFs::add_symlink(&root, b"loop1", b"loop2")?;
        TmpFs::add_symlink(&root, b"loop2", b"/loop1")?;
        TmpFs::add_symlink(&root, b"self", b"self")?;
        TmpFs::add_symlink(&root, b"dangling", b"nowhere")?;
        Ok((Vfs::new(fs.root()), fs))
    }

    fn path_of(vfs: &Vfs, base: &str, path: &str) -> Result<alloc::string::String> {
        let r = vfs.resolve(base.as_bytes(), path.as_bytes(), true)?;
        Ok(alloc::string::String::from_utf8_lossy(&r.path).into_owned())
    }

    fn err_of(vfs: &Vfs, path: &str, follow: bool) -> Option<Error> {
        vfs.resolve(b"/", path.as_bytes(), follow).err()
    }

    #[test]
    fn dots_and_canonical_paths() -> Result<()> {
        let (vfs, _fs) = sample_vfs()?;
        assert_eq!(path_of(&vfs, "/", "/")?, "/");
        assert_eq!(path_of(&vfs, "/", "//a///b/")?, "/a/b");
        assert_eq!(path_of(&vfs, "/", "/a/./b/..")?, "/a");
        assert_eq!(path_of(&vfs, "/", "/..")?, "/");
        assert_eq!(path_of(&vfs, "/", "/../../a/../..")?, "/");
        assert_eq!(path_of(&vfs, "/a", "b/file")?, "/a/b/file");
        assert_eq!(path_of(&vfs, "/a/b", "..")?, "/a");
        assert_eq!(path_of(&vfs, "/a/b", "../../../file")?, "/file");
        assert_eq!(path_of(&vfs, "/a", ".")?, "/a");
        assert_eq!(vfs.resolve(b"/", b"", true).err(), Some(Error::NotFound));
        assert_eq!(
            vfs.resolve(b"relative", b"x", true).err(),
            Some(Error::Invalid)
        );
        assert_eq!(vfs.resolve(b"/file", b"x", true).err(), Some(Error::NotDir));
        assert_eq!(err_of(&vfs, "/missing/x", true), Some(Error::NotFound));
        let mut buf = [0u8; 8];
        let r = vfs.resolve(b"/a", b"b/file", true)?;
        assert_eq!(r.node.read_at(0, &mut buf)?, 4);
        assert!(!r.read_only);
        Ok(())
    }

    #[test]
    fn non_directories_in_the_middle_and_trailing_slashes() -> Result<()> {
        let (vfs, _fs) = sample_vfs()?;
        assert_eq!(err_of(&vfs, "/file/x", true), Some(Error::NotDir));
        assert_eq!(err_of(&vfs, "/file/", true), Some(Error::NotDir));
        assert_eq!(err_of(&vfs, "/file/.", true), Some(Error::NotDir));
        assert_eq!(err_of(&vfs, "/file/..", true), Some(Error::NotDir));
        assert_eq!(err_of(&vfs, "/a/link_rel/", true), Some(Error::NotDir));
        // A trailing slash follows a final link even without follow_final.
        let r = vfs.resolve(b"/", b"/abs/", false)?;
        assert_eq!(
            (r.path.as_slice(), r.node.file_type()),
            (&b"/a/b"[..], FileType::Directory)
        );
        let r = vfs.resolve(b"/", b"/abs", false)?;
        assert_eq!(
            (r.path.as_slice(), r.node.file_type()),
            (&b"/abs"[..], FileType::Symlink)
        );
        assert_eq!(path_of(&vfs, "/", "/a/b/")?, "/a/b");
        // A trailing slash inside a link's target counts too.
        assert_eq!(path_of(&vfs, "/", "/abs_slash")?, "/a/b");
        Ok(())
    }

    #[test]
    fn symlinks() -> Result<()> {
        let (vfs, _fs) = sample_vfs()?;
        assert_eq!(path_of(&vfs, "/", "/a/link_rel")?, "/a/b/file");
        assert_eq!(path_of(&vfs, "/", "/a/link_up")?, "/file");
        assert_eq!(path_of(&vfs, "/", "/abs/file")?, "/a/b/file");
        assert_eq!(path_of(&vfs, "/", "/a/rel_dir/file")?, "/a/b/file");
        assert_eq!(
            path_of(&vfs, "/a", "rel_dir/../rel_dir/./file")?,
            "/a/b/file"
        );
        assert_eq!(path_of(&vfs, "/a", "../abs/../link_rel")?, "/a/b/file");
        // `..` after a link goes up from the link's target, not from where the link was.
        assert_eq!(path_of(&vfs, "/", "/abs/..")?, "/a");
        let r = vfs.resolve(b"/", b"/a/link_rel", false)?;
        assert_eq!(
            (r.path.as_slice(), r.node.file_type()),
            (&b"/a/link_rel"[..], FileType::Symlink)
        );
        assert_eq!(err_of(&vfs, "/loop1", true), Some(Error::Loop));
        assert_eq!(err_of(&vfs, "/self", true), Some(Error::Loop));
        assert_eq!(err_of(&vfs, "/self/x", false), Some(Error::Loop));
        assert!(vfs.resolve(b"/", b"/loop1", false).is_ok());
        assert_eq!(err_of(&vfs, "/dangling", true), Some(Error::NotFound));
        assert!(vfs.resolve(b"/", b"/dangling", false).is_ok());
        Ok(())
    }

    #[test]
    fn forty_links_are_fine_forty_one_are_not() -> Result<()> {
        let fs = tmpfs(1);
        let root = fs.root();
        TmpFs::add_file(&root, b"l0", b"end", 0o644)?;
        for i in 1..=41 {
            let name = alloc::format!("l{i}");
            let target = alloc::format!("l{}", i - 1);
            TmpFs::add_symlink(&root, name.as_bytes(), target.as_bytes())?;
        }
        let vfs = Vfs::new(root);
        assert_eq!(path_of(&vfs, "/", "/l40")?, "/l0");
        assert_eq!(err_of(&vfs, "/l41", true), Some(Error::Loop));
        Ok(())
    }

    #[test]
    fn length_limits() -> Result<()> {
        let (vfs, _fs) = sample_vfs()?;
        let long_name = alloc::format!("/{}", "n".repeat(256));
        assert_eq!(err_of(&vfs, &long_name, true), Some(Error::NameTooLong));
        assert_eq!(
            err_of(&vfs, &alloc::format!("/{}", "n".repeat(255)), true),
            Some(Error::NotFound)
        );
        let long_path = "/.".repeat(2048);
        assert_eq!(err_of(&vfs, &long_path, true), Some(Error::NameTooLong));
        assert_eq!(path_of(&vfs, "/", &long_path[..4094])?, "/");
        assert_eq!(
            vfs.resolve_parent(b"/", long_path.as_bytes()).err(),
            Some(Error::NameTooLong)
        );
        Ok(())
    }

    #[test]
    fn mounts_are_crossed_both_ways() -> Result<()> {
        let (vfs, fs) = sample_vfs()?;
        let other = tmpfs(2);
        TmpFs::add_file(&other.root(), b"inner", b"x", 0o644)?;
        TmpFs::add_symlink(&other.root(), b"up", b"../file")?;
        TmpFs::add_symlink(&other.root(), b"escape", b"/a/b")?;
        vfs.mount(b"/mnt/deep", other.root(), true)?;
        // The mount point was created in the root tmpfs.
        assert_eq!(
            fs.root().lookup(b"mnt")?.lookup(b"deep")?.file_type(),
            FileType::Directory
        );
        let r = vfs.resolve(b"/", b"/mnt/deep/inner", true)?;
        assert_eq!(
            (r.path.as_slice(), r.read_only),
            (&b"/mnt/deep/inner"[..], true)
        );
        assert_eq!(r.node.metadata()?.dev, 2);
        let r = vfs.resolve(b"/", b"/mnt/deep", true)?;
        assert!(Arc::ptr_eq(&r.node, &other.root()));
        assert!(r.read_only);
        // `..` out of the mount root lands in the parent of the mount point.
        let r = vfs.resolve(b"/mnt/deep", b"..", true)?;
        assert_eq!((r.path.as_slice(), r.read_only), (&b"/mnt"[..], false));
        assert_eq!(r.node.metadata()?.dev, 1);
        // A relative link in the mount climbs out of it through the mount point.
        assert_eq!(
            path_of(&vfs, "/", "/mnt/deep/up").err(),
            Some(Error::NotFound)
        );
        TmpFs::add_file(&fs.root().lookup(b"mnt")?, b"file", b"", 0o644)?;
        assert_eq!(path_of(&vfs, "/", "/mnt/deep/up")?, "/mnt/file");
        // An absolute link in the mount goes to the sandbox's root.
        let r = vfs.resolve(b"/", b"/mnt/deep/escape/file", true)?;
        assert_eq!((r.path.as_slice(), r.read_only), (&b"/a/b/file"[..], false));
        // Entering through a link into the mount.
        TmpFs::add_symlink(&fs.root(), b"tomnt", b"mnt/deep")?;
        let r = vfs.resolve(b"/", b"/tomnt/inner", true)?;
        assert_eq!(
            (r.path.as_slice(), r.read_only),
            (&b"/mnt/deep/inner"[..], true)
        );
        // The mount stays reachable when the directory under it goes.
        fs.root().lookup(b"mnt")?.unlink(b"deep", true)?;
        assert_eq!(path_of(&vfs, "/", "/mnt/deep/inner")?, "/mnt/deep/inner");
        assert!(vfs.is_mount_point(b"/mnt/deep"));
        assert!(vfs.is_mount_point(b"/"));
        assert!(!vfs.is_mount_point(b"/mnt"));
        assert_eq!(
            vfs.mounts(),
            vec![(b"/".to_vec(), false), (b"/mnt/deep".to_vec(), true)]
        );
        Ok(())
    }

    #[test]
    fn mount_rules() -> Result<()> {
        let (vfs, _fs) = sample_vfs()?;
        let other = tmpfs(2);
        assert_eq!(
            vfs.mount(b"rel", other.root(), false).err(),
            Some(Error::Invalid)
        );
        assert_eq!(
            vfs.mount(b"/a/../x", other.root(), false).err(),
            Some(Error::Invalid)
        );
        assert_eq!(
            vfs.mount(b"/file", other.root(), false).err(),
            Some(Error::NotDir)
        );
        assert_eq!(
            vfs.mount(b"/file/x", other.root(), false).err(),
            Some(Error::NotDir)
        );
        // Mount points are canonical: through a link.
        vfs.mount(b"/abs", other.root(), false)?;
        assert_eq!(
            vfs.mounts().last().map(|m| m.0.clone()),
            Some(b"/a/b".to_vec())
        );
        assert_eq!(path_of(&vfs, "/", "/a/b/.")?, "/a/b");
        assert_eq!(
            vfs.resolve(b"/", b"/a/b/file", true).err(),
            Some(Error::NotFound)
        );
        // A file mount.
        let file = TmpFs::add_file(&other.root(), b"resolv", b"nameserver", 0o644)?;
        vfs.mount(b"/etc/resolv.conf", file.clone(), true)?;
        let r = vfs.resolve(b"/", b"/etc/resolv.conf", true)?;
        assert!(Arc::ptr_eq(&r.node, &file) && r.read_only);
        assert_eq!(vfs.mount(b"/a", file, true).err(), Some(Error::IsDir));
        // Mount points that cannot be created.
        let host = sample(false);
        vfs.mount(b"/host", volume_root(host, 0)?, true)?;
        assert_eq!(
            vfs.mount(b"/host/new", other.root(), false).err(),
            Some(Error::ReadOnly)
        );
        // Replacing the root.
        let new_root = tmpfs(3);
        vfs.mount(b"/", new_root.root(), true)?;
        let r = vfs.resolve(b"/", b"/", true)?;
        assert!(Arc::ptr_eq(&r.node, &new_root.root()) && r.read_only);
        Ok(())
    }

    #[test]
    fn parents() -> Result<()> {
        let (vfs, _fs) = sample_vfs()?;
        let (parent, name) = vfs.resolve_parent(b"/", b"/a/b/new")?;
        assert_eq!(
            (parent.path.as_slice(), name.as_slice()),
            (&b"/a/b"[..], &b"new"[..])
        );
        let (parent, name) = vfs.resolve_parent(b"/a", b"b//")?;
        assert_eq!(
            (parent.path.as_slice(), name.as_slice()),
            (&b"/a"[..], &b"b"[..])
        );
        let (parent, name) = vfs.resolve_parent(b"/a/b", b"x")?;
        assert_eq!(
            (parent.path.as_slice(), name.as_slice()),
            (&b"/a/b"[..], &b"x"[..])
        );
        let (parent, name) = vfs.resolve_parent(b"/", b"/top")?;
        assert_eq!(
            (parent.path.as_slice(), name.as_slice()),
            (&b"/"[..], &b"top"[..])
        );
        // The final link is not followed; links on the way are.
        let (parent, name) = vfs.resolve_parent(b"/", b"/abs/link")?;
        assert_eq!(
            (parent.path.as_slice(), name.as_slice()),
            (&b"/a/b"[..], &b"link"[..])
        );
        let (parent, name) = vfs.resolve_parent(b"/", b"/dangling")?;
        assert_eq!(
            (parent.path.as_slice(), name.as_slice()),
            (&b"/"[..], &b"dangling"[..])
        );
        assert_eq!(vfs.resolve_parent(b"/", b"/").err(), Some(Error::Exists));
        assert_eq!(vfs.resolve_parent(b"/", b"///").err(), Some(Error::Exists));
        assert_eq!(vfs.resolve_parent(b"/", b"").err(), Some(Error::NotFound));
        assert_eq!(
            vfs.resolve_parent(b"/", b"/a/.").err(),
            Some(Error::Invalid)
        );
        assert_eq!(vfs.resolve_parent(b"/", b"..").err(), Some(Error::Invalid));
        assert_eq!(
            vfs.resolve_parent(b"/", b"/file/x").err(),
            Some(Error::NotDir)
        );
        assert_eq!(
            vfs.resolve_parent(b"/", b"/nope/x").err(),
            Some(Error::NotFound)
        );
        let long = alloc::format!("/a/{}", "n".repeat(256));
        assert_eq!(
            vfs.resolve_parent(b"/", long.as_bytes()).err(),
            Some(Error::NameTooLong)
        );
        Ok(())
    }

    #[test]
    fn host_volume_links_stay_in_the_sandbox() -> Result<()> {
        let (vfs, fs) = sample_vfs()?;
        let etc = TmpFs::add_dir(&fs.root(), b"etc", 0o755)?;
        TmpFs::add_file(&etc, b"passwd", b"sandbox passwd", 0o644)?;
        TmpFs::add_file(&fs.root(), b"x", b"sandbox x", 0o644)?;
        let host = sample(false);
        vfs.mount(b"/mnt/vol", volume_root(host, 0)?, true)?;
        let read = |path: &[u8]| -> Result<Vec<u8>> {
            let r = vfs.resolve(b"/", path, true)?;
            let opened = r.node.open(false)?;
            let mut buf = vec![0u8; 64];
            let n = opened.read_at(0, &mut buf)?;
            opened.release();
            buf.truncate(n);
            Ok(buf)
        };
        // An absolute link in the volume names the sandbox's /etc/passwd, not the host's.
        assert_eq!(read(b"/mnt/vol/bin/abs")?, b"sandbox passwd");
        // `../../x` from /mnt/vol/bin climbs to /mnt, then to /, inside the sandbox.
        assert_eq!(
            path_of(&vfs, "/", "/mnt/vol/bin/up").err(),
            Some(Error::NotFound)
        );
        TmpFs::add_file(&fs.root().lookup(b"mnt")?, b"x", b"sandbox mnt x", 0o644)?;
        assert_eq!(path_of(&vfs, "/", "/mnt/vol/bin/up")?, "/mnt/x");
        assert_eq!(read(b"/mnt/vol/bin/up")?, b"sandbox mnt x");
        // `..` past the volume root leaves the volume in the sandbox's tree.
        assert_eq!(read(b"/mnt/vol/../../x")?, b"sandbox x");
        assert_eq!(read(b"/mnt/vol/bin/../../../x")?, b"sandbox x");
        // The volume itself is read normally and read-only.
        let r = vfs.resolve(b"/mnt/vol", b"etc/passwd", true)?;
        assert!(r.read_only);
        assert_eq!(read(b"/mnt/vol/etc/passwd")?, b"host secret");
        // Every path the host was asked about is plain and relative.
        for asked in host.asked.lock().iter() {
            assert!(!asked.starts_with(b"/"));
            assert!(asked.split(|&b| b == b'/').all(|c| c != b".." && c != b"."));
        }
        Ok(())
    }

    #[test]
    fn openat2_scopes() -> Result<()> {
        let (vfs, fs) = sample_vfs()?;
        let other = tmpfs(2);
        vfs.mount(b"/a/m", other.root(), false)?;
        let with = |base: &str, path: &str, o: ResolveOpts<'_>| {
            vfs.resolve_with(base.as_bytes(), path.as_bytes(), &o)
                .map(|r| alloc::string::String::from_utf8_lossy(&r.path).into_owned())
        };
        let follow = ResolveOpts {
            follow_final: true,
            ..ResolveOpts::default()
        };
        let beneath = ResolveOpts {
            beneath: true,
            ..follow
        };
        assert_eq!(with("/a", "b/file", beneath)?, "/a/b/file");
        assert_eq!(with("/a", "b/../b/file", beneath)?, "/a/b/file");
        assert_eq!(with("/a", "..", beneath).err(), Some(Error::CrossDevice));
        assert_eq!(with("/a", "/file", beneath).err(), Some(Error::CrossDevice));
        assert_eq!(
            with("/a", "link_up", beneath).err(),
            Some(Error::CrossDevice)
        );
        assert_eq!(with("/", "abs", beneath).err(), Some(Error::CrossDevice));
        let in_root = ResolveOpts {
            in_root: true,
            ..follow
        };
        // `..` stays at the scope's root; absolute paths start there.
        assert_eq!(with("/a", "../../b/file", in_root)?, "/a/b/file");
        assert_eq!(with("/a", "/b/file", in_root)?, "/a/b/file");
        TmpFs::add_symlink(&fs.root().lookup(b"a")?, b"rooted", b"/b")?;
        assert_eq!(with("/a", "rooted/file", in_root)?, "/a/b/file");
        let no_links = ResolveOpts {
            no_symlinks: true,
            ..follow
        };
        assert_eq!(with("/a", "link_rel", no_links).err(), Some(Error::Loop));
        assert_eq!(with("/a", "b/file", no_links)?, "/a/b/file");
        let no_xdev = ResolveOpts {
            no_xdev: true,
            ..follow
        };
        assert_eq!(with("/a", "m", no_xdev).err(), Some(Error::CrossDevice));
        assert_eq!(with("/a/m", "..", no_xdev).err(), Some(Error::CrossDevice));
        assert_eq!(with("/a", "b", no_xdev)?, "/a/b");
        Ok(())
    }

    #[test]
    fn search_permission_for_non_root() -> Result<()> {
        let (vfs, fs) = sample_vfs()?;
        let a = fs.root().lookup(b"a")?;
        a.set_mode(0o700)?;
        let user = Cred {
            uid: 1000,
            gid: 1000,
            groups: Vec::new(),
        };
        let opts = ResolveOpts {
            follow_final: true,
            cred: Some(&user),
            ..ResolveOpts::default()
        };
        assert_eq!(
            vfs.resolve_with(b"/", b"/a/b/file", &opts).err(),
            Some(Error::Access)
        );
        assert_eq!(
            vfs.resolve_parent_with(b"/", b"/a/x", &opts).err(),
            Some(Error::Access)
        );
        assert!(vfs.resolve_with(b"/", b"/a", &opts).is_ok());
        let root = Cred::root();
        let opts = ResolveOpts {
            cred: Some(&root),
            ..opts
        };
        assert!(vfs.resolve_with(b"/", b"/a/b/file", &opts).is_ok());
        Ok(())
    }
}
