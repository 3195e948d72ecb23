//! libFuzzer driver for `fuzzcheck::walk`: the check body is shared with the replay test
//! `hostfuzz::replay_walk` (fuzz/check/src/lib.rs), which runs on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzcheck::walk::check(data, fuzzcheck::Oracle::Fast));
