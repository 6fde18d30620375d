//! execve(2) and execveat(2): the guest image is replaced inside the same host process, and
//! the library OS stays (DESIGN §4).
//!
//! The call runs in two halves, as fs/exec.c does. Everything that can fail is done first,
//! while the old image is intact and an error can still be returned: reading the path, argv
//! and envp; resolving the path; checking permissions; following `#!` lines; opening and
//! parsing the ELF file and its interpreter ([`Kernel::plan_program`]). Then, past the point
//! of no return ([`Kernel::replace_image`]): the other threads end, every guest mapping
//! goes, close-on-exec descriptors close, caught signals go back to their default action,
//! and the planned image is mapped with a fresh stack and registers. A failure there can
//! no longer be reported to the old image: the process dies of SIGSEGV, as Linux's does.
//!
//! Depends on the loader, the signal state and the platform's thread kick and unmap.

use crate::errno::SysError;
use crate::fs_calls::AT_FDCWD;
use crate::fs_open::AT_EMPTY_PATH;
use crate::loader::{LoadPlan, comm_of};
use crate::table::Outcome;
use crate::{Kernel, LinuxPlatform, Thread};
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use meridian_abi::signal::sig;
use meridian_abi::{CpuContext, Errno};
use meridian_core::fs::FileType;
use meridian_core::fs::perm::MAY_EXEC;
use meridian_core::mm::AddressSpace;
use meridian_core::platform::Resume;
use meridian_core::time::Nanos;

/// `AT_SYMLINK_NOFOLLOW`.
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
/// Longest single argument or environment string, with its NUL (`MAX_ARG_STRLEN`,
/// include/uapi/linux/binfmts.h: 32 pages): longer is E2BIG.
const MAX_ARG_STRLEN_BYTES: usize = 32 * 4096;
/// Most argument plus environment strings (`MAX_ARG_STRINGS`).
const MAX_ARG_STRINGS: usize = 0x7fff_ffff;
/// Ceiling on the argument area whatever the stack limit (fs/exec.c `bprm_stack_limits`:
/// three quarters of `_STK_LIM`, 8 MiB).
const MAX_ARG_AREA_BYTES: u64 = 6 << 20;
/// Bytes of one argv or envp pointer.
const POINTER_BYTES: u64 = 8;
const RLIMIT_STACK: u32 = 3;
/// How long the exec'ing thread waits between kicks of the threads it ends (a kick can
/// arrive just before a thread blocks in a host call; the next one gets it out).
const END_THREADS_POLL_NANOS: u64 = 10_000_000;
/// Index of the effective and saved ids in `Creds`' arrays (real, effective, saved, fs).
const CRED_EFFECTIVE: usize = 1;
const CRED_SAVED: usize = 2;

/// The name a program is started by: what execve(2) puts in `AT_EXECFN` and what a
/// script's interpreter is given (fs/exec.c `do_execveat_common`).
struct ExecName {
    /// `bprm->filename`: the path as given, or `/dev/fd/N[/path]` for execveat on a
    /// descriptor.
    filename: Vec<u8>,
    /// The thread name: the last component of the path as given, or the file's own name
    /// when the path came from a descriptor.
    comm: Vec<u8>,
}

impl<P: LinuxPlatform> Kernel<P> {
    /// execve(2).
    pub fn sys_execve(
        &self,
        t: &Thread,
        path: u64,
        argv: u64,
        envp: u64,
        ctx: &mut CpuContext,
        fpu: &mut [u8],
    ) -> Outcome {
        self.sys_execveat(t, AT_FDCWD, path, argv, envp, 0, ctx, fpu)
    }

    /// execveat(2): `AT_EMPTY_PATH` runs the file `dirfd` refers to (fexecve(3));
    /// `AT_SYMLINK_NOFOLLOW` refuses a final symbolic link with ELOOP.
    pub fn sys_execveat(
        &self,
        t: &Thread,
        dirfd: u64,
        path: u64,
        argv: u64,
        envp: u64,
        flags: u64,
        ctx: &mut CpuContext,
        fpu: &mut [u8],
    ) -> Outcome {
        match self.prepare_exec(dirfd, path, argv, envp, flags) {
            Ok((plan, name)) => self.replace_image(t, plan, name, ctx, fpu),
            Err(e) => Outcome::Return(Err(e)),
        }
    }

