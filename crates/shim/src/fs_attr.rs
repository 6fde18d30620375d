//! Namespace and attribute calls: mkdir/mknod/unlink/rename/link/symlink, chmod/chown,
//! truncate/fallocate, utimensat, statfs, fsync and access, with Linux's permission rules
//! (path_resolution(7), inode(7)) for the caller's filesystem ids.

use crate::errno::{SysError, SysResult};
use crate::fs_calls::{AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW};
use crate::fs_open::AT_EMPTY_PATH;
use crate::{Kernel, LinuxPlatform};
use alloc::vec::Vec;
use meridian_abi::Errno;
use meridian_abi::layout::{self, Timespec};
use meridian_core::fs::perm::{Cred, MAY_EXEC, MAY_READ, MAY_WRITE, STICKY_BIT};
use meridian_core::fs::vfs::Resolved;
use meridian_core::fs::{AllocMode, FileType, FsStats, Metadata, NodeRef, TMPFS_MAGIC};
use meridian_core::time::{ClockKind, Nanos};

const AT_SYMLINK_FOLLOW: u64 = 0x400;
const AT_EACCESS: u64 = 0x200;
/// statfs `f_flags` bit of a read-only mount (`ST_RDONLY`).
const ST_RDONLY: u64 = 1;
/// `ST_VALID`: f_flags is meaningful (Linux always sets it).
const ST_VALID: u64 = 0x20;
/// `struct statfs` size on x86-64.
const STATFS_BYTES: usize = 120;

impl<P: LinuxPlatform> Kernel<P> {
    fn node_path(dir: &Resolved, name: &[u8]) -> Vec<u8> {
        crate::fs_calls::join(&dir.path, name)
    }

    /// Whether `cred` may remove `child` (entry `name`) from `dir`: write and search on the
    /// directory (EACCES), then the sticky bit (EPERM).
    fn may_delete(&self, dir: &Resolved, child: &Metadata, cred: &Cred) -> Result<(), SysError> {
        let dm = dir.node.metadata()?;
        cred.check(&dm, MAY_WRITE | MAY_EXEC)?;
        if dm.mode & STICKY_BIT != 0 && !cred.may_delete_sticky(&dm, child) {
            return Err(Errno::EPERM.into());
        }
        Ok(())
    }

    /// mkdirat(2).
    pub fn sys_mkdirat(&self, dirfd: u64, path: u64, mode: u64) -> SysResult {
        self.make_node(dirfd, path, FileType::Directory, mode)
    }

    /// mknodat(2): regular files, FIFOs and sockets (devices need `CAP_MKNOD`: EPERM).
    pub fn sys_mknodat(&self, dirfd: u64, path: u64, mode: u64) -> SysResult {
        let ft = match FileType::from_mode(mode as u32) {
            None if mode as u32 & 0o170000 != 0 => return Err(Errno::EINVAL.into()),
            None | Some(FileType::Regular) => FileType::Regular,
            Some(FileType::Fifo) => FileType::Fifo,
            Some(FileType::Socket) => FileType::Socket,
            Some(FileType::Directory) | Some(FileType::Symlink) => {
                return Err(Errno::EINVAL.into());
            }
            Some(FileType::CharDevice) => return Err(Errno::EPERM.into()),
        };
        self.make_node(dirfd, path, ft, mode)
    }

    fn make_node(&self, dirfd: u64, path: u64, ft: FileType, mode: u64) -> SysResult {
        let p = self.read_path(path)?;
        let (dir, name) = match self.parent_at(dirfd, &p) {
            // mkdir(2) of a final `.` or `..` (busybox tar does `mkdir("./")`): the
            // directory exists, so EEXIST once the path itself resolves.
            Err(SysError(Errno::EINVAL)) => {
                self.resolve_at(dirfd, &p, true)?;
                return Err(Errno::EEXIST.into());
            }
            other => other?,
        };
        if dir.node.lookup(&name).is_ok() || self.vfs.is_mount_point(&Self::node_path(&dir, &name))
        {
            return Err(Errno::EEXIST.into());
        }
        if ft != FileType::Directory && p.ends_with(b"/") {
            return Err(Errno::ENOENT.into());
        }
        let cred = self.fs_cred();
        self.may_create(&dir, &cred)?;
        let perm = (mode as u32) & 0o7777 & !self.umask.load(core::sync::atomic::Ordering::Relaxed);
        let (owner, perm) = self.new_owner(&dir, &cred, perm, ft == FileType::Directory)?;
        dir.node.create_as(&name, ft, perm, owner)?;
        Ok(0)
    }

