//! The guest's x87/SSE/AVX state as it sits in a host signal frame (`fpu`, the frame's
//! `fpstate` area: the legacy FXSAVE area, the software-reserved bytes, then, with XSAVE,
//! the header and the extended components in the standard format). The host's sigreturn
//! loads it into the registers, so changing these bytes is how a handler changes the
//! guest's vector state. The software-reserved bytes and the header's layout stay the
//! host's: the shim only ever clears XSTATE_BV bits (never sets one the host frame lacks),
//! so the host's `xrstor` cannot fault on them.

/// x87 control word and MXCSR of a fresh state (`fpstate_init_fx`,
/// arch/x86/kernel/fpu/core.c) and their offsets in the FXSAVE area.
const FCW_INIT: u16 = 0x037f;
const MXCSR_INIT: u32 = 0x1f80;
const FXSAVE_MXCSR: usize = 24;
const FXSAVE_MXCSR_MASK: core::ops::Range<usize> = 28..32;
/// MXCSR bits a CPU accepts when its FXSAVE area says 0 (Intel SDM vol. 1, 11.6.6).
const MXCSR_MASK_DEFAULT: u32 = 0xffbf;
/// The legacy registers (x87, MMX, XMM).
const FXSAVE_REGS: core::ops::Range<usize> = 0..464;
/// The software-reserved bytes (`struct _fpx_sw_bytes`) and the XSAVE header.
const SW_AND_HEADER: core::ops::Range<usize> = 464..576;
const SW_MAGIC: core::ops::Range<usize> = 464..468;
const SW_XFEATURES: core::ops::Range<usize> = 472..480;
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const XSTATE_BV: core::ops::Range<usize> = 512..520;
/// x87 and SSE: the components of the legacy area.
const LEGACY_COMPONENTS: u64 = 0b11;
/// PKRU's XSTATE_BV bit: a fresh state keeps the protection keys register as it is.
const XFEATURE_PKRU: u64 = 1 << 9;

fn get_u32(fpu: &[u8], r: core::ops::Range<usize>) -> Option<u32> {
    fpu.get(r)?.try_into().ok().map(u32::from_le_bytes)
}

fn get_u64(fpu: &[u8], r: core::ops::Range<usize>) -> Option<u64> {
    fpu.get(r)?.try_into().ok().map(u64::from_le_bytes)
}

fn set(fpu: &mut [u8], r: core::ops::Range<usize>, bytes: &[u8]) {
    if let Some(d) = fpu.get_mut(r) {
        d.copy_from_slice(bytes);
    }
}

/// Whether the area has the XSAVE header after its legacy part.
fn extended(fpu: &[u8]) -> bool {
    get_u32(fpu, SW_MAGIC) == Some(FP_XSTATE_MAGIC1) && fpu.len() >= SW_AND_HEADER.end
}

/// A fresh state, as Linux gives a new program (`fpu_flush_thread`) and a signal handler
/// (`fpu__clear_user_states`): x87, MMX, SSE, AVX and AVX-512 registers and opmasks zero
/// (their XSTATE_BV bits cleared, so the host's xrstor puts them in their init state), x87
/// control word 0x37f, MXCSR 0x1f80.
pub(crate) fn reset(fpu: &mut [u8]) {
    if fpu.len() < FXSAVE_REGS.end {
        return;
    }
    for (i, b) in fpu.iter_mut().enumerate().take(FXSAVE_REGS.end) {
        if !FXSAVE_MXCSR_MASK.contains(&i) {
            *b = 0;
        }
    }
    set(fpu, 0..2, &FCW_INIT.to_le_bytes());
    set(
        fpu,
        FXSAVE_MXCSR..FXSAVE_MXCSR + 4,
        &MXCSR_INIT.to_le_bytes(),
    );
    if extended(fpu)
        && let Some(bv) = get_u64(fpu, XSTATE_BV)
    {
        set(fpu, XSTATE_BV, &(bv & XFEATURE_PKRU).to_le_bytes());
    }
}

