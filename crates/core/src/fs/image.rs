//! Read-only filesystem images: a validated description of a tree ([`ImageTree`]) and the
//! step that turns it into an in-memory filesystem ([`ImageTree::build`]).
//!
//! An image reader (the `meridian-image` crate reads tar archives) feeds entries one by one
//! into [`ImageTree::insert`], which checks everything that could make the tree ill-formed
//! before anything is built: names (no `..`, no NUL, at most `NAME_MAX` bytes), parents that
//! are not directories, hard links to missing entries or to directories, and the limits of
//! [`ImageLimits`]. Entries may come in any order: directories implied by a path are created
//! with mode 0755 and replaced in place when their own entry arrives; a later entry for the
//! same path replaces the earlier one, as extracting the archive would. Hard links share one
//! inode ([`InodeId`]) so that they become real links (same `st_ino`, `st_nlink` counted).
//!
//! [`ImageTree::build`] consumes the tree into a [`TmpFs`], freeing each file's bytes as soon
//! as they are copied, so loading costs about one copy of the image in memory. It uses only
//! the public API of [`TmpFs`] and [`Node`]: permission bits (set-user-ID and set-group-ID
//! included), owners and modification times are kept.
//!
//! Depends on `fs` ([`Node`], [`TmpFs`]), `error` and `time` only.

use super::tmpfs::{NAME_MAX_BYTES, SYMLINK_MAX_BYTES, TmpFs};
use super::{FileType, NodeRef};
use crate::error::{Error, Result};
use crate::time::Nanos;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

/// The permission bits of a mode (`07777`).
const PERM_MASK: u32 = 0o7777;
/// Permission bits of directories that only a path implies.
const IMPLIED_DIR_PERM: u32 = 0o755;

/// Bounds on what an image may hold, so that a hostile or broken archive cannot exhaust
/// memory before the sandbox starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageLimits {
    /// Most bytes of file data, all files together.
    pub max_data_bytes: u64,
    /// Most entries (files, directories, links).
    pub max_entries: usize,
    /// Most components in one path.
    pub max_depth: usize,
}

/// Default bound on an image's file data: 4 GiB, well above a distribution's root
/// filesystem and below what would starve a machine of the project's size.
pub const DEFAULT_MAX_DATA_BYTES: u64 = 4 << 30;
/// Default bound on the number of entries.
pub const DEFAULT_MAX_ENTRIES: usize = 1_000_000;
/// Default bound on path depth (a path of 4095 bytes holds at most 2048 components).
pub const DEFAULT_MAX_DEPTH: usize = 2048;

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_data_bytes: DEFAULT_MAX_DATA_BYTES,
            max_entries: DEFAULT_MAX_ENTRIES,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// Why an entry could not be added to an [`ImageTree`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeError {
    /// The name has a `..` component: it would leave the image.
    Traversal,
    /// The name is absolute.
    Absolute,
    /// The name holds a NUL byte or a component longer than `NAME_MAX`.
    BadName,
    /// The name has more components than the limit.
    TooDeep,
    /// A parent on the way is not a directory: the path of that parent.
    ParentNotDir(Vec<u8>),
    /// The entry would replace a directory that holds entries.
    ReplacesDir,
    /// A hard link names no earlier entry, or one that is a directory: the target.
    BadLinkTarget(Vec<u8>),
    /// A symbolic link with an empty or overlong target.
    BadSymlinkTarget,
    /// The files hold more data than the limit (the limit in bytes).
    TooLarge(u64),
    /// More entries than the limit (the limit).
    TooManyEntries(usize),
    /// An entry of a kind a filesystem image cannot hold (the archive's type byte).
    Unsupported(u8),
}

