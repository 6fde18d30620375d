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
//!   for at most [`DIR_FD_TTL`]. The volume's contents cannot make the host open anything
//!   outside it, and the guest's own renames drop the descriptors they move (below).
//!
//! Metadata of anything but a cached directory, symbolic link targets and failed lookups are
//! not cached: each asks the host.
//!
//! Read-write volumes. A change is made from the descriptor of the directory that holds the
//! entry, by one `Name`, with a call that never follows a final symbolic link: `openat2`
//! (`O_CREAT | O_EXCL`, or `O_WRONLY` under the resolve flags above), `mkdirat`, `symlinkat`
//! (the target is stored, not followed), `linkat` with flags 0 (neither `AT_SYMLINK_FOLLOW`
//! nor `AT_EMPTY_PATH`), `unlinkat`, `renameat2`, `fchmodat2` and `utimensat` with
//! `AT_SYMLINK_NOFOLLOW`. Opened files are changed through their descriptors (`pwrite64`,
//! `ftruncate`, `fchmod`, `futimens`, `fsync`, `fallocate`). Permission bits are the guest's
//! exactly: the runner's own umask is 0 when a volume is writable (`LinuxPlatform::new`).
//! Every change first checks that the policy mounts the volume read-write (else `ReadOnly`),
//! under the jail's read-only bind mounts and Landlock, which refuse it again.
//!
//! The guest's own changes keep the cache exact: removing or renaming a directory drops its
//! descriptor and those of everything beneath it, and a change in a directory makes its
//! cached metadata (times, link count) be read again at its next `stat`.

use meridian_core::Error;
use meridian_core::platform::{
    HostDirEntry, HostFd, HostNodeKind, HostRename, HostStat, HostStatFs, HostVolumes,
};
use meridian_core::time::Nanos;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, RawFd};
use std::path::PathBuf;
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
    open_beneath_mode(dir, path, flags, 0)
}

