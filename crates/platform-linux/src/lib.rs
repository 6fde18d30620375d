//! Meridian's platform for a Linux host, in-process: the guest runs in the runner's own
//! process and threads, and every guest system call reaches the shim through seccomp.
//!
//! Start-up order ([`LinuxPlatform::new`], then [`LinuxPlatform::lock_down`], then
//! [`LinuxPlatform::run`]): close inherited descriptors, check the CPU, reserve the guest
//! address range, harden the process while it has one thread (no_new_privs, no core dumps,
//! namespaces: [`harden`]), fork into the pid namespace leaving a supervisor outside
//! ([`supervisor`]), then, in the child, the filesystem jail, fill the descriptor slots
//! below the floor ([`fd_floor`]), open host volume roots, Landlock; then, once the shim has
//! loaded the guest, install the signal handlers and the main thread's signal stack, install
//! the filter, and jump to the guest. This crate is the only one with host system calls and
//! nearly all of Meridian's `unsafe`; each block says why it is sound.
//! It uses `libc` rather than `rustix` because most of what it needs (signal handlers with
//! a custom entry, sigaltstack, seccomp, raw clone-free thread entry) is outside rustix.

pub mod bpf;
pub mod fatal;
pub mod fd_floor;
pub mod filter;
pub mod fpu;
pub mod harden;
pub mod host;
pub mod intercept;
pub mod kheap;
pub mod limits;

/// Unit tests allocate as the runner does (kheap's tests switch heaps).
#[cfg(test)]
#[global_allocator]
static TEST_ALLOCATOR: kheap::KernelHeapAlloc = kheap::KernelHeapAlloc;
pub mod shared_heap;
pub mod supervisor;
mod threads;
pub mod usercopy;

use meridian_abi::CpuContext;
use meridian_core::Error;
use meridian_core::platform::{
    HostFd, HostIo, HostStat, HostVolumes, Platform, Prot, Readiness, TermQuery, TrapHandler,
    WaitOutcome,
};
use meridian_core::time::{ClockKind, Nanos};
use std::sync::atomic::{AtomicU32, Ordering};

/// Lowest guest address (`vm.mmap_min_addr` is 64 KiB on Debian).
pub const GUEST_LOW: u64 = 0x1_0000;
/// End of the guest range: the low 64 TiB of the 128 TiB user address space. The runner's
/// static-pie image, heap and stacks live above it.
pub const GUEST_HIGH: u64 = 0x4000_0000_0000;

/// Start-up failures, each with what to do.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The CPU or kernel lacks FSGSBASE.
    #[error(
        "this CPU or kernel does not allow the FSGSBASE instructions (Linux 5.9+ on a CPU with FSGSBASE is required)"
    )]
    NoFsGsBase,
    /// Something of the runner already occupies the guest range.
    #[error(
        "the runner's own memory overlaps the guest range {GUEST_LOW:#x}-{GUEST_HIGH:#x}; run with address-space randomisation left on"
    )]
    RangeBusy,
    /// The hard `RLIMIT_AS` is below what Meridian reserves at start.
    #[error(
        "the address-space limit (RLIMIT_AS, `ulimit -v`) is {hard} bytes, and Meridian reserves {need} bytes of address space at start: 64 TiB for the guest's range and 512 GiB for its kernel heap, reserved but not allocated (they use no memory until the guest does); raise the hard limit (`prlimit --as=SOFT:unlimited meridian ...`): the guest gets the soft limit as its own RLIMIT_AS, which Meridian enforces, as does `--limit memory=SIZE`"
    )]
    AddressSpaceLimit {
        /// The hard limit, bytes.
        hard: u64,
        /// What Meridian needs, bytes ([`limits::reserved_address_space`]).
        need: u64,
    },
    /// A host call failed.
    #[error("{what}: {source}")]
    Host {
        /// What was being done.
        what: &'static str,
        /// The host error.
        source: std::io::Error,
    },
    /// The filter could not be built.
    #[error("building the seccomp filter: {0}")]
    Filter(#[from] bpf::AsmError),
    /// Hardening was asked for after other threads had started: they would escape the
    /// namespaces and Landlock.
    #[error(
        "the runner already has {threads} threads before hardening, which must run while it has one (a bug in Meridian: report it)"
    )]
    Threaded {
        /// Threads the process had.
        threads: usize,
    },
}

fn host_err(what: &'static str) -> impl FnOnce(std::io::Error) -> SetupError {
    move |source| SetupError::Host { what, source }
}

/// The Linux host platform.
pub struct LinuxPlatform {
    volumes: Option<host::Volumes>,
    text: (u64, u64),
    vdso: Option<(u64, u64)>,
    cpus: u32,
    /// The runner's process id, read once: the filter allows no getpid.
    pid: u32,
    /// Each clock's resolution, read once: the filter allows no clock_getres.
    resolutions: [Nanos; CLOCK_KINDS.len()],
    /// Whether guest mappings may be writable and executable at once (policy `jit`).
    jit: bool,
    /// The library OS instance of this process (each process has its own copy of the
    /// platform value).
    slot: meridian_core::platform::ProcessSlot,
}

