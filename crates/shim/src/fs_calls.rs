//! File system calls: open/read/write/stat/directories/links/descriptors.
//!
//! Handlers validate, call the core (vfs and nodes), and copy out; blocking I/O on pipes
//! goes through [`Kernel::block_on`] so that it waits for a readiness change and is cut
//! short by signals.

use crate::errno::{SysError, SysResult};
use crate::{Kernel, LinuxPlatform, Thread};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use meridian_abi::Errno;
use meridian_abi::layout::{Stat, Timespec, push_dirent64};
use meridian_abi::signal::sig;
use meridian_core::Error;
use meridian_core::file::{FdEntry, OpenFile};
use meridian_core::fs::{FileType, Metadata, NodeRef};
use meridian_core::pipe::Pipe;
use meridian_core::platform::WaitOutcome;
use meridian_core::time::Nanos;

/// `AT_FDCWD` as the u64 the registers hold.
pub const AT_FDCWD: u64 = (-100i64) as u64;
/// `AT_SYMLINK_NOFOLLOW`.
pub const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
/// `AT_REMOVEDIR`.
pub const AT_REMOVEDIR: u64 = 0x200;
const AT_EMPTY_PATH: u64 = 0x1000;

/// open(2) flags (include/uapi/asm-generic/fcntl.h).
#[allow(missing_docs)]
pub mod o {
    pub const ACCMODE: u64 = 3;
    pub const WRONLY: u64 = 1;
    pub const RDWR: u64 = 2;
    pub const CREAT: u64 = 0o100;
    pub const EXCL: u64 = 0o200;
    pub const NOCTTY: u64 = 0o400;
    pub const TRUNC: u64 = 0o1000;
    pub const APPEND: u64 = 0o2000;
    pub const NONBLOCK: u64 = 0o4000;
    pub const DSYNC: u64 = 0o10000;
    pub const ASYNC: u64 = 0o20000;
    pub const DIRECT: u64 = 0o40000;
    pub const LARGEFILE: u64 = 0o100000;
    pub const DIRECTORY: u64 = 0o200000;
    pub const NOFOLLOW: u64 = 0o400000;
    pub const NOATIME: u64 = 0o1000000;
    pub const CLOEXEC: u64 = 0o2000000;
    pub const SYNC: u64 = 0o4010000;
    pub const PATH: u64 = 0o10000000;
    pub const TMPFILE: u64 = 0o20000000;
    /// Flags fcntl(F_SETFL) may change.
    pub const SETFL_MASK: u64 = APPEND | NONBLOCK | ASYNC | DIRECT | NOATIME;
}

/// Convert core metadata to the ABI's stat fields.
pub fn stat_of(m: &Metadata) -> Stat {
    let ts = |n: Nanos| Timespec {
        sec: n.secs() as i64,
        nsec: n.subsec_nanos() as i64,
    };
    Stat {
        dev: m.dev,
        ino: m.ino,
        nlink: m.nlink,
        mode: m.mode,
        uid: m.uid,
        gid: m.gid,
        rdev: m.rdev,
        size: m.size,
        blksize: if m.blksize == 0 { 4096 } else { m.blksize },
        blocks: m.blocks,
        atime: ts(m.atime),
        mtime: ts(m.mtime),
        ctime: ts(m.ctime),
    }
}

/// Most bytes one writev stages (a longer array is a short write).
pub const MAX_WRITEV_BYTES: usize = crate::mem::MAX_IO_CHUNK_BYTES * 16;

/// fs/read_write.c `rw_verify_area`: an explicit position must be non-negative and stay
/// representable as a `loff_t` after `count` bytes (EINVAL).
fn check_pos(pos: Option<u64>, count: u64) -> Result<(), SysError> {
    match pos {
        Some(p) if p.checked_add(count).is_none_or(|end| end > i64::MAX as u64) => {
            Err(Errno::EINVAL.into())
        }
        _ => Ok(()),
    }
}

fn fd_arg(fd: u64) -> Result<u32, SysError> {
    u32::try_from(fd as i64).map_err(|_| SysError(Errno::EBADF))
}

