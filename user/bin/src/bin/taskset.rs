//! `taskset`: see or set the CPUs a process may run on (its CPU affinity), as
//! util-linux's `taskset` does: `taskset -p PID` prints PID's mask, `taskset -p MASK
//! PID` changes it, `taskset MASK COMMAND [ARG...]` runs COMMAND on those CPUs only.
//! A mask is hexadecimal, bit N for CPU N (`1`: CPU 0, `3`: CPUs 0 and 1), with or
//! without `0x`. Chapter 5's processor affinity, through `sched_setaffinity`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "taskset -p [MASK] PID | taskset MASK COMMAND [ARG...]";
const ABOUT: &str = "Show or set the CPUs a process may run on (a hexadecimal mask, bit N: CPU N).";

fn parse_mask(s: &str) -> Option<u64> {
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if hex.is_empty() || hex.len() > 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

fn show(pid: u32, which: &str) -> i32 {
    match ulib::sys::sched_getaffinity(pid) {
        Ok(m) => {
            ulib::println!("pid {pid}'s {which} affinity mask: {m:x}");
            0
        }
        Err(e) => {
            ulib::cli::error("sched_getaffinity", e);
            1
        }
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    if args.first().map(String::as_str) == Some("-p") {
        let (mask, pid) = match &args[1..] {
            [pid] => (None, pid),
            [mask, pid] => match parse_mask(mask) {
                Some(m) => (Some(m), pid),
                None => {
                    ulib::eprintln!("taskset: bad mask: {mask}");
                    return 1;
                }
            },
            _ => return ulib::cli::usage_error(USAGE),
        };
        let Ok(pid) = pid.parse::<u32>() else {
            ulib::eprintln!("taskset: bad pid: {pid}");
            return 1;
        };
        let Some(mask) = mask else {
            return show(pid, "current");
        };
        if show(pid, "current") != 0 {
            return 1;
        }
        if let Err(e) = ulib::sys::sched_setaffinity(pid, mask) {
            ulib::cli::error("sched_setaffinity", e);
            return 1;
        }
        return show(pid, "new");
    }
    let [mask, command, ..] = &args[..] else {
        return ulib::cli::usage_error(USAGE);
    };
    let Some(m) = parse_mask(mask) else {
        ulib::eprintln!("taskset: bad mask: {mask}");
        return 1;
    };
    if let Err(e) = ulib::sys::sched_setaffinity(0, m) {
        ulib::cli::error("sched_setaffinity", e);
        return 1;
    }
    let e = ulib::process::exec(command, &args[1..]);
    ulib::cli::error(command, e);
    if e == ulib::Errno::ENOENT {
        127
    } else {
        126
    }
}
