//! Nodes of a [`TmpFs`] and their operations.

#[allow(unused_imports, reason = "doc links")]
use super::TmpFs;
use super::data::{FileData, to_u64};
use super::{BLOCK_SIZE_BYTES, NAME_MAX_BYTES, PAGE_BYTES_U64, SYMLINK_MAX_BYTES, Shared};
use crate::error::{Error, Result};
use crate::fs::perm::bits_after_chown;
use crate::fs::{
    AllocMode, DirEntry, FileType, FsStats, Metadata, Node, NodeRef, Owner, SharedPagesRef,
};
use crate::pipe::Pipe;
use crate::time::Nanos;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use spin::Mutex;

/// `st_blocks` counts 512-byte units (stat(2)).
const STAT_BLOCK_BYTES: u64 = 512;
/// Linux's shmem counts this much directory size per entry (`BOGO_DIRENT_SIZE`, mm/shmem.c).
const BOGO_DIRENT_BYTES: u64 = 20;
/// shmem keeps a symbolic link target of up to this many bytes, its NUL included, in the
/// inode (no blocks); a longer one takes a page (`SHORT_SYMLINK_LEN`, mm/shmem.c).
const SHORT_SYMLINK_BYTES: usize = 128;
/// The permission bits of a mode (`07777`).
const PERM_MASK: u32 = 0o7777;
/// `relatime`: atime is updated at least this often even if not older than mtime/ctime.
const RELATIME_SPAN_NANOS: u64 = 24 * 3600 * 1_000_000_000;
/// Permission bits of a fresh symbolic link.
const SYMLINK_PERM: u32 = 0o777;

/// A node of a [`TmpFs`].
pub(super) struct TmpNode {
    pub(super) fs: Arc<Shared>,
    /// This node, for the parent pointers of subdirectories.
    me: Weak<TmpNode>,
    pub(super) ino: u64,
    file_type: FileType,
    state: Mutex<State>,
}

/// The mutable part of a node.
struct State {
    perm: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    /// Made by `O_TMPFILE` and never linked: [`Node::link`] may give it a first name.
    unnamed: bool,
    atime: Nanos,
    mtime: Nanos,
    ctime: Nanos,
    content: Content,
}

pub(super) enum Content {
    Dir(Dir),
    File(FileData),
    Symlink(Vec<u8>),
    /// A FIFO's pipe, shared by every open of it (fifo(7)).
    Fifo(Arc<Pipe>),
    /// Sockets: the shim gives them their behaviour.
    Special,
}

impl Content {
    pub(super) fn new_dir(parent: Weak<TmpNode>) -> Content {
        Content::Dir(Dir {
            entries: BTreeMap::new(),
            parent,
            removed: false,
        })
    }
}

pub(super) struct Dir {
    /// By name, so that `read_dir` order is stable.
    entries: BTreeMap<Vec<u8>, Entry>,
    /// The directory holding this one (empty for the root); changed only by rename.
    parent: Weak<TmpNode>,
    /// Removed by rmdir or replaced by rename: nothing can be created in it any more.
    removed: bool,
}

#[derive(Clone)]
pub(super) struct Entry {
    pub(super) node: NodeRef,
    /// Inode number and type, fixed for a node's life, kept here so that listing a
    /// directory calls into no other node.
    pub(super) ino: u64,
    pub(super) file_type: FileType,
}

impl Entry {
    fn tmp(&self) -> Option<&TmpNode> {
        self.node.as_any().downcast_ref::<TmpNode>()
    }
    fn is_dir(&self) -> bool {
        self.file_type == FileType::Directory
    }
}

/// Names a directory can hold: not empty, not `.` or `..`, no `/` or NUL, at most
/// `NAME_MAX` bytes.
pub(super) fn check_name(name: &[u8]) -> Result<()> {
    if name.is_empty() {
        return Err(Error::NotFound);
    }
    if name == b"." || name == b".." || name.iter().any(|&b| b == b'/' || b == 0) {
        return Err(Error::Invalid);
    }
    if name.len() > NAME_MAX_BYTES {
        return Err(Error::NameTooLong);
    }
    Ok(())
}