    /// unlinkat(2).
    pub fn sys_unlinkat(&self, dirfd: u64, path: u64, flags: u64) -> SysResult {
        if flags & !AT_REMOVEDIR != 0 {
            return Err(Errno::EINVAL.into());
        }
        let p = self.read_path(path)?;
        let rmdir = flags & AT_REMOVEDIR != 0;
        let (dir, name) = match self.parent_at(dirfd, &p) {
            // rmdir(2) of `.` is EINVAL, of `..` ENOTEMPTY.
            Err(SysError(Errno::EINVAL)) if rmdir && p.ends_with(b"..") => {
                return Err(Errno::ENOTEMPTY.into());
            }
            Err(SysError(Errno::EINVAL)) if !rmdir => return Err(Errno::EISDIR.into()),
            // rmdir(2) of the root (a mount point): EBUSY.
            Err(SysError(Errno::EEXIST)) => {
                return Err(if rmdir { Errno::EBUSY } else { Errno::EISDIR }.into());
            }
            other => other?,
        };
        let target = dir.node.lookup(&name)?;
        if dir.read_only {
            return Err(Errno::EROFS.into());
        }
        if !rmdir && p.ends_with(b"/") {
            return Err(if target.file_type() == FileType::Directory {
                Errno::EISDIR
            } else {
                Errno::ENOTDIR
            }
            .into());
        }
        let cred = self.fs_cred();
        self.may_delete(&dir, &target.metadata()?, &cred)?;
        if self.vfs.is_mount_point(&Self::node_path(&dir, &name)) {
            return Err(Errno::EBUSY.into());
        }
        dir.node.unlink(&name, rmdir)?;
        Ok(0)
    }

    /// renameat2(2): `RENAME_NOREPLACE` and `RENAME_EXCHANGE`.
    pub fn sys_renameat2(
        &self,
        olddir: u64,
        old: u64,
        newdir: u64,
        new: u64,
        flags: u64,
    ) -> SysResult {
        const RENAME_NOREPLACE: u64 = 1;
        const RENAME_EXCHANGE: u64 = 2;
        const RENAME_WHITEOUT: u64 = 4;
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
            || (flags & RENAME_EXCHANGE != 0 && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0)
        {
            return Err(Errno::EINVAL.into());
        }
        if flags & RENAME_WHITEOUT != 0 {
            // Whiteouts are character devices: creating one needs CAP_MKNOD.
            return Err(Errno::EPERM.into());
        }
        let op = self.read_path(old)?;
        let np = self.read_path(new)?;
        // rename(2): a final `.` or `..` (or the root) is EBUSY.
        let busy = |e: SysError| match e.0 {
            Errno::EINVAL | Errno::EEXIST => SysError(Errno::EBUSY),
            _ => e,
        };
        let (od, on) = self.parent_at(olddir, &op).map_err(busy)?;
        let (nd, nn) = self.parent_at(newdir, &np).map_err(busy)?;
        let src = od.node.lookup(&on)?;
        let src_dir = src.file_type() == FileType::Directory;
        if !src_dir && (op.ends_with(b"/") || np.ends_with(b"/")) {
            return Err(Errno::ENOTDIR.into());
        }
        let dst = nd.node.lookup(&nn).ok();
        if flags & RENAME_EXCHANGE != 0 && dst.is_none() {
            return Err(Errno::ENOENT.into());
        }
        // rename(2) checks "not on the same mounted filesystem" (EXDEV) before EROFS, so
        // that mv copies from a read-write mount to a read-only one and fails there; mounts
        // that differ in being read-only are different mounts.
        if od.read_only != nd.read_only {
            return Err(Errno::EXDEV.into());
        }
        if od.read_only || nd.read_only {
            return Err(Errno::EROFS.into());
        }
        if flags & RENAME_NOREPLACE != 0 && dst.is_some() {
            return Err(Errno::EEXIST.into());
        }
        let cred = self.fs_cred();
        self.may_delete(&od, &src.metadata()?, &cred)?;
        match &dst {
            Some(d) => self.may_delete(&nd, &d.metadata()?, &cred)?,
            None => cred.check(&nd.node.metadata()?, MAY_WRITE | MAY_EXEC)?,
        }
        // Moving a directory to another parent rewrites its `..`: write permission on it.
        let moves = od.path != nd.path;
        if moves && src.file_type() == FileType::Directory {
            cred.check(&src.metadata()?, MAY_WRITE)?;
        }
        if self.vfs.is_mount_point(&Self::node_path(&od, &on))
            || self.vfs.is_mount_point(&Self::node_path(&nd, &nn))
        {
            return Err(Errno::EBUSY.into());
        }
        if flags & RENAME_EXCHANGE != 0 {
            od.node.exchange(&on, &nd.node, &nn)?;
        } else {
            od.node.rename(&on, &nd.node, &nn)?;
        }
        Ok(0)
    }