/// Every [`ClockKind`], in the order of [`LinuxPlatform::resolutions`].
const CLOCK_KINDS: [ClockKind; 5] = [
    ClockKind::Realtime,
    ClockKind::Monotonic,
    ClockKind::ProcessCpu,
    ClockKind::ThreadCpu,
    ClockKind::Boottime,
];

/// The runner's process id, set by [`LinuxPlatform::new`] (kicks name it in tgkill).
pub(crate) static HOST_PID: AtomicU32 = AtomicU32::new(0);

/// Whether the one-line note about refused writable+executable mappings was printed.
static WX_REPORTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn own_text() -> (u64, u64) {
    // SAFETY: getauxval has no preconditions.
    let (phdr, phnum) = unsafe {
        (
            libc::getauxval(libc::AT_PHDR),
            libc::getauxval(libc::AT_PHNUM),
        )
    };
    // SAFETY: AT_PHDR points at this executable's program headers, AT_PHNUM of them.
    let phdrs =
        unsafe { core::slice::from_raw_parts(phdr as *const libc::Elf64_Phdr, phnum as usize) };
    let bias = phdrs
        .iter()
        .find(|p| p.p_type == libc::PT_PHDR)
        .map_or(0, |p| phdr - p.p_vaddr);
    let mut lo = u64::MAX;
    let mut hi = 0;
    for p in phdrs
        .iter()
        .filter(|p| p.p_type == libc::PT_LOAD && p.p_flags & libc::PF_X != 0)
    {
        lo = lo.min(bias + p.p_vaddr);
        hi = hi.max(bias + p.p_vaddr + p.p_memsz);
    }
    (lo & !0xfff, hi.next_multiple_of(0x1000))
}

fn vdso_text() -> Option<(u64, u64)> {
    // SAFETY: getauxval has no preconditions.
    let base = unsafe { libc::getauxval(libc::AT_SYSINFO_EHDR) };
    if base == 0 {
        return None;
    }
    // SAFETY: the vDSO is a mapped ELF image; its header and program headers are readable.
    unsafe {
        let eh = &*(base as *const libc::Elf64_Ehdr);
        let ph = core::slice::from_raw_parts(
            (base + eh.e_phoff) as *const libc::Elf64_Phdr,
            eh.e_phnum as usize,
        );
        let load = ph.iter().find(|p| p.p_type == libc::PT_LOAD)?;
        Some((base, (base + load.p_memsz).next_multiple_of(0x1000)))
    }
}

