//! A host directory (a host volume), read-only or read-write, through the platform's
//! [`HostVolumes`] capability and, for opened files, [`HostIo`].
//!
//! A [`HostNode`] is named by its volume and its path relative to the volume root. Paths are
//! built only by [`Node::lookup`] from single names that contain no `/` or NUL and are not
//! `.` or `..`, so every path the platform sees is `""` (the root) or `a/b/c` of plain
//! components: `..` and symbolic links are resolved by the VFS above, inside the sandbox's
//! own tree, and can never lead outside the volume on the host.
//!
//! Changes (create, write, rename, …) go to the platform as they are; it refuses them with
//! `Error::ReadOnly` on a volume the policy mounts read-only. A rename or hard link between
//! different volumes, or between a volume and another filesystem, is `Error::CrossDevice`
//! (EXDEV), as between two host mounts, so that `mv` and `cp` fall back to copying.
//! Permission bits are applied as the guest asks (its umask applied by the shim); ownership
//! stays the host's.
//!
//! Nothing here caches host lookups: a node lives only while a resolution or an open file
//! holds it (a volume root while it is mounted), and the VFS resolves every path from its
//! start, so a cache of children per node would serve little more than a volume's first
//! component. The platform keeps what lasts instead: the Linux one keeps descriptors of the
//! directories that names are looked up in, so that a [`Node::lookup`] costs at most one
//! host call (platform-linux `host.rs`).
//!
//! Host special files (devices, FIFOs, sockets) are listed and can be stat'ed, but not
//! opened (`Error::Access`), as on a `nodev` mount: opening a host FIFO could block the
//! library OS, a device would reach past the policy.
//!
//! Depends on `fs` ([`Node`]), `platform` ([`HostIo`], [`HostVolumes`]) and `error`.

use super::perm::bits_after_chown;
use super::{AllocMode, DirEntry, FileType, FsStats, Metadata, Node, NodeRef};
use crate::error::{Error, Result};
use crate::platform::{HostFd, HostIo, HostNodeKind, HostRename, HostStat, HostVolumes};
use crate::time::Nanos;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use spin::Mutex;

/// The permission bits of a mode (`07777`).
const PERM_BITS: u32 = 0o7777;
/// Longest name of one directory entry (`NAME_MAX`).
const NAME_MAX_BYTES: usize = 255;
/// `d_type` values of getdents64(2) (dirent.h `DT_*`) this module tells apart.
const DT_UNKNOWN: u8 = 0;
const DT_FIFO: u8 = 1;
const DT_CHR: u8 = 2;
const DT_DIR: u8 = 4;
const DT_BLK: u8 = 6;
const DT_REG: u8 = 8;
const DT_LNK: u8 = 10;
const DT_SOCK: u8 = 12;
/// `S_IFBLK`: the core has no block-device type, see [`file_type_of`].
const S_IFMT: u32 = 0o170000;
const S_IFBLK: u32 = 0o060000;

/// The root of host volume `vol`: a node for the path `""`.
pub fn volume_root(io: &'static dyn HostIo, vol: u32) -> Result<NodeRef> {
    let stat = volumes(io)?.stat(vol, b"")?;
    Ok(Arc::new(HostNode {
        io,
        vol,
        path: Vec::new(),
        stat: Mutex::new(stat),
        fd: Mutex::new(None),
        writing: false,
    }))
}

