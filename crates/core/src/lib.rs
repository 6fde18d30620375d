//! Meridian core: the North API and the South platform traits.
//!
//! The core is a library OS kernel without any notion of Linux registers or of a host: it
//! keeps the virtual filesystem ([`fs`]), open files and fd tables ([`file`]), pipes
//! ([`pipe`]), AF_UNIX socket pairs ([`unix`]), the guest address-space bookkeeping ([`mm`]) and readiness/wait queues
//! ([`sync`]), and it reaches the machine only through the traits of [`platform`], which a
//! platform crate implements. It depends on `spin` and `hashbrown` only, and is `no_std` +
//! `alloc` with no `unsafe`.
#![no_std]
#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::todo,
    clippy::unimplemented
)]

extern crate alloc;

pub mod budget;
pub mod error;
pub mod file;
pub mod fs;
pub mod mm;
pub mod pipe;
pub mod platform;
pub mod sync;
pub mod time;
pub mod unix;

pub use error::Error;
