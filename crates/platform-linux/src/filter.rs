//! The host seccomp filter: which host system calls the library OS itself may make, and the
//! routing rule that sends every other system call to the shim.
//!
//! Routing is by the caller's instruction pointer, which guest code cannot forge: a system
//! call whose instruction lies in the runner's own text (one static-pie binary) is checked
//! against [`ALLOWLIST`]; one from the vDSO may only read clocks; every other one — guest
//! code, JIT code, anything — is turned into SIGSYS (`SECCOMP_RET_TRAP`) and served by the
//! shim. Guest code can still jump into the runner's text, so every allowlisted call must be
//! harmless with arbitrary arguments; argument constraints narrow those that are not
//! (see SECURITY.md, generated from this table).

use crate::bpf::{Op, SockFilter, To, assemble, data};

/// `AUDIT_ARCH_X86_64` (include/uapi/linux/audit.h).
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// Syscall numbers at or above this are the x32 ABI (arch/x86/include/uapi/asm/unistd.h).
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
/// SECCOMP_RET_ERRNO | ENOSYS: the answer to [`ERRNO_ONLY`] calls.
const RET_ENOSYS: u32 = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;

/// A constraint on one argument of an allowed call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgRule {
    /// The argument's bits in the first mask must all be set and those in the second all
    /// clear (and it must fit in 32 bits).
    Flags(u32, u64, u64),
    /// The argument must equal one of these values.
    OneOf(u32, &'static [u64]),
    /// The argument must be the runner's own process id ([`FilterSpec::pid`]).
    OwnPid(u32),
    /// The argument must not have every bit of `mask` set (e.g. not PROT_WRITE|PROT_EXEC).
    NotAllSet(u32, u64),
    /// As `Flags`, or the argument is exactly the third value (clone: thread flags, or
    /// glibc's fork).
    FlagsOrExactly(u32, u64, u64, u64),
    /// Argument `.0` is the runner's own pid; or, when the runner is pid 1 of its own pid
    /// namespace (every process it can name is the sandbox's), argument `.1` is signal `.2`.
    OwnPidOrSignal(u32, u32, u64),
    /// The argument is a descriptor the library OS opened for a volume: at or above
    /// [`FD_FLOOR`] (and a non-negative int, high word 0), or one of the listed numbers (stdio,
    /// `-1`), compared on its low 32 bits: the kernel reads a descriptor as a 32-bit int
    /// (`fget` takes an `unsigned int`), so a high word cannot make it name another one.
    Fd(u32, &'static [u64]),
    /// The rule applies unless the policy has the feature (e.g. `jit` lifts W^X).
    Unless(Feature, &'static ArgRule),
}

/// The lowest descriptor that the volume calls may name ([`crate::fd_floor`]).
pub const FD_FLOOR: u32 = crate::fd_floor::FD_FLOOR as u32;
/// The caller's stdio.
const STDIO: &[u64] = &[0, 1, 2];
/// `mmap` without a file: `-1` (the kernel ignores the descriptor of an anonymous mapping).
const NO_FD: &[u64] = &[0xffff_ffff];
/// A volume descriptor and nothing else.
const VOLUME: &[u64] = &[];
/// The largest descriptor number (an int).
const FD_MAX: u32 = i32::MAX as u32;

/// One allowed host syscall.
#[derive(Clone, Copy, Debug)]
pub struct Allowed {
    /// Syscall number.
    pub nr: u32,
    /// Its name.
    pub name: &'static str,
    /// Why the library OS needs it.
    pub reason: &'static str,
    /// Argument constraints that seccomp can check; all must hold.
    pub args: &'static [ArgRule],
    /// Policy feature that needs it (`core` = every sandbox).
    pub feature: Feature,
    /// What guest code can do with it when it calls the runner's own `syscall` instruction
    /// with arguments of its choice (the omniscient guest of SECURITY.md).
    pub attacker: &'static str,
}

/// Policy features that widen the allowlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Needed by every sandbox.
    Core,
    /// Host directories are mounted.
    HostVolumes,
    /// At least one host directory is mounted read-write.
    HostVolumesWrite,
    /// The guest may map memory writable and executable at once (JIT compilers).
    Jit,
}

impl Feature {
    /// Name used in docs.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Core => "core",
            Feature::HostVolumes => "host-volumes",
            Feature::HostVolumesWrite => "host-volumes-rw",
            Feature::Jit => "jit",
        }
    }
}

/// The policy features a filter is built for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// Host directories are mounted.
    pub host_volumes: bool,
    /// At least one of them is mounted read-write.
    pub writable_volumes: bool,
    /// Writable and executable guest mappings are allowed.
    pub jit: bool,
}

impl Features {
    /// The default policy: the host's system directories are mounted read-only.
    pub const DEFAULT_POLICY: Features = Features {
        host_volumes: true,
        writable_volumes: false,
        jit: false,
    };

