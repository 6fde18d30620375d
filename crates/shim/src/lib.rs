//! Meridian's Linux shim: the Linux system-call ABI over the core's North API.
//!
//! [`Kernel`] is the library OS instance for one sandboxed process. The platform calls it
//! through [`meridian_core::platform::TrapHandler`] on each guest system call, fault and
//! interruption; it decodes registers ([`table`]), dispatches to a `sys_*` handler (files in
//! [`fs_calls`], [`fs_open`], [`fs_attr`] and [`lock_calls`], credentials in [`cred_calls`], memory in [`mm_calls`], processes/threads/time in [`task_calls`], signals in
//! [`signal`], [`signal_calls`], [`sigpending`] and [`signalfd`], readiness in [`poll`], AF_UNIX socket pairs in [`socket_calls`]), and writes the
//! result back. Guest memory is reached only through the platform's fallible accessors
//! ([`mem`]). The ELF loader is [`loader`], the synthetic /proc is [`procfs`]. Depends on
//! the ABI crate and the core; no `unsafe`.
#![no_std]
#![forbid(unsafe_code)]
// Handlers take the Linux argument lists as they are (up to six registers plus the thread).
#![allow(clippy::too_many_arguments, clippy::type_complexity)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::todo,
    clippy::unimplemented
)]

extern crate alloc;

pub mod close_range;
pub mod cred_calls;
pub mod errno;
pub mod exec;
pub(crate) mod fpu_state;
pub mod fs_attr;
pub mod fs_calls;
pub mod fs_open;
pub mod jobctl;
pub mod loader;
pub mod lock_calls;
pub mod mem;
pub mod mm_calls;
pub mod poll;
pub mod process;
pub mod procfs;
pub mod setup;
pub mod signal;
pub mod signal_calls;
pub mod signalfd;
pub mod sigpending;
pub mod socket_calls;
pub mod table;
pub mod task_calls;
pub mod trace;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64};
use meridian_abi::CpuContext;
use meridian_core::file::FdTable;
use meridian_core::fs::vfs::Vfs;
use meridian_core::mm::AddressSpace;
use meridian_core::platform::{Platform, Resume, TrapHandler};
use meridian_core::sync::Epoch;
use spin::Mutex;

/// A handle on the calling process's kernel, for objects the processes share that answer per
/// process (/proc/self): it finds the kernel in the platform's [`ProcessSlot`], which is each
/// process's own.
///
/// [`ProcessSlot`]: meridian_core::platform::ProcessSlot
pub struct CurrentKernel<P: 'static> {
    p: &'static P,
}

impl<P: LinuxPlatform> Clone for CurrentKernel<P> {
    fn clone(&self) -> Self {
        CurrentKernel { p: self.p }
    }
}

impl<P: LinuxPlatform> CurrentKernel<P> {
    /// The handle for platform `p`.
    pub fn new(p: &'static P) -> Self {
        CurrentKernel { p }
    }
    /// The calling process's kernel (None before boot finished).
    pub fn upgrade(&self) -> Option<Arc<Kernel<P>>> {
        let any = self.p.process_slot().read().clone()?;
        any.downcast::<Kernel<P>>().ok()
    }
    /// Make `k` the calling process's kernel. The slot's previous value is forgotten, not
    /// dropped: in a forked child it is the parent's reference.
    pub fn set(&self, k: Arc<Kernel<P>>) {
        core::mem::forget(self.p.process_slot().write().replace(k));
    }
}

/// The platform bound every shim item uses: a platform whose registers are Linux x86-64's.
pub trait LinuxPlatform: Platform<Context = CpuContext> {}
impl<T: Platform<Context = CpuContext>> LinuxPlatform for T {}

