//! Open file descriptions and descriptor tables (open(2), dup(2), fcntl(2)).

use crate::error::{Error, Result};
use crate::fs::lock::{LockKey, LockTable};
use crate::fs::{DirEntry, NodeRef};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Source of [`OpenFile::id`]s.
static NEXT_OPEN_FILE_ID: AtomicU64 = AtomicU64::new(1);
use spin::Mutex;

/// An open file description: what `open` creates and `dup` shares.
pub struct OpenFile {
    /// The node (after [`crate::fs::Node::open`]).
    pub node: NodeRef,
    /// The canonical path it was opened by, empty for pipes and other anonymous nodes.
    pub path: Vec<u8>,
    /// Opened for reading.
    pub readable: bool,
    /// Opened for writing.
    pub writable: bool,
    /// Status flags as the shim keeps them (the ABI's `O_*` bits; the core does not read them).
    pub status: AtomicU32,
    /// The file position.
    pub offset: Mutex<u64>,
    /// Directory listing snapshot for getdents64, taken at the first call after a rewind.
    pub dir_snapshot: Mutex<Option<Vec<DirEntry>>>,
    /// A number no other open file description has: the owner of its flock(2) and OFD
    /// locks.
    pub id: u64,
    /// The mount it was opened in is read-only.
    pub read_only: AtomicBool,
    /// The lock table holding its flock/OFD locks, if it ever took one: they go when the
    /// description does.
    locks: Mutex<Option<(Arc<LockTable>, LockKey)>>,
}

impl OpenFile {
    /// A new description.
    pub fn new(
        node: NodeRef,
        path: Vec<u8>,
        readable: bool,
        writable: bool,
        status: u32,
    ) -> Arc<Self> {
        Arc::new(OpenFile {
            node,
            path,
            readable,
            writable,
            status: AtomicU32::new(status),
            offset: Mutex::new(0),
            dir_snapshot: Mutex::new(None),
            id: NEXT_OPEN_FILE_ID.fetch_add(1, Ordering::Relaxed),
            read_only: AtomicBool::new(false),
            locks: Mutex::new(None),
        })
    }
    /// Whether it was opened with `O_PATH` (status bit `0o10000000`): a descriptor that
    /// only names a file (open(2)).
    pub fn is_path_only(&self) -> bool {
        const O_PATH: u32 = 0o10000000;
        self.status() & O_PATH != 0
    }
    /// Record that this description holds locks in `table` on `key`.
    pub fn note_locks(&self, table: &Arc<LockTable>, key: LockKey) {
        *self.locks.lock() = Some((table.clone(), key));
    }
    /// The shim's status flags.
    pub fn status(&self) -> u32 {
        self.status.load(Ordering::Relaxed)
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if let Some((table, key)) = self.locks.lock().take() {
            table.release(key, self.id);
        }
        self.node.release();
    }
}

/// One slot of a descriptor table.
#[derive(Clone)]
pub struct FdEntry {
    /// The shared description.
    pub file: Arc<OpenFile>,
    /// `FD_CLOEXEC`.
    pub cloexec: bool,
}

/// A process's descriptor table. Cloning it is fork's copy: the same descriptions.
#[derive(Clone)]
pub struct FdTable {
    slots: Vec<Option<FdEntry>>,
    limit: usize,
}

impl FdTable {
    /// An empty table allowing descriptors below `limit` (RLIMIT_NOFILE).
    pub fn new(limit: usize) -> Self {
        FdTable {
            slots: Vec::new(),
            limit,
        }
    }
    /// The descriptor limit.
    pub fn limit(&self) -> usize {
        self.limit
    }
    /// Change the limit (setrlimit); existing descriptors stay.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }
    /// The entry at `fd`.
    pub fn get(&self, fd: u32) -> Result<&FdEntry> {
        self.slots
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(Error::BadFd)
    }
    /// The entry at `fd`, mutable (for `FD_CLOEXEC`).
    pub fn get_mut(&mut self, fd: u32) -> Result<&mut FdEntry> {
        self.slots
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Error::BadFd)
    }
    /// Install at the lowest free descriptor `>= min`.
    pub fn insert(&mut self, entry: FdEntry, min: u32) -> Result<u32> {
        let start = min as usize;
        if start >= self.limit {
            return Err(Error::Invalid);
        }
        let free =
            (start..self.slots.len()).find(|&i| self.slots.get(i).is_some_and(Option::is_none));
        let fd = free.unwrap_or(self.slots.len().max(start));
        if fd >= self.limit {
            return Err(Error::TooManyFiles);
        }
        if fd >= self.slots.len() {
            self.slots.resize(fd + 1, None);
        }
        if let Some(slot) = self.slots.get_mut(fd) {
            *slot = Some(entry);
        }
        Ok(fd as u32)
    }
    /// Install at exactly `fd`, returning what was there (dup2).
    pub fn insert_at(&mut self, fd: u32, entry: FdEntry) -> Result<Option<FdEntry>> {
        let i = fd as usize;
        if i >= self.limit {
            return Err(Error::BadFd);
        }
        if i >= self.slots.len() {
            self.slots.resize(i + 1, None);
        }
        Ok(self.slots.get_mut(i).and_then(|s| s.replace(entry)))
    }
    /// Remove `fd`.
    pub fn remove(&mut self, fd: u32) -> Result<FdEntry> {
        self.slots
            .get_mut(fd as usize)
            .and_then(Option::take)
            .ok_or(Error::BadFd)
    }
    /// All open descriptors.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &FdEntry)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|e| (i as u32, e)))
    }
    /// Close every close-on-exec descriptor (execve).
    pub fn close_on_exec(&mut self) {
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|e| e.cloexec) {
                *slot = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::Pipe;

    fn entry() -> FdEntry {
        let (r, _w) = Pipe::new_pair();
        FdEntry {
            file: OpenFile::new(r, Vec::new(), true, false, 0),
            cloexec: false,
        }
    }

    #[test]
    fn lowest_free_descriptor_and_limits() {
        let mut t = FdTable::new(4);
        assert_eq!(t.insert(entry(), 0), Ok(0));
        assert_eq!(t.insert(entry(), 0), Ok(1));
        assert_eq!(t.insert(entry(), 3), Ok(3));
        assert_eq!(t.insert(entry(), 0), Ok(2));
        assert_eq!(t.insert(entry(), 0).err(), Some(Error::TooManyFiles));
        assert!(t.remove(1).is_ok());
        assert_eq!(t.insert(entry(), 0), Ok(1));
        assert_eq!(t.get(9).err(), Some(Error::BadFd));
        assert_eq!(t.insert(entry(), 4).err(), Some(Error::Invalid));
    }

    #[test]
    fn cloexec_closes() {
        let mut t = FdTable::new(8);
        let mut e = entry();
        e.cloexec = true;
        t.insert(e, 0).ok();
        t.insert(entry(), 0).ok();
        t.close_on_exec();
        assert!(t.get(0).is_err());
        assert!(t.get(1).is_ok());
    }
}
