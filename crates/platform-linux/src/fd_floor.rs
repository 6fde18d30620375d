//! The descriptor floor: the host descriptors that the filter lets descriptor-taking calls
//! name (SECURITY.md, "The descriptor floor"; docs/decisions.md D19).
//!
//! Every descriptor the library OS opens for host volumes (roots, cached directories, the
//! guest's open files) is numbered [`FD_FLOOR`] or above; below it are only the caller's
//! stdio (0-2) and placeholders. The filter ([`crate::filter`]) lets `pwrite64`, `ftruncate`,
//! `fchmod`, `openat2` and the other volume calls name descriptors at or above the floor
//! only, and `close` too, so the placeholders can never be freed.
//!
//! How the numbering is kept without `dup`/`fcntl` on the allowlist (`F_DUPFD` with a
//! guest-chosen source would copy stdio above the floor): the kernel gives every new
//! descriptor the lowest free number (POSIX, open(2)), so once every slot below the floor is
//! taken, whatever is opened later lands at or above it. [`reserve_below_floor`] takes them,
//! after the filesystem jail and before the volume roots are opened.
//!
//! Host calls: `fstat`, `fcntl(F_GETFD)`, `open`, `dup2` (before the filter).

use std::os::fd::RawFd;

/// The lowest host descriptor that volume calls may name. Below it: stdio and placeholders.
/// 64 leaves the runner's `RLIMIT_NOFILE` allowance (the guest's limit plus 256,
/// [`crate::harden::limit_resources`]) room for the volume roots and the directory cache.
pub const FD_FLOOR: RawFd = 64;

/// The caller's stdio.
const STDIO: [RawFd; 3] = [0, 1, 2];

/// Take every free descriptor number below [`FD_FLOOR`] with a placeholder (an `O_PATH`
/// descriptor of the runner's root, which is the jail's root once [`crate::harden::isolate`]
/// has run: no host file outside the jail), and replace stdio that is a directory by one too.
/// Afterwards the kernel numbers every new descriptor at or above the floor.
///
/// A directory as stdio (`meridian run … < /some/dir`) is replaced because `newfstatat`,
/// which the filter allows on stdio (`fstat`), would otherwise stat any name beneath it,
/// outside the jail; the guest still sees a directory there (reads fail with EISDIR). A
/// closed stdio slot gets a placeholder too (before, the first volume root took its number).
///
/// Call it once, on the only thread, before the volume roots are opened; nothing may own a
/// descriptor number below the floor that is free now.
pub(crate) fn reserve_below_floor() -> std::io::Result<()> {
    // SAFETY: a constant C string; an O_PATH open touches no file content.
    let placeholder = unsafe { libc::open(c"/".as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if placeholder < 0 {
        return Err(std::io::Error::last_os_error());
    }
    for fd in STDIO {
        if fd != placeholder && is_directory(fd) {
            // SAFETY: dup2 onto a stdio number; the old descriptor is the caller's, owned by
            // nothing in the runner.
            if unsafe { libc::dup2(placeholder, fd) } < 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    for fd in 0..FD_FLOOR {
        // SAFETY: fcntl(F_GETFD) only asks whether the number is open.
        let open = unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0;
        if !open {
            // SAFETY: dup2 onto a free number (checked just above, one thread).
            if unsafe { libc::dup2(placeholder, fd) } < 0 {
                let e = std::io::Error::last_os_error();
                return Err(std::io::Error::new(
                    e.kind(),
                    format!(
                        "{e}; Meridian needs at least {} open descriptors: raise `ulimit -n`",
                        2 * FD_FLOOR
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Whether `fd` is open and a directory.
fn is_directory(fd: RawFd) -> bool {
    // SAFETY: a zeroed stat is valid plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: `st` is a valid out pointer.
    unsafe { libc::fstat(fd, &mut st) == 0 && st.st_mode & libc::S_IFMT == libc::S_IFDIR }
}
