//! The South interface: what the core needs from the machine under it.
//!
//! A platform implements [`Platform`]: guest memory access, the guest address space, clocks,
//! entropy, wait/wake, host I/O on the handful of host descriptors the sandbox owns (stdio),
//! and guest thread creation. Host volumes are an optional capability
//! ([`Platform::host_volumes`]): a policy without them gives the sandbox no path-based host
//! access at all. Each method is one place to audit on each platform.

use crate::error::Result;
use crate::time::{ClockKind, Nanos};
use alloc::vec::Vec;
use core::sync::atomic::AtomicU32;

/// A guest virtual address.
pub type GuestAddr = u64;

/// The library OS instance of the calling process, for the objects that every process shares
/// but that answer per process (/proc/self). It lives in the platform value, which is each
/// process's own (a fork copies it), so each process fills it with its own instance.
pub type ProcessSlot = spin::RwLock<Option<alloc::sync::Arc<dyn core::any::Any + Send + Sync>>>;

/// Memory protection of a guest mapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prot {
    /// Readable.
    pub read: bool,
    /// Writable.
    pub write: bool,
    /// Executable.
    pub exec: bool,
}

impl Prot {
    /// No access.
    pub const NONE: Prot = Prot {
        read: false,
        write: false,
        exec: false,
    };
    /// Read and write.
    pub const RW: Prot = Prot {
        read: true,
        write: true,
        exec: false,
    };
}

/// A host file descriptor owned by the sandbox (stdio or a host-volume file). The core
/// treats it as an opaque handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HostFd(pub i32);

/// Metadata of a host file, in the core's terms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct HostStat {
    pub dev: u64,
    pub ino: u64,
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

/// Readiness of a host descriptor (poll(2) `POLLIN`/`POLLOUT`/`POLLHUP`/`POLLERR`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Data (or end of file) can be read.
    pub readable: bool,
    /// Data can be written.
    pub writable: bool,
    /// The peer hung up.
    pub hangup: bool,
    /// An error condition.
    pub error: bool,
}

/// Terminal queries the shim forwards for host terminals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermQuery {
    /// `TCGETS`: fills a 60-byte `struct termios`.
    GetAttrs,
    /// `TIOCGWINSZ`: fills an 8-byte `struct winsize`.
    WindowSize,
    /// `TIOCGPGRP`: fills a 4-byte pid.
    ForegroundGroup,
}

/// Outcome of a wait on a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// Woken, or the word did not hold the expected value.
    Woken,
    /// The timeout passed.
    TimedOut,
    /// A signal for the guest arrived.
    Interrupted,
}

/// How a guest thread goes on after the library OS served a trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Return to the guest with the (possibly changed) context.
    Guest,
    /// End the calling thread (exit(2)).
    ExitThread,
    /// End the whole sandboxed process with this wait status code (0-255).
    ExitProcess(u8),
    /// End the whole sandboxed process as killed by this signal.
    KilledBy(u32),
}

/// How a host process ended, as its host parent learnt it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostEnd {
    /// It called exit with this status.
    Exited(u8),
    /// A signal ended it.
    Killed(u32),
}

/// Which side of [`Platform::fork_process`] the caller is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forked {
    /// The original process; the child's host process id.
    Parent {
        /// The child's host pid (for [`Platform::kick_process`]).
        host_pid: i32,
    },
    /// The new process; its own host process id.
    Child {
        /// This process's host pid.
        host_pid: i32,
    },
}

/// What the platform hands the library OS on each trap. `C` is the platform's register
/// file (the shim requires the Linux ABI's); `fpu` is the saved FPU/vector state, opaque.
pub trait TrapHandler<C>: Send + Sync {
    /// A guest system call: number `nr`, arguments and result in `ctx`.
    fn syscall(&self, tid: u32, nr: u64, ctx: &mut C, fpu: &mut [u8]) -> Resume;
    /// A synchronous fault in guest code (a signal number and its `si_code`/address).
    fn fault(
        &self,
        tid: u32,
        signo: u32,
        code: i32,
        addr: u64,
        ctx: &mut C,
        fpu: &mut [u8],
    ) -> Resume;
    /// The thread was interrupted in guest code because a signal may be pending for it.
    fn interrupt(&self, tid: u32, ctx: &mut C, fpu: &mut [u8]) -> Resume;
    /// A host signal the sandbox forwards to the guest (e.g. SIGINT from a terminal).
    fn forward_signal(&self, signo: u32);
}