impl LinuxPlatform {
    /// Prepare the host: close inherited descriptors, check the CPU, reserve the guest range,
    /// open volume roots, and harden the process ([`harden::isolate`], [`harden::confine`]: no_new_privs, no core
    /// dumps, namespaces, Landlock); what the host does not offer is reported on stderr, one
    /// warning line each, and skipped.
    ///
    /// Where the host allows a pid namespace, this forks ([`supervisor`]): it returns only in
    /// the child, pid 1 of the new namespace; the calling process becomes the supervisor and
    /// exits when the child does, with its status. Nothing the caller did before is undone
    /// in the child (it is a copy), but nothing it holds may be shared with the supervisor
    /// beyond what fork shares.
    ///
    /// The platform takes over the process. Call this on the main thread before any other
    /// thread exists (checked) and before opening any descriptor meant to stay open: every
    /// descriptor above 2 is closed first (the guest's stdio stays). Afterwards the process
    /// can read host files only beneath the volumes (Landlock), and its view of host file
    /// owners is the user namespace's.
    ///
    /// Hardening is done here rather than in [`LinuxPlatform::lock_down`] so that the boot
    /// (which parses the guest's ELF files) already runs under it, and so that all host
    /// metadata the guest sees, including what the boot caches, is seen from inside the user
    /// namespace: owners that the namespace does not map show as the overflow id throughout.
    ///
    /// `guest_tasks` is how many tasks (threads included) the guest may have at once; the
    /// host bounds the sandbox's tasks at that plus [`limits::SPARE_TASKS`] where it can
    /// ([`limits::TaskLimit`]). `guest_memory` is the policy's memory limit, if any; the
    /// host bounds the whole sandbox's memory at that plus [`limits::MEMORY_ALLOWANCE`]
    /// where it can ([`limits::MemoryLimit`]).
    pub fn new(
        volume_dirs: &[host::HostDir],
        guest_tasks: u64,
        guest_memory: Option<u64>,
    ) -> Result<LinuxPlatform, SetupError> {
        // SAFETY: the caller starts the platform while the process has one thread (`harden`
        // checks it a few lines below, before anything else relies on it).
        unsafe { fatal::install() };
        harden::close_inherited_fds().map_err(host_err("closing inherited descriptors"))?;
        const HWCAP2_FSGSBASE: u64 = 1 << 1;
        // SAFETY: getauxval has no preconditions.
        if unsafe { libc::getauxval(libc::AT_HWCAP2) } & HWCAP2_FSGSBASE == 0 {
            return Err(SetupError::NoFsGsBase);
        }
        let text = own_text();
        if text.0 < GUEST_HIGH {
            return Err(SetupError::RangeBusy);
        }
        limits::make_room()?;
        // SAFETY: reserving address space with MAP_FIXED_NOREPLACE never replaces a mapping.
        let r = unsafe {
            libc::mmap(
                GUEST_LOW as *mut libc::c_void,
                (GUEST_HIGH - GUEST_LOW) as usize,
                libc::PROT_NONE,
                libc::MAP_PRIVATE
                    | libc::MAP_ANONYMOUS
                    | libc::MAP_NORESERVE
                    | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        if r == libc::MAP_FAILED {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EEXIST) {
                return Err(SetupError::RangeBusy);
            }
            return Err(SetupError::Host {
                what: "reserving the guest's address range",
                source: e,
            });
        }
        // Before hardening: it reads cgroup files, which the jail and Landlock then hide.
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        if cpus > 1 {
            threads::WAIT_SPINS.store(threads::SPINS_BEFORE_SLEEP, Ordering::Relaxed);
        }
        let (volume_dirs, mut missing) = harden::isolate(volume_dirs, guest_tasks, guest_memory)?;
        // After the jail (the placeholders are descriptors of its root), before anything the
        // guest may name is opened: volume descriptors are numbered from the floor up.
        fd_floor::reserve_below_floor()
            .map_err(host_err("reserving the descriptors below the floor"))?;
        let volumes = if volume_dirs.is_empty() {
            None
        } else {
            Some(host::Volumes::open(&volume_dirs).map_err(host_err("opening host volumes"))?)
        };
        if volumes.as_ref().is_some_and(|v| v.any_writable()) {
            // The guest's umask is applied by the shim; the host must not apply the runner's
            // on top (the mode a guest gives a new file is the mode it gets on the host).
            // SAFETY: umask takes no pointers and cannot fail.
            unsafe { libc::umask(0) };
        }
        let roots: Vec<_> = volumes.iter().flat_map(|v| v.roots()).collect();
        missing.extend(harden::confine(&roots));
        drop(roots);
        for m in missing {
            eprintln!("meridian: warning: {m}");
        }
        kheap::install().map_err(|e| SetupError::Host {
            what: "creating the shared kernel heap",
            source: std::io::Error::other(e.to_string()),
        })?;
        // Read after `isolate`, which may have forked into a pid namespace: this is the pid
        // as the runner's own calls (tgkill) name it there, 1 with a pid namespace.
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() } as u32;
        HOST_PID.store(pid, Ordering::Relaxed);
        // Pid 1 of a namespace the runner made itself, not merely pid 1 (a container's
        // entrypoint where `unshare` was refused is pid 1 among the container's processes).
        threads::OWN_PID_NAMESPACE.store(
            pid == 1 && harden::MADE_PID_NAMESPACE.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        Ok(LinuxPlatform {
            volumes,
            text,
            vdso: vdso_text(),
            cpus,
            pid,
            resolutions: CLOCK_KINDS.map(host_resolution),
            jit: false,
            slot: meridian_core::platform::ProcessSlot::new(None),
        })
    }

    /// Allow guest mappings that are writable and executable at once (JIT compilers); by
    /// default they are refused with EACCES and the filter forbids them.
    pub fn allow_jit(mut self, jit: bool) -> LinuxPlatform {
        self.jit = jit;
        self
    }

    /// Host protection bits for a guest mapping, refusing writable+executable ones unless
    /// the policy allows JIT (as SELinux's execmem denial does: EACCES).
    fn guest_prot(&self, prot: Prot) -> Result<i32, Error> {
        if prot.write && prot.exec && !self.jit {
            if !WX_REPORTED.swap(true, Ordering::Relaxed) {
                eprintln!(
                    "meridian: refused a memory mapping that is both writable and executable (EACCES); \
                     allow JIT compilers with `jit = true` in the policy or --allow-jit"
                );
            }
            return Err(Error::Access);
        }
        Ok(prot_bits(prot))
    }

    /// The filter this platform will install.
    pub fn filter_spec(&self) -> filter::FilterSpec {
        filter::FilterSpec {
            text: self.text,
            vdso: self.vdso,
            features: filter::Features {
                host_volumes: self.volumes.is_some(),
                writable_volumes: self.volumes.as_ref().is_some_and(|v| v.any_writable()),
                jit: self.jit,
            },
            pid: self.pid,
            own_pid_namespace: threads::OWN_PID_NAMESPACE.load(Ordering::Relaxed),
        }
    }

    /// Install handlers, the main thread's signal stack and the seccomp filter. After this
    /// the process can make only allowlisted host calls from its own text. Call it on the
    /// main thread before any other thread exists (as [`LinuxPlatform::new`] checked).
    pub fn lock_down(
        &'static self,
        handler: &'static dyn TrapHandler<CpuContext>,
        main_tid: u32,
    ) -> Result<(), SetupError> {
        intercept::set_globals(intercept::Globals { text: self.text });
        intercept::set_handler(handler);
        let block =
            intercept::setup_thread(main_tid).map_err(host_err("setting up the signal stack"))?;
        threads::register_main(main_tid, block);
        intercept::install_handlers().map_err(host_err("installing signal handlers"))?;
        // With more threads than a few arenas per CPU, glibc's malloc asks for the CPU count
        // by opening /sys/devices/system/cpu/online — not on the allowlist. A fixed arena
        // limit keeps it from asking.
        const MALLOC_ARENAS: i32 = 8;
        // SAFETY: mallopt with a constant, before any other thread exists.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS) };
        // glibc installs its own signal handlers and sets up thread machinery on the first
        // pthread_create; do that now, while rt_sigaction is still allowed.
        std::thread::Builder::new()
            .stack_size(threads::HOST_THREAD_STACK_BYTES)
            .spawn(|| ())
            .map_err(host_err("starting a warm-up thread"))?
            .join()
            .map_err(|_| SetupError::Host {
                what: "warm-up thread",
                source: std::io::Error::other("panicked"),
            })?;
        let prog = filter::build(&self.filter_spec())?;
        // no_new_privs, which an unprivileged process needs for this, was set by `new`
        // (`harden::isolate`).
        install_filter(&prog).map_err(host_err("installing the seccomp filter"))
    }

    /// Run guest code on the calling (main) thread. Never returns: the process ends when the
    /// guest does.
    pub fn run(&self, ctx: &CpuContext) -> ! {
        // A new program: Linux's fresh vector state, none of the runner's.
        intercept::enter_guest(ctx, 0, &fpu::FpuImage::init())
    }
}

fn prot_bits(p: Prot) -> i32 {
    (if p.read { libc::PROT_READ } else { 0 })
        | (if p.write { libc::PROT_WRITE } else { 0 })
        | (if p.exec { libc::PROT_EXEC } else { 0 })
}

fn in_guest(addr: u64, len: u64) -> bool {
    addr >= GUEST_LOW && addr.checked_add(len).is_some_and(|end| end <= GUEST_HIGH)
}

fn check_mmap(r: *mut libc::c_void) -> Result<(), Error> {
    if r == libc::MAP_FAILED {
        Err(host::last_error())
    } else {
        Ok(())
    }
}

fn shared_range(capacity: u64, offset: u64, len: u64) -> Result<(), Error> {
    match offset.checked_add(len) {
        Some(end) if end <= capacity => Ok(()),
        _ => Err(Error::Invalid),
    }
}

/// Install `prog` as a seccomp filter on every thread of the process (TSYNC). The process
/// must have no_new_privs set (or CAP_SYS_ADMIN).
pub fn install_filter(prog: &[bpf::SockFilter]) -> std::io::Result<()> {
    let len = u16::try_from(prog.len())
        .map_err(|_| std::io::Error::other("filter longer than BPF_MAXINSNS"))?;
    let fprog = libc::sock_fprog {
        len,
        filter: prog.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: `fprog` points at `prog`, alive for the call; SockFilter has the layout of
    // struct sock_filter (u16, u8, u8, u32).
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_TSYNC,
            &fprog as *const libc::sock_fprog,
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Check that the generated section `tag` of SECURITY.md (between `<!-- tag:begin … -->` and
/// `<!-- tag:end -->`) is `want`; with `MERIDIAN_BLESS` set, rewrite it instead.
#[cfg(test)]
pub(crate) fn check_security_md_section(tag: &str, source: &str, want: &str) {
    let begin =
        format!("<!-- {tag}:begin (generated from crates/platform-linux/src/{source}) -->\n");
    let end = format!("<!-- {tag}:end -->");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../SECURITY.md");
    let doc = std::fs::read_to_string(path).expect("SECURITY.md is readable");
    let (head, rest) = doc
        .split_once(&begin)
        .unwrap_or_else(|| panic!("SECURITY.md lacks the {tag}:begin marker"));
    let (current, tail) = rest
        .split_once(&end)
        .unwrap_or_else(|| panic!("SECURITY.md lacks the {tag}:end marker"));
    if current != want {
        if std::env::var_os("MERIDIAN_BLESS").is_some() {
            std::fs::write(path, format!("{head}{begin}{want}{end}{tail}"))
                .expect("SECURITY.md is writable");
        } else {
            panic!(
                "SECURITY.md's {tag} section is out of date; run `MERIDIAN_BLESS=1 cargo test -p meridian-platform-linux`"
            );
        }
    }
}

/// The runner's executable text, `[start, end)` (what the filter calls "ours").
pub fn runner_text() -> (u64, u64) {
    own_text()
}

/// A clock's resolution from the host (at start-up, before the filter).
fn host_resolution(clock: ClockKind) -> Nanos {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out pointer.
    unsafe { libc::clock_getres(clock_id(clock), &mut ts) };
    Nanos::from_parts(ts.tv_sec.max(0) as u64, ts.tv_nsec.max(0) as u64)
}

/// The runner's process id (kicks target their own thread group only).
pub(crate) fn host_pid() -> u32 {
    HOST_PID.load(Ordering::Relaxed)
}

fn clock_id(c: ClockKind) -> libc::clockid_t {
    match c {
        ClockKind::Realtime => libc::CLOCK_REALTIME,
        ClockKind::Monotonic => libc::CLOCK_MONOTONIC,
        ClockKind::ProcessCpu => libc::CLOCK_PROCESS_CPUTIME_ID,
        ClockKind::ThreadCpu => libc::CLOCK_THREAD_CPUTIME_ID,
        ClockKind::Boottime => libc::CLOCK_BOOTTIME,
    }
}

fn timespec_of(n: Nanos) -> libc::timespec {
    libc::timespec {
        tv_sec: n.secs() as i64,
        tv_nsec: n.subsec_nanos() as i64,
    }
}

impl HostIo for LinuxPlatform {
    fn host_read(&self, fd: HostFd, buf: &mut [u8], offset: Option<u64>) -> Result<usize, Error> {
        // SAFETY: reading into a buffer we own, of its length.
        let n = unsafe {
            match offset {
                Some(off) => libc::pread(fd.0, buf.as_mut_ptr().cast(), buf.len(), off as i64),
                None => libc::read(fd.0, buf.as_mut_ptr().cast(), buf.len()),
            }
        };
        if n < 0 {
            Err(host::last_error())
        } else {
            Ok(n as usize)
        }
    }

    fn host_write(&self, fd: HostFd, data: &[u8], offset: Option<u64>) -> Result<usize, Error> {
        if offset.is_some() {
            return Err(Error::ReadOnly);
        }
        // SAFETY: writing from a buffer we own, of its length.
        let n = unsafe { libc::write(fd.0, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            Err(host::last_error())
        } else {
            Ok(n as usize)
        }
    }

    fn host_stat(&self, fd: HostFd) -> Result<HostStat, Error> {
        host::fstat(fd.0)
    }

    fn host_poll(
        &self,
        fds: &[(HostFd, bool, bool)],
        timeout: Option<Nanos>,
    ) -> Result<Vec<Readiness>, Error> {
        let mut p: Vec<libc::pollfd> = fds
            .iter()
            .map(|&(fd, r, w)| libc::pollfd {
                fd: fd.0,
                events: (if r { libc::POLLIN } else { 0 }) | (if w { libc::POLLOUT } else { 0 }),
                revents: 0,
            })
            .collect();
        let ts = timeout.map(timespec_of);
        // SAFETY: ppoll over our own array with an optional timeout; no signal mask change.
        let n = unsafe {
            libc::ppoll(
                p.as_mut_ptr(),
                p.len() as libc::nfds_t,
                ts.as_ref().map_or(core::ptr::null(), |t| t as *const _),
                core::ptr::null(),
            )
        };
        if n < 0 {
            return Err(host::last_error());
        }
        Ok(p.iter()
            .map(|q| Readiness {
                readable: q.revents & libc::POLLIN != 0,
                writable: q.revents & libc::POLLOUT != 0,
                hangup: q.revents & libc::POLLHUP != 0,
                error: q.revents & (libc::POLLERR | libc::POLLNVAL) != 0,
            })
            .collect())
    }

    fn host_term(&self, fd: HostFd, query: TermQuery, out: &mut [u8]) -> Result<(), Error> {
        // The filter allows terminal queries on stdio only; a volume's files are not the
        // sandbox's terminal (a device node in a volume is not treated as one).
        if !(0..=2).contains(&fd.0) {
            return Err(host::from_errno(libc::ENOTTY));
        }
        let (req, need) = match query {
            // The kernel's struct termios: 36 bytes (asm-generic/termbits.h).
            TermQuery::GetAttrs => (libc::TCGETS, 36),
            TermQuery::WindowSize => (libc::TIOCGWINSZ, 8),
            TermQuery::ForegroundGroup => (libc::TIOCGPGRP, 4),
        };
        let mut buf = [0u8; 64];
        // SAFETY: the terminal ioctls write at most `need` (<= 36) bytes into `buf`.
        let r = unsafe { libc::ioctl(fd.0, req, buf.as_mut_ptr()) };
        if r < 0 {
            return Err(host::last_error());
        }
        let n = need.min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        Ok(())
    }

    fn host_close(&self, fd: HostFd) {
        // Stdio and the placeholders below the floor are never closed (the filter refuses).
        if fd.0 >= fd_floor::FD_FLOOR {
            // SAFETY: closing a descriptor the sandbox opened.
            unsafe { libc::close(fd.0) };
        }
    }

    fn host_volumes(&self) -> Option<&dyn HostVolumes> {
        self.volumes.as_ref().map(|v| v as &dyn HostVolumes)
    }
}

impl Platform for LinuxPlatform {
    type Context = CpuContext;

    fn spawn_thread(&self, tid: u32, ctx: CpuContext, fs_base: u64) -> Result<(), Error> {
        threads::spawn(tid, ctx, fs_base)
    }

    fn guest_fs_base(&self) -> u64 {
        intercept::current_block().guest_fs.load(Ordering::Relaxed)
    }

    fn set_guest_fs_base(&self, base: u64) {
        intercept::current_block()
            .guest_fs
            .store(base, Ordering::Relaxed);
    }

    fn kick_thread(&self, tid: u32) {
        threads::kick(tid);
    }

    fn fork_process(
        &self,
        child: &'static dyn TrapHandler<CpuContext>,
        child_tid: u32,
    ) -> Result<meridian_core::platform::Forked, Error> {
        let forked = threads::fork(child_tid)?;
        if let meridian_core::platform::Forked::Child { .. } = forked {
            intercept::set_handler(child);
            if let Some(v) = &self.volumes {
                v.forget_cached_dirs();
            }
        }
        Ok(forked)
    }

    fn spawn_vfork_child(
        &self,
        handler: &'static dyn TrapHandler<CpuContext>,
        tid: u32,
        ctx: CpuContext,
        fs_base: u64,
    ) -> Result<(), Error> {
        threads::spawn_with(tid, ctx, fs_base, intercept::handler_slot(handler))
    }

    fn kick_process(&self, host_pid: i32) {
        threads::kick_process(host_pid);
    }

    fn process_slot(&self) -> &meridian_core::platform::ProcessSlot {
        &self.slot
    }

    fn own_host_pid(&self) -> i32 {
        host_pid() as i32
    }

    fn take_ended_children(
        &self,
        f: &mut dyn FnMut(i32, meridian_core::platform::HostEnd),
    ) -> bool {
        threads::take_ended(f)
    }

    fn host_child_notices(&self) -> u64 {
        threads::NOTICES.load(Ordering::Acquire)
    }

    fn host_process_alive(&self, host_pid: i32) -> Option<bool> {
        threads::process_alive(host_pid)
    }

    fn rename_current_thread(&self, tid: u32) -> Result<(), Error> {
        threads::rename_current(tid);
        Ok(())
    }

    fn cpu_count(&self) -> u32 {
        self.cpus
    }

    fn read_guest(&self, addr: u64, buf: &mut [u8]) -> Result<(), Error> {
        if !in_guest(addr, buf.len() as u64) {
            return Err(Error::Fault);
        }
        // SAFETY: `buf` is ours; the source is inside the guest range (faults are caught).
        if unsafe { usercopy::copy(buf.as_mut_ptr(), addr as *const u8, buf.len()) } {
            Ok(())
        } else {
            Err(Error::Fault)
        }
    }

    fn write_guest(&self, addr: u64, data: &[u8]) -> Result<(), Error> {
        if !in_guest(addr, data.len() as u64) {
            return Err(Error::Fault);
        }
        // SAFETY: `data` is ours; the destination is inside the guest range (faults caught).
        if unsafe { usercopy::copy(addr as *mut u8, data.as_ptr(), data.len()) } {
            Ok(())
        } else {
            Err(Error::Fault)
        }
    }

    fn guest_range(&self) -> core::ops::Range<u64> {
        GUEST_LOW..GUEST_HIGH
    }

    fn map_anonymous(&self, addr: u64, len: u64, prot: Prot, shared: bool) -> Result<(), Error> {
        if !in_guest(addr, len) {
            return Err(Error::NoMemory);
        }
        let prot = self.guest_prot(prot)?;
        let share = if shared {
            libc::MAP_SHARED
        } else {
            libc::MAP_PRIVATE
        };
        // SAFETY: replaces memory inside the guest range only, which the library OS never uses.
        check_mmap(unsafe {
            libc::mmap(
                addr as *mut libc::c_void,
                len as usize,
                prot,
                share | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        })
    }

    fn map_host_file(
        &self,
        addr: u64,
        len: u64,
        prot: Prot,
        fd: HostFd,
        offset: u64,
        shared: bool,
    ) -> Result<(), Error> {
        if !in_guest(addr, len) {
            return Err(Error::NoMemory);
        }
        let prot = self.guest_prot(prot)?;
        let share = if shared {
            libc::MAP_SHARED
        } else {
            libc::MAP_PRIVATE
        };
        // SAFETY: as in `map_anonymous`; the host descriptor is the sandbox's own.
        check_mmap(unsafe {
            libc::mmap(
                addr as *mut libc::c_void,
                len as usize,
                prot,
                share | libc::MAP_FIXED,
                fd.0,
                offset as i64,
            )
        })
    }

    fn protect(&self, addr: u64, len: u64, prot: Prot) -> Result<(), Error> {
        if !in_guest(addr, len) {
            return Err(Error::NoMemory);
        }
        let prot = self.guest_prot(prot)?;
        // SAFETY: changes protection inside the guest range only.
        if unsafe { libc::mprotect(addr as *mut libc::c_void, len as usize, prot) } != 0 {
            return Err(host::last_error());
        }
        Ok(())
    }

    fn unmap(&self, addr: u64, len: u64) -> Result<(), Error> {
        if !in_guest(addr, len) {
            return Err(Error::Invalid);
        }
        // SAFETY: re-reserves guest-range memory as inaccessible; the range stays ours.
        check_mmap(unsafe {
            libc::mmap(
                addr as *mut libc::c_void,
                len as usize,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                -1,
                0,
            )
        })
    }

    fn discard(&self, addr: u64, len: u64) -> Result<(), Error> {
        if !in_guest(addr, len) {
            return Err(Error::Invalid);
        }
        // SAFETY: drops guest-range page contents only.
        if unsafe { libc::madvise(addr as *mut libc::c_void, len as usize, libc::MADV_DONTNEED) }
            != 0
        {
            return Err(host::last_error());
        }
        Ok(())
    }

    fn move_mapping(&self, old: u64, old_len: u64, new: u64, new_len: u64) -> Result<(), Error> {
        if !in_guest(old, old_len) || !in_guest(new, new_len) {
            return Err(Error::NoMemory);
        }
        // SAFETY: moves guest-range pages to a guest-range destination (MREMAP_FIXED).
        let r = unsafe {
            libc::mremap(
                old as *mut libc::c_void,
                old_len as usize,
                new_len as usize,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                new as *mut libc::c_void,
            )
        };
        check_mmap(r)?;
        // The old range must stay reserved for the guest (old_len 0 made a second mapping).
        if old_len > 0 && (old + old_len <= new || new + new_len <= old) {
            self.unmap(old, old_len)
        } else {
            Ok(())
        }
    }

    fn shared_alloc(&self, capacity: u64) -> Result<u64, Error> {
        // From the kernel heap, which every process of the sandbox maps at the same address:
        // a file's shared pages made in one process are the same pages in all (a fresh
        // anonymous mapping would exist only in the process that made it).
        kheap::alloc_pages(capacity as usize)
            .map(|a| a as u64)
            .ok_or(Error::NoMemory)
    }

    fn shared_free(&self, handle: u64, capacity: u64) {
        // Guest mappings of these pages are gone: every process that maps them keeps a
        // reference to them while it does (the shim's `shared_files`).
        kheap::free_pages(handle as usize, capacity as usize);
    }

    fn shared_read(
        &self,
        handle: u64,
        capacity: u64,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<(), Error> {
        shared_range(capacity, offset, buf.len() as u64)?;
        // SAFETY: `[handle+offset, +len)` lies inside a live RW mapping made by
        // `shared_alloc` (checked above); `buf` is ours.
        unsafe {
            core::ptr::copy_nonoverlapping(
                (handle + offset) as *const u8,
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        Ok(())
    }

    fn shared_write(
        &self,
        handle: u64,
        capacity: u64,
        offset: u64,
        data: &[u8],
    ) -> Result<(), Error> {
        shared_range(capacity, offset, data.len() as u64)?;
        // SAFETY: as in `shared_read`.
        unsafe {
            core::ptr::copy_nonoverlapping(data.as_ptr(), (handle + offset) as *mut u8, data.len())
        };
        Ok(())
    }

    fn shared_zero(&self, handle: u64, capacity: u64, offset: u64, len: u64) -> Result<(), Error> {
        shared_range(capacity, offset, len)?;
        const PAGE: u64 = 4096;
        let (start, end) = (offset, offset + len);
        let (first_full, last_full) = (start.next_multiple_of(PAGE), end & !(PAGE - 1));
        let zero_bytes = |a: u64, b: u64| {
            // SAFETY: inside the checked range of a live RW mapping of our own.
            unsafe { core::ptr::write_bytes((handle + a) as *mut u8, 0, (b - a) as usize) }
        };
        if first_full >= last_full {
            zero_bytes(start, end);
            return Ok(());
        }
        zero_bytes(start, first_full);
        // SAFETY: MADV_REMOVE frees whole pages of our own shared mapping (and its backing),
        // which then read as zeros.
        if unsafe {
            libc::madvise(
                (handle + first_full) as *mut libc::c_void,
                (last_full - first_full) as usize,
                libc::MADV_REMOVE,
            )
        } != 0
        {
            zero_bytes(first_full, last_full);
        }
        zero_bytes(last_full, end);
        Ok(())
    }

    fn shared_map(
        &self,
        handle: u64,
        capacity: u64,
        offset: u64,
        addr: u64,
        len: u64,
        prot: Prot,
    ) -> Result<(), Error> {
        if !in_guest(addr, len) {
            return Err(Error::NoMemory);
        }
        // Never a view past the allocation: beyond it lies the rest of the kernel heap.
        shared_range(capacity, offset, len)?;
        self.guest_prot(prot)?;
        // SAFETY: mremap with old_size 0 makes a second mapping of the same shared pages
        // (mremap(2)), placed at a guest-range address that the library OS never uses.
        let r = unsafe {
            libc::mremap(
                (handle + offset) as *mut libc::c_void,
                0,
                len as usize,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                addr as *mut libc::c_void,
            )
        };
        check_mmap(r)?;
        self.protect(addr, len, prot)
    }

    fn now(&self, clock: ClockKind) -> Nanos {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: valid out pointer.
        unsafe { libc::clock_gettime(clock_id(clock), &mut ts) };
        Nanos::from_parts(ts.tv_sec.max(0) as u64, ts.tv_nsec.max(0) as u64)
    }

    fn resolution(&self, clock: ClockKind) -> Nanos {
        let i = CLOCK_KINDS.iter().position(|&c| c == clock).unwrap_or(0);
        self.resolutions.get(i).copied().unwrap_or_default()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        let mut done = 0;
        while done < buf.len() {
            let rest = &mut buf[done..];
            // SAFETY: getrandom into our buffer.
            let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
            if n > 0 {
                done += n as usize;
            }
        }
    }

    fn wait(&self, word: &AtomicU32, expected: u32, timeout: Option<Nanos>) -> WaitOutcome {
        threads::wait_on(word as *const AtomicU32 as u64, expected, timeout)
    }

    fn wake(&self, word: &AtomicU32, count: u32) {
        threads::wake(word as *const AtomicU32 as u64, count, u32::MAX);
    }

    fn guest_wait(
        &self,
        addr: u64,
        expected: u32,
        timeout: Option<Nanos>,
        bitset: u32,
        shared: bool,
    ) -> Result<WaitOutcome, Error> {
        if !in_guest(addr, 4) || !addr.is_multiple_of(4) {
            return Err(Error::Fault);
        }
        let mut cur = [0u8; 4];
        self.read_guest(addr, &mut cur)?;
        if u32::from_le_bytes(cur) != expected {
            return Err(Error::WouldBlock);
        }
        Ok(threads::wait_guest(addr, expected, timeout, bitset, shared))
    }

    fn guest_wake(&self, addr: u64, count: u32, bitset: u32, shared: bool) -> Result<u32, Error> {
        if !in_guest(addr, 4) || !addr.is_multiple_of(4) {
            return Err(Error::Fault);
        }
        Ok(threads::wake_guest(addr, count, bitset, shared))
    }

    fn guest_requeue(
        &self,
        addr: u64,
        wake: u32,
        requeue: u32,
        addr2: u64,
        expected: Option<u32>,
        shared: bool,
    ) -> Result<u32, Error> {
        if !in_guest(addr, 4) || !in_guest(addr2, 4) {
            return Err(Error::Fault);
        }
        threads::requeue(addr, wake, requeue, addr2, expected, shared)
    }

    fn sleep(&self, duration: Nanos) -> WaitOutcome {
        let word = AtomicU32::new(0);
        match threads::wait_on(&word as *const AtomicU32 as u64, 0, Some(duration)) {
            WaitOutcome::Woken => WaitOutcome::TimedOut,
            other => other,
        }
    }
}

/// AT_HWCAP and AT_HWCAP2 of the host, passed on to the guest.
pub fn host_hwcaps() -> (u64, u64) {
    // SAFETY: getauxval has no preconditions.
    unsafe {
        (
            libc::getauxval(libc::AT_HWCAP),
            libc::getauxval(libc::AT_HWCAP2),
        )
    }
}

/// Total and free RAM of the host in bytes (sysinfo(2)).
pub fn host_memory() -> (u64, u64) {
    // SAFETY: a zeroed sysinfo is valid plain data and the pointer is to our local.
    unsafe {
        let mut si: libc::sysinfo = core::mem::zeroed();
        if libc::sysinfo(&mut si) != 0 {
            return (0, 0);
        }
        let unit = u64::from(si.mem_unit.max(1));
        (si.totalram * unit, si.freeram * unit)
    }
}
