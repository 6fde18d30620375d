//! The in-memory filesystem (tmpfs): directories, regular files, symbolic links and FIFO or
//! socket nodes that live only in the library OS's memory.
//!
//! [`TmpFs`] is one filesystem instance (one device number, one inode counter, one clock);
//! its nodes are private `TmpNode`s behind [`NodeRef`]. Directories also accept foreign nodes
//! ([`TmpFs::attach`]): the devices of `/dev`, the generated files of `/proc`, the terminal.
//! Times follow Linux: data writes change mtime and ctime, namespace changes change the
//! parent's mtime and ctime and the node's ctime, reads change atime under `relatime` rules
//! (the default of Linux mounts). Regular files are stored sparsely, one zero-filled page per
//! written 4 KiB, so a guest's `ftruncate(fd, 1 << 40)` costs nothing until it writes.
//!
//! Locking: each node has one lock for its own state. Every change to the namespace (create,
//! link, unlink, rename) also holds the filesystem's namespace lock, and only holders of that
//! lock ever take a second node lock, one at a time in any order: readers and writers of data
//! hold one node lock and never wait for another, so no two threads can wait on each other.
//! It serialises namespace changes of one filesystem, like Linux's per-filesystem rename
//! mutex does for cross-directory renames; data I/O runs in parallel.
//!
//! Depends on `fs` (the [`Node`] trait), `error` and `time` only.

use super::{DirEntry, FileType, Metadata, Node, NodeRef, SharedPagesRef};
use crate::error::{Error, Result};
use crate::time::Nanos;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

/// The clock a [`TmpFs`] stamps times with (wall-clock time, as `CLOCK_REALTIME`).
pub type Clock = Arc<dyn Fn() -> Nanos + Send + Sync>;

/// `st_blksize` of tmpfs nodes: the page size.
pub const BLOCK_SIZE_BYTES: u64 = 4096;
/// Largest file size, Linux's `MAX_LFS_FILESIZE` on 64-bit.
pub const MAX_FILE_BYTES: u64 = 0x7fff_ffff_ffff_ffff;
/// Longest name of one directory entry (`NAME_MAX`, limits.h).
pub const NAME_MAX_BYTES: usize = 255;
/// Longest symbolic link target (`PATH_MAX` less the terminating NUL).
pub const SYMLINK_MAX_BYTES: usize = 4095;

/// Unit of data storage of regular files.
const PAGE_BYTES: usize = 4096;
const PAGE_BYTES_U64: u64 = 4096;
/// `st_blocks` counts 512-byte units (stat(2)).
const STAT_BLOCK_BYTES: u64 = 512;
/// Linux's shmem counts this much directory size per entry (`BOGO_DIRENT_SIZE`, mm/shmem.c).
const BOGO_DIRENT_BYTES: u64 = 20;
/// The permission bits of a mode (`07777`).
const PERM_MASK: u32 = 0o7777;
/// `relatime`: atime is updated at least this often even if not older than mtime/ctime.
const RELATIME_SPAN_NANOS: u64 = 24 * 3600 * 1_000_000_000;
/// Inode number of the root directory (Linux's tmpfs gives its root a low number too).
const ROOT_INO: u64 = 1;
/// Permission bits of a fresh symbolic link.
const SYMLINK_PERM: u32 = 0o777;
/// Default permission bits of the root directory.
const DEFAULT_ROOT_PERM: u32 = 0o755;

/// What all nodes of one filesystem share.
struct Shared {
    dev: u64,
    next_ino: AtomicU64,
    clock: Clock,
    /// Held by every namespace change; see the module documentation.
    namespace: Mutex<()>,
}

impl Shared {
    fn now(&self) -> Nanos {
        (self.clock)()
    }
    fn alloc_ino(&self) -> u64 {
        self.next_ino.fetch_add(1, Ordering::Relaxed)
    }
}

/// One in-memory filesystem. See the module documentation.
pub struct TmpFs {
    shared: Arc<Shared>,
    root: Arc<TmpNode>,
}

impl TmpFs {
    /// A new, empty filesystem with device number `dev` whose root directory has mode 0755.
    pub fn new(dev: u64, clock: Clock) -> Arc<TmpFs> {
        Self::new_with_root_mode(dev, clock, DEFAULT_ROOT_PERM)
    }

    /// A new, empty filesystem whose root directory has permission bits `mode`.
    pub fn new_with_root_mode(dev: u64, clock: Clock, mode: u32) -> Arc<TmpFs> {
        let shared = Arc::new(Shared {
            dev,
            next_ino: AtomicU64::new(ROOT_INO),
            clock,
            namespace: Mutex::new(()),
        });
        let root = TmpNode::new(
            &shared,
            FileType::Directory,
            mode,
            Content::new_dir(Weak::new()),
        );
        Arc::new(TmpFs { shared, root })
    }

    /// The root directory.
    pub fn root(&self) -> NodeRef {
        self.root.clone()
    }