/// Required host services. See the module documentation.
pub trait Platform: HostIo + 'static {
    /// The register file of a guest thread on this platform.
    type Context: Clone + Send;

    // --- threads -------------------------------------------------------------------
    /// Start a guest thread with id `tid` (the library OS's) running from `ctx` with guest
    /// FS base `fs_base`. The thread traps into the same handler as the others.
    fn spawn_thread(&self, tid: u32, ctx: Self::Context, fs_base: u64) -> Result<()>;
    /// The guest thread's FS base (TLS pointer) as the guest last set it.
    fn guest_fs_base(&self) -> u64;
    /// Set the calling guest thread's FS base (arch_prctl `ARCH_SET_FS`).
    fn set_guest_fs_base(&self, base: u64);
    /// Interrupt guest thread `tid` if it is blocked in a wait or running guest code, so it
    /// looks at its pending signals.
    fn kick_thread(&self, tid: u32);
    /// Give the calling guest thread the id `tid` from now on (execve(2) from a thread other
    /// than the leader: that thread takes over the process id). A platform that cannot says
    /// `NotSupported`, and the thread keeps its id.
    fn rename_current_thread(&self, _tid: u32) -> Result<()> {
        Err(crate::Error::NotSupported)
    }
    /// The host's idea of the number of CPUs the sandbox may use.
    fn cpu_count(&self) -> u32;

    // --- processes (optional capability) -------------------------------------------------
    /// Copy the calling process (DESIGN §4: a guest process is a host process). In the
    /// child, the calling thread is the only one, its library OS id becomes `child_tid`, and
    /// `child` serves its traps from then on. The caller must not use (or drop) anything of
    /// its own kernel object in the child. Platforms without processes: `NotSupported`.
    fn fork_process(
        &self,
        _child: &'static dyn TrapHandler<Self::Context>,
        _child_tid: u32,
    ) -> Result<Forked> {
        Err(crate::Error::NotSupported)
    }
    /// Start guest thread `tid` from `ctx` on a new host thread of this process whose traps
    /// `handler` serves (a vfork child: another guest process sharing this one's memory
    /// until it execs or ends). Platforms without processes: `NotSupported`.
    fn spawn_vfork_child(
        &self,
        _handler: &'static dyn TrapHandler<Self::Context>,
        _tid: u32,
        _ctx: Self::Context,
        _fs_base: u64,
    ) -> Result<()> {
        Err(crate::Error::NotSupported)
    }
    /// Interrupt host process `host_pid` of the sandbox (one of its threads looks at its
    /// pending signals, as [`Platform::kick_thread`] does within a process).
    fn kick_process(&self, _host_pid: i32) {}
    /// This process's [`ProcessSlot`].
    fn process_slot(&self) -> &ProcessSlot;
    /// The calling process's host pid (for [`Platform::kick_process`] by others); 0 if none.
    fn own_host_pid(&self) -> i32 {
        0
    }
    /// Host processes this one forked that ended since the last call, as the host reported
    /// them (its SIGCHLD): `f(host_pid, end)` for each the platform recorded. Returns whether
    /// any ended at all: the host may merge notices, so some of them may be known only from
    /// this (then [`Platform::host_process_alive`] tells which).
    fn take_ended_children(&self, _f: &mut dyn FnMut(i32, HostEnd)) -> bool {
        false
    }
    /// How many times [`Platform::take_ended_children`] has found ends in this host process
    /// (a fork compares it before and after, for a notice taken before it knew the child's
    /// host pid).
    fn host_child_notices(&self) -> u64 {
        0
    }
    /// Whether host process `host_pid` of the sandbox still exists; `None` if the platform
    /// cannot tell.
    fn host_process_alive(&self, _host_pid: i32) -> Option<bool> {
        None
    }

    // --- guest memory -----------------------------------------------------------------
    /// Copy guest memory at `addr` into `buf`; a bad address is [`crate::Error::Fault`].
    fn read_guest(&self, addr: GuestAddr, buf: &mut [u8]) -> Result<()>;
    /// Copy `data` into guest memory at `addr`.
    fn write_guest(&self, addr: GuestAddr, data: &[u8]) -> Result<()>;

    // --- guest address space -----------------------------------------------------------
    /// The addresses guest mappings may occupy. Nothing of the library OS lives there.
    fn guest_range(&self) -> core::ops::Range<GuestAddr>;
    /// Back `[addr, addr+len)` (page aligned, inside [`Self::guest_range`]) with zeroed
    /// memory of protection `prot`, replacing whatever was there.
    fn map_anonymous(&self, addr: GuestAddr, len: u64, prot: Prot, shared: bool) -> Result<()>;
    /// Back `[addr, addr+len)` with a private or shared mapping of a host file.
    fn map_host_file(
        &self,
        addr: GuestAddr,
        len: u64,
        prot: Prot,
        fd: HostFd,
        offset: u64,
        shared: bool,
    ) -> Result<()>;
    /// Change the protection of `[addr, addr+len)`.
    fn protect(&self, addr: GuestAddr, len: u64, prot: Prot) -> Result<()>;
    /// Give `[addr, addr+len)` back: it reads as unmapped, stays reserved for the guest.
    fn unmap(&self, addr: GuestAddr, len: u64) -> Result<()>;
    /// Drop the contents of `[addr, addr+len)` (madvise `MADV_DONTNEED`).
    fn discard(&self, addr: GuestAddr, len: u64) -> Result<()>;
    /// Move a mapping (mremap) from `old` to `new`, both page-aligned and inside the range;
    /// `old_len` 0 makes a second mapping of a shared mapping's pages. Growing extends the
    /// host mapping, so it is never used for shared memory from [`Self::shared_map`] (it would
    /// extend past the allocation): those are mapped again with `shared_map`.
    fn move_mapping(
        &self,
        old: GuestAddr,
        old_len: u64,
        new: GuestAddr,
        new_len: u64,
    ) -> Result<()>;

    // --- shared memory (files mapped MAP_SHARED) -----------------------------------------
    /// Allocate `capacity` bytes of zeroed memory that can be mapped into the guest more than
    /// once and read and written by the library OS; returns its handle.
    fn shared_alloc(&self, capacity: u64) -> Result<u64>;
    /// Release shared memory (guest mappings of it stay valid until unmapped).
    fn shared_free(&self, handle: u64, capacity: u64);
    /// Copy out of shared memory.
    fn shared_read(&self, handle: u64, capacity: u64, offset: u64, buf: &mut [u8]) -> Result<()>;
    /// Copy into shared memory.
    fn shared_write(&self, handle: u64, capacity: u64, offset: u64, data: &[u8]) -> Result<()>;
    /// Zero `[offset, offset+len)` of shared memory, giving whole pages back.
    fn shared_zero(&self, handle: u64, capacity: u64, offset: u64, len: u64) -> Result<()>;
    /// Map `[offset, offset+len)` of shared memory at guest `addr` (page aligned), replacing
    /// what was there. A range past `capacity` (the size it was allocated with) is refused:
    /// this is the only way shared memory reaches guest mappings, so the guest never sees
    /// memory beyond an allocation.
    fn shared_map(
        &self,
        handle: u64,
        capacity: u64,
        offset: u64,
        addr: GuestAddr,
        len: u64,
        prot: Prot,
    ) -> Result<()>;

    // --- time, entropy -----------------------------------------------------------------
    /// Read a clock.
    fn now(&self, clock: ClockKind) -> Nanos;
    /// Resolution of a clock.
    fn resolution(&self, clock: ClockKind) -> Nanos;
    /// Fill `buf` with cryptographically secure random bytes.
    fn fill_random(&self, buf: &mut [u8]);

    // --- wait/wake ---------------------------------------------------------------------
    /// Sleep while `word` holds `expected`, up to `timeout`; interruptible by guest signals.
    fn wait(&self, word: &AtomicU32, expected: u32, timeout: Option<Nanos>) -> WaitOutcome;
    /// Wake up to `count` waiters on `word`.
    fn wake(&self, word: &AtomicU32, count: u32);
    /// Futex wait on a guest word (`FUTEX_WAIT`): `Err(WouldBlock)` if it differs.
    /// `shared`: the word is in memory the sandbox's processes share (MAP_SHARED anonymous
    /// memory or in-memory files), so a waker may be another process; otherwise the wait is
    /// private to this process (never a futex key that a host process could also use).
    fn guest_wait(
        &self,
        addr: GuestAddr,
        expected: u32,
        timeout: Option<Nanos>,
        bitset: u32,
        shared: bool,
    ) -> Result<WaitOutcome>;
    /// Futex wake on a guest word; returns how many were woken. `shared` as in
    /// [`Self::guest_wait`].
    fn guest_wake(&self, addr: GuestAddr, count: u32, bitset: u32, shared: bool) -> Result<u32>;
    /// Futex requeue: wake `wake` waiters on `addr`, move up to `requeue` to `addr2`.
    /// `shared` (both words) as in [`Self::guest_wait`].
    fn guest_requeue(
        &self,
        addr: GuestAddr,
        wake: u32,
        requeue: u32,
        addr2: GuestAddr,
        expected: Option<u32>,
        shared: bool,
    ) -> Result<u32>;
    /// Sleep for `duration` (interruptible by guest signals).
    fn sleep(&self, duration: Nanos) -> WaitOutcome;
}

