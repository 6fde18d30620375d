//! The overlay filesystem: a writable in-memory upper ([`TmpFs`]) over a read-only lower (any
//! directory [`Node`]: an image tree, a host volume). The lower is never modified.
//!
//! Semantics follow Linux's overlayfs (Documentation/filesystems/overlayfs.rst):
//! - A name is looked up in the upper directory first, then in the lower one unless the
//!   name is whited out or the upper directory is opaque. Directories present in both are
//!   merged; anything else in the upper hides the lower entry.
//! - Changing a lower object (write, truncate, chmod, chown, utimens, link, rename) first
//!   copies it up: its parents are copied up as directories, then the object itself with its
//!   data, permission bits and times. A file's data is copied in chunks; zero chunks are left
//!   as holes, so sparse files stay sparse. Hard links of the lower are broken by copy-up, as
//!   on Linux without the `index` feature. Opening a file for writing copies it up at once,
//!   so a later MAP_SHARED mapping maps the upper file's pages.
//! - Removing a name that the lower holds leaves a whiteout for it in the (copied-up) parent;
//!   a directory made where a whiteout was, or made at all, is opaque: the lower never shows
//!   through it. Whiteouts and opaque marks live in this module's tables, keyed by the upper
//!   directory's inode number, not in the upper filesystem: the in-memory filesystem has no
//!   device nodes or extended attributes to carry them, and the guest never sees them.
//! - Renaming a directory that has a lower part fails with `Error::CrossDevice` (EXDEV), like
//!   overlayfs without `redirect_dir`: `mv`, `shutil.move` and other tools fall back to copy
//!   and delete. Files (copied up first) and directories made in the sandbox rename freely.
//! - `st_dev` is the overlay's own; `st_ino` is the lower one for objects with a lower part
//!   (kept across copy-up, so it does not change under a program), else the upper one offset
//!   by [`UPPER_INO_BASE`]. Merged directories report `st_nlink` 1, as overlayfs does, which
//!   tells `find` not to count subdirectories from it.
//!
//! Locking: one lock per overlay (`Shared::meta`) is held by every namespace change and copy
//! up, and by lookups (which read the whiteout tables). Reads and writes of data hold only
//! the per-node `upper` lock for a moment. While holding the overlay lock the code calls into
//! the upper and lower filesystems, which never call back into the overlay.
//!
//! Depends on `fs` ([`Node`], [`TmpFs`]) and `error` only.

use super::tmpfs::TmpFs;
use super::{DirEntry, FileType, FsStats, HostFd, Metadata, Node, NodeRef, SharedPagesRef};
use crate::error::{Error, Result};
use crate::time::Nanos;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::{Arc, Weak};
use alloc::vec;
use alloc::vec::Vec;
use core::any::Any;
use spin::Mutex;

/// Added to the inode numbers of objects that exist only in the upper filesystem, so that
/// they never collide with lower ones.
pub const UPPER_INO_BASE: u64 = 1 << 48;
/// Bytes copied at a time when a file is copied up.
const COPY_CHUNK_BYTES: usize = 64 * 1024;
/// Permission bits of a mode.
const PERM_MASK: u32 = 0o7777;
/// Dead entries tolerated in a directory's node cache before it is pruned.
const CHILD_CACHE_PRUNE_AT: usize = 256;

/// Whiteouts, opaque directories and copy-up origins; see the module documentation.
#[derive(Default)]
struct Meta {
    /// Upper directory inode → names of the lower hidden in it.
    whiteouts: BTreeMap<u64, BTreeSet<Vec<u8>>>,
    /// Upper directories through which the lower does not show.
    opaque: BTreeSet<u64>,
    /// Upper inode → lower inode of copied-up objects.
    origins: BTreeMap<u64, u64>,
}

impl Meta {
    fn is_whiteout(&self, upper_dir_ino: u64, name: &[u8]) -> bool {
        self.whiteouts
            .get(&upper_dir_ino)
            .is_some_and(|names| names.contains(name))
    }