    /// linkat(2), including `AT_EMPTY_PATH` (which needs `CAP_DAC_READ_SEARCH`).
    pub fn sys_linkat(
        &self,
        olddir: u64,
        old: u64,
        newdir: u64,
        new: u64,
        flags: u64,
    ) -> SysResult {
        if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let op = self.read_path(old)?;
        let np = self.read_path(new)?;
        let cred = self.fs_cred();
        if op.is_empty() && flags & AT_EMPTY_PATH != 0 && !cred.is_privileged() {
            return Err(Errno::ENOENT.into());
        }
        let src = self.target_at(olddir, &op, flags, flags & AT_SYMLINK_FOLLOW != 0)?;
        let (nd, nn) = self.parent_at(newdir, &np)?;
        if nd.node.lookup(&nn).is_ok() {
            return Err(Errno::EEXIST.into());
        }
        // link(2): EXDEV between mounts before EROFS, as for rename.
        if src.read_only != nd.read_only {
            return Err(Errno::EXDEV.into());
        }
        if nd.read_only {
            return Err(Errno::EROFS.into());
        }
        cred.check(&nd.node.metadata()?, MAY_WRITE | MAY_EXEC)?;
        nd.node.link(&nn, &src.node)?;
        Ok(0)
    }

    /// symlinkat(2).
    pub fn sys_symlinkat(&self, target: u64, dirfd: u64, path: u64) -> SysResult {
        let tp = self.read_path(target)?;
        if tp.is_empty() {
            return Err(Errno::ENOENT.into());
        }
        let p = self.read_path(path)?;
        let (dir, name) = self.parent_at(dirfd, &p)?;
        if dir.node.lookup(&name).is_ok() {
            return Err(Errno::EEXIST.into());
        }
        let cred = self.fs_cred();
        self.may_create(&dir, &cred)?;
        let (owner, _) = self.new_owner(&dir, &cred, 0o777, false)?;
        dir.node.symlink_as(&name, &tp, owner)?;
        Ok(0)
    }

    fn chmod(&self, node: &NodeRef, read_only: bool, mode: u64) -> SysResult {
        let m = node.metadata()?;
        let cred = self.fs_cred();
        if !cred.owns(&m) {
            return Err(Errno::EPERM.into());
        }
        if read_only {
            return Err(Errno::EROFS.into());
        }
        node.set_mode(cred.chmod_bits(&m, mode as u32))?;
        Ok(0)
    }

    /// fchmodat(2) (and fchmodat2 flags: `AT_SYMLINK_NOFOLLOW` on a link is EOPNOTSUPP).
    pub fn sys_fchmodat(&self, dirfd: u64, path: u64, mode: u64) -> SysResult {
        let p = self.read_path(path)?;
        let r = self.resolve_at(dirfd, &p, true)?;
        self.chmod(&r.node, r.read_only, mode)
    }

