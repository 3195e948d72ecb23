//! `crash MODE`: fail on purpose, to watch the kernel contain a faulting program and
//! to give a debugger something to read.
//!
//! Chapter 2 (process control, error detection, debugging): a program that touches
//! memory it does not own is stopped by the hardware and the kernel turns the fault
//! into a signal; with `ulimit -c unlimited` the kernel also writes a core file
//! (`core.PID`) that `gdb /bin/crash core.PID` reads.
//!
//! - `crash stack`: recurse until the stack region runs out (SIGSEGV).
//! - `crash null`: write through a null pointer in the function
//!   `crash_null_dereference` (SIGSEGV); the core's backtrace names it.
//! - `crash abort`: send itself SIGABRT, as C's `abort()` does.
//! - `crash spin`: use CPU time until something stops it (`ulimit -t` gives SIGXCPU).

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

/// The deliberate bug: a store to address 0, which no program has mapped.
#[inline(never)]
#[no_mangle]
#[allow(unsafe_code)]
pub extern "C" fn crash_null_dereference(value: u64) {
    let p = core::hint::black_box(core::ptr::null_mut::<u64>());
    // SAFETY: none; this is the bug the program exists to show. The page at 0 is
    // never mapped, so the store faults and the kernel ends the program.
    unsafe { core::ptr::write_volatile(p, value) }
}

#[inline(never)]
fn spin() -> i32 {
    let mut x = 1u64;
    loop {
        x = core::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

fn main() -> i32 {
    let args: ulib::prelude::Vec<ulib::prelude::String> = ulib::env::args().collect();
    match args.get(1).map(|s| s.as_str()) {
        Some("stack") => {
            ulib::println!("crash: recursing until the stack runs out");
            recurse(0) as i32
        }
        Some("null") => {
            ulib::println!("crash: writing through a null pointer");
            crash_null_dereference(0xdead);
            1
        }
        Some("abort") => {
            let me = ulib::process::id();
            let _ = ulib::process::kill(me as i64, ulib::abi::signal::SIGABRT);
            1
        }
        Some("spin") => spin(),
        _ => {
            ulib::eprintln!("usage: crash stack|null|abort|spin");
            2
        }
    }
}
