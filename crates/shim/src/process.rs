//! Processes (DESIGN §4): the sandbox's process table, fork/vfork/clone for processes,
//! wait4/waitid, exit statuses and SIGCHLD, process groups and sessions, kill across
//! processes.
//!
//! A guest process is a host process and fork is a host fork
//! ([`Platform::fork_process`](meridian_core::platform::Platform::fork_process)). What the
//! processes of one sandbox share lives in the kernel heap, which every host process maps at
//! the same address: the [`Sandbox`] (the process table, the id counter), each [`Process`]
//! entry (ids, exit status, signals sent to it by other processes), and every object an fd
//! can reach (open files, pipes, in-memory files). What is private to a process (its fd
//! table, memory map, signal dispositions, threads) is in its own [`Kernel`], which fork
//! copies into a new `Kernel` for the child before the host fork, as Linux's
//! `copy_process` does (kernel/fork.c).
//!
//! Ids: one counter for pids and tids, the first process is pid 1 (the guest sees its own pid
//! space; the host pids are only used to interrupt another process).
//!
//! Exit (`exit_process`): the process closes its descriptors (so pipe readers see EOF),
//! gives its children to pid 1, becomes a zombie with its wait status and sends SIGCHLD to
//! its parent, unless the parent ignores SIGCHLD or set SA_NOCLDWAIT (then it is reaped at
//! once, wait(2) "NOTES"). The host process is reaped by the host: the runner's handler of
//! the host's SIGCHLD has `SA_NOCLDWAIT`, so host children never linger as host zombies. A
//! process whose host process ends without coming here (killed by the host, or ended by the
//! runner's internal-error report) is recorded as ended by its host parent, which the host's
//! SIGCHLD tells (`reap_host_children`, decision D22).

use crate::errno::{SysError, SysResult};
use crate::signal::Target;
use crate::sigpending::Pending;
use crate::{Kernel, LinuxPlatform, Thread};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use meridian_abi::signal::{SigInfo, si_code, sig};
use meridian_abi::{CpuContext, Errno};
use meridian_core::platform::{Forked, HostEnd, WaitOutcome};
use spin::Mutex;

/// clone(2) flags (include/uapi/linux/sched.h).
pub(crate) const CLONE_VM: u64 = 0x100;
pub(crate) const CLONE_FS: u64 = 0x200;
pub(crate) const CLONE_FILES: u64 = 0x400;
pub(crate) const CLONE_SIGHAND: u64 = 0x800;
pub(crate) const CLONE_VFORK: u64 = 0x4000;
pub(crate) const CLONE_THREAD: u64 = 0x10000;
pub(crate) const CLONE_SETTLS: u64 = 0x80000;
pub(crate) const CLONE_PARENT_SETTID: u64 = 0x100000;
pub(crate) const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub(crate) const CLONE_CHILD_SETTID: u64 = 0x1000000;
/// Flags a new process may carry (the low byte is the exit signal).
const PROCESS_FLAGS_ALLOWED: u64 = CLONE_VM
    | CLONE_VFORK
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_CHILD_SETTID
    | 0xff;

/// Processes (live and zombie) a sandbox may hold when its policy sets no `limits.processes`:
/// a fork bomb meets EAGAIN here (getrlimit still shows the RLIMIT_NPROC that `meridian`
/// inherited, unenforced for root as on Linux). The host bounds the sandbox's tasks at this
/// plus one too (SECURITY.md, "Resource limits").
pub const DEFAULT_MAX_PROCESSES: u64 = 1024;

/// wait4/waitid options (include/uapi/linux/wait.h).
pub(crate) const WNOHANG: u64 = 1;
pub(crate) const WUNTRACED: u64 = 2;
pub(crate) const WSTOPPED: u64 = 2;
pub(crate) const WEXITED: u64 = 4;
pub(crate) const WCONTINUED: u64 = 8;
pub(crate) const WNOWAIT: u64 = 0x0100_0000;
const WNOTHREAD: u64 = 0x2000_0000;
const WALL: u64 = 0x4000_0000;
const WCLONE: u64 = 0x8000_0000;
/// waitid id types.
const P_ALL: u64 = 0;
const P_PID: u64 = 1;
const P_PGID: u64 = 2;
const P_PIDFD: u64 = 3;

/// What the sandbox's processes share: the process table and the id counter.
pub struct Sandbox {
    next_id: AtomicU32,
    /// Every process not yet reaped, by pid.
    pub table: Mutex<BTreeMap<u32, Arc<Process>>>,
}

/// A process's state as its parent's wait sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Life {
    /// The wait status once it has ended.
    pub zombie: Option<u32>,
    /// Stopped by this signal, and whether a wait has reported it.
    pub stopped: Option<(u32, bool)>,
    /// Continued and not yet reported (WCONTINUED).
    pub continued: bool,
}

