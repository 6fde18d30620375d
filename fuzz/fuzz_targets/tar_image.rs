//! Fuzz target `tar_image`: see `meridian_fuzz_targets::tar_image`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meridian_fuzz_targets::tar_image(data));