/// Host descriptors the sandbox owns (stdio and files of host volumes). Object-safe, so
/// that filesystem nodes backed by host files can hold a `&'static dyn HostIo`.
pub trait HostIo: Send + Sync {
    // --- host descriptors (stdio) -----------------------------------------------------
    /// Read from a host descriptor at its current position (or `offset`).
    fn host_read(&self, fd: HostFd, buf: &mut [u8], offset: Option<u64>) -> Result<usize>;
    /// Write to a host descriptor at its position (or `offset`).
    fn host_write(&self, fd: HostFd, data: &[u8], offset: Option<u64>) -> Result<usize>;
    /// Metadata of a host descriptor.
    fn host_stat(&self, fd: HostFd) -> Result<HostStat>;
    /// Readiness of host descriptors, waiting up to `timeout` for any (None: forever).
    fn host_poll(
        &self,
        fds: &[(HostFd, bool, bool)],
        timeout: Option<Nanos>,
    ) -> Result<Vec<Readiness>>;
    /// Terminal query on a host descriptor: `Err(NotTty)` if it is not a terminal.
    fn host_term(&self, fd: HostFd, query: TermQuery, out: &mut [u8]) -> Result<()>;
    /// Close a host descriptor the sandbox opened (never stdio).
    fn host_close(&self, fd: HostFd);

