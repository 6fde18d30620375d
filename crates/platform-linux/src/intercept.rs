//! Interception: signal handlers, per-thread signal stacks, FS-base switching and entry
//! into guest code.
//!
//! Every host thread that runs guest code owns a [`ThreadBlock`] at the base of an aligned
//! alternate signal stack. All host signals are the library OS's: each enters through one
//! assembly trampoline that finds the block by masking the stack pointer (no TLS needed),
//! saves the guest's FS base and loads the library OS's own (FSGSBASE instructions), then
//! calls [`dispatch`]. On return it reinstates the guest FS base, which the shim may have
//! changed (arch_prctl), and returns into the kernel's sigreturn path. A signal that
//! arrives while the library OS's own code runs (FS base already the host's) is "nested":
//! nothing is switched. Guest code starts on a thread through [`enter_guest`], which loads
//! the whole register file, vector state included ([`crate::fpu`]).

use crate::fpu::FpuImage;
use crate::{kheap, usercopy};
use core::arch::global_asm;
use core::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use meridian_abi::CpuContext;
use meridian_abi::regs::SIGCONTEXT_WORDS;
use meridian_core::platform::{Resume, TrapHandler};
use std::sync::OnceLock;

/// Size and alignment of each thread's alternate signal stack (with its block at the base).
pub const ALT_STACK_BYTES: usize = 1 << 20;
/// Host signal used to interrupt a guest thread (a real-time signal glibc does not use).
pub const KICK_SIGNAL: i32 = 40;

/// Per-thread state found from the signal stack. Field offsets are used by the assembly.
#[repr(C)]
pub struct ThreadBlock {
    /// The library OS's FS base on this thread (offset 0).
    pub host_fs: u64,
    /// The guest's FS base (offset 8).
    pub guest_fs: AtomicU64,
    /// The library OS's id of the guest thread.
    pub tid: AtomicU32,
    /// Set (and futex-woken) to cut a wait short.
    pub kick: AtomicU32,
    /// Host thread id, for tgkill (changes in a forked child).
    pub host_tid: AtomicI32,
    /// A kick signal is on its way to this thread (set by the kicker, cleared when the
    /// signal's handler runs): at most one is in flight. A burst of queued real-time signals
    /// would make the host build one frame per signal on the alternate stack before any
    /// handler runs, and overflow it.
    pub signalled: AtomicU32,
    /// A library OS instance serving this thread's traps instead of the process's: a vfork
    /// child, which runs as a thread of its parent's host process until it execs.
    pub handler: AtomicPtr<&'static dyn TrapHandler<CpuContext>>,
    /// While this thread serves a system call: the `fpstate` area of its host signal frame
    /// (the guest's vector state at the call) and its length; null otherwise. A clone child
    /// starts from it ([`FpuImage::from_frame`]).
    trap_fpu: AtomicPtr<u8>,
    trap_fpu_len: AtomicUsize,
}

impl ThreadBlock {
    /// The vector state a clone child made by the system call this thread is serving starts
    /// with: the caller's at its `syscall`, or a fresh one outside a system call.
    pub fn clone_fpu_image(&self) -> FpuImage {
        let p = self.trap_fpu.load(Ordering::Acquire);
        if p.is_null() {
            return FpuImage::init();
        }
        let len = self.trap_fpu_len.load(Ordering::Acquire);
        // SAFETY: `dispatch` stores the frame's area (valid, `len` bytes, on this thread's
        // signal stack) before serving a system call and clears it after; only this thread
        // reads it (the block is found from its own stack), so the frame is live here.
        FpuImage::from_frame(unsafe { core::slice::from_raw_parts(p, len) })
    }
}

