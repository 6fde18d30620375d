//! The sandbox's own pid namespace, and the small supervisor that stays outside it.
//!
//! `unshare(CLONE_NEWPID)` moves only the caller's future children into the new namespace,
//! and while the caller's `pid_ns_for_children` differs from its own namespace the kernel
//! refuses `clone(CLONE_THREAD)` (kernel/fork.c, `copy_process`): the caller can no longer
//! start threads, and every guest thread is a host thread. So the runner forks once
//! ([`enter`]): the child is pid 1 of the new namespace and goes on with the start-up (jail,
//! Landlock, boot, filter, guest), starting threads as before; the parent becomes the
//! supervisor ([`supervise`]) and does nothing else until the child ends.
//!
//! The supervisor never touches the guest and parses nothing the guest controls: it waits
//! for signals and for the child's end, passes on to the child the signals that people and
//! programs send to `meridian`, and ends as the child ended. It runs under its own seccomp
//! filter ([`filter`], listed in SECURITY.md from [`ALLOWLIST`]): seven calls, each with its
//! argument checked where it matters.
//!
//! What the pid namespace gives: the sandbox's host processes cannot see or signal any
//! process outside it by pid (a pid they name is looked up in their namespace), and when
//! pid 1 (the runner) ends the kernel kills every other process of the namespace
//! (pid_namespaces(7)), so no host process of a sandbox outlives it (issue 4 forks guest
//! processes as host processes inside it). If the supervisor itself is killed, the child
//! gets SIGKILL (`PR_SET_PDEATHSIG`), so the same holds.
//!
//! Signals. The supervisor blocks [`FORWARDED`] and `SIGCHLD` and takes them with
//! `rt_sigtimedwait`. A signal that a process sent (`kill`, `si_code` `SI_USER`, or
//! `sigqueue`) is passed on to the child with `kill`; one the kernel generated (`SI_KERNEL`:
//! the terminal's interrupt, quit and suspend characters, a hangup, a window resize) is
//! dropped, because the kernel sends those to the whole foreground process group, which the
//! child is in too, so the child already has its own copy. The guest therefore sees Ctrl-C
//! once. A `kill` to the whole process group (`kill -TERM -PGID`) reaches the guest twice:
//! once directly and once forwarded (the supervisor cannot tell it from a `kill` to its own
//! pid).
//!
//! The sandbox's pids and memory cgroups (crates/platform-linux/src/limits.rs), where they
//! were made: the child enters them; the supervisor, outside them, keeps the descriptor of
//! each directory that holds one and removes it (`unlinkat(dir, name, AT_REMOVEDIR)`) once
//! the child has ended. Before that it reads the memory cgroup's count of OOM kills
//! (`memory.oom_control` or `memory.events`, opened before the fork: one `read` on that
//! descriptor) and, if the kernel killed a process of the sandbox for the cgroup's limit,
//! says so in one line.
//!
//! Exit status: the child's exit status; if the child died by signal N, the supervisor
//! dies by the same signal (it unblocks it and sends it to itself), else exits 128+N, so
//! the caller sees what it saw when the runner was the only process (a seccomp kill as
//! death by SIGSYS, an outside SIGKILL as death by SIGKILL).

use crate::bpf::{self, Op, SockFilter, To, data};

/// Signals that the supervisor passes on to the child: those the runner takes over for the
/// guest (intercept.rs, `install_handlers`) that someone outside may send.
pub const FORWARDED: [libc::c_int; 10] = crate::intercept::ASYNC_SIGNALS;

/// Signals whose default action ends a process and that can reach the child: pid 1 of a
/// namespace ignores a signal it has no handler for, unless it is SIGKILL or SIGSTOP from an
/// ancestor namespace (kernel/signal.c, `sig_task_ignored`). So the child gets a handler
/// that ends it with 128+N, as the runner ends on a guest's death by signal N, for each of
/// these whose disposition is the default:
/// - those of [`FORWARDED`] that terminate, until the runner installs its own handlers
///   (intercept.rs, `install_handlers`): without it a SIGTERM during start-up would be lost;
/// - SIGXCPU and SIGXFSZ, which the kernel sends for the host rlimits of the policy
///   (RLIMIT_CPU, RLIMIT_FSIZE) and the runner does not take over: they ended it before it
///   was pid 1, and must still (else RLIMIT_CPU's SIGKILL a second later ends it instead).
const TERMINATING: [libc::c_int; 9] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGXCPU,
    libc::SIGXFSZ,
];

