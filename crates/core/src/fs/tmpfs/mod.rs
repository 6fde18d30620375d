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
//! Owners: nodes record the uid and gid they were created for ([`Node::create_as`]); the
//! permission checks themselves are the caller's (`fs::perm`). Limits: a filesystem may be
//! given a size and an inode count ([`TmpFsOptions`], tmpfs(5) `size=` and `nr_inodes=`),
//! and the sandbox's memory budget (`crate::budget`), which every in-memory filesystem of a
//! sandbox shares; pages and inodes past them fail with `Error::NoSpace`. statfs(2) reports
//! the smaller of the two sizes.
//!
//! Files: `mod.rs` (the filesystem), `node.rs` (nodes and their operations), `data.rs` (file
//! bytes), `tests.rs`.
//!
//! Depends on `fs` (the [`Node`] trait), `pipe` (FIFOs), `budget`, `error` and `time` only.

use super::{FileType, FsStats, NodeRef, Owner, TMPFS_MAGIC};
use crate::budget::BudgetRef;
use crate::error::{Error, Result};
use crate::time::Nanos;
use alloc::sync::{Arc, Weak};
use core::sync::atomic::{AtomicU64, Ordering};
use node::{Content, Entry, TmpNode, check_name};
use spin::Mutex;

mod data;
mod node;
#[cfg(test)]
mod tests;

pub use data::MAX_FILE_BYTES;

/// The clock a [`TmpFs`] stamps times with (wall-clock time, as `CLOCK_REALTIME`).
pub type Clock = Arc<dyn Fn() -> Nanos + Send + Sync>;

/// `st_blksize` of tmpfs nodes: the page size.
pub const BLOCK_SIZE_BYTES: u64 = 4096;
/// Longest name of one directory entry (`NAME_MAX`, limits.h).
pub const NAME_MAX_BYTES: usize = 255;
/// Longest symbolic link target (`PATH_MAX` less the terminating NUL).
pub const SYMLINK_MAX_BYTES: usize = 4095;

/// Unit of data storage of regular files.
const PAGE_BYTES: usize = 4096;
const PAGE_BYTES_U64: u64 = 4096;
/// What one inode is charged to the budget: about what a node, its directory entry and
/// name take in the kernel heap, so that empty files, directories, symbolic links and
/// extra hard links are bounded by the memory budget too (Linux's tmpfs bounds them by `nr_inodes`, whose
/// default also follows the size of RAM).
const INODE_CHARGE_BYTES: u64 = 1024;
/// Inode number of the root directory (Linux's tmpfs gives its root a low number too).
const ROOT_INO: u64 = 1;
/// Default permission bits of the root directory.
const DEFAULT_ROOT_PERM: u32 = 0o755;
/// What statfs(2) reports as the size and inode count of a filesystem with neither a size
/// nor a budget (only those the library OS fills itself: images, /dev, /proc): 1 TiB in
/// pages, and 2^20 inodes.
const UNLIMITED_PAGES: u64 = 1 << 28;
const UNLIMITED_INODES: u64 = 1 << 20;

/// Limits of a [`TmpFs`] (tmpfs(5) mount options `size=` and `nr_inodes=`, and the
/// sandbox's memory budget); `None`: none.
#[derive(Clone, Debug, Default)]
pub struct TmpFsOptions {
    /// Most bytes of file data, rounded up to whole pages.
    pub size_bytes: Option<u64>,
    /// Most inodes, the root included.
    pub inodes: Option<u64>,
    /// The budget every page of file data is also charged to.
    pub budget: Option<BudgetRef>,
}

/// Pages and inodes in use, against the limits.
struct Usage {
    max_pages: Option<u64>,
    max_inodes: Option<u64>,
    pages: AtomicU64,
    inodes: AtomicU64,
    budget: Option<BudgetRef>,
}

fn take(counter: &AtomicU64, max: Option<u64>, n: u64) -> Result<()> {
    let limit = max.unwrap_or(u64::MAX);
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
            used.checked_add(n).filter(|&total| total <= limit)
        })
        .map(drop)
        .map_err(|_| Error::NoSpace)
}