    /// The device number (`st_dev`) of this filesystem's nodes.
    pub fn dev(&self) -> u64 {
        self.shared.dev
    }

    /// A fresh inode number of this filesystem, for foreign nodes put in it with
    /// [`TmpFs::attach`] (so that `st_dev`/`st_ino` pairs stay unique).
    pub fn alloc_ino(&self) -> u64 {
        self.shared.alloc_ino()
    }

    /// The current time by this filesystem's clock.
    pub fn now(&self) -> Nanos {
        self.shared.now()
    }

    /// This filesystem's clock, for foreign nodes that keep times.
    pub fn clock(&self) -> Clock {
        self.shared.clock.clone()
    }

    /// Create regular file `name` in `dir` holding `data`, with permission bits `mode`.
    pub fn add_file(dir: &NodeRef, name: &[u8], data: &[u8], mode: u32) -> Result<NodeRef> {
        let file = dir.create(name, FileType::Regular, mode)?;
        let written = file.write_at(0, data)?;
        if written != data.len() {
            return Err(Error::NoSpace);
        }
        Ok(file)
    }

    /// Create directory `name` in `dir` with permission bits `mode`.
    pub fn add_dir(dir: &NodeRef, name: &[u8], mode: u32) -> Result<NodeRef> {
        dir.create(name, FileType::Directory, mode)
    }

    /// Create symbolic link `name` → `target` in `dir`; returns the link.
    pub fn add_symlink(dir: &NodeRef, name: &[u8], target: &[u8]) -> Result<NodeRef> {
        dir.symlink(name, target)?;
        dir.lookup(name)
    }

    /// Put a node of another kind (a device, a generated file, a terminal) into tmpfs
    /// directory `dir` under `name`. Such entries can be unlinked and renamed like files;
    /// foreign directories cannot be removed or moved (`Error::Busy`), as they stand for
    /// fixed parts of the tree. `dir` must be a tmpfs directory (`Error::NotSupported`
    /// otherwise) and `node` must not be a tmpfs node (`Error::Invalid`: use
    /// [`Node::link`]).
    pub fn attach(dir: &NodeRef, name: &[u8], node: NodeRef) -> Result<()> {
        let dir = dir
            .as_any()
            .downcast_ref::<TmpNode>()
            .ok_or(Error::NotSupported)?;
        if node.as_any().is::<TmpNode>() {
            return Err(Error::Invalid);
        }
        check_name(name)?;
        let entry = Entry {
            ino: node.metadata()?.ino,
            file_type: node.file_type(),
            node,
        };
        let _namespace = dir.fs.namespace.lock();
        let now = dir.fs.now();
        dir.insert_entry(name, entry, now)
    }
}

/// A node of a [`TmpFs`].
struct TmpNode {
    fs: Arc<Shared>,
    /// This node, for the parent pointers of subdirectories.
    me: Weak<TmpNode>,
    ino: u64,
    file_type: FileType,
    state: Mutex<State>,
}

/// The mutable part of a node.
struct State {
    perm: u32,
    nlink: u64,
    atime: Nanos,
    mtime: Nanos,
    ctime: Nanos,
    content: Content,
}

enum Content {
    Dir(Dir),
    File(FileData),
    Symlink(Vec<u8>),
    /// FIFOs and sockets: the shim gives them their behaviour.
    Special,
}

impl Content {
    fn new_dir(parent: Weak<TmpNode>) -> Content {
        Content::Dir(Dir {
            entries: BTreeMap::new(),
            parent,
            removed: false,
        })
    }
}

struct Dir {
    /// By name, so that `read_dir` order is stable.
    entries: BTreeMap<Vec<u8>, Entry>,
    /// The directory holding this one (empty for the root); changed only by rename.
    parent: Weak<TmpNode>,
    /// Removed by rmdir or replaced by rename: nothing can be created in it any more.
    removed: bool,
}

#[derive(Clone)]
struct Entry {
    node: NodeRef,
    /// Inode number and type, fixed for a node's life, kept here so that listing a
    /// directory calls into no other node.
    ino: u64,
    file_type: FileType,
}

impl Entry {
    fn tmp(&self) -> Option<&TmpNode> {
        self.node.as_any().downcast_ref::<TmpNode>()
    }
    fn is_dir(&self) -> bool {
        self.file_type == FileType::Directory
    }
}

/// How much a file mapped MAP_SHARED may grow: its shared memory is reserved (not committed)
/// at this size, and writes past it fail with ENOSPC.
pub const SHARED_FILE_CAPACITY_BYTES: u64 = 1 << 30;

/// Data of a regular file: pages that were written, by index; holes read as zeros. Bytes of
/// a page past `size` are always zero, so growing the file exposes zeros.
#[derive(Default)]
struct FileData {
    size: u64,
    pages: BTreeMap<u64, Box<[u8]>>,
    /// Once the file is mapped MAP_SHARED its bytes move here (and `pages` is empty), so
    /// that guest mappings and read/write see the same memory.
    shared: Option<SharedPagesRef>,
}