/// Exit status of the supervisor when it cannot learn the child's (never expected).
const LOST_CHILD_STATUS: i32 = 125;

/// Which argument check a call of the supervisor's filter has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgCheck {
    /// None.
    Any,
    /// Argument 0 is the child's pid.
    Child,
    /// Argument 0 is the child's pid or the supervisor's own.
    ChildOrSelf,
    /// Argument 0 equals this constant.
    Equals(u32),
    /// Argument 0 is the descriptor of a directory holding one of the sandbox's cgroups
    /// (none: the call is refused).
    CgroupDir,
    /// Argument 0 is the descriptor of the memory cgroup's file counting OOM kills (none:
    /// the call is refused).
    OomEvents,
}

/// One call of the supervisor's filter.
#[derive(Clone, Copy, Debug)]
pub struct SupervisorCall {
    /// The syscall number.
    pub nr: u32,
    /// Its name.
    pub name: &'static str,
    /// What its first argument must be.
    pub arg0: ArgCheck,
    /// Why the supervisor needs it.
    pub reason: &'static str,
}

/// The supervisor's allowlist: everything else kills it (and so, by `PR_SET_PDEATHSIG`,
/// the sandbox).
pub const ALLOWLIST: [SupervisorCall; 8] = [
    SupervisorCall {
        nr: libc::SYS_rt_sigtimedwait as u32,
        name: "rt_sigtimedwait",
        arg0: ArgCheck::Any,
        reason: "waiting for a signal to forward or for SIGCHLD (the forwarded signals are blocked and taken synchronously: no handler)",
    },
    SupervisorCall {
        nr: libc::SYS_wait4 as u32,
        name: "wait4",
        arg0: ArgCheck::Child,
        reason: "reaping the child and learning its exit status (WNOHANG)",
    },
    SupervisorCall {
        nr: libc::SYS_kill as u32,
        name: "kill",
        arg0: ArgCheck::ChildOrSelf,
        reason: "forwarding a signal to the child; dying by the child's death signal",
    },
    SupervisorCall {
        nr: libc::SYS_rt_sigprocmask as u32,
        name: "rt_sigprocmask",
        arg0: ArgCheck::Equals(libc::SIG_UNBLOCK as u32),
        reason: "unblocking the child's death signal before sending it to itself",
    },
    SupervisorCall {
        nr: libc::SYS_write as u32,
        name: "write",
        arg0: ArgCheck::Equals(2),
        reason: "one message on stderr if the child's status cannot be read",
    },
    SupervisorCall {
        nr: libc::SYS_unlinkat as u32,
        name: "unlinkat",
        arg0: ArgCheck::CgroupDir,
        reason: "removing the sandbox's pids and memory cgroups once the sandbox has ended (cgroupfs has no files to unlink, only empty cgroups to remove)",
    },
    SupervisorCall {
        nr: libc::SYS_read as u32,
        name: "read",
        arg0: ArgCheck::OomEvents,
        reason: "reading the memory cgroup's count of OOM kills once the sandbox has ended, to say why it ended",
    },
    SupervisorCall {
        nr: libc::SYS_exit_group as u32,
        name: "exit_group",
        arg0: ArgCheck::Any,
        reason: "ending with the child's status",
    },
];

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
const L_ALLOW: u32 = 1;
const L_KILL: u32 = 2;
const L_RULE_BASE: u32 = 100;

