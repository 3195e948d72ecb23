//! `basename NAME [SUFFIX]`: the last component of a path, without SUFFIX.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "basename NAME [SUFFIX]";
const ABOUT: &str = "Print NAME without its directories (and without SUFFIX if it ends so).";

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
    match p.operands.as_slice() {
        [name] => ulib::println!("{}", utilcore::path::basename(name, None)),
        [name, suffix] => ulib::println!("{}", utilcore::path::basename(name, Some(suffix))),
        _ => return ulib::cli::usage_failure(USAGE),
    }
    0
}
