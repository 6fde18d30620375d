//! The core's error type. Operations return [`Error`]; the shim maps each variant to an
//! errno in one exhaustive `match` (shim `errno.rs`), so a new variant breaks the build
//! rather than the guest.

/// Why a core operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// No such file or directory.
    NotFound,
    /// A path component that must be a directory is not.
    NotDir,
    /// The operation needs a non-directory.
    IsDir,
    /// The name exists already.
    Exists,
    /// The directory is not empty.
    NotEmpty,
    /// Too many symbolic links (or a loop).
    Loop,
    /// Name or path too long.
    NameTooLong,
    /// The mount is read-only.
    ReadOnly,
    /// Permission denied by the file's mode.
    Access,
    /// Operation not permitted.
    Perm,
    /// Invalid argument.
    Invalid,
    /// Bad file descriptor (or one not open for this operation).
    BadFd,
    /// Too many open files in this process.
    TooManyFiles,
    /// Would block (non-blocking I/O).
    WouldBlock,
    /// Interrupted by a signal.
    Interrupted,
    /// The other end of a pipe is closed.
    BrokenPipe,
    /// Seek on a pipe or similar.
    NotSeekable,
    /// Out of memory or address space.
    NoMemory,
    /// No space left on the filesystem.
    NoSpace,
    /// Rename or link across mounts.
    CrossDevice,
    /// Inappropriate ioctl for the device.
    NotTty,
    /// The operation is not supported by this object.
    NotSupported,
    /// Bad guest address.
    Fault,
    /// A value does not fit (e.g. a file offset).
    Overflow,
    /// The resource is busy.
    Busy,
    /// Timed out.
    TimedOut,
    /// Text file busy.
    TextBusy,
    /// No such device or address (a FIFO without readers opened for writing, non-blocking).
    NoDevice,
    /// File too large.
    TooBig,
    /// A lock request would deadlock.
    Deadlock,
    /// No locks available (the lock table is full).
    NoLocks,
    /// The peer closed a connection with data unread (ECONNRESET).
    ConnectionReset,
    /// The peer of a datagram socket is gone (ECONNREFUSED).
    ConnectionRefused,
    /// The socket has no peer (ENOTCONN).
    NotConnected,
    /// A message larger than the socket can take (EMSGSIZE).
    MessageTooBig,
    /// A host call failed with this errno (host volumes, stdio); passed through as is.
    Host(i32),
}

/// Shorthand for core results.
pub type Result<T> = core::result::Result<T, Error>;