fn to_u64(n: usize) -> Result<u64> {
    u64::try_from(n).map_err(|_| Error::Overflow)
}

fn to_usize(n: u64) -> Result<usize> {
    usize::try_from(n).map_err(|_| Error::Overflow)
}

impl FileData {
    fn read(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        let avail = self.size.saturating_sub(pos);
        let len = to_usize(avail.min(to_u64(buf.len())?))?;
        if let Some(shared) = &self.shared {
            shared.read(pos, buf.get_mut(..len).ok_or(Error::Invalid)?)?;
            return Ok(len);
        }
        let mut done = 0usize;
        while done < len {
            let at = pos.checked_add(to_u64(done)?).ok_or(Error::Overflow)?;
            let offset = to_usize(at % PAGE_BYTES_U64)?;
            let chunk = (PAGE_BYTES - offset).min(len - done);
            let out = buf.get_mut(done..done + chunk).ok_or(Error::Invalid)?;
            match self.pages.get(&(at / PAGE_BYTES_U64)) {
                Some(page) => {
                    out.copy_from_slice(page.get(offset..offset + chunk).ok_or(Error::Invalid)?)
                }
                None => out.fill(0),
            }
            done += chunk;
        }
        Ok(len)
    }

    fn write(&mut self, pos: u64, data: &[u8]) -> Result<usize> {
        let end = pos.checked_add(to_u64(data.len())?).ok_or(Error::Invalid)?;
        if end > MAX_FILE_BYTES {
            return Err(Error::Invalid);
        }
        if let Some(shared) = &self.shared {
            if end > shared.capacity() {
                return Err(Error::NoSpace);
            }
            shared.write(pos, data)?;
            self.size = self.size.max(end);
            return Ok(data.len());
        }
        let mut done = 0usize;
        while done < data.len() {
            let at = pos + to_u64(done)?;
            let offset = to_usize(at % PAGE_BYTES_U64)?;
            let chunk = (PAGE_BYTES - offset).min(data.len() - done);
            let page = self
                .pages
                .entry(at / PAGE_BYTES_U64)
                .or_insert_with(|| vec![0u8; PAGE_BYTES].into_boxed_slice());
            let dst = page.get_mut(offset..offset + chunk).ok_or(Error::Invalid)?;
            dst.copy_from_slice(data.get(done..done + chunk).ok_or(Error::Invalid)?);
            done += chunk;
        }
        self.size = self.size.max(end);
        Ok(data.len())
    }

    /// Move the bytes into shared pages from `alloc` (once) and return them.
    fn share(&mut self, alloc: &dyn Fn(u64) -> Result<SharedPagesRef>) -> Result<SharedPagesRef> {
        if let Some(shared) = &self.shared {
            return Ok(shared.clone());
        }
        let shared =
            alloc(SHARED_FILE_CAPACITY_BYTES.max(self.size.next_multiple_of(PAGE_BYTES_U64)))?;
        for (index, page) in &self.pages {
            shared.write(index * PAGE_BYTES_U64, page)?;
        }
        self.pages.clear();
        self.shared = Some(shared.clone());
        Ok(shared)
    }

    fn truncate(&mut self, len: u64) -> Result<()> {
        if len > MAX_FILE_BYTES {
            return Err(Error::Invalid);
        }
        if let Some(shared) = &self.shared {
            if len > shared.capacity() {
                return Err(Error::NoSpace);
            }
            // Bytes past the end read as zero when the file grows again.
            if len < self.size {
                shared.zero(len, self.size - len)?;
            }
            self.size = len;
            return Ok(());
        }
        if len < self.size {
            let first_gone = len.div_ceil(PAGE_BYTES_U64);
            drop(self.pages.split_off(&first_gone));
            let offset = to_usize(len % PAGE_BYTES_U64)?;
            let last = self.pages.get_mut(&(len / PAGE_BYTES_U64));
            if let Some(tail) = last.and_then(|page| page.get_mut(offset..)) {
                tail.fill(0);
            }
        }
        self.size = len;
        Ok(())
    }
}

