//! `crash`: fail on purpose, to watch the kernel contain a faulting program.
//!
//! Chapter 2 (process control, error detection): a program that touches memory it does
//! not own is stopped by the hardware and the kernel turns the fault into a signal.
//! `crash stack` recurses until it runs off the end of its 8 MiB stack region, which is a
//! page fault the kernel cannot resolve: the process gets SIGSEGV, the kernel prints a
//! one-line report, and the shell reports the status. Nothing else is affected.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

ulib::entry!(main);

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let pad = core::hint::black_box([depth; 32]);
    if depth == u64::MAX {
        return pad[0];
    }
    recurse(depth + 1).wrapping_add(pad[(depth % 32) as usize])
}

fn main() -> i32 {
    let args: ulib::prelude::Vec<ulib::prelude::String> = ulib::env::args().collect();
    match args.get(1).map(|s| s.as_str()) {
        Some("stack") => {
            ulib::println!("crash: recursing until the stack runs out");
            recurse(0) as i32
        }
        _ => {
            ulib::eprintln!("usage: crash stack");
            2
        }
    }
}