/// One process of the sandbox, as the others see it.
pub struct Process {
    /// Its pid (also its main thread's tid).
    pub pid: u32,
    /// Parent pid (0 for the first process).
    pub ppid: AtomicU32,
    /// Process group.
    pub pgid: AtomicU32,
    /// Session.
    pub sid: AtomicU32,
    /// Its host process, to interrupt it (0 until known).
    pub host_pid: AtomicI32,
    /// Signals sent by other processes, taken over by the process at its next check.
    pub incoming: Pending,
    /// A host kick for `incoming` is on its way (senders kick once until it is taken over:
    /// a burst of signals is one host signal, not one each).
    pub kicked: AtomicBool,
    /// Exit and stop state.
    pub life: Mutex<Life>,
    /// Its children are reaped at once (SIGCHLD ignored, or SA_NOCLDWAIT).
    pub auto_reap: AtomicBool,
    /// Set (and futex-woken) when a vfork child execs or ends.
    pub vfork_done: AtomicU32,
    /// Whether it has called execve (setpgid on a child that did: EACCES).
    pub execed: AtomicBool,
    /// Real user id (for si_uid and kill permission).
    pub uid: AtomicU32,
    /// The signal its parent gets when it ends (clone's low byte; SIGCHLD for fork; 0: none).
    pub exit_signal: AtomicU32,
    /// CPU affinity mask (one bit per CPU, the first 64), inherited by children.
    pub affinity: core::sync::atomic::AtomicU64,
    /// Its kernel (every process's kernel object is in the kernel heap, so another process
    /// can read its live state: /proc/<pid>/status's signal words).
    pub kernel: Mutex<Option<alloc::sync::Weak<dyn core::any::Any + Send + Sync>>>,
    /// What /proc shows of it to other processes (name, command line, ids).
    pub view: Mutex<crate::procfs::ProcView>,
    /// Its SIGCHLD action has SA_NOCLDSTOP: its children's stops and continues send it
    /// nothing ([`crate::jobctl`]).
    pub nocldstop: AtomicBool,
}

impl Process {
    fn new(pid: u32, ppid: u32, pgid: u32, sid: u32, uid: u32) -> Process {
        Process {
            pid,
            ppid: AtomicU32::new(ppid),
            pgid: AtomicU32::new(pgid),
            sid: AtomicU32::new(sid),
            host_pid: AtomicI32::new(0),
            incoming: Pending::new(),
            kicked: AtomicBool::new(false),
            life: Mutex::new(Life::default()),
            auto_reap: AtomicBool::new(false),
            vfork_done: AtomicU32::new(0),
            execed: AtomicBool::new(false),
            uid: AtomicU32::new(uid),
            exit_signal: AtomicU32::new(sig::SIGCHLD),
            affinity: core::sync::atomic::AtomicU64::new(u64::MAX),
            nocldstop: AtomicBool::new(false),
            kernel: Mutex::new(None),
            view: Mutex::new(crate::procfs::ProcView::default()),
        }
    }

    /// Record `kernel` as this process's kernel.
    pub fn set_kernel<P: LinuxPlatform>(&self, kernel: &Arc<Kernel<P>>) {
        let weak: alloc::sync::Weak<Kernel<P>> = Arc::downgrade(kernel);
        *self.kernel.lock() = Some(weak);
    }

    /// This process's kernel, if it is `Kernel<P>` and alive.
    pub fn kernel_of<P: LinuxPlatform>(&self) -> Option<Arc<Kernel<P>>> {
        let any = self.kernel.lock().as_ref()?.upgrade()?;
        any.downcast::<Kernel<P>>().ok()
    }

    fn is_zombie(&self) -> bool {
        self.life.lock().zombie.is_some()
    }
}

impl Sandbox {
    /// A sandbox whose first process is pid 1 (its own session and group leader).
    pub fn new(uid: u32) -> (Arc<Sandbox>, Arc<Process>) {
        let first = Arc::new(Process::new(1, 0, 1, 1, uid));
        let mut table = BTreeMap::new();
        table.insert(1, first.clone());
        let sandbox = Arc::new(Sandbox {
            next_id: AtomicU32::new(2),
            table: Mutex::new(table),
        });
        (sandbox, first)
    }

    /// A fresh id for a thread or process.
    pub fn new_id(&self) -> u32 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The process `pid`, if it exists (zombies included).
    pub fn get(&self, pid: u32) -> Option<Arc<Process>> {
        self.table.lock().get(&pid).cloned()
    }

    /// Processes matching `pred`.
    fn select(&self, pred: impl Fn(&Process) -> bool) -> Vec<Arc<Process>> {
        self.table
            .lock()
            .values()
            .filter(|p| pred(p))
            .cloned()
            .collect()
    }

