//! Fuzz target `paths`: see `meridian_fuzz_targets::paths`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meridian_fuzz_targets::paths(data));
