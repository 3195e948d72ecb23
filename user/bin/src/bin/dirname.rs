//! `dirname NAME...`: each path without its last component.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "dirname NAME...";
const ABOUT: &str = "Print each NAME without its last component (. if it has no directory).";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let p = match ulib::cli::parse(&args, "") {
        Ok(p) => p,
        Err(c) => {
            ulib::cli::bad_option(c, USAGE);
            return 1;
        }
    };
    if p.operands.is_empty() {
        return ulib::cli::usage_failure(USAGE);
    }
    for name in &p.operands {
        ulib::println!("{}", utilcore::path::dirname(name));
    }
    0
}
