//! `whichcpu [ROUNDS]`: busy work in ROUNDS rounds (default 200, about a millisecond
//! each), asking the kernel after each which CPU it runs on (`getcpu`); prints the
//! CPUs it was seen on as a hexadecimal mask (bit N: CPU N) and the rounds on each.
//! With `taskset`, it shows that affinity holds: a pinned run is seen on its CPUs only.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "whichcpu [ROUNDS]";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let rounds: u32 = match args.as_slice() {
        [] => 200,
        [n] => match n.parse() {
            Ok(n) => n,
            Err(_) => return ulib::cli::usage_error(USAGE),
        },
        _ => return ulib::cli::usage_error(USAGE),
    };
    let mut on = [0u32; 64];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..rounds {
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        match ulib::sys::getcpu() {
            Ok(c) if c < 64 => on[c] += 1,
            Ok(c) => {
                ulib::eprintln!("whichcpu: getcpu said {c}");
                return 1;
            }
            Err(e) => {
                ulib::cli::error("getcpu", e);
                return 1;
            }
        }
    }
    let mask = on
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .fold(0u64, |m, (c, _)| m | 1 << c);
    let mut line = alloc::format!("cpus {mask:x}:");
    for (c, n) in on.iter().enumerate().filter(|(_, n)| **n > 0) {
        line.push_str(&alloc::format!(" {c}={n}"));
    }
    // The work's result, so the loop is not optimised away.
    if x == 0 {
        line.push_str(" (x 0)");
    }
    ulib::println!("{line}");
    0
}
