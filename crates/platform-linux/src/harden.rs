//! Defence in depth under the seccomp filter (SECURITY.md, "Defence in depth").
//!
//! The filter is the boundary. What is here shrinks what an allowlisted call could still
//! reach if guest code, which can jump into Meridian's text with arbitrary registers, found a
//! way to use one: `openat2` and `read` on host paths, `tgkill`, anything a future allowlist
//! entry brings.
//!
//! - [`close_inherited_fds`], first thing in [`crate::LinuxPlatform::new`]: every descriptor
//!   above 2 that the runner inherited is closed before the runner opens any of its own, so
//!   the sandbox holds only the guest's stdio and what Meridian opened itself (volume roots,
//!   cached volume directories, the guest's open host files).
//! - [`isolate`] (steps 1-3) and [`confine`] (step 4), in [`crate::LinuxPlatform::new`]
//!   (around opening the volume roots, before the shim boots the guest) on the main thread while it is the only thread
//!   (checked), so that every later thread inherits all of it, in this order:
//!   1. `no_new_privs` (also what lets an unprivileged process use Landlock and seccomp);
//!   2. `RLIMIT_CORE` 0, soft and hard: a crash dumps no guest or runner memory to disk;
//!   3. a user namespace mapping only the runner's own uid and gid, then mount, network, IPC,
//!      UTS, cgroup and pid namespaces ([`NAMESPACES`]). The user namespace comes first because
//!      it is what lets an unprivileged process create the others.
//!      With the pid namespace, the runner forks once ([`crate::supervisor::enter`]), still
//!      with one thread: `unshare(CLONE_NEWPID)` moves only future children into the new
//!      namespace, and the kernel refuses `clone` with `CLONE_THREAD` while the caller's
//!      `pid_ns_for_children` differs from its own pid namespace (kernel/fork.c,
//!      `copy_process`), so the runner itself could start no thread. The child is pid 1 of
//!      the namespace and goes on with everything below, threads included; the parent stays
//!      outside as the supervisor (forwarding signals, ending as the child did). So
//!      `getpid()` is 1 from here on: the pid that the filter lets `tgkill` name and that
//!      kicks use ([`crate::LinuxPlatform::new`] reads it after this step).
//!      Then the filesystem jail ([`enter_jail`]): in the new mount namespace the root
//!      becomes a small tmpfs holding only the volumes (bind mounts at `/volumes/<index>`,
//!      where the platform then opens them), so no other host path exists for a forged
//!      path-based call, including the metadata calls Landlock does not check;
//!   4. Landlock ([`restrict_to_volumes`], through [`confine`], after the volumes are opened): reading files and listing directories beneath the
//!      host volume roots, and changing them beneath the read-write ones ([`VOLUME_WRITE`]),
//!      nothing else of the filesystem; no TCP bind or connect; no signals
//!      to processes outside the sandbox and no abstract Unix sockets created outside it. It
//!      comes after the namespaces because writing `/proc/self/uid_map` is a filesystem
//!      access that it would refuse.
//!
//!   Steps 3 and 4 depend on the host (a kernel without Landlock, user namespaces disabled by
//!   sysctl or by a container's seccomp profile): what is missing comes back as
//!   [`Unavailable`], one line each, and the sandbox runs without it.
//!
//! Resource limits ([`crate::limits`]): in [`isolate`], a pids cgroup (and with a memory
//! limit a memory cgroup) is prepared before the namespaces and entered by the sandbox's
//! process after the pid namespace's fork, and `RLIMIT_NPROC` is set there, in the new user
//! namespace, so that the host bounds the sandbox's tasks (and memory); [`limit_resources`], just before the filter, sets the policy's host
//! rlimits (never above what the runner inherited). `RLIMIT_AS` is not set for the runner:
//! it counts the 64 TiB reservation of the guest range (the library OS enforces the guest's).

use crate::SetupError;
use crate::host::HostDir;
use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, LandlockStatus,
    PathBeneath, RestrictionStatus, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetError,
    RulesetStatus, Scope,
};
use std::fmt;
use std::io::Write;
use std::os::fd::BorrowedFd;
use std::path::PathBuf;

/// The Landlock ABI whose access rights and scopes the ruleset handles: the newest that the
/// `landlock` crate in Cargo.lock knows. Handling a right without allowing it denies it, and
/// Meridian needs none but [`VOLUME_READ`], so a newer ABI only takes more away; on an older
/// kernel the crate drops what the kernel does not know (`CompatLevel::BestEffort`).
const LANDLOCK_ABI: ABI = ABI::V10;

/// What Landlock allows beneath each host volume root: opening files for reading, opening and
/// listing directories. Not `Execute`, which Landlock checks on `execve` only: the runner
/// maps guest executables and libraries with `mmap(PROT_EXEC)`, which Landlock does not
/// check (see the tests).
const VOLUME_READ: BitFlags<AccessFs> = landlock::make_bitflags!(AccessFs::{ReadFile | ReadDir});

/// What Landlock allows beneath a read-write volume root on top of [`VOLUME_READ`]: writing
/// and truncating files, making and removing regular files, directories and symbolic links,
/// and `Refer` (linking or renaming from one directory to another, which Landlock otherwise
/// refuses with EXDEV). Not FIFOs, sockets or devices (the guest cannot make them in a
/// volume), and not `IoctlDev`.
const VOLUME_WRITE: BitFlags<AccessFs> = landlock::make_bitflags!(AccessFs::{
    WriteFile | Truncate | MakeReg | MakeDir | MakeSym | RemoveFile | RemoveDir | Refer
});

