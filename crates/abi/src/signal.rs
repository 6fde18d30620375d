//! Signals: numbers, `struct sigaction`, `siginfo_t` and the x86-64 `rt_sigframe` layout
//! (arch/x86/include/asm/sigframe.h, arch/x86/kernel/signal_64.c).

use crate::layout::{Fields, get_u32, get_u64};

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
/// Size of the kernel's own `struct kernel_siginfo`: the header and the union that every
/// layout fits in. The rest of a guest's `siginfo_t` is zero (include/linux/signal_types.h).
pub const KERNEL_SIGINFO_SIZE: usize = 48;
/// Offset of the union (`_kill`, `_rt`, `_sigfault`, …) after `si_signo`, `si_errno`,
/// `si_code` and padding (`__ARCH_SI_PREAMBLE_SIZE` on 64-bit).
pub const SIGINFO_FIELDS_OFFSET: usize = 16;
/// Bytes of the union that the kernel keeps.
pub const SIGINFO_FIELDS_SIZE: usize = KERNEL_SIGINFO_SIZE - SIGINFO_FIELDS_OFFSET;

/// Lowest real-time signal number as the kernel counts (`SIGRTMIN`; glibc reserves 32 and 33
/// for itself and reports 34). Signals from here up queue; lower ones coalesce (signal(7)).
pub const SIGRTMIN: u32 = 32;

/// Synchronous signals, which the kernel dequeues before any other pending signal
/// (`SYNCHRONOUS_MASK`, kernel/signal.c).
pub const SYNCHRONOUS: u64 = (1 << (sig::SIGSEGV - 1))
    | (1 << (sig::SIGBUS - 1))
    | (1 << (sig::SIGILL - 1))
    | (1 << (sig::SIGTRAP - 1))
    | (1 << (sig::SIGFPE - 1))
    | (1 << (sig::SIGSYS - 1));

/// `si_code` values (include/uapi/asm-generic/siginfo.h).
#[allow(missing_docs)]
pub mod si_code {
    pub const SI_USER: i32 = 0;
    pub const SI_KERNEL: i32 = 0x80;
    pub const SI_QUEUE: i32 = -1;
    pub const SI_TKILL: i32 = -6;
    pub const SEGV_MAPERR: i32 = 1;
    pub const SEGV_ACCERR: i32 = 2;
    pub const BUS_ADRERR: i32 = 2;
    pub const FPE_INTDIV: i32 = 1;
    pub const ILL_ILLOPN: i32 = 2;
    pub const TRAP_BRKPT: i32 = 1;
    /// SIGCHLD codes (include/uapi/asm-generic/siginfo.h).
    pub const CLD_EXITED: i32 = 1;
    pub const CLD_KILLED: i32 = 2;
    pub const CLD_DUMPED: i32 = 3;
    pub const CLD_STOPPED: i32 = 5;
    pub const CLD_CONTINUED: i32 = 6;
}

/// A `siginfo_t` as the kernel keeps it (`struct kernel_siginfo`): the header, and the union
/// as bytes, since its layout depends on the signal and `si_code` and a guest's
/// rt_sigqueueinfo(2) may fill it in any of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    /// Signal number.
    pub signo: u32,
    /// `si_errno`.
    pub errno: i32,
    /// `si_code`.
    pub code: i32,
    /// The union at [`SIGINFO_FIELDS_OFFSET`], little-endian.
    pub fields: [u8; SIGINFO_FIELDS_SIZE],
}

impl SigInfo {
    /// A signal sent by a process (`_kill` layout: `si_pid`, `si_uid`), as kill(2) (`SI_USER`)
    /// and tgkill(2) (`SI_TKILL`) fill it in.
    pub fn sender(signo: u32, code: i32, pid: u32, uid: u32) -> Self {
        Self::queued(signo, code, pid, uid, 0)
    }

    /// A signal with a value (`_rt` layout: `si_pid`, `si_uid`, `si_value`), as sigqueue(3)
    /// fills it in with `SI_QUEUE`.
    pub fn queued(signo: u32, code: i32, pid: u32, uid: u32, value: u64) -> Self {
        let mut info = SigInfo {
            signo,
            code,
            ..SigInfo::default()
        };
        let mut f = Fields(&mut info.fields);
        f.u32(0, pid);
        f.u32(4, uid);
        f.u64(8, value);
        info
    }