/// `relatime`: touch atime only if it is not newer than mtime/ctime or is a day old.
fn touch_atime(state: &mut State, now: Nanos) {
    if state.atime <= state.mtime
        || state.atime <= state.ctime
        || now.0.saturating_sub(state.atime.0) >= RELATIME_SPAN_NANOS
    {
        state.atime = now;
    }
}

/// Whether two node references are the same object.
fn same_node(a: &NodeRef, b: &NodeRef) -> bool {
    core::ptr::eq(Arc::as_ptr(a).cast::<()>(), Arc::as_ptr(b).cast::<()>())
}

impl Drop for TmpNode {
    fn drop(&mut self) {
        self.fs.usage.put_inode(self.ino != super::ROOT_INO);
        if let Content::File(data) = &mut self.state.get_mut().content {
            data.free(&self.fs.usage);
        }
    }
}

impl TmpNode {
    /// A new node, counted against the inode limit.
    fn new(
        fs: &Arc<Shared>,
        file_type: FileType,
        mode: u32,
        owner: Owner,
        content: Content,
    ) -> Result<Arc<TmpNode>> {
        fs.usage.take_inode()?;
        Ok(Self::new_unchecked(fs, file_type, mode, owner, content))
    }

    /// A new node whose inode the caller has counted.
    pub(super) fn new_unchecked(
        fs: &Arc<Shared>,
        file_type: FileType,
        mode: u32,
        owner: Owner,
        content: Content,
    ) -> Arc<TmpNode> {
        let now = fs.now();
        let nlink = if file_type == FileType::Directory {
            2
        } else {
            1
        };
        Arc::new_cyclic(|me| TmpNode {
            fs: fs.clone(),
            me: me.clone(),
            ino: fs.alloc_ino(),
            file_type,
            state: Mutex::new(State {
                perm: mode & PERM_MASK,
                uid: owner.uid,
                gid: owner.gid,
                nlink,
                unnamed: false,
                atime: now,
                mtime: now,
                ctime: now,
                content,
            }),
        })
    }

    fn same_fs(&self, other: &TmpNode) -> bool {
        Arc::ptr_eq(&self.fs, &other.fs)
    }

    /// The entry `name` of this directory, checking it is a live directory.
    fn get_entry(&self, name: &[u8]) -> Result<Option<Entry>> {
        let state = self.state.lock();
        match &state.content {
            Content::Dir(dir) if dir.removed => Err(Error::NotFound),
            Content::Dir(dir) => Ok(dir.entries.get(name).cloned()),
            _ => Err(Error::NotDir),
        }
    }

    /// Add a new entry (caller holds the namespace lock): `Exists` if `name` is taken.
    pub(super) fn insert_entry(&self, name: &[u8], entry: Entry, now: Nanos) -> Result<()> {
        let mut state = self.state.lock();
        let State {
            content,
            nlink,
            mtime,
            ctime,
            ..
        } = &mut *state;
        let Content::Dir(dir) = content else {
            return Err(Error::NotDir);
        };
        if dir.removed {
            return Err(Error::NotFound);
        }
        if dir.entries.contains_key(name) {
            return Err(Error::Exists);
        }
        if entry.is_dir() {
            *nlink = nlink.saturating_add(1);
        }
        dir.entries.insert(name.to_vec(), entry);
        *mtime = now;
        *ctime = now;
        Ok(())
    }