impl<P: LinuxPlatform> Kernel<P> {
    /// The open file at `fd`.
    pub fn file(&self, fd: u64) -> Result<Arc<OpenFile>, SysError> {
        let fd = fd_arg(fd)?;
        Ok(self.fds.lock().get(fd)?.file.clone())
    }

    /// The open file behind `fd` for a call that acts on the file itself: EBADF for an
    /// `O_PATH` descriptor (open(2): such calls "fail with the error EBADF").
    pub fn file_not_path(&self, fd: u64) -> Result<Arc<OpenFile>, SysError> {
        let f = self.file(fd)?;
        if f.is_path_only() {
            return Err(Errno::EBADF.into());
        }
        Ok(f)
    }

    /// Install a new description.
    pub fn install(&self, file: Arc<OpenFile>, cloexec: bool) -> SysResult {
        Ok(u64::from(
            self.fds.lock().insert(FdEntry { file, cloexec }, 0)?,
        ))
    }

    /// Run `op` until it does not report `WouldBlock`, waiting for readiness changes in
    /// between; a deliverable signal ends the wait with EINTR.
    pub fn block_on<T>(
        &self,
        t: &Thread,
        nonblock: bool,
        timeout: Option<Nanos>,
        mut op: impl FnMut() -> Result<T, Error>,
    ) -> Result<T, Error> {
        let deadline = timeout.map(|d| {
            self.p
                .now(meridian_core::time::ClockKind::Monotonic)
                .0
                .saturating_add(d.0)
        });
        loop {
            let seen = self.epoch.current();
            match op() {
                Err(Error::WouldBlock) if !nonblock => {}
                other => return other,
            }
            if self.signal_pending(t) {
                return Err(Error::Interrupted);
            }
            let left = match deadline {
                Some(d) => {
                    let now = self.p.now(meridian_core::time::ClockKind::Monotonic).0;
                    if now >= d {
                        return Err(Error::TimedOut);
                    }
                    Some(Nanos(d - now))
                }
                None => None,
            };
            if self.p.wait(self.epoch.word(), seen, left) == WaitOutcome::Interrupted
                && self.signal_pending(t)
            {
                return Err(Error::Interrupted);
            }
        }
    }

    fn read_node(
        &self,
        t: &Thread,
        f: &OpenFile,
        buf: &mut [u8],
        pos: Option<u64>,
    ) -> Result<usize, Error> {
        if !f.readable {
            return Err(Error::BadFd);
        }
        let node = &f.node;
        if node.file_type() == FileType::Directory {
            return Err(Error::IsDir);
        }
        let nonblock = u64::from(f.status()) & o::NONBLOCK != 0;
        if pos.is_none() && node.as_any().is::<meridian_core::unix::UnixSocket>() {
            return self.sock_read(t, f, buf);
        }
        if let Some(s) = crate::signalfd::signalfd_of(f) {
            return self.read_signalfd(t, s, buf, nonblock);
        }
        if !node.seekable() {
            if pos.is_some() {
                return Err(Error::NotSeekable);
            }
            let n = self.block_on(t, nonblock, None, || node.read_at(0, buf))?;
            if n > 0 {
                self.notify();
            }
            return Ok(n);
        }
        match pos {
            Some(p) => node.read_at(p, buf),
            None => {
                let mut off = f.offset.lock();
                let n = node.read_at(*off, buf)?;
                *off += n as u64;
                Ok(n)
            }
        }
    }

