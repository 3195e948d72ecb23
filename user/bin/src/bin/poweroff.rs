//! `poweroff`: write out the file system and turn the machine off.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "poweroff";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    match ulib::cli::parse(&args, "") {
        Ok(p) if p.operands.is_empty() => {}
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    }
    let e = ulib::info::poweroff();
    ulib::cli::error("poweroff", e);
    1
}
