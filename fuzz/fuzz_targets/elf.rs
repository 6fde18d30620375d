//! Fuzz target `elf`: see `meridian_fuzz_targets::elf`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meridian_fuzz_targets::elf(data));