/// Per-thread state.
pub struct Thread {
    /// Thread id (the guest's `gettid`).
    pub tid: u32,
    /// Blocked signals.
    pub sigmask: AtomicU64,
    /// Signals pending for this thread.
    pub pending: sigpending::Pending,
    /// `set_tid_address` / `CLONE_CHILD_CLEARTID` word.
    pub clear_child_tid: AtomicU64,
    /// sigaltstack: (sp, size, flags).
    pub altstack: Mutex<(u64, u64, u32)>,
    /// Robust futex list head (recorded only).
    pub robust_list: AtomicU64,
    /// Mask to restore after a signal interrupts rt_sigsuspend.
    pub saved_mask: AtomicU64,
    /// Whether `saved_mask` is in force.
    pub has_saved_mask: core::sync::atomic::AtomicBool,
    /// Another thread's execve ends this one: it leaves at its next way out of the library
    /// OS ([`Kernel::leave_if_ended`]).
    pub ended_by_exec: core::sync::atomic::AtomicBool,
}

impl Thread {
    /// A thread with `tid` and signal mask `mask`.
    pub fn new(tid: u32, mask: u64) -> Arc<Thread> {
        Arc::new(Thread {
            tid,
            sigmask: AtomicU64::new(mask),
            pending: sigpending::Pending::new(),
            clear_child_tid: AtomicU64::new(0),
            altstack: Mutex::new((0, 0, 2)),
            robust_list: AtomicU64::new(0),
            saved_mask: AtomicU64::new(0),
            has_saved_mask: core::sync::atomic::AtomicBool::new(false),
            ended_by_exec: core::sync::atomic::AtomicBool::new(false),
        })
    }
}

/// Settings of a sandboxed process that the runner decides.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Print one line per guest syscall on stderr.
    pub trace: bool,
    /// AT_HWCAP / AT_HWCAP2 of the host CPU.
    pub hwcap: (u64, u64),
    /// Host name (uname).
    pub hostname: Vec<u8>,
    /// Kernel release reported by uname.
    pub release: Vec<u8>,
    /// Total and free memory reported to the guest (bytes).
    pub memory: (u64, u64),
    /// Resource limits from the policy.
    pub limits: Limits,
    /// The rlimits Meridian was started with, `(soft, hard)` by resource number; the guest
    /// starts with these, tightened by [`Config::limits`] (empty: a Debian login's).
    pub inherited_rlimits: Vec<(u64, u64)>,
    /// Do not report unsupported calls and flags on stderr (policy `log = "off"`).
    pub quiet: bool,
    /// User id the guest starts with (real, effective, saved and filesystem); 0: root.
    pub uid: u32,
    /// Group id the guest starts with.
    pub gid: u32,
}

/// Resource limits from the policy; `None` keeps the limit `meridian` inherited
/// ([`Config::inherited_rlimits`]), and a value only ever lowers it.
/// They are the guest's rlimits (getrlimit shows them, the guest may lower them) and the
/// library OS enforces them as Linux does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Address space in bytes (RLIMIT_AS: mmap, brk and mremap fail with ENOMEM); also the
    /// size of the sandbox's memory budget for in-memory files ([`memory_budget`]).
    pub memory: Option<u64>,
    /// Tasks (RLIMIT_NPROC: a new thread or process fails with EAGAIN).
    pub processes: Option<u64>,
    /// Descriptors (RLIMIT_NOFILE: EMFILE).
    pub open_files: Option<u64>,
    /// CPU seconds (RLIMIT_CPU; the host enforces it: SIGXCPU, then SIGKILL a second later).
    pub cpu_seconds: Option<u64>,
    /// Largest file written, bytes (RLIMIT_FSIZE).
    pub file_size: Option<u64>,
}

/// Most different unsupported-feature reports a process prints (their keys are guest
/// values, so they are bounded).
pub const MAX_REPORTS: usize = 256;

