//! The synthetic `/dev`: the memory character devices of Linux (`null`, `zero`, `full`,
//! `random`, `urandom`), the conventional symbolic links into `/proc/self/fd`, and the
//! `shm` and `pts` directories, built in a [`TmpFs`] so that the guest can add its own
//! entries (sockets, FIFOs) as on a real devtmpfs. The terminal is the shim's: it puts it
//! in with [`add_tty`].
//!
//! Device numbers are Linux's (Documentation/admin-guide/devices.txt, major 1 "memory
//! devices"), so programs that compare `st_rdev` see what they expect.
//!
//! Depends on `fs` ([`Node`], [`TmpFs`]), `error` and `time`.

use super::tmpfs::{Clock, TmpFs};
use super::{FileType, Metadata, Node, NodeRef};
use crate::error::{Error, Result};
use crate::time::Nanos;
use alloc::sync::Arc;
use core::any::Any;
use spin::Mutex;

/// Fills a buffer with random bytes (the platform's entropy source).
pub type Entropy = Arc<dyn Fn(&mut [u8]) + Send + Sync>;

/// Major number of Linux's memory devices.
const MEM_MAJOR: u64 = 1;
/// Permission bits of the memory devices (`crw-rw-rw-`).
const DEVICE_PERM: u32 = 0o666;
/// `st_blksize` the devices report.
const BLOCK_SIZE_BYTES: u64 = 4096;
/// Permission bits of `/dev/shm` (world-writable, sticky, as POSIX shared memory needs).
const SHM_PERM: u32 = 0o1777;
/// Permission bits of `/dev/pts`.
const PTS_PERM: u32 = 0o755;

/// A device number from major and minor, encoded as glibc's `makedev` (sys/sysmacros.h).
pub const fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xffff_f000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffff_ff00) << 12)
        | (minor & 0xff)
}

/// The memory devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DevKind {
    Null,
    Zero,
    Full,
    Random,
    Urandom,
}

impl DevKind {
    const ALL: [DevKind; 5] = [
        DevKind::Null,
        DevKind::Zero,
        DevKind::Full,
        DevKind::Random,
        DevKind::Urandom,
    ];

    fn name(self) -> &'static [u8] {
        match self {
            DevKind::Null => b"null",
            DevKind::Zero => b"zero",
            DevKind::Full => b"full",
            DevKind::Random => b"random",
            DevKind::Urandom => b"urandom",
        }
    }

    /// Minor number under [`MEM_MAJOR`] (devices.txt).
    fn minor(self) -> u64 {
        match self {
            DevKind::Null => 3,
            DevKind::Zero => 5,
            DevKind::Full => 7,
            DevKind::Random => 8,
            DevKind::Urandom => 9,
        }
    }
}

/// The changeable attributes of a device node.
struct DevAttrs {
    perm: u32,
    atime: Nanos,
    mtime: Nanos,
    ctime: Nanos,
}

/// One memory device.
struct DevNode {
    kind: DevKind,
    dev: u64,
    ino: u64,
    entropy: Entropy,
    clock: Clock,
    attrs: Mutex<DevAttrs>,
}

impl Node for DevNode {
    fn metadata(&self) -> Result<Metadata> {
        let attrs = self.attrs.lock();
        Ok(Metadata {
            dev: self.dev,
            ino: self.ino,
            mode: FileType::CharDevice.mode_bits() | attrs.perm,
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: makedev(MEM_MAJOR, self.kind.minor()),
            size: 0,
            blocks: 0,
            blksize: BLOCK_SIZE_BYTES,
            atime: attrs.atime,
            mtime: attrs.mtime,
            ctime: attrs.ctime,
        })
    }

    fn file_type(&self) -> FileType {
        FileType::CharDevice
    }

    fn maps_anonymous(&self) -> bool {
        self.kind == DevKind::Zero
    }

    fn read_at(&self, _pos: u64, buf: &mut [u8]) -> Result<usize> {
        match self.kind {
            DevKind::Null => Ok(0),
            DevKind::Zero | DevKind::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            DevKind::Random | DevKind::Urandom => {
                (self.entropy)(buf);
                Ok(buf.len())
            }
        }
    }

