//! Fuzz target `syscalls`: see `meridian_fuzz_targets::syscalls`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meridian_fuzz_targets::syscalls(data));
