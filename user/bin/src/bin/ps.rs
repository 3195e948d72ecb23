//! `ps [-K]`: the processes: pid, parent, group, state, the CPU each last ran on, CPU
//! time, resident memory (RSS) and name, read from `/proc/PID/stat` and `status`; with `-K`, from the
//! kernel's process-list call instead (the two must agree: `procfs::` tests).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "ps [-K]";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let from_call = match ulib::cli::parse(&args, "efK") {
        Ok(p) if p.operands.is_empty() => p.flags.contains(&'K'),
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let (procs, what) = match from_call {
        true => (ulib::info::processes(), "proclist"),
        false => (ulib::procfs::processes(), "/proc"),
    };
    let procs = match procs {
        Ok(p) => p,
        Err(e) => {
            ulib::cli::error(what, e);
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
        "RSS"
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
