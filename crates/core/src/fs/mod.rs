//! The virtual filesystem: nodes, mounts and path resolution.
//!
//! Every object a file descriptor can refer to is a [`Node`]: files and directories of the
//! in-memory filesystem ([`tmpfs`]), of host volumes ([`hostfs`]), the synthetic devices
//! ([`dev`]) and generated files ([`synthetic`]), and also pipes and host stdio. A node has
//! one trait with defaults that fail, like a kernel's inode and file operations together, so
//! that the shim handles every descriptor the same way. [`vfs::Vfs`] holds the mount table
//! and resolves paths itself: `..` and symbolic links never leave the sandbox's root, and a
//! host volume is only ever asked for already-resolved components.

use crate::error::{Error, Result};
use crate::platform::{HostFd, Readiness};
use crate::time::Nanos;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

pub mod dev;
pub mod hostfs;
pub mod image;
pub mod lock;
pub mod overlay;
pub mod perm;
pub mod synthetic;
pub mod tmpfs;
pub mod vfs;

/// A shared reference to a node.
pub type NodeRef = Arc<dyn Node>;

/// Memory the platform can map into the guest and the library OS can read and write: the
/// bytes of an in-memory file once it is mapped MAP_SHARED.
pub trait SharedPages: Send + Sync {
    /// Copy out bytes at `offset`.
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<()>;
    /// Copy in bytes at `offset`.
    fn write(&self, offset: u64, data: &[u8]) -> Result<()>;
    /// Zero `[offset, offset+len)`.
    fn zero(&self, offset: u64, len: u64) -> Result<()>;
    /// Bytes available.
    fn capacity(&self) -> u64;
    /// The platform's handle, for mapping it.
    fn handle(&self) -> u64;
}

/// A shared reference to shared pages.
pub type SharedPagesRef = Arc<dyn SharedPages>;

/// The type of a node (the `S_IFMT` part of a mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// Regular file.
    Regular,
    /// Directory.
    Directory,
    /// Symbolic link.
    Symlink,
    /// Character device.
    CharDevice,
    /// Named or anonymous pipe.
    Fifo,
    /// Socket.
    Socket,
}

impl FileType {
    /// The `S_IFMT` bits (inode(7)).
    pub fn mode_bits(self) -> u32 {
        match self {
            FileType::Regular => 0o100000,
            FileType::Directory => 0o040000,
            FileType::Symlink => 0o120000,
            FileType::CharDevice => 0o020000,
            FileType::Fifo => 0o010000,
            FileType::Socket => 0o140000,
        }
    }
    /// The type of a full mode, if it names one.
    pub fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & 0o170000 {
            0o100000 => FileType::Regular,
            0o040000 => FileType::Directory,
            0o120000 => FileType::Symlink,
            0o020000 => FileType::CharDevice,
            0o010000 => FileType::Fifo,
            0o140000 => FileType::Socket,
            _ => return None,
        })
    }
    /// The `d_type` value of getdents64(2).
    pub fn dirent_type(self) -> u8 {
        match self {
            FileType::Fifo => 1,
            FileType::CharDevice => 2,
            FileType::Directory => 4,
            FileType::Regular => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }
}

/// Metadata of a node, in the fields stat(2) reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Metadata {
    pub dev: u64,
    pub ino: u64,
    /// Full mode: type bits and permission bits.
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blocks: u64,
    pub blksize: u64,
    pub atime: Nanos,
    pub mtime: Nanos,
    pub ctime: Nanos,
}

/// Who creates a node: its owner and group (the creator's filesystem ids, or the parent
/// directory's group when it is set-group-ID, as inode(7) says).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Owner {
    /// Owner (`st_uid`).
    pub uid: u32,
    /// Group (`st_gid`).
    pub gid: u32,
}

/// What statfs(2) reports of a filesystem, in the fields of `struct statfs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct FsStats {
    /// `f_type`, e.g. `TMPFS_MAGIC`.
    pub magic: u64,
    pub block_size: u64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub blocks_avail: u64,
    pub files: u64,
    pub files_free: u64,
    pub name_max: u64,
    /// `f_flags` other than `ST_RDONLY`, which the VFS adds per mount.
    pub flags: u64,
}

/// `TMPFS_MAGIC` (include/uapi/linux/magic.h).
pub const TMPFS_MAGIC: u64 = 0x0102_1994;
/// `PROC_SUPER_MAGIC`.
pub const PROC_SUPER_MAGIC: u64 = 0x9fa0;