impl core::fmt::Display for TreeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let lossy = |b: &[u8]| alloc::string::String::from_utf8_lossy(b).into_owned();
        match self {
            TreeError::Traversal => write!(f, "the name has a `..` component (path traversal)"),
            TreeError::Absolute => write!(f, "the name is an absolute path"),
            TreeError::BadName => write!(
                f,
                "the name holds a NUL byte or a component longer than {NAME_MAX_BYTES} bytes"
            ),
            TreeError::TooDeep => write!(f, "the name has too many components"),
            TreeError::ParentNotDir(p) => write!(f, "its parent {:?} is not a directory", lossy(p)),
            TreeError::ReplacesDir => write!(f, "it would replace a non-empty directory"),
            TreeError::BadLinkTarget(t) => write!(
                f,
                "hard link to {:?}, which is not an earlier non-directory entry",
                lossy(t)
            ),
            TreeError::BadSymlinkTarget => {
                write!(f, "symbolic link with an empty or overlong target")
            }
            TreeError::TooLarge(n) => write!(f, "the files hold more than {n} bytes"),
            TreeError::TooManyEntries(n) => write!(f, "more than {n} entries"),
            TreeError::Unsupported(kind) => {
                write!(f, "unsupported entry type {:?}", char::from(*kind))
            }
        }
    }
}

/// Owner, permissions and modification time of an entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attrs {
    /// Permission bits (the type bits are ignored).
    pub perm: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Modification time.
    pub mtime: Nanos,
}

/// What an entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A directory.
    Dir,
    /// A regular file with these bytes.
    File(Vec<u8>),
    /// A symbolic link to this target.
    Symlink(Vec<u8>),
    /// A named pipe.
    Fifo,
}

/// Index of an inode of an [`ImageTree`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct InodeId(usize);

#[derive(Debug)]
struct Inode {
    kind: EntryKind,
    attrs: Attrs,
}

/// Counts of what an image holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImageStats {
    /// Paths in the tree (the root not counted).
    pub entries: usize,
    /// Bytes of file data.
    pub data_bytes: u64,
}

/// A validated image; see the module documentation.
#[derive(Debug)]
pub struct ImageTree {
    /// By normalized path (components joined by `/`, no leading `/`): sorted, so a
    /// directory always comes before what it holds.
    paths: BTreeMap<Vec<u8>, InodeId>,
    inodes: Vec<Inode>,
    root: Attrs,
    data_bytes: u64,
    limits: ImageLimits,
}

/// Normalize an archive name: drop empty and `.` components (`./usr/`, `usr//bin`), refuse
/// `..`, absolute names, NUL bytes and overlong components. `""` is the root.
pub fn normalize(name: &[u8], limits: &ImageLimits) -> core::result::Result<Vec<u8>, TreeError> {
    if name.starts_with(b"/") {
        return Err(TreeError::Absolute);
    }
    if name.contains(&0) {
        return Err(TreeError::BadName);
    }
    let mut out = Vec::with_capacity(name.len());
    let mut depth = 0usize;
    for part in name.split(|&b| b == b'/') {
        match part {
            b"" | b"." => continue,
            b".." => return Err(TreeError::Traversal),
            _ if part.len() > NAME_MAX_BYTES => return Err(TreeError::BadName),
            _ => {}
        }
        depth += 1;
        if depth > limits.max_depth {
            return Err(TreeError::TooDeep);
        }
        if !out.is_empty() {
            out.push(b'/');
        }
        out.extend_from_slice(part);
    }
    Ok(out)
}

/// The parent path of a normalized non-root path (`""` for a top-level name).
fn parent_of(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => path.get(..slash).unwrap_or_default(),
        None => b"",
    }
}

/// The last component of a normalized non-root path.
fn name_of(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => path.get(slash + 1..).unwrap_or_default(),
        None => path,
    }
}

impl ImageTree {
    /// An empty tree (just a root directory with mode 0755) bounded by `limits`.
    pub fn new(limits: ImageLimits) -> ImageTree {
        ImageTree {
            paths: BTreeMap::new(),
            inodes: Vec::new(),
            root: Attrs {
                perm: IMPLIED_DIR_PERM,
                ..Attrs::default()
            },
            data_bytes: 0,
            limits,
        }
    }