    fn write_node(
        &self,
        t: &Thread,
        f: &OpenFile,
        data: &[u8],
        pos: Option<u64>,
    ) -> Result<usize, Error> {
        if !f.writable {
            return Err(Error::BadFd);
        }
        let node = &f.node;
        let status = u64::from(f.status());
        if pos.is_none() && node.as_any().is::<meridian_core::unix::UnixSocket>() {
            return self.sock_send(t, f, data, Vec::new(), 0);
        }
        if !node.seekable() {
            if pos.is_some() {
                return Err(Error::NotSeekable);
            }
            let nonblock = status & o::NONBLOCK != 0;
            let mut done = 0;
            while done < data.len() {
                let rest = data.get(done..).unwrap_or_default();
                match self.block_on(t, nonblock && done == 0, None, || node.write_at(0, rest)) {
                    Ok(n) => {
                        done += n;
                        self.notify();
                    }
                    Err(Error::WouldBlock) if done > 0 => break,
                    Err(Error::BrokenPipe) => {
                        // `send_sig(SIGPIPE, current, 0)`: SI_USER from the process itself.
                        let info = meridian_abi::signal::SigInfo::sender(
                            sig::SIGPIPE,
                            meridian_abi::signal::si_code::SI_USER,
                            self.pid,
                            0,
                        );
                        let _ = self.send_signal(t, crate::signal::Target::Thread(t), info);
                        return Err(Error::BrokenPipe);
                    }
                    Err(Error::Interrupted) if done > 0 => break,
                    Err(e) => return Err(e),
                }
            }
            return Ok(done);
        }
        match pos {
            Some(p) => {
                let allowed = self.file_size_allowance(t, node, p, data.len())?;
                node.write_at(p, data.get(..allowed).unwrap_or_default())
            }
            None => {
                let mut off = f.offset.lock();
                if status & o::APPEND != 0 {
                    *off = node.metadata()?.size;
                }
                let allowed = self.file_size_allowance(t, node, *off, data.len())?;
                let n = node.write_at(*off, data.get(..allowed).unwrap_or_default())?;
                *off += n as u64;
                Ok(n)
            }
        }
    }

    /// RLIMIT_FSIZE (getrlimit(2)): how much of a `len`-byte write at `pos` a regular file
    /// may take. A write that would cross the limit is cut short at it; one that starts at
    /// or past it fails with EFBIG and raises SIGXFSZ for the thread (mm/filemap.c
    /// generic_write_check_limits). Other kinds of file have no such limit.
    pub(crate) fn file_size_allowance(
        &self,
        t: &Thread,
        node: &meridian_core::fs::NodeRef,
        pos: u64,
        len: usize,
    ) -> Result<usize, Error> {
        let limit = self.rlimit(crate::task_calls::RLIMIT_FSIZE).0;
        if limit == u64::MAX || len == 0 || node.file_type() != FileType::Regular {
            return Ok(len);
        }
        if pos >= limit {
            self.raise_sigxfsz(t);
            return Err(Error::TooBig);
        }
        Ok(len.min(usize::try_from(limit - pos).unwrap_or(usize::MAX)))
    }

    /// SIGXFSZ for the thread that passed RLIMIT_FSIZE (`send_sig(SIGXFSZ, current, 0)`).
    pub(crate) fn raise_sigxfsz(&self, t: &Thread) {
        let info = meridian_abi::signal::SigInfo::sender(
            sig::SIGXFSZ,
            meridian_abi::signal::si_code::SI_USER,
            self.pid,
            0,
        );
        let _ = self.send_signal(t, crate::signal::Target::Thread(t), info);
    }

    /// RLIMIT_FSIZE for truncate and fallocate: a regular file may not be made larger than
    /// the limit (fs/attr.c inode_newsize_ok: SIGXFSZ, then EFBIG).
    pub(crate) fn check_new_size(&self, t: &Thread, size: u64) -> Result<(), SysError> {
        if size > self.rlimit(crate::task_calls::RLIMIT_FSIZE).0 {
            self.raise_sigxfsz(t);
            return Err(Errno::EFBIG.into());
        }
        Ok(())
    }

    /// read(2) / pread64(2).
    pub fn sys_read(
        &self,
        t: &Thread,
        fd: u64,
        buf: u64,
        count: u64,
        pos: Option<u64>,
    ) -> SysResult {
        let f = self.file(fd)?;
        crate::mem::check_user_range(buf, count)?;
        check_pos(pos, count)?;
        let len = (count as usize).min(crate::mem::MAX_IO_CHUNK_BYTES);
        let mut data = crate::mem::zeroed(len)?;
        let n = self.read_node(t, &f, &mut data, pos)?;
        // As Linux, bytes are copied out up to the first fault, and a file's position
        // moves by what was copied (a buffer shorter than its count loses nothing).
        let copied = self.write_mem_prefix(buf, data.get(..n).unwrap_or_default());
        let kept = *copied.as_ref().unwrap_or(&0);
        if kept < n && pos.is_none() && f.node.seekable() {
            let mut off = f.offset.lock();
            *off = off.saturating_sub((n - kept) as u64);
        }
        Ok(copied? as u64)
    }