/// The namespaces entered after the user namespace, with their names for warnings. The pid
/// namespace holds only the caller's future children: entering it is followed by the fork
/// of [`crate::supervisor`].
pub const NAMESPACES: [(libc::c_int, &str); 6] = [
    (libc::CLONE_NEWNS, "mount"),
    (libc::CLONE_NEWNET, "network"),
    (libc::CLONE_NEWIPC, "IPC"),
    (libc::CLONE_NEWUTS, "UTS"),
    (libc::CLONE_NEWCGROUP, "cgroup"),
    (libc::CLONE_NEWPID, "pid"),
];

/// A protection this host does not offer; the sandbox runs without it. Displayed as one line:
/// "`what` not available (`why`); continuing without it".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    /// What is missing ("user namespace", "network, IPC namespaces", "Landlock").
    pub what: String,
    /// Why, in the host's words where it gave any.
    pub why: String,
    /// `what` names more than one thing.
    pub plural: bool,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let them = if self.plural { "them" } else { "it" };
        write!(
            f,
            "{} not available ({}); continuing without {them}",
            self.what, self.why
        )
    }
}

/// Close every descriptor above 2: those the runner inherited (a shell's redirections, a
/// parent's leaked pipes), which the guest must not reach through an allowlisted `read`.
/// Uses `close_range(2)` (Linux 5.9, which FSGSBASE needs anyway), else closes each entry of
/// `/proc/self/fd`.
///
/// Called before the runner opens anything it keeps; nothing in the process may own a
/// descriptor above 2 at that point (an `OwnedFd` or `File` would be left with a closed,
/// later reused, number).
pub(crate) fn close_inherited_fds() -> std::io::Result<()> {
    const FIRST_INHERITED_FD: libc::c_uint = 3;
    // SAFETY: close_range takes no pointers. The descriptors it closes are owned by nothing
    // in this process: the runner has opened nothing it keeps yet (see the doc comment).
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            FIRST_INHERITED_FD,
            libc::c_uint::MAX,
            0 as libc::c_uint,
        )
    };
    if r == 0 {
        return Ok(());
    }
    // Collected first: the directory's own descriptor is among the entries and is closed
    // when the iterator is dropped, before the loop (its close then fails with EBADF).
    let fds: Vec<libc::c_int> = std::fs::read_dir("/proc/self/fd")?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&fd| fd >= FIRST_INHERITED_FD as libc::c_int)
        .collect();
    for fd in fds {
        // SAFETY: as above; an already-closed number gives EBADF and changes nothing.
        unsafe { libc::close(fd) };
    }
    Ok(())
}

/// Whether [`isolate`] made the pid namespace the runner now runs in (and forked into it).
pub(crate) static MADE_PID_NAMESPACE: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Apply the protections of the module doc, steps 1-4, to the calling thread and so to every
/// thread it creates later. Fails if the process has more than one thread (namespaces and
/// Landlock would then miss the others) or if a step that every Linux supports fails; returns
/// what this host does not offer.
pub(crate) fn isolate(
    volume_dirs: &[HostDir],
    guest_tasks: u64,
    guest_memory: Option<u64>,
) -> Result<(Vec<HostDir>, Vec<Unavailable>), SetupError> {
    if let Some(threads) = thread_count()
        && threads != 1
    {
        return Err(SetupError::Threaded { threads });
    }
    // SAFETY: prctl with constant arguments.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(host_error("setting no_new_privs"));
    }
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `no_core` is a valid rlimit for the call.
    if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &no_core) } != 0 {
        return Err(host_error("turning off core dumps (RLIMIT_CORE)"));
    }
    let mut missing = Vec::new();
    // Before the namespaces: the cgroup tree is reached through the host's paths.
    let mut tasks = crate::limits::TaskLimit::prepare(guest_tasks);
    let mut memory = crate::limits::MemoryLimit::prepare(guest_memory, &tasks);
    let user = enter_user_namespace();
    let user_ok = user.is_ok();
    missing.extend(user.err());
    let (entered, refused) = enter_namespaces();
    let mount_ok = user_ok && entered & libc::CLONE_NEWNS != 0;
    missing.extend(refused);
    let supervised = entered & libc::CLONE_NEWPID != 0;
    MADE_PID_NAMESPACE.store(supervised, std::sync::atomic::Ordering::Relaxed);
    if supervised {
        // Returns in the sandbox's first process, pid 1 of the new namespace; the parent
        // stays outside as the supervisor (and removes the cgroups at the end). Before the
        // jail: the supervisor needs none of it.
        let cgroups: Vec<_> = [tasks.cgroup.as_ref(), memory.cgroup.as_ref()]
            .into_iter()
            .flatten()
            .map(|c| c.supervisor_side())
            .collect();
        let oom = memory.events.as_ref().map(std::os::fd::AsRawFd::as_raw_fd);
        if let Err(source) = crate::supervisor::enter(&cgroups, oom) {
            for c in [tasks.cgroup.take(), memory.cgroup.take()]
                .into_iter()
                .flatten()
            {
                c.discard();
            }
            return Err(SetupError::Host {
                what: "starting the sandbox's first process in its pid namespace",
                source,
            });
        }
    } else {
        for c in [tasks.cgroup.take(), memory.cgroup.take()]
            .into_iter()
            .flatten()
        {
            c.discard();
        }
        let why = "it needs the pid namespace, whose supervisor removes it";
        tasks.no_cgroup = Some(why.into());
        if guest_memory.is_some() {
            memory.no_cgroup = Some(why.into());
            memory.events = None;
        }
    }
    missing.extend(tasks.apply(user_ok, supervised).map(|why| Unavailable {
        what: "host limit on the sandbox's tasks".into(),
        why,
        plural: false,
    }));
    missing.extend(memory.apply().map(|why| Unavailable {
        what: "host limit on the sandbox's memory as a whole (each process has RLIMIT_AS)".into(),
        why,
        plural: false,
    }));
    let dirs = if mount_ok {
        match enter_jail(volume_dirs) {
            Ok(jailed) => jailed,
            Err(u) => {
                missing.push(u);
                volume_dirs.to_vec()
            }
        }
    } else {
        missing.push(Unavailable {
            what: "filesystem jail".into(),
            why: "needs the user and mount namespaces".into(),
            plural: false,
        });
        volume_dirs.to_vec()
    };
    // Not dumpable: no core dump at all, also where `core_pattern` pipes to a helper (which
    // RLIMIT_CORE 0 does not stop: guest code could make the host spawn that root helper at
    // will by crashing), and no ptrace attach by other processes of the runner's user. Last,
    // because it makes /proc/self root's, and the user namespace's maps are written there.
    // SAFETY: prctl(PR_SET_DUMPABLE) takes no pointers.
    if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
        return Err(host_error(
            "making the process not dumpable (PR_SET_DUMPABLE)",
        ));
    }
    Ok((dirs, missing))
}