global_asm!(
    ".globl meridian_signal_entry",
    ".type meridian_signal_entry,@function",
    "meridian_signal_entry:",
    // rdi = signo, rsi = siginfo, rdx = ucontext; rsp is on the alternate stack.
    "    mov rax, rsp",
    "    and rax, -{alt}",
    "    rdfsbase rcx",
    "    cmp rcx, [rax]",
    "    je 2f",
    "    mov [rax + 8], rcx",
    "    mov rcx, [rax]",
    "    wrfsbase rcx",
    "    push rax",
    "    xor ecx, ecx",
    "    call {dispatch}",
    "    pop rax",
    "    mov rcx, [rax + 8]",
    "    wrfsbase rcx",
    "    ret",
    "2:",
    "    sub rsp, 8",
    "    mov ecx, 1",
    "    call {dispatch}",
    "    add rsp, 8",
    "    ret",
    ".globl meridian_enter_guest",
    ".type meridian_enter_guest,@function",
    "meridian_enter_guest:",
    // rdi = 23 sigcontext words, rsi = guest FS base, rdx = a 64-byte aligned XSAVE image,
    // rcx = the xrstor mask (0: fxrstor). Never returns. The vector state is loaded first:
    // from here on only general registers are touched.
    "    test rcx, rcx",
    "    jz 3f",
    "    mov r8, rdx",
    "    mov eax, ecx",
    "    shr rcx, 32",
    "    mov edx, ecx",
    "    xrstor64 [r8]",
    "    jmp 4f",
    "3:",
    "    fxrstor64 [rdx]",
    "4:",
    "    wrfsbase rsi",
    "    mov rsp, [rdi + 15*8]",
    "    push qword ptr [rdi + 16*8]",
    "    push qword ptr [rdi + 17*8]",
    "    popfq",
    "    mov r8, [rdi + 0*8]",
    "    mov r9, [rdi + 1*8]",
    "    mov r10, [rdi + 2*8]",
    "    mov r11, [rdi + 3*8]",
    "    mov r12, [rdi + 4*8]",
    "    mov r13, [rdi + 5*8]",
    "    mov r14, [rdi + 6*8]",
    "    mov r15, [rdi + 7*8]",
    "    mov rsi, [rdi + 9*8]",
    "    mov rbp, [rdi + 10*8]",
    "    mov rbx, [rdi + 11*8]",
    "    mov rdx, [rdi + 12*8]",
    "    mov rax, [rdi + 13*8]",
    "    mov rcx, [rdi + 14*8]",
    "    mov rdi, [rdi + 8*8]",
    "    cld",
    "    ret",
    alt = const ALT_STACK_BYTES,
    dispatch = sym dispatch,
);

unsafe extern "C" {
    fn meridian_signal_entry(signo: i32, info: *mut libc::siginfo_t, uc: *mut libc::c_void);
    fn meridian_enter_guest(words: *const u64, fs_base: u64, image: *const u8, mask: u64) -> !;
}

/// Index of the flags in the sigcontext words, the arithmetic flags (CF, PF, AF, ZF, SF, OF)
/// and the flags a thread starts with (IF and the always-set bit 1).
const EFLAGS_WORD: usize = 17;
const EFLAGS_STATUS: u64 = 0x8d5;
const EFLAGS_START: u64 = 0x202;
/// `AUDIT_ARCH_X86_64` (include/uapi/linux/audit.h).
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// Whether the "32-bit system calls" notice was printed.
static FOREIGN_ARCH_REPORTED: core::sync::atomic::AtomicBool =
    core::sync::atomic::AtomicBool::new(false);

/// What the handlers need, set once before any guest code runs.
pub struct Globals {
    /// The runner's text.
    pub text: (u64, u64),
}

static GLOBALS: OnceLock<Globals> = OnceLock::new();

/// The library OS instance of this process: set before any guest code runs, and replaced in
/// a forked child by the copy made for it (the parent's belongs to the parent).
static HANDLER: AtomicPtr<&'static dyn TrapHandler<CpuContext>> =
    AtomicPtr::new(core::ptr::null_mut());

/// Install the globals (once).
pub fn set_globals(g: Globals) {
    let _ = GLOBALS.set(g);
}

/// A never-freed slot holding `handler` (a handler running on another thread may still
/// read an old one; only ever a few per process: one per fork).
pub fn handler_slot(
    handler: &'static dyn TrapHandler<CpuContext>,
) -> *mut &'static dyn TrapHandler<CpuContext> {
    kheap::private_heap(|| Box::leak(Box::new(handler)))
}

/// Make `handler` the library OS instance that serves this process's traps.
pub fn set_handler(handler: &'static dyn TrapHandler<CpuContext>) {
    HANDLER.store(handler_slot(handler), Ordering::Release);
}

fn handler(block: &ThreadBlock) -> Option<&'static dyn TrapHandler<CpuContext>> {
    let own = block.handler.load(Ordering::Acquire);
    let slot = if own.is_null() {
        HANDLER.load(Ordering::Acquire)
    } else {
        own
    };
    // SAFETY: a non-null slot was leaked by `handler_slot` and is never freed or changed.
    (!slot.is_null()).then(|| unsafe { *slot })
}