/// rt_sigreturn: the state the guest's frame holds (`saved`, as it read it back from guest
/// memory) becomes the guest's. Registers come from the guest's bytes; of the header, only
/// XSTATE_BV, limited to the components the host's frame holds; MXCSR's reserved bits are
/// cleared as Linux does (`mxcsr_feature_mask`).
pub(crate) fn restore(fpu: &mut [u8], saved: &[u8]) {
    let mxcsr_mask = match get_u32(fpu, FXSAVE_MXCSR_MASK) {
        Some(0) | None => MXCSR_MASK_DEFAULT,
        Some(m) => m,
    };
    let host = extended(fpu).then(|| get_u64(fpu, SW_XFEATURES)).flatten();
    for (i, (d, s)) in fpu.iter_mut().zip(saved.iter()).enumerate() {
        if !SW_AND_HEADER.contains(&i) && !FXSAVE_MXCSR_MASK.contains(&i) {
            *d = *s;
        }
    }
    if let Some(mxcsr) = get_u32(fpu, FXSAVE_MXCSR..FXSAVE_MXCSR + 4) {
        set(
            fpu,
            FXSAVE_MXCSR..FXSAVE_MXCSR + 4,
            &(mxcsr & mxcsr_mask).to_le_bytes(),
        );
    }
    // The components in use when the frame was written: a handler that left AVX in its
    // init state (vzeroupper, or the fresh state it started with) must not lose the
    // interrupted code's upper halves. A frame without the XSAVE magic holds only the
    // legacy registers (Linux's `fx_only` restore): the others start in their init state.
    if let Some(host) = host {
        let bv = if get_u32(saved, SW_MAGIC) == Some(FP_XSTATE_MAGIC1) {
            get_u64(saved, XSTATE_BV).unwrap_or(LEGACY_COMPONENTS)
        } else {
            LEGACY_COMPONENTS
        };
        set(fpu, XSTATE_BV, &(bv & host).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(xfeatures: u64, bv: u64) -> alloc::vec::Vec<u8> {
        let mut f = alloc::vec![0x77u8; 1024];
        f[SW_AND_HEADER].fill(0);
        f[SW_MAGIC].copy_from_slice(&FP_XSTATE_MAGIC1.to_le_bytes());
        f[SW_XFEATURES].copy_from_slice(&xfeatures.to_le_bytes());
        f[XSTATE_BV].copy_from_slice(&bv.to_le_bytes());
        f[FXSAVE_MXCSR_MASK].copy_from_slice(&0xffffu32.to_le_bytes());
        f
    }

    #[test]
    fn reset_clears_registers_and_components_but_pkru() {
        let mut f = frame(0x2e7, 0x2e7);
        reset(&mut f);
        assert_eq!(&f[0..2], &[0x7f, 0x03]);
        assert_eq!(get_u32(&f, 24..28), Some(0x1f80));
        assert!(f[160..464].iter().all(|&b| b == 0));
        assert_eq!(get_u64(&f, XSTATE_BV), Some(XFEATURE_PKRU));
        assert_eq!(get_u64(&f, SW_XFEATURES), Some(0x2e7));
    }

    #[test]
    fn restore_takes_guest_registers_and_bounded_xstate_bv() {
        let mut f = frame(0x7, 0x3);
        let mut saved = frame(0xffff, u64::MAX);
        saved[24..28].copy_from_slice(&0xffff_ffffu32.to_le_bytes());
        saved[600] = 0x11;
        saved[470] = 0x99;
        restore(&mut f, &saved);
        assert_eq!(get_u64(&f, XSTATE_BV), Some(0x7));
        assert_eq!(get_u64(&f, SW_XFEATURES), Some(0x7));
        assert_eq!(f[470], 0);
        assert_eq!(f[600], 0x11);
        assert_eq!(get_u32(&f, 24..28), Some(0xffff));
    }

    #[test]
    fn restore_from_a_legacy_only_guest_frame_keeps_x87_and_sse_only() {
        let mut f = frame(0x2e7, 0x2e7);
        let mut saved = frame(0x2e7, 0x2e7);
        saved[SW_MAGIC].fill(0);
        restore(&mut f, &saved);
        assert_eq!(get_u64(&f, XSTATE_BV), Some(0b11));
    }

    #[test]
    fn legacy_only_areas_are_handled() {
        let mut f = alloc::vec![0x33u8; 512];
        reset(&mut f);
        assert_eq!(get_u32(&f, 24..28), Some(0x1f80));
        let saved = alloc::vec![0x44u8; 512];
        restore(&mut f, &saved);
        assert_eq!(f[100], 0x44);
        assert_eq!(get_u32(&f, 24..28), Some(0x44444444 & 0x33333333));
    }
}
