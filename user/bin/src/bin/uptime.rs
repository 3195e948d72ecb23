//! `uptime`: how long the system has run, and how many processes it has.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "uptime";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    match ulib::cli::parse(&args, "") {
        Ok(p) if p.operands.is_empty() => {}
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    }
    let info = match ulib::info::sysinfo() {
        Ok(i) => i,
        Err(e) => {
            ulib::cli::error("sysinfo", e);
            return 1;
        }
    };
    let secs = info.uptime_ns / 1_000_000_000;
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let now = ulib::time::DateTime::from_unix(ulib::time::SystemTime::now().unix_seconds());
    let up = if d > 0 {
        alloc::format!(
            "{d} day{}, {h}:{m:02}:{s:02}",
            if d == 1 { "" } else { "s" }
        )
    } else {
        alloc::format!("{h}:{m:02}:{s:02}")
    };
    ulib::println!(
        " {:02}:{:02}:{:02} up {up}, {} process{}, {} thread{}",
        now.hour,
        now.minute,
        now.second,
        info.procs,
        if info.procs == 1 { "" } else { "es" },
        info.threads,
        if info.threads == 1 { "" } else { "s" }
    );
    0
}
