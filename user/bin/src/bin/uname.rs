//! `uname [-asnrvm]`: the system's name (`-a`: all of sysname, node, release, version, machine).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "uname [-asnrvm]";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "asnrvm") {
        Ok(p) if p.operands.is_empty() => p,
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let u = match ulib::info::uname() {
        Ok(u) => u,
        Err(e) => {
            ulib::cli::error("uname", e);
            return 1;
        }
    };
    let all = p.has('a');
    let fields = [
        ('s', &u.sysname),
        ('n', &u.nodename),
        ('r', &u.release),
        ('v', &u.version),
        ('m', &u.machine),
    ];
    let mut chosen: Vec<&str> = fields
        .iter()
        .filter(|(c, _)| all || p.has(*c))
        .map(|(_, v)| v.as_str())
        .collect();
    if chosen.is_empty() {
        chosen.push(&u.sysname);
    }
    ulib::println!("{}", chosen.join(" "));
    0
}