/// The calling thread's block. Only valid on a thread set up by [`setup_thread`], while
/// running on its alternate stack (i.e. inside a handler).
pub fn current_block() -> &'static ThreadBlock {
    let sp: u64;
    // SAFETY: reading the stack pointer has no side effects.
    unsafe {
        core::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    let base = sp & !(ALT_STACK_BYTES as u64 - 1);
    // SAFETY: handlers run on the alternate stack of a thread set up by `setup_thread`,
    // whose aligned base holds a live, never-freed `ThreadBlock`.
    unsafe { &*(base as *const ThreadBlock) }
}

/// Allocate this thread's signal stack with its block and install it.
pub fn setup_thread(tid: u32) -> std::io::Result<&'static ThreadBlock> {
    let size = ALT_STACK_BYTES * 2;
    // SAFETY: a fresh anonymous mapping; no existing memory is touched.
    let raw = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if raw == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    let base = (raw as usize).next_multiple_of(ALT_STACK_BYTES);
    let block = base as *mut ThreadBlock;
    let host_fs: u64;
    // SAFETY: rdfsbase reads this thread's FS base; FSGSBASE support is checked at start.
    unsafe {
        core::arch::asm!("rdfsbase {}", out(reg) host_fs, options(nomem, nostack, preserves_flags))
    };
    // SAFETY: `base` is inside the fresh mapping, aligned, and large enough for the block.
    unsafe {
        block.write(ThreadBlock {
            host_fs,
            guest_fs: AtomicU64::new(0),
            tid: AtomicU32::new(tid),
            kick: AtomicU32::new(0),
            host_tid: AtomicI32::new(libc::gettid()),
            signalled: AtomicU32::new(0),
            handler: AtomicPtr::new(core::ptr::null_mut()),
            trap_fpu: AtomicPtr::new(core::ptr::null_mut()),
            trap_fpu_len: AtomicUsize::new(0),
        })
    };
    // Guard page between the block and the stack that grows down towards it.
    // SAFETY: the page after the block's page lies in our own mapping.
    unsafe { libc::mprotect((base + 4096) as *mut libc::c_void, 4096, libc::PROT_NONE) };
    let ss = libc::stack_t {
        ss_sp: base as *mut libc::c_void,
        ss_flags: 0,
        ss_size: ALT_STACK_BYTES,
    };
    // SAFETY: `ss` describes memory we own for the life of the thread (never unmapped).
    if unsafe { libc::sigaltstack(&ss, core::ptr::null_mut()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: initialised above and never freed.
    Ok(unsafe { &*block })
}

/// Signals from outside that the library OS takes over for the guest (and the supervisor
/// passes on to the sandbox).
pub const ASYNC_SIGNALS: [libc::c_int; 10] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGWINCH,
    libc::SIGTSTP,
    libc::SIGCONT,
];