    /// Every feature on (the widest filter).
    pub const ALL: Features = Features {
        host_volumes: true,
        writable_volumes: true,
        jit: true,
    };

    /// Whether `f` is on.
    pub fn has(self, f: Feature) -> bool {
        match f {
            Feature::Core => true,
            Feature::HostVolumes => self.host_volumes,
            Feature::HostVolumesWrite => self.host_volumes && self.writable_volumes,
            Feature::Jit => self.jit,
        }
    }
}

/// Writable and executable at once: refused unless the policy allows JIT compilers.
const PROT_WX: u64 = (libc::PROT_WRITE | libc::PROT_EXEC) as u64;
const CLONE_THREAD_FLAGS: u64 = (libc::CLONE_VM | libc::CLONE_THREAD | libc::CLONE_SIGHAND) as u64;
/// glibc's fork: `CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD` (sysdeps/unix/sysv/
/// linux/arch-fork.h). No `CLONE_VM`: the child is a copy.
const GLIBC_FORK_FLAGS: u64 =
    (libc::CLONE_CHILD_SETTID | libc::CLONE_CHILD_CLEARTID | libc::SIGCHLD) as u64;
/// The signal that interrupts a guest thread ([`crate::intercept::KICK_SIGNAL`]).
const KICK_SIGNAL: u64 = crate::intercept::KICK_SIGNAL as u64;
/// New namespaces: a thread may be given its own (the runner holds every capability in its
/// user namespace), and the library OS never needs one after start-up.
const CLONE_NAMESPACE_FLAGS: u64 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWCGROUP
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET
    | 0x80) as u64; // CLONE_NEWTIME (include/uapi/linux/sched.h)
/// `unlinkat` flags: a file, or `AT_REMOVEDIR`.
const UNLINK_FLAGS: &[u64] = &[0, libc::AT_REMOVEDIR as u64];
/// `renameat2` flags: none, `RENAME_NOREPLACE` or `RENAME_EXCHANGE` (not `RENAME_WHITEOUT`).
const RENAME_FLAGS: &[u64] = &[
    0,
    libc::RENAME_NOREPLACE as u64,
    libc::RENAME_EXCHANGE as u64,
];
/// `linkat` flags: 0 only. `AT_EMPTY_PATH` would link any open descriptor (a file opened
/// before the sandbox, or reached some other way) into a volume; `AT_SYMLINK_FOLLOW` would
/// follow a link planted in the volume.
const LINK_FLAGS: &[u64] = &[0];
/// `AT_SYMLINK_NOFOLLOW` alone: a link at the name is never followed.
const NOFOLLOW_ONLY: &[u64] = &[libc::AT_SYMLINK_NOFOLLOW as u64];
/// `utimensat` flags: 0 (`futimens` on an open file, path NULL) or `AT_SYMLINK_NOFOLLOW`.
const UTIMENS_FLAGS: &[u64] = &[0, libc::AT_SYMLINK_NOFOLLOW as u64];
/// `fallocate` modes: 0 or `FALLOC_FL_KEEP_SIZE` (no hole punching or range collapsing).
/// `madvise` advice: what the library OS, glibc and the allocator ask for. Not
/// `MADV_HWPOISON` or `MADV_SOFT_OFFLINE` (they act on the physical page, a host page-cache
/// page for a mapped volume file, and need only `CAP_SYS_ADMIN`, which a root runner without
/// a user namespace has), nor advice that changes what a fork copies.
const MADVISE_ADVICE: &[u64] = &[
    libc::MADV_DONTNEED as u64,
    libc::MADV_FREE as u64,
    libc::MADV_REMOVE as u64,
];
const FALLOCATE_MODES: &[u64] = &[0, libc::FALLOC_FL_KEEP_SIZE as u64];
/// `newfstatat` flags: `AT_EMPTY_PATH` (glibc's fstat) or `AT_SYMLINK_NOFOLLOW |
/// AT_NO_AUTOMOUNT` (a name in a volume directory): never following a final link.
const STAT_FLAGS: &[u64] = &[
    libc::AT_EMPTY_PATH as u64,
    (libc::AT_SYMLINK_NOFOLLOW | libc::AT_NO_AUTOMOUNT) as u64,
];
const TERMINAL_IOCTLS: &[u64] = &[
    libc::TCGETS,
    libc::TIOCGWINSZ,
    libc::TIOCGPGRP,
    libc::FIONREAD,
];

macro_rules! allow {
    ($name:ident, $feature:ident, $reason:expr, $attacker:expr) => {
        allow!($name, $feature, $reason, $attacker, [])
    };
    ($name:ident, $feature:ident, $reason:expr, $attacker:expr, [$($arg:expr),*]) => {
        Allowed {
            nr: libc::$name as u32,
            name: stringify!($name),
            reason: $reason,
            args: &[$($arg),*],
            feature: Feature::$feature,
            attacker: $attacker,
        }
    };
}