    /// write(2) / pwrite64(2).
    pub fn sys_write(
        &self,
        t: &Thread,
        fd: u64,
        buf: u64,
        count: u64,
        pos: Option<u64>,
    ) -> SysResult {
        let f = self.file(fd)?;
        crate::mem::check_user_range(buf, count)?;
        check_pos(pos, count)?;
        let mut total = 0usize;
        let mut left = count.min(crate::mem::MAX_RW_COUNT) as usize;
        let mut at = buf;
        while left > 0 {
            let chunk = left.min(crate::mem::MAX_IO_CHUNK_BYTES);
            // A fault part-way is a short write of what was readable (as Linux copies up to
            // the fault).
            let data = match self.read_mem_prefix(at, chunk) {
                Ok(d) => d,
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            };
            // check_pos: the position stays below 2^63, `total` below MAX_RW_COUNT.
            let n = match self.write_node(t, &f, &data, pos.map(|p| p + total as u64)) {
                Ok(n) => n,
                Err(e) if total == 0 => return Err(e.into()),
                Err(_) => break,
            };
            total += n;
            if n < chunk {
                break;
            }
            left -= n;
            at += n as u64;
        }
        if count == 0 {
            self.write_node(t, &f, &[], pos)?;
        }
        Ok(total as u64)
    }

    /// sendfile(2) and copy_file_range(2): copy up to `count` bytes from `in_fd` (at
    /// `*in_off` when given, which is then advanced) to `out_fd` (at `*out_off` likewise),
    /// through the library OS in one staged chunk.
    pub fn sys_sendfile(
        &self,
        t: &Thread,
        out_fd: u64,
        in_fd: u64,
        in_off: u64,
        out_off: u64,
        count: u64,
    ) -> SysResult {
        let (input, output) = (self.file(in_fd)?, self.file(out_fd)?);
        // fs/splice.c do_splice_from: a file without splice_write is EINVAL, before anything
        // is read.
        if !output.node.takes_vectored_writes() {
            return Err(Errno::EINVAL.into());
        }
        let read_at = if in_off != 0 {
            Some(self.read_u64(in_off)?)
        } else {
            None
        };
        let write_at = if out_off != 0 {
            Some(self.read_u64(out_off)?)
        } else {
            None
        };
        if read_at.is_some_and(|p| (p as i64) < 0) || write_at.is_some_and(|p| (p as i64) < 0) {
            return Err(Errno::EINVAL.into());
        }
        let mut data = crate::mem::zeroed((count as usize).min(crate::mem::MAX_IO_CHUNK_BYTES))?;
        let n = self.read_node(t, &input, &mut data, read_at)?;
        let written = self.write_node(t, &output, data.get(..n).unwrap_or_default(), write_at)?;
        if let Some(p) = read_at {
            self.write_u64(in_off, p + written as u64)?;
        }
        if let Some(p) = write_at {
            self.write_u64(out_off, p + written as u64)?;
        }
        Ok(written as u64)
    }

    /// readv(2) / preadv(2).
    pub fn sys_readv(
        &self,
        t: &Thread,
        fd: u64,
        iov: u64,
        cnt: u64,
        pos: Option<u64>,
    ) -> SysResult {
        let f = self.file(fd)?;
        let segs = self.read_iovec(iov, cnt)?;
        check_pos(pos, crate::mem::iov_total(&segs))?;
        let total = crate::mem::iov_total(&segs) as usize;
        let mut data = crate::mem::zeroed(total.min(crate::mem::MAX_IO_CHUNK_BYTES))?;
        let n = self.read_node(t, &f, &mut data, pos)?;
        self.scatter(&segs, data.get(..n).unwrap_or_default())?;
        Ok(n as u64)
    }