    /// Number of processes (live and zombie), for RLIMIT_NPROC.
    pub fn count(&self) -> usize {
        self.table.lock().len()
    }
}

/// Which children a wait is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Any,
    Pid(u32),
    Group(u32),
}

/// What a wait found.
struct Reaped {
    pid: u32,
    /// Wait status (wait4) as Linux encodes it.
    status: u32,
    /// For waitid: si_code and si_status.
    code: i32,
    si_status: i32,
    uid: u32,
}

/// A wait status for exit code `code`.
pub const fn exited(code: u8) -> u32 {
    (code as u32) << 8
}

/// A wait status for death by `signo`.
pub const fn killed(signo: u32) -> u32 {
    signo & 0x7f
}

/// si_code and si_status of a wait status, as SIGCHLD and waitid report them.
fn child_code(status: u32) -> (i32, i32) {
    if status & 0x7f == 0 {
        (si_code::CLD_EXITED, ((status >> 8) & 0xff) as i32)
    } else if status & 0x80 != 0 {
        (si_code::CLD_DUMPED, (status & 0x7f) as i32)
    } else {
        (si_code::CLD_KILLED, (status & 0x7f) as i32)
    }
}

impl<P: LinuxPlatform> Kernel<P> {
    /// clone(2) for a new process, fork(2) and vfork(2). Returns the child's pid in the
    /// parent; in the child, `Ok(None)` (the caller returns 0 to the guest without touching
    /// this kernel again: it is the parent's).
    pub fn sys_fork(
        &self,
        t: &Thread,
        ctx: &CpuContext,
        flags: u64,
        stack: u64,
        ptid: u64,
        ctid: u64,
        tls: u64,
    ) -> Result<Option<u64>, SysError> {
        let exit_signal = self.check_fork(flags)?;
        let child = self.new_child(t, exit_signal);
        if flags & CLONE_VM != 0 {
            return self.vfork_thread(ctx, flags, stack, ptid, ctid, tls, child);
        }
        let pid = child.pid;
        let handler: &'static Kernel<P> = child;
        // The child's own reference to its kernel (in the platform's process slot), made
        // before the host fork so that the child owns it there; the parent forgets its copy.
        let for_child = child.clone();
        let notices = self.p.host_child_notices();
        match self.p.fork_process(handler, pid) {
            Err(e) => {
                self.sandbox.table.lock().remove(&pid);
                drop(for_child);
                Err(e.into())
            }
            Ok(Forked::Parent { host_pid }) => {
                core::mem::forget(for_child);
                if flags & CLONE_PARENT_SETTID != 0 {
                    // In the parent's memory only: the child's copy was made by then.
                    let _ = self.write_u32(ptid, pid);
                }
                if let Some(c) = self.sandbox.get(pid) {
                    c.host_pid.store(host_pid, Ordering::Release);
                    self.check_early_end(&c, notices);
                    if flags & CLONE_VFORK != 0 {
                        self.wait_vfork(&c);
                    }
                }
                Ok(Some(u64::from(pid)))
            }
            Ok(Forked::Child { host_pid }) => {
                crate::CurrentKernel::new(self.p).set(for_child);
                child.start_child(host_pid, flags, ctid, tls);
                Ok(None)
            }
        }
    }

    /// The checks of a new process: flags a host fork can honour, the exit signal (returned)
    /// and the process limit.
    fn check_fork(&self, flags: u64) -> Result<u32, SysError> {
        if flags & !PROCESS_FLAGS_ALLOWED != 0
            || (flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0)
        {
            // CLONE_FILES, CLONE_FS, CLONE_SIGHAND, CLONE_PARENT, CLONE_PIDFD and CLONE_VM
            // without CLONE_VFORK would share more than a host fork can.
            self.report_once(
                0x2_0001,
                format_args!(
                    "clone for a new process with flags {flags:#x} is not supported (only fork, vfork and posix_spawn's CLONE_VM|CLONE_VFORK): returning EINVAL"
                ),
            );
            return Err(Errno::EINVAL.into());
        }
        // The low byte is the signal the parent gets at the child's end (clone(2)).
        let exit_signal = (flags & 0xff) as u32;
        if exit_signal > meridian_abi::signal::NSIG {
            return Err(Errno::EINVAL.into());
        }
        let nproc = self.rlimit(crate::task_calls::RLIMIT_NPROC).0.min(
            self.config
                .limits
                .processes
                .unwrap_or(DEFAULT_MAX_PROCESSES),
        );
        if self.sandbox.count() as u64 >= nproc {
            // fork(2): EAGAIN when RLIMIT_NPROC is reached.
            return Err(Errno::EAGAIN.into());
        }
        Ok(exit_signal)
    }

