//! Host descriptors (stdio, host-volume files) and host volumes.
//!
//! Volume roots are opened before the filter is installed. Every later path operation stays
//! beneath a root by one of two rules that the host kernel enforces, whatever the path or the
//! volume's contents (the library OS resolves `..` and symbolic links itself):
//! - a directory of a volume is opened (`O_PATH`) with `openat2(root, "a/b", …)` and
//!   `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`;
//! - an entry of such a directory is reached from the directory's descriptor by one name that
//!   holds no `/` and is not `.` or `..` (`Name`), with a call that does not follow a final
//!   link: `newfstatat` with `AT_SYMLINK_NOFOLLOW`, `readlinkat`, or `openat2` with the same
//!   resolve flags. One such name cannot lead out of the directory.
//!
//! Directory descriptors are kept in a `DirCache`, each with the directory's metadata, so
//! that a lookup of `a/b/c` costs one host call, `newfstatat(fd of a/b, "c")`, where it cost
//! an `openat2` walking from the root, an `fstat` and a `close` per component
//! (docs/performance.md, finding 1); `stat` of `a` and `a/b` themselves costs none. Opening a
//! directory that is not cached costs `openat2` + `fstat`, about what every lookup cost
//! before. The cache holds at most [`DIR_CACHE_ENTRIES`] descriptors for all volumes together
//! (the least recently used one is closed), and an entry serves for at most [`DIR_FD_TTL`]
//! before its directory is opened again from the root, the way FUSE keeps entries and
//! attributes for its default `entry_timeout` and `attr_timeout` of 1 s. So:
//! - when the host renames or replaces a directory, lookups under the old path reach the old
//!   directory, and `stat` of a directory shows its metadata, up to [`DIR_FD_TTL`] old;
//! - a directory that the host moves out of a volume stays reachable through its descriptor
//!   for at most [`DIR_FD_TTL`]. The guest cannot move anything (volumes are read-only to it),
//!   and the volume's contents cannot make the host open anything outside it.
//!
//! Metadata of anything but a cached directory, symbolic link targets and failed lookups are
//! not cached: each asks the host.

use meridian_core::Error;
use meridian_core::platform::{HostDirEntry, HostFd, HostStat, HostVolumes};
use meridian_core::time::Nanos;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Directory descriptors the host volumes keep open at most, all volumes together.
/// `python3 -c pass` opens 20.
pub const DIR_CACHE_ENTRIES: usize = 64;
/// How long a cached directory descriptor and its metadata serve lookups before the directory
/// is opened again from the volume root (FUSE's default `entry_timeout` and `attr_timeout`).
pub const DIR_FD_TTL: Duration = Duration::from_secs(1);
/// Longest name of one directory entry (`NAME_MAX`).
const NAME_MAX_BYTES: usize = 255;
/// Buffer for a symbolic link's target (`PATH_MAX`).
const LINK_TARGET_MAX_BYTES: usize = 4096;
/// Buffer for one getdents64(2) call.
const DIRENT_BUF_BYTES: usize = 32768;

