//! The x87, SSE, AVX and AVX-512 registers (the "extended state") that guest code starts
//! with on a host thread.
//!
//! Guest code starts on a host thread in two ways: the first program on the main thread, and
//! each guest thread (and each vfork child, which runs as a thread) on a new host thread.
//! Before the jump, that thread has run the runner's own code, which leaves its data and
//! pointers in the vector registers (memcpy and friends use them). So every start loads a whole
//! [`FpuImage`] with `xrstor` (`fxrstor` where the CPU has no XSAVE) in the entry trampoline,
//! after the last runner instruction that could touch a vector register:
//!
//! - a new program gets Linux's fresh state (`fpu_flush_thread`, arch/x86/kernel/fpu/core.c):
//!   every component in its init state (all registers zero, x87 control word 0x37f), MXCSR
//!   0x1f80 ([`FpuImage::init`]);
//! - a clone child gets its parent's state at the clone, as `fpu_clone` gives it: the image
//!   the host kernel saved in the parent's SIGSYS frame, which is the guest's state at its
//!   `syscall` instruction ([`FpuImage::from_frame`]).
//!
//! Everywhere else guest code resumes through the host's sigreturn, which restores the whole
//! state from the signal frame (components the frame does not hold are reset to init), so
//! runner code inside a handler may use any vector register.
//!
//! Restored components are limited to those whose standard-format offset lies inside the
//! image (x87, SSE, AVX, MPX, opmasks, ZMM_Hi256, Hi16_ZMM, PKRU). Others keep the new host
//! thread's own values, which the runner never writes: AMX tile data in particular (bit 18),
//! whose restore could trap on a thread without tile permission. PKRU is never reset: a new
//! program keeps the one Linux gave the runner.

use core::sync::atomic::{AtomicU64, Ordering};

/// Bytes of an image: the legacy area, the XSAVE header and every component through PKRU
/// (the standard format puts PKRU at 2688..2696).
pub const IMAGE_BYTES: usize = 4096;
/// The legacy (FXSAVE) area.
const LEGACY_BYTES: usize = 512;
/// The XSAVE header: XSTATE_BV, XCOMP_BV, reserved.
const HEADER: core::ops::Range<usize> = 512..576;
/// x87 control word and MXCSR in the legacy area, and their values in a fresh state.
const FCW_AT: usize = 0;
const MXCSR_AT: usize = 24;
const FCW_INIT: u16 = 0x037f;
const MXCSR_INIT: u32 = 0x1f80;
/// The software-reserved bytes of a signal frame's legacy area (`struct
/// _fpx_sw_bytes`, arch/x86/include/uapi/asm/sigcontext.h): magic, then at 472 the
/// components the frame holds.
const SW_MAGIC_AT: usize = 464;
const SW_XFEATURES_AT: usize = 472;
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// Components reset for a new program: x87, SSE, AVX, MPX bounds and control, opmasks,
/// ZMM_Hi256, Hi16_ZMM.
const RESET_COMPONENTS: u64 = 0xff;
/// PKRU: kept for a new program, copied for a clone child.
const PKRU: u64 = 1 << 9;
/// CPUID leaf 1 ECX: XSAVE supported, and enabled by the OS.
const CPUID1_ECX_XSAVE: u32 = 1 << 26;
const CPUID1_ECX_OSXSAVE: u32 = 1 << 27;
/// CPUID leaf 0xD: XSAVE components (sub-leaf i ≥ 2: EAX size, EBX standard offset).
const CPUID_XSAVE_LEAF: u32 = 0xd;

/// An XSAVE image (standard format) to load at a guest start, and which components to load.
#[repr(C, align(64))]
pub struct FpuImage {
    bytes: [u8; IMAGE_BYTES],
    /// The requested-feature mask for `xrstor`; 0 means `fxrstor` of the legacy area.
    mask: u64,
}

/// The components `xrstor` may load from an image on this CPU; 0 without XSAVE. Found once.
static RESTORABLE: AtomicU64 = AtomicU64::new(u64::MAX);

fn cpuid(leaf: u32, sub: u32) -> core::arch::x86_64::CpuidResult {
    // cpuid exists on every x86-64 CPU and only reads identification registers.
    core::arch::x86_64::__cpuid_count(leaf, sub)
}

/// XCR0: the components the OS enabled. Only called where CPUID says OSXSAVE.
fn xcr0() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: xgetbv with ECX 0 reads XCR0; it is valid because CPUID reported OSXSAVE (the
    // caller checks), and it touches no memory.
    unsafe {
        core::arch::asm!("xgetbv", in("ecx") 0u32, out("eax") lo, out("edx") hi,
            options(nomem, nostack, preserves_flags));
    }
    u64::from(hi) << 32 | u64::from(lo)
}