/// Every host syscall the library OS may make, with its reason and what guest code that
/// calls it with arguments of its choice can do with it.
pub const ALLOWLIST: &[Allowed] = &[
    allow!(
        SYS_read,
        Core,
        "guest stdin and host-volume files",
        "read stdin, or a volume file or directory descriptor that is open (what the volumes already let the guest read); nothing else below the floor",
        [ArgRule::Fd(0, &[0])]
    ),
    allow!(
        SYS_write,
        Core,
        "guest stdout/stderr (and /dev/tty, which is stdin), diagnostics",
        "write to the caller's stdio within the modes it was opened with (a log opened for appending only grows); never a volume or other descriptor",
        [ArgRule::OneOf(0, STDIO)]
    ),
    allow!(
        SYS_pread64,
        HostVolumes,
        "reads of host-volume files at an offset",
        "read an open volume file at any offset: what the volumes already let the guest read",
        [ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_close,
        Core,
        "closing host-volume files",
        "close volume descriptors, the library OS's cached directories included: its later calls on them fail, or reach the volume file or directory that took the number (still within the volumes and Landlock); never stdio or the placeholders below the floor, so no later descriptor takes their numbers",
        [ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_newfstatat,
        Core,
        "fstat of stdio and host-volume files (glibc's fstat is newfstatat(fd, \"\", AT_EMPTY_PATH)); stat of one name in an open host-volume directory, without following links",
        "metadata of stdio, of open volume files, of names beneath volume directories, and (absolute paths) of any path of the runner's root: in the jail only the volumes exist; without it any host path (with AT_EMPTY_PATH and a non-empty path, a final link is followed: still within that root)",
        [ArgRule::Fd(0, STDIO), ArgRule::OneOf(3, STAT_FLAGS)]
    ),
    allow!(
        SYS_openat2,
        HostVolumes,
        "opening host-volume files with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS",
        "open paths relative to a volume directory, or absolute ones, with any flags and resolve rules (they are in memory): Landlock allows reading beneath the volumes and writing beneath the read-write ones only; the jail holds nothing else. Without both: any file the runner's user may open",
        [ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_getdents64,
        HostVolumes,
        "listing host-volume directories",
        "list an open volume directory",
        [ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_readlinkat,
        HostVolumes,
        "symlink targets in host volumes (resolved by the library OS)",
        "read link targets beneath volume directories, or at absolute paths of the runner's root (in the jail: the volumes only)",
        [ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_fstatfs,
        HostVolumes,
        "statfs of a host volume (of its root's descriptor)",
        "filesystem figures of a volume",
        [ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_pwrite64,
        HostVolumesWrite,
        "writes to files of read-write volumes, at the guest's file offset",
        "write any volume file open for writing (files of read-only volumes are opened read-only: EBADF), up to RLIMIT_FSIZE",
        [ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_ftruncate,
        HostVolumesWrite,
        "truncate of an open file of a read-write volume",
        "truncate or extend a volume file open for writing",
        [ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_fsync,
        HostVolumesWrite,
        "fsync of an open file of a read-write volume",
        "flush a volume file (disk load only)",
        [ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_fallocate,
        HostVolumesWrite,
        "fallocate of an open file of a read-write volume: allocating only",
        "allocate disk space for a volume file open for writing (bounded by RLIMIT_FSIZE and the disk); no hole punching through fallocate (madvise(MADV_REMOVE) on a writable shared mapping of such a file can punch holes: within the read-write grant)",
        [ArgRule::OneOf(1, FALLOCATE_MODES), ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_fchmod,
        HostVolumesWrite,
        "chmod of an open file of a read-write volume",
        "set any mode, set-user-ID included, on an open volume file or directory that the runner's user owns; read-only volumes refuse (read-only bind mounts: with the jail only)",
        [ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_fchmodat2,
        HostVolumesWrite,
        "chmod of one name in an open read-write volume directory, not following a link",
        "as fchmod, for a name beneath a volume directory or an absolute path of the runner's root (in the jail: the volumes only); never through a final link",
        [ArgRule::OneOf(3, NOFOLLOW_ONLY), ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_utimensat,
        HostVolumesWrite,
        "times of an open file, or of one name in an open directory without following a link, of a read-write volume",
        "set the times of an open volume file, or of a path beneath a volume directory or of the runner's root, following a final link with flags 0 (in the jail: volume files only; read-only volumes refuse)",
        [ArgRule::OneOf(3, UTIMENS_FLAGS), ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_mkdirat,
        HostVolumesWrite,
        "mkdir of one name in an open read-write volume directory",
        "make directories beneath the read-write volumes (Landlock)",
        [ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_symlinkat,
        HostVolumesWrite,
        "symbolic link as one name in an open read-write volume directory (the target is stored, not followed)",
        "make links with any target beneath the read-write volumes (Landlock); the runner never follows them on the host",
        [ArgRule::Fd(1, VOLUME)]
    ),
    allow!(
        SYS_unlinkat,
        HostVolumesWrite,
        "unlink or rmdir of one name in an open read-write volume directory",
        "remove names beneath the read-write volumes (Landlock)",
        [ArgRule::OneOf(2, UNLINK_FLAGS), ArgRule::Fd(0, VOLUME)]
    ),
    allow!(
        SYS_renameat2,
        HostVolumesWrite,
        "rename between names in open directories of one read-write volume",
        "move names within and between the read-write volumes (Landlock); no whiteouts",
        [
            ArgRule::OneOf(4, RENAME_FLAGS),
            ArgRule::Fd(0, VOLUME),
            ArgRule::Fd(2, VOLUME)
        ]
    ),
    allow!(
        SYS_linkat,
        HostVolumesWrite,
        "hard link between names in open directories of one read-write volume; no AT_EMPTY_PATH, no following",
        "hard-link a file of the volumes under a new name in a read-write volume (Landlock); never an open descriptor (no AT_EMPTY_PATH)",
        [
            ArgRule::OneOf(4, LINK_FLAGS),
            ArgRule::Fd(0, VOLUME),
            ArgRule::Fd(2, VOLUME)
        ]
    ),
    allow!(
        SYS_mmap,
        Core,
        "guest memory inside the reserved guest range; the runner's heap",
        "map memory anywhere, over the runner's own too (the sandbox breaks, nothing else); map an open volume file as reading and writing it would; never writable and executable unless jit; never a descriptor below the floor",
        [
            ArgRule::Unless(Feature::Jit, &ArgRule::NotAllSet(2, PROT_WX)),
            ArgRule::Fd(4, NO_FD)
        ]
    ),
    allow!(
        SYS_munmap,
        Core,
        "the runner's heap; the library OS's view of shared file pages",
        "unmap any memory of the process, the runner's included: the sandbox breaks"
    ),
    allow!(
        SYS_mprotect,
        Core,
        "guest mprotect; thread stack guards",
        "change the protection of any memory of the process, never to writable and executable unless jit",
        [ArgRule::Unless(
            Feature::Jit,
            &ArgRule::NotAllSet(2, PROT_WX)
        )]
    ),
    allow!(
        SYS_mremap,
        Core,
        "guest mremap; second mappings of shared file pages (old_size 0); the runner's heap",
        "move, grow or duplicate any mapping of the process, the shared kernel heap included: the sandbox's own state"
    ),
    allow!(
        SYS_madvise,
        Core,
        "guest MADV_DONTNEED and MADV_FREE; freeing truncated shared file pages (MADV_REMOVE); the allocator and glibc's thread stacks (MADV_DONTNEED)",
        "drop the pages of any mapping, the shared kernel heap's included: the sandbox's own state; no other advice (MADV_HWPOISON and MADV_SOFT_OFFLINE would reach the host's page cache where the runner holds CAP_SYS_ADMIN, as root without a user namespace)",
        [ArgRule::OneOf(2, MADVISE_ADVICE)]
    ),
    allow!(
        SYS_brk,
        Core,
        "the runner's heap (glibc malloc)",
        "move the runner's heap end"
    ),
    allow!(
        SYS_futex,
        Core,
        "guest futexes and the library OS's waits",
        "wait on or wake any address of the process, and shared ones of the kernel heap in the sandbox's other processes: hang or wake the sandbox's threads. Residual (gadget): a shared (no FUTEX_PRIVATE_FLAG) wake or requeue on a mapped host-volume file is keyed on the host file, so it can wake a host process's waiters on that file or move them onto a guest word (they hang); the library OS itself makes guest futexes shared only in the sandbox's shared memory. Plan: serve MAP_SHARED anonymous memory from the kernel heap and require FUTEX_PRIVATE_FLAG or a kernel-heap arg0 (and arg4 for requeue and wake_op)"
    ),
    allow!(
        SYS_futex_waitv,
        Core,
        "waits that a signal for the guest can cut short",
        "wait on any address (its addresses are in memory, out of the filter's reach): hang the caller; it only waits, so it can neither wake nor move another process's waiters"
    ),
    allow!(
        SYS_clock_gettime,
        Core,
        "clocks (vDSO fallback)",
        "read a clock"
    ),
    allow!(
        SYS_getrandom,
        Core,
        "guest getrandom, AT_RANDOM, /dev/urandom",
        "read entropy"
    ),
    allow!(
        SYS_rt_sigprocmask,
        Core,
        "thread creation blocks host signals around clone",
        "block host signals in its own thread: a blocked SIGSYS makes the next trapped call end the process"
    ),
    allow!(
        SYS_rt_sigreturn,
        Core,
        "return from the library OS's own signal handlers",
        "load any registers and signal mask from memory (what it can already do to itself)"
    ),
    allow!(
        SYS_sigaltstack,
        Core,
        "each new thread's signal stack",
        "move its thread's signal stack: the next trap may then run on guest memory or fault (the sandbox's own state)"
    ),
    allow!(SYS_exit, Core, "end of a guest thread", "end its thread"),
    allow!(
        SYS_exit_group,
        Core,
        "end of the sandbox",
        "end its process with any status"
    ),
    allow!(
        SYS_clone,
        Core,
        "guest threads (thread flags, no new namespaces) and guest processes (glibc's fork: exactly its flags)",
        "start threads, or copies of the process with glibc's fork flags, each under the same filter, Landlock domain, namespaces and jail; how many processes the host lets it make: Resource limits",
        [ArgRule::FlagsOrExactly(
            0,
            CLONE_THREAD_FLAGS,
            CLONE_NAMESPACE_FLAGS,
            GLIBC_FORK_FLAGS
        )]
    ),
    allow!(
        SYS_rseq,
        Core,
        "glibc registers each new host thread, and aborts the process if that fails once the main thread has registered",
        "register or unregister its thread's restartable-sequence area"
    ),
    allow!(
        SYS_gettid,
        Core,
        "thread identity for kicks",
        "learn its host thread id"
    ),
    allow!(
        SYS_tgkill,
        Core,
        "interrupting a blocked guest thread: of this process, or (inside the sandbox's pid namespace) the kick signal to another process of the sandbox",
        "send any signal to a thread of its own process, or (pid namespace) the kick signal to a process of the sandbox; no host process is named by a pid in the namespace",
        [ArgRule::OwnPidOrSignal(0, 2, KICK_SIGNAL)]
    ),
    allow!(
        SYS_ppoll,
        Core,
        "readiness of stdio",
        "wait for the readiness of any descriptor (the array is in memory, unchecked): learn whether one of the runner's is readable or writable, change nothing; its signal mask holds during the wait only"
    ),
    allow!(
        SYS_ioctl,
        Core,
        "terminal queries on stdio",
        "read the terminal attributes, window size, foreground group or unread byte count of stdio; no other request (no TIOCSTI)",
        [ArgRule::OneOf(0, STDIO), ArgRule::OneOf(1, TERMINAL_IOCTLS)]
    ),
];

/// Calls glibc makes on its own in every new thread that the library OS does not need: the
/// filter answers them with an error (`SECCOMP_RET_ERRNO`) instead of executing them, and
/// glibc carries on (it ignores set_robust_list's result; pthread_getattr_np takes ENOSYS
/// from sched_getaffinity as "no affinity").
/// clone3 is answered ENOSYS so glibc falls back to clone, whose flags seccomp can check.
pub const ERRNO_ONLY: &[(u32, &str, &str)] = &[
    (
        libc::SYS_clone3 as u32,
        "clone3",
        "its flags are in memory, which seccomp cannot check: glibc falls back to clone",
    ),
    (
        libc::SYS_sched_getaffinity as u32,
        "sched_getaffinity",
        "glibc's pthread_getattr_np (Rust's thread start) asks; it treats ENOSYS as \"no affinity\"; the CPU count is read once before the filter",
    ),
    (
        libc::SYS_set_robust_list as u32,
        "set_robust_list",
        "glibc registers each new thread; the library OS's own locks are not robust futexes",
    ),
];

/// Syscalls from the vDSO: the fallback of the one vDSO function the runner calls
/// (`clock_gettime`, through glibc and std's clocks; clock resolutions are read before the
/// filter, and the runner calls no `gettimeofday`, `time` or `getcpu`).
pub const VDSO_ALLOWLIST: &[u32] = &[libc::SYS_clock_gettime as u32];

/// What the filter is built from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterSpec {
    /// The runner's executable text, `[start, end)`.
    pub text: (u64, u64),
    /// The vDSO's text, if mapped.
    pub vdso: Option<(u64, u64)>,
    /// The policy's features.
    pub features: Features,
    /// The runner's process id: the only thread group it may signal.
    pub pid: u32,
    /// The runner made the pid namespace it runs in and is its first process (pid 1), so
    /// every process it can name is one of the sandbox's. A runner that is merely pid 1 of a
    /// namespace it did not make (a container's entrypoint where `unshare` is refused) is
    /// not: there pid 1's namespace holds the container's other processes.
    pub own_pid_namespace: bool,
}

/// The allowlist for a spec.
pub fn allowed_for(features: Features) -> impl Iterator<Item = &'static Allowed> {
    ALLOWLIST.iter().filter(move |a| features.has(a.feature))
}

impl Allowed {
    /// The argument constraints that apply under `features` (a waived one left out).
    pub fn rules_for(&self, features: Features) -> Vec<ArgRule> {
        self.args
            .iter()
            .filter_map(|r| match *r {
                ArgRule::Unless(f, _) if features.has(f) => None,
                ArgRule::Unless(_, inner) => Some(*inner),
                other => Some(other),
            })
            .collect()
    }
}

const L_OURS: u32 = 1;
const L_VDSO: u32 = 2;
const L_TRAP: u32 = 3;
const L_KILL: u32 = 4;
const L_ALLOW: u32 = 5;
const L_DENY_OURS: u32 = 6;
const L_ENOSYS: u32 = 7;
const L_RANGE_BASE: u32 = 100;
/// Shared tails "argument `i` is a volume descriptor, then allow": `L_VOLUME_FD + i`.
const L_VOLUME_FD: u32 = 200;
const L_RULE_BASE: u32 = 1000;
/// Labels between the checks of one call: `L_CHAIN_BASE + 8 * call + check`.
const L_CHAIN_BASE: u32 = 10_000;

/// Emit "if instruction pointer in [start, end) goto `hit`", falling through otherwise.
fn ip_in_range(ops: &mut Vec<Op>, (start, end): (u64, u64), hit: u32, label: u32) {
    let (shi, slo) = ((start >> 32) as u32, start as u32);
    let last = end - 1;
    let (ehi, elo) = ((last >> 32) as u32, last as u32);
    let miss = label;
    ops.push(Op::Load(data::IP_HI));
    if shi == ehi {
        ops.push(Op::Jeq(shi, To::Next, To::L(miss)));
        ops.push(Op::Load(data::IP_LO));
        ops.push(Op::Jge(slo, To::Next, To::L(miss)));
        ops.push(Op::Jgt(elo, To::L(miss), To::L(hit)));
    } else {
        // The range crosses a 4 GiB boundary: [start, 2^32 boundary) or [boundary, end).
        let second = label + 50;
        ops.push(Op::Jeq(shi, To::Next, To::L(second)));
        ops.push(Op::Load(data::IP_LO));
        ops.push(Op::Jge(slo, To::L(hit), To::L(miss)));
        ops.push(Op::Label(second));
        ops.push(Op::Jeq(ehi, To::Next, To::L(miss)));
        ops.push(Op::Load(data::IP_LO));
        ops.push(Op::Jgt(elo, To::L(miss), To::L(hit)));
    }
    ops.push(Op::Label(miss));
}

/// The filter program for `spec`.
pub fn build(spec: &FilterSpec) -> Result<Vec<SockFilter>, crate::bpf::AsmError> {
    let mut ops = vec![
        Op::Load(data::ARCH),
        // Other architectures' calls (`int 0x80` from 64-bit code) are never executed: they
        // are trapped, and the SIGSYS handler answers ENOSYS.
        Op::Jeq(AUDIT_ARCH_X86_64, To::Next, To::L(L_TRAP)),
    ];
    ip_in_range(&mut ops, spec.text, L_OURS, L_RANGE_BASE);
    if let Some(vdso) = spec.vdso {
        ip_in_range(&mut ops, vdso, L_VDSO, L_RANGE_BASE + 1);
    }
    ops.push(Op::Label(L_TRAP));
    ops.push(Op::Ret(libc::SECCOMP_RET_TRAP));

    ops.push(Op::Label(L_VDSO));
    ops.push(Op::Load(data::NR));
    for &nr in VDSO_ALLOWLIST {
        ops.push(Op::Jeq(nr, To::L(L_ALLOW), To::Next));
    }
    ops.push(Op::Jump(L_KILL));

    ops.push(Op::Label(L_OURS));
    ops.push(Op::Load(data::NR));
    // Guest code may use any number (x32 ones included): it is trapped and gets ENOSYS from
    // the shim. Meridian's own text never makes x32 calls.
    ops.push(Op::Jge(X32_SYSCALL_BIT, To::L(L_KILL), To::Next));
    for &(nr, _, _) in ERRNO_ONLY {
        ops.push(Op::Jeq(nr, To::L(L_ENOSYS), To::Next));
    }
    let rules: Vec<&Allowed> = allowed_for(spec.features).collect();
    let mut volume_fd_tails = [false; 6];
    for (i, rule) in rules.iter().enumerate() {
        let next = L_RULE_BASE + 2 * i as u32;
        let body = next + 1;
        let mut checks = rule.rules_for(spec.features);
        // The last check, when it is "a volume descriptor", is a jump to a shared tail: most
        // volume calls then cost one instruction here.
        let tail = match checks.last() {
            Some(&ArgRule::Fd(a, [])) => {
                checks.pop();
                volume_fd_tails[a as usize] = true;
                L_VOLUME_FD + a
            }
            _ => L_ALLOW,
        };
        if checks.is_empty() {
            ops.push(Op::Jeq(rule.nr, To::L(tail), To::Next));
        } else {
            ops.push(Op::Jeq(rule.nr, To::L(body), To::L(next)));
            ops.push(Op::Label(body));
            let n = checks.len();
            for (j, &check) in checks.iter().enumerate() {
                let pass = if j + 1 == n {
                    tail
                } else {
                    L_CHAIN_BASE + 8 * i as u32 + j as u32
                };
                push_arg_check(&mut ops, check, spec, pass);
                if pass != tail {
                    ops.push(Op::Label(pass));
                }
            }
        }
        ops.push(Op::Label(next));
    }
    // Nothing else matched: not allowed.
    ops.push(Op::Jump(L_DENY_OURS));
    for (a, used) in volume_fd_tails.iter().enumerate() {
        if *used {
            ops.push(Op::Label(L_VOLUME_FD + a as u32));
            push_arg_check(&mut ops, ArgRule::Fd(a as u32, VOLUME), spec, L_ALLOW);
        }
    }
    ops.push(Op::Label(L_DENY_OURS));
    // A call from the runner's text that is not allowed: a bug in the library OS, or guest
    // code that jumped into it. Either way it is not executed; the SIGSYS handler reports.
    ops.push(Op::Ret(libc::SECCOMP_RET_TRAP));
    ops.push(Op::Label(L_ENOSYS));
    ops.push(Op::Ret(RET_ENOSYS));
    ops.push(Op::Label(L_ALLOW));
    ops.push(Op::Ret(libc::SECCOMP_RET_ALLOW));
    ops.push(Op::Label(L_KILL));
    ops.push(Op::Ret(libc::SECCOMP_RET_KILL_PROCESS));
    assemble(&ops)
}

/// Emit the check of `arg`: on success jump to `pass`, else to [`L_DENY_OURS`].
fn push_arg_check(ops: &mut Vec<Op>, arg: ArgRule, spec: &FilterSpec, pass: u32) {
    let pid = spec.pid;
    let (ok, deny) = (To::L(pass), To::L(L_DENY_OURS));
    match arg {
        ArgRule::OwnPid(i) => {
            ops.push(Op::Load(data::arg_hi(i)));
            ops.push(Op::Jeq(0, To::Next, deny));
            ops.push(Op::Load(data::arg_lo(i)));
            ops.push(Op::Jeq(pid, ok, deny));
        }
        ArgRule::Flags(i, required, forbidden) => {
            ops.push(Op::Load(data::arg_hi(i)));
            ops.push(Op::Jeq(0, To::Next, deny));
            ops.push(Op::Load(data::arg_lo(i)));
            ops.push(Op::And((required | forbidden) as u32));
            ops.push(Op::Jeq(required as u32, ok, deny));
        }
        ArgRule::FlagsOrExactly(i, required, forbidden, exact) => {
            ops.push(Op::Load(data::arg_hi(i)));
            ops.push(Op::Jeq(0, To::Next, deny));
            ops.push(Op::Load(data::arg_lo(i)));
            ops.push(Op::Jeq(exact as u32, ok, To::Next));
            ops.push(Op::And((required | forbidden) as u32));
            ops.push(Op::Jeq(required as u32, ok, deny));
        }
        ArgRule::OwnPidOrSignal(i, sig_arg, signo) => {
            ops.push(Op::Load(data::arg_hi(i)));
            ops.push(Op::Jeq(0, To::Next, deny));
            ops.push(Op::Load(data::arg_lo(i)));
            if !spec.own_pid_namespace {
                ops.push(Op::Jeq(pid, ok, deny));
            } else {
                ops.push(Op::Jeq(pid, ok, To::Next));
                ops.push(Op::Load(data::arg_hi(sig_arg)));
                ops.push(Op::Jeq(0, To::Next, deny));
                ops.push(Op::Load(data::arg_lo(sig_arg)));
                ops.push(Op::Jeq(signo as u32, ok, deny));
            }
        }
        ArgRule::NotAllSet(i, mask) => {
            // Only the low 32 bits matter to the kernel for prot (an int).
            ops.push(Op::Load(data::arg_lo(i)));
            ops.push(Op::And(mask as u32));
            ops.push(Op::Jeq(mask as u32, deny, ok));
        }
        ArgRule::OneOf(i, values) => {
            ops.push(Op::Load(data::arg_hi(i)));
            ops.push(Op::Jeq(0, To::Next, deny));
            ops.push(Op::Load(data::arg_lo(i)));
            for &v in values {
                ops.push(Op::Jeq(v as u32, ok, To::Next));
            }
            ops.push(Op::Jump(L_DENY_OURS));
        }
        ArgRule::Fd(i, also) => {
            ops.push(Op::Load(data::arg_lo(i)));
            for &v in also {
                ops.push(Op::Jeq(v as u32, ok, To::Next));
            }
            // Unsigned: negative numbers (AT_FDCWD, -1) are above FD_MAX.
            ops.push(Op::Jge(FD_FLOOR, To::Next, deny));
            ops.push(Op::Jgt(FD_MAX, deny, To::Next));
            ops.push(Op::Load(data::arg_hi(i)));
            ops.push(Op::Jeq(0, ok, deny));
        }
        ArgRule::Unless(_, inner) => push_arg_check(ops, *inner, spec, pass),
    }
}

impl Allowed {
    /// The name without `SYS_`.
    pub fn short_name(&self) -> &'static str {
        self.name.trim_start_matches("SYS_")
    }

    /// The argument constraints in words, joined by "; " (empty when there is none).
    pub fn constraint(&self) -> String {
        let words: Vec<String> = self.args.iter().map(|r| r.words()).collect();
        words.join("; ")
    }

    /// The constraints that apply under `features`, in words (empty when there is none).
    pub fn constraint_for(&self, features: Features) -> String {
        let words: Vec<String> = self
            .args
            .iter()
            .filter(|r| !matches!(r, ArgRule::Unless(f, _) if features.has(*f)))
            .map(|r| r.words())
            .collect();
        words.join("; ")
    }
}

impl ArgRule {
    /// The constraint in words.
    pub fn words(&self) -> String {
        match *self {
            ArgRule::Flags(i, required, forbidden) => {
                format!("arg{i} has all of {required:#x} and none of {forbidden:#x}")
            }
            ArgRule::OwnPid(i) => format!("arg{i} is the runner's pid"),
            ArgRule::FlagsOrExactly(i, required, forbidden, exact) => format!(
                "arg{i} has all of {required:#x} and none of {forbidden:#x}, or is {exact:#x}"
            ),
            ArgRule::OwnPidOrSignal(i, sig_arg, signo) => format!(
                "arg{i} is the runner's pid, or (in the sandbox's pid namespace) arg{sig_arg} is {signo}"
            ),
            ArgRule::NotAllSet(i, mask) => format!("arg{i} lacks some of {mask:#x}"),
            ArgRule::OneOf(i, values) => {
                let v: Vec<String> = values.iter().map(|v| format!("{v:#x}")).collect();
                format!("arg{i} one of {}", v.join(", "))
            }
            ArgRule::Fd(i, also) => {
                let v: Vec<String> = also
                    .iter()
                    .map(|&v| {
                        if v == 0xffff_ffff {
                            "-1".to_string()
                        } else {
                            v.to_string()
                        }
                    })
                    .collect();
                let or = if v.is_empty() {
                    String::new()
                } else {
                    format!(" or {}", v.join(", "))
                };
                format!("arg{i} >= {FD_FLOOR}{or}")
            }
            ArgRule::Unless(f, inner) => format!("{} unless {}", inner.words(), f.name()),
        }
    }
}

/// The kernel's `struct seccomp_data` for an x86-64 call `nr` at `ip` with `args`, as
/// [`crate::bpf::run`] takes it: for the tests and the filter-cost benchmark.
pub fn seccomp_data(nr: u32, ip: u64, args: [u64; 6]) -> [u8; 64] {
    let mut d = [0u8; 64];
    d[0..4].copy_from_slice(&nr.to_le_bytes());
    d[4..8].copy_from_slice(&AUDIT_ARCH_X86_64.to_le_bytes());
    d[8..16].copy_from_slice(&ip.to_le_bytes());
    for (i, a) in args.iter().enumerate() {
        d[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_le_bytes());
    }
    d
}

/// The allowlist as the Markdown table of SECURITY.md.
pub fn allowlist_markdown() -> String {
    let mut out = String::from(
        "| syscall | feature | argument constraint | reason | what guest code with any arguments can do |\n|---|---|---|---|---|\n",
    );
    for a in ALLOWLIST {
        let constraint = a.constraint();
        let name = a.short_name();
        out.push_str(&format!(
            "| `{name}` | {} | {constraint} | {} | {} |\n",
            a.feature.name(),
            a.reason.replace('|', "\\|"),
            a.attacker.replace('|', "\\|")
        ));
    }
    let default = allowed_for(Features::DEFAULT_POLICY).count();
    let all = allowed_for(Features::ALL).count();
    out.push_str(&format!(
        "\n{} entries: {default} host system calls for the default policy (host system \
         directories mounted read-only), {all} with every feature on.\n\n\
         Answered with ENOSYS by the filter, never executed (glibc makes them on its own):\n\n",
        ALLOWLIST.len()
    ));
    for (_, name, why) in ERRNO_ONLY {
        out.push_str(&format!("- `{name}`: {why}\n"));
    }
    out
}

#[cfg(test)]
mod tests;
