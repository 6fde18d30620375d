//! Signals: numbers, `struct sigaction`, `siginfo_t` and the x86-64 `rt_sigframe` layout
//! (arch/x86/include/asm/sigframe.h, arch/x86/kernel/signal_64.c).

use crate::layout::{Fields, get_u64};

/// Highest signal number (`_NSIG`).
pub const NSIG: u32 = 64;

#[allow(missing_docs)]
pub mod sig {
    pub const SIGHUP: u32 = 1;
    pub const SIGINT: u32 = 2;
    pub const SIGQUIT: u32 = 3;
    pub const SIGILL: u32 = 4;
    pub const SIGTRAP: u32 = 5;
    pub const SIGABRT: u32 = 6;
    pub const SIGBUS: u32 = 7;
    pub const SIGFPE: u32 = 8;
    pub const SIGKILL: u32 = 9;
    pub const SIGUSR1: u32 = 10;
    pub const SIGSEGV: u32 = 11;
    pub const SIGUSR2: u32 = 12;
    pub const SIGPIPE: u32 = 13;
    pub const SIGALRM: u32 = 14;
    pub const SIGTERM: u32 = 15;
    pub const SIGSTKFLT: u32 = 16;
    pub const SIGCHLD: u32 = 17;
    pub const SIGCONT: u32 = 18;
    pub const SIGSTOP: u32 = 19;
    pub const SIGTSTP: u32 = 20;
    pub const SIGTTIN: u32 = 21;
    pub const SIGTTOU: u32 = 22;
    pub const SIGURG: u32 = 23;
    pub const SIGXCPU: u32 = 24;
    pub const SIGXFSZ: u32 = 25;
    pub const SIGVTALRM: u32 = 26;
    pub const SIGPROF: u32 = 27;
    pub const SIGWINCH: u32 = 28;
    pub const SIGIO: u32 = 29;
    pub const SIGPWR: u32 = 30;
    pub const SIGSYS: u32 = 31;
}

/// `sa_flags` bits (include/uapi/asm-generic/signal-defs.h, arch/x86 signal.h).
#[allow(missing_docs)]
pub mod sa {
    pub const SA_NOCLDSTOP: u64 = 0x1;
    pub const SA_NOCLDWAIT: u64 = 0x2;
    pub const SA_SIGINFO: u64 = 0x4;
    pub const SA_RESTORER: u64 = 0x0400_0000;
    pub const SA_ONSTACK: u64 = 0x0800_0000;
    pub const SA_RESTART: u64 = 0x1000_0000;
    pub const SA_NODEFER: u64 = 0x4000_0000;
    pub const SA_RESETHAND: u64 = 0x8000_0000;
}

/// `SIG_DFL`.
pub const SIG_DFL: u64 = 0;
/// `SIG_IGN`.
pub const SIG_IGN: u64 = 1;

/// What a signal does when its disposition is `SIG_DFL` (signal(7)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// End the process.
    Terminate,
    /// End the process (a core dump on Linux; Meridian writes none).
    Core,
    /// Nothing happens.
    Ignore,
    /// Stop the process (job control).
    Stop,
    /// Continue a stopped process.
    Continue,
}

/// The default action of `signo` (signal(7), "Standard signals").
pub fn default_action(signo: u32) -> DefaultAction {
    use sig::*;
    match signo {
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGCONT => DefaultAction::Continue,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => DefaultAction::Core,
        _ => DefaultAction::Terminate,
    }
}

/// The bit of `signo` in a `sigset_t`.
pub fn sigbit(signo: u32) -> u64 {
    if (1..=NSIG).contains(&signo) {
        1u64 << (signo - 1)
    } else {
        0
    }
}

/// Signals that can be neither caught nor blocked.
pub const UNBLOCKABLE: u64 = (1 << (sig::SIGKILL - 1)) | (1 << (sig::SIGSTOP - 1));

/// The kernel's `struct sigaction` as rt_sigaction(2) takes it (32 bytes on x86-64).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    /// Handler address, `SIG_DFL` or `SIG_IGN`.
    pub handler: u64,
    /// `SA_*` flags.
    pub flags: u64,
    /// Return trampoline (`SA_RESTORER`).
    pub restorer: u64,
    /// Signals blocked while the handler runs.
    pub mask: u64,
}

/// Size of the kernel's `struct sigaction`.
pub const SIGACTION_SIZE: usize = 32;