    /// fchmod(2).
    pub fn sys_fchmod(&self, fd: u64, mode: u64) -> SysResult {
        let f = self.file_not_path(fd)?;
        self.chmod(
            &f.node,
            f.read_only.load(core::sync::atomic::Ordering::Relaxed),
            mode,
        )
    }

    /// chown(2) rules: `CAP_CHOWN` may do anything; the owner may only change the group to
    /// one of its groups (and "change" the owner to itself).
    fn chown(&self, node: &NodeRef, read_only: bool, uid: u64, gid: u64) -> SysResult {
        let uid = Some(uid as u32).filter(|&u| u != u32::MAX);
        let gid = Some(gid as u32).filter(|&g| g != u32::MAX);
        let m = node.metadata()?;
        let cred = self.fs_cred();
        if !cred.is_privileged() {
            let uid_ok = uid.is_none_or(|u| u == m.uid && u == cred.uid);
            let gid_ok = gid.is_none_or(|g| cred.uid == m.uid && (g == m.gid || cred.in_group(g)));
            if !uid_ok || !gid_ok {
                return Err(Errno::EPERM.into());
            }
        }
        if read_only {
            return Err(Errno::EROFS.into());
        }
        node.set_owner(uid, gid)?;
        Ok(0)
    }

    /// fchownat(2), chown(2), lchown(2).
    pub fn sys_fchownat(&self, dirfd: u64, path: u64, uid: u64, gid: u64, flags: u64) -> SysResult {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let p = self.read_path(path)?;
        let r = self.target_at(dirfd, &p, flags, flags & AT_SYMLINK_NOFOLLOW == 0)?;
        self.chown(&r.node, r.read_only, uid, gid)
    }

    /// fchown(2).
    pub fn sys_fchown(&self, fd: u64, uid: u64, gid: u64) -> SysResult {
        let f = self.file_not_path(fd)?;
        self.chown(
            &f.node,
            f.read_only.load(core::sync::atomic::Ordering::Relaxed),
            uid,
            gid,
        )
    }

    /// truncate(2).
    pub fn sys_truncate(&self, t: &crate::Thread, path: u64, len: u64) -> SysResult {
        if (len as i64) < 0 {
            return Err(Errno::EINVAL.into());
        }
        let p = self.read_path(path)?;
        let r = self.resolve_at(AT_FDCWD, &p, true)?;
        if r.node.file_type() == FileType::Directory {
            return Err(Errno::EISDIR.into());
        }
        if r.read_only {
            return Err(Errno::EROFS.into());
        }
        self.fs_cred().check(&r.node.metadata()?, MAY_WRITE)?;
        if r.node.file_type() == FileType::Regular {
            self.check_new_size(t, len)?;
        }
        r.node.truncate(len)?;
        Ok(0)
    }

    /// ftruncate(2).
    pub fn sys_ftruncate(&self, t: &crate::Thread, fd: u64, len: u64) -> SysResult {
        if (len as i64) < 0 {
            return Err(Errno::EINVAL.into());
        }
        let f = self.file_not_path(fd)?;
        if !f.writable || f.node.file_type() != FileType::Regular {
            return Err(Errno::EINVAL.into());
        }
        self.check_new_size(t, len)?;
        f.node.truncate(len)?;
        Ok(0)
    }