    /// Create a node and enter it under `name`.
    fn add_node(
        &self,
        name: &[u8],
        file_type: FileType,
        mode: u32,
        owner: Owner,
        content: Content,
    ) -> Result<NodeRef> {
        check_name(name)?;
        let _namespace = self.fs.namespace.lock();
        if self.get_entry(name)?.is_some() {
            return Err(Error::Exists);
        }
        let node = TmpNode::new(&self.fs, file_type, mode, owner, content)?;
        let entry = Entry {
            node: node.clone(),
            ino: node.ino,
            file_type,
        };
        self.insert_entry(name, entry, self.fs.now())?;
        Ok(node)
    }

    /// Mark directory `node` (of this filesystem) removed if it is empty.
    fn remove_empty_dir(node: &TmpNode, now: Nanos) -> Result<()> {
        let mut state = node.state.lock();
        let State {
            content,
            nlink,
            ctime,
            ..
        } = &mut *state;
        let Content::Dir(dir) = content else {
            return Err(Error::NotDir);
        };
        if !dir.entries.is_empty() {
            return Err(Error::NotEmpty);
        }
        dir.removed = true;
        *nlink = 0;
        *ctime = now;
        Ok(())
    }

    /// Whether directory `node` has no entries.
    fn dir_is_empty(node: &TmpNode) -> Result<bool> {
        match &node.state.lock().content {
            Content::Dir(dir) => Ok(dir.entries.is_empty()),
            _ => Err(Error::NotDir),
        }
    }

    /// One link of non-directory `node` is gone; a link past the first gives back its
    /// charge (the first one's is the inode's, given back when the node goes).
    fn drop_link(node: &TmpNode, now: Nanos) {
        let mut state = node.state.lock();
        if state.nlink > 1 {
            node.fs.usage.put_link();
        }
        state.nlink = state.nlink.saturating_sub(1);
        state.ctime = now;
    }

    /// Whether `ancestor` is `dir` or one of its ancestors (caller holds the namespace
    /// lock, so parent pointers do not move meanwhile).
    fn is_within(dir: &TmpNode, ancestor: &TmpNode) -> bool {
        if dir.ino == ancestor.ino {
            return true;
        }
        let mut next = match &dir.state.lock().content {
            Content::Dir(d) => d.parent.upgrade(),
            _ => None,
        };
        while let Some(node) = next {
            if node.ino == ancestor.ino {
                return true;
            }
            next = match &node.state.lock().content {
                Content::Dir(d) => d.parent.upgrade(),
                _ => None,
            };
        }
        false
    }

    /// Update a directory after an entry left or arrived.
    fn dir_changed(&self, now: Nanos, nlink_delta: i64) {
        let mut state = self.state.lock();
        state.nlink = state.nlink.saturating_add_signed(nlink_delta);
        state.mtime = now;
        state.ctime = now;
    }

    fn remove_entry(&self, name: &[u8]) -> Result<()> {
        let mut state = self.state.lock();
        let Content::Dir(dir) = &mut state.content else {
            return Err(Error::NotDir);
        };
        dir.entries.remove(name).map(drop).ok_or(Error::NotFound)
    }

    fn put_entry(&self, name: &[u8], entry: Entry) -> Result<()> {
        let mut state = self.state.lock();
        let Content::Dir(dir) = &mut state.content else {
            return Err(Error::NotDir);
        };
        dir.entries.insert(name.to_vec(), entry);
        Ok(())
    }

