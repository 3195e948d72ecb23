//! `free [-b|-k|-m]`: physical memory and the kernel heap, total, used and free (KiB by default).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "free [-b|-k|-m]";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "bkm") {
        Ok(p) if p.operands.is_empty() => p,
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let shift = match p.flags.last() {
        Some('b') => 0,
        Some('m') => 20,
        _ => 10,
    };
    let i = match ulib::info::sysinfo() {
        Ok(i) => i,
        Err(e) => {
            ulib::cli::error("sysinfo", e);
            return 1;
        }
    };
    let unit = |v: u64| v >> shift;
    ulib::println!("{:<6}{:>12}{:>12}{:>12}", "", "total", "used", "free");
    ulib::println!(
        "{:<6}{:>12}{:>12}{:>12}",
        "Mem:",
        unit(i.total_mem),
        unit(i.total_mem.saturating_sub(i.free_mem)),
        unit(i.free_mem)
    );
    ulib::println!(
        "{:<6}{:>12}{:>12}{:>12}",
        "Heap:",
        unit(i.heap_total),
        unit(i.heap_used),
        unit(i.heap_total.saturating_sub(i.heap_used))
    );
    0
}
