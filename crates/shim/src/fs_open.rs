//! Opening files: openat(2), openat2(2) with `struct open_how`, `O_TMPFILE`, FIFOs, and the
//! path lookups every `*at` call shares (with search permission for the caller's ids).

use crate::errno::{SysError, SysResult};
use crate::fs_calls::{AT_FDCWD, join, o, parent_dir};
use crate::{Kernel, LinuxPlatform, Thread};
use alloc::vec::Vec;
use meridian_abi::Errno;
use meridian_core::Error;
use meridian_core::file::OpenFile;
use meridian_core::fs::perm::{Cred, MAY_EXEC, MAY_READ, MAY_WRITE, SET_GID_BIT};
use meridian_core::fs::vfs::{ResolveOpts, Resolved};
use meridian_core::fs::{FileType, Owner};
use meridian_core::pipe::PipeEnd;

/// `AT_EMPTY_PATH`.
pub const AT_EMPTY_PATH: u64 = 0x1000;
/// openat2(2) `RESOLVE_*` bits (include/uapi/linux/openat2.h).
const RESOLVE_NO_XDEV: u64 = 0x01;
const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_BENEATH: u64 = 0x08;
const RESOLVE_IN_ROOT: u64 = 0x10;
const RESOLVE_CACHED: u64 = 0x20;
/// `struct open_how` as first published (flags, mode, resolve), and the most openat2
/// accepts (a page: larger is E2BIG).
const OPEN_HOW_SIZE_VER0: u64 = 24;
const OPEN_HOW_MAX_BYTES: u64 = 4096;
/// Every open(2) flag Linux knows (`VALID_OPEN_FLAGS`); openat2 rejects others.
const VALID_OPEN_FLAGS: u64 = o::ACCMODE
    | o::CREAT
    | o::EXCL
    | o::NOCTTY
    | o::TRUNC
    | o::APPEND
    | o::NONBLOCK
    | o::SYNC
    | o::ASYNC
    | o::DIRECT
    | o::LARGEFILE
    | o::DIRECTORY
    | o::NOFOLLOW
    | o::NOATIME
    | o::CLOEXEC
    | o::PATH
    | o::TMPFILE;