    /// rename or exchange (`op`) between this directory and `new_dir` of the same
    /// filesystem, under the filesystem's namespace lock.
    fn move_between(
        &self,
        name: &[u8],
        new_dir: &NodeRef,
        new_name: &[u8],
        op: fn(&TmpNode, &[u8], &TmpNode, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let new_dir = new_dir
            .as_any()
            .downcast_ref::<TmpNode>()
            .ok_or(Error::CrossDevice)?;
        if !self.same_fs(new_dir) {
            return Err(Error::CrossDevice);
        }
        check_name(name)?;
        check_name(new_name)?;
        let _namespace = self.fs.namespace.lock();
        op(self, name, new_dir, new_name)
    }

    fn rename_locked(&self, name: &[u8], new_dir: &TmpNode, new_name: &[u8]) -> Result<()> {
        let src = self.get_entry(name)?.ok_or(Error::NotFound)?;
        let same_dir = self.ino == new_dir.ino;
        if same_dir && name == new_name {
            return Ok(());
        }
        let dst = new_dir.get_entry(new_name)?;
        if dst
            .as_ref()
            .is_some_and(|dst| same_node(&dst.node, &src.node))
        {
            // rename(2): two links to the same file, nothing happens.
            return Ok(());
        }
        // Validate everything before changing anything.
        if src.is_dir() {
            let moved = src.tmp().ok_or(Error::Busy)?;
            if Self::is_within(new_dir, moved) {
                return Err(Error::Invalid);
            }
        }
        if let Some(dst) = &dst {
            match (src.is_dir(), dst.is_dir()) {
                (true, false) => return Err(Error::NotDir),
                (false, true) => return Err(Error::IsDir),
                (true, true) => {
                    let replaced = dst.tmp().ok_or(Error::Busy)?;
                    if !Self::dir_is_empty(replaced)? {
                        return Err(Error::NotEmpty);
                    }
                }
                (false, false) => {}
            }
        }
        let now = self.fs.now();
        let mut new_dir_delta = 0i64;
        if let Some((dst, replaced)) = dst.as_ref().and_then(|dst| Some((dst, dst.tmp()?))) {
            if dst.is_dir() {
                Self::remove_empty_dir(replaced, now)?;
                new_dir_delta -= 1;
            } else {
                Self::drop_link(replaced, now);
            }
        }
        let moves_dir = src.is_dir() && !same_dir;
        self.remove_entry(name)?;
        self.dir_changed(now, if moves_dir { -1 } else { 0 });
        if moves_dir {
            new_dir_delta += 1;
        }
        new_dir.put_entry(new_name, src.clone())?;
        new_dir.dir_changed(now, new_dir_delta);
        if let Some(moved) = src.tmp() {
            let mut state = moved.state.lock();
            state.ctime = now;
            if let Content::Dir(d) = &mut state.content {
                d.parent = new_dir.me.clone();
            }
        }
        Ok(())
    }
}

impl TmpNode {
    /// RENAME_EXCHANGE (caller holds the namespace lock): both names must exist; a
    /// directory may not end up inside itself; link counts of the parents follow the
    /// directories that moved.
    fn exchange_locked(&self, name: &[u8], new_dir: &TmpNode, new_name: &[u8]) -> Result<()> {
        let a = self.get_entry(name)?.ok_or(Error::NotFound)?;
        let b = new_dir.get_entry(new_name)?.ok_or(Error::NotFound)?;
        let same_dir = self.ino == new_dir.ino;
        if same_dir && name == new_name {
            return Ok(());
        }
        if a.is_dir() && !same_dir {
            let moved = a.tmp().ok_or(Error::Busy)?;
            if Self::is_within(new_dir, moved) {
                return Err(Error::Invalid);
            }
        }
        if b.is_dir() && !same_dir {
            let moved = b.tmp().ok_or(Error::Busy)?;
            if Self::is_within(self, moved) {
                return Err(Error::Invalid);
            }
        }
        let now = self.fs.now();
        self.put_entry(name, b.clone())?;
        new_dir.put_entry(new_name, a.clone())?;
        let delta = i64::from(a.is_dir()) - i64::from(b.is_dir());
        if same_dir {
            self.dir_changed(now, 0);
        } else {
            self.dir_changed(now, -delta);
            new_dir.dir_changed(now, delta);
        }
        for (entry, parent) in [(&a, new_dir), (&b, self)] {
            if let Some(moved) = entry.tmp() {
                let mut state = moved.state.lock();
                state.ctime = now;
                if let Content::Dir(d) = &mut state.content {
                    d.parent = parent.me.clone();
                }
            }
        }
        Ok(())
    }
}

impl Node for TmpNode {
    fn metadata(&self) -> Result<Metadata> {
        let state = self.state.lock();
        let size = match &state.content {
            Content::Dir(dir) => to_u64(dir.entries.len())?
                .saturating_add(2)
                .saturating_mul(BOGO_DIRENT_BYTES),
            Content::File(data) => data.size,
            Content::Symlink(target) => to_u64(target.len())?,
            Content::Fifo(_) | Content::Special => 0,
        };
        // Regular files count the pages they hold (so sparse files have few blocks); as in
        // shmem, a directory holds none (its size is bogus), a symbolic link one page if its
        // target is too long to live in the inode.
        let blocks = match &state.content {
            Content::File(data) => data.blocks(STAT_BLOCK_BYTES),
            Content::Symlink(target) if target.len() >= SHORT_SYMLINK_BYTES => {
                PAGE_BYTES_U64 / STAT_BLOCK_BYTES
            }
            Content::Symlink(_) | Content::Dir(_) | Content::Fifo(_) | Content::Special => 0,
        };
        Ok(Metadata {
            dev: self.fs.dev,
            ino: self.ino,
            mode: self.file_type.mode_bits() | state.perm,
            nlink: state.nlink,
            uid: state.uid,
            gid: state.gid,
            rdev: 0,
            size,
            blocks,
            blksize: BLOCK_SIZE_BYTES,
            atime: state.atime,
            mtime: state.mtime,
            ctime: state.ctime,
        })
    }