    fn write_at(&self, _pos: u64, data: &[u8]) -> Result<usize> {
        match self.kind {
            // full(4): "Writes to /dev/full fail with an ENOSPC error."
            DevKind::Full => Err(Error::NoSpace),
            // random(4): writes are mixed into the pool; here they are just accepted.
            DevKind::Null | DevKind::Zero | DevKind::Random | DevKind::Urandom => Ok(data.len()),
        }
    }

    /// Truncation of a character device is ignored (O_TRUNC on /dev/null succeeds).
    fn truncate(&self, _len: u64) -> Result<()> {
        Ok(())
    }

    fn set_mode(&self, mode: u32) -> Result<()> {
        let now = (self.clock)();
        let mut attrs = self.attrs.lock();
        attrs.perm = mode & 0o7777;
        attrs.ctime = now;
        Ok(())
    }

    fn set_times(&self, atime: Option<Nanos>, mtime: Option<Nanos>) -> Result<()> {
        let now = (self.clock)();
        let mut attrs = self.attrs.lock();
        if let Some(atime) = atime {
            attrs.atime = atime;
        }
        if let Some(mtime) = mtime {
            attrs.mtime = mtime;
        }
        attrs.ctime = now;
        Ok(())
    }

    fn open(self: Arc<Self>, _write: bool) -> Result<NodeRef> {
        Ok(self)
    }