/// The last host errno as a core error.
pub fn last_error() -> Error {
    from_errno(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// A host errno as a core error: the conditions the core acts on get their own variant
/// (a host volume's "no such file" must read as the core's `NotFound`, so that, e.g., an
/// O_CREAT in a read-only volume reports EROFS); the rest pass through as `Host`.
pub fn from_errno(errno: i32) -> Error {
    match errno {
        libc::ENOENT => Error::NotFound,
        libc::ENOTDIR => Error::NotDir,
        libc::EISDIR => Error::IsDir,
        libc::EEXIST => Error::Exists,
        libc::ENOTEMPTY => Error::NotEmpty,
        libc::ELOOP => Error::Loop,
        libc::ENAMETOOLONG => Error::NameTooLong,
        libc::EROFS => Error::ReadOnly,
        libc::EACCES => Error::Access,
        libc::EPERM => Error::Perm,
        libc::EBADF => Error::BadFd,
        libc::EINTR => Error::Interrupted,
        libc::EAGAIN => Error::WouldBlock,
        libc::EPIPE => Error::BrokenPipe,
        libc::ENOTTY => Error::NotTty,
        other => Error::Host(other),
    }
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

/// Metadata of entry `name` of directory `dir`, not following a final symbolic link and not
/// triggering an automount: `newfstatat(dir, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT)`.
fn stat_entry(dir: RawFd, name: &Name) -> Result<HostStat, Error> {
    // SAFETY: a zeroed stat is valid plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let flags = libc::AT_SYMLINK_NOFOLLOW | libc::AT_NO_AUTOMOUNT;
    // SAFETY: `name` is NUL-terminated and `st` is a valid out pointer; on x86-64 the kernel's
    // `struct stat` of newfstatat is libc's.
    let r = unsafe {
        libc::syscall(
            libc::SYS_newfstatat,
            dir,
            name.as_cstr().as_ptr(),
            &mut st as *mut libc::stat,
            flags,
        )
    };
    if r != 0 {
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

/// `openat2(dir, path, flags | O_CLOEXEC | O_NOFOLLOW)` with `RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`: the kernel refuses any path that would leave
/// `dir` (`EXDEV`) or cross a symbolic link (`ELOOP`).
fn open_beneath(dir: RawFd, path: &CStr, flags: i32) -> Result<Fd, Error> {
    let how = OpenHow {
        flags: (flags | libc::O_CLOEXEC | libc::O_NOFOLLOW) as u64,
        mode: 0,
        resolve: RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    // SAFETY: openat2 with a NUL-terminated path and an `open_how` of the size passed.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir,
            path.as_ptr(),
            &how as *const OpenHow,
            core::mem::size_of::<OpenHow>(),
        )
    };
    if fd < 0 {
        // O_NOFOLLOW on a final symlink without O_PATH gives ELOOP.
        return Err(last_error());
    }
    Ok(Fd(fd as RawFd))
}

/// A host descriptor this module opened and owns: closed when dropped. Not `Fd`, whose
/// drop in builds with debug assertions first checks the descriptor with `fcntl(F_GETFD)`,
/// a call the filter does not allow.
struct Fd(RawFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

impl AsFd for Fd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: `self.0` is open for as long as `self` lives (it is closed only on drop).
        unsafe { BorrowedFd::borrow_raw(self.0) }
    }
}

impl IntoRawFd for Fd {
    fn into_raw_fd(self) -> RawFd {
        let fd = self.0;
        core::mem::forget(self);
        fd
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: closing a descriptor this module opened and that nothing else closes.
        unsafe { libc::close(self.0) };
    }
}

/// One name of a directory entry, NUL-terminated: not empty, not `.` or `..`, no `/` or NUL,
/// at most `NAME_MAX` bytes. Such a name, looked up without following a final link, cannot
/// lead out of the directory it is looked up in.
struct Name {
    /// The name, then at least one NUL.
    buf: [u8; NAME_MAX_BYTES + 1],
}

impl Name {
    fn new(name: &[u8]) -> Result<Name, Error> {
        if name.is_empty()
            || name == b"."
            || name == b".."
            || name.iter().any(|&b| b == b'/' || b == 0)
        {
            return Err(Error::Invalid);
        }
        if name.len() > NAME_MAX_BYTES {
            return Err(Error::NameTooLong);
        }
        let mut buf = [0u8; NAME_MAX_BYTES + 1];
        buf.get_mut(..name.len())
            .ok_or(Error::NameTooLong)?
            .copy_from_slice(name);
        Ok(Name { buf })
    }

    fn as_cstr(&self) -> &CStr {
        // `new` leaves at least the last byte NUL, so this cannot fail.
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }
}

/// `path` split into the directory that holds its last component and that component:
/// `a/b/c` → (`a/b`, `c`), `c` → (`""`, `c`). A leading `/` stays with the directory (`/c` →
/// (`/`, `c`)), so that `openat2` refuses it as it refuses any absolute path.
fn split_last(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => (
            path.get(..slash.max(1)).unwrap_or_default(),
            path.get(slash + 1..).unwrap_or_default(),
        ),
        None => (&[], path),
    }
}

/// A cached directory descriptor and its metadata.
struct CachedDir {
    fd: Arc<Fd>,
    /// `fstat` of `fd` when it was opened.
    stat: HostStat,
    /// When the directory was opened from the volume root.
    opened: Instant,
    /// The cache's use counter at the last lookup that used it.
    last_use: u64,
}

/// Open directory descriptors by volume and path; see the module documentation. A descriptor
/// is shared (`Arc`), so that evicting it while another thread is looking up a name in it
/// does not close it under that thread: the last holder closes it.
struct DirCache {
    /// Per volume: directory path (never `""`, the root) → descriptor.
    by_volume: Vec<HashMap<Vec<u8>, CachedDir>>,
    /// Entries in all volumes together.
    len: usize,
    /// At most this many entries.
    capacity: usize,
    /// Age after which an entry is opened again.
    ttl: Duration,
    /// Counts lookups, to find the least recently used entry.
    uses: u64,
}

impl DirCache {
    fn new(volumes: usize, capacity: usize, ttl: Duration) -> DirCache {
        DirCache {
            by_volume: (0..volumes).map(|_| HashMap::new()).collect(),
            len: 0,
            capacity,
            ttl,
            uses: 0,
        }
    }

    /// The entry of `dir` in volume `vol`, unless it is missing or older than the TTL.
    fn get(&mut self, vol: usize, dir: &[u8], now: Instant) -> Option<&CachedDir> {
        self.uses += 1;
        let uses = self.uses;
        let ttl = self.ttl;
        let entry = self.by_volume.get_mut(vol)?.get_mut(dir)?;
        if now.saturating_duration_since(entry.opened) >= ttl {
            return None;
        }
        entry.last_use = uses;
        Some(entry)
    }

    /// Keep `fd` (with its metadata) as the descriptor of `dir`, replacing an older one and
    /// making room by closing the least recently used entry if the cache is full.
    fn insert(&mut self, vol: usize, dir: &[u8], fd: Arc<Fd>, stat: HostStat, opened: Instant) {
        if self.capacity == 0 {
            return;
        }
        let entry = CachedDir {
            fd,
            stat,
            opened,
            last_use: self.uses,
        };
        if let Some(old) = self.by_volume.get_mut(vol).and_then(|m| m.get_mut(dir)) {
            *old = entry;
            return;
        }
        if self.len >= self.capacity {
            self.evict_least_recent();
        }
        if let Some(map) = self.by_volume.get_mut(vol) {
            map.insert(dir.to_vec(), entry);
            self.len += 1;
        }
    }

    fn evict_least_recent(&mut self) {
        let oldest = self
            .by_volume
            .iter()
            .enumerate()
            .flat_map(|(vol, map)| map.iter().map(move |(dir, e)| (e.last_use, vol, dir)))
            .min_by_key(|&(last_use, _, _)| last_use)
            .map(|(_, vol, dir)| (vol, dir.clone()));
        if let Some((vol, dir)) = oldest
            && let Some(map) = self.by_volume.get_mut(vol)
            && map.remove(&dir).is_some()
        {
            self.len -= 1;
        }
    }
}

/// Pre-opened volume roots and the directory descriptors opened beneath them.
pub struct Volumes {
    roots: Vec<Arc<Fd>>,
    dirs: Mutex<DirCache>,
}

impl Volumes {
    /// Open each host directory (before the filter is installed).
    pub fn open(dirs: &[std::path::PathBuf]) -> std::io::Result<Volumes> {
        Volumes::with_cache(dirs, DIR_CACHE_ENTRIES, DIR_FD_TTL)
    }

    /// [`Volumes::open`] with a directory cache of `capacity` entries and time to live `ttl`.
    fn with_cache(
        dirs: &[std::path::PathBuf],
        capacity: usize,
        ttl: Duration,
    ) -> std::io::Result<Volumes> {
        let mut roots = Vec::new();
        for d in dirs {
            let c = CString::new(d.as_os_str().as_encoded_bytes()).map_err(|_| {
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
            roots.push(Arc::new(Fd(fd)));
        }
        let dirs = Mutex::new(DirCache::new(roots.len(), capacity, ttl));
        Ok(Volumes { roots, dirs })
    }

    /// The volume roots' descriptors (`O_PATH`), in volume order: the hierarchies that
    /// Landlock allows reading (`harden`).
    pub fn roots(&self) -> impl Iterator<Item = BorrowedFd<'_>> {
        self.roots.iter().map(|fd| fd.as_fd())
    }

    fn root(&self, vol: u32) -> Result<&Arc<Fd>, Error> {
        self.roots.get(vol as usize).ok_or(Error::Invalid)
    }

    fn cache(&self) -> MutexGuard<'_, DirCache> {
        // A panic while holding the lock aborts the runner (panic = "abort"), so a poisoned
        // cache is never observed in practice; its entries would still be consistent.
        self.dirs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The descriptor of directory `dir` of volume `vol` (`""`: the root), from the cache
    /// (if opened less than the TTL before `now`) or opened beneath the root.
    fn dir(&self, vol: u32, dir: &[u8], now: Instant) -> Result<Arc<Fd>, Error> {
        let root = self.root(vol)?;
        if dir.is_empty() {
            return Ok(Arc::clone(root));
        }
        if let Some(entry) = self.cache().get(vol as usize, dir, now) {
            return Ok(Arc::clone(&entry.fd));
        }
        // Opened without the lock held: another thread may open the same directory at the
        // same time, and the later insert wins.
        let path = CString::new(dir).map_err(|_| Error::Invalid)?;
        let fd = Arc::new(open_beneath(
            root.as_raw_fd(),
            &path,
            libc::O_PATH | libc::O_DIRECTORY,
        )?);
        let stat = fstat(fd.as_raw_fd())?;
        self.cache()
            .insert(vol as usize, dir, Arc::clone(&fd), stat, now);
        Ok(fd)
    }

    /// The directory that holds `path` (not `""`) and the last component of `path`.
    fn parent_and_name(
        &self,
        vol: u32,
        path: &[u8],
        now: Instant,
    ) -> Result<(Arc<Fd>, Name), Error> {
        let (dir, name) = split_last(path);
        let name = Name::new(name)?;
        Ok((self.dir(vol, dir, now)?, name))
    }

    /// Open `path` (`""`: the root) with `flags`, beneath its directory.
    fn open_path(&self, vol: u32, path: &[u8], flags: i32) -> Result<Fd, Error> {
        if path.is_empty() {
            return open_beneath(self.root(vol)?.as_raw_fd(), c".", flags);
        }
        let (dir, name) = self.parent_and_name(vol, path, Instant::now())?;
        open_beneath(dir.as_raw_fd(), name.as_cstr(), flags)
    }
}

impl HostVolumes for Volumes {
    fn stat(&self, vol: u32, path: &[u8]) -> Result<HostStat, Error> {
        if path.is_empty() {
            return fstat(self.root(vol)?.as_raw_fd());
        }
        // A directory that names are looked up in: `a` and `a/b` while resolving `a/b/c`.
        let now = Instant::now();
        if let Some(entry) = self.cache().get(vol as usize, path, now) {
            return Ok(entry.stat);
        }
        let (dir, name) = self.parent_and_name(vol, path, now)?;
        stat_entry(dir.as_raw_fd(), &name)
    }

    fn open_read(&self, vol: u32, path: &[u8]) -> Result<HostFd, Error> {
        let fd = self.open_path(vol, path, libc::O_RDONLY)?;
        Ok(HostFd(fd.into_raw_fd()))
    }

    fn read_dir(&self, vol: u32, path: &[u8]) -> Result<Vec<HostDirEntry>, Error> {
        let fd = self.open_path(vol, path, libc::O_RDONLY | libc::O_DIRECTORY)?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; DIRENT_BUF_BYTES];
        loop {
            // SAFETY: getdents64 into our buffer of the given length.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_getdents64,
                    fd.as_raw_fd(),
                    buf.as_mut_ptr(),
                    buf.len(),
                )
            };
            if n < 0 {
                return Err(last_error());
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
        Ok(out)
    }

    fn read_link(&self, vol: u32, path: &[u8]) -> Result<Vec<u8>, Error> {
        if path.is_empty() {
            // A volume root is a directory (opened with O_DIRECTORY).
            return Err(Error::Host(libc::EINVAL));
        }
        let (dir, name) = self.parent_and_name(vol, path, Instant::now())?;
        let mut buf = vec![0u8; LINK_TARGET_MAX_BYTES];
        // SAFETY: readlinkat of one NUL-terminated name into our buffer of its length.
        let n = unsafe {
            libc::readlinkat(
                dir.as_raw_fd(),
                name.as_cstr().as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if n < 0 {
            return Err(last_error());
        }
        buf.truncate(n as usize);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    //! Host volumes over a real scratch directory, with symbolic links that point out of it.
    use super::*;
    use std::io::Read;
    use std::os::fd::FromRawFd;
    use std::os::unix::fs::symlink;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// `TOP/outside/secret` and the volume `TOP/vol`: `a/b/file` ("data"), `a/link` → `b/file`,
    /// `evil` → `/etc`, `out` → `../outside`, `up` → `..`, `a/esc` → `../../outside/secret`.
    /// Removed on drop.
    struct Scratch {
        top: PathBuf,
    }

    impl Scratch {
        fn new() -> std::io::Result<Scratch> {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let top = std::env::temp_dir().join(format!(
                "meridian-host-test-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let scratch = Scratch { top };
            let (top, vol) = (&scratch.top, scratch.vol());
            std::fs::create_dir_all(top.join("outside"))?;
            std::fs::write(top.join("outside/secret"), b"host secret")?;
            std::fs::create_dir_all(vol.join("a/b"))?;
            std::fs::write(vol.join("a/b/file"), b"data")?;
            symlink("b/file", vol.join("a/link"))?;
            symlink("../../outside/secret", vol.join("a/esc"))?;
            symlink("/etc", vol.join("evil"))?;
            symlink("../outside", vol.join("out"))?;
            symlink("..", vol.join("up"))?;
            Ok(scratch)
        }

        fn vol(&self) -> PathBuf {
            self.top.join("vol")
        }

        fn volumes(&self, capacity: usize, ttl: Duration) -> std::io::Result<Volumes> {
            Volumes::with_cache(&[self.vol()], capacity, ttl)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.top);
        }
    }

    const S_IFMT: u32 = libc::S_IFMT;

    /// A failed test step: the scratch directory or the volumes.
    #[derive(Debug)]
    #[allow(dead_code, reason = "read through Debug when a test fails")]
    enum Fail {
        Io(std::io::Error),
        Volume(Error),
    }

    impl From<std::io::Error> for Fail {
        fn from(e: std::io::Error) -> Fail {
            Fail::Io(e)
        }
    }

    impl From<Error> for Fail {
        fn from(e: Error) -> Fail {
            Fail::Volume(e)
        }
    }

    fn read_all(fd: HostFd) -> std::io::Result<Vec<u8>> {
        // SAFETY: `open_read` handed us this descriptor; the File owns and closes it.
        let mut file = unsafe { std::fs::File::from_raw_fd(fd.0) };
        let mut out = Vec::new();
        file.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn reads_the_volume() -> Result<(), Fail> {
        let scratch = Scratch::new()?;
        for capacity in [0, DIR_CACHE_ENTRIES] {
            let v = scratch.volumes(capacity, DIR_FD_TTL)?;
            assert_eq!(v.stat(0, b"")?.mode & S_IFMT, libc::S_IFDIR);
            // Twice: the second time through the cached descriptors of `a` and `a/b`.
            for _ in 0..2 {
                let file = v.stat(0, b"a/b/file")?;
                assert_eq!((file.mode & S_IFMT, file.size), (libc::S_IFREG, 4));
                let dir = v.stat(0, b"a/b")?;
                let host = std::fs::metadata(scratch.vol().join("a/b"))?;
                assert_eq!(
                    (dir.mode & S_IFMT, dir.ino),
                    (libc::S_IFDIR, std::os::unix::fs::MetadataExt::ino(&host))
                );
                assert_eq!(read_all(v.open_read(0, b"a/b/file")?)?, b"data");
                assert_eq!(v.read_link(0, b"a/link")?, b"b/file");
                assert_eq!(v.stat(0, b"a/link")?.mode & S_IFMT, libc::S_IFLNK);
                let mut names: Vec<Vec<u8>> =
                    v.read_dir(0, b"a")?.into_iter().map(|e| e.name).collect();
                names.sort();
                assert_eq!(names, [&b"b"[..], b"esc", b"link"]);
                assert_eq!(v.stat(0, b"a/missing"), Err(Error::NotFound));
                assert_eq!(v.stat(0, b"a/b/file/x"), Err(Error::NotDir));
            }
            assert_eq!(v.read_dir(0, b"")?.len(), 4);
            assert!(v.cache().len <= capacity);
        }
        Ok(())
    }

    #[test]
    fn nothing_outside_the_volume() -> Result<(), Fail> {
        let scratch = Scratch::new()?;
        let v = scratch.volumes(DIR_CACHE_ENTRIES, DIR_FD_TTL)?;
        // The links themselves are visible, never followed.
        assert_eq!(v.stat(0, b"evil")?.mode & S_IFMT, libc::S_IFLNK);
        assert_eq!(v.read_link(0, b"evil")?, b"/etc");
        let eloop = Some(Error::Loop);
        let exdev = Some(Error::Host(libc::EXDEV));
        // A link as the last directory of the path opens as the link itself, which
        // O_DIRECTORY refuses (ENOTDIR); one further up is refused by RESOLVE_NO_SYMLINKS.
        let through_link = |e: Option<Error>| matches!(e, Some(Error::NotDir | Error::Loop));
        for path in [
            &b"evil/passwd"[..],
            b"out/secret",
            b"up/a/b/file",
            b"up/vol/a",
        ] {
            assert!(through_link(v.stat(0, path).err()), "{path:?}");
            assert!(through_link(v.open_read(0, path).err()), "{path:?}");
            assert!(through_link(v.read_link(0, path).err()), "{path:?}");
            assert!(through_link(v.read_dir(0, path).err()), "{path:?}");
        }
        for path in [&b"evil"[..], b"out", b"a/esc"] {
            assert_eq!(v.open_read(0, path).err(), eloop, "{path:?}");
        }
        assert!(through_link(v.read_dir(0, b"evil").err()));
        // Paths the core never sends: the kernel refuses the directory part, the platform the
        // final name.
        for path in [
            &b"/etc/passwd"[..],
            b"/passwd",
            b"../outside/secret",
            b"a/../../outside/secret",
        ] {
            assert_eq!(v.stat(0, path).err(), exdev, "{path:?}");
            assert_eq!(v.open_read(0, path).err(), exdev, "{path:?}");
        }
        for path in [&b".."[..], b"a/..", b"a/.", b"a/", b"a/b/file\0", b"a\0/b"] {
            assert_eq!(v.stat(0, path), Err(Error::Invalid), "{path:?}");
            assert_eq!(v.read_link(0, path), Err(Error::Invalid), "{path:?}");
        }
        let long = [&b"a/"[..], &[b'x'; NAME_MAX_BYTES + 1]].concat();
        assert_eq!(v.stat(0, &long), Err(Error::NameTooLong));
        assert_eq!(v.stat(1, b"a"), Err(Error::Invalid));
        // Only directories of the volume were cached.
        let cache = v.cache();
        let cached: Vec<&Vec<u8>> = cache.by_volume.iter().flat_map(|m| m.keys()).collect();
        assert_eq!(cached, [b"a"]);
        Ok(())
    }

    #[test]
    fn cached_directories_are_reopened_from_the_root() -> Result<(), Fail> {
        let scratch = Scratch::new()?;
        let ttl = Duration::from_millis(50);
        let v = scratch.volumes(DIR_CACHE_ENTRIES, ttl)?;
        assert_eq!(v.stat(0, b"a/b/file")?.size, 4);
        // The host moves `a` out of the volume and puts a link to it in its place.
        std::fs::rename(scratch.vol().join("a"), scratch.top.join("outside/a"))?;
        symlink("../outside/a", scratch.vol().join("a"))?;
        // Within the TTL the cached descriptors still reach the moved directory (the window
        // the module documentation describes) ...
        assert_eq!(v.stat(0, b"a/b/file")?.size, 4);
        std::thread::sleep(ttl);
        // ... after it, `a` is opened again beneath the root, which refuses the link.
        assert_eq!(v.stat(0, b"a/b/file"), Err(Error::Loop));
        assert_eq!(v.stat(0, b"a")?.mode & S_IFMT, libc::S_IFLNK);
        // Without a TTL every lookup opens its directory from the root.
        let uncached = scratch.volumes(DIR_CACHE_ENTRIES, Duration::ZERO)?;
        assert_eq!(uncached.stat(0, b"a/b/file"), Err(Error::Loop));
        Ok(())
    }

    #[test]
    fn the_cache_is_bounded() -> Result<(), Fail> {
        let scratch = Scratch::new()?;
        for i in 0..5 {
            let dir = scratch.vol().join(format!("d{i}"));
            std::fs::create_dir(&dir)?;
            std::fs::write(dir.join("f"), [b'x'; 3])?;
        }
        let v = scratch.volumes(2, DIR_FD_TTL)?;
        let now = Instant::now();
        let first = v.dir(0, b"d0", now)?;
        let first_closed = Arc::downgrade(&first);
        for i in 0..5 {
            assert_eq!(v.stat(0, format!("d{i}/f").as_bytes())?.size, 3);
            assert!(v.cache().len <= 2);
        }
        // Evicted while still in use: the descriptor stays open for its holder ...
        assert_eq!(fstat(first.as_raw_fd())?.mode & S_IFMT, libc::S_IFDIR);
        drop(first);
        // ... and is closed by the last one.
        assert!(first_closed.upgrade().is_none());
        // The least recently used entry goes: d3 was used after d4 was inserted.
        v.stat(0, b"d3/f")?;
        v.stat(0, b"d0/f")?;
        let cache = v.cache();
        let mut cached: Vec<&Vec<u8>> = cache.by_volume.iter().flat_map(|m| m.keys()).collect();
        cached.sort();
        assert_eq!(cached, [b"d0", b"d3"]);
        Ok(())
    }
}