    fn file_type(&self) -> FileType {
        self.file_type
    }

    fn lookup(&self, name: &[u8]) -> Result<NodeRef> {
        self.get_entry(name)?.map(|e| e.node).ok_or(Error::NotFound)
    }

    fn read_dir(&self) -> Result<Vec<DirEntry>> {
        let now = self.fs.now();
        let mut state = self.state.lock();
        let Content::Dir(dir) = &state.content else {
            return Err(Error::NotDir);
        };
        if dir.removed {
            return Err(Error::NotFound);
        }
        let entries = dir
            .entries
            .iter()
            .map(|(name, e)| DirEntry {
                name: name.clone(),
                ino: e.ino,
                file_type: e.file_type,
            })
            .collect();
        touch_atime(&mut state, now);
        Ok(entries)
    }

    fn create(&self, name: &[u8], file_type: FileType, mode: u32) -> Result<NodeRef> {
        self.create_as(name, file_type, mode, Owner::default())
    }

    fn create_as(
        &self,
        name: &[u8],
        file_type: FileType,
        mode: u32,
        owner: Owner,
    ) -> Result<NodeRef> {
        let content = match file_type {
            FileType::Regular => Content::File(FileData::default()),
            FileType::Directory => Content::new_dir(self.me.clone()),
            FileType::Fifo => Content::Fifo(Pipe::new_fifo()),
            FileType::Socket => Content::Special,
            FileType::Symlink => return Err(Error::Invalid),
            // mknod(2) of devices needs CAP_MKNOD, which the sandbox never has.
            FileType::CharDevice => return Err(Error::Perm),
        };
        self.add_node(name, file_type, mode, owner, content)
    }

    fn create_unnamed(&self, mode: u32, owner: Owner) -> Result<NodeRef> {
        match &self.state.lock().content {
            Content::Dir(dir) if dir.removed => return Err(Error::NotFound),
            Content::Dir(_) => {}
            _ => return Err(Error::NotDir),
        }
        let node = TmpNode::new(
            &self.fs,
            FileType::Regular,
            mode,
            owner,
            Content::File(FileData::default()),
        )?;
        {
            let mut state = node.state.lock();
            state.nlink = 0;
            state.unnamed = true;
        }
        Ok(node)
    }

    fn symlink(&self, name: &[u8], target: &[u8]) -> Result<()> {
        self.symlink_as(name, target, Owner::default())
    }