    /// Host directories the policy mounts, or `None` when it mounts none.
    fn host_volumes(&self) -> Option<&dyn HostVolumes>;
}

/// A directory entry of a host volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostDirEntry {
    /// The name (no `/`, never `.` or `..`).
    pub name: Vec<u8>,
    /// Inode number.
    pub ino: u64,
    /// `d_type` as the host reported it.
    pub dtype: u8,
}

/// What [`HostVolumes::create`] makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostNodeKind {
    /// A regular file, created exclusively (`O_CREAT | O_EXCL`).
    File,
    /// A directory.
    Dir,
}

/// How [`HostVolumes::rename`] treats an existing destination (renameat2(2) flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostRename {
    /// Replace it, as rename(2).
    Replace,
    /// Fail with `Exists` if it exists (`RENAME_NOREPLACE`).
    NoReplace,
    /// Swap the two entries, both of which must exist (`RENAME_EXCHANGE`).
    Exchange,
}

/// Figures of the filesystem that holds a host volume, in statfs(2)'s fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct HostStatFs {
    pub fs_type: u64,
    pub block_size: u64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub blocks_available: u64,
    pub files: u64,
    pub files_free: u64,
    pub name_max: u64,
    pub fragment_size: u64,
    /// `ST_*` mount flags (`f_flags`).
    pub flags: u64,
}

