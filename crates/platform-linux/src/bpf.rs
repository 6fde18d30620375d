//! A small classic-BPF assembler for the seccomp filter.
//!
//! Written by hand because the filter routes by the caller's instruction pointer
//! (`seccomp_data.instruction_pointer`), which `seccompiler` cannot express: it only checks
//! syscall arguments. Programs are built from labelled instructions and resolved to the
//! kernel's `sock_filter` encoding; a jump that does not fit in BPF's 8-bit offsets is an
//! error at build time (the snapshot tests build every policy's filter).

/// Offsets in `struct seccomp_data` (include/uapi/linux/seccomp.h).
pub mod data {
    /// Syscall number.
    pub const NR: u32 = 0;
    /// `AUDIT_ARCH_*`.
    pub const ARCH: u32 = 4;
    /// Low 32 bits of the instruction pointer.
    pub const IP_LO: u32 = 8;
    /// High 32 bits of the instruction pointer.
    pub const IP_HI: u32 = 12;
    /// Low 32 bits of argument `i`.
    pub const fn arg_lo(i: u32) -> u32 {
        16 + 8 * i
    }
    /// High 32 bits of argument `i`.
    pub const fn arg_hi(i: u32) -> u32 {
        20 + 8 * i
    }
}

const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JMP_JA: u16 = 0x05;
const BPF_JEQ_K: u16 = 0x15;
const BPF_JGT_K: u16 = 0x25;
const BPF_JGE_K: u16 = 0x35;
const BPF_JSET_K: u16 = 0x45;
const BPF_RET_K: u16 = 0x06;
const BPF_ALU_AND_K: u16 = 0x54;

/// A jump target: a label or the next instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    /// Fall through.
    Next,
    /// A label.
    L(u32),
}

/// One instruction before label resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `A = data[off]` (32-bit load).
    Load(u32),
    /// `A &= k`.
    And(u32),
    /// if A == k goto t else f.
    Jeq(u32, To, To),
    /// if A > k goto t else f.
    Jgt(u32, To, To),
    /// if A >= k goto t else f.
    Jge(u32, To, To),
    /// if A & k goto t else f.
    Jset(u32, To, To),
    /// goto.
    Jump(u32),
    /// return k.
    Ret(u32),
    /// A label (emits nothing).
    Label(u32),
}

/// One encoded `struct sock_filter` (same layout as the kernel's).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockFilter {
    /// Opcode.
    pub code: u16,
    /// Jump-if-true offset.
    pub jt: u8,
    /// Jump-if-false offset.
    pub jf: u8,
    /// Constant.
    pub k: u32,
}

/// Why a program could not be assembled.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AsmError {
    /// A jump names a label that is not defined.
    #[error("BPF label {0} is not defined")]
    UnknownLabel(u32),
    /// A conditional jump is longer than 255 instructions.
    #[error("BPF conditional jump to label {0} is too far ({1} instructions)")]
    TooFar(u32, usize),
    /// The program is longer than the kernel accepts (BPF_MAXINSNS).
    #[error("BPF program has {0} instructions, more than 4096")]
    TooLong(usize),
}

/// Assemble `ops` into kernel filter instructions.
pub fn assemble(ops: &[Op]) -> Result<Vec<SockFilter>, AsmError> {
    let mut pos = std::collections::HashMap::new();
    let mut n = 0usize;
    for op in ops {
        match op {
            Op::Label(l) => {
                pos.insert(*l, n);
            }
            _ => n += 1,
        }
    }
    if n > 4096 {
        return Err(AsmError::TooLong(n));
    }
    let mut out = Vec::with_capacity(n);
    let rel = |at: usize, to: To| -> Result<u8, AsmError> {
        match to {
            To::Next => Ok(0),
            To::L(l) => {
                let target = *pos.get(&l).ok_or(AsmError::UnknownLabel(l))?;
                let d = target.checked_sub(at + 1).ok_or(AsmError::TooFar(l, 0))?;
                u8::try_from(d).map_err(|_| AsmError::TooFar(l, d))
            }
        }
    };
    for op in ops {
        let at = out.len();
        let ins = match *op {
            Op::Label(_) => continue,
            Op::Load(off) => SockFilter {
                code: BPF_LD_W_ABS,
                jt: 0,
                jf: 0,
                k: off,
            },
            Op::And(k) => SockFilter {
                code: BPF_ALU_AND_K,
                jt: 0,
                jf: 0,
                k,
            },
            Op::Jeq(k, t, f) => SockFilter {
                code: BPF_JEQ_K,
                jt: rel(at, t)?,
                jf: rel(at, f)?,
                k,
            },
            Op::Jgt(k, t, f) => SockFilter {
                code: BPF_JGT_K,
                jt: rel(at, t)?,
                jf: rel(at, f)?,
                k,
            },
            Op::Jge(k, t, f) => SockFilter {
                code: BPF_JGE_K,
                jt: rel(at, t)?,
                jf: rel(at, f)?,
                k,
            },
            Op::Jset(k, t, f) => SockFilter {
                code: BPF_JSET_K,
                jt: rel(at, t)?,
                jf: rel(at, f)?,
                k,
            },
            Op::Jump(l) => {
                let target = *pos.get(&l).ok_or(AsmError::UnknownLabel(l))?;
                let d = target.checked_sub(at + 1).ok_or(AsmError::TooFar(l, 0))?;
                SockFilter {
                    code: BPF_JMP_JA,
                    jt: 0,
                    jf: 0,
                    k: d as u32,
                }
            }
            Op::Ret(k) => SockFilter {
                code: BPF_RET_K,
                jt: 0,
                jf: 0,
                k,
            },
        };
        out.push(ins);
    }
    Ok(out)
}