    fn symlink_as(&self, name: &[u8], target: &[u8], owner: Owner) -> Result<()> {
        // symlink(2): an empty target is ENOENT.
        if target.is_empty() {
            return Err(Error::NotFound);
        }
        if target.len() > SYMLINK_MAX_BYTES {
            return Err(Error::NameTooLong);
        }
        self.add_node(
            name,
            FileType::Symlink,
            SYMLINK_PERM,
            owner,
            Content::Symlink(target.to_vec()),
        )
        .map(drop)
    }

    fn link(&self, name: &[u8], node: &NodeRef) -> Result<()> {
        let target = node
            .as_any()
            .downcast_ref::<TmpNode>()
            .ok_or(Error::CrossDevice)?;
        if !self.same_fs(target) {
            return Err(Error::CrossDevice);
        }
        // link(2): hard links to directories are EPERM.
        if target.file_type == FileType::Directory {
            return Err(Error::Perm);
        }
        check_name(name)?;
        let _namespace = self.fs.namespace.lock();
        {
            let state = target.state.lock();
            if state.nlink == 0 && !state.unnamed {
                // The file was unlinked meanwhile: link(2) gives ENOENT.
                return Err(Error::NotFound);
            }
        }
        let now = self.fs.now();
        let entry = Entry {
            node: node.clone(),
            ino: target.ino,
            file_type: target.file_type,
        };
        // A second and later name costs kernel memory as an inode does (Linux's tmpfs
        // counts it against nr_inodes too).
        let extra = target.state.lock().nlink > 0;
        if extra {
            self.fs.usage.take_link()?;
        }
        if let Err(e) = self.insert_entry(name, entry, now) {
            if extra {
                self.fs.usage.put_link();
            }
            return Err(e);
        }
        let mut state = target.state.lock();
        state.nlink = state.nlink.saturating_add(1);
        state.unnamed = false;
        state.ctime = now;
        Ok(())
    }

    fn unlink(&self, name: &[u8], directory: bool) -> Result<()> {
        check_name(name)?;
        let _namespace = self.fs.namespace.lock();
        let entry = self.get_entry(name)?.ok_or(Error::NotFound)?;
        let now = self.fs.now();
        match (entry.is_dir(), directory) {
            (true, false) => return Err(Error::IsDir),
            (false, true) => return Err(Error::NotDir),
            (true, true) => Self::remove_empty_dir(entry.tmp().ok_or(Error::Busy)?, now)?,
            (false, false) => {}
        }
        self.remove_entry(name)?;
        self.dir_changed(now, if entry.is_dir() { -1 } else { 0 });
        if let Some(node) = entry.tmp().filter(|_| !entry.is_dir()) {
            Self::drop_link(node, now);
        }
        Ok(())
    }

    fn rename(&self, name: &[u8], new_dir: &NodeRef, new_name: &[u8]) -> Result<()> {
        self.move_between(name, new_dir, new_name, Self::rename_locked)
    }

    fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        let now = self.fs.now();
        let mut state = self.state.lock();
        let read = match &state.content {
            Content::File(data) => data.read(pos, buf)?,
            Content::Dir(_) => return Err(Error::IsDir),
            _ => return Err(Error::Invalid),
        };
        touch_atime(&mut state, now);
        Ok(read)
    }

    fn write_at(&self, pos: u64, data: &[u8]) -> Result<usize> {
        let now = self.fs.now();
        let mut state = self.state.lock();
        let written = match &mut state.content {
            Content::File(file) => file.write(&self.fs.usage, pos, data)?,
            Content::Dir(_) => return Err(Error::IsDir),
            _ => return Err(Error::Invalid),
        };
        if written > 0 {
            state.mtime = now;
            state.ctime = now;
        }
        Ok(written)
    }

