//! Advisory file locks: flock(2) locks and fcntl(2) record locks (traditional per-process
//! and open-file-description locks), kept in one table keyed by file (`st_dev`, `st_ino`).
//!
//! Owners are plain numbers the caller chooses: a process for traditional record locks, an
//! open file description for flock and OFD locks. Locks of one owner never conflict with
//! each other; any two owners' locks conflict when they overlap and one is a write lock
//! (fcntl(2) "Advisory record locking"). A traditional lock and an OFD lock of the same
//! process have different owners and so conflict, as on Linux. The table holds only plain
//! data (no pointers into the owners), so it can later live in memory the processes of a
//! sandbox share; requests that must wait get `Error::WouldBlock` and the caller retries
//! when something was released.
//!
//! Depends on `error` only.

use crate::error::{Error, Result};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use spin::Mutex;

/// The file a lock is on: (`st_dev`, `st_ino`).
pub type LockKey = (u64, u64);

/// Most record locks the table holds (beyond: `Error::NoLocks`, fcntl(2) ENOLCK).
const MAX_RECORDS: usize = 1 << 16;

/// A record lock's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// `F_RDLCK` / `LOCK_SH`.
    Read,
    /// `F_WRLCK` / `LOCK_EX`.
    Write,
}

/// One record lock: bytes `start..=end` (`end == u64::MAX`: to the end of any file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Who holds it.
    pub owner: u64,
    /// The holder's process id (`l_pid` of F_GETLK; -1 for OFD locks, as fcntl(2) says).
    pub pid: i32,
    /// Read or write.
    pub kind: LockKind,
    /// First byte.
    pub start: u64,
    /// Last byte, inclusive.
    pub end: u64,
}

impl Record {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }
    fn conflicts(&self, owner: u64, kind: LockKind, start: u64, end: u64) -> bool {
        self.owner != owner
            && self.overlaps(start, end)
            && (kind == LockKind::Write || self.kind == LockKind::Write)
    }
}

#[derive(Default)]
struct FileLocks {
    /// flock(2) holders.
    whole: Vec<(u64, LockKind)>,
    records: Vec<Record>,
}

impl FileLocks {
    fn is_empty(&self) -> bool {
        self.whole.is_empty() && self.records.is_empty()
    }
}

/// The lock table; see the module documentation.
#[derive(Default)]
pub struct LockTable {
    files: Mutex<BTreeMap<LockKey, FileLocks>>,
}

impl LockTable {
    /// An empty table.
    pub fn new() -> LockTable {
        LockTable::default()
    }

    /// flock(2): take (or convert to) `kind` for `owner`, or `WouldBlock` if another owner
    /// holds a conflicting lock; `None` unlocks.
    pub fn flock(&self, key: LockKey, owner: u64, kind: Option<LockKind>) -> Result<()> {
        let mut files = self.files.lock();
        let locks = files.entry(key).or_default();
        if let Some(kind) = kind {
            let busy = locks
                .whole
                .iter()
                .any(|&(o, k)| o != owner && (kind == LockKind::Write || k == LockKind::Write));
            if busy {
                return Err(Error::WouldBlock);
            }
        }
        locks.whole.retain(|&(o, _)| o != owner);
        if let Some(kind) = kind {
            locks.whole.push((owner, kind));
        }
        if locks.is_empty() {
            files.remove(&key);
        }
        Ok(())
    }

    /// The lock of another owner that conflicts with `kind` on `start..=end` (F_GETLK): the
    /// lowest-starting one, which is what Linux's per-owner sorted lock list reports first.
    pub fn conflict(
        &self,
        key: LockKey,
        owner: u64,
        kind: LockKind,
        start: u64,
        end: u64,
    ) -> Option<Record> {
        let files = self.files.lock();
        files.get(&key).and_then(|l| {
            l.records
                .iter()
                .filter(|r| r.conflicts(owner, kind, start, end))
                .min_by_key(|r| r.start)
                .copied()
        })
    }

