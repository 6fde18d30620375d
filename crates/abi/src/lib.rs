//! Linux x86-64 ABI for Meridian: what a guest program's registers and memory mean.
//!
//! Key items: [`Errno`], [`Sysno`] numbers (from `linux-raw-sys`), [`CpuContext`] (the guest
//! register file, laid out like the kernel's `struct sigcontext`), and byte encoders for the
//! structures the shim copies to and from guest memory ([`layout`]). Depends only on
//! `linux-raw-sys`; no host calls, no `unsafe`: structures are encoded field by field, so a
//! layout mistake is a wrong byte, never undefined behaviour.
#![no_std]
#![forbid(unsafe_code)]

pub mod errno;
pub mod layout;
pub mod regs;
pub mod signal;

pub use errno::Errno;
pub use regs::CpuContext;

/// Syscall numbers and the other constants of the kernel's UAPI headers.
pub use linux_raw_sys::general as uapi;

/// Size of a page on x86-64.
pub const PAGE_SIZE: u64 = 4096;
