//! libFuzzer driver for `fuzzcheck::module`: the check body is shared with the replay test
//! `hostfuzz::replay_module` (fuzz/check/src/lib.rs), which runs on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzcheck::module::check(data, fuzzcheck::Oracle::Fast));