    fn clear_whiteout(&mut self, upper_dir_ino: u64, name: &[u8]) {
        if let Some(names) = self.whiteouts.get_mut(&upper_dir_ino) {
            names.remove(name);
            if names.is_empty() {
                self.whiteouts.remove(&upper_dir_ino);
            }
        }
    }

    /// The inode number the guest sees for upper inode `ino`.
    fn visible_ino(&self, upper_ino: u64) -> u64 {
        self.origins
            .get(&upper_ino)
            .copied()
            .unwrap_or(upper_ino.saturating_add(UPPER_INO_BASE))
    }

    /// Forget what was kept for upper directory `ino`, which is gone.
    fn forget_dir(&mut self, ino: u64) {
        self.whiteouts.remove(&ino);
        self.opaque.remove(&ino);
    }
}

/// What all nodes of one overlay share.
struct Shared {
    dev: u64,
    upper_fs: Arc<TmpFs>,
    meta: Mutex<Meta>,
}

/// Build an overlay of a fresh upper `upper` (an empty [`TmpFs`]) over directory `lower`;
/// returns its root. `dev` is the overlay's `st_dev`.
pub fn overlay(dev: u64, upper: Arc<TmpFs>, lower: NodeRef) -> Result<NodeRef> {
    if lower.file_type() != FileType::Directory {
        return Err(Error::NotDir);
    }
    let lower_meta = lower.metadata()?;
    let root_upper = upper.root();
    root_upper.set_mode(lower_meta.mode & PERM_MASK)?;
    root_upper.set_times(Some(lower_meta.atime), Some(lower_meta.mtime))?;
    let mut meta = Meta::default();
    meta.origins
        .insert(root_upper.metadata()?.ino, lower_meta.ino);
    let shared = Arc::new(Shared {
        dev,
        upper_fs: upper,
        meta: Mutex::new(meta),
    });
    Ok(OvNode::new(
        &shared,
        None,
        Vec::new(),
        FileType::Directory,
        Some(root_upper),
        Some(lower),
    ))
}

/// A node of an overlay.
struct OvNode {
    ov: Arc<Shared>,
    /// The directory it was found in (`None` for the root): copy-up starts there.
    parent: Option<Arc<OvNode>>,
    /// Its name in `parent`.
    name: Vec<u8>,
    file_type: FileType,
    /// The upper object, once there is one.
    upper: Mutex<Option<NodeRef>>,
    /// The lower object, if the lower has one here (and it shows).
    lower: Option<NodeRef>,
    /// Nodes looked up in this directory and still alive, so that one name is one node.
    children: Mutex<BTreeMap<Vec<u8>, Weak<OvNode>>>,
    /// This node, as the parent of the nodes it finds.
    me: Weak<OvNode>,
}

fn same(a: &NodeRef, b: &NodeRef) -> bool {
    core::ptr::eq(Arc::as_ptr(a).cast::<()>(), Arc::as_ptr(b).cast::<()>())
}

