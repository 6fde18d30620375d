//! The one place where core errors become Linux error numbers.

use meridian_abi::Errno;
use meridian_core::Error;

/// The errno a guest sees for a core error. Exhaustive on purpose: a new [`Error`] variant
/// must be given its errno here.
pub fn errno_of(e: Error) -> Errno {
    match e {
        Error::NotFound => Errno::ENOENT,
        Error::NotDir => Errno::ENOTDIR,
        Error::IsDir => Errno::EISDIR,
        Error::Exists => Errno::EEXIST,
        Error::NotEmpty => Errno::ENOTEMPTY,
        Error::Loop => Errno::ELOOP,
        Error::NameTooLong => Errno::ENAMETOOLONG,
        Error::ReadOnly => Errno::EROFS,
        Error::Access => Errno::EACCES,
        Error::Perm => Errno::EPERM,
        Error::Invalid => Errno::EINVAL,
        Error::BadFd => Errno::EBADF,
        Error::TooManyFiles => Errno::EMFILE,
        Error::WouldBlock => Errno::EAGAIN,
        Error::Interrupted => Errno::EINTR,
        Error::BrokenPipe => Errno::EPIPE,
        Error::NotSeekable => Errno::ESPIPE,
        Error::NoMemory => Errno::ENOMEM,
        Error::NoSpace => Errno::ENOSPC,
        Error::CrossDevice => Errno::EXDEV,
        Error::NotTty => Errno::ENOTTY,
        Error::NotSupported => Errno::EOPNOTSUPP,
        Error::Fault => Errno::EFAULT,
        Error::Overflow => Errno::EOVERFLOW,
        Error::Busy => Errno::EBUSY,
        Error::TimedOut => Errno::ETIMEDOUT,
        Error::TextBusy => Errno::ETXTBSY,
        Error::NoDevice => Errno::ENXIO,
        Error::TooBig => Errno::EFBIG,
        Error::Deadlock => Errno::EDEADLK,
        Error::NoLocks => Errno::ENOLCK,
        Error::ConnectionReset => Errno::ECONNRESET,
        Error::ConnectionRefused => Errno::ECONNREFUSED,
        Error::NotConnected => Errno::ENOTCONN,
        Error::MessageTooBig => Errno::EMSGSIZE,
        Error::Host(n) => Errno(u16::try_from(n).unwrap_or(Errno::EIO.0)),
    }
}

impl From<Error> for SysError {
    fn from(e: Error) -> Self {
        SysError(errno_of(e))
    }
}

/// A failed syscall: the errno to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysError(pub Errno);

impl From<Errno> for SysError {
    fn from(e: Errno) -> Self {
        SysError(e)
    }
}

/// What a syscall handler returns.
pub type SysResult = Result<u64, SysError>;
