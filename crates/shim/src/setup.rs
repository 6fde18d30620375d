//! Building a sandbox: the filesystem of the policy, stdio, /proc, and the first program.

use crate::loader::LoadError;
use crate::{Config, Kernel, LinuxPlatform};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use meridian_abi::CpuContext;
use meridian_core::Error;
use meridian_core::budget::BudgetRef;
use meridian_core::file::{FdEntry, OpenFile};
use meridian_core::fs::image::SharedImage;
use meridian_core::fs::tmpfs::{Clock, TmpFs, TmpFsOptions};
use meridian_core::fs::vfs::Vfs;
use meridian_core::fs::{FileType, Metadata, Node, NodeRef};
use meridian_core::platform::{HostFd, HostIo, Readiness};
use meridian_core::time::ClockKind;

/// A host stream the guest uses as a descriptor (its stdin, stdout, stderr).
pub struct StdioNode {
    fd: HostFd,
    io: &'static dyn HostIo,
    /// Looked up once: `file_type` is asked on every read and write.
    file_type: FileType,
}

impl StdioNode {
    /// A node for host descriptor `fd`.
    pub fn new(fd: HostFd, io: &'static dyn HostIo) -> Arc<StdioNode> {
        let file_type = io
            .host_stat(fd)
            .ok()
            .and_then(|s| FileType::from_mode(s.mode))
            .unwrap_or(FileType::CharDevice);
        Arc::new(StdioNode { fd, io, file_type })
    }
}