/// `Ok(None)` for `NotFound`.
fn optional(r: Result<NodeRef>) -> Result<Option<NodeRef>> {
    match r {
        Ok(node) => Ok(Some(node)),
        Err(Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Copy the data of lower file `from` (of `size` bytes) into empty upper file `to`.
fn copy_data(from: &NodeRef, to: &NodeRef, size: u64) -> Result<()> {
    let reader = from.clone().open(false)?;
    let mut buf = vec![0u8; COPY_CHUNK_BYTES];
    let mut pos = 0u64;
    let result = (|| {
        while pos < size {
            let n = reader.read_at(pos, &mut buf)?;
            if n == 0 {
                break;
            }
            let chunk = buf.get(..n).ok_or(Error::Invalid)?;
            // Leave holes where the lower reads zeros.
            if chunk.iter().any(|&b| b != 0) {
                let mut done = 0;
                while let Some(rest) = chunk.get(done..).filter(|r| !r.is_empty()) {
                    let at = pos.checked_add(done as u64).ok_or(Error::Overflow)?;
                    done += to.write_at(at, rest)?;
                }
            }
            pos = pos.checked_add(n as u64).ok_or(Error::Overflow)?;
        }
        to.truncate(pos)
    })();
    if !same(&reader, from) {
        reader.release();
    }
    result
}

impl OvNode {
    fn new(
        ov: &Arc<Shared>,
        parent: Option<Arc<OvNode>>,
        name: Vec<u8>,
        file_type: FileType,
        upper: Option<NodeRef>,
        lower: Option<NodeRef>,
    ) -> Arc<OvNode> {
        Arc::new_cyclic(|me| OvNode {
            ov: ov.clone(),
            parent,
            name,
            file_type,
            upper: Mutex::new(upper),
            lower,
            children: Mutex::new(BTreeMap::new()),
            me: me.clone(),
        })
    }

    fn upper(&self) -> Option<NodeRef> {
        self.upper.lock().clone()
    }

    fn is_dir(&self) -> bool {
        self.file_type == FileType::Directory
    }

    /// Drop `name` from the node cache (it was removed, replaced or moved).
    fn forget_child(&self, name: &[u8]) {
        self.children.lock().remove(name);
    }

    /// The lower entry `name` of this directory, if it shows (not whited out, no opaque
    /// upper).
    fn lower_child(&self, meta: &Meta, name: &[u8]) -> Result<Option<NodeRef>> {
        let Some(lower) = &self.lower else {
            return Ok(None);
        };
        if let Some(upper) = self.upper() {
            let ino = upper.metadata()?.ino;
            if meta.opaque.contains(&ino) || meta.is_whiteout(ino, name) {
                return Ok(None);
            }
        }
        optional(lower.lookup(name))
    }

    /// The upper and lower objects of `name` (NotFound if neither shows).
    fn find(&self, meta: &Meta, name: &[u8]) -> Result<(Option<NodeRef>, Option<NodeRef>)> {
        let upper = match self.upper() {
            Some(dir) => optional(dir.lookup(name))?,
            None => None,
        };
        let lower = self.lower_child(meta, name)?;
        match (upper, lower) {
            (None, None) => Err(Error::NotFound),
            (Some(up), Some(low)) => {
                let merged = up.file_type() == FileType::Directory
                    && low.file_type() == FileType::Directory
                    && !meta.opaque.contains(&up.metadata()?.ino);
                Ok((Some(up), merged.then_some(low)))
            }
            pair => Ok(pair),
        }
    }

    /// The node of `name` in this directory (caller holds the overlay lock).
    fn child(&self, meta: &Meta, name: &[u8]) -> Result<Arc<OvNode>> {
        if self.file_type != FileType::Directory {
            return Err(Error::NotDir);
        }
        if let Some(node) = self.children.lock().get(name).and_then(Weak::upgrade) {
            return Ok(node);
        }
        let (upper, lower) = self.find(meta, name)?;
        let file_type = match (&upper, &lower) {
            (Some(node), _) | (None, Some(node)) => node.file_type(),
            (None, None) => return Err(Error::NotFound),
        };
        let node = OvNode::new(
            &self.ov,
            Some(self.me.upgrade().ok_or(Error::NotFound)?),
            name.to_vec(),
            file_type,
            upper,
            lower,
        );
        let mut children = self.children.lock();
        if children.len() >= CHILD_CACHE_PRUNE_AT {
            children.retain(|_, weak| weak.strong_count() > 0);
        }
        children.insert(name.to_vec(), Arc::downgrade(&node));
        Ok(node)
    }

    /// The merged listing of this directory (caller holds the overlay lock).
    fn list(&self, meta: &Meta) -> Result<Vec<DirEntry>> {
        let mut merged: BTreeMap<Vec<u8>, DirEntry> = BTreeMap::new();
        let upper = self.upper();
        let hidden = |name: &[u8]| -> Result<bool> {
            Ok(match &upper {
                Some(up) => {
                    let ino = up.metadata()?.ino;
                    meta.opaque.contains(&ino) || meta.is_whiteout(ino, name)
                }
                None => false,
            })
        };
        if let Some(lower) = &self.lower {
            for entry in lower.read_dir()? {
                if !hidden(&entry.name)? {
                    merged.insert(entry.name.clone(), entry);
                }
            }
        }
        if let Some(up) = &upper {
            for mut entry in up.read_dir()? {
                entry.ino = meta.visible_ino(entry.ino);
                merged.insert(entry.name.clone(), entry);
            }
        }
        Ok(merged.into_values().collect())
    }

    /// The upper object, copying this node up first if needed (caller holds the overlay
    /// lock). Parents are copied up before their children.
    fn copy_up_locked(&self, meta: &mut Meta) -> Result<NodeRef> {
        if let Some(upper) = self.upper() {
            return Ok(upper);
        }
        let lower = self.lower.clone().ok_or(Error::NotFound)?;
        let parent = self.parent.as_ref().ok_or(Error::NotFound)?;
        let dir = parent.copy_up_locked(meta)?;
        let lm = lower.metadata()?;
        let perm = lm.mode & PERM_MASK;
        // The copy keeps the lower object's owner, as overlayfs's copy-up does.
        let owner = super::Owner {
            uid: lm.uid,
            gid: lm.gid,
        };
        // Copy-up leaves the parent's times as they were (ovl_copy_up_one restores them).
        let parent_times = dir.metadata()?;
        let name = self.name.as_slice();
        let upper = match self.file_type {
            FileType::Directory => match optional(dir.lookup(name))? {
                Some(existing) if existing.file_type() == FileType::Directory => existing,
                Some(_) => return Err(Error::Exists),
                None => dir.create_as(name, FileType::Directory, perm, owner)?,
            },
            FileType::Regular => {
                let file = dir.create_as(name, FileType::Regular, perm, owner)?;
                if let Err(e) = copy_data(&lower, &file, lm.size) {
                    // Leave no half-copied file behind.
                    let _ = dir.unlink(name, false);
                    return Err(e);
                }
                file
            }
            FileType::Symlink => {
                dir.symlink_as(name, &lower.read_link()?, owner)?;
                dir.lookup(name)?
            }
            FileType::Fifo => dir.create_as(name, FileType::Fifo, perm, owner)?,
            FileType::CharDevice | FileType::Socket => return Err(Error::NotSupported),
        };
        upper.set_times(Some(lm.atime), Some(lm.mtime))?;
        dir.set_times(Some(parent_times.atime), Some(parent_times.mtime))?;
        meta.origins.insert(upper.metadata()?.ino, lm.ino);
        *self.upper.lock() = Some(upper.clone());
        Ok(upper)
    }

    /// The upper object, copied up now if it has none.
    fn copy_up(&self) -> Result<NodeRef> {
        if let Some(upper) = self.upper() {
            return Ok(upper);
        }
        let mut meta = self.ov.meta.lock();
        self.copy_up_locked(&mut meta)
    }

    /// After `name` was made in this directory's upper `dir`: the lower no longer hides
    /// behind a whiteout there, and a new directory is opaque.
    fn made(&self, meta: &mut Meta, dir: &NodeRef, name: &[u8]) -> Result<()> {
        let dir_ino = dir.metadata()?.ino;
        meta.clear_whiteout(dir_ino, name);
        let made = dir.lookup(name)?;
        if made.file_type() == FileType::Directory {
            meta.opaque.insert(made.metadata()?.ino);
        }
        self.forget_child(name);
        Ok(())
    }

    /// Hide lower entry `name` of this directory (caller holds the overlay lock).
    fn white_out(&self, meta: &mut Meta, name: &[u8]) -> Result<()> {
        let dir = self.copy_up_locked(meta)?;
        let ino = dir.metadata()?.ino;
        meta.whiteouts.entry(ino).or_default().insert(name.to_vec());
        let now = self.ov.upper_fs.now();
        dir.set_times(None, Some(now))
    }

    /// Check that `name` can be made here (caller holds the overlay lock).
    fn check_free(&self, meta: &Meta, name: &[u8]) -> Result<()> {
        match self.find(meta, name) {
            Ok(_) => Err(Error::Exists),
            Err(Error::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// A lower-only file of an overlay opened for reading, when opening the lower object gave a
/// new node (a host volume file with its own descriptor).
struct OvOpened {
    node: Arc<OvNode>,
    opened: NodeRef,
}

impl Node for OvOpened {
    fn metadata(&self) -> Result<Metadata> {
        self.node.metadata()
    }
    fn file_type(&self) -> FileType {
        self.node.file_type
    }
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        self.opened.read_at(pos, buf)
    }
    fn write_at(&self, pos: u64, data: &[u8]) -> Result<usize> {
        self.node.write_at(pos, data)
    }
    fn truncate(&self, len: u64) -> Result<()> {
        self.node.truncate(len)
    }
    fn set_mode(&self, mode: u32) -> Result<()> {
        self.node.set_mode(mode)
    }
    fn set_times(&self, atime: Option<Nanos>, mtime: Option<Nanos>) -> Result<()> {
        self.node.set_times(atime, mtime)
    }
    fn set_owner(&self, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        self.node.set_owner(uid, gid)
    }
    fn read_link(&self) -> Result<Vec<u8>> {
        self.node.read_link()
    }
    fn open(self: Arc<Self>, _write: bool) -> Result<NodeRef> {
        Ok(self)
    }
    fn release(&self) {
        self.opened.release();
    }
    fn shared_pages(
        &self,
        alloc: &dyn Fn(u64) -> Result<SharedPagesRef>,
    ) -> Result<SharedPagesRef> {
        self.opened.shared_pages(alloc)
    }
    fn host_fd(&self) -> Option<HostFd> {
        self.opened.host_fd()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Node for OvNode {
    /// The upper layer's figures, as Linux's overlayfs reports (ovl_statfs): what is
    /// written goes there.
    fn statfs(&self) -> Result<FsStats> {
        Ok(self.ov.upper_fs.stats())
    }

    fn metadata(&self) -> Result<Metadata> {
        let mut m = match self.upper() {
            Some(upper) => {
                let mut m = upper.metadata()?;
                m.ino = self.ov.meta.lock().visible_ino(m.ino);
                if self.is_dir() && self.lower.is_some() {
                    // ovl_getattr: counting merged subdirectories is not worth it.
                    m.nlink = 1;
                }
                m
            }
            None => self.lower.as_ref().ok_or(Error::NotFound)?.metadata()?,
        };
        m.dev = self.ov.dev;
        Ok(m)
    }

    fn file_type(&self) -> FileType {
        self.file_type
    }

    fn lookup(&self, name: &[u8]) -> Result<NodeRef> {
        if !self.is_dir() {
            return Err(Error::NotDir);
        }
        let meta = self.ov.meta.lock();
        Ok(self.child(&meta, name)?)
    }

    fn read_dir(&self) -> Result<Vec<DirEntry>> {
        if !self.is_dir() {
            return Err(Error::NotDir);
        }
        let meta = self.ov.meta.lock();
        self.list(&meta)
    }

    fn create(&self, name: &[u8], file_type: FileType, mode: u32) -> Result<NodeRef> {
        if !self.is_dir() {
            return Err(Error::NotDir);
        }
        let mut meta = self.ov.meta.lock();
        self.check_free(&meta, name)?;
        let dir = self.copy_up_locked(&mut meta)?;
        dir.create(name, file_type, mode)?;
        self.made(&mut meta, &dir, name)?;
        Ok(self.child(&meta, name)?)
    }

    fn symlink(&self, name: &[u8], target: &[u8]) -> Result<()> {
        if !self.is_dir() {
            return Err(Error::NotDir);
        }
        let mut meta = self.ov.meta.lock();
        self.check_free(&meta, name)?;
        let dir = self.copy_up_locked(&mut meta)?;
        dir.symlink(name, target)?;
        self.made(&mut meta, &dir, name)
    }

    fn link(&self, name: &[u8], node: &NodeRef) -> Result<()> {
        if !self.is_dir() {
            return Err(Error::NotDir);
        }
        let target = node
            .as_any()
            .downcast_ref::<OvNode>()
            .ok_or(Error::CrossDevice)?;
        if !Arc::ptr_eq(&target.ov, &self.ov) {
            return Err(Error::CrossDevice);
        }
        if target.is_dir() {
            return Err(Error::Perm);
        }
        let mut meta = self.ov.meta.lock();
        self.check_free(&meta, name)?;
        let upper_target = target.copy_up_locked(&mut meta)?;
        let dir = self.copy_up_locked(&mut meta)?;
        dir.link(name, &upper_target)?;
        self.made(&mut meta, &dir, name)
    }

    fn unlink(&self, name: &[u8], directory: bool) -> Result<()> {
        if !self.is_dir() {
            return Err(Error::NotDir);
        }
        let mut meta = self.ov.meta.lock();
        let (upper, lower) = self.find(&meta, name)?;
        let kind = upper
            .as_ref()
            .or(lower.as_ref())
            .map(|n| n.file_type())
            .ok_or(Error::NotFound)?;
        match (kind == FileType::Directory, directory) {
            (true, false) => return Err(Error::IsDir),
            (false, true) => return Err(Error::NotDir),
            _ => {}
        }
        if directory {
            let probe = OvNode::new(&self.ov, None, Vec::new(), kind, upper.clone(), lower);
            if !probe.list(&meta)?.is_empty() {
                return Err(Error::NotEmpty);
            }
        }
        let lower_shows = self.lower_child(&meta, name)?.is_some();
        if let Some(up) = &upper {
            let ino = up.metadata()?.ino;
            self.upper()
                .ok_or(Error::NotFound)?
                .unlink(name, directory)?;
            if directory {
                meta.forget_dir(ino);
            }
        }
        if lower_shows {
            self.white_out(&mut meta, name)?;
        }
        self.forget_child(name);
        Ok(())
    }

    fn rename(&self, name: &[u8], new_dir: &NodeRef, new_name: &[u8]) -> Result<()> {
        let to = new_dir
            .as_any()
            .downcast_ref::<OvNode>()
            .ok_or(Error::CrossDevice)?;
        if !Arc::ptr_eq(&to.ov, &self.ov) {
            return Err(Error::CrossDevice);
        }
        if !self.is_dir() || !to.is_dir() {
            return Err(Error::NotDir);
        }
        let mut meta = self.ov.meta.lock();
        let (src_upper, src_lower) = self.find(&meta, name)?;
        let src_kind = src_upper
            .as_ref()
            .or(src_lower.as_ref())
            .map(|n| n.file_type())
            .ok_or(Error::NotFound)?;
        let src_is_dir = src_kind == FileType::Directory;
        if core::ptr::eq(self, to) && name == new_name {
            return Ok(());
        }
        let dst = match to.find(&meta, new_name) {
            Ok(pair) => Some(pair),
            Err(Error::NotFound) => None,
            Err(e) => return Err(e),
        };
        if let Some((Some(dst_up), _)) = &dst
            && src_upper.as_ref().is_some_and(|s| same(s, dst_up))
        {
            // rename(2): two links to the same file, nothing happens.
            return Ok(());
        }
        if src_is_dir && src_lower.is_some() {
            // No redirect_dir: a directory with a lower part cannot move.
            return Err(Error::CrossDevice);
        }
        let mut dst_upper_dir_ino = None;
        if let Some((dst_up, dst_low)) = &dst {
            let dst_kind = dst_up
                .as_ref()
                .or(dst_low.as_ref())
                .map(|n| n.file_type())
                .ok_or(Error::NotFound)?;
            match (src_is_dir, dst_kind == FileType::Directory) {
                (true, false) => return Err(Error::NotDir),
                (false, true) => return Err(Error::IsDir),
                (true, true) => {
                    let probe = OvNode::new(
                        &self.ov,
                        None,
                        Vec::new(),
                        dst_kind,
                        dst_up.clone(),
                        dst_low.clone(),
                    );
                    if !probe.list(&meta)?.is_empty() {
                        return Err(Error::NotEmpty);
                    }
                    if let Some(up) = dst_up {
                        dst_upper_dir_ino = Some(up.metadata()?.ino);
                    }
                }
                (false, false) => {}
            }
        }
        // Copy up the source (a file; a directory here is upper-only) and both parents.
        let src_node = match src_upper {
            Some(up) => up,
            None => self.child(&meta, name)?.copy_up_locked(&mut meta)?,
        };
        let lower_shows = self.lower_child(&meta, name)?.is_some();
        let from = self.copy_up_locked(&mut meta)?;
        let into = to.copy_up_locked(&mut meta)?;
        from.rename(name, &into, new_name)?;
        meta.clear_whiteout(into.metadata()?.ino, new_name);
        if let Some(ino) = dst_upper_dir_ino {
            meta.forget_dir(ino);
        }
        if src_is_dir {
            meta.opaque.insert(src_node.metadata()?.ino);
        }
        if lower_shows {
            self.white_out(&mut meta, name)?;
        }
        self.forget_child(name);
        to.forget_child(new_name);
        Ok(())
    }

    fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        match self.upper() {
            Some(upper) => upper.read_at(pos, buf),
            None => self
                .lower
                .as_ref()
                .ok_or(Error::NotFound)?
                .read_at(pos, buf),
        }
    }

    fn write_at(&self, pos: u64, data: &[u8]) -> Result<usize> {
        self.copy_up()?.write_at(pos, data)
    }

    fn truncate(&self, len: u64) -> Result<()> {
        self.copy_up()?.truncate(len)
    }

    fn read_link(&self) -> Result<Vec<u8>> {
        match self.upper() {
            Some(upper) => upper.read_link(),
            None => self.lower.as_ref().ok_or(Error::NotFound)?.read_link(),
        }
    }

    fn set_mode(&self, mode: u32) -> Result<()> {
        self.copy_up()?.set_mode(mode)
    }

    fn set_times(&self, atime: Option<Nanos>, mtime: Option<Nanos>) -> Result<()> {
        self.copy_up()?.set_times(atime, mtime)
    }

    fn set_owner(&self, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        self.copy_up()?.set_owner(uid, gid)
    }

    fn open(self: Arc<Self>, write: bool) -> Result<NodeRef> {
        if write && self.file_type == FileType::Regular {
            self.copy_up()?;
        }
        if self.upper().is_some() {
            return Ok(self);
        }
        let lower = self.lower.clone().ok_or(Error::NotFound)?;
        let opened = lower.clone().open(false)?;
        if same(&opened, &lower) {
            return Ok(self);
        }
        Ok(Arc::new(OvOpened { node: self, opened }))
    }

    fn shared_pages(
        &self,
        alloc: &dyn Fn(u64) -> Result<SharedPagesRef>,
    ) -> Result<SharedPagesRef> {
        match self.upper() {
            Some(upper) => upper.shared_pages(alloc),
            None => self
                .lower
                .as_ref()
                .ok_or(Error::NotFound)?
                .shared_pages(alloc),
        }
    }

    fn host_fd(&self) -> Option<HostFd> {
        match self.upper() {
            Some(upper) => upper.host_fd(),
            None => self.lower.as_ref().and_then(|l| l.host_fd()),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests;
