//! libFuzzer driver for `fuzzcheck::elf`: the check body is shared with the replay test
//! `hostfuzz::replay_elf` (fuzz/check/src/lib.rs), which runs on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzcheck::elf::check(data, fuzzcheck::Oracle::Fast));
