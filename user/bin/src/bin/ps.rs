//! `ps`: the processes: pid, parent, group, state, the CPU each last ran on, CPU time,
//! memory and name.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "ps";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    match ulib::cli::parse(&args, "ef") {
        Ok(p) if p.operands.is_empty() => {}
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    }
    let procs = match ulib::info::processes() {
        Ok(p) => p,
        Err(e) => {
            ulib::cli::error("proclist", e);
            return 1;
        }
    };
    ulib::println!(
        "{:>5} {:>5} {:>5} {:>4} S {:>3} {:>9} {:>7} CMD",
        "PID",
        "PPID",
        "PGID",
        "UID",
        "CPU",
        "TIME",
        "MEM"
    );
    for p in &procs {
        let cpu = (p.user_time + p.sys_time).as_millis();
        ulib::println!(
            "{:>5} {:>5} {:>5} {:>4} {} {:>3} {:>5}.{:03} {:>6}K {}{}",
            p.pid,
            p.ppid,
            p.pgid,
            p.uid,
            p.state,
            p.cpu,
            cpu / 1000,
            cpu % 1000,
            p.mem_bytes >> 10,
            p.name,
            // A Linux program says so (its ABI is the Linux personality's).
            if p.linux { " [linux]" } else { "" }
        );
    }
    0
}
