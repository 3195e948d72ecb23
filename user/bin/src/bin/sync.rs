//! `sync`: write every modified block of every mounted file system to its device
//! (chapter 2 section 4, file management: the buffer cache holds writes until then).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "sync";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    match ulib::cli::parse(&args, "") {
        Ok(p) if p.operands.is_empty() => {}
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    }
    match ulib::fs::sync() {
        Ok(()) => 0,
        Err(e) => {
            ulib::cli::error("sync", e);
            1
        }
    }
}