    /// A child's change of state (`_sigchld` layout: `si_pid`, `si_uid`, `si_status`; the
    /// CPU times `si_utime`/`si_stime` stay 0).
    pub fn child(signo: u32, code: i32, pid: u32, uid: u32, status: i32) -> Self {
        let mut info = SigInfo {
            signo,
            code,
            ..SigInfo::default()
        };
        let mut f = Fields(&mut info.fields);
        f.u32(0, pid);
        f.u32(4, uid);
        f.u32(8, status as u32);
        info
    }

    /// A synchronous fault (`_sigfault` layout: `si_addr`).
    pub fn fault(signo: u32, code: i32, addr: u64) -> Self {
        let mut info = SigInfo {
            signo,
            code,
            ..SigInfo::default()
        };
        Fields(&mut info.fields).u64(0, addr);
        info
    }

    /// A guest's `siginfo_t` (rt_sigqueueinfo(2)): the kernel keeps its first
    /// [`KERNEL_SIGINFO_SIZE`] bytes and sets `si_signo` to the signal sent
    /// (`__copy_siginfo_from_user`, kernel/signal.c).
    pub fn decode(signo: u32, b: &[u8]) -> Self {
        let mut info = SigInfo {
            signo,
            errno: get_u32(b, 4) as i32,
            code: get_u32(b, 8) as i32,
            ..SigInfo::default()
        };
        if let Some(src) = b.get(SIGINFO_FIELDS_OFFSET..KERNEL_SIGINFO_SIZE) {
            info.fields.copy_from_slice(src);
        }
        info
    }

    /// `si_pid` (`_kill` and `_rt` layouts).
    pub fn pid(&self) -> u32 {
        get_u32(&self.fields, 0)
    }

    /// `si_value` (`_rt` layout).
    pub fn value(&self) -> u64 {
        get_u64(&self.fields, 8)
    }

    /// Encode as the guest's 128-byte `siginfo_t` (the tail is zero, as
    /// `copy_siginfo_to_user` leaves it).
    pub fn encode(&self) -> [u8; SIGINFO_SIZE] {
        let mut b = [0u8; SIGINFO_SIZE];
        let mut f = Fields(&mut b);
        f.u32(0, self.signo);
        f.u32(4, self.errno as u32);
        f.u32(8, self.code as u32);
        f.put(SIGINFO_FIELDS_OFFSET, &self.fields);
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
    fn siginfo_layouts() {
        let k = SigInfo::sender(sig::SIGUSR1, si_code::SI_TKILL, 7, 1000).encode();
        assert_eq!(get_u32(&k, 0), 10);
        assert_eq!(get_u32(&k, 8) as i32, -6);
        assert_eq!((get_u32(&k, 16), get_u32(&k, 20)), (7, 1000));
        let q = SigInfo::queued(34, si_code::SI_QUEUE, 1, 0, 1234);
        assert_eq!(get_u64(&q.encode(), 24), 1234);
        assert_eq!((q.pid(), q.value()), (1, 1234));
        let f = SigInfo::fault(sig::SIGSEGV, si_code::SEGV_MAPERR, 0xdead_0000).encode();
        assert_eq!(get_u64(&f, 16), 0xdead_0000);
        assert!(f[KERNEL_SIGINFO_SIZE..].iter().all(|&b| b == 0));
    }

    #[test]
    fn guest_siginfo_keeps_the_kernel_part_and_takes_the_signal_sent() {
        let mut raw = [0xaau8; SIGINFO_SIZE];
        raw[0..4].copy_from_slice(&99u32.to_le_bytes());
        raw[8..12].copy_from_slice(&(-1i32).to_le_bytes());
        let info = SigInfo::decode(sig::SIGUSR2, &raw);
        assert_eq!((info.signo, info.code), (sig::SIGUSR2, si_code::SI_QUEUE));
        let out = info.encode();
        assert_eq!(out[16..KERNEL_SIGINFO_SIZE], raw[16..KERNEL_SIGINFO_SIZE]);
        assert!(out[KERNEL_SIGINFO_SIZE..].iter().all(|&b| b == 0));
    }

    #[test]
    fn frame_layout_matches_kernel_sizes() {
        assert_eq!(frame::SIGINFO, 312);
        assert_eq!(frame::SIZE, 440);
    }
}
