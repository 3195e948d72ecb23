//! `printenv [NAME...]`: the environment, or the values of the NAMEs (exit status
//! 1 if one is not set).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "printenv [NAME...]";
const ABOUT: &str = "Print every NAME=value of the environment, or the value of each NAME.";

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
        for v in ulib::env::environ() {
            ulib::println!("{v}");
        }
        return 0;
    }
    let mut status = 0;
    for name in &p.operands {
        match ulib::env::var(name) {
            Some(v) if !name.contains('=') => ulib::println!("{v}"),
            _ => status = 1,
        }
    }
    status
}
