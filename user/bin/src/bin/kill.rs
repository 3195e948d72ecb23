//! `kill [-SIGNAL] PID...` (a negative PID names a process group; `kill -l` lists the signals).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::signal;

const USAGE: &str = "kill [-SIGNAL | -s SIGNAL] PID... | kill -l";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let mut sig = signal::SIGTERM;
    let mut rest = &args[..];
    match rest.first().map(String::as_str) {
        Some("-l") => {
            for s in 1..signal::NSIG {
                let name = signal::name(s);
                if name != "SIG?" {
                    ulib::println!("{s:2} {}", &name[3..]);
                }
            }
            return 0;
        }
        Some("-s") => {
            let Some(name) = rest.get(1) else {
                return ulib::cli::usage_error(USAGE);
            };
            let Some(s) = ulib::process::signal_from_name(name) else {
                ulib::eprintln!("kill: {name}: unknown signal");
                return ulib::cli::usage_error(USAGE);
            };
            sig = s;
            rest = &rest[2..];
        }
        Some("--") => rest = &rest[1..],
        Some(a)
            if a.starts_with('-')
                && a.len() > 1
                && !a[1..].starts_with(|c: char| c.is_ascii_digit()) =>
        {
            let Some(s) = ulib::process::signal_from_name(&a[1..]) else {
                ulib::eprintln!("kill: {}: unknown signal", &a[1..]);
                return ulib::cli::usage_error(USAGE);
            };
            sig = s;
            rest = &rest[1..];
        }
        Some(a) if a.starts_with('-') && rest.len() > 1 => {
            // `-9 PID`: a number before further operands is a signal number.
            let Some(s) = ulib::process::signal_from_name(&a[1..]) else {
                ulib::eprintln!("kill: {}: unknown signal", &a[1..]);
                return ulib::cli::usage_error(USAGE);
            };
            sig = s;
            rest = &rest[1..];
        }
        _ => {}
    }
    if rest.first().map(String::as_str) == Some("--") {
        rest = &rest[1..];
    }
    if rest.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    let mut status = 0;
    for target in rest {
        match target.parse::<i64>() {
            Ok(pid) => {
                if let Err(e) = ulib::process::kill(pid, sig) {
                    ulib::cli::error(target, e);
                    status = 1;
                }
            }
            Err(_) => {
                ulib::eprintln!("kill: {target}: not a process id");
                status = 1;
            }
        }
    }
    status
}