    /// The first half: everything that can fail while the old image can still be told.
    fn prepare_exec(
        &self,
        dirfd: u64,
        path: u64,
        argv: u64,
        envp: u64,
        flags: u64,
    ) -> Result<(LoadPlan, ExecName), SysError> {
        if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let given = self.read_path(path)?;
        let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
        let r = self.target_at(dirfd, &given, flags, follow)?;
        if r.node.file_type() == FileType::Symlink {
            return Err(Errno::ELOOP.into());
        }
        // do_open_execat checks the file before the arguments are read: a missing or
        // non-executable file is reported even when argv is a bad pointer.
        let m = r.node.metadata()?;
        if r.node.file_type() != FileType::Regular || !self.fs_cred().permits(&m, MAY_EXEC) {
            return Err(Errno::EACCES.into());
        }
        let name = self.exec_name(dirfd, &given, &r.path);
        // The area's limit bounds what is read, not only what is kept: one long string named
        // a million times must not fill the kernel heap before the check below.
        let mut budget = self.arg_area_limit();
        let mut argv = self.read_exec_strings(argv, &mut budget)?;
        let envp = self.read_exec_strings(envp, &mut budget)?;
        self.check_arg_area(&name.filename, &argv, &envp)?;
        // Linux 5.18 and later run a program given no argv with one empty argument
        // (fs/exec.c `do_execveat_common`) so that argv[0] is never NULL.
        if argv.is_empty() {
            argv.push(Vec::new());
        }
        // A script reached through a close-on-exec descriptor cannot be read by its
        // interpreter after the exec (execveat(2), ENOENT).
        let cloexec_fd = given.is_empty()
            && dirfd != AT_FDCWD
            && u32::try_from(dirfd as i32)
                .ok()
                .and_then(|fd| self.fds.lock().get(fd).ok().map(|e| e.cloexec))
                .unwrap_or(false);
        let cred = self.fs_cred();
        let file = r.path.clone();
        let plan = self
            .plan_program(
                r.node,
                r.path,
                name.filename.clone(),
                argv,
                envp,
                Some(&cred),
            )
            .map_err(|e| SysError(e.errno()))?;
        if cloexec_fd && plan.path != file {
            return Err(Errno::ENOENT.into());
        }
        Ok((plan, name))
    }

    /// `bprm->filename` and the thread name of an exec of `given` relative to `dirfd`.
    fn exec_name(&self, dirfd: u64, given: &[u8], resolved: &[u8]) -> ExecName {
        if given.starts_with(b"/") || dirfd == AT_FDCWD || dirfd as i32 == AT_FDCWD as i32 {
            return ExecName {
                filename: given.to_vec(),
                comm: comm_of(given),
            };
        }
        let mut filename = alloc::format!("/dev/fd/{}", dirfd as i32).into_bytes();
        if !given.is_empty() {
            filename.push(b'/');
            filename.extend_from_slice(given);
        }
        ExecName {
            filename,
            comm: comm_of(resolved),
        }
    }

    /// Read an argv or envp array for execve: EFAULT for a bad pointer, E2BIG for a string
    /// longer than `MAX_ARG_STRLEN`, too many strings, or more bytes (strings and pointers)
    /// than are left in `budget`. A null array is an empty one.
    fn read_exec_strings(&self, addr: u64, budget: &mut u64) -> Result<Vec<Vec<u8>>, SysError> {
        let mut out = Vec::new();
        if addr == 0 {
            return Ok(out);
        }
        let mut at = addr;
        loop {
            let p = self.read_u64(at)?;
            if p == 0 {
                return Ok(out);
            }
            if out.len() >= MAX_ARG_STRINGS {
                return Err(Errno::E2BIG.into());
            }
            let s = self
                .read_cstr(p, MAX_ARG_STRLEN_BYTES - 1)
                .map_err(|e| match e.0 {
                    Errno::ENAMETOOLONG => SysError(Errno::E2BIG),
                    _ => e,
                })?;
            let cost = s.len() as u64 + 1 + POINTER_BYTES;
            *budget = budget.checked_sub(cost).ok_or(SysError(Errno::E2BIG))?;
            out.push(s);
            at = at.checked_add(8).ok_or(SysError(Errno::EFAULT))?;
        }
    }