/// Step 5: Landlock on the volume roots (opened where [`isolate`] said), each with whether
/// it is writable. Returns what this host does not offer.
pub(crate) fn confine(volume_roots: &[(BorrowedFd<'_>, bool)]) -> Vec<Unavailable> {
    match restrict_to_volumes(volume_roots.iter().copied()) {
        Ok(status) => landlock_gaps(&status),
        Err(e) => vec![Unavailable {
            what: "Landlock".into(),
            why: e.to_string(),
            plural: false,
        }],
    }
}

/// Where the jail's new root is assembled, in the runner's private mount namespace (a
/// tmpfs is mounted over it there; the host's directory is untouched).
const JAIL_STAGING: &str = "/tmp";

/// Replace the runner's root with a small tmpfs that holds only the host volumes, each
/// bind-mounted at `/volumes/<index>` (read-only unless the policy mounts it read-write, the
/// host mounts nested in it included; nosuid and nodev throughout: [`seal_tree`]), and
/// return those paths. Afterwards no other host path exists for the runner: a forged
/// path-based call (stat, readlink, `O_PATH` opens, chmod and utimes, which Landlock does
/// not check) finds nothing, and `..` stops at the new root.
fn enter_jail(volume_dirs: &[HostDir]) -> Result<Vec<HostDir>, Unavailable> {
    let fail = |step: &str, e: std::io::Error| Unavailable {
        what: "filesystem jail".into(),
        why: format!("{step}: {e}"),
        plural: false,
    };
    // The volumes are reached through descriptors: the staging tmpfs below may hide their
    // paths (a volume under /tmp).
    let sources: Vec<std::fs::File> = volume_dirs
        .iter()
        .map(|d| std::fs::File::open(&d.path).map_err(|e| fail("opening a volume", e)))
        .collect::<Result<_, _>>()?;
    // Detached copies of each volume's mount tree, taken before the staging tmpfs exists:
    // a recursive bind made after it would carry the staging tmpfs along whenever a volume
    // contains the staging directory (a volume of /tmp, or of /). Where open_tree(2) is
    // missing (Linux < 5.2), the bind below is made from the descriptor instead.
    let trees: Vec<Option<std::os::fd::OwnedFd>> = sources.iter().map(clone_tree).collect();
    mount(None, "/", None, libc::MS_REC | libc::MS_PRIVATE, None)
        .map_err(|e| fail("making mounts private", e))?;
    mount(
        Some("meridian"),
        JAIL_STAGING,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        Some("size=64k,mode=0755"),
    )
    .map_err(|e| fail("mounting the jail's root", e))?;
    let mut jailed = Vec::new();
    for (i, (src, dir)) in sources.iter().zip(volume_dirs).enumerate() {
        let inside = PathBuf::from(format!("/volumes/{i}"));
        let target = format!("{JAIL_STAGING}{}", inside.display());
        std::fs::create_dir_all(&target).map_err(|e| fail("making a volume's mount point", e))?;
        match trees.get(i).and_then(Option::as_ref) {
            Some(tree) => attach_tree(tree, &target),
            None => {
                let from = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(src));
                mount(
                    Some(&from),
                    &target,
                    None,
                    libc::MS_BIND | libc::MS_REC,
                    None,
                )
            }
        }
        .map_err(|e| fail("bind-mounting a volume", e))?;
        // The whole tree, nested mounts included: a recursive copy carries the host's
        // mounts below the volume, and a flag on the top mount alone leaves them writable
        // (chmod, utimes and, without Landlock, writes). nosuid and nodev everywhere: the
        // runner never execs, and device nodes stay inert.
        seal_tree(&target, !dir.writable)
            .map_err(|e| fail("making a read-only volume read-only", e))?;
        jailed.push(HostDir {
            path: inside,
            writable: dir.writable,
        });
    }
    drop(trees);
    drop(sources);
    let old = format!("{JAIL_STAGING}/.old");
    std::fs::create_dir(&old).map_err(|e| fail("making the old root's mount point", e))?;
    let c = |s: &str| std::ffi::CString::new(s).unwrap_or_default();
    let (new_root, put_old) = (c(JAIL_STAGING), c(&old));
    // SAFETY: pivot_root with two valid C strings; the process has one thread.
    if unsafe { libc::syscall(libc::SYS_pivot_root, new_root.as_ptr(), put_old.as_ptr()) } != 0 {
        return Err(fail("pivot_root", std::io::Error::last_os_error()));
    }
    std::env::set_current_dir("/").map_err(|e| fail("entering the new root", e))?;
    let old_in_new = c("/.old");
    // SAFETY: umount2 of our own, now unused, old root with a valid C string.
    if unsafe { libc::umount2(old_in_new.as_ptr(), libc::MNT_DETACH) } != 0 {
        return Err(fail(
            "detaching the host's root",
            std::io::Error::last_os_error(),
        ));
    }
    let _ = std::fs::remove_dir("/.old");
    Ok(jailed)
}

/// Make the mount at `target` and every mount below it nosuid and nodev, and read-only where
/// `read_only`, with `mount_setattr(2)` (Linux 5.12), which only adds flags: allowed in a user
/// namespace even on mounts whose flags a more privileged namespace locked. Where the call is
/// missing, each mount of the tree is remounted on its own (keeping the flags it has, which a
/// locked mount requires). A read-only volume that cannot be made read-only throughout is an
/// error; for a read-write volume nosuid and nodev are best effort.
fn seal_tree(target: &str, read_only: bool) -> std::io::Result<()> {
    const AT_RECURSIVE: libc::c_uint = 0x8000;
    const MOUNT_ATTR_RDONLY: u64 = 0x1;
    const MOUNT_ATTR_NOSUID: u64 = 0x2;
    const MOUNT_ATTR_NODEV: u64 = 0x4;
    /// `struct mount_attr` of mount_setattr(2).
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_NOSUID
            | MOUNT_ATTR_NODEV
            | if read_only { MOUNT_ATTR_RDONLY } else { 0 },
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let path = std::ffi::CString::new(target)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in a path"))?;
    // SAFETY: mount_setattr with a valid C string and a `mount_attr` that outlive the call,
    // and the size of that struct.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            path.as_ptr(),
            AT_RECURSIVE,
            &attr as *const MountAttr,
            core::mem::size_of::<MountAttr>(),
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() != Some(libc::ENOSYS) {
        return if read_only { Err(e) } else { Ok(()) };
    }
    let r = seal_each_mount(target, read_only);
    if read_only { r } else { Ok(()) }
}

/// [`seal_tree`] without `mount_setattr(2)`: remount every mount at or below `target`.
fn seal_each_mount(target: &str, read_only: bool) -> std::io::Result<()> {
    let mut result = Ok(());
    let info = std::fs::read_to_string("/proc/self/mountinfo")?;
    for point in mounts_under(&info, target) {
        let r = remount_sealed(&point, read_only);
        if result.is_ok() {
            result = r;
        }
    }
    result
}

/// The mount points at or below `target` in `info` (the text of `/proc/self/mountinfo`),
/// parents first.
fn mounts_under(info: &str, target: &str) -> Vec<String> {
    info.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(unescape_mountinfo)
        .filter(|p| {
            p == target
                || p.strip_prefix(target)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .collect()
}

/// A mountinfo path with its octal escapes (`\040` for a space, ...) undone.
fn unescape_mountinfo(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], octal) {
            (b'\\', Some(d)) => {
                out.push(d.iter().fold(0u8, |v, c| v.wrapping_mul(8) | (c - b'0')));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Remount one mount with nosuid, nodev (and read-only where asked), keeping the flags it
/// has: in a user namespace, dropping a locked flag is refused.
fn remount_sealed(point: &str, read_only: bool) -> std::io::Result<()> {
    let c = std::ffi::CString::new(point)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in a path"))?;
    // SAFETY: an all-zero statvfs is a valid value for the call to fill.
    let mut st: libc::statvfs = unsafe { core::mem::zeroed() };
    // SAFETY: statvfs with a valid C string and a struct it fills.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let kept = [
        (libc::ST_RDONLY, libc::MS_RDONLY),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (libc::ST_RELATIME, libc::MS_RELATIME),
    ]
    .iter()
    .filter(|(st_flag, _)| st.f_flag & st_flag != 0)
    .fold(0, |flags, (_, ms)| flags | ms);
    let flags = libc::MS_REMOUNT
        | libc::MS_BIND
        | libc::MS_NOSUID
        | libc::MS_NODEV
        | kept
        | if read_only { libc::MS_RDONLY } else { 0 };
    mount(None, point, None, flags, None)
}

/// `open_tree(dir, "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH)`: a detached copy
/// of the mount tree at `dir` (open_tree(2), Linux 5.2); `None` where the call fails.
fn clone_tree(dir: &std::fs::File) -> Option<std::os::fd::OwnedFd> {
    const OPEN_TREE_CLONE: libc::c_uint = 1;
    const AT_RECURSIVE: libc::c_uint = 0x8000;
    let flags = OPEN_TREE_CLONE
        | AT_RECURSIVE
        | libc::AT_EMPTY_PATH as libc::c_uint
        | libc::O_CLOEXEC as libc::c_uint;
    // SAFETY: open_tree with a descriptor we own, an empty C string and constant flags.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            std::os::fd::AsRawFd::as_raw_fd(dir),
            c"".as_ptr(),
            flags,
        )
    };
    let fd = i32::try_from(fd).ok().filter(|&fd| fd >= 0)?;
    // SAFETY: open_tree returned a new descriptor that nothing else owns.
    Some(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) })
}

