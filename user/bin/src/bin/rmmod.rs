//! `rmmod NAME...`: remove kernel modules (chapter 2 section 7, "modules"). The kernel
//! refuses (EBUSY) while a module is in use, for example while a device it added is
//! open; otherwise it calls the module's exit, takes back what it registered and
//! frees its pages. Root only.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "rmmod NAME...";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if args.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    let mut status = 0;
    for name in &args {
        let name = name.strip_suffix(".ko").unwrap_or(name);
        let mut why = [0u8; 256];
        if let Err(e) = ulib::sys::delete_module(name, &mut why) {
            let n = why.iter().position(|&b| b == 0).unwrap_or(0);
            match n {
                0 => ulib::cli::error(name, e),
                _ => ulib::eprintln!("rmmod: {} ({e})", String::from_utf8_lossy(&why[..n])),
            }
            status = 1;
        }
    }
    status
}
