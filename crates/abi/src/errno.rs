//! Error numbers as the guest sees them (`errno(3)`), with their names for `--trace`.

use linux_raw_sys::errno as e;

/// A Linux error number (positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub u16);

macro_rules! errnos {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $name: Errno = Errno(e::$name as u16);
            )*

            /// The symbolic name (`"ENOENT"`), or `None` for a number without one here.
            pub fn name(self) -> Option<&'static str> {
                $( if self == Self::$name { return Some(stringify!($name)); } )*
                None
            }
        }
    };
}

errnos!(
    EPERM,
    ENOENT,
    ESRCH,
    EINTR,
    EIO,
    ENXIO,
    E2BIG,
    ENOEXEC,
    EBADF,
    ECHILD,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    EBUSY,
    EEXIST,
    EXDEV,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOTTY,
    ETXTBSY,
    EFBIG,
    ENOSPC,
    ESPIPE,
    EROFS,
    EMLINK,
    EPIPE,
    EDOM,
    ERANGE,
    EDEADLK,
    ENAMETOOLONG,
    ENOLCK,
    ENOSYS,
    ENOTEMPTY,
    ELOOP,
    ENODATA,
    EOPNOTSUPP,
    EOVERFLOW,
    EAFNOSUPPORT,
    ENOTSOCK,
    ETIMEDOUT,
    ECONNREFUSED,
    ESOCKTNOSUPPORT,
    EPROTONOSUPPORT,
    ECONNRESET,
    ENOTCONN,
    EMSGSIZE,
    ENOPROTOOPT,
    EISCONN,
    EDESTADDRREQ,
    EPROTOTYPE,
    ENOBUFS,
);

impl Errno {
    /// The value a syscall returns in `rax` for this error.
    pub fn to_return(self) -> u64 {
        (-i64::from(self.0)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_returns() {
        assert_eq!(Errno::ENOENT.name(), Some("ENOENT"));
        assert_eq!(Errno::ENOSYS.0, 38);
        assert_eq!(Errno::EBADF.to_return(), (-9i64) as u64);
        assert_eq!(Errno(4000).name(), None);
    }
}
