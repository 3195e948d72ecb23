//! `free [-b|-k|-m]`: physical memory and the kernel heap, total, used and free (KiB by
//! default), from `/proc/meminfo`.

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
    let m = match ulib::procfs::meminfo() {
        Ok(m) => m,
        Err(e) => {
            ulib::cli::error("/proc/meminfo", e);
            return 1;
        }
    };
    let unit = |v: u64| v >> shift;
    ulib::println!("{:<6}{:>12}{:>12}{:>12}", "", "total", "used", "free");
    ulib::println!(
        "{:<6}{:>12}{:>12}{:>12}",
        "Mem:",
        unit(m.total),
        unit(m.total.saturating_sub(m.free)),
        unit(m.free)
    );
    ulib::println!(
        "{:<6}{:>12}{:>12}{:>12}",
        "Heap:",
        unit(m.heap_total),
        unit(m.heap_used),
        unit(m.heap_total.saturating_sub(m.heap_used))
    );
    0
}