impl Node for StdioNode {
    fn metadata(&self) -> meridian_core::error::Result<Metadata> {
        let s = self.io.host_stat(self.fd)?;
        Ok(Metadata {
            dev: s.dev,
            ino: s.ino,
            mode: s.mode,
            nlink: s.nlink,
            uid: 0,
            gid: 0,
            rdev: s.rdev,
            size: s.size,
            blocks: s.blocks,
            blksize: s.blksize,
            atime: s.atime,
            mtime: s.mtime,
            ctime: s.ctime,
        })
    }
    fn file_type(&self) -> FileType {
        self.file_type
    }
    fn read_at(&self, _pos: u64, buf: &mut [u8]) -> meridian_core::error::Result<usize> {
        self.io.host_read(self.fd, buf, None).map_err(interrupted)
    }
    fn write_at(&self, _pos: u64, data: &[u8]) -> meridian_core::error::Result<usize> {
        self.io.host_write(self.fd, data, None).map_err(|e| {
            if e == Error::BrokenPipe || e == Error::Host(32) {
                Error::BrokenPipe
            } else {
                interrupted(e)
            }
        })
    }
    fn open(self: Arc<Self>, _write: bool) -> meridian_core::error::Result<NodeRef> {
        Ok(self)
    }
    fn readiness(&self) -> Readiness {
        Readiness {
            readable: true,
            writable: true,
            hangup: false,
            error: false,
        }
    }
    fn seekable(&self) -> bool {
        false
    }
    fn host_fd(&self) -> Option<HostFd> {
        Some(self.fd)
    }
    fn anon_name(&self) -> Option<Vec<u8>> {
        Some(alloc::format!("/dev/fd/{}", self.fd.0).into_bytes())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn interrupted(e: Error) -> Error {
    const EINTR: i32 = 4;
    if e == Error::Host(EINTR) {
        Error::Interrupted
    } else {
        e
    }
}

/// One mount of the sandbox.
#[derive(Clone, Debug)]
pub enum MountSpec {
    /// A host volume (already opened by the platform as volume `vol`).
    Host {
        /// Guest path.
        guest: Vec<u8>,
        /// Volume index.
        vol: u32,
        /// Read-only.
        read_only: bool,
    },
    /// A symbolic link in the root (e.g. `/bin -> usr/bin`, as on the host).
    Symlink {
        /// Guest path.
        guest: Vec<u8>,
        /// Target.
        target: Vec<u8>,
    },
    /// An in-memory directory.
    Tmpfs {
        /// Guest path.
        guest: Vec<u8>,
        /// Most bytes of file data (tmpfs(5) `size=`); `None`: no limit.
        size_bytes: Option<u64>,
        /// Most inodes (tmpfs(5) `nr_inodes=`); `None`: no limit.
        inodes: Option<u64>,
    },
    /// A read-only image (e.g. a tar archive read by the CLI). At `/` it replaces the
    /// default root, and must then come first.
    Image {
        /// Guest path.
        guest: Vec<u8>,
        /// The image.
        image: SharedImage,
    },
    /// A writable in-memory overlay over a read-only lower; what is written lives in memory
    /// and the lower is never changed. At `/` it replaces the default root, and must then
    /// come first (`--rootfs`).
    Overlay {
        /// Guest path.
        guest: Vec<u8>,
        /// What is under it.
        lower: LowerSpec,
    },
}

impl MountSpec {
    /// The guest path.
    pub fn guest(&self) -> &[u8] {
        match self {
            MountSpec::Host { guest, .. }
            | MountSpec::Symlink { guest, .. }
            | MountSpec::Tmpfs { guest, .. }
            | MountSpec::Image { guest, .. }
            | MountSpec::Overlay { guest, .. } => guest,
        }
    }
}

/// The read-only lower of an overlay.
#[derive(Clone, Debug)]
pub enum LowerSpec {
    /// An image.
    Image(SharedImage),
    /// A host volume (already opened by the platform as volume `vol`).
    Host {
        /// Volume index.
        vol: u32,
    },
}

/// Everything needed to start a sandbox.
#[derive(Clone, Debug, Default)]
pub struct BootSpec {
    /// Mounts, in order.
    pub mounts: Vec<MountSpec>,
    /// Files of the synthetic /etc: (name, contents).
    pub etc: Vec<(Vec<u8>, Vec<u8>)>,
    /// Program as given (looked up on PATH when it has no `/`).
    pub program: Vec<u8>,
    /// argv (argv[0] included).
    pub argv: Vec<Vec<u8>>,
    /// Environment.
    pub envp: Vec<Vec<u8>>,
    /// Working directory.
    pub workdir: Vec<u8>,
    /// /proc/cpuinfo and /proc/meminfo contents.
    pub cpuinfo: Vec<u8>,
    /// See `cpuinfo`.
    pub meminfo: Vec<u8>,
}

/// Why a sandbox could not be started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BootError {
    /// Building the filesystem failed at this path.
    Filesystem(Vec<u8>, Error),
    /// The working directory does not exist in the sandbox.
    Workdir(Vec<u8>),
    /// The program could not be loaded.
    Load(LoadError),
}

/// Build the kernel and load the first program; returns the kernel and the main thread's
/// registers. The caller installs the kernel as the platform's trap handler.
pub fn boot<P: LinuxPlatform>(
    p: &'static P,
    config: Config,
    spec: &BootSpec,
) -> Result<(Arc<Kernel<P>>, CpuContext), BootError> {
    let fs_err = |path: &[u8]| {
        let path = path.to_vec();
        move |e: Error| BootError::Filesystem(path, e)
    };
    let clock: Clock = Arc::new(move || p.now(ClockKind::Realtime));
    let budget = crate::memory_budget(&config);
    let mut devs = FIRST_IMAGE_DEV..;
    let (vfs, rest) = match spec.mounts.split_first() {
        Some((first, rest)) if first.guest() == b"/" => {
            let (root, read_only) =
                build_mount(p, &clock, &budget, &mut devs, first).map_err(fs_err(b"/"))?;
            let vfs = Vfs::new(root.clone());
            if read_only {
                vfs.mount(b"/", root.clone(), true).map_err(fs_err(b"/"))?;
            }
            // The synthetic /etc only when the image brings none.
            if let Err(Error::NotFound) = root.lookup(b"etc") {
                let etc = TmpFs::add_dir(&root, b"etc", 0o755).map_err(fs_err(b"/etc"))?;
                add_etc(&etc, spec).map_err(fs_err(b"/etc"))?;
            }
            (vfs, rest)
        }
        _ => (
            default_root(&clock, &budget, spec).map_err(fs_err(b"/"))?,
            &spec.mounts[..],
        ),
    };
    for m in rest {
        let guest = m.guest();
        match m {
            MountSpec::Symlink { guest, target } => {
                let (dir, name) = vfs.resolve_parent(b"/", guest).map_err(fs_err(guest))?;
                TmpFs::add_symlink(&dir.node, &name, target).map_err(fs_err(guest))?;
            }
            _ if guest == b"/" => {
                return Err(BootError::Filesystem(guest.to_vec(), Error::Invalid));
            }
            _ => {
                let (node, read_only) =
                    build_mount(p, &clock, &budget, &mut devs, m).map_err(fs_err(guest))?;
                vfs.mount(guest, node, read_only).map_err(fs_err(guest))?;
            }
        }
    }
    // /dev is writable (its /dev/shm holds POSIX shared memory): charged like /tmp.
    let devfs = TmpFs::with_options(2, clock.clone(), 0o755, charged(&budget, None, None));
    let entropy: meridian_core::fs::dev::Entropy = Arc::new(move |b: &mut [u8]| p.fill_random(b));
    let dev = meridian_core::fs::dev::dev_dir(&devfs, entropy).map_err(fs_err(b"/dev"))?;
    if p.host_term(
        HostFd(0),
        meridian_core::platform::TermQuery::WindowSize,
        &mut [0u8; 8],
    )
    .is_ok()
    {
        meridian_core::fs::dev::add_tty(&dev, StdioNode::new(HostFd(0), p))
            .map_err(fs_err(b"/dev/tty"))?;
    }
    vfs.mount(b"/dev", dev, false).map_err(fs_err(b"/dev"))?;

    let kernel = Arc::new(Kernel::new(p, vfs, config, budget));
    let current = crate::CurrentKernel::new(p);
    current.set(kernel.clone());
    kernel.proc.set_kernel(&kernel);
    let procfs = TmpFs::new(meridian_core::fs::synthetic::PROC_DEV, clock);
    let proc_root =
        crate::procfs::build(&procfs, current, spec.cpuinfo.clone(), spec.meminfo.clone())
            .map_err(fs_err(b"/proc"))?;
    kernel
        .vfs
        .mount(b"/proc", proc_root, true)
        .map_err(fs_err(b"/proc"))?;

    install_stdio(&kernel, p).map_err(fs_err(b"stdio"))?;
    let wd = kernel
        .vfs
        .resolve(b"/", &spec.workdir, true)
        .map_err(|_| BootError::Workdir(spec.workdir.clone()))?;
    if wd.node.file_type() != FileType::Directory {
        return Err(BootError::Workdir(spec.workdir.clone()));
    }
    *kernel.cwd.lock() = wd.path;
    let path_var = spec
        .envp
        .iter()
        .find_map(|e| e.strip_prefix(b"PATH="))
        .unwrap_or(b"/usr/local/bin:/usr/bin:/bin");
    let (node, path) = kernel
        .find_program(&spec.program, path_var)
        .map_err(BootError::Load)?;
    let _main = kernel.new_thread(0);
    let ctx = kernel
        .load_program(node, path, spec.argv.clone(), spec.envp.clone())
        .map_err(BootError::Load)?;
    Ok((kernel, ctx))
}

/// Device numbers of image, overlay and overlay-upper filesystems start here (1-3 are the
/// default root, /dev and tmpfs mounts; /proc has its own).
const FIRST_IMAGE_DEV: u64 = 32;

/// The default root of DESIGN §5: an in-memory skeleton with the synthetic /etc; its /tmp,
/// /root and /run are directories of it, so the budget bounds them together.
fn default_root(clock: &Clock, budget: &BudgetRef, spec: &BootSpec) -> Result<Vfs, Error> {
    let rootfs = TmpFs::with_options(1, clock.clone(), 0o755, charged(budget, None, None));
    let root = rootfs.root();
    for d in [
        &b"tmp"[..],
        b"root",
        b"run",
        b"etc",
        b"home",
        b"var",
        b"dev",
        b"proc",
    ] {
        TmpFs::add_dir(&root, d, if d == b"tmp" { 0o1777 } else { 0o755 })?;
    }
    add_etc(&root.lookup(b"etc")?, spec)?;
    Ok(Vfs::new(root))
}

fn add_etc(etc: &NodeRef, spec: &BootSpec) -> Result<(), Error> {
    for (name, data) in &spec.etc {
        TmpFs::add_file(etc, name, data, 0o644)?;
    }
    Ok(())
}

/// Options of an in-memory filesystem the guest writes to: its own limits, and the budget.
fn charged(budget: &BudgetRef, size_bytes: Option<u64>, inodes: Option<u64>) -> TmpFsOptions {
    TmpFsOptions {
        size_bytes,
        inodes,
        budget: Some(budget.clone()),
    }
}

/// Build an image from its tree into a fresh in-memory filesystem (not charged: its data
/// is the policy's, read-only, not the guest's).
fn build_image(
    clock: &Clock,
    devs: &mut core::ops::RangeFrom<u64>,
    image: &SharedImage,
) -> Result<NodeRef, Error> {
    let fs = TmpFs::new(devs.next().ok_or(Error::Overflow)?, clock.clone());
    image.take()?.build(&fs)
}

/// The root node of mount `m` (not a symbolic link) and whether it is read-only.
fn build_mount<P: LinuxPlatform>(
    p: &'static P,
    clock: &Clock,
    budget: &BudgetRef,
    devs: &mut core::ops::RangeFrom<u64>,
    m: &MountSpec,
) -> Result<(NodeRef, bool), Error> {
    Ok(match m {
        MountSpec::Host { vol, read_only, .. } => {
            (meridian_core::fs::hostfs::volume_root(p, *vol)?, *read_only)
        }
        MountSpec::Tmpfs {
            size_bytes, inodes, ..
        } => (
            TmpFs::with_options(
                3,
                clock.clone(),
                0o1777,
                charged(budget, *size_bytes, *inodes),
            )
            .root(),
            false,
        ),
        MountSpec::Image { image, .. } => (build_image(clock, devs, image)?, true),
        MountSpec::Overlay { lower, .. } => {
            let lower = match lower {
                LowerSpec::Image(image) => build_image(clock, devs, image)?,
                LowerSpec::Host { vol } => meridian_core::fs::hostfs::volume_root(p, *vol)?,
            };
            let upper = TmpFs::with_options(
                devs.next().ok_or(Error::Overflow)?,
                clock.clone(),
                0o755,
                charged(budget, None, None),
            );
            let dev = devs.next().ok_or(Error::Overflow)?;
            (
                meridian_core::fs::overlay::overlay(dev, upper, lower)?,
                false,
            )
        }
        MountSpec::Symlink { .. } => return Err(Error::Invalid),
    })
}

/// Give `kernel` the host's stdio as its descriptors 0, 1 and 2.
pub fn install_stdio<P: LinuxPlatform>(kernel: &Kernel<P>, p: &'static P) -> Result<(), Error> {
    let mut fds = kernel.fds.lock();
    for fd in 0..3 {
        let (r, w) = (fd == 0, fd != 0);
        let file = OpenFile::new(
            StdioNode::new(HostFd(fd), p),
            Vec::new(),
            r,
            w,
            if w { 1 } else { 0 },
        );
        fds.insert_at(
            fd as u32,
            FdEntry {
                file,
                cloexec: false,
            },
        )?;
    }
    Ok(())
}

/// A kernel over an in-memory root holding only `/tmp`, with stdio and one thread, and no
/// program loaded: what unit tests and fuzz targets drive through the dispatch table.
pub fn minimal<P: LinuxPlatform>(p: &'static P) -> Result<(Kernel<P>, Arc<crate::Thread>), Error> {
    let config = Config::default();
    let budget = crate::memory_budget(&config);
    let fs = TmpFs::with_options(
        1,
        Arc::new(move || p.now(ClockKind::Realtime)),
        0o755,
        charged(&budget, None, None),
    );
    let root = fs.root();
    TmpFs::add_dir(&root, b"tmp", 0o1777)?;
    let kernel = Kernel::new(p, Vfs::new(root), config, budget);
    install_stdio(&kernel, p)?;
    let thread = kernel.new_thread(0);
    Ok((kernel, thread))
}
