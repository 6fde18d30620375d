//! The parts of the `meridian` command that are worth testing and fuzzing on their own: the
//! policy file and flags ([`policy`]). The binary (`src/main.rs`) wires them to the platform
//! and the shim.

pub mod policy;