    /// Counts of what the tree holds.
    pub fn stats(&self) -> ImageStats {
        ImageStats {
            entries: self.paths.len(),
            data_bytes: self.data_bytes,
        }
    }

    /// Whether top-level `name` exists (e.g. whether the image brings its own `/etc`).
    pub fn has_top_level(&self, name: &[u8]) -> bool {
        self.paths.contains_key(name)
    }

    fn is_dir(&self, id: InodeId) -> bool {
        self.inodes
            .get(id.0)
            .is_some_and(|i| i.kind == EntryKind::Dir)
    }

    /// Check the parents of `path`, creating implied directories.
    fn make_parents(&mut self, path: &[u8]) -> core::result::Result<(), TreeError> {
        let mut end = 0usize;
        while let Some(slash) = path
            .get(end..)
            .and_then(|rest| rest.iter().position(|&b| b == b'/'))
        {
            end += slash;
            let parent = path.get(..end).unwrap_or_default();
            match self.paths.get(parent) {
                Some(&id) if self.is_dir(id) => {}
                Some(_) => return Err(TreeError::ParentNotDir(parent.to_vec())),
                None => {
                    let id = self.push_inode(
                        EntryKind::Dir,
                        Attrs {
                            perm: IMPLIED_DIR_PERM,
                            ..Attrs::default()
                        },
                    )?;
                    self.paths.insert(parent.to_vec(), id);
                }
            }
            end += 1;
        }
        Ok(())
    }

    fn push_inode(
        &mut self,
        kind: EntryKind,
        attrs: Attrs,
    ) -> core::result::Result<InodeId, TreeError> {
        if self.inodes.len() >= self.limits.max_entries {
            return Err(TreeError::TooManyEntries(self.limits.max_entries));
        }
        self.inodes.push(Inode { kind, attrs });
        Ok(InodeId(self.inodes.len() - 1))
    }