/// `move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH)`: attach a detached
/// tree from [`clone_tree`] at `target` (move_mount(2)).
fn attach_tree(tree: &std::os::fd::OwnedFd, target: &str) -> std::io::Result<()> {
    const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 4;
    let target = std::ffi::CString::new(target)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in a path"))?;
    // SAFETY: move_mount with a descriptor we own and valid C strings alive for the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            std::os::fd::AsRawFd::as_raw_fd(tree),
            c"".as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn mount(
    source: Option<&str>,
    target: &str,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> std::io::Result<()> {
    let c = |s: &str| {
        std::ffi::CString::new(s).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in a mount argument")
        })
    };
    let (source, target, fstype, data) = (
        source.map(c).transpose()?,
        c(target)?,
        fstype.map(c).transpose()?,
        data.map(c).transpose()?,
    );
    let ptr = |s: &Option<std::ffi::CString>| s.as_ref().map_or(core::ptr::null(), |s| s.as_ptr());
    // SAFETY: mount(2) with valid C strings (or null where allowed) that outlive the call.
    let r = unsafe {
        libc::mount(
            ptr(&source),
            target.as_ptr(),
            ptr(&fstype),
            flags,
            ptr(&data).cast(),
        )
    };
    if r != 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn host_error(what: &'static str) -> SetupError {
    SetupError::Host {
        what,
        source: std::io::Error::last_os_error(),
    }
}

/// Threads of this process, from `/proc/self/task`; `None` if /proc cannot say (then
/// `unshare(CLONE_NEWUSER)`, which the kernel refuses to a threaded process, still checks).
fn thread_count() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/task").ok()?.count())
}