impl SigAction {
    /// Decode from guest bytes.
    pub fn decode(b: &[u8]) -> Self {
        SigAction {
            handler: get_u64(b, 0),
            flags: get_u64(b, 8),
            restorer: get_u64(b, 16),
            mask: get_u64(b, 24),
        }
    }
    /// Encode to guest bytes.
    pub fn encode(&self) -> [u8; SIGACTION_SIZE] {
        let mut b = [0u8; SIGACTION_SIZE];
        let mut f = Fields(&mut b);
        f.u64(0, self.handler);
        f.u64(8, self.flags);
        f.u64(16, self.restorer);
        f.u64(24, self.mask);
        b
    }
}

/// Size of `siginfo_t`.
pub const SIGINFO_SIZE: usize = 128;

/// `si_code` values (include/uapi/asm-generic/siginfo.h).
#[allow(missing_docs)]
pub mod si_code {
    pub const SI_USER: i32 = 0;
    pub const SI_KERNEL: i32 = 0x80;
    pub const SI_TKILL: i32 = -6;
    pub const SEGV_MAPERR: i32 = 1;
    pub const SEGV_ACCERR: i32 = 2;
    pub const BUS_ADRERR: i32 = 2;
    pub const FPE_INTDIV: i32 = 1;
    pub const ILL_ILLOPN: i32 = 2;
    pub const TRAP_BRKPT: i32 = 1;
}

/// The parts of `siginfo_t` Meridian produces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    /// Signal number.
    pub signo: u32,
    /// `si_code`.
    pub code: i32,
    /// Sender pid (kill-like) or, for faults, unused.
    pub pid: u32,
    /// Sender uid.
    pub uid: u32,
    /// Faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE).
    pub addr: u64,
}

impl SigInfo {
    /// Encode as `siginfo_t`: faults carry `si_addr`, the others `si_pid`/`si_uid`.
    pub fn encode(&self) -> [u8; SIGINFO_SIZE] {
        let mut b = [0u8; SIGINFO_SIZE];
        let mut f = Fields(&mut b);
        f.u32(0, self.signo);
        f.u32(8, self.code as u32);
        if self.code > 0 && self.code != si_code::SI_KERNEL {
            f.u64(16, self.addr);
        } else {
            f.u32(16, self.pid);
            f.u32(20, self.uid);
        }
        b
    }
}

/// Offsets inside the x86-64 `struct rt_sigframe`: `pretcode`, then `struct ucontext`, then
/// `siginfo_t`; the FPU state lies above it, 64-byte aligned.
pub mod frame {
    /// Offset of `struct ucontext` in the frame (after `pretcode`).
    pub const UCONTEXT: u64 = 8;
    /// `uc_flags` within ucontext.
    pub const UC_FLAGS: u64 = 0;
    /// `uc_stack` within ucontext (`stack_t`: sp, flags, size).
    pub const UC_STACK: u64 = 16;
    /// `uc_mcontext` (`struct sigcontext`) within ucontext.
    pub const UC_MCONTEXT: u64 = 40;
    /// The `fpstate` pointer within `struct sigcontext`.
    pub const MC_FPSTATE: u64 = 184;
    /// `uc_sigmask` within ucontext.
    pub const UC_SIGMASK: u64 = 296;
    /// Size of `struct ucontext`.
    pub const UCONTEXT_SIZE: u64 = 304;
    /// Offset of `siginfo_t` in the frame.
    pub const SIGINFO: u64 = UCONTEXT + UCONTEXT_SIZE;
    /// Size of the frame proper (without FPU state).
    pub const SIZE: u64 = SIGINFO + super::SIGINFO_SIZE as u64;
    /// `UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS`, as the kernel sets them.
    pub const UC_FLAGS_VALUE: u64 = 0x7;
    /// Bytes below the interrupted stack pointer that the frame must skip (the red zone).
    pub const RED_ZONE: u64 = 128;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_actions() {
        assert_eq!(default_action(sig::SIGCHLD), DefaultAction::Ignore);
        assert_eq!(default_action(sig::SIGSEGV), DefaultAction::Core);
        assert_eq!(default_action(sig::SIGTERM), DefaultAction::Terminate);
        assert_eq!(default_action(40), DefaultAction::Terminate);
    }

    #[test]
    fn sigaction_round_trip_and_bits() {
        let a = SigAction {
            handler: 0x1000,
            flags: sa::SA_SIGINFO | sa::SA_RESTORER,
            restorer: 0x2000,
            mask: 5,
        };
        assert_eq!(SigAction::decode(&a.encode()), a);
        assert_eq!(sigbit(1), 1);
        assert_eq!(sigbit(64), 1 << 63);
        assert_eq!(sigbit(0), 0);
        assert_eq!(sigbit(65), 0);
    }

    #[test]
    fn frame_layout_matches_kernel_sizes() {
        assert_eq!(frame::SIGINFO, 312);
        assert_eq!(frame::SIZE, 440);
    }
}