    /// fallocate(2): mode 0, `FALLOC_FL_KEEP_SIZE`, `FALLOC_FL_PUNCH_HOLE|KEEP_SIZE`.
    pub fn sys_fallocate(
        &self,
        t: &crate::Thread,
        fd: u64,
        mode: u64,
        offset: u64,
        len: u64,
    ) -> SysResult {
        const KEEP_SIZE: u64 = 1;
        const PUNCH_HOLE: u64 = 2;
        let how = match mode {
            0 => AllocMode::Allocate,
            KEEP_SIZE => AllocMode::KeepSize,
            m if m == PUNCH_HOLE | KEEP_SIZE => AllocMode::PunchHole,
            // PUNCH_HOLE must come with KEEP_SIZE (fallocate(2)).
            PUNCH_HOLE => return Err(Errno::EOPNOTSUPP.into()),
            _ => {
                self.report_once(
                    0x6_0000 | mode,
                    format_args!("fallocate mode {mode:#x} is not supported: returning EOPNOTSUPP"),
                );
                return Err(Errno::EOPNOTSUPP.into());
            }
        };
        if (offset as i64) < 0 || (len as i64) <= 0 {
            return Err(Errno::EINVAL.into());
        }
        let f = self.file(fd)?;
        if !f.writable {
            return Err(Errno::EBADF.into());
        }
        match f.node.file_type() {
            FileType::Regular => {}
            FileType::Directory => return Err(Errno::EISDIR.into()),
            FileType::Fifo => return Err(Errno::ESPIPE.into()),
            _ => return Err(Errno::ENODEV.into()),
        }
        if offset.checked_add(len).is_none_or(|e| e > i64::MAX as u64) {
            return Err(Errno::EFBIG.into());
        }
        if how == AllocMode::Allocate {
            self.check_new_size(t, offset + len)?;
        }
        match f.node.allocate(how, offset, len) {
            // Filesystems without fallocate: mode 0 can still grow the file.
            Err(meridian_core::Error::NotSupported) if how == AllocMode::Allocate => {
                if f.node.metadata()?.size < offset + len {
                    f.node.truncate(offset + len)?;
                }
                Ok(0)
            }
            Err(e) => Err(e.into()),
            Ok(()) => Ok(0),
        }
    }

    fn set_times(
        &self,
        node: &NodeRef,
        read_only: bool,
        a: Option<Nanos>,
        m: Option<Nanos>,
        explicit: bool,
    ) -> SysResult {
        let meta = node.metadata()?;
        let cred = self.fs_cred();
        // utimensat(2): explicit times need ownership; "now" needs ownership or write access.
        if !cred.owns(&meta) {
            if explicit {
                return Err(Errno::EPERM.into());
            }
            cred.check(&meta, MAY_WRITE)?;
        }
        if read_only {
            return Err(Errno::EROFS.into());
        }
        if a.is_none() && m.is_none() {
            return Ok(0);
        }
        node.set_times(a, m)?;
        Ok(0)
    }

    /// utimensat(2), and futimens(3) (a null path).
    pub fn sys_utimensat(&self, dirfd: u64, path: u64, times: u64, flags: u64) -> SysResult {
        const UTIME_NOW: i64 = (1 << 30) - 1;
        const UTIME_OMIT: i64 = (1 << 30) - 2;
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let now = self.p.now(ClockKind::Realtime);
        let (a, m, explicit) = if times == 0 {
            (Some(now), Some(now), false)
        } else {
            let b = self.read_mem(times, 32)?;
            let mut explicit = false;
            let mut conv = |t: Timespec| -> Result<Option<Nanos>, SysError> {
                match t.nsec {
                    UTIME_NOW => Ok(Some(now)),
                    UTIME_OMIT => Ok(None),
                    n if (0..1_000_000_000).contains(&n) => {
                        explicit = true;
                        Ok(Some(Nanos::from_parts(t.sec.max(0) as u64, n as u64)))
                    }
                    _ => Err(Errno::EINVAL.into()),
                }
            };
            let a = conv(Timespec::decode(&b))?;
            let m = conv(Timespec::decode(b.get(16..).unwrap_or_default()))?;
            (a, m, explicit)
        };
        let (node, ro) = if path == 0 {
            let f = self.file(dirfd)?;
            (
                f.node.clone(),
                f.read_only.load(core::sync::atomic::Ordering::Relaxed),
            )
        } else {
            let p = self.read_path(path)?;
            let r = self.target_at(dirfd, &p, flags, flags & AT_SYMLINK_NOFOLLOW == 0)?;
            (r.node, r.read_only)
        };
        self.set_times(&node, ro, a, m, explicit)
    }