/// The library OS instance for one sandboxed process.
pub struct Kernel<P: LinuxPlatform> {
    /// The platform.
    pub p: &'static P,
    /// The filesystem (the mount table is the sandbox's, shared by its processes).
    pub vfs: Arc<Vfs>,
    /// Settings.
    pub config: Config,
    /// Process id.
    pub pid: u32,
    /// Descriptor table.
    pub fds: Mutex<FdTable>,
    /// Current directory (canonical path).
    pub cwd: Mutex<Vec<u8>>,
    /// File mode creation mask.
    pub umask: AtomicU32,
    /// User and group ids.
    pub creds: Mutex<cred_calls::Creds>,
    /// flock(2) and fcntl(2) record locks.
    pub locks: Arc<meridian_core::fs::lock::LockTable>,
    /// Address space bookkeeping.
    pub mm: Mutex<AddressSpace>,
    /// Signal dispositions and process-wide pending signals.
    pub signals: signal::SignalState,
    /// Live threads.
    pub threads: Mutex<BTreeMap<u32, Arc<Thread>>>,
    /// Readiness changes (one counter for the whole sandbox).
    pub epoch: Arc<Epoch>,
    /// The executable's canonical path, argv and envp (for /proc/self).
    pub image: Mutex<loader::ImageInfo>,
    pub(crate) reported: Mutex<BTreeSet<u64>>,
    /// Resource limits: (resource, soft, hard).
    pub rlimits: Mutex<BTreeMap<u32, (u64, u64)>>,
    /// In-memory files mapped MAP_SHARED, by the handle of their shared pages (kept while a
    /// mapping of this process uses them: a mapping may outlive every descriptor of its file).
    pub shared_files: Mutex<
        BTreeMap<
            u64,
            (
                meridian_core::fs::SharedPagesRef,
                meridian_core::fs::NodeRef,
            ),
        >,
    >,
    /// Start time (monotonic), for /proc/uptime-like answers.
    pub started: u64,
    /// What the sandbox's processes share: the process table.
    pub sandbox: Arc<process::Sandbox>,
    /// This process's entry in it.
    pub proc: Arc<process::Process>,
    /// This is a vfork child still running as a thread of its parent's host process.
    pub vfork_thread: core::sync::atomic::AtomicBool,
    /// This kernel, as its process's trap handler (set for a vfork child).
    pub me: Mutex<Option<&'static Arc<Kernel<P>>>>,
    /// The sandbox's memory budget, which in-memory file data is charged to (one for all
    /// its processes; see [`memory_budget`]).
    pub memory_budget: meridian_core::budget::BudgetRef,
}

/// Budget of in-memory data when the host's RAM is unknown and the policy sets no memory.
const UNKNOWN_RAM_BUDGET_BYTES: u64 = 1 << 30;

/// The sandbox's memory budget: the policy's `memory` limit, else half of the host's RAM
/// (Linux's default size of one tmpfs mount, here for all in-memory mounts together).
pub fn memory_budget(config: &Config) -> meridian_core::budget::BudgetRef {
    let bytes = match (config.limits.memory, config.memory.0) {
        (Some(limit), _) => limit,
        (None, 0) => UNKNOWN_RAM_BUDGET_BYTES,
        (None, total) => total / 2,
    };
    meridian_core::budget::MemoryBudget::new(bytes)
}