    /// writev(2) / pwritev(2): gathered, then written as one write (atomic for pipes). At
    /// most [`MAX_WRITEV_BYTES`] are staged: a longer array is a short write.
    pub fn sys_writev(
        &self,
        t: &Thread,
        fd: u64,
        iov: u64,
        cnt: u64,
        pos: Option<u64>,
    ) -> SysResult {
        let f = self.file(fd)?;
        let segs = self.read_iovec(iov, cnt)?;
        check_pos(pos, crate::mem::iov_total(&segs))?;
        if !f.node.takes_vectored_writes() {
            return self.write_each(t, &f, &segs);
        }
        let data = self.gather(&segs, MAX_WRITEV_BYTES)?;
        Ok(self.write_node(t, &f, &data, pos)? as u64)
    }

    /// fs/read_write.c `do_loop_readv_writev`: one write per segment, until one is short or
    /// fails (its error is the call's only if nothing was written).
    fn write_each(&self, t: &Thread, f: &OpenFile, segs: &[crate::mem::IoSeg]) -> SysResult {
        let mut total = 0u64;
        for seg in segs {
            let r = self
                .read_mem(
                    seg.base,
                    (seg.len as usize).min(crate::mem::MAX_IO_CHUNK_BYTES),
                )
                .and_then(|data| Ok(self.write_node(t, f, &data, None)?));
            match r {
                Ok(n) => {
                    total += n as u64;
                    if (n as u64) < seg.len {
                        break;
                    }
                }
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(total)
    }

    /// lseek(2).
    pub fn sys_lseek(&self, fd: u64, offset: u64, whence: u64) -> SysResult {
        const SEEK_SET: u64 = 0;
        const SEEK_CUR: u64 = 1;
        const SEEK_END: u64 = 2;
        const SEEK_DATA: u64 = 3;
        const SEEK_HOLE: u64 = 4;
        let f = self.file(fd)?;
        if !f.node.seekable() {
            return Err(Errno::ESPIPE.into());
        }
        let mut off = f.offset.lock();
        let delta = offset as i64;
        let size = || f.node.metadata().map(|m| m.size as i64);
        let new = match whence {
            SEEK_SET => delta,
            SEEK_CUR => (*off as i64)
                .checked_add(delta)
                .ok_or(SysError(Errno::EOVERFLOW))?,
            SEEK_END => size()?
                .checked_add(delta)
                .ok_or(SysError(Errno::EOVERFLOW))?,
            SEEK_DATA => {
                if delta >= size()? {
                    return Err(Errno::ENXIO.into());
                }
                delta
            }
            SEEK_HOLE => {
                let s = size()?;
                if delta > s {
                    return Err(Errno::ENXIO.into());
                }
                s
            }
            _ => return Err(Errno::EINVAL.into()),
        };
        if new < 0 {
            return Err(Errno::EINVAL.into());
        }
        *off = new as u64;
        if whence == SEEK_SET && new == 0 {
            *f.dir_snapshot.lock() = None;
        }
        Ok(new as u64)
    }

    /// close(2).
    pub fn sys_close(&self, fd: u64) -> SysResult {
        let e = self.fds.lock().remove(fd_arg(fd)?)?;
        // fcntl(2): closing any descriptor of a file drops the process's record locks on it.
        self.drop_process_locks(&e.file);
        drop(e);
        self.notify();
        Ok(0)
    }

    /// fstat(2).
    pub fn sys_fstat(&self, fd: u64, out: u64) -> SysResult {
        let f = self.file(fd)?;
        let m = f.node.metadata()?;
        self.write_mem(out, &stat_of(&m).encode())?;
        Ok(0)
    }

    fn stat_target(&self, dirfd: u64, path: u64, flags: u64) -> Result<Metadata, SysError> {
        let p = self.read_path(path)?;
        if p.is_empty() {
            if flags & AT_EMPTY_PATH == 0 {
                return Err(Errno::ENOENT.into());
            }
            if dirfd == AT_FDCWD {
                return Ok(self
                    .vfs
                    .resolve(&self.cwd.lock().clone(), b".", true)?
                    .node
                    .metadata()?);
            }
            return Ok(self.file(dirfd)?.node.metadata()?);
        }
        let r = self.resolve_at(dirfd, &p, flags & AT_SYMLINK_NOFOLLOW == 0)?;
        Ok(r.node.metadata()?)
    }

    /// newfstatat(2) (and stat/lstat).
    pub fn sys_newfstatat(&self, dirfd: u64, path: u64, out: u64, flags: u64) -> SysResult {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let m = self.stat_target(dirfd, path, flags)?;
        self.write_mem(out, &stat_of(&m).encode())?;
        Ok(0)
    }

    /// statx(2).
    pub fn sys_statx(&self, dirfd: u64, path: u64, flags: u64, out: u64) -> SysResult {
        let m = self.stat_target(dirfd, path, flags)?;
        self.write_mem(out, &stat_of(&m).encode_statx())?;
        Ok(0)
    }

    /// getdents64(2).
    pub fn sys_getdents64(&self, fd: u64, buf: u64, count: u64) -> SysResult {
        // The count is an `unsigned int` (fs/readdir.c).
        let count = u64::from(count as u32);
        let f = self.file_not_path(fd)?;
        if f.node.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR.into());
        }
        let mut snap = f.dir_snapshot.lock();
        let mut off = f.offset.lock();
        if snap.is_none() || *off == 0 {
            let me = f.node.metadata()?;
            let parent_ino = self
                .vfs
                .resolve(&f.path, b"..", true)
                .and_then(|r| r.node.metadata())
                .map_or(me.ino, |m| m.ino);
            let mut all = vec![
                meridian_core::fs::DirEntry {
                    name: b".".to_vec(),
                    ino: me.ino,
                    file_type: FileType::Directory,
                },
                meridian_core::fs::DirEntry {
                    name: b"..".to_vec(),
                    ino: parent_ino,
                    file_type: FileType::Directory,
                },
            ];
            all.extend(f.node.read_dir()?);
            *snap = Some(all);
        }
        let entries = snap.as_ref().map_or(&[][..], |v| v.as_slice());
        let mut out = crate::mem::zeroed((count as usize).min(crate::mem::MAX_IO_CHUNK_BYTES))?;
        let mut used = 0;
        let mut i = *off as usize;
        while let Some(e) = entries.get(i) {
            if !push_dirent64(
                &mut out,
                &mut used,
                e.ino,
                (i + 1) as u64,
                e.file_type.dirent_type(),
                &e.name,
            ) {
                if used == 0 {
                    return Err(Errno::EINVAL.into());
                }
                break;
            }
            i += 1;
        }
        *off = i as u64;
        self.write_mem(buf, out.get(..used).unwrap_or_default())?;
        Ok(used as u64)
    }