/// What fallocate(2) does to a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocMode {
    /// Mode 0: make sure the range is backed, growing the file to cover it.
    Allocate,
    /// `FALLOC_FL_KEEP_SIZE`: back the range without changing the size.
    KeepSize,
    /// `FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE`: zero the range and free its storage.
    PunchHole,
}

/// One directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The name (never `.` or `..`: the shim adds those).
    pub name: Vec<u8>,
    /// Inode number.
    pub ino: u64,
    /// Its type.
    pub file_type: FileType,
}

/// A filesystem object or any other object a descriptor can refer to. Methods that do not
/// apply to a kind of node keep their default, which fails as Linux does.
pub trait Node: Send + Sync + Any {
    /// Metadata (stat).
    fn metadata(&self) -> Result<Metadata>;
    /// The node's type.
    fn file_type(&self) -> FileType;

    // --- directories -------------------------------------------------------------------
    /// Find `name` (one component, not `.` or `..`) in this directory.
    fn lookup(&self, _name: &[u8]) -> Result<NodeRef> {
        Err(Error::NotDir)
    }
    /// All entries, in a stable order (getdents64 offsets index into it).
    fn read_dir(&self) -> Result<Vec<DirEntry>> {
        Err(Error::NotDir)
    }
    /// Create `name` as a regular file, directory or FIFO with permission bits `mode`.
    fn create(&self, _name: &[u8], _file_type: FileType, _mode: u32) -> Result<NodeRef> {
        Err(Error::NotDir)
    }
    /// Create a symbolic link `name` → `target`.
    fn symlink(&self, _name: &[u8], _target: &[u8]) -> Result<()> {
        Err(Error::NotDir)
    }
    /// Add a hard link `name` to `node` (same filesystem).
    fn link(&self, _name: &[u8], _node: &NodeRef) -> Result<()> {
        Err(Error::NotDir)
    }
    /// Remove `name`; `directory` selects rmdir(2) semantics.
    fn unlink(&self, _name: &[u8], _directory: bool) -> Result<()> {
        Err(Error::NotDir)
    }
    /// Move `name` to `new_dir`/`new_name` (same filesystem; replaces as rename(2)).
    fn rename(&self, _name: &[u8], _new_dir: &NodeRef, _new_name: &[u8]) -> Result<()> {
        Err(Error::NotDir)
    }

    // --- data --------------------------------------------------------------------------
    /// Read at `pos` (ignored by unseekable nodes). `Err(WouldBlock)` when no data is ready.
    fn read_at(&self, _pos: u64, _buf: &mut [u8]) -> Result<usize> {
        Err(Error::Invalid)
    }
    /// Write at `pos`; returns bytes written.
    fn write_at(&self, _pos: u64, _data: &[u8]) -> Result<usize> {
        Err(Error::Invalid)
    }
    /// Set the size.
    fn truncate(&self, _len: u64) -> Result<()> {
        Err(Error::Invalid)
    }
    /// Target of a symbolic link.
    fn read_link(&self) -> Result<Vec<u8>> {
        Err(Error::Invalid)
    }
    /// Change permission bits.
    fn set_mode(&self, _mode: u32) -> Result<()> {
        Err(Error::Perm)
    }
    /// Change access and modification times (`None`: leave as is).
    fn set_times(&self, _atime: Option<Nanos>, _mtime: Option<Nanos>) -> Result<()> {
        Err(Error::Perm)
    }
    /// Change owner and/or group (`None`: leave as is). The caller has checked the
    /// permission; the node clears set-user-ID/set-group-ID bits as chown(2) says.
    fn set_owner(&self, _uid: Option<u32>, _gid: Option<u32>) -> Result<()> {
        Err(Error::Perm)
    }
    /// [`Node::create`] on behalf of `owner`. Filesystems that keep owners record it; the
    /// default ignores it (a host volume's files belong to whoever runs the sandbox).
    fn create_as(
        &self,
        name: &[u8],
        file_type: FileType,
        mode: u32,
        _owner: Owner,
    ) -> Result<NodeRef> {
        self.create(name, file_type, mode)
    }
    /// [`Node::symlink`] on behalf of `owner` (see [`Node::create_as`]).
    fn symlink_as(&self, name: &[u8], target: &[u8], _owner: Owner) -> Result<()> {
        self.symlink(name, target)
    }
    /// An unnamed regular file in this directory's filesystem (open(2) `O_TMPFILE`): link
    /// count 0 until [`Node::link`] gives it a name.
    fn create_unnamed(&self, _mode: u32, _owner: Owner) -> Result<NodeRef> {
        Err(Error::NotSupported)
    }
    /// Swap `name` with `new_dir`/`new_name` atomically (renameat2(2) `RENAME_EXCHANGE`).
    fn exchange(&self, _name: &[u8], _new_dir: &NodeRef, _new_name: &[u8]) -> Result<()> {
        Err(Error::Invalid)
    }
    /// fallocate(2) of `[offset, offset+len)`.
    fn allocate(&self, _mode: AllocMode, _offset: u64, _len: u64) -> Result<()> {
        Err(Error::NotSupported)
    }
    /// Write the node's data and metadata to stable storage (fsync(2)). In-memory nodes
    /// have nothing to write; the default succeeds for files and directories and fails with
    /// `Invalid` for other nodes, as fsync(2) on a pipe does.
    fn sync(&self) -> Result<()> {
        match self.file_type() {
            FileType::Regular | FileType::Directory => Ok(()),
            _ => Err(Error::Invalid),
        }
    }
    /// Figures of the filesystem holding this node (statfs(2)).
    fn statfs(&self) -> Result<FsStats> {
        Err(Error::NotSupported)
    }
    /// For a FIFO: open one end of its pipe (`read`, `write` as the access mode says), or
    /// `WouldBlock` while fifo(7)'s open rules say to wait for the other side, or
    /// `NoDevice` for a non-blocking write-only open without readers.
    fn open_fifo(&self, _read: bool, _write: bool, _nonblock: bool) -> Result<NodeRef> {
        Err(Error::NotSupported)
    }
    /// For `/proc` "magic" links (`/proc/self/fd/N`, `cwd`, `root`, `exe`): what they
    /// stand for, so that resolution jumps to the object itself rather than re-resolving
    /// the text readlink(2) shows (proc(5)).
    fn follow_magic(&self) -> Option<Result<vfs::Resolved>> {
        None
    }