impl<P: LinuxPlatform> Kernel<P> {
    /// A kernel over `vfs` with no threads yet; `memory_budget` is the one its in-memory
    /// filesystems charge.
    pub fn new(
        p: &'static P,
        vfs: Vfs,
        config: Config,
        memory_budget: meridian_core::budget::BudgetRef,
    ) -> Self {
        let lo = p.guest_range();
        let (sandbox, proc) = process::Sandbox::new(config.uid);
        let rlimits = task_calls::rlimits_for(&config.limits, &config.inherited_rlimits);
        proc.host_pid
            .store(p.own_host_pid(), core::sync::atomic::Ordering::Release);
        Kernel {
            p,
            vfs: Arc::new(vfs),
            pid: 1,
            fds: Mutex::new(FdTable::new(task_calls::descriptor_limit(&rlimits))),
            cwd: Mutex::new(alloc::vec![b'/']),
            umask: AtomicU32::new(0o022),
            creds: Mutex::new(cred_calls::Creds::new(config.uid, config.gid)),
            locks: Arc::new(meridian_core::fs::lock::LockTable::new()),
            mm: Mutex::new(AddressSpace::new(lo.start, lo.end)),
            signals: signal::SignalState::new(),
            threads: Mutex::new(BTreeMap::new()),
            epoch: Arc::new(Epoch::new()),
            image: Mutex::new(loader::ImageInfo::default()),
            reported: Mutex::new(BTreeSet::new()),
            rlimits: Mutex::new(rlimits),
            shared_files: Mutex::new(BTreeMap::new()),
            started: p.now(meridian_core::time::ClockKind::Monotonic).0,
            config,
            sandbox,
            proc,
            vfork_thread: core::sync::atomic::AtomicBool::new(false),
            me: Mutex::new(None),
            memory_budget,
        }
    }

    /// Allocate a thread id and register its state. The first thread of the first process
    /// gets its pid.
    pub fn new_thread(&self, mask: u64) -> Arc<Thread> {
        let tid = if self.threads.lock().is_empty() && self.pid == 1 && self.sandbox.count() == 1 {
            1
        } else {
            self.sandbox.new_id()
        };
        let t = Thread::new(tid, mask);
        self.threads.lock().insert(tid, t.clone());
        t
    }

    /// Look up a live thread.
    pub fn thread(&self, tid: u32) -> Option<Arc<Thread>> {
        self.threads.lock().get(&tid).cloned()
    }

    /// Report an unsupported feature once on stderr (keyed by `key`), at most
    /// [`MAX_REPORTS`] different ones.
    pub fn report_once(&self, key: u64, what: core::fmt::Arguments<'_>) {
        if self.config.quiet {
            return;
        }
        let msg = {
            let mut reported = self.reported.lock();
            // Keys hold guest values (a call number, an option): a guest that makes up a new
            // one each time must not grow the kernel's memory without bound.
            if reported.len() >= MAX_REPORTS {
                return;
            }
            if !reported.insert(key) {
                return;
            }
            if reported.len() == MAX_REPORTS {
                alloc::format!(
                    "meridian: {what}\nmeridian: {MAX_REPORTS} kinds of unsupported calls reported: no more are\n"
                )
            } else {
                alloc::format!("meridian: {what}\n")
            }
        };
        let _ = self
            .p
            .host_write(meridian_core::platform::HostFd(2), msg.as_bytes(), None);
    }

    /// The process ends here if `r` says so: record its exit for its parent first.
    fn finish(&self, r: Resume) -> Resume {
        match r {
            Resume::ExitProcess(code) => self.exit_process(process::exited(code)),
            Resume::KilledBy(signo) => self.exit_process(process::killed(signo)),
            Resume::Guest | Resume::ExitThread => return r,
        }
        // A vfork child that never exec'd is a thread of its parent's host process.
        if self
            .vfork_thread
            .load(core::sync::atomic::Ordering::Acquire)
        {
            Resume::ExitThread
        } else {
            r
        }
    }

    /// Wake everything waiting for a readiness change.
    pub fn notify(&self) {
        self.epoch.bump();
        self.p.wake(self.epoch.word(), u32::MAX);
    }
}