fn volumes(io: &'static dyn HostIo) -> Result<&'static dyn HostVolumes> {
    io.host_volumes().ok_or(Error::NotSupported)
}

/// The core's type of a host mode. Block devices have no type of their own in the core:
/// they show as character devices (their real mode still shows in `st_mode`), and neither
/// can be opened. Unknown types show as regular files and cannot be opened either.
fn file_type_of(mode: u32) -> FileType {
    if mode & S_IFMT == S_IFBLK {
        return FileType::CharDevice;
    }
    FileType::from_mode(mode).unwrap_or(FileType::Regular)
}

/// The core's type for a `d_type`, or `None` when the host did not say.
fn file_type_of_dtype(dtype: u8) -> Option<FileType> {
    match dtype {
        DT_FIFO => Some(FileType::Fifo),
        DT_CHR | DT_BLK => Some(FileType::CharDevice),
        DT_DIR => Some(FileType::Directory),
        DT_REG => Some(FileType::Regular),
        DT_LNK => Some(FileType::Symlink),
        DT_SOCK => Some(FileType::Socket),
        DT_UNKNOWN => None,
        _ => None,
    }
}

/// Whether `name` may become a path component: not empty, not `.` or `..`, no `/` or NUL.
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

/// A file, directory or link of a host volume; see the module documentation.
pub struct HostNode {
    io: &'static dyn HostIo,
    vol: u32,
    /// Relative to the volume root: `""` or plain components joined by `/`.
    path: Vec<u8>,
    /// Metadata as of the lookup that made this node, or of its last change through it.
    stat: Mutex<HostStat>,
    /// The host descriptor of an opened regular file; taken by `release` (or drop).
    fd: Mutex<Option<HostFd>>,
    /// `fd` was opened for writing.
    writing: bool,
}

impl HostNode {
    /// The path of this node inside its volume (`""` for the root).
    pub fn volume_path(&self) -> &[u8] {
        &self.path
    }

    /// rename(2) of entry `name` of this directory to `new_dir`/`new_name`, replacing,
    /// refusing to replace or exchanging as `how` says (renameat2(2) flags).
    pub fn rename_as(
        &self,
        name: &[u8],
        new_dir: &NodeRef,
        new_name: &[u8],
        how: HostRename,
    ) -> Result<()> {
        let old = self.entry_path(name)?;
        let new = self.same_volume(new_dir)?.entry_path(new_name)?;
        self.volumes()?.rename(self.vol, &old, &new, how)
    }

    fn volumes(&self) -> Result<&'static dyn HostVolumes> {
        volumes(self.io)
    }

    fn child_path(&self, name: &[u8]) -> Result<Vec<u8>> {
        check_name(name)?;
        let mut path = Vec::new();
        path.try_reserve(self.path.len() + 1 + name.len())
            .map_err(|_| Error::NoMemory)?;
        if !self.path.is_empty() {
            path.extend_from_slice(&self.path);
            path.push(b'/');
        }
        path.extend_from_slice(name);
        Ok(path)
    }

    fn is_dir(&self) -> bool {
        self.file_type() == FileType::Directory
    }

    /// The path of `name` in this directory, for an operation that changes the directory.
    fn entry_path(&self, name: &[u8]) -> Result<Vec<u8>> {
        if !self.is_dir() {
            return Err(Error::NotDir);
        }
        self.child_path(name)
    }

    /// A node of this volume for `path` with metadata `stat`, and the host descriptor of an
    /// open file (`writing`: opened for writing).
    fn sibling(
        &self,
        path: Vec<u8>,
        stat: HostStat,
        fd: Option<HostFd>,
        writing: bool,
    ) -> HostNode {
        HostNode {
            io: self.io,
            vol: self.vol,
            path,
            stat: Mutex::new(stat),
            fd: Mutex::new(fd),
            writing,
        }
    }

    /// `other` as a directory node of the same volume, or `CrossDevice` (EXDEV, as between
    /// two host mounts) when it belongs to another volume or filesystem.
    fn same_volume<'a>(&self, other: &'a NodeRef) -> Result<&'a HostNode> {
        match other.as_any().downcast_ref::<HostNode>() {
            Some(node) if node.vol == self.vol && core::ptr::addr_eq(node.io, self.io) => Ok(node),
            _ => Err(Error::CrossDevice),
        }
    }

    /// Take the host's metadata again after a change made through this node; a failure
    /// keeps the old metadata (the change itself succeeded).
    fn refresh(&self) {
        let fresh = match *self.fd.lock() {
            Some(fd) => self.io.host_stat(fd),
            None => self
                .volumes()
                .and_then(|volumes| volumes.stat(self.vol, &self.path)),
        };
        if let Ok(stat) = fresh {
            *self.stat.lock() = stat;
        }
    }
}