    /// readlinkat(2).
    pub fn sys_readlinkat(&self, dirfd: u64, path: u64, buf: u64, size: u64) -> SysResult {
        // The size is an `int` (fs/stat.c do_readlinkat).
        let size = u64::from(size as i32 as u32);
        if (size as i32) <= 0 {
            return Err(Errno::EINVAL.into());
        }
        let p = self.read_path(path)?;
        let r = self.resolve_at(dirfd, &p, false)?;
        let target = r.node.read_link()?;
        let n = target.len().min(size as usize);
        self.write_mem(buf, target.get(..n).unwrap_or_default())?;
        Ok(n as u64)
    }

    /// fcntl(2).
    pub fn sys_fcntl(&self, t: &Thread, fd: u64, cmd: u64, arg: u64) -> SysResult {
        const F_DUPFD: u64 = 0;
        const F_GETFD: u64 = 1;
        const F_SETFD: u64 = 2;
        const F_GETFL: u64 = 3;
        const F_SETFL: u64 = 4;
        const F_GETLK: u64 = 5;
        const F_SETLK: u64 = 6;
        const F_SETLKW: u64 = 7;
        const F_OFD_GETLK: u64 = 36;
        const F_OFD_SETLK: u64 = 37;
        const F_OFD_SETLKW: u64 = 38;
        const F_DUPFD_CLOEXEC: u64 = 1030;
        const F_GETPIPE_SZ: u64 = 1032;
        let fdn = fd_arg(fd)?;
        match cmd {
            F_DUPFD | F_DUPFD_CLOEXEC => {
                let mut fds = self.fds.lock();
                let file = fds.get(fdn)?.file.clone();
                let min = u32::try_from(arg).map_err(|_| SysError(Errno::EINVAL))?;
                Ok(u64::from(fds.insert(
                    FdEntry {
                        file,
                        cloexec: cmd == F_DUPFD_CLOEXEC,
                    },
                    min,
                )?))
            }
            F_GETFD => Ok(u64::from(self.fds.lock().get(fdn)?.cloexec)),
            F_SETFD => {
                self.fds.lock().get_mut(fdn)?.cloexec = arg & 1 != 0;
                Ok(0)
            }
            F_GETFL => {
                let f = self.file(fd)?;
                let acc = match (f.readable, f.writable) {
                    (true, true) => o::RDWR,
                    (false, true) => o::WRONLY,
                    _ => 0,
                };
                Ok((u64::from(f.status()) & !o::ACCMODE) | acc | o::LARGEFILE)
            }
            F_SETFL => {
                let f = self.file(fd)?;
                let cur = u64::from(f.status());
                let new = (cur & !o::SETFL_MASK) | (arg & o::SETFL_MASK);
                f.status
                    .store(new as u32, core::sync::atomic::Ordering::Relaxed);
                Ok(0)
            }
            F_GETLK | F_OFD_GETLK => self.fcntl_getlk(fd, arg, cmd == F_OFD_GETLK),
            F_SETLK | F_SETLKW | F_OFD_SETLK | F_OFD_SETLKW => self.fcntl_setlk(
                t,
                fd,
                arg,
                matches!(cmd, F_OFD_SETLK | F_OFD_SETLKW),
                matches!(cmd, F_SETLKW | F_OFD_SETLKW),
            ),
            F_GETPIPE_SZ => Ok(meridian_core::pipe::PIPE_CAPACITY_BYTES as u64),
            _ => {
                self.report_once(
                    0x1_0000u64.wrapping_add(cmd),
                    format_args!("fcntl command {cmd} is not supported: returning EINVAL"),
                );
                Err(Errno::EINVAL.into())
            }
        }
    }