    /// utimes(2).
    pub fn sys_utimes(&self, path: u64, times: u64) -> SysResult {
        let p = self.read_path(path)?;
        let r = self.resolve_at(AT_FDCWD, &p, true)?;
        let (a, m, explicit) = if times == 0 {
            let now = self.p.now(ClockKind::Realtime);
            (now, now, false)
        } else {
            let b = self.read_mem(times, 32)?;
            let tv = |o: usize| {
                Nanos::from_parts(
                    layout::get_u64(&b, o),
                    layout::get_u64(&b, o + 8).saturating_mul(1000),
                )
            };
            (tv(0), tv(16), true)
        };
        self.set_times(&r.node, r.read_only, Some(a), Some(m), explicit)
    }

    fn write_statfs(&self, node: &NodeRef, read_only: bool, out: u64) -> SysResult {
        // Filesystems without figures (devices, host stdio) answer as a small tmpfs.
        let synthetic = node.metadata()?.dev == meridian_core::fs::synthetic::PROC_DEV;
        let st = node.statfs().unwrap_or(FsStats {
            magic: TMPFS_MAGIC,
            block_size: 4096,
            blocks: 1 << 20,
            blocks_free: 1 << 19,
            blocks_avail: 1 << 19,
            files: 1 << 20,
            files_free: 1 << 19,
            name_max: 255,
            flags: 0,
        });
        let mut b = [0u8; STATFS_BYTES];
        let mut f = layout::Fields(&mut b);
        f.u64(
            0,
            if synthetic {
                meridian_core::fs::PROC_SUPER_MAGIC
            } else {
                st.magic
            },
        );
        f.u64(8, st.block_size);
        f.u64(16, st.blocks);
        f.u64(24, st.blocks_free);
        f.u64(32, st.blocks_avail);
        f.u64(40, st.files);
        f.u64(48, st.files_free);
        f.u64(64, st.name_max);
        f.u64(72, st.block_size);
        f.u64(
            80,
            st.flags | ST_VALID | if read_only { ST_RDONLY } else { 0 },
        );
        self.write_mem(out, &b)?;
        Ok(0)
    }

    /// statfs(2).
    pub fn sys_statfs(&self, path: u64, out: u64) -> SysResult {
        let p = self.read_path(path)?;
        let r = self.resolve_at(AT_FDCWD, &p, true)?;
        self.write_statfs(&r.node, r.read_only, out)
    }

    /// fstatfs(2).
    pub fn sys_fstatfs(&self, fd: u64, out: u64) -> SysResult {
        let f = self.file(fd)?;
        self.write_statfs(
            &f.node,
            f.read_only.load(core::sync::atomic::Ordering::Relaxed),
            out,
        )
    }

    /// fsync(2) / fdatasync(2).
    pub fn sys_fsync(&self, fd: u64) -> SysResult {
        let f = self.file_not_path(fd)?;
        f.node.sync()?;
        Ok(0)
    }

    /// syncfs(2): every file of the library OS's filesystems is already where it goes.
    pub fn sys_syncfs(&self, fd: u64) -> SysResult {
        self.file_not_path(fd)?;
        Ok(0)
    }

    /// faccessat2(2): the real ids unless `AT_EACCESS`; root passes read and write checks,
    /// and execute when some execute bit is set.
    pub fn sys_faccessat(&self, dirfd: u64, path: u64, mode: u64, flags: u64) -> SysResult {
        const W_OK: u64 = 2;
        if mode & !7 != 0 || flags & !(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let cred = if flags & AT_EACCESS != 0 {
            self.fs_cred()
        } else {
            self.creds.lock().real()
        };
        let p = self.read_path(path)?;
        let r = if p.is_empty() {
            self.target_at(dirfd, &p, flags, true)?
        } else {
            self.resolve_at_with(
                dirfd,
                &p,
                &self.opts(&cred, flags & AT_SYMLINK_NOFOLLOW == 0),
            )?
        };
        let m = r.node.metadata()?;
        let want = (mode as u32) & (MAY_READ | MAY_WRITE | MAY_EXEC);
        cred.check(&m, want)?;
        if mode & W_OK != 0 && r.read_only && r.node.file_type() != FileType::CharDevice {
            return Err(Errno::EROFS.into());
        }
        Ok(0)
    }
}
