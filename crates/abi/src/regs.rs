//! The guest register file.

/// A guest thread's general registers, in the order of the kernel's `struct sigcontext`
/// (arch/x86/include/uapi/asm/sigcontext.h) so that a platform can copy it to and from a
/// host signal frame as 23 words, and the shim can write it into a guest signal frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct CpuContext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    /// cs, gs, fs, ss packed as four u16 (the kernel's layout).
    pub segs: u64,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
}

/// Number of 64-bit words of [`CpuContext`] as laid out in `struct sigcontext`
/// (everything before the `fpstate` pointer).
pub const SIGCONTEXT_WORDS: usize = 23;

impl CpuContext {
    /// The registers as `struct sigcontext` words.
    pub fn to_words(&self) -> [u64; SIGCONTEXT_WORDS] {
        [
            self.r8,
            self.r9,
            self.r10,
            self.r11,
            self.r12,
            self.r13,
            self.r14,
            self.r15,
            self.rdi,
            self.rsi,
            self.rbp,
            self.rbx,
            self.rdx,
            self.rax,
            self.rcx,
            self.rsp,
            self.rip,
            self.eflags,
            self.segs,
            self.err,
            self.trapno,
            self.oldmask,
            self.cr2,
        ]
    }

    /// Registers from `struct sigcontext` words.
    pub fn from_words(w: &[u64; SIGCONTEXT_WORDS]) -> Self {
        CpuContext {
            r8: w[0],
            r9: w[1],
            r10: w[2],
            r11: w[3],
            r12: w[4],
            r13: w[5],
            r14: w[6],
            r15: w[7],
            rdi: w[8],
            rsi: w[9],
            rbp: w[10],
            rbx: w[11],
            rdx: w[12],
            rax: w[13],
            rcx: w[14],
            rsp: w[15],
            rip: w[16],
            eflags: w[17],
            segs: w[18],
            err: w[19],
            trapno: w[20],
            oldmask: w[21],
            cr2: w[22],
        }
    }

    /// A context holding only the six syscall arguments, for driving a syscall handler
    /// directly (tests, fuzzing); the inverse of [`CpuContext::syscall_args`].
    pub fn with_syscall_args(args: [u64; 6]) -> Self {
        let [rdi, rsi, rdx, r10, r8, r9] = args;
        CpuContext {
            rdi,
            rsi,
            rdx,
            r10,
            r8,
            r9,
            ..CpuContext::default()
        }
    }

    /// The six syscall arguments (`rdi rsi rdx r10 r8 r9`, see syscall(2)).
    pub fn syscall_args(&self) -> [u64; 6] {
        [self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        let c = CpuContext {
            r8: 1,
            rip: 17,
            cr2: 23,
            ..CpuContext::default()
        };
        let w = c.to_words();
        assert_eq!(w[0], 1);
        assert_eq!(w[16], 17);
        assert_eq!(w[22], 23);
        assert_eq!(CpuContext::from_words(&w), c);
        let a = [1, 2, 3, 4, 5, 6];
        assert_eq!(CpuContext::with_syscall_args(a).syscall_args(), a);
    }
}
