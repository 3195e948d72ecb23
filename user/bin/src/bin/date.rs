//! `date [-u] [-I]`: the current date and time, in UTC (dinos has no time zones; `-I`: ISO form).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::time::{DateTime, SystemTime};

const USAGE: &str = "date [-u] [-I]";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "uI") {
        Ok(p) if p.operands.is_empty() => p,
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let now = DateTime::from_unix(SystemTime::now().unix_seconds());
    if p.has('I') {
        ulib::println!("{}", now.iso());
    } else {
        ulib::println!("{now}");
    }
    0
}