/// [`open_beneath`] with the permission bits of a file that `O_CREAT` makes (openat2(2):
/// `mode` must be 0 without `O_CREAT` or `O_TMPFILE`).
fn open_beneath_mode(dir: RawFd, path: &CStr, flags: i32, mode: u32) -> Result<Fd, Error> {
    let how = OpenHow {
        flags: (flags | libc::O_CLOEXEC | libc::O_NOFOLLOW) as u64,
        mode: u64::from(mode & 0o7777),
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
    /// `fstat` of `fd` when it was opened, or `None` once the guest changed the directory.
    stat: Option<HostStat>,
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
            stat: Some(stat),
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

    /// Drop the entries of `path` and of everything beneath it (the guest removed or moved
    /// it): a later lookup opens what is there then.
    fn forget(&mut self, vol: usize, path: &[u8]) {
        let Some(map) = self.by_volume.get_mut(vol) else {
            return;
        };
        let before = map.len();
        map.retain(|dir, _| {
            !(dir.as_slice() == path
                || (dir.starts_with(path) && dir.get(path.len()) == Some(&b'/')))
        });
        self.len -= before - map.len();
    }

    /// The guest changed directory `dir` (an entry of it, or its own metadata): its cached
    /// metadata is read again at its next `stat`.
    fn touched(&mut self, vol: usize, dir: &[u8]) {
        if let Some(entry) = self.by_volume.get_mut(vol).and_then(|m| m.get_mut(dir)) {
            entry.stat = None;
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

/// A host directory the policy mounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostDir {
    /// Its path on the host (canonical).
    pub path: PathBuf,
    /// Whether the guest may change it.
    pub writable: bool,
}

/// Pre-opened volume roots and the directory descriptors opened beneath them.
pub struct Volumes {
    roots: Vec<Arc<Fd>>,
    /// Per volume, whether the policy mounts it read-write.
    writable: Vec<bool>,
    dirs: Mutex<DirCache>,
}

impl Volumes {
    /// Open each host directory (before the filter is installed).
    pub fn open(dirs: &[HostDir]) -> std::io::Result<Volumes> {
        Volumes::with_cache(dirs, DIR_CACHE_ENTRIES, DIR_FD_TTL)
    }

    /// [`Volumes::open`] with a directory cache of `capacity` entries and time to live `ttl`.
    fn with_cache(dirs: &[HostDir], capacity: usize, ttl: Duration) -> std::io::Result<Volumes> {
        let mut roots = Vec::new();
        let writable = dirs.iter().map(|d| d.writable).collect();
        for HostDir { path: d, .. } in dirs {
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
        Ok(Volumes {
            roots,
            writable,
            dirs,
        })
    }

    /// The volume roots' descriptors (`O_PATH`), in volume order, each with whether it is
    /// writable: the hierarchies that Landlock allows reading, or reading and writing
    /// (`harden`).
    pub fn roots(&self) -> impl Iterator<Item = (BorrowedFd<'_>, bool)> {
        self.roots
            .iter()
            .zip(&self.writable)
            .map(|(fd, &writable)| (fd.as_fd(), writable))
    }

    /// Whether any volume is mounted read-write (the filter then allows the calls that
    /// change files: `Feature::HostVolumesWrite`).
    pub fn any_writable(&self) -> bool {
        self.writable.iter().any(|&w| w)
    }

    /// `Ok` if the policy mounts volume `vol` read-write, else `ReadOnly`.
    fn check_writable(&self, vol: u32) -> Result<(), Error> {
        match self.writable.get(vol as usize) {
            Some(true) => Ok(()),
            Some(false) => Err(Error::ReadOnly),
            None => Err(Error::Invalid),
        }
    }

    fn root(&self, vol: u32) -> Result<&Arc<Fd>, Error> {
        self.roots.get(vol as usize).ok_or(Error::Invalid)
    }

    /// In a forked child: start with an empty directory cache. The old entries are
    /// forgotten, not dropped: blocks they hold may belong to the parent (they were made
    /// while serving traps, from the kernel heap); their host descriptors stay open here.
    pub fn forget_cached_dirs(&self) {
        let mut cache = self.cache();
        let fresh = crate::kheap::private_heap(|| {
            DirCache::new(cache.by_volume.len(), cache.capacity, cache.ttl)
        });
        core::mem::forget(core::mem::replace(&mut *cache, fresh));
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

    /// The directory that holds `path` for a change: the volume must be writable, and
    /// `path` must name an entry (not the root).
    fn parent_for_change(&self, vol: u32, path: &[u8]) -> Result<(Arc<Fd>, Name), Error> {
        self.check_writable(vol)?;
        if path.is_empty() {
            // The root of a volume is a mount point in the guest: it cannot be replaced.
            return Err(Error::Busy);
        }
        self.parent_and_name(vol, path, Instant::now())
    }

    /// After a change of entry `path`: its parent's cached metadata is stale, and if
    /// `moved`, the descriptors of `path` and beneath it no longer name what they did.
    fn changed(&self, vol: u32, path: &[u8], moved: bool) {
        let mut cache = self.cache();
        if moved {
            cache.forget(vol as usize, path);
        } else {
            cache.touched(vol as usize, path);
        }
        cache.touched(vol as usize, split_last(path).0);
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
        let cached = self
            .cache()
            .get(vol as usize, path, now)
            .map(|entry| (entry.stat, Arc::clone(&entry.fd)));
        match cached {
            Some((Some(stat), _)) => return Ok(stat),
            Some((None, fd)) => {
                let stat = fstat(fd.as_raw_fd())?;
                let mut cache = self.cache();
                if let Some(entry) = cache
                    .by_volume
                    .get_mut(vol as usize)
                    .and_then(|m| m.get_mut(path).filter(|e| Arc::ptr_eq(&e.fd, &fd)))
                {
                    entry.stat = Some(stat);
                }
                return Ok(stat);
            }
            None => {}
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

    fn statfs(&self, vol: u32) -> Result<HostStatFs, Error> {
        let mut st = KernelStatFs::default();
        // SAFETY: fstatfs of an open descriptor (an `O_PATH` one works: fstatfs(2) needs no
        // access to the file) into an out buffer of the kernel's `struct statfs` layout.
        let r = unsafe {
            libc::syscall(
                libc::SYS_fstatfs,
                self.root(vol)?.as_raw_fd(),
                &mut st as *mut KernelStatFs,
            )
        };
        if r != 0 {
            return Err(last_error());
        }
        let mut flags = st.f_flags;
        if !self.writable.get(vol as usize).copied().unwrap_or(false) {
            flags |= libc::ST_RDONLY;
        }
        Ok(HostStatFs {
            fs_type: st.f_type,
            block_size: st.f_bsize,
            blocks: st.f_blocks,
            blocks_free: st.f_bfree,
            blocks_available: st.f_bavail,
            files: st.f_files,
            files_free: st.f_ffree,
            name_max: st.f_namelen,
            fragment_size: st.f_frsize,
            flags,
        })
    }

    fn open_write(&self, vol: u32, path: &[u8]) -> Result<HostFd, Error> {
        self.check_writable(vol)?;
        // Readable too where the host allows, since the guest's O_WRONLY and O_RDWR both end
        // here; a write-only file opens write-only (the shim refuses reads of such a file).
        let fd = match self.open_path(vol, path, libc::O_RDWR) {
            Err(Error::Access) => self.open_path(vol, path, libc::O_WRONLY)?,
            other => other?,
        };
        Ok(HostFd(fd.into_raw_fd()))
    }

    fn create(
        &self,
        vol: u32,
        path: &[u8],
        kind: HostNodeKind,
        mode: u32,
    ) -> Result<HostStat, Error> {
        let (dir, name) = self.parent_for_change(vol, path)?;
        let stat = match kind {
            HostNodeKind::File => {
                // O_EXCL: the entry must not exist, not even as a (dangling) link.
                let fd = open_beneath_mode(
                    dir.as_raw_fd(),
                    name.as_cstr(),
                    libc::O_CREAT | libc::O_EXCL | libc::O_RDONLY,
                    mode,
                )?;
                fstat(fd.as_raw_fd())
            }
            HostNodeKind::Dir => {
                // SAFETY: mkdirat of one NUL-terminated name in a directory we hold open.
                let r = unsafe {
                    libc::mkdirat(
                        dir.as_raw_fd(),
                        name.as_cstr().as_ptr(),
                        (mode & 0o7777) as libc::mode_t,
                    )
                };
                if r != 0 {
                    return Err(last_error());
                }
                stat_entry(dir.as_raw_fd(), &name)
            }
        };
        self.changed(vol, path, false);
        stat
    }

    fn symlink(&self, vol: u32, path: &[u8], target: &[u8]) -> Result<(), Error> {
        let (dir, name) = self.parent_for_change(vol, path)?;
        let target = CString::new(target).map_err(|_| Error::Invalid)?;
        // SAFETY: symlinkat with two NUL-terminated strings; the target is stored as text.
        let r =
            unsafe { libc::symlinkat(target.as_ptr(), dir.as_raw_fd(), name.as_cstr().as_ptr()) };
        if r != 0 {
            return Err(last_error());
        }
        self.changed(vol, path, false);
        Ok(())
    }

    fn link(&self, vol: u32, old: &[u8], new: &[u8]) -> Result<(), Error> {
        let (new_dir, new_name) = self.parent_for_change(vol, new)?;
        let (old_dir, old_name) = self.parent_for_change(vol, old)?;
        // SAFETY: linkat of two single names in directories we hold open. Flags 0: a link at
        // `old` is linked itself (no AT_SYMLINK_FOLLOW), and no AT_EMPTY_PATH (the filter
        // allows no other flags).
        let r = unsafe {
            libc::linkat(
                old_dir.as_raw_fd(),
                old_name.as_cstr().as_ptr(),
                new_dir.as_raw_fd(),
                new_name.as_cstr().as_ptr(),
                0,
            )
        };
        if r != 0 {
            return Err(last_error());
        }
        self.changed(vol, new, false);
        Ok(())
    }

    fn unlink(&self, vol: u32, path: &[u8], dir_only: bool) -> Result<(), Error> {
        let (dir, name) = self.parent_for_change(vol, path)?;
        let flags = if dir_only { libc::AT_REMOVEDIR } else { 0 };
        // SAFETY: unlinkat of one NUL-terminated name in a directory we hold open.
        let r = unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_cstr().as_ptr(), flags) };
        if r != 0 {
            return Err(last_error());
        }
        self.changed(vol, path, true);
        Ok(())
    }

    fn rename(&self, vol: u32, old: &[u8], new: &[u8], how: HostRename) -> Result<(), Error> {
        let (old_dir, old_name) = self.parent_for_change(vol, old)?;
        let (new_dir, new_name) = self.parent_for_change(vol, new)?;
        let flags = match how {
            HostRename::Replace => 0,
            HostRename::NoReplace => libc::RENAME_NOREPLACE,
            HostRename::Exchange => libc::RENAME_EXCHANGE,
        };
        // SAFETY: renameat2 of two single names in directories we hold open; it never
        // follows a link at either name.
        let r = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                old_dir.as_raw_fd(),
                old_name.as_cstr().as_ptr(),
                new_dir.as_raw_fd(),
                new_name.as_cstr().as_ptr(),
                flags,
            )
        };
        if r != 0 {
            return Err(last_error());
        }
        self.changed(vol, old, true);
        self.changed(vol, new, true);
        Ok(())
    }

    fn set_mode(&self, vol: u32, path: &[u8], mode: u32) -> Result<(), Error> {
        self.check_writable(vol)?;
        if path.is_empty() {
            // The root's own descriptor, by AT_EMPTY_PATH, would need another filter rule.
            return Err(Error::Busy);
        }
        let (dir, name) = self.parent_and_name(vol, path, Instant::now())?;
        // SAFETY: fchmodat2 (Linux 6.6) of one NUL-terminated name in a directory we hold
        // open; AT_SYMLINK_NOFOLLOW: a link there is not followed (chmod of a link itself is
        // EOPNOTSUPP).
        let r = unsafe {
            libc::syscall(
                libc::SYS_fchmodat2,
                dir.as_raw_fd(),
                name.as_cstr().as_ptr(),
                mode & 0o7777,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if r != 0 {
            return Err(last_error());
        }
        self.changed(vol, path, false);
        Ok(())
    }

    fn set_times(
        &self,
        vol: u32,
        path: &[u8],
        atime: Option<Nanos>,
        mtime: Option<Nanos>,
    ) -> Result<(), Error> {
        self.check_writable(vol)?;
        if path.is_empty() {
            return Err(Error::Busy);
        }
        let (dir, name) = self.parent_and_name(vol, path, Instant::now())?;
        let times = [timespec_or_omit(atime), timespec_or_omit(mtime)];
        // SAFETY: utimensat of one NUL-terminated name in a directory we hold open, with two
        // timespecs; AT_SYMLINK_NOFOLLOW: a link there is changed itself, not followed.
        let r = unsafe {
            libc::utimensat(
                dir.as_raw_fd(),
                name.as_cstr().as_ptr(),
                times.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if r != 0 {
            return Err(last_error());
        }
        self.changed(vol, path, false);
        Ok(())
    }

    fn truncate(&self, vol: u32, path: &[u8], len: u64) -> Result<(), Error> {
        self.check_writable(vol)?;
        let fd = self.open_path(vol, path, libc::O_WRONLY)?;
        self.truncate_fd(HostFd(fd.as_raw_fd()), len)
    }

    fn write_fd(&self, fd: HostFd, data: &[u8], pos: u64) -> Result<usize, Error> {
        let pos = libc::off_t::try_from(pos).map_err(|_| Error::Host(libc::EFBIG))?;
        // SAFETY: pwrite from a buffer we own, of its length.
        let n = unsafe { libc::pwrite64(fd.0, data.as_ptr().cast(), data.len(), pos) };
        if n < 0 {
            return Err(last_error());
        }
        Ok(n as usize)
    }

    fn truncate_fd(&self, fd: HostFd, len: u64) -> Result<(), Error> {
        let len = libc::off_t::try_from(len).map_err(|_| Error::Host(libc::EFBIG))?;
        // SAFETY: ftruncate takes no pointers.
        if unsafe { libc::ftruncate(fd.0, len) } != 0 {
            return Err(last_error());
        }
        Ok(())
    }

    fn set_mode_fd(&self, fd: HostFd, mode: u32) -> Result<(), Error> {
        // SAFETY: fchmod takes no pointers.
        if unsafe { libc::fchmod(fd.0, (mode & 0o7777) as libc::mode_t) } != 0 {
            return Err(last_error());
        }
        Ok(())
    }

    fn set_times_fd(
        &self,
        fd: HostFd,
        atime: Option<Nanos>,
        mtime: Option<Nanos>,
    ) -> Result<(), Error> {
        let times = [timespec_or_omit(atime), timespec_or_omit(mtime)];
        // SAFETY: futimens with two timespecs (utimensat(fd, NULL, times, 0)).
        if unsafe { libc::futimens(fd.0, times.as_ptr()) } != 0 {
            return Err(last_error());
        }
        Ok(())
    }

    fn sync_fd(&self, fd: HostFd) -> Result<(), Error> {
        // SAFETY: fsync takes no pointers.
        if unsafe { libc::fsync(fd.0) } != 0 {
            return Err(last_error());
        }
        Ok(())
    }

    fn allocate_fd(&self, fd: HostFd, keep_size: bool, offset: u64, len: u64) -> Result<(), Error> {
        let offset = libc::off_t::try_from(offset).map_err(|_| Error::Host(libc::EFBIG))?;
        let len = libc::off_t::try_from(len).map_err(|_| Error::Host(libc::EFBIG))?;
        let mode = if keep_size {
            libc::FALLOC_FL_KEEP_SIZE
        } else {
            0
        };
        // SAFETY: fallocate takes no pointers.
        if unsafe { libc::fallocate(fd.0, mode, offset, len) } != 0 {
            return Err(last_error());
        }
        Ok(())
    }
}

/// The x86-64 kernel's `struct statfs` (include/uapi/asm-generic/statfs.h with 64-bit
/// `__statfs_word`), whose `f_flags` the `libc` crate's `statfs` leaves out.
#[repr(C)]
#[derive(Default)]
struct KernelStatFs {
    f_type: u64,
    f_bsize: u64,
    f_blocks: u64,
    f_bfree: u64,
    f_bavail: u64,
    f_files: u64,
    f_ffree: u64,
    f_fsid: [i32; 2],
    f_namelen: u64,
    f_frsize: u64,
    f_flags: u64,
    f_spare: [u64; 4],
}

/// A time for utimensat(2), or `UTIME_OMIT` to leave it as is.
fn timespec_or_omit(t: Option<Nanos>) -> libc::timespec {
    match t {
        Some(t) => libc::timespec {
            tv_sec: (t.0 / 1_000_000_000) as libc::time_t,
            tv_nsec: (t.0 % 1_000_000_000) as libc::c_long,
        },
        None => libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_OMIT,
        },
    }
}

#[cfg(test)]
mod tests;