/// Names a directory can hold: not empty, not `.` or `..`, no `/` or NUL, at most
/// `NAME_MAX` bytes.
fn check_name(name: &[u8]) -> Result<()> {
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

impl TmpNode {
    fn new(fs: &Arc<Shared>, file_type: FileType, mode: u32, content: Content) -> Arc<TmpNode> {
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
                nlink,
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
    fn insert_entry(&self, name: &[u8], entry: Entry, now: Nanos) -> Result<()> {
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
        content: Content,
    ) -> Result<NodeRef> {
        check_name(name)?;
        let _namespace = self.fs.namespace.lock();
        let node = TmpNode::new(&self.fs, file_type, mode, content);
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

    /// One link of non-directory `node` is gone.
    fn drop_link(node: &TmpNode, now: Nanos) {
        let mut state = node.state.lock();
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

impl Node for TmpNode {
    fn metadata(&self) -> Result<Metadata> {
        let state = self.state.lock();
        let size = match &state.content {
            Content::Dir(dir) => to_u64(dir.entries.len())?
                .saturating_add(2)
                .saturating_mul(BOGO_DIRENT_BYTES),
            Content::File(data) => data.size,
            Content::Symlink(target) => to_u64(target.len())?,
            Content::Special => 0,
        };
        Ok(Metadata {
            dev: self.fs.dev,
            ino: self.ino,
            mode: self.file_type.mode_bits() | state.perm,
            nlink: state.nlink,
            uid: 0,
            gid: 0,
            rdev: 0,
            size,
            blocks: size.div_ceil(STAT_BLOCK_BYTES),
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
        let content = match file_type {
            FileType::Regular => Content::File(FileData::default()),
            FileType::Directory => Content::new_dir(self.me.clone()),
            FileType::Fifo | FileType::Socket => Content::Special,
            FileType::Symlink => return Err(Error::Invalid),
            // mknod(2) of devices needs CAP_MKNOD, which the sandbox never has.
            FileType::CharDevice => return Err(Error::Perm),
        };
        self.add_node(name, file_type, mode, content)
    }

    fn symlink(&self, name: &[u8], target: &[u8]) -> Result<()> {
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
        if target.state.lock().nlink == 0 {
            // The file was unlinked meanwhile: link(2) gives ENOENT.
            return Err(Error::NotFound);
        }
        let now = self.fs.now();
        let entry = Entry {
            node: node.clone(),
            ino: target.ino,
            file_type: target.file_type,
        };
        self.insert_entry(name, entry, now)?;
        let mut state = target.state.lock();
        state.nlink = state.nlink.saturating_add(1);
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
        self.rename_locked(name, new_dir, new_name)
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
            Content::File(file) => file.write(pos, data)?,
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
            Content::File(file) => file.truncate(len)?,
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
            Content::File(file) => file.share(alloc),
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

    fn open(self: Arc<Self>, _write: bool) -> Result<NodeRef> {
        Ok(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::sync::atomic::AtomicU64;

    /// A filesystem whose clock advances by one second on every reading.
    fn fs() -> Arc<TmpFs> {
        let t = Arc::new(AtomicU64::new(1));
        TmpFs::new(
            7,
            Arc::new(move || Nanos(t.fetch_add(1_000_000_000, Ordering::Relaxed))),
        )
    }

    /// Shared pages over a plain buffer, standing in for the platform's memory.
    struct BufferPages(Mutex<Vec<u8>>);

    impl super::super::SharedPages for BufferPages {
        fn read(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
            let b = self.0.lock();
            let o = offset as usize;
            buf.copy_from_slice(b.get(o..o + buf.len()).ok_or(Error::Invalid)?);
            Ok(())
        }
        fn write(&self, offset: u64, data: &[u8]) -> Result<()> {
            let mut b = self.0.lock();
            let o = offset as usize;
            b.get_mut(o..o + data.len())
                .ok_or(Error::Invalid)?
                .copy_from_slice(data);
            Ok(())
        }
        fn zero(&self, offset: u64, len: u64) -> Result<()> {
            let mut b = self.0.lock();
            let o = offset as usize;
            b.get_mut(o..o + len as usize)
                .ok_or(Error::Invalid)?
                .fill(0);
            Ok(())
        }
        fn capacity(&self) -> u64 {
            self.0.lock().len() as u64
        }
        fn handle(&self) -> u64 {
            1
        }
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn shared_pages_take_over_the_bytes_of_a_file() {
        let fs = fs();
        let f = TmpFs::add_file(&fs.root(), b"f", b"hello world", 0o644).unwrap();
        let asked = Arc::new(AtomicU64::new(0));
        let seen = asked.clone();
        let alloc = move |cap: u64| -> Result<SharedPagesRef> {
            seen.store(cap, Ordering::Relaxed);
            Ok(Arc::new(BufferPages(Mutex::new(vec![0u8; 3 * PAGE_BYTES]))))
        };
        let pages = f.shared_pages(&alloc).unwrap();
        assert_eq!(asked.load(Ordering::Relaxed), SHARED_FILE_CAPACITY_BYTES);
        let mut b = [0u8; 11];
        pages.read(0, &mut b).unwrap();
        assert_eq!(
            &b, b"hello world",
            "existing bytes moved into the shared pages"
        );
        // Stores through the pages are the file's bytes, and writes reach the pages.
        pages.write(0, b"J").unwrap();
        assert_eq!(f.read_at(0, &mut b), Ok(11));
        assert_eq!(&b, b"Jello world");
        assert_eq!(f.write_at(6, b"WORLD"), Ok(5));
        pages.read(6, &mut b[..5]).unwrap();
        assert_eq!(&b[..5], b"WORLD");
        // Asking again gives the same pages; truncating zeroes the tail; growth past the
        // capacity fails.
        assert_eq!(f.shared_pages(&alloc).unwrap().handle(), 1);
        f.truncate(2).unwrap();
        f.truncate(11).unwrap();
        assert_eq!(f.read_at(0, &mut b), Ok(11));
        assert_eq!(&b, b"Je\0\0\0\0\0\0\0\0\0");
        assert_eq!(f.write_at(3 * PAGE_BYTES as u64, b"x"), Err(Error::NoSpace));
        let dir = fs.root();
        assert!(
            dir.shared_pages(&alloc).is_err(),
            "directories have no shared pages"
        );
    }

    fn meta(node: &NodeRef) -> Metadata {
        node.metadata().unwrap_or_default()
    }

    fn names(dir: &NodeRef) -> Vec<Vec<u8>> {
        dir.read_dir()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    fn read_all(node: &NodeRef) -> Vec<u8> {
        let mut buf = vec![0u8; to_usize(meta(node).size).unwrap_or(0)];
        let n = node.read_at(0, &mut buf).unwrap_or(0);
        buf.truncate(n);
        buf
    }

    #[test]
    fn root_and_create() -> Result<()> {
        let fs = fs();
        let root = fs.root();
        let m = meta(&root);
        assert_eq!(m.mode, 0o040755);
        assert_eq!((m.dev, m.ino, m.nlink), (7, ROOT_INO, 2));
        let f = root.create(b"f", FileType::Regular, 0o644)?;
        assert_eq!(meta(&f).mode, 0o100644);
        assert_eq!(meta(&f).nlink, 1);
        assert_eq!(
            root.create(b"f", FileType::Regular, 0o644).err(),
            Some(Error::Exists)
        );
        assert_eq!(
            root.create(b"f", FileType::Directory, 0o755).err(),
            Some(Error::Exists)
        );
        let d = root.create(b"d", FileType::Directory, 0o700)?;
        assert_eq!(meta(&d).mode, 0o040700);
        assert_eq!(meta(&root).nlink, 3);
        let p = root.create(b"p", FileType::Fifo, 0o600)?;
        assert_eq!(p.file_type(), FileType::Fifo);
        assert_eq!(meta(&p).mode, 0o010600);
        assert!(!p.seekable());
        assert!(Arc::ptr_eq(&p.clone().open(false)?, &p));
        assert_eq!(
            root.create(b"c", FileType::CharDevice, 0o600).err(),
            Some(Error::Perm)
        );
        assert_eq!(
            root.create(b"a/b", FileType::Regular, 0o600).err(),
            Some(Error::Invalid)
        );
        assert_eq!(
            root.create(&[b'x'; 256], FileType::Regular, 0o600).err(),
            Some(Error::NameTooLong)
        );
        assert!(root.create(&[b'x'; 255], FileType::Regular, 0o600).is_ok());
        assert_eq!(
            f.create(b"x", FileType::Regular, 0o600).err(),
            Some(Error::NotDir)
        );
        assert_eq!(f.lookup(b"x").err(), Some(Error::NotDir));
        assert_eq!(root.lookup(b"nope").err(), Some(Error::NotFound));
        assert!(Arc::ptr_eq(&root.lookup(b"d")?, &d));
        // Stable, sorted order; inode numbers distinct.
        assert_eq!(
            names(&root),
            vec![b"d".to_vec(), b"f".to_vec(), b"p".to_vec(), vec![b'x'; 255]]
        );
        let listed = root.read_dir()?;
        assert_eq!(
            listed.first().map(|e| (e.ino, e.file_type)),
            Some((meta(&d).ino, FileType::Directory))
        );
        assert_ne!(meta(&f).ino, meta(&d).ino);
        Ok(())
    }

    #[test]
    fn file_data_sparse_and_truncate() -> Result<()> {
        let fs = fs();
        let f = TmpFs::add_file(&fs.root(), b"f", b"hello", 0o644)?;
        assert_eq!(read_all(&f), b"hello");
        // Sparse write far past the end zero-fills the gap.
        assert_eq!(f.write_at(10_000, b"xy")?, 2);
        assert_eq!(meta(&f).size, 10_002);
        assert_eq!(meta(&f).blocks, 10_002u64.div_ceil(512));
        assert_eq!(meta(&f).blksize, 4096);
        let all = read_all(&f);
        assert_eq!(all.get(..5), Some(&b"hello"[..]));
        assert!(
            all.get(5..10_000)
                .is_some_and(|gap| gap.iter().all(|&b| b == 0))
        );
        assert_eq!(all.get(10_000..), Some(&b"xy"[..]));
        // Reads past the end return 0; short reads at the end.
        let mut buf = [0u8; 8];
        assert_eq!(f.read_at(20_000, &mut buf)?, 0);
        assert_eq!(f.read_at(10_001, &mut buf)?, 1);
        // A write across a page boundary.
        f.write_at(4094, b"abcd")?;
        let mut four = [0u8; 4];
        f.read_at(4094, &mut four)?;
        assert_eq!(&four, b"abcd");
        // Shrinking drops data; growing again shows zeros, not the old bytes.
        f.truncate(3)?;
        assert_eq!(read_all(&f), b"hel");
        f.truncate(4100)?;
        let all = read_all(&f);
        assert_eq!(all.len(), 4100);
        assert!(
            all.get(3..)
                .is_some_and(|rest| rest.iter().all(|&b| b == 0))
        );
        // A huge sparse size costs nothing; past the Linux limit it is refused.
        f.truncate(1 << 40)?;
        assert_eq!(meta(&f).size, 1 << 40);
        f.truncate(0)?;
        assert_eq!(f.truncate(MAX_FILE_BYTES + 1).err(), Some(Error::Invalid));
        assert_eq!(f.write_at(MAX_FILE_BYTES, b"x").err(), Some(Error::Invalid));
        assert_eq!(f.write_at(u64::MAX, b"x").err(), Some(Error::Invalid));
        let mut one = [0u8; 1];
        assert_eq!(f.read_at(u64::MAX, &mut one)?, 0);
        // Directories and symlinks are not files.
        assert_eq!(fs.root().read_at(0, &mut one).err(), Some(Error::IsDir));
        assert_eq!(fs.root().write_at(0, b"x").err(), Some(Error::IsDir));
        Ok(())
    }

    #[test]
    fn times_follow_linux() -> Result<()> {
        let fs = fs();
        let root = fs.root();
        let before = meta(&root);
        let f = root.create(b"f", FileType::Regular, 0o644)?;
        let created = meta(&f);
        let after = meta(&root);
        assert!(after.mtime > before.mtime && after.ctime > before.ctime);
        assert_eq!(
            (created.atime, created.mtime),
            (created.ctime, created.ctime)
        );
        f.write_at(0, b"data")?;
        let written = meta(&f);
        assert!(written.mtime > created.mtime && written.ctime == written.mtime);
        assert_eq!(written.atime, created.atime);
        // A zero-length write changes nothing.
        f.write_at(0, b"")?;
        assert_eq!(meta(&f).mtime, written.mtime);
        // relatime: the first read after a write updates atime, the next one does not.
        let mut buf = [0u8; 4];
        f.read_at(0, &mut buf)?;
        let read1 = meta(&f).atime;
        assert!(read1 > written.mtime);
        f.read_at(0, &mut buf)?;
        assert_eq!(meta(&f).atime, read1);
        // chmod changes ctime only.
        f.set_mode(0o600)?;
        let chmodded = meta(&f);
        assert_eq!(chmodded.mode, 0o100600);
        assert!(chmodded.ctime > written.ctime && chmodded.mtime == written.mtime);
        // utimensat sets what it is given, ctime becomes now.
        f.set_times(Some(Nanos(5)), None)?;
        let m = meta(&f);
        assert_eq!((m.atime, m.mtime), (Nanos(5), written.mtime));
        assert!(m.ctime > chmodded.ctime);
        f.set_times(None, Some(Nanos(9)))?;
        assert_eq!((meta(&f).atime, meta(&f).mtime), (Nanos(5), Nanos(9)));
        // unlink changes the parent's mtime and the node's ctime.
        let parent_before = meta(&root).mtime;
        root.link(b"g", &f)?;
        let linked = meta(&f);
        assert_eq!(linked.nlink, 2);
        root.unlink(b"f", false)?;
        let m = meta(&f);
        assert!(meta(&root).mtime > parent_before && m.ctime > linked.ctime);
        assert_eq!(m.nlink, 1);
        Ok(())
    }

    #[test]
    fn unlink_rules() -> Result<()> {
        let fs = fs();
        let root = fs.root();
        let f = root.create(b"f", FileType::Regular, 0o644)?;
        let d = root.create(b"d", FileType::Directory, 0o755)?;
        d.create(b"inner", FileType::Regular, 0o644)?;
        assert_eq!(root.unlink(b"d", false).err(), Some(Error::IsDir));
        assert_eq!(root.unlink(b"f", true).err(), Some(Error::NotDir));
        assert_eq!(root.unlink(b"d", true).err(), Some(Error::NotEmpty));
        assert_eq!(root.unlink(b"none", false).err(), Some(Error::NotFound));
        assert_eq!(root.unlink(b"..", true).err(), Some(Error::Invalid));
        d.unlink(b"inner", false)?;
        assert_eq!(meta(&root).nlink, 3);
        root.unlink(b"d", true)?;
        assert_eq!(meta(&root).nlink, 2);
        assert_eq!(meta(&d).nlink, 0);
        // Nothing can be created in a removed directory.
        assert_eq!(
            d.create(b"x", FileType::Regular, 0o644).err(),
            Some(Error::NotFound)
        );
        assert_eq!(d.read_dir().err(), Some(Error::NotFound));
        // An unlinked open file keeps its data.
        f.write_at(0, b"kept")?;
        root.unlink(b"f", false)?;
        assert_eq!(meta(&f).nlink, 0);
        assert_eq!(read_all(&f), b"kept");
        assert_eq!(root.link(b"again", &f).err(), Some(Error::NotFound));
        assert!(names(&root).is_empty());
        Ok(())
    }

    #[test]
    fn link_rules() -> Result<()> {
        let fs = fs();
        let other = self::fs();
        let root = fs.root();
        let f = TmpFs::add_file(&root, b"f", b"x", 0o644)?;
        let d = root.create(b"d", FileType::Directory, 0o755)?;
        d.link(b"f2", &f)?;
        assert_eq!(meta(&f).nlink, 2);
        assert_eq!(meta(&d.lookup(b"f2")?).ino, meta(&f).ino);
        assert_eq!(root.link(b"f", &f).err(), Some(Error::Exists));
        assert_eq!(root.link(b"d2", &d).err(), Some(Error::Perm));
        assert_eq!(other.root().link(b"f", &f).err(), Some(Error::CrossDevice));
        let foreign: NodeRef =
            crate::fs::synthetic::DynamicSymlink::new(99, Arc::new(|| Ok(b"x".to_vec())));
        assert_eq!(root.link(b"s", &foreign).err(), Some(Error::CrossDevice));
        // The data is shared.
        d.lookup(b"f2")?.write_at(1, b"y")?;
        assert_eq!(read_all(&f), b"xy");
        Ok(())
    }

    #[test]
    fn rename_matrix() -> Result<()> {
        let fs = fs();
        let root = fs.root();
        let a = root.create(b"a", FileType::Directory, 0o755)?;
        let b = root.create(b"b", FileType::Directory, 0o755)?;
        let f1 = TmpFs::add_file(&a, b"f1", b"one", 0o644)?;
        let f2 = TmpFs::add_file(&b, b"f2", b"two", 0o644)?;
        // File over file (across directories) replaces it.
        a.rename(b"f1", &b, b"f2")?;
        assert_eq!(read_all(&b.lookup(b"f2")?), b"one");
        assert_eq!(meta(&f2).nlink, 0);
        assert_eq!(a.lookup(b"f1").err(), Some(Error::NotFound));
        // Same name in the same directory: nothing happens; a missing source: NotFound.
        b.rename(b"f2", &b, b"f2")?;
        assert!(Arc::ptr_eq(&b.lookup(b"f2")?, &f1));
        assert_eq!(b.rename(b"zz", &b, b"zz").err(), Some(Error::NotFound));
        // Two links to one file: nothing happens.
        b.link(b"f3", &f1)?;
        b.rename(b"f2", &b, b"f3")?;
        assert_eq!(names(&b), vec![b"f2".to_vec(), b"f3".to_vec()]);
        b.unlink(b"f3", false)?;
        // Directory over empty directory moves it and fixes link counts.
        let sub = a.create(b"sub", FileType::Directory, 0o755)?;
        let empty = b.create(b"empty", FileType::Directory, 0o755)?;
        assert_eq!((meta(&a).nlink, meta(&b).nlink), (3, 3));
        a.rename(b"sub", &b, b"empty")?;
        assert_eq!((meta(&a).nlink, meta(&b).nlink), (2, 3));
        assert_eq!(meta(&empty).nlink, 0);
        assert!(Arc::ptr_eq(&b.lookup(b"empty")?, &sub));
        // Directory over non-empty directory, over a file; file over directory.
        sub.create(b"x", FileType::Regular, 0o644)?;
        let d2 = a.create(b"d2", FileType::Directory, 0o755)?;
        assert_eq!(a.rename(b"d2", &b, b"empty").err(), Some(Error::NotEmpty));
        assert_eq!(a.rename(b"d2", &b, b"f2").err(), Some(Error::NotDir));
        assert_eq!(b.rename(b"f2", &a, b"d2").err(), Some(Error::IsDir));
        // A directory into its own subtree, or onto itself as parent.
        assert_eq!(root.rename(b"b", &sub, b"loop").err(), Some(Error::Invalid));
        assert_eq!(
            b.rename(b"empty", &sub, b"loop").err(),
            Some(Error::Invalid)
        );
        // Nothing above changed anything.
        assert_eq!(names(&a), vec![b"d2".to_vec()]);
        assert_eq!(names(&b), vec![b"empty".to_vec(), b"f2".to_vec()]);
        // Moving a directory updates its parent, so the subtree check follows it.
        b.rename(b"empty", &root, b"top")?;
        assert_eq!(meta(&root).nlink, 5);
        root.rename(b"a", &sub, b"a_inside")?;
        assert_eq!(
            sub.lookup(b"a_inside")?
                .lookup(b"d2")
                .map(|n| Arc::ptr_eq(&n, &d2)),
            Ok(true)
        );
        assert_eq!(root.rename(b"top", &d2, b"x").err(), Some(Error::Invalid));
        // Rename within a directory to a new name.
        d2.create(b"old", FileType::Regular, 0o644)?;
        let before = meta(&d2).mtime;
        d2.rename(b"old", &d2, b"new")?;
        assert_eq!(names(&d2), vec![b"new".to_vec()]);
        assert!(meta(&d2).mtime > before);
        // Other filesystems.
        let other = self::fs();
        assert_eq!(
            root.rename(b"top", &other.root(), b"x").err(),
            Some(Error::CrossDevice)
        );
        Ok(())
    }

    #[test]
    fn symlinks_and_helpers() -> Result<()> {
        let fs = fs();
        let root = fs.root();
        let l = TmpFs::add_symlink(&root, b"l", b"../target")?;
        assert_eq!(l.file_type(), FileType::Symlink);
        assert_eq!(l.read_link()?, b"../target");
        let m = meta(&l);
        assert_eq!((m.mode, m.size), (0o120777, 9));
        assert_eq!(root.symlink(b"e", b"").err(), Some(Error::NotFound));
        assert_eq!(root.symlink(b"l", b"x").err(), Some(Error::Exists));
        assert_eq!(root.read_link().err(), Some(Error::Invalid));
        let d = TmpFs::add_dir(&root, b"d", 0o1777)?;
        assert_eq!(meta(&d).mode, 0o041777);
        let custom = TmpFs::new_with_root_mode(1, Arc::new(|| Nanos(0)), 0o700);
        assert_eq!(meta(&custom.root()).mode, 0o040700);
        Ok(())
    }

    #[test]
    fn concurrent_namespace_changes_do_not_deadlock() -> Result<()> {
        extern crate std;
        let fs = fs();
        let root = fs.root();
        let a = root.create(b"a", FileType::Directory, 0o755)?;
        let b = root.create(b"b", FileType::Directory, 0o755)?;
        let threads: Vec<_> = (0..4u8)
            .map(|t| {
                let (a, b) = (a.clone(), b.clone());
                std::thread::spawn(move || -> Result<()> {
                    let name = [b'f', b'0' + t];
                    let sub = [b'd', b'0' + t];
                    for i in 0..500u32 {
                        let file = a.create(&name, FileType::Regular, 0o644)?;
                        file.write_at(u64::from(i), b"x")?;
                        a.rename(&name, &b, &name)?;
                        b.rename(&name, &a, &name)?;
                        a.create(&sub, FileType::Directory, 0o755)?;
                        a.rename(&sub, &b, &sub)?;
                        let _ = b.read_dir()?;
                        b.unlink(&sub, true)?;
                        a.unlink(&name, false)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for thread in threads {
            thread.join().map_err(|_| Error::Busy)??;
        }
        assert!(names(&a).is_empty() && names(&b).is_empty());
        assert_eq!((meta(&a).nlink, meta(&b).nlink), (2, 2));
        Ok(())
    }

    #[test]
    fn attach_foreign_nodes() -> Result<()> {
        let fs = fs();
        let root = fs.root();
        let ino = fs.alloc_ino();
        let generated: NodeRef =
            crate::fs::synthetic::GeneratedFile::new(ino, Arc::new(|| Ok(b"gen".to_vec())));
        TmpFs::attach(&root, b"g", generated.clone())?;
        assert_eq!(
            TmpFs::attach(&root, b"g", generated.clone()).err(),
            Some(Error::Exists)
        );
        let listed = root.read_dir()?;
        assert_eq!(
            listed.first().map(|e| (e.ino, e.file_type)),
            Some((ino, FileType::Regular))
        );
        assert!(Arc::ptr_eq(&root.lookup(b"g")?, &generated));
        let dir = root.create(b"d", FileType::Directory, 0o755)?;
        assert_eq!(TmpFs::attach(&root, b"d2", dir).err(), Some(Error::Invalid));
        assert_eq!(
            TmpFs::attach(&generated, b"x", root.clone()).err(),
            Some(Error::NotSupported)
        );
        let dyn_dir: NodeRef =
            crate::fs::synthetic::DynamicDir::new(fs.alloc_ino(), Arc::new(|| Ok(Vec::new())));
        TmpFs::attach(&root, b"dyn", dyn_dir)?;
        assert_eq!(meta(&root).nlink, 4);
        assert_eq!(root.unlink(b"dyn", true).err(), Some(Error::Busy));
        assert_eq!(root.rename(b"dyn", &root, b"dyn2").err(), Some(Error::Busy));
        root.rename(b"g", &root, b"g2")?;
        root.unlink(b"g2", false)?;
        Ok(())
    }
}
