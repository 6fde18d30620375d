//! Copies between the library OS and guest memory that turn a fault into an error.
//!
//! The guest's pages may be unmapped or protected at any time. Instead of checking every
//! page first, the copy is one `rep movsb` whose address is known to the SIGSEGV/SIGBUS
//! handler: a fault there resumes at a fixup that returns failure (the "exception table"
//! technique of kernels). Bounds are checked against the guest range first, so a guest
//! pointer can never make the library OS read or write its own memory.

use core::arch::global_asm;

global_asm!(
    ".globl meridian_copy_user",
    ".type meridian_copy_user,@function",
    "meridian_copy_user:",
    "    mov rcx, rdx",
    ".globl meridian_copy_user_insn",
    "meridian_copy_user_insn:",
    "    rep movsb",
    "    xor eax, eax",
    "    ret",
    ".globl meridian_copy_user_fixup",
    "meridian_copy_user_fixup:",
    "    mov eax, 1",
    "    ret",
);

unsafe extern "C" {
    fn meridian_copy_user(dst: *mut u8, src: *const u8, len: usize) -> u32;
    static meridian_copy_user_insn: u8;
    static meridian_copy_user_fixup: u8;
}

/// The address of the faulting instruction and of its fixup.
pub fn fixup_addresses() -> (u64, u64) {
    (
        core::ptr::addr_of!(meridian_copy_user_insn) as u64,
        core::ptr::addr_of!(meridian_copy_user_fixup) as u64,
    )
}

/// Copy `len` bytes from `src` to `dst`; false if a page faulted.
///
/// # Safety
/// One of the two ranges must be library OS memory valid for the access; the other must be
/// inside the reserved guest range (it may be unmapped: that is the fault this handles).
pub unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) -> bool {
    // SAFETY: the caller guarantees the library OS side; faults on the guest side are
    // caught by the signal handler, which resumes at the fixup.
    unsafe { meridian_copy_user(dst, src, len) == 0 }
}
