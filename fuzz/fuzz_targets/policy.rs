//! Fuzz target `policy`: see `meridian_fuzz_targets::policy`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meridian_fuzz_targets::policy(data));