impl<P: LinuxPlatform> TrapHandler<CpuContext> for Kernel<P> {
    fn syscall(&self, tid: u32, nr: u64, ctx: &mut CpuContext, fpu: &mut [u8]) -> Resume {
        let Some(t) = self.thread(tid) else {
            return Resume::ExitThread;
        };
        let out = table::dispatch(self, &t, nr, ctx, fpu);
        if !matches!(
            out,
            table::Outcome::Exit(_) | table::Outcome::ForkChild { .. } | table::Outcome::Gone
        ) && let Some(r) = self.leave_if_ended(&t)
        {
            return r;
        }
        let r = match out {
            table::Outcome::Return(r) => {
                ctx.rax = match r {
                    Ok(v) => v,
                    Err(e) => e.0.to_return(),
                };
                self.deliver_signals(&t, ctx, fpu, Some(nr))
            }
            table::Outcome::ContextSet => self.deliver_signals(&t, ctx, fpu, None),
            table::Outcome::Exit(r) => r,
            table::Outcome::Gone => {
                // A vfork child's exec moved it to a host process of its own, which owns
                // this kernel and the thread's handle now.
                core::mem::forget(t);
                return Resume::ExitThread;
            }
            table::Outcome::ForkChild { stack } => {
                // This kernel is the parent's: the child's handle to its thread must not
                // be dropped here (that would count down the parent's reference).
                core::mem::forget(t);
                ctx.rax = 0;
                if stack != 0 {
                    ctx.rsp = stack;
                }
                return Resume::Guest;
            }
        };
        self.finish(r)
    }

    fn fault(
        &self,
        tid: u32,
        signo: u32,
        code: i32,
        addr: u64,
        ctx: &mut CpuContext,
        fpu: &mut [u8],
    ) -> Resume {
        if self.config.trace {
            let line = alloc::format!(
                "[{tid}] fault: signal {signo} code {code} at {addr:#x} (code at {:#x})\n",
                ctx.rip
            );
            let _ = self
                .p
                .host_write(meridian_core::platform::HostFd(2), line.as_bytes(), None);
        }
        let Some(t) = self.thread(tid) else {
            return self.finish(Resume::KilledBy(signo));
        };
        // A thread that another thread's execve ended may fault on the old image's pages.
        if let Some(r) = self.leave_if_ended(&t) {
            return r;
        }
        // Guest code never has a reason to touch memory above the guest range, where the
        // library OS lives: such a fault is a probe for the library OS's code (to call its
        // allowlisted host calls), so it ends the sandbox instead of reaching a guest handler
        // that could recover and probe on. Faults below the range (null pointers) are
        // ordinary guest faults.
        let above = self.p.guest_range().end;
        if addr >= above || ctx.rip >= above {
            self.report_once(
                0x5_0000,
                format_args!("guest touched library OS memory (address {addr:#x}, code at {:#x}); ending the sandbox", ctx.rip),
            );
            return self.finish(Resume::KilledBy(signo));
        }
        // A MAP_SHARED in-memory file the guest touches past what is mapped: the file grew
        // (map and retry) or the access is past its end (SIGBUS).
        if signo == meridian_abi::signal::sig::SIGSEGV {
            match self.shared_file_fault(addr, ctx.err) {
                Some(true) => return Resume::Guest,
                Some(false) => {
                    let bus = meridian_abi::signal::sig::SIGBUS;
                    return self.deliver_fault(
                        &t,
                        bus,
                        meridian_abi::signal::si_code::BUS_ADRERR,
                        addr,
                        ctx,
                        fpu,
                    );
                }
                None => {}
            }
        }
        // The guest range is reserved PROT_NONE on the host, so the host reports every fault
        // there as an access error; the guest's own map says whether anything was mapped.
        let code =
            if signo == meridian_abi::signal::sig::SIGSEGV && self.mm.lock().find(addr).is_none() {
                meridian_abi::signal::si_code::SEGV_MAPERR
            } else {
                code
            };
        let r = self.deliver_fault(&t, signo, code, addr, ctx, fpu);
        self.finish(r)
    }

    fn interrupt(&self, tid: u32, ctx: &mut CpuContext, fpu: &mut [u8]) -> Resume {
        let Some(t) = self.thread(tid) else {
            return Resume::Guest;
        };
        if let Some(r) = self.leave_if_ended(&t) {
            return r;
        }
        let r = self.deliver_signals(&t, ctx, fpu, None);
        self.finish(r)
    }

    fn forward_signal(&self, signo: u32) {
        self.signals.raise_process(signo);
    }
}
