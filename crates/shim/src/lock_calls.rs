//! flock(2) and fcntl(2) record locks over the core's lock table
//! ([`meridian_core::fs::lock`]).
//!
//! Owners: a traditional record lock belongs to the process ([`Kernel::process_lock_owner`]),
//! a flock or OFD lock to the open file description ([`OpenFile::id`]). Waiting requests
//! (`F_SETLKW`, flock without `LOCK_NB`) retry whenever something in the sandbox changes, and
//! are cut short by signals (EINTR).

use crate::errno::{SysError, SysResult};
use crate::{Kernel, LinuxPlatform, Thread};
use meridian_abi::Errno;
use meridian_abi::layout;
use meridian_core::Error;
use meridian_core::file::OpenFile;
use meridian_core::fs::lock::{LockKey, LockKind};

/// `struct flock` l_type values (fcntl.h).
const F_RDLCK: u16 = 0;
const F_WRLCK: u16 = 1;
const F_UNLCK: u16 = 2;
/// `struct flock` is 32 bytes on x86-64: type, whence (i16), start, len (i64), pid (i32).
const FLOCK_STRUCT_BYTES: usize = 32;
/// flock(2) operations.
const LOCK_SH: u64 = 1;
const LOCK_EX: u64 = 2;
const LOCK_NB: u64 = 4;
const LOCK_UN: u64 = 8;
/// Marks owner numbers of processes apart from open file description ids.
const PROCESS_OWNER_BIT: u64 = 1 << 63;

/// The lock key of an open file.
fn key_of(f: &OpenFile) -> Result<LockKey, SysError> {
    let m = f.node.metadata()?;
    Ok((m.dev, m.ino))
}

impl<P: LinuxPlatform> Kernel<P> {
    /// The owner of this process's traditional record locks.
    pub fn process_lock_owner(&self) -> u64 {
        PROCESS_OWNER_BIT | u64::from(self.pid)
    }

    /// Drop the process's record locks on `f`'s file (a descriptor of it was closed).
    pub fn drop_process_locks(&self, f: &OpenFile) {
        if let Ok(key) = key_of(f) {
            self.locks.release(key, self.process_lock_owner());
        }
    }

    /// flock(2).
    pub fn sys_flock(&self, t: &Thread, fd: u64, op: u64) -> SysResult {
        let f = self.file_not_path(fd)?;
        let kind = match op & !LOCK_NB {
            LOCK_SH => Some(LockKind::Read),
            LOCK_EX => Some(LockKind::Write),
            LOCK_UN => None,
            _ => return Err(Errno::EINVAL.into()),
        };
        let key = key_of(&f)?;
        f.note_locks(&self.locks, key);
        let nonblock = op & LOCK_NB != 0 || kind.is_none();
        self.block_on(t, nonblock, None, || self.locks.flock(key, f.id, kind))?;
        self.notify();
        Ok(0)
    }

    /// The byte range of a `struct flock` at `arg` for `f`: (type, start, end inclusive).
    fn flock_range(&self, f: &OpenFile, b: &[u8]) -> Result<(u16, u64, u64), SysError> {
        const SEEK_SET: u16 = 0;
        const SEEK_CUR: u16 = 1;
        const SEEK_END: u16 = 2;
        let ty = u16::from_le_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ]);
        let whence = u16::from_le_bytes([
            b.get(2).copied().unwrap_or(0),
            b.get(3).copied().unwrap_or(0),
        ]);
        let start = layout::get_u64(b, 8) as i64;
        let len = layout::get_u64(b, 16) as i64;
        let base: i64 = match whence {
            SEEK_SET => 0,
            SEEK_CUR => *f.offset.lock() as i64,
            SEEK_END => f.node.metadata()?.size as i64,
            _ => return Err(Errno::EINVAL.into()),
        };
        let start = base.checked_add(start).ok_or(SysError(Errno::EOVERFLOW))?;
        // fcntl(2): a negative length covers the bytes before start.
        let (first, last) = match len {
            0 => (start, i64::MAX),
            l if l > 0 => (
                start,
                start.checked_add(l - 1).ok_or(SysError(Errno::EOVERFLOW))?,
            ),
            l => (
                start.checked_add(l).ok_or(SysError(Errno::EINVAL))?,
                start - 1,
            ),
        };
        if first < 0 {
            return Err(Errno::EINVAL.into());
        }
        Ok((ty, first as u64, last as u64))
    }

    fn lock_owner(&self, f: &OpenFile, ofd: bool, b: &[u8]) -> Result<(u64, i32), SysError> {
        if ofd {
            // F_OFD_*: l_pid must be 0 (fcntl(2)).
            if layout::get_u32(b, 24) != 0 {
                return Err(Errno::EINVAL.into());
            }
            Ok((f.id, -1))
        } else {
            Ok((self.process_lock_owner(), self.pid as i32))
        }
    }

    /// F_GETLK / F_OFD_GETLK: describe the first conflicting lock, or set `F_UNLCK`.
    pub fn fcntl_getlk(&self, fd: u64, arg: u64, ofd: bool) -> SysResult {
        let f = self.file(fd)?;
        let mut b = self.read_mem(arg, FLOCK_STRUCT_BYTES)?;
        let (ty, start, end) = self.flock_range(&f, &b)?;
        let kind = match ty {
            F_RDLCK => LockKind::Read,
            F_WRLCK => LockKind::Write,
            _ => return Err(Errno::EINVAL.into()),
        };
        let (owner, _) = self.lock_owner(&f, ofd, &b)?;
        let mut fields = layout::Fields(&mut b);
        match self.locks.conflict(key_of(&f)?, owner, kind, start, end) {
            None => fields.u16(0, F_UNLCK),
            Some(r) => {
                fields.u16(
                    0,
                    if r.kind == LockKind::Write {
                        F_WRLCK
                    } else {
                        F_RDLCK
                    },
                );
                fields.u16(2, 0);
                fields.u64(8, r.start);
                let len = if r.end >= i64::MAX as u64 {
                    0
                } else {
                    r.end - r.start + 1
                };
                fields.u64(16, len);
                fields.u32(24, r.pid as u32);
            }
        }
        self.write_mem(arg, &b)?;
        Ok(0)
    }

    /// F_SETLK / F_SETLKW / F_OFD_SETLK / F_OFD_SETLKW.
    pub fn fcntl_setlk(&self, t: &Thread, fd: u64, arg: u64, ofd: bool, wait: bool) -> SysResult {
        let f = self.file_not_path(fd)?;
        let b = self.read_mem(arg, FLOCK_STRUCT_BYTES)?;
        let (ty, start, end) = self.flock_range(&f, &b)?;
        let kind = match ty {
            F_RDLCK if f.readable => Some(LockKind::Read),
            F_WRLCK if f.writable => Some(LockKind::Write),
            F_RDLCK | F_WRLCK => return Err(Errno::EBADF.into()),
            F_UNLCK => None,
            _ => return Err(Errno::EINVAL.into()),
        };
        let (owner, pid) = self.lock_owner(&f, ofd, &b)?;
        let key = key_of(&f)?;
        if ofd {
            f.note_locks(&self.locks, key);
        }
        let r = self.block_on(t, !wait, None, || {
            self.locks.set_record(key, owner, pid, kind, start, end)
        });
        match r {
            Ok(()) => {
                self.notify();
                Ok(0)
            }
            // fcntl(2): a conflicting F_SETLK is EAGAIN (or EACCES on some systems).
            Err(Error::WouldBlock) => Err(Errno::EAGAIN.into()),
            Err(e) => Err(e.into()),
        }
    }
}