/// The supervisor's filter for a child with host pid `child` and a supervisor with pid
/// `own` (both as the supervisor sees them), holding the directories of the sandbox's
/// cgroups on descriptors `cgroup_dirs` and the memory cgroup's OOM count on `oom_events`.
/// Anything not allowed kills the supervisor.
pub fn filter(
    child: u32,
    own: u32,
    cgroup_dirs: &[u32],
    oom_events: Option<u32>,
) -> Result<Vec<SockFilter>, bpf::AsmError> {
    let mut ops = vec![
        Op::Load(data::ARCH),
        Op::Jeq(AUDIT_ARCH_X86_64, To::Next, To::L(L_KILL)),
        Op::Load(data::NR),
        Op::Jge(X32_SYSCALL_BIT, To::L(L_KILL), To::Next),
    ];
    for (i, call) in ALLOWLIST.iter().enumerate() {
        let next = L_RULE_BASE + 2 * i as u32;
        let body = next + 1;
        let wanted: &[u32] = match call.arg0 {
            ArgCheck::Any => {
                ops.push(Op::Jeq(call.nr, To::L(L_ALLOW), To::Next));
                continue;
            }
            ArgCheck::Child => &[child],
            ArgCheck::ChildOrSelf => &[child, own],
            ArgCheck::Equals(v) => &[v],
            ArgCheck::CgroupDir => cgroup_dirs,
            ArgCheck::OomEvents => oom_events.as_slice(),
        };
        ops.push(Op::Jeq(call.nr, To::L(body), To::L(next)));
        ops.push(Op::Label(body));
        ops.push(Op::Load(data::arg_hi(0)));
        ops.push(Op::Jeq(0, To::Next, To::L(L_KILL)));
        ops.push(Op::Load(data::arg_lo(0)));
        for &v in wanted {
            ops.push(Op::Jeq(v, To::L(L_ALLOW), To::Next));
        }
        ops.push(Op::Jump(L_KILL));
        ops.push(Op::Label(next));
    }
    ops.extend([
        Op::Label(L_KILL),
        Op::Ret(libc::SECCOMP_RET_KILL_PROCESS),
        Op::Label(L_ALLOW),
        Op::Ret(libc::SECCOMP_RET_ALLOW),
    ]);
    bpf::assemble(&ops)
}

/// The supervisor's allowlist as the Markdown table of SECURITY.md.
pub fn allowlist_markdown() -> String {
    let mut out = String::from("| syscall | argument constraint | reason |\n|---|---|---|\n");
    for c in ALLOWLIST {
        let constraint = match c.arg0 {
            ArgCheck::Any => String::new(),
            ArgCheck::Child => "arg0 is the child's pid".into(),
            ArgCheck::ChildOrSelf => "arg0 is the child's pid or the supervisor's".into(),
            ArgCheck::Equals(v) => format!("arg0 is {v}"),
            ArgCheck::CgroupDir => {
                "arg0 is a directory holding one of the sandbox's cgroups".into()
            }
            ArgCheck::OomEvents => {
                "arg0 is the memory cgroup's `memory.oom_control` or `memory.events`".into()
            }
        };
        out.push_str(&format!("| `{}` | {constraint} | {} |\n", c.name, c.reason));
    }
    out
}

/// A signal set holding `signals`.
fn sigset(signals: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: a zeroed sigset_t is valid storage; sigemptyset initialises it.
    let mut set: libc::sigset_t = unsafe { core::mem::zeroed() };
    // SAFETY: `set` is ours; the signal numbers are valid.
    unsafe {
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
    }
    set
}

/// What the supervisor waits for and keeps from killing it: the forwarded signals,
/// `SIGCHLD`, and `SIGPIPE` (its one message to a closed stderr must not kill it).
fn supervisor_mask() -> libc::sigset_t {
    let mut all = FORWARDED.to_vec();
    all.extend([libc::SIGCHLD, libc::SIGPIPE]);
    sigset(&all)
}

/// One of the sandbox's cgroups as the supervisor sees it: the descriptor of the directory
/// holding it, its name there, and the descriptor of its `cgroup.procs` (which the
/// supervisor closes: only the child enters).
pub(crate) type Cgroup<'a> = (i32, &'a std::ffi::CStr, i32);

/// A cgroup to remove at the end: its directory's descriptor and its name.
type Removal<'a> = (i32, &'a std::ffi::CStr);

