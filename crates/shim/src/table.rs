//! The syscall table: one declarative entry per Linux system call, and the dispatch.
//!
//! Each entry names the syscall, its argument kinds (used by `--trace` to decode), its
//! support level with a note, and the one-line call of its handler. The table is data:
//! `docs/syscalls.md` is generated from [`TABLE`] (`meridian syscalls`), and a test checks
//! that the checked-in copy is current. Numbers without an entry get ENOSYS, reported once.

use crate::errno::{SysError, SysResult};
use crate::{Kernel, LinuxPlatform, Thread};
use meridian_abi::uapi as nr;
use meridian_abi::{CpuContext, Errno};
use meridian_core::platform::Resume;

/// How to show an argument in a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A file descriptor or other small signed integer.
    Int,
    /// A size or count.
    Len,
    /// Flags or a mode, in hex/octal.
    Hex,
    /// A guest pointer.
    Ptr,
    /// A guest path string.
    Path,
}

/// How completely a syscall is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// As Linux.
    Full,
    /// Common uses work; the note says what does not.
    Partial,
    /// Always fails with the errno in the note (on purpose).
    Errno,
}

/// One syscall's entry.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// Number (x86-64).
    pub nr: u32,
    /// Name.
    pub name: &'static str,
    /// Argument kinds.
    pub args: &'static [Arg],
    /// Support level.
    pub support: Support,
    /// What is missing, or why it fails.
    pub note: &'static str,
}

/// What the dispatcher did.
pub enum Outcome {
    /// Put this result in rax.
    Return(SysResult),
    /// The handler set the whole context (rt_sigreturn): leave rax alone.
    ContextSet,
    /// The thread or process ends.
    Exit(Resume),
    /// The thread's process went on in another host process (a vfork child's exec): end
    /// the host thread without touching this kernel.
    Gone,
    /// This is the child of a fork, running on its parent's kernel object until the trap
    /// returns: return 0 to the guest (on `stack` if not 0) without touching that kernel.
    ForkChild {
        /// The child's stack pointer (clone's `stack`), or 0 to keep the parent's.
        stack: u64,
    },
}

macro_rules! syscalls {
    ($( $num:ident $name:literal [$($arg:ident),*] $support:ident $note:literal => |$k:ident, $t:ident, $a:ident, $ctx:ident, $fpu:ident| $call:expr; )*) => {
        /// Every syscall Meridian knows, in number order of declaration.
        pub static TABLE: &[Entry] = &[
            $( Entry { nr: nr::$num, name: $name, args: &[$(Arg::$arg),*], support: Support::$support, note: $note }, )*
        ];

        /// Decode and serve one syscall.
        #[allow(unused_variables)]
        pub fn dispatch<P: LinuxPlatform>(k: &Kernel<P>, t: &Thread, number: u64, ctx: &mut CpuContext, fpu: &mut [u8]) -> Outcome {
            let args = ctx.syscall_args();
            let n = u32::try_from(number).unwrap_or(u32::MAX);
            let out = match n {
                $( nr::$num => { let ($k, $t, $a, $ctx, $fpu) = (k, t, args, &mut *ctx, &mut *fpu); $call } )*
                _ => {
                    k.report_once(number, format_args!("unsupported system call {number}: returning ENOSYS"));
                    Outcome::Return(Err(Errno::ENOSYS.into()))
                }
            };
            if k.config.trace {
                k.trace_call(t, n, &args, &out);
            }
            out
        }
    };
}

fn ret(r: SysResult) -> Outcome {
    Outcome::Return(r)
}

fn enosys<P: LinuxPlatform>(k: &Kernel<P>, n: u32, why: &str) -> Outcome {
    k.report_once(
        u64::from(n),
        format_args!(
            "{} is not supported: returning ENOSYS ({why})",
            name_of(n).unwrap_or("?")
        ),
    );
    Outcome::Return(Err(SysError(Errno::ENOSYS)))
}

/// The name of syscall `n`, if in the table.
pub fn name_of(n: u32) -> Option<&'static str> {
    TABLE.iter().find(|e| e.nr == n).map(|e| e.name)
}