    // --- descriptors -------------------------------------------------------------------
    /// Called when a descriptor is opened on this node; returns the node the descriptor
    /// refers to (a host file opens its host descriptor here; most nodes return themselves).
    fn open(self: Arc<Self>, _write: bool) -> Result<NodeRef>;
    /// Called once when the last descriptor of an [`Node::open`] result closes.
    fn release(&self) {}
    /// Readiness for poll(2) of nodes the library OS serves itself.
    fn readiness(&self) -> Readiness {
        Readiness {
            readable: true,
            writable: true,
            hangup: false,
            error: false,
        }
    }
    /// The memory holding this file's bytes, created with `alloc` the first time it is asked
    /// for: what a MAP_SHARED mapping maps, so that mappings, read(2) and write(2) see the
    /// same bytes. Only in-memory regular files have it.
    fn shared_pages(
        &self,
        _alloc: &dyn Fn(u64) -> Result<SharedPagesRef>,
    ) -> Result<SharedPagesRef> {
        Err(Error::NotSupported)
    }
    /// A counter that moves whenever new input arrives (for a reading end) or room appears
    /// (for a writing end): edge-triggered epoll reports an edge when it moves.
    fn change_count(&self) -> u64 {
        0
    }
    /// Whether a vector write is one write of the gathered bytes and sendfile(2) can write
    /// into the node (Linux: the file has `write_iter` and `splice_write`). A node without
    /// them (an eventfd: every write(2) is one 8-byte record) takes each segment of a
    /// writev(2) as its own write, and sendfile and copy_file_range into it are EINVAL.
    fn takes_vectored_writes(&self) -> bool {
        true
    }
    /// Whether lseek(2) applies.
    fn seekable(&self) -> bool {
        matches!(
            self.file_type(),
            FileType::Regular | FileType::Directory | FileType::CharDevice
        )
    }
    /// Whether mmap(2) of this node gives fresh anonymous memory instead of its bytes, as
    /// `/dev/zero`'s does (drivers/char/mem.c `mmap_zero`: a private mapping is anonymous, a
    /// shared one shared anonymous memory), so nothing is committed until touched.
    fn maps_anonymous(&self) -> bool {
        false
    }
    /// The host descriptor behind this node (stdio, host-volume files): the shim polls and
    /// maps it through the platform.
    fn host_fd(&self) -> Option<HostFd> {
        None
    }
    /// For `/proc/self/fd/N` of nodes without a path, e.g. `pipe:[7]`.
    fn anon_name(&self) -> Option<Vec<u8>> {
        None
    }
    /// `self` as `Any`, for same-filesystem checks in rename and link.
    fn as_any(&self) -> &dyn Any;
}

/// Read at `pos` until `buf` is full or the node reports end of file; returns the bytes read.
pub fn read_full(node: &dyn Node, pos: u64, buf: &mut [u8]) -> Result<usize> {
    let mut done = 0;
    while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
        match node.read_at(pos + done as u64, rest)? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}