fn unshare(flags: libc::c_int) -> std::io::Result<()> {
    // SAFETY: unshare takes no pointers; the namespaces it creates are this process's alone.
    if unsafe { libc::unshare(flags) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Enter a new user namespace in which the runner keeps its own ids (user_namespaces(7)): the
/// map holds one uid and one gid, the effective ones, so the runner can take no other id
/// inside it; `setgroups` is denied, which an unprivileged process must do before writing
/// its gid map. Host files keep their owners' access rules; their owners other than the
/// runner's ids show as the overflow id (65534) to the runner.
fn enter_user_namespace() -> Result<(), Unavailable> {
    // SAFETY: geteuid and getegid have no preconditions.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let unavailable = |why: String| Unavailable {
        what: "user namespace".into(),
        why,
        plural: false,
    };
    unshare(libc::CLONE_NEWUSER).map_err(|e| unavailable(format!("unshare: {e}")))?;
    let write = |path: &str, line: String| {
        // One write(2) per file, as the kernel requires for the id maps.
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .map_err(|e| unavailable(format!("entered, but writing {path}: {e}")))
    };
    write("/proc/self/setgroups", "deny".into())?;
    write("/proc/self/uid_map", format!("{uid} {uid} 1\n"))?;
    write("/proc/self/gid_map", format!("{gid} {gid} 1\n"))
}

/// Enter the namespaces of [`NAMESPACES`], all at once or else each that the host allows.
/// Returns the `CLONE_NEW*` flags of those entered and what was refused.
fn enter_namespaces() -> (libc::c_int, Option<Unavailable>) {
    let all = NAMESPACES.iter().fold(0, |flags, &(flag, _)| flags | flag);
    if unshare(all).is_ok() {
        return (all, None);
    }
    let mut entered = 0;
    let mut failed = Vec::new();
    let mut first_error = None;
    for (flag, name) in NAMESPACES {
        match unshare(flag) {
            Ok(()) => entered |= flag,
            Err(e) => {
                failed.push(name);
                first_error.get_or_insert(e);
            }
        }
    }
    let refused = first_error.map(|e| Unavailable {
        what: format!("{} namespace{}", failed.join(", "), plural_s(failed.len())),
        why: format!("unshare: {e}"),
        plural: failed.len() > 1,
    });
    (entered, refused)
}

fn plural_s(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Restrict the calling thread, and the threads it creates later, with Landlock: read access
/// ([`VOLUME_READ`]) beneath each of `volume_roots`, and write access ([`VOLUME_WRITE`])
/// beneath those marked writable, and no other filesystem access; no TCP bind or connect;
/// signals and abstract Unix sockets scoped to the sandbox. Best effort: whatever the
/// kernel's Landlock lacks is left out (see the returned status).
///
/// The rules are made from the volume roots' own descriptors, so they cover exactly the
/// directories the platform opened, whatever has happened to their paths since.
pub fn restrict_to_volumes<'a>(
    volume_roots: impl IntoIterator<Item = (BorrowedFd<'a>, bool)>,
) -> Result<RestrictionStatus, RulesetError> {
    let ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(LANDLOCK_ABI))?
        .handle_access(AccessNet::from_all(LANDLOCK_ABI))?
        .scope(Scope::from_all(LANDLOCK_ABI))?
        .create()?;
    volume_roots
        .into_iter()
        .try_fold(ruleset, |ruleset, (root, writable)| {
            let access = if writable {
                VOLUME_READ | VOLUME_WRITE
            } else {
                VOLUME_READ
            };
            ruleset.add_rule(PathBeneath::new(root, access))
        })?
        .restrict_self()
}

/// What of the Landlock ruleset the kernel could not enforce, as warnings.
fn landlock_gaps(status: &RestrictionStatus) -> Vec<Unavailable> {
    let unavailable = |what: &str, why: String, plural| Unavailable {
        what: what.into(),
        why,
        plural,
    };
    let abi = match status.landlock {
        LandlockStatus::NotEnabled => {
            return vec![unavailable(
                "Landlock",
                "the kernel has it but it is not enabled: add landlock to the lsm= boot parameter"
                    .into(),
                false,
            )];
        }
        LandlockStatus::NotImplemented => {
            return vec![unavailable(
                "Landlock",
                "the kernel is built without it (CONFIG_SECURITY_LANDLOCK)".into(),
                false,
            )];
        }
        LandlockStatus::Available { effective_abi, .. } => effective_abi,
    };
    if status.ruleset == RulesetStatus::NotEnforced {
        return vec![unavailable(
            "Landlock",
            format!("the ruleset was not enforced (kernel Landlock ABI {abi:?})"),
            false,
        )];
    }
    let mut gaps = Vec::new();
    if abi < ABI::V4 {
        gaps.push(unavailable(
            "Landlock TCP rules",
            format!("kernel Landlock ABI {abi:?}; they need V4, Linux 6.7"),
            true,
        ));
    }
    if abi < ABI::V6 {
        gaps.push(unavailable(
            "Landlock scoping of signals and abstract Unix sockets",
            format!("kernel Landlock ABI {abi:?}; it needs V6, Linux 6.12"),
            false,
        ));
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{ErrorKind, Read};
    use std::os::fd::{AsFd, AsRawFd};
    use std::path::{Path, PathBuf};

    /// A directory beside the test binary (an exec-able filesystem, unlike a `noexec` /tmp),
    /// removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let exe = std::env::current_exe().expect("test binary path");
            let dir = exe
                .parent()
                .expect("test binary has a directory")
                .join(format!("{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create the test directory");
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A child process outside the Landlock domain, killed on drop.
    struct Outsider(std::process::Child);

    impl Drop for Outsider {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn errno(r: std::io::Result<impl Sized>) -> Option<i32> {
        r.err().and_then(|e| e.raw_os_error())
    }

    /// Map `path` with PROT_READ|PROT_EXEC, as the runner maps guest code from a volume.
    fn map_exec(path: &Path) -> std::io::Result<()> {
        let file = std::fs::File::open(path)?;
        const LEN: usize = 4096;
        // SAFETY: a fresh private mapping chosen by the kernel, unmapped below; nothing reads it.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                LEN,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: unmapping the mapping made above.
        unsafe { libc::munmap(p, LEN) };
        Ok(())
    }

    #[test]
    fn mounts_under_a_volume_are_found_with_escapes_undone() {
        let info = "\
22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/root rw
30 22 0:30 / /tmp rw,nosuid,nodev shared:2 - tmpfs tmpfs rw
41 30 0:30 /a /tmp/volumes/1 ro - tmpfs tmpfs rw
42 41 8:1 /d /tmp/volumes/1/sub rw - ext4 /dev/sda1 rw
43 41 8:1 /e /tmp/volumes/1/with\\040space rw - ext4 /dev/sda1 rw
44 30 8:1 /f /tmp/volumes/10 rw - ext4 /dev/sda1 rw
";
        assert_eq!(
            mounts_under(info, "/tmp/volumes/1"),
            [
                "/tmp/volumes/1",
                "/tmp/volumes/1/sub",
                "/tmp/volumes/1/with space"
            ]
        );
        assert_eq!(unescape_mountinfo("a\\134b\\011\\9"), "a\\b\t\\9");
    }

    /// The fallback of [`seal_tree`] on a kernel that has `mount_setattr` too: in a forked
    /// process (one thread, so that it may enter a user namespace), a volume with a mount
    /// nested in it is bind-mounted recursively, as the jail does, and remounted mount by
    /// mount; then its top-level file and the nested mount's file refuse chmod, utimes and
    /// writing with EROFS.
    #[test]
    fn nested_mounts_are_made_read_only_by_remounting_each() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = TempDir::new("harden-seal-each");
        for d in ["volume/sub", "data", "jail"] {
            std::fs::create_dir_all(dir.0.join(d)).expect("make a test dir");
        }
        std::fs::write(dir.0.join("volume/top"), "top").expect("write a volume file");
        std::fs::write(dir.0.join("data/victim"), "nested").expect("write the victim");
        let victim_mode = std::fs::metadata(dir.0.join("data/victim")).unwrap().mode();
        let path = |p: &str| dir.0.join(p).to_str().expect("UTF-8 path").to_owned();
        let child = || -> Result<(), String> {
            unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS)
                .map_err(|e| format!("no user namespace: {e}"))?;
            let step = |what: &str, r: std::io::Result<()>| r.map_err(|e| format!("{what}: {e}"));
            step(
                "private mounts",
                mount(None, "/", None, libc::MS_REC | libc::MS_PRIVATE, None),
            )?;
            step(
                "nesting a mount in the volume",
                mount(
                    Some(&path("data")),
                    &path("volume/sub"),
                    None,
                    libc::MS_BIND,
                    None,
                ),
            )?;
            let jail = path("jail");
            let flags = libc::MS_BIND | libc::MS_REC;
            step(
                "binding the volume's tree",
                mount(Some(&path("volume")), &jail, None, flags, None),
            )?;
            step("remounting each mount", seal_each_mount(&jail, true))?;
            for file in ["jail/top", "jail/sub/victim"] {
                let f = dir.0.join(file);
                let mode = std::fs::Permissions::from_mode(0o4777);
                let times = std::fs::File::open(&f)
                    .and_then(|h| h.set_modified(std::time::SystemTime::UNIX_EPOCH));
                let results = [
                    ("chmod", errno(std::fs::set_permissions(&f, mode))),
                    ("utimes", errno(times)),
                    (
                        "open for writing",
                        errno(std::fs::OpenOptions::new().write(true).open(&f)),
                    ),
                ];
                for (what, e) in results {
                    if e != Some(libc::EROFS) {
                        return Err(format!("{what} {file}: errno {e:?}, not EROFS"));
                    }
                }
            }
            Ok(())
        };
        // SAFETY: the child makes system calls and allocates (glibc's fork leaves the
        // allocator usable) and ends with _exit, never returning into the test harness.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork");
        if pid == 0 {
            let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)) {
                Ok(Ok(())) => 0,
                Ok(Err(msg)) => {
                    let msg = format!("{msg}\n");
                    // SAFETY: write of a buffer that outlives the call.
                    unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
                    if msg.starts_with("no user namespace") {
                        2
                    } else {
                        1
                    }
                }
                Err(_) => 1,
            };
            // SAFETY: ends the forked child without running the harness's code.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waitpid on our own child with a valid status pointer.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status), "the child ended by a signal");
        match libc::WEXITSTATUS(status) {
            0 => {}
            2 => {
                println!("skipped: this host gives no user namespace");
                return;
            }
            c => panic!("the forked check failed ({c}); its message is on stderr"),
        }
        let m = std::fs::metadata(dir.0.join("data/victim")).expect("stat the victim");
        assert_eq!(m.mode(), victim_mode);
        assert_eq!(std::fs::read(dir.0.join("data/victim")).unwrap(), b"nested");
    }

    #[test]
    fn unavailable_is_one_line() {
        let one = Unavailable {
            what: "user namespace".into(),
            why: "unshare: Operation not permitted (os error 1)".into(),
            plural: false,
        };
        assert_eq!(
            one.to_string(),
            "user namespace not available (unshare: Operation not permitted (os error 1)); continuing without it"
        );
        let two = Unavailable {
            plural: true,
            what: "network, IPC namespaces".into(),
            ..one
        };
        assert!(two.to_string().ends_with("continuing without them"));
    }

    /// The ruleset the platform applies, applied to one thread of the test process (Landlock
    /// restricts the calling thread only): a volume stays readable, mappable for execution
    /// and listable; everything else of the filesystem, writes to the volume, TCP and signals
    /// to other processes are refused.
    #[test]
    fn landlock_allows_reading_the_volumes_only() {
        let volume = TempDir::new("harden-landlock");
        let inside = volume.0.join("file");
        std::fs::write(&inside, b"inside the volume").expect("write a volume file");
        // A process outside the Landlock domain, for the signal scope.
        let outsider = Outsider(
            std::process::Command::new("sleep")
                .arg("30")
                .spawn()
                .expect("start sleep"),
        );
        let outsider_pid = outsider.0.id() as libc::pid_t;
        let root = std::fs::File::open(&volume.0).expect("open the volume root");

        let checked = std::thread::scope(|s| {
            s.spawn(|| {
                let status =
                    restrict_to_volumes([(root.as_fd(), false)]).expect("Landlock ruleset");
                let LandlockStatus::Available { effective_abi, .. } = status.landlock else {
                    return None;
                };
                assert_ne!(status.ruleset, RulesetStatus::NotEnforced);

                let mut text = String::new();
                std::fs::File::open(&inside)
                    .and_then(|mut f| f.read_to_string(&mut text))
                    .expect("a volume file is readable");
                assert_eq!(text, "inside the volume");
                let listed = std::fs::read_dir(&volume.0)
                    .expect("the volume is listable")
                    .count();
                assert_eq!(listed, 1);
                map_exec(&inside).expect("mmap(PROT_EXEC) of a volume file needs no Execute");

                assert_eq!(
                    errno(std::fs::File::open("/etc/passwd")),
                    Some(libc::EACCES),
                    "a host file outside the volumes"
                );
                assert_eq!(
                    errno(std::fs::read_dir("/")),
                    Some(libc::EACCES),
                    "listing a directory outside the volumes"
                );
                assert_eq!(
                    errno(std::fs::OpenOptions::new().append(true).open(&inside)),
                    Some(libc::EACCES),
                    "writing to a read-only volume"
                );
                assert_eq!(
                    errno(std::fs::File::create(volume.0.join("new"))),
                    Some(libc::EACCES),
                    "creating a file in a read-only volume"
                );
                if effective_abi >= ABI::V4 {
                    // Refused before any packet: without Landlock this is ECONNREFUSED.
                    assert_eq!(
                        errno(std::net::TcpStream::connect("127.0.0.1:9")),
                        Some(libc::EACCES),
                        "TCP connect"
                    );
                }
                if effective_abi >= ABI::V6 {
                    // SAFETY: signal 0 only checks permission; nothing is delivered.
                    let r = unsafe { libc::kill(outsider_pid, 0) };
                    assert_eq!(
                        (r, std::io::Error::last_os_error().raw_os_error()),
                        (-1, Some(libc::EPERM)),
                        "signalling a process outside the sandbox"
                    );
                }
                Some(effective_abi)
            })
            .join()
            .expect("the restricted thread's checks")
        });
        drop(outsider);
        match checked {
            Some(abi) => eprintln!("Landlock checks passed with kernel ABI {abi:?}"),
            None => eprintln!("note: this kernel has no Landlock; its checks were skipped"),
        }
        // The rest of the test process is not restricted.
        let other = std::fs::File::open("/etc/passwd").map(|_| ());
        assert!(
            other.is_ok() || other.is_err_and(|e| e.kind() == ErrorKind::NotFound),
            "only the restricted thread is in the Landlock domain"
        );
    }

    /// A read-write volume beside a read-only one: Landlock lets the runner make, change,
    /// link, move (between directories: `Refer`) and remove files in the first only.
    #[test]
    fn landlock_allows_writing_the_read_write_volumes_only() {
        let rw = TempDir::new("harden-landlock-rw");
        let ro = TempDir::new("harden-landlock-ro");
        std::fs::create_dir(rw.0.join("d")).expect("make a directory");
        std::fs::write(ro.0.join("file"), b"read-only").expect("write a file");
        let (rw_root, ro_root) = (
            std::fs::File::open(&rw.0).expect("open the rw volume"),
            std::fs::File::open(&ro.0).expect("open the ro volume"),
        );
        let checked = std::thread::scope(|s| {
            s.spawn(|| {
                let status =
                    restrict_to_volumes([(rw_root.as_fd(), true), (ro_root.as_fd(), false)])
                        .expect("Landlock ruleset");
                let LandlockStatus::Available { effective_abi, .. } = status.landlock else {
                    return None;
                };
                let (a, b) = (rw.0.join("a"), rw.0.join("d/b"));
                std::fs::write(&a, b"written").expect("create and write in the rw volume");
                std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&a)
                    .expect("truncate in the rw volume");
                std::fs::hard_link(&a, rw.0.join("d/link")).expect("hard link across directories");
                std::fs::rename(&a, &b).expect("rename across directories");
                std::os::unix::fs::symlink("b", rw.0.join("d/sym")).expect("symlink");
                std::fs::create_dir(rw.0.join("d/e")).expect("mkdir");
                std::fs::remove_dir(rw.0.join("d/e")).expect("rmdir");
                std::fs::remove_file(rw.0.join("d/link")).expect("unlink");
                assert_eq!(
                    errno(std::fs::File::create(ro.0.join("new"))),
                    Some(libc::EACCES),
                    "creating in the read-only volume"
                );
                assert_eq!(
                    errno(
                        std::fs::OpenOptions::new()
                            .append(true)
                            .open(ro.0.join("file"))
                    ),
                    Some(libc::EACCES),
                    "writing in the read-only volume"
                );
                assert_eq!(
                    errno(std::fs::remove_file(ro.0.join("file"))),
                    Some(libc::EACCES),
                    "removing from the read-only volume"
                );
                // Out of the rw volume into the ro one: Landlock's EXDEV for a move between
                // hierarchies it cannot allow.
                let moved = errno(std::fs::rename(&b, ro.0.join("b")));
                assert!(
                    matches!(moved, Some(libc::EXDEV | libc::EACCES)),
                    "{moved:?}"
                );
                Some(effective_abi)
            })
            .join()
            .expect("the restricted thread's checks")
        });
        match checked {
            Some(abi) => {
                eprintln!("Landlock checks passed with kernel ABI {abi:?}");
                assert_eq!(std::fs::read(rw.0.join("d/b")).ok(), Some(Vec::new()));
                assert!(!ro.0.join("b").exists() && !ro.0.join("new").exists());
            }
            None => eprintln!("note: this kernel has no Landlock; its checks were skipped"),
        }
    }
}

