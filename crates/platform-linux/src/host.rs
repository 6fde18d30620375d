//! Host descriptors (stdio, host-volume files) and host volumes.
//!
//! Volume roots are opened before the filter is installed; every later path operation is
//! `openat2` beneath a root with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
//! RESOLVE_NO_MAGICLINKS`, so the host kernel itself refuses to leave the volume whatever
//! the path or the volume's contents: the library OS resolves symbolic links itself.

use meridian_core::Error;
use meridian_core::platform::{HostDirEntry, HostFd, HostStat, HostVolumes};
use meridian_core::time::Nanos;

/// The last host errno as a core error.
pub fn last_error() -> Error {
    Error::Host(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// Convert `struct stat`.
pub fn host_stat_of(st: &libc::stat) -> HostStat {
    let t = |s: i64, ns: i64| Nanos::from_parts(s.max(0) as u64, ns.max(0) as u64);
    HostStat {
        dev: st.st_dev,
        ino: st.st_ino,
        mode: st.st_mode,
        nlink: st.st_nlink,
        uid: st.st_uid,
        gid: st.st_gid,
        rdev: st.st_rdev,
        size: st.st_size.max(0) as u64,
        blocks: st.st_blocks.max(0) as u64,
        blksize: st.st_blksize.max(0) as u64,
        atime: t(st.st_atime, st.st_atime_nsec),
        mtime: t(st.st_mtime, st.st_mtime_nsec),
        ctime: t(st.st_ctime, st.st_ctime_nsec),
    }
}

/// fstat(2).
pub fn fstat(fd: i32) -> Result<HostStat, Error> {
    // SAFETY: a zeroed stat is valid plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: `st` is a valid out pointer.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(last_error());
    }
    Ok(host_stat_of(&st))
}

#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}
const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_BENEATH: u64 = 0x08;

/// Pre-opened volume roots.
pub struct Volumes {
    roots: Vec<i32>,
}

impl Volumes {
    /// Open each host directory (before the filter is installed).
    pub fn open(dirs: &[std::path::PathBuf]) -> std::io::Result<Volumes> {
        let mut roots = Vec::new();
        for d in dirs {
            let c = std::ffi::CString::new(d.as_os_str().as_encoded_bytes()).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in path")
            })?;
            // SAFETY: `c` is a valid C string.
            let fd = unsafe {
                libc::open(
                    c.as_ptr(),
                    libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                )
            };
            if fd < 0 {
                let e = std::io::Error::last_os_error();
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("cannot open host directory {}: {e}", d.display()),
                ));
            }
            roots.push(fd);
        }
        Ok(Volumes { roots })
    }

    fn open_beneath(&self, vol: u32, path: &[u8], flags: i32) -> Result<i32, Error> {
        let root = *self.roots.get(vol as usize).ok_or(Error::Invalid)?;
        let rel: &[u8] = if path.is_empty() { b"." } else { path };
        if rel.contains(&0) {
            return Err(Error::Invalid);
        }
        let mut c = Vec::with_capacity(rel.len() + 1);
        c.extend_from_slice(rel);
        c.push(0);
        let how = OpenHow {
            flags: (flags | libc::O_CLOEXEC | libc::O_NOFOLLOW) as u64,
            mode: 0,
            resolve: RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        // SAFETY: openat2 with a valid path and `open_how` of the size passed.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                root,
                c.as_ptr(),
                &how as *const OpenHow,
                core::mem::size_of::<OpenHow>(),
            )
        };
        if fd < 0 {
            let e = last_error();
            // O_NOFOLLOW on a final symlink without O_PATH gives ELOOP.
            return Err(e);
        }
        Ok(fd as i32)
    }
}

fn close(fd: i32) {
    // SAFETY: closing a descriptor this module opened.
    unsafe { libc::close(fd) };
}

impl HostVolumes for Volumes {
    fn stat(&self, vol: u32, path: &[u8]) -> Result<HostStat, Error> {
        let fd = self.open_beneath(vol, path, libc::O_PATH)?;
        let r = fstat(fd);
        close(fd);
        r
    }

    fn open_read(&self, vol: u32, path: &[u8]) -> Result<HostFd, Error> {
        self.open_beneath(vol, path, libc::O_RDONLY).map(HostFd)
    }

    fn read_dir(&self, vol: u32, path: &[u8]) -> Result<Vec<HostDirEntry>, Error> {
        let fd = self.open_beneath(vol, path, libc::O_RDONLY | libc::O_DIRECTORY)?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 32768];
        loop {
            // SAFETY: getdents64 into our buffer of the given length.
            let n = unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) };
            if n < 0 {
                let e = last_error();
                close(fd);
                return Err(e);
            }
            if n == 0 {
                break;
            }
            let mut off = 0usize;
            while off + 19 <= n as usize {
                let rec = &buf[off..n as usize];
                let ino = u64::from_le_bytes(rec[0..8].try_into().unwrap_or_default());
                let reclen = u16::from_le_bytes([rec[16], rec[17]]) as usize;
                let dtype = rec[18];
                let name_area = &rec[19..reclen.min(rec.len())];
                let name_len = name_area
                    .iter()
                    .position(|&b| b == 0)
                    .unwrap_or(name_area.len());
                let name = &name_area[..name_len];
                if name != b"." && name != b".." {
                    out.push(HostDirEntry {
                        name: name.to_vec(),
                        ino,
                        dtype,
                    });
                }
                if reclen == 0 {
                    break;
                }
                off += reclen;
            }
        }
        close(fd);
        Ok(out)
    }

    fn read_link(&self, vol: u32, path: &[u8]) -> Result<Vec<u8>, Error> {
        let fd = self.open_beneath(vol, path, libc::O_PATH)?;
        let mut buf = vec![0u8; 4096];
        // SAFETY: readlinkat of the O_PATH descriptor itself (empty path) into our buffer.
        let n = unsafe { libc::readlinkat(fd, c"".as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        let e = last_error();
        close(fd);
        if n < 0 {
            return Err(e);
        }
        buf.truncate(n as usize);
        Ok(buf)
    }
}