    fn truncate(&self, len: u64) -> Result<()> {
        let now = self.fs.now();
        let mut state = self.state.lock();
        match &mut state.content {
            Content::File(file) => file.truncate(&self.fs.usage, len)?,
            Content::Dir(_) => return Err(Error::IsDir),
            _ => return Err(Error::Invalid),
        }
        // ftruncate(2) and O_TRUNC update both even when the size stays (do_truncate with
        // ATTR_MTIME | ATTR_CTIME).
        state.mtime = now;
        state.ctime = now;
        Ok(())
    }

    fn shared_pages(
        &self,
        alloc: &dyn Fn(u64) -> Result<SharedPagesRef>,
    ) -> Result<SharedPagesRef> {
        match &mut self.state.lock().content {
            Content::File(file) => file.share(&self.fs.usage, alloc),
            _ => Err(Error::NotSupported),
        }
    }

    fn read_link(&self) -> Result<Vec<u8>> {
        let now = self.fs.now();
        let mut state = self.state.lock();
        let target = match &state.content {
            Content::Symlink(target) => target.clone(),
            _ => return Err(Error::Invalid),
        };
        touch_atime(&mut state, now);
        Ok(target)
    }

    fn set_mode(&self, mode: u32) -> Result<()> {
        let now = self.fs.now();
        let mut state = self.state.lock();
        state.perm = mode & PERM_MASK;
        state.ctime = now;
        Ok(())
    }

    fn set_times(&self, atime: Option<Nanos>, mtime: Option<Nanos>) -> Result<()> {
        let now = self.fs.now();
        let mut state = self.state.lock();
        if let Some(atime) = atime {
            state.atime = atime;
        }
        if let Some(mtime) = mtime {
            state.mtime = mtime;
        }
        state.ctime = now;
        Ok(())
    }

    fn set_owner(&self, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        let now = self.fs.now();
        let mut state = self.state.lock();
        if let Some(uid) = uid {
            state.uid = uid;
        }
        if let Some(gid) = gid {
            state.gid = gid;
        }
        state.perm = bits_after_chown(self.file_type, state.perm);
        state.ctime = now;
        Ok(())
    }

    fn exchange(&self, name: &[u8], new_dir: &NodeRef, new_name: &[u8]) -> Result<()> {
        self.move_between(name, new_dir, new_name, Self::exchange_locked)
    }

    fn allocate(&self, mode: AllocMode, offset: u64, len: u64) -> Result<()> {
        let end = offset.checked_add(len).ok_or(Error::TooBig)?;
        let now = self.fs.now();
        let mut state = self.state.lock();
        let before = match &state.content {
            Content::File(file) => file.size,
            Content::Dir(_) => return Err(Error::IsDir),
            _ => return Err(Error::NoDevice),
        };
        let Content::File(file) = &mut state.content else {
            return Err(Error::NoDevice);
        };
        match mode {
            AllocMode::Allocate => file.allocate(&self.fs.usage, offset, end, false)?,
            AllocMode::KeepSize => file.allocate(&self.fs.usage, offset, end, true)?,
            AllocMode::PunchHole => file.punch(&self.fs.usage, offset, end)?,
        }
        let changed = mode == AllocMode::PunchHole || file.size != before;
        if changed {
            state.mtime = now;
            state.ctime = now;
        }
        Ok(())
    }

    fn statfs(&self) -> Result<FsStats> {
        Ok(self.fs.usage.stats())
    }

    fn open_fifo(&self, read: bool, write: bool, nonblock: bool) -> Result<NodeRef> {
        let pipe = match &self.state.lock().content {
            Content::Fifo(pipe) => pipe.clone(),
            _ => return Err(Error::NotSupported),
        };
        let me: NodeRef = self.me.upgrade().ok_or(Error::NotFound)?;
        pipe.open_end(me, read, write, nonblock)
    }

    fn open(self: Arc<Self>, _write: bool) -> Result<NodeRef> {
        Ok(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
