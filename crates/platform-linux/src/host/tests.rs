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
        self.volumes_rw(capacity, ttl, false)
    }

    fn volumes_rw(
        &self,
        capacity: usize,
        ttl: Duration,
        writable: bool,
    ) -> std::io::Result<Volumes> {
        let dir = HostDir {
            path: self.vol(),
            writable,
        };
        Volumes::with_cache(&[dir], capacity, ttl)
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

fn mode_of(path: &std::path::Path) -> std::io::Result<u32> {
    Ok(std::os::unix::fs::PermissionsExt::mode(
        &std::fs::symlink_metadata(path)?.permissions(),
    ))
}

/// A read-write volume: every change lands on the host, with the mode asked for, and the
/// directory cache follows the guest's own renames and removals.
#[test]
fn writes_reach_the_host() -> Result<(), Fail> {
    let scratch = Scratch::new()?;
    let vol = scratch.vol();
    let v = scratch.volumes_rw(DIR_CACHE_ENTRIES, DIR_FD_TTL, true)?;
    // SAFETY: umask takes no pointers; the test process's umask would mask the modes
    // asked for, as the runner's would (LinuxPlatform::new sets it to 0).
    let old_umask = unsafe { libc::umask(0) };
    let made = v.create(0, b"a/new", HostNodeKind::File, 0o640)?;
    assert_eq!(made.mode, libc::S_IFREG | 0o640);
    assert_eq!(
        v.create(0, b"a/new", HostNodeKind::File, 0o640),
        Err(Error::Exists)
    );
    // O_EXCL: a dangling link is not followed to create its target.
    assert_eq!(
        v.create(0, b"evil", HostNodeKind::File, 0o600),
        Err(Error::Exists)
    );
    let fd = v.open_write(0, b"a/new")?;
    assert_eq!(v.write_fd(fd, b"hello world", 0)?, 11);
    v.truncate_fd(fd, 5)?;
    v.set_mode_fd(fd, 0o604)?;
    v.sync_fd(fd)?;
    assert_eq!(read_all(fd)?, b"hello");
    assert_eq!(std::fs::read(vol.join("a/new"))?, b"hello");
    assert_eq!(mode_of(&vol.join("a/new"))? & 0o7777, 0o604);
    // Stat `a` (cached) before and after a change in it: the new link count shows.
    assert_eq!(v.stat(0, b"a")?.nlink, 3);
    v.create(0, b"a/d", HostNodeKind::Dir, 0o750)?;
    assert_eq!(v.stat(0, b"a")?.nlink, 4);
    assert_eq!(mode_of(&vol.join("a/d"))? & 0o7777, 0o750);
    v.symlink(0, b"a/d/s", b"../../../outside/secret")?;
    assert_eq!(
        std::fs::read_link(vol.join("a/d/s"))?,
        PathBuf::from("../../../outside/secret")
    );
    v.link(0, b"a/new", b"a/d/hard")?;
    assert_eq!(v.stat(0, b"a/new")?.nlink, 2);
    v.set_mode(0, b"a/d", 0o700)?;
    assert_eq!(v.stat(0, b"a/d")?.mode & 0o7777, 0o700);
    v.set_times(0, b"a/new", Some(Nanos::from_parts(1_000_000_000, 5)), None)?;
    let atime = std::os::unix::fs::MetadataExt::atime(&std::fs::metadata(vol.join("a/new"))?);
    assert_eq!(atime, 1_000_000_000);
    v.truncate(0, b"a/d/hard", 2)?;
    assert_eq!(std::fs::read(vol.join("a/new"))?, b"he");
    // Rename a cached directory: the old name is gone, the new one reaches the same files.
    assert_eq!(v.stat(0, b"a/d/hard")?.size, 2);
    v.rename(0, b"a/d", b"moved", HostRename::Replace)?;
    assert_eq!(v.stat(0, b"a/d/hard"), Err(Error::NotFound));
    assert_eq!(v.stat(0, b"moved/hard")?.size, 2);
    assert_eq!(
        v.rename(0, b"moved", b"a", HostRename::NoReplace),
        Err(Error::Exists)
    );
    v.rename(0, b"moved", b"a", HostRename::Exchange)?;
    assert_eq!(v.stat(0, b"a/hard")?.size, 2);
    assert_eq!(v.stat(0, b"moved/b/file")?.size, 4);
    // Removing a cached directory: gone at once, not after the TTL.
    v.unlink(0, b"a/hard", false)?;
    v.unlink(0, b"a/s", false)?;
    assert_eq!(v.unlink(0, b"moved", true), Err(Error::NotEmpty));
    v.unlink(0, b"a", true)?;
    assert_eq!(v.stat(0, b"a"), Err(Error::NotFound));
    assert!(!vol.join("a").exists());
    // The link's target outside was never touched.
    assert_eq!(
        std::fs::read(scratch.top.join("outside/secret"))?,
        b"host secret"
    );
    let fs = v.statfs(0)?;
    assert!(fs.blocks > 0 && fs.name_max == 255, "{fs:?}");
    // SAFETY: as above.
    unsafe { libc::umask(old_umask) };
    Ok(())
}

/// Changes never follow a link planted in the volume, and a read-only volume refuses
/// every change before asking the host.
#[test]
fn changes_stay_beneath_the_volume() -> Result<(), Fail> {
    let scratch = Scratch::new()?;
    let secret = scratch.top.join("outside/secret");
    let secret_mode = mode_of(&secret)?;
    let v = scratch.volumes_rw(DIR_CACHE_ENTRIES, DIR_FD_TTL, true)?;
    // `out` → ../outside, `a/esc` → ../../outside/secret, `evil` → /etc.
    for path in [&b"out/new"[..], b"evil/new", b"up/new"] {
        let refused = v.create(0, path, HostNodeKind::File, 0o644).err();
        assert!(
            matches!(refused, Some(Error::NotDir | Error::Loop)),
            "{path:?}: {refused:?}"
        );
    }
    assert_eq!(v.open_write(0, b"a/esc").err(), Some(Error::Loop));
    assert!(v.truncate(0, b"a/esc", 0).is_err());
    // chmod and utimes of the link itself, never of its target.
    assert!(v.set_mode(0, b"a/esc", 0o777).is_err());
    v.set_times(0, b"a/esc", Some(Nanos::from_parts(1, 0)), None)?;
    // A hard link to the link, not to its target.
    v.link(0, b"a/esc", b"hard")?;
    assert!(
        std::fs::symlink_metadata(scratch.vol().join("hard"))?
            .file_type()
            .is_symlink()
    );
    v.rename(0, b"a/esc", b"a/esc2", HostRename::Replace)?;
    v.unlink(0, b"a/esc2", false)?;
    for path in [&b"../outside/secret"[..], b"/etc/passwd"] {
        assert!(v.unlink(0, path, false).is_err(), "{path:?}");
        assert!(v.rename(0, b"a/b/file", path, HostRename::Replace).is_err());
    }
    assert_eq!(std::fs::read(&secret)?, b"host secret");
    assert_eq!(mode_of(&secret)?, secret_mode);
    // The root itself cannot be replaced or removed.
    assert_eq!(v.unlink(0, b"", true), Err(Error::Busy));
    // Read-only: refused whatever the path.
    let ro = scratch.volumes_rw(DIR_CACHE_ENTRIES, DIR_FD_TTL, false)?;
    assert_eq!(ro.open_write(0, b"a/b/file").err(), Some(Error::ReadOnly));
    assert_eq!(
        ro.create(0, b"n", HostNodeKind::File, 0o644),
        Err(Error::ReadOnly)
    );
    assert_eq!(
        ro.create(0, b"n", HostNodeKind::Dir, 0o755),
        Err(Error::ReadOnly)
    );
    assert_eq!(ro.symlink(0, b"n", b"t"), Err(Error::ReadOnly));
    assert_eq!(ro.link(0, b"a/b/file", b"n"), Err(Error::ReadOnly));
    assert_eq!(ro.unlink(0, b"a/b/file", false), Err(Error::ReadOnly));
    assert_eq!(
        ro.rename(0, b"a", b"n", HostRename::Replace),
        Err(Error::ReadOnly)
    );
    assert_eq!(ro.set_mode(0, b"a", 0o777), Err(Error::ReadOnly));
    assert_eq!(ro.set_times(0, b"a", None, None), Err(Error::ReadOnly));
    assert_eq!(ro.truncate(0, b"a/b/file", 0), Err(Error::ReadOnly));
    assert_eq!(ro.statfs(0)?.flags & libc::ST_RDONLY, libc::ST_RDONLY);
    assert_eq!(std::fs::read(scratch.vol().join("a/b/file"))?, b"data");
    Ok(())
}