/// Host resource limits from the policy: the host enforces what the library OS cannot
/// (CPU time) and backs up what it does (descriptors, file size).
#[derive(Clone, Copy, Debug, Default)]
pub struct HostLimits {
    /// RLIMIT_CPU: SIGXCPU at this many seconds (it ends the sandbox, status 152, as it ends
    /// a program without a handler; the guest's own SIGXCPU handler is not run), SIGKILL a second
    /// later.
    pub cpu_seconds: Option<u64>,
    /// RLIMIT_FSIZE: host files (read-write volumes, redirected stdout) stop growing here.
    pub file_size: Option<u64>,
    /// The guest's descriptor limit; the host limit is this plus the runner's own needs.
    pub open_files: Option<u64>,
}

/// Descriptors the runner needs beside the guest's: volume roots, the directory cache,
/// stdio.
const RUNNER_FDS: u64 = 256;

/// Set the host rlimits of `limits` (soft and hard: a process cannot raise them again).
pub fn limit_resources(limits: &HostLimits) -> Result<(), SetupError> {
    let set = |resource, soft: u64, hard: u64, what| {
        let mut cur = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: valid out pointer.
        if unsafe { libc::getrlimit(resource, &mut cur) } != 0 {
            return Err(host_error(what));
        }
        // Tightened, never loosened: the runner started with these (RLIMIT_NOFILE's soft
        // one was raised to the hard one for the runner's own descriptors:
        // `limits::make_room`), and an unprivileged process cannot raise its hard limit.
        let hard = hard.min(cur.rlim_max);
        let lim = libc::rlimit {
            rlim_cur: soft.min(cur.rlim_cur).min(hard),
            rlim_max: hard,
        };
        // SAFETY: `lim` is a valid rlimit for the call.
        if unsafe { libc::setrlimit(resource, &lim) } != 0 {
            return Err(host_error(what));
        }
        Ok(())
    };
    if let Some(s) = limits.cpu_seconds {
        set(
            libc::RLIMIT_CPU,
            s,
            s.saturating_add(1),
            "limiting CPU time (RLIMIT_CPU)",
        )?;
    }
    if let Some(b) = limits.file_size {
        set(
            libc::RLIMIT_FSIZE,
            b,
            b,
            "limiting file size (RLIMIT_FSIZE)",
        )?;
    }
    if let Some(n) = limits.open_files {
        let n = n.saturating_add(RUNNER_FDS);
        set(
            libc::RLIMIT_NOFILE,
            n,
            n,
            "limiting open descriptors (RLIMIT_NOFILE)",
        )?;
    }
    Ok(())
}