    /// Bytes the strings and their pointers may take: a quarter of the stack limit, at most
    /// [`MAX_ARG_AREA_BYTES`].
    fn arg_area_limit(&self) -> u64 {
        (self.rlimit(RLIMIT_STACK).0 / 4).min(MAX_ARG_AREA_BYTES)
    }

    /// E2BIG when the strings and their pointers take more than a quarter of the stack
    /// limit (fs/exec.c `bprm_stack_limits`; execve(2), "Limits on size of arguments and
    /// environment").
    fn check_arg_area(
        &self,
        filename: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
    ) -> Result<(), SysError> {
        let limit = self.arg_area_limit();
        let pointers = ((argv.len() + envp.len()) as u64).saturating_mul(8);
        let strings: u64 = argv
            .iter()
            .chain(envp)
            .map(|s| s.len() as u64 + 1)
            .sum::<u64>()
            .saturating_add(filename.len() as u64 + 1);
        if pointers.saturating_add(strings) > limit {
            return Err(Errno::E2BIG.into());
        }
        Ok(())
    }

    /// The second half, past the point of no return (fs/exec.c `begin_new_exec`).
    fn replace_image(
        &self,
        t: &Thread,
        plan: LoadPlan,
        name: ExecName,
        ctx: &mut CpuContext,
        fpu: &mut [u8],
    ) -> Outcome {
        match self.leave_vfork_thread() {
            Ok(false) => {}
            Ok(true) => {
                // The old side of the host fork: the new process owns these now.
                core::mem::forget(plan);
                core::mem::forget(name);
                return Outcome::Gone;
            }
            Err(e) => return Outcome::Return(Err(e)),
        }
        if !self.end_other_threads(t) {
            // Another thread's execve won the race and ends this one.
            return Outcome::Exit(self.leave_if_ended(t).unwrap_or(Resume::ExitThread));
        }
        self.take_leader_id(t);
        self.release_address_space();
        // setpgid on this process is EACCES from now on (before the close-on-exec
        // descriptors close: a parent may be waiting for their EOF to try).
        self.proc
            .execed
            .store(true, core::sync::atomic::Ordering::Release);
        {
            // What other processes see in /proc/<pid> changes before the close-on-exec
            // descriptors close too: the new name (`__set_task_comm` in begin_new_exec).
            let mut view = self.proc.view.lock();
            view.comm = name.comm.clone();
            view.cmdline = plan
                .argv
                .iter()
                .flat_map(|a| a.iter().copied().chain([0]))
                .collect();
        }
        self.close_on_exec();
        self.signals.reset_for_exec();
        self.update_auto_reap();
        // The parent of a vfork goes on once the child has its own image (fs/exec.c
        // `exec_mm_release`).
        self.release_vfork();
        *t.altstack.lock() = (0, 0, SS_DISABLE);
        t.robust_list.store(0, Ordering::Release);
        t.clear_child_tid.store(0, Ordering::Release);
        t.has_saved_mask.store(false, Ordering::Release);
        {
            // execve(2): the effective ids are copied to the saved ids.
            let mut c = self.creds.lock();
            c.uid[CRED_SAVED] = c.uid[CRED_EFFECTIVE];
            c.gid[CRED_SAVED] = c.gid[CRED_EFFECTIVE];
        }
        self.p.set_guest_fs_base(0);
        match self.commit_plan(plan, &name.filename, name.comm) {
            Ok(fresh) => {
                *ctx = fresh;
                // A fresh vector state, as `fpu_flush_thread` gives a new program.
                crate::fpu_state::reset(fpu);
                Outcome::ContextSet
            }
            Err(e) => {
                self.report_once(
                    REPORT_KEY_LATE_FAILURE,
                    format_args!(
                        "execve failed after the old image was gone ({e:?}): the process dies of SIGSEGV"
                    ),
                );
                Outcome::Exit(Resume::KilledBy(sig::SIGSEGV))
            }
        }
    }

