//! `uptime2 [-b N]`: calls the system call that the module `uptime2.ko` adds (number
//! `DYNAMIC_FIRST`, 0x100) and prints the uptime it returns (chapter 2 section 7: a
//! module extends the call interface). ENOSYS means the module is not loaded.
//! `-b N` times N calls of the module's empty call (`uptime2_null`, 0x101) against N
//! of the built-in `null` call, and N of `uptime2` against N of the built-in
//! `clock_gettime`, and prints each in nanoseconds per call (under
//! `cargo xtask run --icount`, guest instructions).

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
            let _ = ulib::sys::dynamic_call(NR + 1, [0; 6]);
        });
        let builtin = per_call(n, || {
            let _ = ulib::sys::null();
        });
        let module_clock = per_call(n, || {
            let _ = ulib::sys::dynamic_call(NR, [0; 6]);
        });
        let builtin_clock = per_call(n, || {
            let _ = Instant::now();
        });
        ulib::println!("module null: {module} ns/call");
        ulib::println!("built-in null: {builtin} ns/call");
        ulib::println!("module uptime2: {module_clock} ns/call");
        ulib::println!("built-in clock_gettime: {builtin_clock} ns/call");
    }
    0
}