impl Usage {
    fn take_pages(&self, n: u64) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        take(&self.pages, self.max_pages, n)?;
        if let Some(budget) = &self.budget {
            let charged = n
                .checked_mul(PAGE_BYTES_U64)
                .ok_or(Error::NoSpace)
                .and_then(|bytes| budget.charge(bytes).map_err(|_| Error::NoSpace));
            if let Err(e) = charged {
                self.put_local_pages(n);
                return Err(e);
            }
        }
        Ok(())
    }
    fn put_pages(&self, n: u64) {
        if n == 0 {
            return;
        }
        self.put_local_pages(n);
        if let Some(budget) = &self.budget {
            budget.uncharge(n.saturating_mul(PAGE_BYTES_U64));
        }
    }
    fn put_local_pages(&self, n: u64) {
        let _ = self
            .pages
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                Some(u.saturating_sub(n))
            });
    }
    /// Count a new inode, and charge the budget for it.
    fn take_inode(&self) -> Result<()> {
        take(&self.inodes, self.max_inodes, 1)?;
        if let Some(budget) = &self.budget
            && budget.charge(INODE_CHARGE_BYTES).is_err()
        {
            self.put_inode(false);
            return Err(Error::NoSpace);
        }
        Ok(())
    }
    /// Charge the budget for a hard link past a file's first.
    fn take_link(&self) -> Result<()> {
        match &self.budget {
            Some(budget) => budget
                .charge(INODE_CHARGE_BYTES)
                .map_err(|_| Error::NoSpace),
            None => Ok(()),
        }
    }
    /// Give back what [`Usage::take_link`] took.
    fn put_link(&self) {
        if let Some(budget) = &self.budget {
            budget.uncharge(INODE_CHARGE_BYTES);
        }
    }
    /// Give back an inode; `charged`: taken with [`Usage::take_inode`] (all but the root).
    fn put_inode(&self, charged: bool) {
        let _ = self
            .inodes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                Some(u.saturating_sub(1))
            });
        if let Some(budget) = self.budget.as_ref().filter(|_| charged) {
            budget.uncharge(INODE_CHARGE_BYTES);
        }
    }
    /// Total and free units of a resource with its own limit `own`, `used` of it taken, and
    /// the budget's (total, free) counted in the same units.
    fn bounded(
        own: Option<u64>,
        used: &AtomicU64,
        budget: Option<(u64, u64)>,
        unlimited: u64,
    ) -> (u64, u64) {
        let total = match (own, budget) {
            (Some(own), Some((limit, _))) => own.min(limit),
            (Some(limit), None) | (None, Some((limit, _))) => limit,
            (None, None) => unlimited,
        };
        let free = total
            .saturating_sub(used.load(Ordering::Acquire))
            .min(budget.map_or(u64::MAX, |(_, free)| free));
        (total, free)
    }

    /// statfs(2) figures: the size (and the inode count) is the smaller of `size=`
    /// (`nr_inodes=`) and what the budget holds, the free ones the fewer of what either has
    /// left (other mounts use the budget too).
    fn stats(&self) -> FsStats {
        let budget = |unit: u64| {
            self.budget
                .as_ref()
                .map(|b| (b.limit_bytes() / unit, b.available_bytes() / unit))
        };
        let (max_pages, free_pages) = Self::bounded(
            self.max_pages,
            &self.pages,
            budget(PAGE_BYTES_U64),
            UNLIMITED_PAGES,
        );
        let (max_inodes, free_inodes) = Self::bounded(
            self.max_inodes,
            &self.inodes,
            budget(INODE_CHARGE_BYTES),
            UNLIMITED_INODES,
        );
        FsStats {
            magic: TMPFS_MAGIC,
            block_size: BLOCK_SIZE_BYTES,
            blocks: max_pages,
            blocks_free: free_pages,
            blocks_avail: free_pages,
            files: max_inodes,
            files_free: free_inodes,
            name_max: NAME_MAX_BYTES as u64,
            flags: 0,
        }
    }
}

/// What all nodes of one filesystem share.
struct Shared {
    dev: u64,
    next_ino: AtomicU64,
    clock: Clock,
    /// Held by every namespace change; see the module documentation.
    namespace: Mutex<()>,
    usage: Usage,
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
        Self::with_options(dev, clock, mode, TmpFsOptions::default())
    }

    /// A new, empty filesystem with limits; its root directory has permission bits `mode`
    /// and belongs to root. The root counts as one inode (even against a limit of 0).
    pub fn with_options(dev: u64, clock: Clock, mode: u32, options: TmpFsOptions) -> Arc<TmpFs> {
        let shared = Arc::new(Shared {
            dev,
            next_ino: AtomicU64::new(ROOT_INO),
            clock,
            namespace: Mutex::new(()),
            usage: Usage {
                max_pages: options.size_bytes.map(|b| b.div_ceil(PAGE_BYTES_U64)),
                max_inodes: options.inodes,
                pages: AtomicU64::new(0),
                inodes: AtomicU64::new(0),
                budget: options.budget,
            },
        });
        shared.usage.inodes.fetch_add(1, Ordering::Relaxed);
        let root = TmpNode::new_unchecked(
            &shared,
            FileType::Directory,
            mode,
            Owner::default(),
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

    /// statfs(2) figures.
    pub fn stats(&self) -> FsStats {
        self.shared.usage.stats()
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