    /// Whether directory `path` holds any entry.
    fn has_children(&self, path: &[u8]) -> bool {
        let mut prefix = path.to_vec();
        prefix.push(b'/');
        self.paths
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(p, _)| p.starts_with(&prefix))
    }

    /// Reserve room for `len` more bytes of file data.
    pub fn reserve_data(&mut self, len: u64) -> core::result::Result<(), TreeError> {
        let total = self.data_bytes.saturating_add(len);
        if total > self.limits.max_data_bytes {
            return Err(TreeError::TooLarge(self.limits.max_data_bytes));
        }
        self.data_bytes = total;
        Ok(())
    }

    /// Add the entry `name` (an archive name, normalized here). File data must have been
    /// reserved with [`ImageTree::reserve_data`] (a reader reserves before reading it).
    pub fn insert(
        &mut self,
        name: &[u8],
        kind: EntryKind,
        attrs: Attrs,
    ) -> core::result::Result<(), TreeError> {
        if let EntryKind::Symlink(target) = &kind
            && (target.is_empty() || target.len() > SYMLINK_MAX_BYTES || target.contains(&0))
        {
            return Err(TreeError::BadSymlinkTarget);
        }
        let path = normalize(name, &self.limits)?;
        if path.is_empty() {
            // The archive's `./` entry: the root's own attributes (a root is a directory).
            if kind == EntryKind::Dir {
                self.root = attrs;
            }
            return Ok(());
        }
        self.make_parents(&path)?;
        let existing = self.paths.get(&path).copied();
        if let Some(id) = existing.filter(|&id| self.is_dir(id)) {
            if kind == EntryKind::Dir {
                // A directory entry after its contents (or twice): keep the contents.
                if let Some(inode) = self.inodes.get_mut(id.0) {
                    inode.attrs = attrs;
                }
                return Ok(());
            }
            if self.has_children(&path) {
                return Err(TreeError::ReplacesDir);
            }
        }
        let id = self.push_inode(kind, attrs)?;
        self.paths.insert(path, id);
        Ok(())
    }

    /// Add `name` as a hard link to the earlier entry `target` (both archive names).
    pub fn insert_hard_link(
        &mut self,
        name: &[u8],
        target: &[u8],
    ) -> core::result::Result<(), TreeError> {
        let target_path = normalize(target, &self.limits)?;
        let id = self
            .paths
            .get(&target_path)
            .copied()
            .filter(|&id| !self.is_dir(id))
            .ok_or_else(|| TreeError::BadLinkTarget(target_path.clone()))?;
        let path = normalize(name, &self.limits)?;
        if path.is_empty() {
            return Err(TreeError::ReplacesDir);
        }
        if path == target_path {
            return Ok(());
        }
        self.make_parents(&path)?;
        if let Some(old) = self.paths.get(&path).copied()
            && self.is_dir(old)
            && self.has_children(&path)
        {
            return Err(TreeError::ReplacesDir);
        }
        if self.paths.len() >= self.limits.max_entries {
            return Err(TreeError::TooManyEntries(self.limits.max_entries));
        }
        self.paths.insert(path, id);
        Ok(())
    }

    /// Build the tree into `fs` (which should be empty) and return its root. Consumes the
    /// tree, freeing each file's data once copied.
    pub fn build(self, fs: &TmpFs) -> Result<NodeRef> {
        let ImageTree {
            paths,
            inodes,
            root: root_attrs,
            ..
        } = self;
        let mut inodes: Vec<Option<Inode>> = inodes.into_iter().map(Some).collect();
        let root = fs.root();
        let mut dirs: BTreeMap<Vec<u8>, NodeRef> = BTreeMap::new();
        // Nodes already created, by inode, for hard links.
        let mut made: BTreeMap<InodeId, NodeRef> = BTreeMap::new();
        // Times are set last: adding entries changes a directory's mtime.
        let mut times: Vec<(NodeRef, Nanos)> = Vec::new();
        for (path, id) in paths {
            let parent = match parent_of(&path) {
                b"" => &root,
                p => dirs.get(p).ok_or(Error::NotFound)?,
            };
            let name = name_of(&path);
            if let Some(node) = made.get(&id) {
                parent.link(name, node)?;
                continue;
            }
            let inode = inodes
                .get_mut(id.0)
                .and_then(Option::take)
                .ok_or(Error::NotFound)?;
            let perm = inode.attrs.perm & PERM_MASK;
            let node = match inode.kind {
                EntryKind::Dir => TmpFs::add_dir(parent, name, perm)?,
                EntryKind::File(data) => TmpFs::add_file(parent, name, &data, perm)?,
                EntryKind::Symlink(target) => TmpFs::add_symlink(parent, name, &target)?,
                EntryKind::Fifo => parent.create(name, FileType::Fifo, perm)?,
            };
            let Attrs { uid, gid, .. } = inode.attrs;
            if uid != 0 || gid != 0 {
                node.set_owner(Some(uid), Some(gid))?;
                // chown(2) clears set-user-ID and set-group-ID: give the mode back.
                if node.file_type() != FileType::Symlink {
                    node.set_mode(perm)?;
                }
            }
            if node.file_type() == FileType::Directory {
                dirs.insert(path.clone(), node.clone());
            } else {
                made.insert(id, node.clone());
            }
            times.push((node, inode.attrs.mtime));
        }
        root.set_mode(root_attrs.perm & PERM_MASK)?;
        times.push((root.clone(), root_attrs.mtime));
        for (node, mtime) in times.iter().rev() {
            node.set_times(Some(*mtime), Some(*mtime))?;
        }
        Ok(root)
    }
}

/// An image on its way into a sandbox: what a boot description holds. Clones share one
/// tree, which the boot code takes exactly once ([`SharedImage::take`]), so the image's data
/// is held once and freed file by file as it is built.
#[derive(Clone)]
pub struct SharedImage {
    name: Vec<u8>,
    stats: ImageStats,
    has_etc: bool,
    tree: Arc<Mutex<Option<ImageTree>>>,
}