    /// The child's entry in the process table and its kernel (a copy of this one's private
    /// state), kept for the child's life: it is the child's trap handler.
    fn new_child(&self, t: &Thread, exit_signal: u32) -> &'static Arc<Kernel<P>> {
        let pid = self.sandbox.new_id();
        let me = &self.proc;
        let entry = Arc::new(Process::new(
            pid,
            self.pid,
            me.pgid.load(Ordering::Acquire),
            me.sid.load(Ordering::Acquire),
            me.uid.load(Ordering::Acquire),
        ));
        entry.exit_signal.store(exit_signal, Ordering::Release);
        entry
            .affinity
            .store(me.affinity.load(Ordering::Acquire), Ordering::Release);
        *entry.view.lock() = me.view.lock().clone();
        let kernel = alloc::boxed::Box::leak(alloc::boxed::Box::new(Arc::new(
            self.fork_copy(t, entry.clone()),
        )));
        entry.set_kernel(kernel);
        self.sandbox.table.lock().insert(pid, entry);
        kernel
    }

    /// vfork(2) and `CLONE_VM|CLONE_VFORK` (posix_spawn): the child runs as a thread of this
    /// host process, on this process's memory (what it writes, e.g. posix_spawn's error
    /// report, the parent sees), with its own kernel object; it becomes a host process of
    /// its own when it execs ([`Kernel::leave_vfork_thread`]). This thread waits meanwhile.
    fn vfork_thread(
        &self,
        ctx: &CpuContext,
        flags: u64,
        stack: u64,
        ptid: u64,
        ctid: u64,
        tls: u64,
        child: &'static Arc<Kernel<P>>,
    ) -> Result<Option<u64>, SysError> {
        let pid = child.pid;
        child.vfork_thread.store(true, Ordering::Release);
        *child.me.lock() = Some(child);
        child.proc.host_pid.store(
            self.proc.host_pid.load(Ordering::Acquire),
            Ordering::Release,
        );
        if flags & CLONE_PARENT_SETTID != 0 {
            self.write_u32(ptid, pid)?;
        }
        // Shared memory: the parent sees these too, as with CLONE_VM on Linux.
        if flags & CLONE_CHILD_SETTID != 0 {
            self.write_u32(ctid, pid)?;
        }
        if flags & CLONE_CHILD_CLEARTID != 0
            && let Some(ct) = child.thread(pid)
        {
            ct.clear_child_tid.store(ctid, Ordering::Release);
        }
        let (cctx, fs) = self.clone_context(ctx, flags, stack, tls);
        let handler: &'static Kernel<P> = child;
        if let Err(e) = self.p.spawn_vfork_child(handler, pid, cctx, fs) {
            self.sandbox.table.lock().remove(&pid);
            return Err(e.into());
        }
        if let Some(c) = self.sandbox.get(pid) {
            self.wait_vfork(&c);
        }
        Ok(Some(u64::from(pid)))
    }

    /// A vfork child that execs leaves its parent's host process: a host fork of this
    /// thread makes its own process, where the exec goes on. `Ok(true)`: this is the old
    /// side, whose thread must end without touching this kernel again (the new process
    /// owns it).
    pub fn leave_vfork_thread(&self) -> Result<bool, SysError> {
        if !self.vfork_thread.load(Ordering::Acquire) {
            return Ok(false);
        }
        let Some(me) = *self.me.lock() else {
            return Err(Errno::EAGAIN.into());
        };
        let handler: &'static Kernel<P> = me;
        match self.p.fork_process(handler, self.pid)? {
            Forked::Parent { host_pid } => {
                // Here too (only the shared entry, not this kernel, which the new process
                // owns now): a child killed before its own store must still be found by its
                // host pid (`reap_host_children`).
                self.proc.host_pid.store(host_pid, Ordering::Release);
                Ok(true)
            }
            Forked::Child { host_pid } => {
                self.vfork_thread.store(false, Ordering::Release);
                self.proc.host_pid.store(host_pid, Ordering::Release);
                crate::CurrentKernel::new(self.p).set(me.clone());
                Ok(false)
            }
        }
    }

    /// The parent of a vfork waits until the child execs or ends (vfork(2)); only a fatal
    /// signal would end the wait early on Linux, and those end the parent anyway.
    fn wait_vfork(&self, child: &Process) {
        while child.vfork_done.load(Ordering::Acquire) == 0 {
            let _ = self.p.wait(&child.vfork_done, 0, None);
        }
    }

    /// Release a parent waiting in vfork for this process (at exec or exit).
    pub fn release_vfork(&self) {
        if self.proc.vfork_done.swap(1, Ordering::AcqRel) == 0 {
            self.p.wake(&self.proc.vfork_done, u32::MAX);
        }
    }

    /// The new process's first steps, in the child, on its own kernel.
    fn start_child(&self, host_pid: i32, flags: u64, ctid: u64, tls: u64) {
        self.proc.host_pid.store(host_pid, Ordering::Release);
        if flags & CLONE_VFORK == 0 {
            // Only a vfork parent waits for this word.
            self.proc.vfork_done.store(1, Ordering::Release);
        }
        if flags & CLONE_CHILD_SETTID != 0 {
            let _ = self.write_u32(ctid, self.pid);
        }
        if flags & CLONE_CHILD_CLEARTID != 0
            && let Some(t) = self.thread(self.pid)
        {
            t.clear_child_tid.store(ctid, Ordering::Release);
        }
        if flags & CLONE_SETTLS != 0 {
            self.p.set_guest_fs_base(tls);
        }
    }

    /// The child's kernel: a copy of this process's private state (fd table, memory map,
    /// dispositions, credentials, limits) sharing everything the processes share.
    fn fork_copy(&self, t: &Thread, proc: Arc<Process>) -> Kernel<P> {
        let pid = proc.pid;
        let main = Thread::new(pid, t.sigmask.load(Ordering::Acquire));
        *main.altstack.lock() = *t.altstack.lock();
        let mut threads = BTreeMap::new();
        threads.insert(pid, main);
        Kernel {
            p: self.p,
            vfs: self.vfs.clone(),
            config: self.config.clone(),
            pid,
            fds: Mutex::new(self.fds.lock().clone()),
            cwd: Mutex::new(self.cwd.lock().clone()),
            umask: AtomicU32::new(self.umask.load(Ordering::Acquire)),
            creds: Mutex::new(self.creds.lock().clone()),
            locks: self.locks.clone(),
            mm: Mutex::new(self.mm.lock().clone()),
            signals: self.signals.fork_copy(),
            threads: Mutex::new(threads),
            epoch: self.epoch.clone(),
            image: Mutex::new(self.image.lock().clone()),
            reported: Mutex::new(self.reported.lock().clone()),
            rlimits: Mutex::new(self.rlimits.lock().clone()),
            shared_files: Mutex::new(self.shared_files.lock().clone()),
            started: self.p.now(meridian_core::time::ClockKind::Monotonic).0,
            sandbox: self.sandbox.clone(),
            proc,
            vfork_thread: core::sync::atomic::AtomicBool::new(false),
            me: Mutex::new(None),
            memory_budget: self.memory_budget.clone(),
        }
    }

    /// The process ends with wait status `status` (exit_group, the last thread's exit, or a
    /// fatal signal): see the module documentation. The first process's end is the
    /// sandbox's: the host then ends every other process.
    pub fn exit_process(&self, status: u32) {
        // Descriptors first: pipe readers see EOF, locks are released.
        let fds = core::mem::replace(&mut *self.fds.lock(), meridian_core::file::FdTable::new(0));
        for (_, entry) in fds.iter() {
            self.drop_process_locks(&entry.file);
        }
        drop(fds);
        self.shared_files.lock().clear();
        if self.pid == 1 {
            return;
        }
        self.record_end(&self.proc, status);
    }

    /// `dead` (this process, or one whose host process ended without coming here) has ended
    /// with wait status `status`: its children go to the first process (there is no
    /// subreaper in the sandbox), it becomes a zombie or is reaped at once, and its parent
    /// gets its exit signal.
    fn record_end(&self, dead: &Process, status: u32) {
        let orphans = self
            .sandbox
            .select(|p| p.ppid.load(Ordering::Acquire) == dead.pid);
        let mut orphan_zombie = false;
        for o in &orphans {
            o.ppid.store(1, Ordering::Release);
            orphan_zombie |= o.is_zombie();
        }
        let parent_pid = dead.ppid.load(Ordering::Acquire);
        let parent = self.sandbox.get(parent_pid);
        let reap_now = parent
            .as_ref()
            .is_none_or(|p| p.auto_reap.load(Ordering::Acquire));
        if reap_now {
            self.sandbox.table.lock().remove(&dead.pid);
        } else {
            dead.life.lock().zombie = Some(status);
        }
        if dead.vfork_done.swap(1, Ordering::AcqRel) == 0 {
            self.p.wake(&dead.vfork_done, u32::MAX);
        }
        let (code, si_status) = child_code(status);
        let uid = dead.uid.load(Ordering::Acquire);
        let exit_signal = dead.exit_signal.load(Ordering::Acquire);
        if let Some(parent) = parent
            && exit_signal != 0
        {
            self.post_to(
                &parent,
                SigInfo::child(exit_signal, code, dead.pid, uid, si_status),
            );
        }
        if orphan_zombie && let Some(init) = self.sandbox.get(1) {
            self.post_to(
                &init,
                SigInfo::child(sig::SIGCHLD, si_code::CLD_EXITED, 0, uid, 0),
            );
        }
        self.notify();
    }

    /// After a host fork, once the child's entry has its host pid: if another thread took a
    /// notice of ended host children meanwhile (`notices` was the count before the fork),
    /// it could not have named this child; ask the host whether it still exists.
    fn check_early_end(&self, child: &Process, notices: u64) {
        if self.p.host_child_notices() == notices {
            return;
        }
        let host = child.host_pid.load(Ordering::Acquire);
        if self.p.host_process_alive(host) == Some(false) && !child.is_zombie() {
            self.record_end(child, killed(sig::SIGKILL));
        }
    }

    /// Processes whose host process ended without the library OS's exit path (a SIGKILL from
    /// the host, the runner's internal-error report after a refused host call) never record
    /// their own end: this process, their host parent, does it for them when the host tells
    /// it (decision D22). Killed by a signal: killed by that signal; ended by an exit of the
    /// runner (its internal-error report): killed by SIGSYS, as a process the kernel's seccomp
    /// ends; a host end known only as "some child ended": killed by SIGKILL.
    pub fn reap_host_children(&self) {
        let mut ended: Vec<(i32, HostEnd)> = Vec::new();
        if !self
            .p
            .take_ended_children(&mut |pid, end| ended.push((pid, end)))
        {
            return;
        }
        let own = self.proc.host_pid.load(Ordering::Acquire);
        let live = self.sandbox.select(|p| {
            let h = p.host_pid.load(Ordering::Acquire);
            p.pid != 1 && p.pid != self.pid && h > 0 && h != own && !p.is_zombie()
        });
        for p in live {
            let h = p.host_pid.load(Ordering::Acquire);
            let end = match ended.iter().find(|(pid, _)| *pid == h) {
                Some(&(_, end)) => Some(end),
                // The host merges SIGCHLDs that arrive together: ask about our own others.
                None if p.ppid.load(Ordering::Acquire) == self.pid => {
                    match self.p.host_process_alive(h) {
                        Some(false) => Some(HostEnd::Killed(sig::SIGKILL)),
                        _ => None,
                    }
                }
                None => None,
            };
            let status = match end {
                Some(HostEnd::Killed(signo)) => killed(signo),
                Some(HostEnd::Exited(_)) => killed(sig::SIGSYS),
                None => continue,
            };
            if !p.is_zombie() {
                self.record_end(&p, status);
            }
        }
    }

    /// Send `info` to another process: queue it on its entry and interrupt it.
    pub fn post_to(&self, target: &Process, info: SigInfo) {
        if target.is_zombie() {
            return;
        }
        crate::jobctl::prepare_incoming(target, info.signo);
        let _ = target
            .incoming
            .post(info, crate::signal::MAX_QUEUED_SIGNALS);
        self.notify();
        if target.kicked.swap(true, Ordering::AcqRel) {
            return;
        }
        let host = target.host_pid.load(Ordering::Acquire);
        if host > 0 && host == self.proc.host_pid.load(Ordering::Acquire) {
            // A vfork child and its parent share a host process: its thread is ours to kick.
            self.p.kick_thread(target.pid);
        } else if host > 0 {
            self.p.kick_process(host);
        }
    }

    /// Take over signals other processes sent to this one (as if each were sent now).
    pub fn take_incoming(&self, t: &Thread) {
        self.reap_host_children();
        // Cleared before the queue is read: a signal posted from now on kicks again.
        self.proc.kicked.store(false, Ordering::Release);
        if self.proc.incoming.bits() == 0 {
            return;
        }
        while let Some(info) = self.proc.incoming.take(u64::MAX) {
            let _ = self.send_signal(t, Target::Process, info);
        }
    }

    /// kill(2) to a process, a group, or every process (-1).
    pub fn kill_processes(
        &self,
        t: &Thread,
        pid: i32,
        info_for: impl Fn() -> Result<SigInfo, SysError>,
    ) -> SysResult {
        let me = self.pid;
        let my_pgid = self.proc.pgid.load(Ordering::Acquire);
        let targets: Vec<Arc<Process>> = match pid {
            p if p > 0 => self.sandbox.get(p as u32).into_iter().collect(),
            0 => self
                .sandbox
                .select(|p| p.pgid.load(Ordering::Acquire) == my_pgid),
            -1 => self.sandbox.select(|p| p.pid != 1 && p.pid != me),
            p => {
                let g = p.unsigned_abs();
                self.sandbox.select(|p| p.pgid.load(Ordering::Acquire) == g)
            }
        };
        if targets.is_empty() {
            return Err(Errno::ESRCH.into());
        }
        let info = info_for()?;
        if info.signo == 0 {
            return Ok(0);
        }
        for target in &targets {
            if target.pid == me {
                self.send_signal(t, Target::Process, info)?;
            } else {
                self.post_to(target, info);
            }
        }
        Ok(0)
    }

    /// Record whether this process's children are reaped at once (rt_sigaction of SIGCHLD).
    pub fn update_auto_reap(&self) {
        let a = self.signals.action(sig::SIGCHLD);
        const SA_NOCLDWAIT: u64 = 2;
        let auto = a.handler == meridian_abi::signal::SIG_IGN || a.flags & SA_NOCLDWAIT != 0;
        self.proc.auto_reap.store(auto, Ordering::Release);
        self.proc.nocldstop.store(
            a.flags & meridian_abi::signal::sa::SA_NOCLDSTOP != 0,
            Ordering::Release,
        );
    }

    /// Find a child for a wait: `Ok(Some)` if one is ready, `Ok(None)` if some match but none
    /// is ready, ECHILD if none match.
    fn find_waitable(&self, which: Which, options: u64) -> Result<Option<Reaped>, SysError> {
        let mut table = self.sandbox.table.lock();
        let mut any = false;
        let mut found = None;
        for (&pid, p) in table.iter() {
            if p.ppid.load(Ordering::Acquire) != self.pid {
                continue;
            }
            let matches = match which {
                Which::Any => true,
                Which::Pid(x) => pid == x,
                Which::Group(g) => p.pgid.load(Ordering::Acquire) == g,
            };
            // A "clone" child (one whose end is signalled by other than SIGCHLD) is waited for
            // only with __WCLONE or __WALL, the others only without __WCLONE (wait(2)).
            let clone_child = p.exit_signal.load(Ordering::Acquire) != sig::SIGCHLD;
            if !matches || (options & WALL == 0 && clone_child != (options & WCLONE != 0)) {
                continue;
            }
            any = true;
            let mut life = p.life.lock();
            let uid = p.uid.load(Ordering::Acquire);
            if let Some(status) = life.zombie {
                if options & WEXITED != 0 {
                    let (code, si_status) = child_code(status);
                    found = Some((
                        Reaped {
                            pid,
                            status,
                            code,
                            si_status,
                            uid,
                        },
                        true,
                    ));
                    break;
                }
            } else if let Some((signo, reported)) = life.stopped {
                if options & WSTOPPED != 0 && !reported {
                    if options & WNOWAIT == 0 {
                        life.stopped = Some((signo, true));
                    }
                    let r = Reaped {
                        pid,
                        status: (signo << 8) | 0x7f,
                        code: si_code::CLD_STOPPED,
                        si_status: signo as i32,
                        uid,
                    };
                    found = Some((r, false));
                    break;
                }
            } else if life.continued && options & WCONTINUED != 0 {
                if options & WNOWAIT == 0 {
                    life.continued = false;
                }
                let r = Reaped {
                    pid,
                    status: 0xffff,
                    code: si_code::CLD_CONTINUED,
                    si_status: sig::SIGCONT as i32,
                    uid,
                };
                found = Some((r, false));
                break;
            }
        }
        match found {
            Some((r, reap)) => {
                if reap && options & WNOWAIT == 0 {
                    table.remove(&r.pid);
                }
                Ok(Some(r))
            }
            None if any => Ok(None),
            None => Err(Errno::ECHILD.into()),
        }
    }

    /// Wait for a child as wait4/waitid do: WNOHANG gives `Ok(None)`.
    fn wait_child(
        &self,
        t: &Thread,
        which: Which,
        options: u64,
    ) -> Result<Option<Reaped>, SysError> {
        loop {
            let seen = self.epoch.current();
            self.reap_host_children();
            if let Some(r) = self.find_waitable(which, options)? {
                return Ok(Some(r));
            }
            if options & WNOHANG != 0 {
                return Ok(None);
            }
            if self.signal_pending(t) {
                return Err(Errno::EINTR.into());
            }
            if self.p.wait(self.epoch.word(), seen, None) == WaitOutcome::Interrupted
                && self.signal_pending(t)
            {
                return Err(Errno::EINTR.into());
            }
        }
    }

    /// wait4(2).
    pub fn sys_wait4(
        &self,
        t: &Thread,
        pid: u64,
        status: u64,
        options: u64,
        rusage: u64,
    ) -> SysResult {
        if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let pid = pid as i32;
        let which = match pid {
            -1 => Which::Any,
            0 => Which::Group(self.proc.pgid.load(Ordering::Acquire)),
            p if p > 0 => Which::Pid(p as u32),
            // i32::MIN has no group (kernel/exit.c: -INT_MIN overflows): ESRCH.
            i32::MIN => return Err(Errno::ESRCH.into()),
            p => Which::Group(p.unsigned_abs()),
        };
        let Some(r) = self.wait_child(t, which, options | WEXITED)? else {
            return Ok(0);
        };
        if status != 0 {
            self.write_u32(status, r.status)?;
        }
        if rusage != 0 {
            // struct rusage: 144 bytes; no accounting yet, all zero.
            self.write_mem(rusage, &[0u8; 144])?;
        }
        Ok(u64::from(r.pid))
    }

    /// waitid(2).
    pub fn sys_waitid(
        &self,
        t: &Thread,
        idtype: u64,
        id: u64,
        infop: u64,
        options: u64,
        rusage: u64,
    ) -> SysResult {
        let known = WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE;
        if options & !known != 0 || options & (WEXITED | WSTOPPED | WCONTINUED) == 0 {
            return Err(Errno::EINVAL.into());
        }
        let which = match idtype {
            P_ALL => Which::Any,
            P_PID if (id as i32) > 0 => Which::Pid(id as u32),
            P_PGID if id == 0 => Which::Group(self.proc.pgid.load(Ordering::Acquire)),
            P_PGID if (id as i32) > 0 => Which::Group(id as u32),
            P_PIDFD => {
                self.report_once(
                    0x2_0002,
                    format_args!("waitid(P_PIDFD) is not supported: returning EINVAL"),
                );
                return Err(Errno::EINVAL.into());
            }
            _ => return Err(Errno::EINVAL.into()),
        };
        let found = self.wait_child(t, which, options)?;
        if infop != 0 {
            // waitid(2): with WNOHANG and no child ready, si_pid is 0 (the whole siginfo
            // is zeroed by Linux).
            let bytes = match &found {
                Some(r) => SigInfo::child(sig::SIGCHLD, r.code, r.pid, r.uid, r.si_status).encode(),
                None => [0u8; meridian_abi::signal::SIGINFO_SIZE],
            };
            self.write_mem(infop, &bytes)?;
        }
        if rusage != 0 {
            self.write_mem(rusage, &[0u8; 144])?;
        }
        Ok(0)
    }

    /// getppid(2).
    pub fn sys_getppid(&self) -> SysResult {
        Ok(u64::from(self.proc.ppid.load(Ordering::Acquire)))
    }

    fn process_for(&self, pid: u64) -> Result<Arc<Process>, SysError> {
        let pid = if pid == 0 { self.pid } else { pid as u32 };
        self.sandbox.get(pid).ok_or_else(|| Errno::ESRCH.into())
    }

    /// getpgid(2).
    pub fn sys_getpgid(&self, pid: u64) -> SysResult {
        Ok(u64::from(
            self.process_for(pid)?.pgid.load(Ordering::Acquire),
        ))
    }

    /// getsid(2).
    pub fn sys_getsid(&self, pid: u64) -> SysResult {
        Ok(u64::from(
            self.process_for(pid)?.sid.load(Ordering::Acquire),
        ))
    }

    /// setpgid(2), with the checks of kernel/sys.c.
    pub fn sys_setpgid(&self, pid: u64, pgid: u64) -> SysResult {
        if (pgid as i32) < 0 {
            return Err(Errno::EINVAL.into());
        }
        let target = self.process_for(pid)?;
        let pgid = if pgid as u32 == 0 {
            target.pid
        } else {
            pgid as u32
        };
        let my_sid = self.proc.sid.load(Ordering::Acquire);
        if target.pid != self.pid {
            if target.ppid.load(Ordering::Acquire) != self.pid {
                return Err(Errno::ESRCH.into());
            }
            if target.sid.load(Ordering::Acquire) != my_sid {
                return Err(Errno::EPERM.into());
            }
            if target.execed.load(Ordering::Acquire) {
                return Err(Errno::EACCES.into());
            }
        }
        // A session leader cannot move.
        if target.sid.load(Ordering::Acquire) == target.pid {
            return Err(Errno::EPERM.into());
        }
        if pgid != target.pid {
            let exists = !self
                .sandbox
                .select(|p| {
                    p.pgid.load(Ordering::Acquire) == pgid
                        && p.sid.load(Ordering::Acquire) == my_sid
                })
                .is_empty();
            if !exists {
                return Err(Errno::EPERM.into());
            }
        }
        target.pgid.store(pgid, Ordering::Release);
        Ok(0)
    }

    /// setsid(2): EPERM for a process group leader.
    pub fn sys_setsid(&self) -> SysResult {
        let me = self.pid;
        let leads = !self
            .sandbox
            .select(|p| p.pgid.load(Ordering::Acquire) == me)
            .is_empty();
        if leads {
            return Err(Errno::EPERM.into());
        }
        self.proc.sid.store(me, Ordering::Release);
        self.proc.pgid.store(me, Ordering::Release);
        Ok(u64::from(me))
    }
}
