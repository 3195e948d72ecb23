//! libFuzzer driver for `fuzzcheck::ext2`: the check body is shared with the replay test
//! `hostfuzz::replay_ext2` (fuzz/check/src/lib.rs), which runs on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzcheck::ext2::check(data, fuzzcheck::Oracle::Fast));