syscalls! {
    __NR_read "read" [Int, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_read(t, a[0], a[1], a[2], None));
    __NR_write "write" [Int, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_write(t, a[0], a[1], a[2], None));
    __NR_open "open" [Path, Hex, Hex] Full "" => |k, t, a, c, f| ret(k.sys_openat(t, crate::fs_calls::AT_FDCWD, a[0], a[1], a[2]));
    __NR_close "close" [Int] Full "" => |k, t, a, c, f| ret(k.sys_close(a[0]));
    __NR_stat "stat" [Path, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_newfstatat(crate::fs_calls::AT_FDCWD, a[0], a[1], 0));
    __NR_fstat "fstat" [Int, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_fstat(a[0], a[1]));
    __NR_lstat "lstat" [Path, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_newfstatat(crate::fs_calls::AT_FDCWD, a[0], a[1], crate::fs_calls::AT_SYMLINK_NOFOLLOW));
    __NR_poll "poll" [Ptr, Len, Int] Full "" => |k, t, a, c, f| ret(k.sys_poll(t, a[0], a[1], crate::poll::timeout_ms(a[2])));
    __NR_lseek "lseek" [Int, Int, Int] Full "SEEK_DATA/SEEK_HOLE treat files as one data extent" => |k, t, a, c, f| ret(k.sys_lseek(a[0], a[1], a[2]));
    __NR_mmap "mmap" [Ptr, Len, Hex, Hex, Int, Hex] Partial "MAP_PRIVATE of in-memory files is a copy of the file's bytes taken at mmap time (no SIGBUS past the end); MAP_SHARED in-memory files may grow while mapped to 4 times their size (64 MiB to 1 GiB), and these reservations take at most 128 GiB per sandbox (then ENOMEM); pages of a file that shrinks read zeros instead of SIGBUS; writable MAP_SHARED of host-volume files: EACCES" => |k, t, a, c, f| ret(k.sys_mmap(a[0], a[1], a[2], a[3], a[4], a[5]));
    __NR_mprotect "mprotect" [Ptr, Len, Hex] Full "" => |k, t, a, c, f| ret(k.sys_mprotect(a[0], a[1], a[2]));
    __NR_munmap "munmap" [Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_munmap(a[0], a[1]));
    __NR_brk "brk" [Ptr] Full "" => |k, t, a, c, f| ret(k.sys_brk(a[0]));
    __NR_rt_sigaction "rt_sigaction" [Int, Ptr, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_rt_sigaction(a[0], a[1], a[2], a[3]));
    __NR_rt_sigprocmask "rt_sigprocmask" [Int, Ptr, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_rt_sigprocmask(t, a[0], a[1], a[2], a[3]));
    __NR_rt_sigreturn "rt_sigreturn" [] Full "" => |k, t, a, c, f| match k.sys_rt_sigreturn(t, c, f) { Ok(()) => Outcome::ContextSet, Err(_) => Outcome::Exit(Resume::KilledBy(11)) };
    __NR_ioctl "ioctl" [Int, Hex, Ptr] Partial "TCGETS, TIOCGWINSZ, TIOCGPGRP on terminals; FIONREAD, FIONBIO, FIOCLEX, FIONCLEX; others ENOTTY" => |k, t, a, c, f| ret(k.sys_ioctl(a[0], a[1], a[2]));
    __NR_pread64 "pread64" [Int, Ptr, Len, Int] Full "" => |k, t, a, c, f| ret(k.sys_read(t, a[0], a[1], a[2], Some(a[3])));
    __NR_pwrite64 "pwrite64" [Int, Ptr, Len, Int] Full "" => |k, t, a, c, f| ret(k.sys_write(t, a[0], a[1], a[2], Some(a[3])));
    __NR_readv "readv" [Int, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_readv(t, a[0], a[1], a[2], None));
    __NR_writev "writev" [Int, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_writev(t, a[0], a[1], a[2], None));
    __NR_preadv "preadv" [Int, Ptr, Len, Int] Full "" => |k, t, a, c, f| ret(k.sys_readv(t, a[0], a[1], a[2], Some(a[3])));
    __NR_pwritev "pwritev" [Int, Ptr, Len, Int] Full "" => |k, t, a, c, f| ret(k.sys_writev(t, a[0], a[1], a[2], Some(a[3])));
    __NR_access "access" [Path, Hex] Full "" => |k, t, a, c, f| ret(k.sys_faccessat(crate::fs_calls::AT_FDCWD, a[0], a[1], 0));
    __NR_pipe "pipe" [Ptr] Full "" => |k, t, a, c, f| ret(k.sys_pipe2(a[0], 0));
    __NR_select "select" [Len, Ptr, Ptr, Ptr, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_select(t, a[0], a[1], a[2], a[3], a[4], false));
    __NR_sched_yield "sched_yield" [] Full "" => |k, t, a, c, f| ret(Ok(0));
    __NR_mremap "mremap" [Ptr, Len, Len, Hex, Ptr] Partial "MREMAP_DONTUNMAP: EINVAL (as before Linux 5.7)" => |k, t, a, c, f| ret(k.sys_mremap(a[0], a[1], a[2], a[3], a[4]));
    __NR_msync "msync" [Ptr, Len, Hex] Partial "in-memory mappings: nothing to write back" => |k, t, a, c, f| ret(k.sys_msync(a[0], a[1], a[2]));
    __NR_mincore "mincore" [Ptr, Len, Ptr] Errno "ENOSYS" => |k, t, a, c, f| enosys(k, nr::__NR_mincore, "page residency is not tracked");
    __NR_madvise "madvise" [Ptr, Len, Int] Partial "MADV_DONTNEED/FREE drop pages; other advice is accepted and ignored, as advice" => |k, t, a, c, f| ret(k.sys_madvise(a[0], a[1], a[2]));
    __NR_dup "dup" [Int] Full "" => |k, t, a, c, f| ret(k.sys_dup(a[0]));
    __NR_dup2 "dup2" [Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_dup2(a[0], a[1]));
    __NR_pause "pause" [] Full "" => |k, t, a, c, f| ret(k.sys_pause(t));
    __NR_nanosleep "nanosleep" [Ptr, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_nanosleep(t, a[0], a[1]));
    __NR_sendfile "sendfile" [Int, Int, Ptr, Len] Partial "copied through the library OS; bytes read but not written are lost to the input position" => |k, t, a, c, f| ret(k.sys_sendfile(t, a[0], a[1], a[2], 0, a[3]));
    __NR_getpid "getpid" [] Full "" => |k, t, a, c, f| ret(Ok(u64::from(k.pid)));
    __NR_clone "clone" [Hex, Ptr, Ptr, Ptr, Ptr] Partial "threads (CLONE_VM|CLONE_THREAD|CLONE_SIGHAND) and processes as fork, vfork or CLONE_VM|CLONE_VFORK (posix_spawn: the child runs on a copy of the parent's memory); CLONE_FILES/CLONE_FS/CLONE_SIGHAND/CLONE_PARENT/CLONE_PIDFD for processes: EINVAL" => |k, t, a, c, f| k.clone_outcome(t, c, a[0], a[1], a[2], a[3], a[4]);
    __NR_fork "fork" [] Full "a host fork; kernel state the processes share stays one" => |k, t, a, c, f| k.clone_outcome(t, c, u64::from(meridian_abi::signal::sig::SIGCHLD), 0, 0, 0, 0);
    __NR_vfork "vfork" [] Partial "the parent waits until the child execs or exits, but the child runs on a copy of its memory (as fork)" => |k, t, a, c, f| k.clone_outcome(t, c, crate::process::CLONE_VM | crate::process::CLONE_VFORK | u64::from(meridian_abi::signal::sig::SIGCHLD), 0, 0, 0, 0);
    __NR_execve "execve" [Path, Ptr, Ptr] Partial "in place, as Linux (threads ended, close-on-exec, dispositions reset); set-user-ID bits ignored, ETXTBSY not checked" => |k, t, a, c, f| k.sys_execve(t, a[0], a[1], a[2], c, f);
    __NR_exit "exit" [Int] Full "" => |k, t, a, c, f| Outcome::Exit(k.sys_exit(t, a[0]));
    __NR_wait4 "wait4" [Int, Ptr, Hex, Ptr] Partial "rusage is all zero" => |k, t, a, c, f| ret(k.sys_wait4(t, a[0], a[1], a[2], a[3]));
    __NR_waitid "waitid" [Int, Int, Ptr, Hex, Ptr] Partial "P_PIDFD: EINVAL; rusage is all zero" => |k, t, a, c, f| ret(k.sys_waitid(t, a[0], a[1], a[2], a[3], a[4]));
    __NR_kill "kill" [Int, Int] Full "to processes of the sandbox only" => |k, t, a, c, f| ret(k.sys_kill(t, a[0], a[1]));
    __NR_uname "uname" [Ptr] Full "" => |k, t, a, c, f| ret(k.sys_uname(a[0]));
    __NR_fcntl "fcntl" [Int, Int, Hex] Partial "record locks: F_SETLKW waits but does not detect deadlocks (EDEADLK)" => |k, t, a, c, f| ret(k.sys_fcntl(t, a[0], a[1], a[2]));
    __NR_flock "flock" [Int, Hex] Full "" => |k, t, a, c, f| ret(k.sys_flock(t, a[0], a[1]));
    __NR_fsync "fsync" [Int] Full "" => |k, t, a, c, f| ret(k.sys_fsync(a[0]));
    __NR_fdatasync "fdatasync" [Int] Full "" => |k, t, a, c, f| ret(k.sys_fsync(a[0]));
    __NR_truncate "truncate" [Path, Len] Full "" => |k, t, a, c, f| ret(k.sys_truncate(t, a[0], a[1]));
    __NR_ftruncate "ftruncate" [Int, Len] Full "" => |k, t, a, c, f| ret(k.sys_ftruncate(t, a[0], a[1]));
    __NR_getcwd "getcwd" [Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_getcwd(a[0], a[1]));
    __NR_chdir "chdir" [Path] Full "" => |k, t, a, c, f| ret(k.sys_chdir(a[0]));
    __NR_fchdir "fchdir" [Int] Full "" => |k, t, a, c, f| ret(k.sys_fchdir(a[0]));
    __NR_mknod "mknod" [Path, Hex, Hex] Partial "regular files, FIFOs and sockets; devices: EPERM" => |k, t, a, c, f| ret(k.sys_mknodat(crate::fs_calls::AT_FDCWD, a[0], a[1]));
    __NR_rename "rename" [Path, Path] Full "" => |k, t, a, c, f| ret(k.sys_renameat2(crate::fs_calls::AT_FDCWD, a[0], crate::fs_calls::AT_FDCWD, a[1], 0));
    __NR_mkdir "mkdir" [Path, Hex] Full "" => |k, t, a, c, f| ret(k.sys_mkdirat(crate::fs_calls::AT_FDCWD, a[0], a[1]));
    __NR_rmdir "rmdir" [Path] Full "" => |k, t, a, c, f| ret(k.sys_unlinkat(crate::fs_calls::AT_FDCWD, a[0], crate::fs_calls::AT_REMOVEDIR));
    __NR_creat "creat" [Path, Hex] Full "" => |k, t, a, c, f| ret(k.sys_openat(t, crate::fs_calls::AT_FDCWD, a[0], 0o1101, a[1]));
    __NR_link "link" [Path, Path] Full "" => |k, t, a, c, f| ret(k.sys_linkat(crate::fs_calls::AT_FDCWD, a[0], crate::fs_calls::AT_FDCWD, a[1], 0));
    __NR_unlink "unlink" [Path] Full "" => |k, t, a, c, f| ret(k.sys_unlinkat(crate::fs_calls::AT_FDCWD, a[0], 0));
    __NR_symlink "symlink" [Path, Path] Full "" => |k, t, a, c, f| ret(k.sys_symlinkat(a[0], crate::fs_calls::AT_FDCWD, a[1]));
    __NR_readlink "readlink" [Path, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_readlinkat(crate::fs_calls::AT_FDCWD, a[0], a[1], a[2]));
    __NR_chmod "chmod" [Path, Hex] Full "" => |k, t, a, c, f| ret(k.sys_fchmodat(crate::fs_calls::AT_FDCWD, a[0], a[1]));
    __NR_fchmod "fchmod" [Int, Hex] Full "" => |k, t, a, c, f| ret(k.sys_fchmod(a[0], a[1]));
    __NR_chown "chown" [Path, Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_fchownat(crate::fs_calls::AT_FDCWD, a[0], a[1], a[2], 0));
    __NR_fchown "fchown" [Int, Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_fchown(a[0], a[1], a[2]));
    __NR_lchown "lchown" [Path, Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_fchownat(crate::fs_calls::AT_FDCWD, a[0], a[1], a[2], crate::fs_calls::AT_SYMLINK_NOFOLLOW));
    __NR_umask "umask" [Hex] Full "" => |k, t, a, c, f| ret(k.sys_umask(a[0]));
    __NR_gettimeofday "gettimeofday" [Ptr, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_gettimeofday(a[0], a[1]));
    __NR_getrlimit "getrlimit" [Int, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_prlimit64(0, a[0], 0, a[1]));
    __NR_getrusage "getrusage" [Int, Ptr] Partial "CPU times only" => |k, t, a, c, f| ret(k.sys_getrusage(a[0], a[1]));
    __NR_sysinfo "sysinfo" [Ptr] Full "" => |k, t, a, c, f| ret(k.sys_sysinfo(a[0]));
    __NR_times "times" [Ptr] Full "" => |k, t, a, c, f| ret(k.sys_times(a[0]));
    __NR_getuid "getuid" [] Full "" => |k, t, a, c, f| ret(k.sys_getid(false, false));
    __NR_getgid "getgid" [] Full "" => |k, t, a, c, f| ret(k.sys_getid(true, false));
    __NR_setuid "setuid" [Int] Full "" => |k, t, a, c, f| ret(k.sys_setuid(a[0]));
    __NR_setreuid "setreuid" [Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_setre(false, a[0], a[1]));
    __NR_setregid "setregid" [Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_setre(true, a[0], a[1]));
    __NR_setgroups "setgroups" [Len, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_setgroups(a[0], a[1]));
    __NR_setresuid "setresuid" [Int, Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_setres(false, a[0], a[1], a[2]));
    __NR_setresgid "setresgid" [Int, Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_setres(true, a[0], a[1], a[2]));
    __NR_setfsuid "setfsuid" [Int] Full "" => |k, t, a, c, f| ret(k.sys_setfs(false, a[0]));
    __NR_setfsgid "setfsgid" [Int] Full "" => |k, t, a, c, f| ret(k.sys_setfs(true, a[0]));
    __NR_setgid "setgid" [Int] Full "" => |k, t, a, c, f| ret(k.sys_setgid(a[0]));
    __NR_geteuid "geteuid" [] Full "" => |k, t, a, c, f| ret(k.sys_getid(false, true));
    __NR_getegid "getegid" [] Full "" => |k, t, a, c, f| ret(k.sys_getid(true, true));
    __NR_setpgid "setpgid" [Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_setpgid(a[0], a[1]));
    __NR_getppid "getppid" [] Full "the sandbox's first process has parent 0" => |k, t, a, c, f| ret(k.sys_getppid());
    __NR_getpgrp "getpgrp" [] Full "" => |k, t, a, c, f| ret(k.sys_getpgid(0));
    __NR_setsid "setsid" [] Full "" => |k, t, a, c, f| ret(k.sys_setsid());
    __NR_getgroups "getgroups" [Len, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_getgroups(a[0], a[1]));
    __NR_getresuid "getresuid" [Ptr, Ptr, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_getres(false, a[0], a[1], a[2]));
    __NR_getresgid "getresgid" [Ptr, Ptr, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_getres(true, a[0], a[1], a[2]));
    __NR_getpgid "getpgid" [Int] Full "" => |k, t, a, c, f| ret(k.sys_getpgid(a[0]));
    __NR_getsid "getsid" [Int] Full "" => |k, t, a, c, f| ret(k.sys_getsid(a[0]));
    __NR_rt_sigpending "rt_sigpending" [Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_rt_sigpending(t, a[0], a[1]));
    __NR_rt_sigtimedwait "rt_sigtimedwait" [Ptr, Ptr, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_rt_sigtimedwait(t, a[0], a[1], a[2], a[3]));
    __NR_rt_sigqueueinfo "rt_sigqueueinfo" [Int, Int, Ptr] Partial "no E2BIG check of unknown si_code layouts; RLIMIT_SIGPENDING (at most 32768) limits each pending queue, not the user" => |k, t, a, c, f| ret(k.sys_rt_sigqueueinfo(t, a[0], a[1], a[2]));
    __NR_rt_sigsuspend "rt_sigsuspend" [Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_rt_sigsuspend(t, a[0], a[1]));
    __NR_sigaltstack "sigaltstack" [Ptr, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_sigaltstack(t, a[0], a[1], c.rsp));
    __NR_statfs "statfs" [Path, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_statfs(a[0], a[1]));
    __NR_fstatfs "fstatfs" [Int, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_fstatfs(a[0], a[1]));
    __NR_getpriority "getpriority" [Int, Int] Full "" => |k, t, a, c, f| ret(Ok(20));
    __NR_setpriority "setpriority" [Int, Int, Int] Partial "accepted, no effect on the host" => |k, t, a, c, f| ret(Ok(0));
    __NR_sched_getparam "sched_getparam" [Int, Ptr] Full "" => |k, t, a, c, f| ret(k.write_u32(a[1], 0).map(|()| 0));
    __NR_sched_getscheduler "sched_getscheduler" [Int] Full "" => |k, t, a, c, f| ret(Ok(0));
    __NR_sched_get_priority_max "sched_get_priority_max" [Int] Full "" => |k, t, a, c, f| ret(k.sys_sched_get_priority(a[0], true));
    __NR_sched_get_priority_min "sched_get_priority_min" [Int] Full "" => |k, t, a, c, f| ret(k.sys_sched_get_priority(a[0], false));
    __NR_prctl "prctl" [Int, Hex, Hex, Hex, Hex] Partial "PR_SET_NAME, PR_GET_NAME, PR_SET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE; others EINVAL" => |k, t, a, c, f| ret(k.sys_prctl(a[0], a[1]));
    __NR_arch_prctl "arch_prctl" [Hex, Ptr] Partial "ARCH_SET_FS, ARCH_GET_FS; GS: EINVAL" => |k, t, a, c, f| ret(k.sys_arch_prctl(a[0], a[1]));
    __NR_setrlimit "setrlimit" [Int, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_prlimit64(0, a[0], a[1], 0));
    __NR_sync "sync" [] Full "" => |k, t, a, c, f| ret(Ok(0));
    __NR_syncfs "syncfs" [Int] Full "" => |k, t, a, c, f| ret(k.sys_syncfs(a[0]));
    __NR_gettid "gettid" [] Full "" => |k, t, a, c, f| ret(Ok(u64::from(t.tid)));
    __NR_setxattr "setxattr" [Path, Ptr, Ptr, Len, Hex] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_lsetxattr "lsetxattr" [Path, Ptr, Ptr, Len, Hex] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_fsetxattr "fsetxattr" [Int, Ptr, Ptr, Len, Hex] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_getxattr "getxattr" [Path, Ptr, Ptr, Len] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_lgetxattr "lgetxattr" [Path, Ptr, Ptr, Len] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_fgetxattr "fgetxattr" [Int, Ptr, Ptr, Len] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_listxattr "listxattr" [Path, Ptr, Len] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_llistxattr "llistxattr" [Path, Ptr, Len] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_flistxattr "flistxattr" [Int, Ptr, Len] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_removexattr "removexattr" [Path, Ptr] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_lremovexattr "lremovexattr" [Path, Ptr] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_fremovexattr "fremovexattr" [Int, Ptr] Errno "EOPNOTSUPP: no extended attributes (xattr(7): not supported by the filesystem)" => |k, t, a, c, f| ret(Err(Errno::EOPNOTSUPP.into()));
    __NR_tkill "tkill" [Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_tkill(t, a[0], a[1]));
    __NR_time "time" [Ptr] Full "" => |k, t, a, c, f| ret(k.sys_time(a[0]));
    __NR_futex "futex" [Ptr, Hex, Int, Ptr, Ptr, Hex] Partial "WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAIT_BITSET, WAKE_BITSET; PI and WAKE_OP: ENOSYS" => |k, t, a, c, f| ret(k.sys_futex(t, a[0], a[1], a[2], a[3], a[4], a[5]));
    __NR_sched_setaffinity "sched_setaffinity" [Int, Len, Ptr] Partial "recorded per process (sched_getaffinity and children see it); host threads are not pinned" => |k, t, a, c, f| ret(k.sys_sched_setaffinity(a[0], a[1], a[2]));
    __NR_sched_getaffinity "sched_getaffinity" [Int, Len, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_sched_getaffinity(a[0], a[1], a[2]));
    __NR_epoll_create "epoll_create" [Int] Full "" => |k, t, a, c, f| ret(k.sys_epoll_create1(0));
    __NR_getdents64 "getdents64" [Int, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_getdents64(a[0], a[1], a[2]));
    __NR_set_tid_address "set_tid_address" [Ptr] Full "" => |k, t, a, c, f| ret(k.sys_set_tid_address(t, a[0]));
    __NR_fadvise64 "fadvise64" [Int, Int, Len, Int] Full "advice only" => |k, t, a, c, f| ret(k.sys_fadvise(a[0]));
    __NR_clock_gettime "clock_gettime" [Int, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_clock_gettime(a[0], a[1]));
    __NR_clock_getres "clock_getres" [Int, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_clock_getres(a[0], a[1]));
    __NR_clock_nanosleep "clock_nanosleep" [Int, Hex, Ptr, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_clock_nanosleep(t, a[0], a[1], a[2], a[3]));
    __NR_exit_group "exit_group" [Int] Full "" => |k, t, a, c, f| Outcome::Exit(Resume::ExitProcess(a[0] as u8));
    __NR_epoll_wait "epoll_wait" [Int, Ptr, Len, Int] Full "" => |k, t, a, c, f| ret(k.sys_epoll_wait(t, a[0], a[1], a[2], a[3]));
    __NR_epoll_ctl "epoll_ctl" [Int, Int, Int, Ptr] Partial "EPOLLET edges are new input or room since the last report (pipes, eventfds); EPOLLEXCLUSIVE and EPOLLWAKEUP are ignored" => |k, t, a, c, f| ret(k.sys_epoll_ctl(a[0], a[1], a[2], a[3]));
    __NR_tgkill "tgkill" [Int, Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_tgkill(t, a[0], a[1], a[2]));
    __NR_utimes "utimes" [Path, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_utimes(a[0], a[1]));
    __NR_openat "openat" [Int, Path, Hex, Hex] Full "" => |k, t, a, c, f| ret(k.sys_openat(t, a[0], a[1], a[2], a[3]));
    __NR_mkdirat "mkdirat" [Int, Path, Hex] Full "" => |k, t, a, c, f| ret(k.sys_mkdirat(a[0], a[1], a[2]));
    __NR_mknodat "mknodat" [Int, Path, Hex, Hex] Partial "regular files, FIFOs and sockets; devices: EPERM" => |k, t, a, c, f| ret(k.sys_mknodat(a[0], a[1], a[2]));
    __NR_fchownat "fchownat" [Int, Path, Int, Int, Hex] Full "" => |k, t, a, c, f| ret(k.sys_fchownat(a[0], a[1], a[2], a[3], a[4]));
    __NR_newfstatat "newfstatat" [Int, Path, Ptr, Hex] Full "" => |k, t, a, c, f| ret(k.sys_newfstatat(a[0], a[1], a[2], a[3]));
    __NR_unlinkat "unlinkat" [Int, Path, Hex] Full "" => |k, t, a, c, f| ret(k.sys_unlinkat(a[0], a[1], a[2]));
    __NR_renameat "renameat" [Int, Path, Int, Path] Full "" => |k, t, a, c, f| ret(k.sys_renameat2(a[0], a[1], a[2], a[3], 0));
    __NR_linkat "linkat" [Int, Path, Int, Path, Hex] Full "" => |k, t, a, c, f| ret(k.sys_linkat(a[0], a[1], a[2], a[3], a[4]));
    __NR_symlinkat "symlinkat" [Path, Int, Path] Full "" => |k, t, a, c, f| ret(k.sys_symlinkat(a[0], a[1], a[2]));
    __NR_readlinkat "readlinkat" [Int, Path, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_readlinkat(a[0], a[1], a[2], a[3]));
    __NR_fchmodat "fchmodat" [Int, Path, Hex] Full "" => |k, t, a, c, f| ret(k.sys_fchmodat(a[0], a[1], a[2]));
    __NR_faccessat "faccessat" [Int, Path, Hex] Full "" => |k, t, a, c, f| ret(k.sys_faccessat(a[0], a[1], a[2], 0));
    __NR_pselect6 "pselect6" [Len, Ptr, Ptr, Ptr, Ptr, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_pselect6(t, a[0], a[1], a[2], a[3], a[4], a[5]));
    __NR_ppoll "ppoll" [Ptr, Len, Ptr, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_ppoll(t, a[0], a[1], a[2], a[3]));
    __NR_set_robust_list "set_robust_list" [Ptr, Len] Partial "the list is recorded; dead owners are not reported (threads end normally)" => |k, t, a, c, f| ret(k.sys_set_robust_list(t, a[0], a[1]));
    __NR_get_robust_list "get_robust_list" [Int, Ptr, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_get_robust_list(t, a[0], a[1], a[2]));
    __NR_utimensat "utimensat" [Int, Path, Ptr, Hex] Full "" => |k, t, a, c, f| ret(k.sys_utimensat(a[0], a[1], a[2], a[3]));
    __NR_epoll_pwait "epoll_pwait" [Int, Ptr, Len, Int, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_epoll_wait(t, a[0], a[1], a[2], a[3]));
    __NR_signalfd "signalfd" [Int, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_signalfd4(a[0], a[1], a[2], 0));
    __NR_eventfd "eventfd" [Int] Full "" => |k, t, a, c, f| ret(k.sys_eventfd2(a[0], 0));
    __NR_fallocate "fallocate" [Int, Hex, Int, Len] Partial "modes 0, KEEP_SIZE, PUNCH_HOLE|KEEP_SIZE; COLLAPSE/ZERO/INSERT_RANGE: EOPNOTSUPP" => |k, t, a, c, f| ret(k.sys_fallocate(t, a[0], a[1], a[2], a[3]));
    __NR_signalfd4 "signalfd4" [Int, Ptr, Len, Hex] Full "reads the caller's pending signals" => |k, t, a, c, f| ret(k.sys_signalfd4(a[0], a[1], a[2], a[3]));
    __NR_eventfd2 "eventfd2" [Int, Hex] Full "" => |k, t, a, c, f| ret(k.sys_eventfd2(a[0], a[1]));
    __NR_epoll_create1 "epoll_create1" [Hex] Full "" => |k, t, a, c, f| ret(k.sys_epoll_create1(a[0]));
    __NR_dup3 "dup3" [Int, Int, Hex] Full "" => |k, t, a, c, f| ret(k.sys_dup3(a[0], a[1], a[2]));
    __NR_pipe2 "pipe2" [Ptr, Hex] Full "" => |k, t, a, c, f| ret(k.sys_pipe2(a[0], a[1]));
    __NR_rt_tgsigqueueinfo "rt_tgsigqueueinfo" [Int, Int, Int, Ptr] Partial "no E2BIG check of unknown si_code layouts; RLIMIT_SIGPENDING (at most 32768) limits each pending queue, not the user" => |k, t, a, c, f| ret(k.sys_rt_tgsigqueueinfo(t, a[0], a[1], a[2], a[3]));
    __NR_prlimit64 "prlimit64" [Int, Int, Ptr, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_prlimit64(a[0], a[1], a[2], a[3]));
    __NR_getcpu "getcpu" [Ptr, Ptr, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_getcpu(a[0], a[1]));
    __NR_getrandom "getrandom" [Ptr, Len, Hex] Full "" => |k, t, a, c, f| ret(k.sys_getrandom(a[0], a[1], a[2]));
    __NR_memfd_create "memfd_create" [Path, Hex] Full "" => |k, t, a, c, f| ret(k.sys_memfd_create(a[0], a[1]));
    __NR_execveat "execveat" [Int, Path, Ptr, Ptr, Hex] Partial "as execve; AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW (ELOOP); a script on a close-on-exec descriptor: ENOENT" => |k, t, a, c, f| k.sys_execveat(t, a[0], a[1], a[2], a[3], a[4], c, f);
    __NR_statx "statx" [Int, Path, Hex, Hex, Ptr] Full "" => |k, t, a, c, f| ret(k.sys_statx(a[0], a[1], a[2], a[4]));
    __NR_copy_file_range "copy_file_range" [Int, Ptr, Int, Ptr, Len, Hex] Partial "copied through the library OS, as sendfile" => |k, t, a, c, f| ret(if a[5] != 0 { Err(Errno::EINVAL.into()) } else { k.sys_sendfile(t, a[2], a[0], a[1], a[3], a[4]) });
    __NR_rseq "rseq" [Ptr, Len, Hex, Hex] Errno "ENOSYS: glibc runs without restartable sequences" => |k, t, a, c, f| ret(Err(Errno::ENOSYS.into()));
    __NR_clone3 "clone3" [Ptr, Len] Errno "ENOSYS: glibc falls back to clone" => |k, t, a, c, f| ret(Err(Errno::ENOSYS.into()));
    __NR_close_range "close_range" [Int, Int, Hex] Partial "CLOSE_RANGE_UNSHARE gives no thread a table of its own (tables are never shared between processes; a multi-threaded caller changes the one its threads share)" => |k, t, a, c, f| ret(k.sys_close_range(a[0], a[1], a[2]));
    __NR_faccessat2 "faccessat2" [Int, Path, Hex, Hex] Full "" => |k, t, a, c, f| ret(k.sys_faccessat(a[0], a[1], a[2], a[3]));
    __NR_renameat2 "renameat2" [Int, Path, Int, Path, Hex] Partial "RENAME_NOREPLACE, RENAME_EXCHANGE; RENAME_WHITEOUT: EPERM" => |k, t, a, c, f| ret(k.sys_renameat2(a[0], a[1], a[2], a[3], a[4]));
    __NR_openat2 "openat2" [Int, Path, Ptr, Len] Full "" => |k, t, a, c, f| ret(k.sys_openat2(t, a[0], a[1], a[2], a[3]));
    __NR_inotify_init "inotify_init" [] Errno "ENOSYS: file change notification is not supported" => |k, t, a, c, f| enosys(k, nr::__NR_inotify_init, "file change notification is not supported");
    __NR_inotify_init1 "inotify_init1" [Hex] Errno "ENOSYS: file change notification is not supported" => |k, t, a, c, f| enosys(k, nr::__NR_inotify_init1, "file change notification is not supported");
    __NR_inotify_add_watch "inotify_add_watch" [Int, Path, Hex] Errno "ENOSYS: no inotify instance can exist" => |k, t, a, c, f| enosys(k, nr::__NR_inotify_add_watch, "no inotify instance can exist");
    __NR_inotify_rm_watch "inotify_rm_watch" [Int, Int] Errno "ENOSYS: no inotify instance can exist" => |k, t, a, c, f| enosys(k, nr::__NR_inotify_rm_watch, "no inotify instance can exist");
    __NR_socket "socket" [Int, Int, Int] Errno "EAFNOSUPPORT for every family, AF_UNIX included: only socketpair(2) makes sockets yet" => |k, t, a, c, f| ret(k.sys_socket(a[0], a[1], a[2]));
    __NR_socketpair "socketpair" [Int, Hex, Int, Ptr] Full "AF_UNIX SOCK_STREAM, SOCK_DGRAM (SOCK_RAW as Linux), SOCK_SEQPACKET, served by the library OS" => |k, t, a, c, f| ret(k.sys_socketpair(a[0], a[1], a[2], a[3]));
    __NR_sendto "sendto" [Int, Ptr, Len, Hex, Ptr, Len] Partial "socket pairs; MSG_OOB: EOPNOTSUPP; a datagram to a named address: EOPNOTSUPP (no named sockets)" => |k, t, a, c, f| ret(k.sys_sendto(t, a[0], a[1], a[2], a[3], a[4], a[5]));
    __NR_recvfrom "recvfrom" [Int, Ptr, Len, Hex, Ptr, Ptr] Partial "socket pairs: MSG_PEEK, MSG_TRUNC, MSG_WAITALL, MSG_DONTWAIT; MSG_OOB: EINVAL" => |k, t, a, c, f| ret(k.sys_recvfrom(t, a[0], a[1], a[2], a[3], a[4], a[5]));
    __NR_sendmsg "sendmsg" [Int, Ptr, Hex] Partial "socket pairs, SCM_RIGHTS, SCM_CREDENTIALS (checked, own ids only)" => |k, t, a, c, f| ret(k.sys_sendmsg(t, a[0], a[1], a[2]));
    __NR_recvmsg "recvmsg" [Int, Ptr, Hex] Partial "socket pairs, SCM_RIGHTS (MSG_CMSG_CLOEXEC), SCM_CREDENTIALS with SO_PASSCRED, MSG_CTRUNC/MSG_TRUNC" => |k, t, a, c, f| ret(k.sys_recvmsg(t, a[0], a[1], a[2]));
    __NR_shutdown "shutdown" [Int, Int] Full "" => |k, t, a, c, f| ret(k.sys_shutdown(a[0], a[1]));
    __NR_getsockopt "getsockopt" [Int, Int, Int, Ptr, Ptr] Partial "SOL_SOCKET: SO_TYPE, SO_ERROR, SO_SNDBUF, SO_RCVBUF, SO_PEERCRED, SO_PASSCRED, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN; others ENOPROTOOPT" => |k, t, a, c, f| ret(k.sys_getsockopt(a[0], a[1], a[2], a[3], a[4]));
    __NR_setsockopt "setsockopt" [Int, Int, Int, Ptr, Len] Partial "SOL_SOCKET: SO_SNDBUF, SO_RCVBUF (doubled, as Linux), SO_PASSCRED; others ENOPROTOOPT" => |k, t, a, c, f| ret(k.sys_setsockopt(a[0], a[1], a[2], a[3], a[4]));
    __NR_getsockname "getsockname" [Int, Ptr, Ptr] Full "socket pairs are unnamed: the family alone" => |k, t, a, c, f| ret(k.sys_getname(a[0], a[1], a[2], false));
    __NR_getpeername "getpeername" [Int, Ptr, Ptr] Full "socket pairs are unnamed: the family alone" => |k, t, a, c, f| ret(k.sys_getname(a[0], a[1], a[2], true));
    __NR_bind "bind" [Int, Ptr, Len] Errno "EOPNOTSUPP: named AF_UNIX sockets are not supported yet" => |k, t, a, c, f| ret(k.sys_unnamed_only(a[0], "bind"));
    __NR_connect "connect" [Int, Ptr, Len] Errno "EOPNOTSUPP: named AF_UNIX sockets are not supported yet" => |k, t, a, c, f| ret(k.sys_unnamed_only(a[0], "connect"));
    __NR_listen "listen" [Int, Int] Errno "EINVAL, as Linux for an unbound socket (EOPNOTSUPP for datagrams): no socket can be bound yet" => |k, t, a, c, f| ret(k.sys_unnamed_only(a[0], "listen"));
    __NR_accept "accept" [Int, Ptr, Ptr] Errno "EINVAL, as Linux for a socket not listening (EOPNOTSUPP for datagrams): no socket can listen yet" => |k, t, a, c, f| ret(k.sys_unnamed_only(a[0], "accept"));
    __NR_accept4 "accept4" [Int, Ptr, Ptr, Hex] Errno "EINVAL, as accept" => |k, t, a, c, f| ret(k.sys_unnamed_only(a[0], "accept"));
}