    fn seekable(&self) -> bool {
        true
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Fill the root of `fs` as `/dev` and return it: the memory devices, the `stdin`,
/// `stdout`, `stderr` and `fd` links and the empty `shm` and `pts` directories. `fs` is
/// meant to be mounted at `/dev` (its own device number, like Linux's devtmpfs).
pub fn dev_dir(fs: &Arc<TmpFs>, entropy: Entropy) -> Result<NodeRef> {
    let root = fs.root();
    let now = fs.now();
    for kind in DevKind::ALL {
        let node: NodeRef = Arc::new(DevNode {
            kind,
            dev: fs.dev(),
            ino: fs.alloc_ino(),
            entropy: entropy.clone(),
            clock: fs.clock(),
            attrs: Mutex::new(DevAttrs {
                perm: DEVICE_PERM,
                atime: now,
                mtime: now,
                ctime: now,
            }),
        });
        TmpFs::attach(&root, kind.name(), node)?;
    }
    let links: [(&[u8], &[u8]); 4] = [
        (b"stdin", b"/proc/self/fd/0"),
        (b"stdout", b"/proc/self/fd/1"),
        (b"stderr", b"/proc/self/fd/2"),
        (b"fd", b"/proc/self/fd"),
    ];
    for (name, target) in links {
        root.symlink(name, target)?;
    }
    TmpFs::add_dir(&root, b"shm", SHM_PERM)?;
    TmpFs::add_dir(&root, b"pts", PTS_PERM)?;
    Ok(root)
}

/// Put the controlling-terminal node `node` into `/dev` directory `dir` as `tty`.
pub fn add_tty(dir: &NodeRef, node: NodeRef) -> Result<()> {
    TmpFs::attach(dir, b"tty", node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn dev() -> Result<(Arc<TmpFs>, NodeRef)> {
        let fs = TmpFs::new(makedev(0, 5), Arc::new(|| Nanos(1_000)));
        let dir = dev_dir(&fs, Arc::new(|buf: &mut [u8]| buf.fill(0xa5)))?;
        Ok((fs, dir))
    }

    #[test]
    fn makedev_matches_glibc() {
        assert_eq!(makedev(1, 3), 0x103);
        assert_eq!(makedev(1, 9), 0x109);
        assert_eq!(makedev(136, 0), 0x8800);
        // Large numbers use the high bits (glibc's __gnu_dev_makedev).
        assert_eq!(makedev(0x1234_5678, 0x9abc_def0), 0x1234_59ab_cde6_78f0);
        assert_eq!(makedev(0x1000, 0x100), (0x1000u64 << 32) | (0x100 << 12));
    }

    #[test]
    fn layout() -> Result<()> {
        let (fs, dir) = dev()?;
        let names: Vec<Vec<u8>> = dir.read_dir()?.into_iter().map(|e| e.name).collect();
        let expected: [&[u8]; 11] = [
            b"fd", b"full", b"null", b"pts", b"random", b"shm", b"stderr", b"stdin", b"stdout",
            b"urandom", b"zero",
        ];
        assert_eq!(
            names,
            expected.iter().map(|n| n.to_vec()).collect::<Vec<_>>()
        );
        assert_eq!(dir.lookup(b"stdin")?.read_link()?, b"/proc/self/fd/0");
        assert_eq!(dir.lookup(b"stdout")?.read_link()?, b"/proc/self/fd/1");
        assert_eq!(dir.lookup(b"stderr")?.read_link()?, b"/proc/self/fd/2");
        assert_eq!(dir.lookup(b"fd")?.read_link()?, b"/proc/self/fd");
        assert_eq!(dir.lookup(b"shm")?.metadata()?.mode, 0o041777);
        assert_eq!(dir.lookup(b"pts")?.metadata()?.mode, 0o040755);
        for (name, minor) in [
            (&b"null"[..], 3),
            (b"zero", 5),
            (b"full", 7),
            (b"random", 8),
            (b"urandom", 9),
        ] {
            let node = dir.lookup(name)?;
            let m = node.metadata()?;
            assert_eq!(node.file_type(), FileType::CharDevice);
            assert_eq!(
                (m.mode, m.rdev, m.dev),
                (0o020666, makedev(1, minor), fs.dev())
            );
            assert!(node.seekable());
        }
        Ok(())
    }

    #[test]
    fn device_io() -> Result<()> {
        let (_fs, dir) = dev()?;
        let mut buf = [7u8; 16];
        let null = dir.lookup(b"null")?.open(true)?;
        assert_eq!(null.read_at(0, &mut buf)?, 0);
        assert_eq!(null.write_at(0, b"gone")?, 4);
        let zero = dir.lookup(b"zero")?;
        assert_eq!(zero.read_at(99, &mut buf)?, 16);
        assert_eq!(buf, [0u8; 16]);
        assert_eq!(zero.write_at(0, b"x")?, 1);
        let full = dir.lookup(b"full")?;
        buf.fill(7);
        assert_eq!(full.read_at(0, &mut buf)?, 16);
        assert_eq!(buf, [0u8; 16]);
        assert_eq!(full.write_at(0, b"x").err(), Some(Error::NoSpace));
        for name in [&b"random"[..], b"urandom"] {
            let random = dir.lookup(name)?;
            assert_eq!(random.read_at(0, &mut buf)?, 16);
            assert_eq!(buf, [0xa5u8; 16]);
            assert_eq!(random.write_at(0, b"seed")?, 4);
        }
        null.set_mode(0o600)?;
        assert_eq!(null.metadata()?.mode, 0o020600);
        Ok(())
    }

    #[test]
    fn tty_and_guest_entries() -> Result<()> {
        let (fs, dir) = dev()?;
        let other = TmpFs::new(1, Arc::new(|| Nanos(0)));
        let tty = dev_dir(&other, Arc::new(|_: &mut [u8]| {}))?.lookup(b"null")?;
        add_tty(&dir, tty.clone())?;
        assert!(Arc::ptr_eq(&dir.lookup(b"tty")?, &tty));
        assert_eq!(add_tty(&dir, tty).err(), Some(Error::Exists));
        // The guest can create and remove its own entries; devices can be unlinked.
        dir.lookup(b"shm")?
            .create(b"sem.x", FileType::Regular, 0o600)?;
        dir.unlink(b"full", false)?;
        assert_eq!(dir.lookup(b"full").err(), Some(Error::NotFound));
        assert_eq!(fs.root().lookup(b"null")?.file_type(), FileType::CharDevice);
        Ok(())
    }
}