/// Install the library OS's handler for every signal it owns: the traps and faults of guest
/// code, [`ASYNC_SIGNALS`] and the kick.
pub fn install_handlers() -> std::io::Result<()> {
    let synchronous = [
        libc::SIGSYS,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGILL,
        libc::SIGTRAP,
    ];
    let owned = synchronous
        .into_iter()
        .chain(ASYNC_SIGNALS)
        .chain([KICK_SIGNAL]);
    for sig in owned {
        // SAFETY: a zeroed sigaction is a valid starting point.
        let mut sa: libc::sigaction = unsafe { core::mem::zeroed() };
        sa.sa_sigaction = meridian_signal_entry as *const () as usize;
        // SA_NODEFER: a fault inside a handler (a guest copy that hits an unmapped page, a
        // disallowed host call) must reach the handler again for its fixup or report, rather
        // than meet a blocked signal, which the kernel turns into a silent kill.
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
        // SAFETY: the mask pointer is to our own local.
        unsafe { libc::sigemptyset(&mut sa.sa_mask) };
        // SAFETY: installing a handler whose entry is the trampoline above.
        if unsafe { libc::sigaction(sig, &sa, core::ptr::null_mut()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    // Guest processes are host processes whose exit the library OS records itself
    // (crates/shim/src/process.rs). SA_NOCLDWAIT makes the host reap them (none lingers as a
    // host zombie, the runner needs no wait4) and Linux still sends the SIGCHLD, whose
    // siginfo tells which child ended and how: one that ended without the library OS's exit
    // path (killed from outside, or ended by the runner's internal-error report) is made a
    // zombie by its parent (decision D22).
    // SA_RESTART: a host call of the runner that the notice interrupts goes on (a guest whose
    // SIGCHLD is ignored must not see EINTR); a wait of the library OS ends anyway, on the
    // kick word the handler sets.
    // SAFETY: a zeroed sigaction is a valid starting point.
    let mut sa: libc::sigaction = unsafe { core::mem::zeroed() };
    sa.sa_sigaction = meridian_signal_entry as *const () as usize;
    sa.sa_flags = libc::SA_SIGINFO
        | libc::SA_ONSTACK
        | libc::SA_NODEFER
        | libc::SA_RESTART
        | libc::SA_NOCLDWAIT
        | libc::SA_NOCLDSTOP;
    // SAFETY: the mask pointer is to our own local.
    unsafe { libc::sigemptyset(&mut sa.sa_mask) };
    // SAFETY: installing a handler whose entry is the trampoline above.
    if unsafe { libc::sigaction(libc::SIGCHLD, &sa, core::ptr::null_mut()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // A closed stdout must give the guest EPIPE (and the shim raises the guest's SIGPIPE),
    // not kill the library OS.
    // SAFETY: setting a disposition to SIG_IGN.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    Ok(())
}

/// Jump into guest code with `ctx`, FS base `fs` and the vector state in `fpu`. Never
/// returns.
pub fn enter_guest(ctx: &CpuContext, fs: u64, fpu: &FpuImage) -> ! {
    // The block's `guest_fs` is filled by the signal entry on the first trap.
    let mut words = ctx.to_words();
    // The flags: the context's arithmetic flags (a clone child's are its parent's at the
    // call, a new program's are clear), none of the runner's, interrupts on (Linux's 0x202).
    words[EFLAGS_WORD] = (ctx.eflags & EFLAGS_STATUS) | EFLAGS_START;
    // SAFETY: the guest context was prepared by the shim; `fpu` is a 64-byte aligned image
    // of `IMAGE_BYTES` whose mask names only components this CPU enabled and whose offsets
    // lie inside it, with a header of XSTATE_BV within the mask and zero elsewhere, so
    // xrstor cannot fault (fxrstor: a legacy area with a valid MXCSR). From here the thread
    // runs guest code and comes back only through signals; `words` and `fpu` stay on the
    // abandoned stack, read before the jump.
    unsafe { meridian_enter_guest(words.as_ptr(), fs, fpu.as_ptr(), fpu.mask()) }
}

/// Pointers into a host signal frame.
struct Frame {
    uc: *mut libc::ucontext_t,
}

impl Frame {
    fn regs(&self) -> CpuContext {
        let mut w = [0u64; SIGCONTEXT_WORDS];
        // SAFETY: the kernel passed a valid ucontext; gregs has exactly 23 entries laid out
        // as struct sigcontext.
        let g = unsafe { &(*self.uc).uc_mcontext.gregs };
        for (d, s) in w.iter_mut().zip(g.iter()) {
            *d = *s as u64;
        }
        CpuContext::from_words(&w)
    }
    fn set_regs(&self, ctx: &CpuContext) {
        // SAFETY: as in `regs`; the kernel restores these on sigreturn.
        let g = unsafe { &mut (*self.uc).uc_mcontext.gregs };
        for (d, s) in g.iter_mut().zip(ctx.to_words().iter()) {
            *d = *s as i64;
        }
    }
    fn fpu(&self) -> &'static mut [u8] {
        const FXSAVE_BYTES: usize = 512;
        const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
        // SAFETY: the kernel's frame holds an fpstate pointer to an xsave area of at least
        // 512 bytes; its software-reserved bytes 464.. say whether the area is larger.
        unsafe {
            let p = (*self.uc).uc_mcontext.fpregs as *mut u8;
            if p.is_null() {
                return &mut [];
            }
            let magic = (p.add(464) as *const u32).read_unaligned();
            let ext = (p.add(468) as *const u32).read_unaligned() as usize;
            let len = if magic == FP_XSTATE_MAGIC1 && ext >= FXSAVE_BYTES {
                ext
            } else {
                FXSAVE_BYTES
            };
            core::slice::from_raw_parts_mut(p, len)
        }
    }
}

fn report_and_exit(msg: &str) -> ! {
    crate::fatal::write_and_exit(msg.as_bytes())
}

fn finish(resume: Resume) {
    match resume {
        Resume::Guest => {}
        // SAFETY: ends only this host thread; its stacks stay mapped (never reused).
        Resume::ExitThread => unsafe {
            libc::syscall(libc::SYS_exit, 0);
        },
        // SAFETY: exit_group ends the sandbox with the guest's status.
        Resume::ExitProcess(code) => unsafe { libc::_exit(i32::from(code)) },
        // SAFETY: as above; death by signal N is reported as 128+N, like a shell.
        Resume::KilledBy(sig) => unsafe { libc::_exit(128 + sig as i32) },
    }
}

extern "C" fn dispatch(signo: i32, info: *mut libc::siginfo_t, uc: *mut libc::c_void, nested: u64) {
    let block = current_block();
    let (Some(g), Some(handler)) = (GLOBALS.get(), handler(block)) else {
        return;
    };
    let frame = Frame { uc: uc.cast() };
    let tid = block.tid.load(Ordering::Relaxed);
    if kheap::sandbox_failed() {
        report_and_exit("meridian: another process of the sandbox failed: ending\n");
    }
    match signo {
        libc::SIGSYS => {
            // SAFETY: SIGSYS from seccomp carries si_call_addr (offset 16) and si_syscall
            // (offset 24) in its siginfo (include/uapi/asm-generic/siginfo.h).
            let (call_addr, nr) = unsafe {
                let p = info as *const u8;
                (
                    (p.add(16) as *const u64).read(),
                    (p.add(24) as *const i32).read(),
                )
            };
            // SAFETY: si_arch is at offset 28 of a seccomp SIGSYS siginfo.
            let arch = unsafe { ((info as *const u8).add(28) as *const u32).read() };
            if arch != AUDIT_ARCH_X86_64
                && nested == 0
                && !(g.text.0..g.text.1).contains(&call_addr)
            {
                // A 32-bit call (int 0x80) from guest code: not served.
                if !FOREIGN_ARCH_REPORTED.swap(true, Ordering::Relaxed) {
                    let msg = "meridian: 32-bit system calls (int 0x80) are not supported: returning ENOSYS\n";
                    // SAFETY: write(2) of a valid buffer to stderr.
                    unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
                }
                let mut ctx = frame.regs();
                ctx.rax = (-(libc::ENOSYS as i64)) as u64;
                frame.set_regs(&ctx);
                return;
            }
            if nested != 0 || (g.text.0..g.text.1).contains(&call_addr) {
                report_and_exit(&format!(
                    "meridian: internal error: host system call {nr} from the library OS is not on the \
                     allowlist (at {call_addr:#x}); please report this\n"
                ));
            }
            let mut ctx = frame.regs();
            let fpu = frame.fpu();
            block.trap_fpu_len.store(fpu.len(), Ordering::Release);
            block.trap_fpu.store(fpu.as_mut_ptr(), Ordering::Release);
            let r = kheap::kernel_mode(|| handler.syscall(tid, nr as u64, &mut ctx, fpu));
            block
                .trap_fpu
                .store(core::ptr::null_mut(), Ordering::Release);
            frame.set_regs(&ctx);
            finish(r);
        }
        libc::SIGSEGV | libc::SIGBUS | libc::SIGFPE | libc::SIGILL | libc::SIGTRAP => {
            let mut ctx = frame.regs();
            // SAFETY: fault signals carry si_addr.
            let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as u64) };
            if nested != 0 {
                let (insn, fixup) = usercopy::fixup_addresses();
                if ctx.rip == insn {
                    ctx.rip = fixup;
                    frame.set_regs(&ctx);
                    return;
                }
                report_and_exit(&format!(
                    "meridian: internal error: signal {signo} in the library OS at {:#x} (address {addr:#x})\n",
                    ctx.rip
                ));
            }
            let r = kheap::kernel_mode(|| {
                handler.fault(tid, signo as u32, code, addr, &mut ctx, frame.fpu())
            });
            frame.set_regs(&ctx);
            finish(r);
        }
        _ => {
            if signo == KICK_SIGNAL {
                block.signalled.store(0, Ordering::Release);
            } else if signo == libc::SIGCHLD {
                // SAFETY: the host's siginfo for this delivery.
                crate::threads::record_ended(unsafe { &*info });
            } else {
                kheap::kernel_mode(|| handler.forward_signal(signo as u32));
            }
            let mut ctx = frame.regs();
            // The FS-base test in the entry misses one case of nesting: a signal whose frame
            // the kernel built on top of another handler's frame before that handler ran its
            // first instruction (two signals delivered on one return to user space, e.g. a
            // kick from another process landing on a SIGSYS). It then "interrupts" the entry
            // code of the runner, not guest code: leave it to that handler, which delivers
            // pending guest signals on its way out.
            let in_runner = (g.text.0..g.text.1).contains(&ctx.rip);
            if nested == 0 && !in_runner {
                let r = kheap::kernel_mode(|| handler.interrupt(tid, &mut ctx, frame.fpu()));
                frame.set_regs(&ctx);
                finish(r);
            } else {
                // The library OS is running on this thread: a wait it is about to start must
                // end at once (the kick from another process sets no word here; this does).
                block.kick.store(1, Ordering::Release);
            }
        }
    }
}