    /// fadvise64(2).
    pub fn sys_fadvise(&self, fd: u64) -> SysResult {
        let f = self.file(fd)?;
        if !f.node.seekable() {
            return Err(Errno::ESPIPE.into());
        }
        Ok(0)
    }

    /// dup(2).
    pub fn sys_dup(&self, fd: u64) -> SysResult {
        let mut fds = self.fds.lock();
        let file = fds.get(fd_arg(fd)?)?.file.clone();
        Ok(u64::from(fds.insert(
            FdEntry {
                file,
                cloexec: false,
            },
            0,
        )?))
    }

    /// dup2(2).
    pub fn sys_dup2(&self, old: u64, new: u64) -> SysResult {
        if old == new {
            self.file(old)?;
            return Ok(new);
        }
        self.sys_dup3(old, new, 0)
    }

    /// dup3(2).
    pub fn sys_dup3(&self, old: u64, new: u64, flags: u64) -> SysResult {
        if flags & !o::CLOEXEC != 0 || old == new {
            return Err(Errno::EINVAL.into());
        }
        let newfd = fd_arg(new)?;
        let prev = {
            let mut fds = self.fds.lock();
            let file = fds.get(fd_arg(old)?)?.file.clone();
            fds.insert_at(
                newfd,
                FdEntry {
                    file,
                    cloexec: flags & o::CLOEXEC != 0,
                },
            )?
        };
        // dup2(2) closes the descriptor it replaces, and closing drops record locks.
        if let Some(old_entry) = &prev {
            self.drop_process_locks(&old_entry.file);
        }
        drop(prev);
        self.notify();
        Ok(new)
    }