/// Host directories mounted into the sandbox. Every path is relative to a volume root, made
/// of components that the core has already resolved (no `..`, no symbolic links): a
/// platform must refuse to leave the volume root whatever the path holds.
///
/// The methods that change a volume have defaults that fail with `ReadOnly`: a platform that
/// offers only read-only volumes implements the first four. A platform that implements them
/// must still refuse (`ReadOnly`) every change to a volume the policy mounts read-only, even
/// though the core checks that first.
pub trait HostVolumes: Send + Sync {
    /// Metadata of `path` in volume `vol`, without following a final symlink.
    fn stat(&self, vol: u32, path: &[u8]) -> Result<HostStat>;
    /// Open `path` for reading (the only mode of read-only volumes).
    fn open_read(&self, vol: u32, path: &[u8]) -> Result<HostFd>;
    /// List a directory.
    fn read_dir(&self, vol: u32, path: &[u8]) -> Result<Vec<HostDirEntry>>;
    /// Target of a symbolic link.
    fn read_link(&self, vol: u32, path: &[u8]) -> Result<Vec<u8>>;

    // --- read-write volumes ------------------------------------------------------------
    /// Figures of the filesystem holding volume `vol` (statfs(2)).
    fn statfs(&self, _vol: u32) -> Result<HostStatFs> {
        Err(crate::Error::NotSupported)
    }
    /// Open the regular file `path` for writing (and for reading where the host allows).
    fn open_write(&self, _vol: u32, _path: &[u8]) -> Result<HostFd> {
        Err(crate::Error::ReadOnly)
    }
    /// Create `path` (which must not exist) with permission bits `mode`, exactly as given
    /// (the guest's umask is already applied); returns its metadata.
    fn create(&self, _vol: u32, _path: &[u8], _kind: HostNodeKind, _mode: u32) -> Result<HostStat> {
        Err(crate::Error::ReadOnly)
    }
    /// Create the symbolic link `path` → `target` (stored as given, never followed here).
    fn symlink(&self, _vol: u32, _path: &[u8], _target: &[u8]) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }
    /// Add the hard link `new` to the existing `old` (not following a link at `old`).
    fn link(&self, _vol: u32, _old: &[u8], _new: &[u8]) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }
    /// Remove `path`: a directory (which must be empty) if `dir`, else anything else.
    fn unlink(&self, _vol: u32, _path: &[u8], _dir: bool) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }
    /// Move `old` to `new` within volume `vol`.
    fn rename(&self, _vol: u32, _old: &[u8], _new: &[u8], _how: HostRename) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }
    /// Set the permission bits of `path` (not a symbolic link).
    fn set_mode(&self, _vol: u32, _path: &[u8], _mode: u32) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }
    /// Set the access and modification times of `path` (`None`: leave as is), not following
    /// a final symbolic link.
    fn set_times(
        &self,
        _vol: u32,
        _path: &[u8],
        _atime: Option<Nanos>,
        _mtime: Option<Nanos>,
    ) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }
    /// Set the size of the regular file `path`.
    fn truncate(&self, _vol: u32, _path: &[u8], _len: u64) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }

    // --- descriptors that `open_write` returned ----------------------------------------
    /// Write `data` at `pos` (pwrite(2)).
    fn write_fd(&self, _fd: HostFd, _data: &[u8], _pos: u64) -> Result<usize> {
        Err(crate::Error::ReadOnly)
    }
    /// Set the size (ftruncate(2)).
    fn truncate_fd(&self, _fd: HostFd, _len: u64) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }
    /// Set the permission bits (fchmod(2)).
    fn set_mode_fd(&self, _fd: HostFd, _mode: u32) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }
    /// Set the times (futimens(3)), `None` leaving one as is.
    fn set_times_fd(
        &self,
        _fd: HostFd,
        _atime: Option<Nanos>,
        _mtime: Option<Nanos>,
    ) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }
    /// Write the file's data and metadata to storage (fsync(2)).
    fn sync_fd(&self, _fd: HostFd) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }
    /// Allocate `[offset, offset+len)` (fallocate(2) with `mode` 0 or `FALLOC_FL_KEEP_SIZE`).
    fn allocate_fd(&self, _fd: HostFd, _keep_size: bool, _offset: u64, _len: u64) -> Result<()> {
        Err(crate::Error::ReadOnly)
    }
}
