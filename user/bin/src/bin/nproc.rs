//! `nproc`: the number of CPUs online (each runs programs from the scheduler's queue).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "nproc";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    match ulib::cli::parse(&args, "") {
        Ok(p) if p.operands.is_empty() => {}
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    }
    match ulib::info::sysinfo() {
        Ok(i) => {
            ulib::println!("{}", i.cpus);
            0
        }
        Err(e) => {
            ulib::cli::error("sysinfo", e);
            1
        }
    }
}
