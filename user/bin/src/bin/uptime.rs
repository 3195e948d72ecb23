//! `uptime`: how long the system has run, how many processes and threads it has, and
//! the load averages, from `/proc/uptime`, `/proc/loadavg` and the list of `/proc`.

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
    let read = || -> ulib::Result<_> {
        let (up, _) = ulib::procfs::uptime()?;
        Ok((up, ulib::procfs::loadavg()?, ulib::procfs::pids()?.len()))
    };
    let (up, load, procs) = match read() {
        Ok(v) => v,
        Err(e) => {
            ulib::cli::error("/proc", e);
            return 1;
        }
    };
    let secs = up.as_secs();
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
    let threads = load.threads;
    let [l1, l5, l15] = &load.averages;
    ulib::println!(
        " {:02}:{:02}:{:02} up {up}, {procs} process{}, {threads} thread{}, load average: {l1}, {l5}, {l15}",
        now.hour,
        now.minute,
        now.second,
        if procs == 1 { "" } else { "es" },
        if threads == 1 { "" } else { "s" }
    );
    0
}