    /// End every thread but `t` and wait until they are gone (fs/exec.c `de_thread`).
    /// False when `t` itself is being ended by a concurrent execve.
    fn end_other_threads(&self, t: &Thread) -> bool {
        {
            let threads = self.threads.lock();
            if t.ended_by_exec.load(Ordering::Acquire) {
                return false;
            }
            for other in threads.values().filter(|o| o.tid != t.tid) {
                other.ended_by_exec.store(true, Ordering::Release);
            }
        }
        loop {
            let seen = self.epoch.current();
            let others: Vec<u32> = self
                .threads
                .lock()
                .keys()
                .copied()
                .filter(|&tid| tid != t.tid)
                .collect();
            if others.is_empty() {
                return true;
            }
            for tid in others {
                self.p.kick_thread(tid);
            }
            let _ = self
                .p
                .wait(self.epoch.word(), seen, Some(Nanos(END_THREADS_POLL_NANOS)));
        }
    }

    /// A thread other than the leader that execs takes over the process id as its thread id
    /// (fs/exec.c `de_thread`), with its mask and pending signals. Its old entry goes; the
    /// rest of this call still holds it, which is harmless (its pending set is now empty).
    fn take_leader_id(&self, t: &Thread) {
        let leader = self.pid;
        if t.tid == leader || self.p.rename_current_thread(leader).is_err() {
            return;
        }
        let heir = Thread::new(leader, t.sigmask.load(Ordering::Acquire));
        while let Some(info) = t.pending.take(u64::MAX) {
            let _ = heir.pending.post(info, usize::MAX);
        }
        let mut threads = self.threads.lock();
        threads.remove(&t.tid);
        threads.insert(leader, heir);
    }

    /// If an execve ended `t`, take it out of the thread table and say how it leaves.
    /// Called on each way out of the library OS; the thread never returns to guest code,
    /// whose pages may already belong to the new image.
    pub fn leave_if_ended(&self, t: &Thread) -> Option<Resume> {
        if !t.ended_by_exec.load(Ordering::Acquire) {
            return None;
        }
        self.threads.lock().remove(&t.tid);
        self.notify();
        Some(Resume::ExitThread)
    }

    /// Give every guest mapping back (`exec_mmap`): the whole guest range, so nothing of
    /// the old image can survive whatever the bookkeeping says.
    fn release_address_space(&self) {
        let range = self.p.guest_range();
        let mut mm = self.mm.lock();
        if self.p.unmap(range.start, range.end - range.start).is_err() {
            // Fall back to the areas the bookkeeping knows.
            let areas: Vec<(u64, u64)> = mm.areas().map(|(s, a)| (s, a.end)).collect();
            for (start, end) in areas {
                let _ = self.p.unmap(start, end - start);
            }
        }
        *mm = AddressSpace::new(range.start, range.end);
        drop(mm);
        self.shared_files.lock().clear();
    }

    /// Close the close-on-exec descriptors, releasing their record locks as close(2) does.
    fn close_on_exec(&self) {
        let closed: Vec<_> = {
            let mut fds = self.fds.lock();
            let marked: Vec<u32> = fds
                .iter()
                .filter(|(_, e)| e.cloexec)
                .map(|(fd, _)| fd)
                .collect();
            marked
                .into_iter()
                .filter_map(|fd| fds.remove(fd).ok())
                .collect()
        };
        if closed.is_empty() {
            return;
        }
        for e in &closed {
            self.drop_process_locks(&e.file);
        }
        drop(closed);
        self.notify();
    }
}

/// Report-once key of a failure past the point of no return (keys below are syscall
/// numbers, and 0x1_0000 to 0x6_ffff are other shim reports).
const REPORT_KEY_LATE_FAILURE: u64 = 0x7_0000;
/// `SS_DISABLE`: no alternate signal stack.
const SS_DISABLE: u32 = 2;