impl<P: LinuxPlatform> Kernel<P> {
    /// Resolution options for the caller's filesystem ids.
    pub(crate) fn opts<'a>(&self, cred: &'a Cred, follow: bool) -> ResolveOpts<'a> {
        ResolveOpts {
            follow_final: follow,
            cred: Some(cred),
            ..ResolveOpts::default()
        }
    }

    /// The directory a `*at` call is relative to (an `O_PATH` descriptor will do).
    pub fn base_of(&self, dirfd: u64) -> Result<Vec<u8>, SysError> {
        if dirfd == AT_FDCWD || dirfd as i32 == -100 {
            return Ok(self.cwd.lock().clone());
        }
        let f = self.file(dirfd)?;
        if f.node.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR.into());
        }
        Ok(f.path.clone())
    }

    /// Resolve a guest path relative to `dirfd`, checking search permission.
    pub fn resolve_at(&self, dirfd: u64, path: &[u8], follow: bool) -> Result<Resolved, SysError> {
        let cred = self.fs_cred();
        self.resolve_at_with(dirfd, path, &self.opts(&cred, follow))
    }

    /// [`Self::resolve_at`] with explicit options.
    pub(crate) fn resolve_at_with(
        &self,
        dirfd: u64,
        path: &[u8],
        opts: &ResolveOpts<'_>,
    ) -> Result<Resolved, SysError> {
        let base = self.base_for(dirfd, path, opts)?;
        Ok(self.vfs.resolve_with(&base, path, opts)?)
    }

    /// Where resolution of `path` starts: an absolute path ignores `dirfd` (unless
    /// RESOLVE_IN_ROOT scopes it), even a bad one; a relative one starts at `dirfd`.
    fn base_for(
        &self,
        dirfd: u64,
        path: &[u8],
        opts: &ResolveOpts<'_>,
    ) -> Result<Vec<u8>, SysError> {
        if path.starts_with(b"/") && !opts.in_root {
            Ok(b"/".to_vec())
        } else {
            self.base_of(dirfd)
        }
    }

    /// The parent directory and final name of a path relative to `dirfd`.
    pub(crate) fn parent_at(
        &self,
        dirfd: u64,
        path: &[u8],
    ) -> Result<(Resolved, Vec<u8>), SysError> {
        let cred = self.fs_cred();
        self.parent_at_with(dirfd, path, &self.opts(&cred, true))
    }

    fn parent_at_with(
        &self,
        dirfd: u64,
        path: &[u8],
        opts: &ResolveOpts<'_>,
    ) -> Result<(Resolved, Vec<u8>), SysError> {
        if path.is_empty() {
            return Err(Errno::ENOENT.into());
        }
        let base = self.base_for(dirfd, path, opts)?;
        Ok(self.vfs.resolve_parent_with(&base, path, opts)?)
    }

    /// The object of a `*at` call that accepts `AT_EMPTY_PATH`: `dirfd` itself when `path`
    /// is empty and the flag is given.
    pub(crate) fn target_at(
        &self,
        dirfd: u64,
        path: &[u8],
        flags: u64,
        follow: bool,
    ) -> Result<Resolved, SysError> {
        if path.is_empty() {
            if flags & AT_EMPTY_PATH == 0 {
                return Err(Errno::ENOENT.into());
            }
            if dirfd == AT_FDCWD || dirfd as i32 == -100 {
                let cwd = self.cwd.lock().clone();
                return Ok(self.vfs.resolve(&cwd, b".", true)?);
            }
            let f = self.file(dirfd)?;
            return Ok(Resolved {
                node: f.node.clone(),
                path: f.path.clone(),
                read_only: f.read_only.load(core::sync::atomic::Ordering::Relaxed),
            });
        }
        self.resolve_at(dirfd, path, follow)
    }

    /// Whether `cred` may add entries to directory `dir`: EROFS, then EACCES.
    pub(crate) fn may_create(&self, dir: &Resolved, cred: &Cred) -> Result<(), SysError> {
        if dir.read_only {
            return Err(Errno::EROFS.into());
        }
        cred.check(&dir.node.metadata()?, MAY_WRITE | MAY_EXEC)?;
        Ok(())
    }

    /// Owner and permission bits of a new node in `dir` (inode(7): a set-group-ID directory
    /// gives its group, and its set-group-ID bit to new directories).
    pub(crate) fn new_owner(
        &self,
        dir: &Resolved,
        cred: &Cred,
        perm: u32,
        is_dir: bool,
    ) -> Result<(Owner, u32), SysError> {
        let m = dir.node.metadata()?;
        if m.mode & SET_GID_BIT != 0 {
            let perm = if is_dir { perm | SET_GID_BIT } else { perm };
            return Ok((
                Owner {
                    uid: cred.uid,
                    gid: m.gid,
                },
                perm,
            ));
        }
        Ok((
            Owner {
                uid: cred.uid,
                gid: cred.gid,
            },
            perm,
        ))
    }

    fn umasked(&self, mode: u64) -> u32 {
        (mode as u32) & 0o7777 & !self.umask.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// openat(2).
    pub fn sys_openat(
        &self,
        t: &Thread,
        dirfd: u64,
        path: u64,
        flags: u64,
        mode: u64,
    ) -> SysResult {
        let path = self.read_path(path)?;
        let cred = self.fs_cred();
        let opts = self.opts(&cred, flags & o::NOFOLLOW == 0);
        self.open_path(t, dirfd, &path, flags, mode, &opts)
    }

    /// openat2(2).
    pub fn sys_openat2(&self, t: &Thread, dirfd: u64, path: u64, how: u64, size: u64) -> SysResult {
        if size < OPEN_HOW_SIZE_VER0 {
            return Err(Errno::EINVAL.into());
        }
        if size > OPEN_HOW_MAX_BYTES {
            return Err(Errno::E2BIG.into());
        }
        let b = self.read_mem(how, size as usize)?;
        // Fields this kernel does not know must be zero (copy_struct_from_user).
        if b.get(OPEN_HOW_SIZE_VER0 as usize..)
            .is_some_and(|rest| rest.iter().any(|&x| x != 0))
        {
            return Err(Errno::E2BIG.into());
        }
        let flags = meridian_abi::layout::get_u64(&b, 0);
        let mode = meridian_abi::layout::get_u64(&b, 8);
        let resolve = meridian_abi::layout::get_u64(&b, 16);
        if flags & !VALID_OPEN_FLAGS != 0 {
            return Err(Errno::EINVAL.into());
        }
        let creating = flags & o::CREAT != 0 || flags & o::TMPFILE == o::TMPFILE;
        if (!creating && mode != 0) || mode & !0o7777 != 0 {
            return Err(Errno::EINVAL.into());
        }
        let known = RESOLVE_NO_XDEV
            | RESOLVE_NO_MAGICLINKS
            | RESOLVE_NO_SYMLINKS
            | RESOLVE_BENEATH
            | RESOLVE_IN_ROOT
            | RESOLVE_CACHED;
        if resolve & !known != 0 {
            return Err(Errno::EINVAL.into());
        }
        if resolve & RESOLVE_BENEATH != 0 && resolve & RESOLVE_IN_ROOT != 0 {
            return Err(Errno::EINVAL.into());
        }
        // RESOLVE_CACHED cannot create or truncate (openat2(2)); every lookup of the
        // library OS is "cached", so the rest is served.
        if resolve & RESOLVE_CACHED != 0 && (creating || flags & o::TRUNC != 0) {
            return Err(Errno::EAGAIN.into());
        }
        let path = self.read_path(path)?;
        let cred = self.fs_cred();
        let opts = ResolveOpts {
            follow_final: flags & o::NOFOLLOW == 0,
            cred: Some(&cred),
            beneath: resolve & RESOLVE_BENEATH != 0,
            in_root: resolve & RESOLVE_IN_ROOT != 0,
            no_symlinks: resolve & RESOLVE_NO_SYMLINKS != 0,
            no_magiclinks: resolve & (RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS) != 0,
            no_xdev: resolve & RESOLVE_NO_XDEV != 0,
        };
        self.open_path(t, dirfd, &path, flags, mode, &opts)
    }

    /// Open `path` as openat(2) does, resolving with `opts`.
    pub fn open_path(
        &self,
        t: &Thread,
        dirfd: u64,
        path: &[u8],
        flags: u64,
        mode: u64,
        opts: &ResolveOpts<'_>,
    ) -> SysResult {
        if path.is_empty() {
            return Err(Errno::ENOENT.into());
        }
        let acc = flags & o::ACCMODE;
        if acc == 3 {
            return Err(Errno::EINVAL.into());
        }
        let cred = opts.cred.cloned().unwrap_or_default();
        if flags & o::TMPFILE == o::TMPFILE {
            return self.open_tmpfile(dirfd, path, flags, mode, opts, &cred);
        }
        let opath = flags & o::PATH != 0;
        let (readable, writable) = if opath {
            (false, false)
        } else {
            (acc != o::WRONLY, acc != 0)
        };
        let (r, created) = if flags & o::CREAT != 0 && !opath {
            self.open_create(dirfd, path, flags, mode, opts, &cred)?
        } else {
            (self.resolve_at_with(dirfd, path, opts)?, false)
        };
        let ft = r.node.file_type();
        if ft == FileType::Symlink && !opath {
            return Err(Errno::ELOOP.into());
        }
        if flags & o::DIRECTORY != 0 && ft != FileType::Directory {
            return Err(Errno::ENOTDIR.into());
        }
        let truncate = flags & o::TRUNC != 0 && !opath;
        // open(2): a directory opened for writing, or with O_TRUNC, is EISDIR.
        if ft == FileType::Directory && (writable || truncate) {
            return Err(Errno::EISDIR.into());
        }
        if r.read_only && (writable || truncate) && ft == FileType::Regular {
            return Err(Errno::EROFS.into());
        }
        if !opath && !created {
            let mut want = 0;
            if readable {
                want |= MAY_READ;
            }
            if writable || (truncate && ft == FileType::Regular) {
                want |= MAY_WRITE;
            }
            cred.check(&r.node.metadata()?, want)?;
        }
        let nonblock = flags & o::NONBLOCK != 0;
        let node = if opath {
            r.node.clone()
        } else if ft == FileType::Fifo {
            self.open_fifo(t, &r, readable, writable, nonblock)?
        } else {
            r.node.clone().open(writable)?
        };
        if truncate && writable && ft == FileType::Regular {
            node.truncate(0)?;
        }
        let status = (flags & !(o::CREAT | o::EXCL | o::NOCTTY | o::TRUNC | o::CLOEXEC)) as u32;
        let file = OpenFile::new(node, r.path, readable, writable, status);
        file.read_only
            .store(r.read_only, core::sync::atomic::Ordering::Relaxed);
        self.install(file, flags & o::CLOEXEC != 0)
    }

    /// One end of FIFO `r`'s pipe, waiting as fifo(7) says unless `nonblock`.
    fn open_fifo(
        &self,
        t: &Thread,
        r: &Resolved,
        read: bool,
        write: bool,
        nonblock: bool,
    ) -> Result<meridian_core::fs::NodeRef, SysError> {
        let end = match r.node.open_fifo(read, write, nonblock) {
            Ok(end) => end,
            Err(Error::NotSupported) => return Ok(r.node.clone().open(write)?),
            Err(e) => return Err(e.into()),
        };
        self.notify();
        let pipe_end = end.as_any().downcast_ref::<PipeEnd>();
        if let Some(pipe_end) = pipe_end.filter(|_| !nonblock) {
            let waited = self.block_on(t, false, None, || {
                if pipe_end.peer_arrived() {
                    Ok(())
                } else {
                    Err(Error::WouldBlock)
                }
            });
            if let Err(e) = waited {
                end.release();
                self.notify();
                return Err(e.into());
            }
        }
        Ok(end)
    }

    /// `O_TMPFILE`: an unnamed regular file in directory `path` (open(2)).
    fn open_tmpfile(
        &self,
        dirfd: u64,
        path: &[u8],
        flags: u64,
        mode: u64,
        opts: &ResolveOpts<'_>,
        cred: &Cred,
    ) -> SysResult {
        let acc = flags & o::ACCMODE;
        if acc != o::WRONLY && acc != o::RDWR {
            return Err(Errno::EINVAL.into());
        }
        let dir = self.resolve_at_with(
            dirfd,
            path,
            &ResolveOpts {
                follow_final: true,
                ..*opts
            },
        )?;
        if dir.node.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR.into());
        }
        self.may_create(&dir, cred)?;
        let (owner, perm) = self.new_owner(&dir, cred, self.umasked(mode), false)?;
        let node = dir.node.create_unnamed(perm, owner)?;
        let mut name = dir.path.clone();
        if name.last() != Some(&b'/') {
            name.push(b'/');
        }
        name.extend_from_slice(alloc::format!("#{} (deleted)", node.metadata()?.ino).as_bytes());
        let status =
            (flags & !(o::CREAT | o::EXCL | o::NOCTTY | o::TRUNC | o::CLOEXEC | o::TMPFILE)) as u32;
        let file = OpenFile::new(node, name, acc == o::RDWR, true, status);
        self.install(file, flags & o::CLOEXEC != 0)
    }

    /// The `O_CREAT` part of open: find or create the file; true if it was created.
    fn open_create(
        &self,
        dirfd: u64,
        path: &[u8],
        flags: u64,
        mode: u64,
        opts: &ResolveOpts<'_>,
        cred: &Cred,
    ) -> Result<(Resolved, bool), SysError> {
        let (dir, name) = self.parent_at_with(dirfd, path, opts)?;
        if path.ends_with(b"/") {
            return Err(Errno::EISDIR.into());
        }
        let follow = ResolveOpts {
            follow_final: true,
            ..*opts
        };
        match dir.node.lookup(&name) {
            Ok(existing) => {
                if flags & o::EXCL != 0 {
                    return Err(Errno::EEXIST.into());
                }
                if existing.file_type() == FileType::Symlink {
                    if flags & o::NOFOLLOW != 0 {
                        return Err(Errno::ELOOP.into());
                    }
                    return match self.resolve_at_with(dirfd, path, &follow) {
                        Ok(r) => Ok((r, false)),
                        // A dangling symlink: create its target.
                        Err(e) if e.0 == Errno::ENOENT => {
                            let nofollow = ResolveOpts {
                                follow_final: false,
                                ..*opts
                            };
                            let link = self.resolve_at_with(dirfd, path, &nofollow)?;
                            let target = link.node.read_link()?;
                            let full = join(&parent_dir(&link.path), &target);
                            self.open_create(
                                AT_FDCWD,
                                &full,
                                o::CREAT | o::EXCL,
                                mode,
                                &follow,
                                cred,
                            )
                        }
                        Err(e) => Err(e),
                    };
                }
                // Resolved again through the VFS so that a mount point keeps its mount's root.
                Ok((self.resolve_at_with(dirfd, path, &follow)?, false))
            }
            Err(Error::NotFound) => {
                self.may_create(&dir, cred)?;
                let (owner, perm) = self.new_owner(&dir, cred, self.umasked(mode), false)?;
                let node = dir.node.create_as(&name, FileType::Regular, perm, owner)?;
                Ok((
                    Resolved {
                        node,
                        path: join(&dir.path, &name),
                        read_only: false,
                    },
                    true,
                ))
            }
            Err(e) => Err(e.into()),
        }
    }
}