    /// pipe2(2).
    pub fn sys_pipe2(&self, out: u64, flags: u64) -> SysResult {
        if flags & !(o::CLOEXEC | o::NONBLOCK | o::DIRECT) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let (r, w) = Pipe::new_pair();
        let status = (flags & o::NONBLOCK) as u32;
        let cloexec = flags & o::CLOEXEC != 0;
        let rf = OpenFile::new(r, Vec::new(), true, false, status);
        let wf = OpenFile::new(w, Vec::new(), false, true, status | o::WRONLY as u32);
        let (a, b) = {
            let mut fds = self.fds.lock();
            let a = fds.insert(FdEntry { file: rf, cloexec }, 0)?;
            match fds.insert(FdEntry { file: wf, cloexec }, 0) {
                Ok(b) => (a, b),
                Err(e) => {
                    let _ = fds.remove(a);
                    return Err(e.into());
                }
            }
        };
        let mut buf = [0u8; 8];
        buf[..4].copy_from_slice(&a.to_le_bytes());
        buf[4..].copy_from_slice(&b.to_le_bytes());
        if let Err(e) = self.write_mem(out, &buf) {
            let mut fds = self.fds.lock();
            let _ = fds.remove(a);
            let _ = fds.remove(b);
            return Err(e);
        }
        Ok(0)
    }

    /// getcwd(2).
    pub fn sys_getcwd(&self, buf: u64, size: u64) -> SysResult {
        let mut cwd = self.cwd.lock().clone();
        // getcwd(2): ENOENT once the current directory has been removed. (The working
        // directory is kept as a path, so a directory made again at the same path counts
        // as the same one.)
        if let Err(SysError(Errno::ENOENT)) = self.resolve_at(AT_FDCWD, b".", true) {
            return Err(Errno::ENOENT.into());
        }
        cwd.push(0);
        if (size as usize) < cwd.len() {
            return Err(Errno::ERANGE.into());
        }
        self.write_mem(buf, &cwd)?;
        Ok(cwd.len() as u64)
    }

    /// chdir(2).
    pub fn sys_chdir(&self, path: u64) -> SysResult {
        let p = self.read_path(path)?;
        let r = self.resolve_at(AT_FDCWD, &p, true)?;
        if r.node.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR.into());
        }
        self.fs_cred()
            .check(&r.node.metadata()?, meridian_core::fs::perm::MAY_EXEC)?;
        *self.cwd.lock() = r.path;
        Ok(0)
    }

    /// fchdir(2).
    pub fn sys_fchdir(&self, fd: u64) -> SysResult {
        let f = self.file(fd)?;
        if f.node.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR.into());
        }
        *self.cwd.lock() = f.path.clone();
        Ok(0)
    }

    /// umask(2).
    pub fn sys_umask(&self, mask: u64) -> SysResult {
        Ok(u64::from(self.umask.swap(
            (mask as u32) & 0o777,
            core::sync::atomic::Ordering::Relaxed,
        )))
    }

    /// memfd_create(2): an unlinked in-memory file.
    pub fn sys_memfd_create(&self, name: u64, flags: u64) -> SysResult {
        const MFD_CLOEXEC: u64 = 1;
        let n = self.read_cstr(name, 249)?;
        let node = self.new_anonymous_file()?;
        let mut path = b"/memfd:".to_vec();
        path.extend_from_slice(&n);
        let file = OpenFile::new(node, path, true, true, o::RDWR as u32);
        self.install(file, flags & MFD_CLOEXEC != 0)
    }

    fn new_anonymous_file(&self) -> Result<NodeRef, SysError> {
        let tmp = self.vfs.resolve(b"/", b"/dev/shm", true)?;
        let name = alloc::format!(
            ".memfd-{}",
            self.p.now(meridian_core::time::ClockKind::Monotonic).0
        );
        let node = tmp.node.create(name.as_bytes(), FileType::Regular, 0o600)?;
        tmp.node.unlink(name.as_bytes(), false)?;
        Ok(node)
    }
}

/// The directory part of a canonical absolute path (`/` for entries of the root).
pub(crate) fn parent_dir(path: &[u8]) -> Vec<u8> {
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) | None => b"/".to_vec(),
        Some(i) => path.get(..i).unwrap_or_default().to_vec(),
    }
}

pub(crate) fn join(dir: &[u8], rel: &[u8]) -> Vec<u8> {
    if rel.first() == Some(&b'/') {
        return rel.to_vec();
    }
    let mut p = dir.to_vec();
    if p.last() != Some(&b'/') {
        p.push(b'/');
    }
    p.extend_from_slice(rel);
    p
}
