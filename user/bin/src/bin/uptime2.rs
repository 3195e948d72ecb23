//! `uptime2 [-b N]`: calls the system call that the module `uptime2.ko` adds (number
//! `DYNAMIC_FIRST`, 0x100) and prints the uptime it returns (chapter 2 section 7: a
//! module extends the call interface). ENOSYS means the module is not loaded.
//! `-b N` times N calls of it against N of the built-in `null` call and prints both in
//! nanoseconds per call (under `cargo xtask run --icount`, guest instructions).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::time::Instant;

const USAGE: &str = "uptime2 [-b N]";
const NR: usize = ulib::abi::nr::DYNAMIC_FIRST;

fn per_call(n: u64, mut f: impl FnMut()) -> u64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_nanos() as u64 / n.max(1)
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let bench = match &args[..] {
        [] => None,
        [b, n] if b == "-b" => match n.parse::<u64>() {
            Ok(n) if n > 0 => Some(n),
            _ => return ulib::cli::usage_error(USAGE),
        },
        _ => return ulib::cli::usage_error(USAGE),
    };
    let ns = match ulib::sys::dynamic_call(NR, [0; 6]) {
        Ok(ns) => ns as u64,
        Err(e) => {
            ulib::cli::error("call 256 (is uptime2.ko loaded?)", e);
            return 1;
        }
    };
    ulib::println!("up {}.{:03} s", ns / 1_000_000_000, ns / 1_000_000 % 1000);
    if let Some(n) = bench {
        let _ = ulib::sys::null();
        let module = per_call(n, || {
            let _ = ulib::sys::dynamic_call(NR, [0; 6]);
        });
        let builtin = per_call(n, || {
            let _ = ulib::sys::null();
        });
        ulib::println!("module call: {module} ns/call");
        ulib::println!("built-in null: {builtin} ns/call");
    }
    0
}