fn restorable() -> u64 {
    let known = RESTORABLE.load(Ordering::Relaxed);
    if known != u64::MAX {
        return known;
    }
    let ecx = cpuid(1, 0).ecx;
    let mask = if ecx & CPUID1_ECX_XSAVE == 0 || ecx & CPUID1_ECX_OSXSAVE == 0 {
        0
    } else {
        let enabled = xcr0() & (RESET_COMPONENTS | PKRU);
        // x87 and SSE live in the legacy area; the others where CPUID says.
        (0..64u32)
            .filter(|&i| enabled & (1 << i) != 0)
            .filter(|&i| {
                i < 2 || {
                    let c = cpuid(CPUID_XSAVE_LEAF, i);
                    (c.ebx as usize).saturating_add(c.eax as usize) <= IMAGE_BYTES
                }
            })
            .fold(0, |m, i| m | 1 << i)
    };
    RESTORABLE.store(mask, Ordering::Relaxed);
    mask
}

impl FpuImage {
    /// The state of a new program: every component in its init state, MXCSR 0x1f80.
    pub fn init() -> Self {
        let mut bytes = [0u8; IMAGE_BYTES];
        // Read by fxrstor; xrstor puts x87 in its init state (XSTATE_BV 0) but always loads
        // MXCSR from the image.
        bytes[FCW_AT..FCW_AT + 2].copy_from_slice(&FCW_INIT.to_le_bytes());
        bytes[MXCSR_AT..MXCSR_AT + 4].copy_from_slice(&MXCSR_INIT.to_le_bytes());
        Self {
            bytes,
            mask: restorable() & !PKRU,
        }
    }

    /// The state saved in a host signal frame (`frame` is its `fpstate` area; empty if it has
    /// none): a clone child's start. Components the frame does not hold start in their init
    /// state.
    pub fn from_frame(frame: &[u8]) -> Self {
        if frame.len() < LEGACY_BYTES {
            return Self::init();
        }
        let mut image = Self::init();
        let n = frame.len().min(IMAGE_BYTES);
        image.bytes[..n].copy_from_slice(&frame[..n]);
        let word = |at: usize, len: usize| {
            frame.get(at..at + len).map_or(0, |b| {
                b.iter()
                    .rev()
                    .fold(0u64, |v, &byte| v << 8 | u64::from(byte))
            })
        };
        let extended =
            word(SW_MAGIC_AT, 4) == u64::from(FP_XSTATE_MAGIC1) && frame.len() >= HEADER.end;
        // The frame's components (its XSTATE_BV, standard format) among those loaded; with
        // no extended area, only its legacy registers.
        let (held, in_use) = if extended {
            (word(SW_XFEATURES_AT, 8), word(HEADER.start, 8))
        } else {
            (0b11, 0b11)
        };
        image.mask |= restorable() & held & PKRU;
        let xstate_bv = in_use & held & image.mask;
        image.bytes[HEADER].fill(0);
        image.bytes[HEADER.start..HEADER.start + 8].copy_from_slice(&xstate_bv.to_le_bytes());
        image
    }

    /// The image's bytes, for the entry trampoline.
    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.bytes.as_ptr()
    }

    /// The `xrstor` mask, or 0 for `fxrstor`.
    pub(crate) fn mask(&self) -> u64 {
        self.mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(xfeatures: u64, xstate_bv: u64) -> Vec<u8> {
        let mut f = vec![0x5a; 2700];
        f[SW_MAGIC_AT..SW_MAGIC_AT + 4].copy_from_slice(&FP_XSTATE_MAGIC1.to_le_bytes());
        f[SW_XFEATURES_AT..SW_XFEATURES_AT + 8].copy_from_slice(&xfeatures.to_le_bytes());
        f[HEADER].fill(0);
        f[HEADER.start..HEADER.start + 8].copy_from_slice(&xstate_bv.to_le_bytes());
        f
    }

    #[test]
    fn init_image_is_fresh_state() {
        let img = FpuImage::init();
        assert_eq!(&img.bytes[0..2], &FCW_INIT.to_le_bytes());
        assert_eq!(&img.bytes[24..28], &MXCSR_INIT.to_le_bytes());
        assert!(img.bytes[HEADER].iter().all(|&b| b == 0));
        assert_eq!(img.mask & PKRU, 0);
        assert_eq!(img.mask, restorable() & !PKRU);
    }

    #[test]
    fn frame_image_keeps_held_components_and_clears_header() {
        let f = frame(0x2e7, 0x2e7);
        let img = FpuImage::from_frame(&f);
        assert_eq!(&img.bytes[..HEADER.start], &f[..HEADER.start]);
        assert_eq!(&img.bytes[HEADER.end..2700], &f[HEADER.end..]);
        let bv = u64::from_le_bytes(img.bytes[512..520].try_into().unwrap());
        assert_eq!(bv, 0x2e7 & img.mask);
        assert!(img.bytes[520..576].iter().all(|&b| b == 0));
    }

    #[test]
    fn frame_components_outside_the_frame_start_in_init_state() {
        // The frame holds only x87 and SSE: XSTATE_BV says nothing else, so xrstor inits the
        // rest of the mask.
        let img = FpuImage::from_frame(&frame(0b11, 0xff));
        let bv = u64::from_le_bytes(img.bytes[512..520].try_into().unwrap());
        assert_eq!(bv & !0b11, 0);
        assert_eq!(img.mask, restorable() & !PKRU);
    }

    #[test]
    fn no_frame_is_a_fresh_state() {
        let img = FpuImage::from_frame(&[]);
        assert_eq!(&img.bytes[24..28], &MXCSR_INIT.to_le_bytes());
    }
}
