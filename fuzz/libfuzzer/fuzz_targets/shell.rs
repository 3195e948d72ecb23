//! libFuzzer driver for `fuzzcheck::shell`: the check body is shared with the replay test
//! `hostfuzz::replay_shell` (fuzz/check/src/lib.rs), which runs on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzcheck::shell::check(data, fuzzcheck::Oracle::Fast));