    /// F_SETLK: lock `start..=end` as `kind` for `owner` (replacing, splitting and merging
    /// its own locks there), or unlock it (`None`). `WouldBlock` on a conflict.
    pub fn set_record(
        &self,
        key: LockKey,
        owner: u64,
        pid: i32,
        kind: Option<LockKind>,
        start: u64,
        end: u64,
    ) -> Result<()> {
        if start > end {
            return Err(Error::Invalid);
        }
        let mut files = self.files.lock();
        let locks = files.entry(key).or_default();
        if let Some(kind) = kind {
            if locks
                .records
                .iter()
                .any(|r| r.conflicts(owner, kind, start, end))
            {
                return Err(Error::WouldBlock);
            }
            if locks.records.len() >= MAX_RECORDS {
                return Err(Error::NoLocks);
            }
        }
        // Cut the range out of the owner's locks.
        let mut kept = Vec::with_capacity(locks.records.len() + 1);
        for r in locks.records.drain(..) {
            if r.owner != owner || !r.overlaps(start, end) {
                kept.push(r);
                continue;
            }
            if r.start < start {
                kept.push(Record {
                    end: start - 1,
                    ..r
                });
            }
            if r.end > end {
                kept.push(Record {
                    start: end + 1,
                    ..r
                });
            }
        }
        if let Some(kind) = kind {
            // Merge with the owner's adjacent or overlapping locks of the same kind, as
            // Linux does (F_GETLK then reports the merged range).
            let (mut s, mut e) = (start, end);
            kept.retain(|r| {
                let touches = r.owner == owner
                    && r.kind == kind
                    && r.start <= e.saturating_add(1)
                    && s <= r.end.saturating_add(1);
                if touches {
                    s = s.min(r.start);
                    e = e.max(r.end);
                }
                !touches
            });
            kept.push(Record {
                owner,
                pid,
                kind,
                start: s,
                end: e,
            });
        }
        locks.records = kept;
        if locks.is_empty() {
            files.remove(&key);
        }
        Ok(())
    }

    /// Drop every lock `owner` holds on `key` (a process closing a descriptor of the file
    /// drops its traditional locks; an open file description going away drops its flock
    /// and OFD locks).
    pub fn release(&self, key: LockKey, owner: u64) {
        let mut files = self.files.lock();
        if let Some(locks) = files.get_mut(&key) {
            locks.whole.retain(|&(o, _)| o != owner);
            locks.records.retain(|r| r.owner != owner);
            if locks.is_empty() {
                files.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const K: LockKey = (1, 2);

    #[test]
    fn flock_shared_and_exclusive() {
        let t = LockTable::new();
        assert_eq!(t.flock(K, 1, Some(LockKind::Read)), Ok(()));
        assert_eq!(t.flock(K, 2, Some(LockKind::Read)), Ok(()));
        assert_eq!(t.flock(K, 3, Some(LockKind::Write)), Err(Error::WouldBlock));
        t.release(K, 1);
        assert_eq!(t.flock(K, 2, Some(LockKind::Write)), Ok(()));
        assert_eq!(t.flock(K, 1, Some(LockKind::Read)), Err(Error::WouldBlock));
        assert_eq!(t.flock(K, 2, None), Ok(()));
        assert_eq!(t.flock(K, 1, Some(LockKind::Write)), Ok(()));
    }

    #[test]
    fn records_split_merge_and_conflict() {
        let t = LockTable::new();
        t.set_record(K, 1, 10, Some(LockKind::Write), 0, 9).ok();
        t.set_record(K, 1, 10, Some(LockKind::Write), 10, 19).ok();
        let c = t.conflict(K, 2, LockKind::Read, 5, 5);
        assert_eq!(c.map(|r| (r.start, r.end, r.pid)), Some((0, 19, 10)));
        // Unlocking the middle splits the lock.
        t.set_record(K, 1, 10, None, 5, 14).ok();
        assert!(t.conflict(K, 2, LockKind::Write, 5, 14).is_none());
        assert_eq!(
            t.conflict(K, 2, LockKind::Write, 0, u64::MAX)
                .map(|r| (r.start, r.end)),
            Some((0, 4))
        );
        assert_eq!(
            t.set_record(K, 2, 11, Some(LockKind::Read), 15, 15),
            Err(Error::WouldBlock)
        );
        // Own locks never conflict; a read lock converts part of the write lock.
        assert!(t.conflict(K, 1, LockKind::Write, 0, 100).is_none());
        t.set_record(K, 1, 10, Some(LockKind::Read), 0, 2).ok();
        assert_eq!(t.set_record(K, 2, 11, Some(LockKind::Read), 0, 2), Ok(()));
        assert_eq!(
            t.set_record(K, 1, 10, Some(LockKind::Write), 0, 0),
            Err(Error::WouldBlock)
        );
        t.release(K, 2);
        t.release(K, 1);
        assert!(t.files.lock().is_empty());
        assert_eq!(t.set_record(K, 1, 1, None, 5, 4), Err(Error::Invalid));
    }
}