impl Node for HostNode {
    fn metadata(&self) -> Result<Metadata> {
        let stat = match *self.fd.lock() {
            Some(fd) => self.io.host_stat(fd)?,
            None => *self.stat.lock(),
        };
        Ok(Metadata {
            dev: stat.dev,
            ino: stat.ino,
            mode: stat.mode,
            nlink: stat.nlink,
            uid: stat.uid,
            gid: stat.gid,
            rdev: stat.rdev,
            size: stat.size,
            blocks: stat.blocks,
            blksize: stat.blksize,
            atime: stat.atime,
            mtime: stat.mtime,
            ctime: stat.ctime,
        })
    }

    fn file_type(&self) -> FileType {
        file_type_of(self.stat.lock().mode)
    }

    fn lookup(&self, name: &[u8]) -> Result<NodeRef> {
        if !self.is_dir() {
            return Err(Error::NotDir);
        }
        let path = self.child_path(name)?;
        let stat = self.volumes()?.stat(self.vol, &path)?;
        Ok(Arc::new(self.sibling(path, stat, None, false)))
    }

    fn read_dir(&self) -> Result<Vec<DirEntry>> {
        if !self.is_dir() {
            return Err(Error::NotDir);
        }
        let volumes = self.volumes()?;
        let mut out = Vec::new();
        for entry in volumes.read_dir(self.vol, &self.path)? {
            // Skip `.`/`..` and anything a misbehaving host reports that is no plain name.
            let Ok(path) = self.child_path(&entry.name) else {
                continue;
            };
            let file_type = match file_type_of_dtype(entry.dtype) {
                Some(file_type) => file_type,
                None => match volumes.stat(self.vol, &path) {
                    Ok(stat) => file_type_of(stat.mode),
                    // Removed on the host since the listing.
                    Err(Error::NotFound) => continue,
                    Err(e) => return Err(e),
                },
            };
            out.push(DirEntry {
                name: entry.name,
                ino: entry.ino,
                file_type,
            });
        }
        Ok(out)
    }

    fn create(&self, name: &[u8], file_type: FileType, mode: u32) -> Result<NodeRef> {
        let path = self.entry_path(name)?;
        let kind = match file_type {
            FileType::Regular => HostNodeKind::File,
            FileType::Directory => HostNodeKind::Dir,
            // FIFOs of a volume could not be opened (see the module documentation), and
            // devices and sockets are not the guest's to make: mknod(2) gives EPERM for a
            // type "the filesystem containing pathname does not support".
            FileType::Fifo | FileType::CharDevice | FileType::Socket | FileType::Symlink => {
                return Err(Error::Perm);
            }
        };
        let stat = self.volumes()?.create(self.vol, &path, kind, mode)?;
        Ok(Arc::new(self.sibling(path, stat, None, false)))
    }

    fn symlink(&self, name: &[u8], target: &[u8]) -> Result<()> {
        let path = self.entry_path(name)?;
        self.volumes()?.symlink(self.vol, &path, target)
    }

    fn link(&self, name: &[u8], node: &NodeRef) -> Result<()> {
        let path = self.entry_path(name)?;
        let old = self.same_volume(node)?;
        if old.is_dir() {
            // link(2): "oldpath is a directory".
            return Err(Error::Perm);
        }
        self.volumes()?.link(self.vol, &old.path, &path)
    }

    fn unlink(&self, name: &[u8], directory: bool) -> Result<()> {
        let path = self.entry_path(name)?;
        self.volumes()?.unlink(self.vol, &path, directory)
    }

    fn rename(&self, name: &[u8], new_dir: &NodeRef, new_name: &[u8]) -> Result<()> {
        self.rename_as(name, new_dir, new_name, HostRename::Replace)
    }

    fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        match self.file_type() {
            FileType::Directory => return Err(Error::IsDir),
            FileType::Regular => {}
            _ => return Err(Error::Invalid),
        }
        // Only an opened node has a descriptor.
        let fd = (*self.fd.lock()).ok_or(Error::BadFd)?;
        self.io.host_read(fd, buf, Some(pos))
    }

    fn write_at(&self, pos: u64, data: &[u8]) -> Result<usize> {
        match self.file_type() {
            FileType::Directory => return Err(Error::IsDir),
            FileType::Regular => {}
            _ => return Err(Error::Invalid),
        }
        // Only a node opened for writing has a descriptor the host lets it write to.
        let fd = (*self.fd.lock()).ok_or(Error::BadFd)?;
        self.volumes()?.write_fd(fd, data, pos)
    }

    fn truncate(&self, len: u64) -> Result<()> {
        match self.file_type() {
            FileType::Directory => return Err(Error::IsDir),
            FileType::Regular => {}
            _ => return Err(Error::Invalid),
        }
        let volumes = self.volumes()?;
        let fd = *self.fd.lock();
        match fd {
            Some(fd) => volumes.truncate_fd(fd, len)?,
            None => volumes.truncate(self.vol, &self.path, len)?,
        }
        self.refresh();
        Ok(())
    }

    fn read_link(&self) -> Result<Vec<u8>> {
        if self.file_type() != FileType::Symlink {
            return Err(Error::Invalid);
        }
        self.volumes()?.read_link(self.vol, &self.path)
    }

    fn set_mode(&self, mode: u32) -> Result<()> {
        let volumes = self.volumes()?;
        let fd = *self.fd.lock();
        match fd {
            Some(fd) => volumes.set_mode_fd(fd, mode)?,
            None => volumes.set_mode(self.vol, &self.path, mode)?,
        }
        self.refresh();
        Ok(())
    }

    /// Ownership stays the host's: the runner cannot give files away. A chown(2) to the
    /// owner and group a file already has changes nothing but, as on Linux, clears the
    /// set-user-ID/set-group-ID bits of a non-directory; tar and `cp -a` run as root restore
    /// owners this way, and refusing them would stop them restoring times and modes after
    /// it. Any other owner or group is refused with EPERM.
    fn set_owner(&self, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        let m = self.metadata()?;
        if uid.is_some_and(|u| u != m.uid) || gid.is_some_and(|g| g != m.gid) {
            return Err(Error::Perm);
        }
        let perm = m.mode & PERM_BITS;
        let kept = bits_after_chown(self.file_type(), perm);
        if kept != perm {
            self.set_mode(kept)?;
        }
        Ok(())
    }

    fn set_times(&self, atime: Option<Nanos>, mtime: Option<Nanos>) -> Result<()> {
        let volumes = self.volumes()?;
        let fd = *self.fd.lock();
        match fd {
            Some(fd) => volumes.set_times_fd(fd, atime, mtime)?,
            None => volumes.set_times(self.vol, &self.path, atime, mtime)?,
        }
        self.refresh();
        Ok(())
    }

    fn open(self: Arc<Self>, write: bool) -> Result<NodeRef> {
        let stat = *self.stat.lock();
        match self.file_type() {
            FileType::Regular if FileType::from_mode(stat.mode) == Some(FileType::Regular) => {
                let volumes = self.volumes()?;
                let fd = if write {
                    volumes.open_write(self.vol, &self.path)?
                } else {
                    volumes.open_read(self.vol, &self.path)?
                };
                Ok(Arc::new(self.sibling(
                    self.path.clone(),
                    stat,
                    Some(fd),
                    write,
                )))
            }
            FileType::Directory if write => Err(Error::IsDir),
            FileType::Directory | FileType::Symlink => Ok(self),
            _ => Err(Error::Access),
        }
    }

    fn exchange(&self, name: &[u8], new_dir: &NodeRef, new_name: &[u8]) -> Result<()> {
        self.rename_as(name, new_dir, new_name, HostRename::Exchange)
    }

    fn allocate(&self, mode: AllocMode, offset: u64, len: u64) -> Result<()> {
        let keep_size = match mode {
            AllocMode::Allocate => false,
            AllocMode::KeepSize => true,
            // Not on the host allowlist: fallocate(2) gives EOPNOTSUPP where a filesystem
            // does not support a mode.
            AllocMode::PunchHole => return Err(Error::NotSupported),
        };
        let fd = (*self.fd.lock()).ok_or(Error::BadFd)?;
        self.volumes()?.allocate_fd(fd, keep_size, offset, len)
    }

    /// A file opened for writing is synced on the host. Other nodes have nothing of the
    /// guest's to write back: what it wrote through another descriptor was synced there,
    /// or not asked to be; a directory's entries are not synced (a host `fsync` of a
    /// directory needs a descriptor opened for reading it, which is not kept).
    fn sync(&self) -> Result<()> {
        let fd = *self.fd.lock();
        match fd {
            Some(fd) if self.writing => self.volumes()?.sync_fd(fd),
            _ => match self.file_type() {
                FileType::Regular | FileType::Directory => Ok(()),
                _ => Err(Error::Invalid),
            },
        }
    }

    fn statfs(&self) -> Result<FsStats> {
        let st = self.volumes()?.statfs(self.vol)?;
        Ok(FsStats {
            magic: st.fs_type,
            block_size: st.block_size,
            blocks: st.blocks,
            blocks_free: st.blocks_free,
            blocks_avail: st.blocks_available,
            files: st.files,
            files_free: st.files_free,
            name_max: st.name_max,
            flags: st.flags,
        })
    }

    fn release(&self) {
        if let Some(fd) = self.fd.lock().take() {
            self.io.host_close(fd);
        }
    }

    fn host_fd(&self) -> Option<HostFd> {
        *self.fd.lock()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Drop for HostNode {
    /// A descriptor nobody released is closed when the node goes, so it cannot leak.
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! A fake host: volumes over an in-memory tree, recording every path it is asked about.
    use super::*;
    use crate::platform::{HostDirEntry, Readiness, TermQuery};
    use alloc::boxed::Box;
    use alloc::collections::BTreeMap;
    use alloc::vec;

    pub(crate) enum FakeEntry {
        Dir,
        File(Vec<u8>),
        Link(Vec<u8>),
        Fifo,
    }

    /// Volumes as maps from (volume, path) to entries; the root of each volume is `""`.
    #[derive(Default)]
    pub(crate) struct FakeHost {
        pub(crate) tree: BTreeMap<(u32, Vec<u8>), FakeEntry>,
        pub(crate) open: Mutex<BTreeMap<i32, Vec<u8>>>,
        pub(crate) next_fd: Mutex<i32>,
        pub(crate) asked: Mutex<Vec<Vec<u8>>>,
        pub(crate) closed: Mutex<Vec<i32>>,
        /// Report `DT_UNKNOWN` in listings, so that the VFS has to stat.
        pub(crate) unknown_dtype: bool,
    }

    impl FakeHost {
        pub(crate) fn with(
            entries: Vec<(u32, &str, FakeEntry)>,
            unknown_dtype: bool,
        ) -> &'static FakeHost {
            let mut host = FakeHost {
                unknown_dtype,
                ..FakeHost::default()
            };
            for (vol, path, entry) in entries {
                host.tree.insert((vol, path.as_bytes().to_vec()), entry);
            }
            Box::leak(Box::new(host))
        }

        fn record(&self, path: &[u8]) {
            self.asked.lock().push(path.to_vec());
        }

        fn entry(&self, vol: u32, path: &[u8]) -> Result<&FakeEntry> {
            self.record(path);
            // A real platform refuses anything that would leave the volume; the fake checks
            // that the core never sends such a path.
            let bad = path.first() == Some(&b'/')
                || path
                    .split(|&b| b == b'/')
                    .any(|c| c == b".." || c == b"." || (c.is_empty() && !path.is_empty()));
            if bad {
                return Err(Error::Perm);
            }
            self.tree.get(&(vol, path.to_vec())).ok_or(Error::NotFound)
        }

        fn ino(&self, vol: u32, path: &[u8]) -> u64 {
            self.tree
                .keys()
                .position(|k| k.0 == vol && k.1 == path)
                .map_or(0, |i| i as u64 + 100)
        }
    }

    impl HostVolumes for FakeHost {
        fn stat(&self, vol: u32, path: &[u8]) -> Result<HostStat> {
            let (mode, size) = match self.entry(vol, path)? {
                FakeEntry::Dir => (0o040755, 4096),
                FakeEntry::File(data) => (0o100644, data.len() as u64),
                FakeEntry::Link(target) => (0o120777, target.len() as u64),
                FakeEntry::Fifo => (0o010644, 0),
            };
            Ok(HostStat {
                dev: 0x801,
                ino: self.ino(vol, path),
                mode,
                nlink: 1,
                size,
                ..HostStat::default()
            })
        }

        fn open_read(&self, vol: u32, path: &[u8]) -> Result<HostFd> {
            let FakeEntry::File(data) = self.entry(vol, path)? else {
                return Err(Error::Invalid);
            };
            let mut next = self.next_fd.lock();
            *next += 1;
            self.open.lock().insert(*next + 10, data.clone());
            Ok(HostFd(*next + 10))
        }

        fn read_dir(&self, vol: u32, path: &[u8]) -> Result<Vec<HostDirEntry>> {
            let FakeEntry::Dir = self.entry(vol, path)? else {
                return Err(Error::NotDir);
            };
            let mut out = vec![
                HostDirEntry {
                    name: b".".to_vec(),
                    ino: 1,
                    dtype: DT_DIR,
                },
                HostDirEntry {
                    name: b"..".to_vec(),
                    ino: 1,
                    dtype: DT_DIR,
                },
            ];
            for ((v, p), entry) in &self.tree {
                let Some(rest) = (if path.is_empty() {
                    Some(&p[..])
                } else {
                    p.strip_prefix(path).and_then(|r| r.strip_prefix(b"/"))
                }) else {
                    continue;
                };
                if *v != vol || rest.is_empty() || rest.contains(&b'/') {
                    continue;
                }
                let dtype = if self.unknown_dtype {
                    DT_UNKNOWN
                } else {
                    match entry {
                        FakeEntry::Dir => DT_DIR,
                        FakeEntry::File(_) => DT_REG,
                        FakeEntry::Link(_) => DT_LNK,
                        FakeEntry::Fifo => DT_FIFO,
                    }
                };
                out.push(HostDirEntry {
                    name: rest.to_vec(),
                    ino: self.ino(vol, p),
                    dtype,
                });
            }
            Ok(out)
        }

        fn read_link(&self, vol: u32, path: &[u8]) -> Result<Vec<u8>> {
            match self.entry(vol, path)? {
                FakeEntry::Link(target) => Ok(target.clone()),
                _ => Err(Error::Invalid),
            }
        }
    }

    impl HostIo for FakeHost {
        fn host_read(&self, fd: HostFd, buf: &mut [u8], offset: Option<u64>) -> Result<usize> {
            let open = self.open.lock();
            let data = open.get(&fd.0).ok_or(Error::BadFd)?;
            let start = usize::try_from(offset.unwrap_or(0)).map_err(|_| Error::Invalid)?;
            let rest = data.get(start..).unwrap_or(&[]);
            let n = rest.len().min(buf.len());
            buf.get_mut(..n)
                .ok_or(Error::Invalid)?
                .copy_from_slice(rest.get(..n).ok_or(Error::Invalid)?);
            Ok(n)
        }
        fn host_write(&self, _fd: HostFd, _data: &[u8], _offset: Option<u64>) -> Result<usize> {
            Err(Error::BadFd)
        }
        fn host_stat(&self, fd: HostFd) -> Result<HostStat> {
            let open = self.open.lock();
            let data = open.get(&fd.0).ok_or(Error::BadFd)?;
            Ok(HostStat {
                dev: 0x801,
                ino: 7,
                mode: 0o100644,
                nlink: 1,
                size: data.len() as u64,
                ..HostStat::default()
            })
        }
        fn host_poll(
            &self,
            _fds: &[(HostFd, bool, bool)],
            _timeout: Option<Nanos>,
        ) -> Result<Vec<Readiness>> {
            Err(Error::NotSupported)
        }
        fn host_term(&self, _fd: HostFd, _query: TermQuery, _out: &mut [u8]) -> Result<()> {
            Err(Error::NotTty)
        }
        fn host_close(&self, fd: HostFd) {
            self.open.lock().remove(&fd.0);
            self.closed.lock().push(fd.0);
        }
        fn host_volumes(&self) -> Option<&dyn HostVolumes> {
            Some(self)
        }
    }

    pub(crate) fn sample(unknown_dtype: bool) -> &'static FakeHost {
        FakeHost::with(
            vec![
                (0, "", FakeEntry::Dir),
                (0, "etc", FakeEntry::Dir),
                (0, "etc/passwd", FakeEntry::File(b"host secret".to_vec())),
                (0, "bin", FakeEntry::Dir),
                (0, "bin/sh", FakeEntry::File(b"\x7fELF shell".to_vec())),
                (0, "bin/abs", FakeEntry::Link(b"/etc/passwd".to_vec())),
                (0, "bin/up", FakeEntry::Link(b"../../x".to_vec())),
                (0, "fifo", FakeEntry::Fifo),
                (1, "", FakeEntry::Dir),
                (1, "only", FakeEntry::File(b"vol1".to_vec())),
            ],
            unknown_dtype,
        )
    }

    #[test]
    fn lookup_read_and_metadata() -> Result<()> {
        let host = sample(false);
        let root = volume_root(host, 0)?;
        assert_eq!(root.file_type(), FileType::Directory);
        let sh = root.lookup(b"bin")?.lookup(b"sh")?;
        let m = sh.metadata()?;
        assert_eq!((m.dev, m.mode, m.size), (0x801, 0o100644, 10));
        let node = sh
            .as_any()
            .downcast_ref::<HostNode>()
            .map(|n| n.volume_path().to_vec());
        assert_eq!(node, Some(b"bin/sh".to_vec()));
        // Not opened: no descriptor to read from.
        let mut buf = [0u8; 32];
        assert_eq!(sh.read_at(0, &mut buf).err(), Some(Error::BadFd));
        let opened = sh.clone().open(false)?;
        let fd = opened.host_fd();
        assert!(fd.is_some());
        assert_eq!(opened.read_at(5, &mut buf)?, 5);
        assert_eq!(buf.get(..5), Some(&b"shell"[..]));
        opened.release();
        assert_eq!(opened.host_fd(), None);
        assert_eq!(host.closed.lock().as_slice(), &[fd.map_or(-1, |f| f.0)]);
        // Dropping an unreleased file closes it too.
        let dropped = sh.clone().open(false)?;
        let fd2 = dropped.host_fd().map_or(-1, |f| f.0);
        drop(dropped);
        assert!(host.closed.lock().contains(&fd2));
        assert_eq!(root.lookup(b"missing").err(), Some(Error::NotFound));
        assert_eq!(sh.lookup(b"x").err(), Some(Error::NotDir));
        let vol1 = volume_root(host, 1)?;
        assert_eq!(vol1.lookup(b"only")?.metadata()?.size, 4);
        assert_eq!(vol1.lookup(b"etc").err(), Some(Error::NotFound));
        Ok(())
    }

    #[test]
    fn names_cannot_escape() -> Result<()> {
        let host = sample(false);
        let root = volume_root(host, 0)?;
        assert_eq!(root.lookup(b"..").err(), Some(Error::Invalid));
        assert_eq!(root.lookup(b".").err(), Some(Error::Invalid));
        assert_eq!(root.lookup(b"etc/passwd").err(), Some(Error::Invalid));
        assert_eq!(root.lookup(b"/etc").err(), Some(Error::Invalid));
        assert_eq!(root.lookup(b"etc\0").err(), Some(Error::Invalid));
        assert_eq!(root.lookup(b"").err(), Some(Error::NotFound));
        assert_eq!(root.lookup(&[b'a'; 256]).err(), Some(Error::NameTooLong));
        assert!(host.asked.lock().iter().all(|p| p.is_empty()));
        Ok(())
    }

    #[test]
    fn read_dir_and_links() -> Result<()> {
        for unknown in [false, true] {
            let host = sample(unknown);
            let root = volume_root(host, 0)?;
            let listed: Vec<(Vec<u8>, FileType)> = root
                .read_dir()?
                .into_iter()
                .map(|e| (e.name, e.file_type))
                .collect();
            assert_eq!(
                listed,
                vec![
                    (b"bin".to_vec(), FileType::Directory),
                    (b"etc".to_vec(), FileType::Directory),
                    (b"fifo".to_vec(), FileType::Fifo),
                ]
            );
            let bin = root.lookup(b"bin")?;
            let names: Vec<Vec<u8>> = bin.read_dir()?.into_iter().map(|e| e.name).collect();
            assert_eq!(names, vec![b"abs".to_vec(), b"sh".to_vec(), b"up".to_vec()]);
            let abs = bin.lookup(b"abs")?;
            assert_eq!(abs.file_type(), FileType::Symlink);
            assert_eq!(abs.read_link()?, b"/etc/passwd");
            assert_eq!(bin.read_link().err(), Some(Error::Invalid));
        }
        Ok(())
    }

    /// Checks made before the platform is asked: hard links and renames stay within one
    /// volume, directories are not hard-linked, and no FIFO or device is made in a volume.
    #[test]
    fn changes_stay_within_one_volume() -> Result<()> {
        let host = sample(false);
        let (root, vol1) = (volume_root(host, 0)?, volume_root(host, 1)?);
        let only = vol1.lookup(b"only")?;
        let sh = root.lookup(b"bin")?.lookup(b"sh")?;
        let asked = host.asked.lock().len();
        assert_eq!(root.link(b"l", &only).err(), Some(Error::CrossDevice));
        assert_eq!(vol1.link(b"l", &sh).err(), Some(Error::CrossDevice));
        assert_eq!(
            root.rename(b"bin", &vol1, b"b").err(),
            Some(Error::CrossDevice)
        );
        assert_eq!(
            root.exchange(b"bin", &vol1, b"only").err(),
            Some(Error::CrossDevice)
        );
        assert_eq!(
            root.link(b"l", &root.lookup(b"etc")?).err(),
            Some(Error::Perm)
        );
        // Another filesystem's node (a volume of another host) is another device too.
        let other = volume_root(sample(false), 0)?;
        assert_eq!(
            root.rename(b"bin", &other, b"b").err(),
            Some(Error::CrossDevice)
        );
        for ft in [FileType::Fifo, FileType::CharDevice, FileType::Socket] {
            assert_eq!(root.create(b"n", ft, 0o644).err(), Some(Error::Perm));
        }
        // Names are checked as for lookups.
        assert_eq!(
            root.create(b"..", FileType::Regular, 0o644).err(),
            Some(Error::Invalid)
        );
        assert_eq!(root.unlink(b"a/b", false).err(), Some(Error::Invalid));
        assert_eq!(host.asked.lock().len(), asked + 1, "only etc was looked up");
        Ok(())
    }

    #[test]
    fn everything_is_read_only() -> Result<()> {
        let host = sample(false);
        let root = volume_root(host, 0)?;
        let sh = root.lookup(b"bin")?.lookup(b"sh")?;
        assert_eq!(sh.clone().open(true).err(), Some(Error::ReadOnly));
        // open(2): EISDIR before EROFS for a directory opened for writing.
        assert_eq!(root.clone().open(true).err(), Some(Error::IsDir));
        assert!(Arc::ptr_eq(&root.clone().open(false)?, &root));
        assert_eq!(
            root.create(b"n", FileType::Regular, 0o644).err(),
            Some(Error::ReadOnly)
        );
        assert_eq!(root.symlink(b"n", b"t").err(), Some(Error::ReadOnly));
        assert_eq!(root.link(b"n", &sh).err(), Some(Error::ReadOnly));
        assert_eq!(root.unlink(b"bin", true).err(), Some(Error::ReadOnly));
        assert_eq!(
            root.rename(b"bin", &root, b"b").err(),
            Some(Error::ReadOnly)
        );
        assert_eq!(
            sh.create(b"n", FileType::Regular, 0o644).err(),
            Some(Error::NotDir)
        );
        // Not opened for writing: no descriptor to write to.
        assert_eq!(sh.write_at(0, b"x").err(), Some(Error::BadFd));
        assert_eq!(
            sh.clone().open(false)?.write_at(0, b"x").err(),
            Some(Error::ReadOnly)
        );
        assert_eq!(sh.truncate(0).err(), Some(Error::ReadOnly));
        assert_eq!(
            root.exchange(b"bin", &root, b"etc").err(),
            Some(Error::ReadOnly)
        );
        assert_eq!(sh.set_mode(0o777).err(), Some(Error::ReadOnly));
        assert_eq!(sh.set_times(None, None).err(), Some(Error::ReadOnly));
        // Reading files and directories needs nothing written back.
        assert_eq!(sh.clone().open(false)?.sync(), Ok(()));
        assert_eq!(root.sync(), Ok(()));
        // Host FIFOs are visible but cannot be opened.
        let fifo = root.lookup(b"fifo")?;
        assert_eq!(fifo.file_type(), FileType::Fifo);
        assert_eq!(fifo.open(false).err(), Some(Error::Access));
        Ok(())
    }
}