impl SharedImage {
    /// Wrap `tree`, loaded from the image called `name` (for messages).
    pub fn new(name: &[u8], tree: ImageTree) -> SharedImage {
        SharedImage {
            name: name.to_vec(),
            stats: tree.stats(),
            has_etc: tree.has_top_level(b"etc"),
            tree: Arc::new(Mutex::new(Some(tree))),
        }
    }

    /// The name it was loaded from.
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// What it holds.
    pub fn stats(&self) -> ImageStats {
        self.stats
    }

    /// Whether the image has its own top-level `etc`.
    pub fn has_etc(&self) -> bool {
        self.has_etc
    }

    /// The tree, the first time it is asked for (`Error::Busy` after that).
    pub fn take(&self) -> Result<ImageTree> {
        self.tree.lock().take().ok_or(Error::Busy)
    }
}

impl core::fmt::Debug for SharedImage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SharedImage")
            .field("name", &alloc::string::String::from_utf8_lossy(&self.name))
            .field("stats", &self.stats)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn attrs(perm: u32, mtime: u64) -> Attrs {
        Attrs {
            perm,
            uid: 0,
            gid: 0,
            mtime: Nanos(mtime),
        }
    }

    fn fs() -> Arc<TmpFs> {
        TmpFs::new(9, Arc::new(|| Nanos(1_000)))
    }

    fn file(data: &[u8]) -> EntryKind {
        EntryKind::File(data.to_vec())
    }

    fn read_all(node: &NodeRef) -> Vec<u8> {
        let size = node.metadata().map(|m| m.size).unwrap_or(0);
        let mut buf = vec![0u8; usize::try_from(size).unwrap_or(0)];
        let n = node.read_at(0, &mut buf).unwrap_or(0);
        buf.truncate(n);
        buf
    }

    #[test]
    fn names_are_normalized_or_refused() {
        let l = ImageLimits::default();
        assert_eq!(normalize(b"./usr//bin/", &l), Ok(b"usr/bin".to_vec()));
        assert_eq!(normalize(b".", &l), Ok(Vec::new()));
        assert_eq!(normalize(b"./", &l), Ok(Vec::new()));
        assert_eq!(normalize(b"../x", &l), Err(TreeError::Traversal));
        assert_eq!(normalize(b"a/../../x", &l), Err(TreeError::Traversal));
        assert_eq!(normalize(b"/etc/passwd", &l), Err(TreeError::Absolute));
        assert_eq!(normalize(b"a\0b", &l), Err(TreeError::BadName));
        assert_eq!(normalize(&[b'x'; 256], &l), Err(TreeError::BadName));
        let shallow = ImageLimits { max_depth: 2, ..l };
        assert_eq!(normalize(b"a/b/c", &shallow), Err(TreeError::TooDeep));
    }

    #[test]
    fn out_of_order_implied_and_replaced_entries() -> core::result::Result<(), TreeError> {
        let mut t = ImageTree::new(ImageLimits::default());
        t.insert(b"./usr/bin/tool", file(b"v1"), attrs(0o755, 5))?;
        t.insert(b"./usr/", EntryKind::Dir, attrs(0o700, 7))?;
        t.insert(b"./usr/bin/tool", file(b"v2"), attrs(0o750, 6))?;
        t.insert(b"./", EntryKind::Dir, attrs(0o711, 3))?;
        assert_eq!(
            t.insert(b"usr/bin/tool/x", file(b""), attrs(0o644, 0)),
            Err(TreeError::ParentNotDir(b"usr/bin/tool".to_vec()))
        );
        assert_eq!(
            t.insert(b"usr", file(b""), attrs(0o644, 0)),
            Err(TreeError::ReplacesDir)
        );
        assert!(t.has_top_level(b"usr") && !t.has_top_level(b"etc"));
        let fs = fs();
        let root = t.build(&fs).map_err(|_| TreeError::BadName)?;
        let usr = root.lookup(b"usr").map_err(|_| TreeError::BadName)?;
        let tool = usr
            .lookup(b"bin")
            .and_then(|b| b.lookup(b"tool"))
            .map_err(|_| TreeError::BadName)?;
        assert_eq!(read_all(&tool), b"v2");
        let m = |n: &NodeRef| n.metadata().unwrap_or_default();
        assert_eq!((m(&tool).mode, m(&tool).mtime), (0o100750, Nanos(6)));
        assert_eq!((m(&usr).mode, m(&usr).mtime), (0o040700, Nanos(7)));
        assert_eq!((m(&root).mode, m(&root).mtime), (0o040711, Nanos(3)));
        let bin = usr.lookup(b"bin").map_err(|_| TreeError::BadName)?;
        assert_eq!(m(&bin).mode, 0o040755);
        Ok(())
    }

    #[test]
    fn hard_links_symlinks_and_fifos() -> Result<()> {
        let mut t = ImageTree::new(ImageLimits::default());
        let e = |r: core::result::Result<(), TreeError>| r.map_err(|_| Error::Invalid);
        e(t.insert(b"z/orig", file(b"data"), attrs(0o644, 1)))?;
        e(t.insert_hard_link(b"a/link", b"./z/orig"))?;
        e(t.insert(
            b"s",
            EntryKind::Symlink(b"/z/orig".to_vec()),
            attrs(0o777, 1),
        ))?;
        e(t.insert(b"p", EntryKind::Fifo, attrs(0o600, 1)))?;
        e(t.insert(
            b"owned",
            file(b"x"),
            Attrs {
                uid: 1000,
                gid: 50,
                ..attrs(0o4755, 1)
            },
        ))?;
        assert_eq!(
            t.insert_hard_link(b"b", b"missing"),
            Err(TreeError::BadLinkTarget(b"missing".to_vec()))
        );
        assert_eq!(
            t.insert_hard_link(b"b", b"z"),
            Err(TreeError::BadLinkTarget(b"z".to_vec()))
        );
        assert_eq!(
            t.insert(b"s2", EntryKind::Symlink(Vec::new()), attrs(0o777, 1)),
            Err(TreeError::BadSymlinkTarget)
        );
        let fs = fs();
        let root = t.build(&fs)?;
        let orig = root.lookup(b"z")?.lookup(b"orig")?;
        let link = root.lookup(b"a")?.lookup(b"link")?;
        assert!(Arc::ptr_eq(&orig, &link));
        assert_eq!(orig.metadata()?.nlink, 2);
        assert_eq!(root.lookup(b"s")?.read_link()?, b"/z/orig");
        assert_eq!(root.lookup(b"p")?.file_type(), FileType::Fifo);
        let owned = root.lookup(b"owned")?.metadata()?;
        assert_eq!(
            (owned.uid, owned.gid, owned.mode & 0o7777),
            (1000, 50, 0o4755)
        );
        assert_eq!(orig.metadata()?.uid, 0);
        Ok(())
    }

    #[test]
    fn limits_are_enforced() {
        let mut t = ImageTree::new(ImageLimits {
            max_data_bytes: 10,
            max_entries: 3,
            max_depth: 8,
        });
        assert_eq!(t.reserve_data(6), Ok(()));
        assert_eq!(t.reserve_data(5), Err(TreeError::TooLarge(10)));
        assert_eq!(t.insert(b"a/b", file(b""), attrs(0o644, 0)), Ok(()));
        assert_eq!(t.insert(b"c", file(b""), attrs(0o644, 0)), Ok(()));
        assert_eq!(
            t.insert(b"d", file(b""), attrs(0o644, 0)),
            Err(TreeError::TooManyEntries(3))
        );
        assert_eq!(t.stats().entries, 3);
    }
}