/// A readable listing of a program, one instruction per line with absolute jump targets:
/// what the filter snapshot tests compare.
pub fn disassemble(prog: &[SockFilter]) -> String {
    let mut out = String::new();
    for (i, ins) in prog.iter().enumerate() {
        let target = |off: u8| i + 1 + usize::from(off);
        let line = match ins.code {
            BPF_LD_W_ABS => format!("ld [{}]", ins.k),
            BPF_ALU_AND_K => format!("and #{:#x}", ins.k),
            BPF_JMP_JA => format!("ja {}", i + 1 + ins.k as usize),
            BPF_RET_K => format!("ret #{:#x}", ins.k),
            BPF_JEQ_K | BPF_JGT_K | BPF_JGE_K | BPF_JSET_K => {
                let op = match ins.code {
                    BPF_JEQ_K => "jeq",
                    BPF_JGT_K => "jgt",
                    BPF_JGE_K => "jge",
                    _ => "jset",
                };
                format!("{op} #{:#x}, {}, {}", ins.k, target(ins.jt), target(ins.jf))
            }
            code => format!("unknown {code:#x}"),
        };
        out.push_str(&format!("{i:4}: {line}\n"));
    }
    out
}

/// A tiny interpreter used by the tests to check what a filter decides.
pub fn run(prog: &[SockFilter], data: &[u8; 64]) -> u32 {
    run_counted(prog, data).0
}

/// [`run`], also returning how many instructions were evaluated (the filter's cost per call).
pub fn run_counted(prog: &[SockFilter], data: &[u8; 64]) -> (u32, usize) {
    let mut a: u32 = 0;
    let mut pc = 0usize;
    let mut steps = 0usize;
    while let Some(ins) = prog.get(pc) {
        pc += 1;
        steps += 1;
        match ins.code {
            BPF_LD_W_ABS => {
                let o = ins.k as usize;
                a = data
                    .get(o..o + 4)
                    .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            }
            BPF_ALU_AND_K => a &= ins.k,
            BPF_JMP_JA => pc += ins.k as usize,
            BPF_RET_K => return (ins.k, steps),
            code => {
                let taken = match code {
                    BPF_JEQ_K => a == ins.k,
                    BPF_JGT_K => a > ins.k,
                    BPF_JGE_K => a >= ins.k,
                    _ => a & ins.k != 0,
                };
                pc += usize::from(if taken { ins.jt } else { ins.jf });
            }
        }
    }
    (0, steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_resolve_and_far_jumps_fail() {
        let p = assemble(&[
            Op::Load(0),
            Op::Jeq(1, To::L(7), To::Next),
            Op::Ret(0),
            Op::Label(7),
            Op::Ret(9),
        ])
        .unwrap();
        assert_eq!(p[1].jt, 1);
        let mut d = [0u8; 64];
        assert_eq!(run(&p, &d), 0);
        d[0] = 1;
        assert_eq!(run(&p, &d), 9);
        let mut far = vec![Op::Jeq(0, To::L(1), To::Next)];
        far.extend(std::iter::repeat_n(Op::Ret(0), 300));
        far.push(Op::Label(1));
        assert!(matches!(assemble(&far), Err(AsmError::TooFar(1, 300))));
        assert_eq!(assemble(&[Op::Jump(5)]), Err(AsmError::UnknownLabel(5)));
    }
}