/// Fork the sandbox's first process into the pid namespace that the caller entered with
/// `unshare(CLONE_NEWPID)`. Returns in the child (pid 1 of the namespace); the parent
/// becomes the supervisor and never returns, and removes `cgroups` once the child has ended,
/// after reading the OOM kills counted on descriptor `oom_events` (which the child closes).
/// The caller must have one thread, and keep the cgroups' descriptors and names alive.
pub(crate) fn enter(cgroups: &[Cgroup<'_>], oom_events: Option<i32>) -> std::io::Result<()> {
    let mask = supervisor_mask();
    // SAFETY: sigset_t storage of our own for the old mask.
    let mut old: libc::sigset_t = unsafe { core::mem::zeroed() };
    // Blocked before the fork so that no signal finds either process without its handling:
    // one that arrives before the fork is pending in the parent, which forwards it.
    // SAFETY: valid set pointers; the process has one thread.
    if unsafe { libc::sigprocmask(libc::SIG_BLOCK, &mask, &mut old) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // Tells the child whether the supervisor is still there once its parent-death signal is
    // set: the supervisor holds the write end open until it ends.
    let mut ends = [0 as libc::c_int; 2];
    // SAFETY: `ends` has room for the two descriptors.
    if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let [read_end, write_end] = ends;
    // An inherited SIG_IGN for SIGCHLD would have the kernel reap the child unseen (wait(2),
    // NOTES), even in the moment between the fork and the supervisor's own reset.
    // SAFETY: setting the default disposition (the sandbox's process installs its own
    // handler later, intercept.rs).
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    // SAFETY: the process has one thread (checked by the caller), so the child is a complete
    // copy and may go on running Rust code.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if child > 0 {
        // SAFETY: closing the read end, which only the child uses, and the cgroup's
        // `cgroup.procs`, which nothing in this process uses any more.
        unsafe {
            libc::close(read_end);
            for &(_, _, procs) in cgroups {
                libc::close(procs);
            }
        }
        let removals: Vec<Removal<'_>> = cgroups.iter().map(|&(d, n, _)| (d, n)).collect();
        supervise(child as u32, &removals, oom_events);
    }
    // SAFETY: closing the child's copy of the supervisor's end.
    unsafe { libc::close(write_end) };
    // SAFETY: prctl with constant arguments: SIGKILL to this process when its parent ends.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut byte = 0u8;
    // SAFETY: a one-byte read into a local from our own non-blocking pipe.
    let r = unsafe { libc::read(read_end, (&mut byte as *mut u8).cast(), 1) };
    // SAFETY: closing our own descriptor; nothing else holds its number.
    unsafe { libc::close(read_end) };
    if r == 0 {
        // End of file: the supervisor ended before the death signal was set (someone killed
        // it); nobody would be told how the sandbox ends, so it does not start.
        // SAFETY: exit_group.
        unsafe { libc::_exit(LOST_CHILD_STATUS) };
    }
    extern "C" fn end_by(sig: libc::c_int) {
        // SAFETY: _exit is async-signal-safe, and exit_group is on the runner's allowlist.
        unsafe { libc::_exit(128 + sig) };
    }
    for sig in TERMINATING {
        // SAFETY: reading the current disposition into a local.
        let mut cur: libc::sigaction = unsafe { core::mem::zeroed() };
        // SAFETY: as above; a null new action only reads.
        unsafe { libc::sigaction(sig, core::ptr::null(), &mut cur) };
        if cur.sa_sigaction != libc::SIG_DFL {
            continue;
        }
        // SAFETY: a zeroed sigaction with an empty mask is valid.
        let mut sa: libc::sigaction = unsafe { core::mem::zeroed() };
        sa.sa_sigaction = end_by as *const () as libc::sighandler_t;
        // On the thread's signal stack once the runner has made one: a guest thread's own
        // stack is the guest's.
        sa.sa_flags = libc::SA_ONSTACK;
        // SAFETY: installing a handler that only calls _exit.
        unsafe { libc::sigaction(sig, &sa, core::ptr::null_mut()) };
    }
    // SAFETY: restores the mask saved above.
    if unsafe { libc::sigprocmask(libc::SIG_SETMASK, &old, core::ptr::null_mut()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The supervisor: lock down, forward signals, end as the child ends, after removing the
/// sandbox's cgroups (`cgroups`: their directories' descriptors and names) and saying
/// whether the memory cgroup's limit killed a process (`oom_events`). Runs on the only
/// thread of the parent, right after the fork, with [`supervisor_mask`] blocked.
fn supervise(child: u32, cgroups: &[Removal<'_>], oom_events: Option<i32>) -> ! {
    // SAFETY: getpid has no preconditions.
    let own = unsafe { libc::getpid() } as u32;
    // The supervisor never reads the guest's input nor writes its output: a reader of the
    // guest's stdout sees its end when the child closes it.
    // SAFETY: closing our copies of stdin and stdout; the child keeps its own.
    unsafe {
        libc::close(0);
        libc::close(1);
    }
    // Default dispositions for the signals that end a process, so that the child's death
    // signal, sent to itself, kills. Not for those whose default is to ignore (SIGCHLD,
    // SIGCONT, SIGURG, SIGWINCH): setting SIG_DFL discards one that is pending, blocked or
    // not (sigaction(2), POSIX), which would lose the SIGCHLD of a child that has already
    // ended; SIGCHLD was reset before the fork. Nor the stop signals: no process dies of them.
    const NOT_FATAL: [libc::c_int; 9] = [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGCHLD,
        libc::SIGCONT,
        libc::SIGURG,
        libc::SIGWINCH,
        libc::SIGTSTP,
        libc::SIGTTIN,
        libc::SIGTTOU,
    ];
    for sig in 1..=31 {
        if !NOT_FATAL.contains(&sig) {
            // SAFETY: setting a default disposition.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
        }
    }
    // Made before the filter: nothing after it may allocate (no brk or mmap).
    let mask = supervisor_mask();
    let dirs: Vec<u32> = cgroups.iter().map(|&(dir, _)| dir as u32).collect();
    let locked = filter(child, own, &dirs, oom_events.map(|fd| fd as u32))
        .ok()
        .is_some_and(|prog| crate::install_filter(&prog).is_ok());
    if !locked {
        say(b"meridian: cannot lock down the supervisor; ending the sandbox\n");
        // SAFETY: kill(2) of our own child.
        unsafe { libc::kill(child as libc::pid_t, libc::SIGKILL) };
    }
    // The child may have ended already (its SIGCHLD is pending then, but a first look costs
    // nothing).
    if let Some(status) = reap(child) {
        end_like(status, own, cgroups, oom_events);
    }
    loop {
        // SAFETY: a zeroed siginfo_t is valid storage for the kernel to fill.
        let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
        // SAFETY: rt_sigtimedwait with our set, our siginfo, no timeout and the kernel's
        // sigset size (8 bytes). Arguments of the variadic syscall(2) are passed as longs, so
        // that the filter's checks see clean upper halves.
        let sig = unsafe {
            libc::syscall(
                libc::SYS_rt_sigtimedwait,
                &mask as *const libc::sigset_t,
                &mut info as *mut libc::siginfo_t,
                core::ptr::null::<libc::timespec>(),
                KERNEL_SIGSET_BYTES,
            )
        } as libc::c_int;
        if sig == libc::SIGCHLD {
            if let Some(status) = reap(child) {
                end_like(status, own, cgroups, oom_events);
            }
        } else if sig > 0 && FORWARDED.contains(&sig) && info.si_code != libc::SI_KERNEL {
            // SAFETY: kill(2) of our own child.
            unsafe {
                libc::syscall(
                    libc::SYS_kill,
                    libc::c_long::from(child),
                    libc::c_long::from(sig),
                )
            };
        }
    }
}

/// The kernel's `sigset_t` size, as rt_sig* calls require.
const KERNEL_SIGSET_BYTES: usize = 8;

/// The child's wait status if it has ended.
fn reap(child: u32) -> Option<libc::c_int> {
    let mut status: libc::c_int = 0;
    // SAFETY: wait4 of our own child into a local, WNOHANG, no rusage.
    let r = unsafe {
        libc::syscall(
            libc::SYS_wait4,
            libc::c_long::from(child),
            &mut status as *mut libc::c_int,
            libc::c_long::from(libc::WNOHANG),
            core::ptr::null_mut::<libc::rusage>(),
        )
    };
    match r {
        0 => None,
        r if r == i64::from(child) => Some(status),
        _ => {
            say(b"meridian: the supervisor lost the sandbox's process\n");
            // SAFETY: exit_group.
            unsafe { libc::_exit(LOST_CHILD_STATUS) }
        }
    }
}

/// End as the child did: its exit status, or death by its signal (128+N if that signal
/// does not kill); first say whether the memory cgroup's limit killed processes, and
/// remove the sandbox's cgroups. The child was pid 1 of the pid namespace: its end waited
/// for every other process of the namespace to be reaped (pid_namespaces(7)), so the
/// cgroups are empty.
fn end_like(status: libc::c_int, own: u32, cgroups: &[Removal<'_>], oom_events: Option<i32>) -> ! {
    if let Some(fd) = oom_events {
        let mut buf = [0u8; 512];
        // SAFETY: read(2) into a local buffer of its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        let kills = usize::try_from(n)
            .ok()
            .and_then(|n| buf.get(..n))
            .map_or(0, crate::limits::oom_kills);
        if kills > 0 {
            say(b"meridian: the sandbox reached its host memory limit (--limit memory plus the runner's allowance): the kernel killed ");
            let mut digits = [0u8; 20];
            let mut at = digits.len();
            let mut v = kills;
            while at > 0 {
                at -= 1;
                digits[at] = b'0' + (v % 10) as u8;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            say(&digits[at..]);
            say(b" of its processes\n");
        }
    }
    for &(dir, name) in cgroups {
        if !crate::limits::remove_cgroup(dir, name) {
            say(b"meridian: could not remove one of the sandbox's cgroups\n");
        }
    }
    if libc::WIFEXITED(status) {
        // SAFETY: exit_group.
        unsafe { libc::_exit(libc::WEXITSTATUS(status)) };
    }
    let sig = libc::WTERMSIG(status);
    let set = sigset(&[sig]);
    // SAFETY: unblocking one signal of our own mask, then sending it to ourselves; its
    // disposition is the default (set in `supervise`), so it ends the process.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::c_long::from(libc::SIG_UNBLOCK),
            &set as *const libc::sigset_t,
            core::ptr::null_mut::<libc::sigset_t>(),
            KERNEL_SIGSET_BYTES,
        );
        libc::syscall(
            libc::SYS_kill,
            libc::c_long::from(own),
            libc::c_long::from(sig),
        );
        libc::_exit(128 + sig)
    }
}

/// One message on stderr, with the supervisor's only `write`.
fn say(msg: &[u8]) {
    // SAFETY: write(2) of a buffer we own, of its length.
    unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(nr: i64, arg0: u64) -> u32 {
        let d = crate::filter::seccomp_data(nr as u32, 0, [arg0, 0, 0, 0, 0, 0]);
        bpf::run(&filter(4321, 77, &[5, 6], Some(7)).expect("assembles"), &d)
    }

    #[test]
    fn the_supervisor_may_signal_only_its_child_and_itself() {
        let allow = libc::SECCOMP_RET_ALLOW;
        let kill = libc::SECCOMP_RET_KILL_PROCESS;
        assert_eq!(call(libc::SYS_kill, 4321), allow);
        assert_eq!(call(libc::SYS_kill, 77), allow);
        for other in [1, 0, u64::MAX, (1 << 32) | 4321, 4322] {
            assert_eq!(call(libc::SYS_kill, other), kill, "kill({other:#x})");
        }
        assert_eq!(call(libc::SYS_wait4, 4321), allow);
        assert_eq!(call(libc::SYS_wait4, u64::MAX), kill, "wait4(-1)");
        assert_eq!(call(libc::SYS_write, 2), allow);
        assert_eq!(call(libc::SYS_write, 1), kill);
        assert_eq!(call(libc::SYS_rt_sigprocmask, 1), allow);
        assert_eq!(call(libc::SYS_rt_sigprocmask, 2), kill, "SIG_SETMASK");
        assert_eq!(call(libc::SYS_exit_group, 0), allow);
        assert_eq!(call(libc::SYS_unlinkat, 5), allow);
        assert_eq!(call(libc::SYS_unlinkat, 6), allow);
        for other in [4, 7, (1 << 32) | 5] {
            assert_eq!(
                call(libc::SYS_unlinkat, other),
                kill,
                "unlinkat of another directory"
            );
        }
        assert_eq!(call(libc::SYS_read, 7), allow);
        for other in [0, 5, 6, (1 << 32) | 7] {
            assert_eq!(call(libc::SYS_read, other), kill, "read({other:#x})");
        }
        let no_cgroup = filter(4321, 77, &[], None).expect("assembles");
        for (nr, fd) in [(libc::SYS_unlinkat, 5), (libc::SYS_read, 7)] {
            let d = crate::filter::seccomp_data(nr as u32, 0, [fd, 0, 0, 0, 0, 0]);
            assert_eq!(bpf::run(&no_cgroup, &d), kill, "{nr} without a cgroup");
        }
        assert_eq!(call(libc::SYS_rt_sigtimedwait, 0), allow);
        for nr in [
            libc::SYS_openat,
            libc::SYS_tgkill,
            libc::SYS_ptrace,
            libc::SYS_mmap,
            libc::SYS_rt_sigaction,
            libc::SYS_clone,
        ] {
            assert_eq!(call(nr, 4321), kill, "syscall {nr}");
        }
        assert_eq!(
            call(i64::from(X32_SYSCALL_BIT) | libc::SYS_kill, 4321),
            kill
        );
    }

    /// SECURITY.md's supervisor table is this allowlist: regenerate with
    /// `MERIDIAN_BLESS=1 cargo test -p meridian-platform-linux`.
    #[test]
    fn security_md_supervisor_listing_is_current() {
        crate::check_security_md_section("supervisor", "supervisor.rs", &allowlist_markdown());
    }
}
