//! `evtest [-n COUNT] [DEVICE]`: print the events of an input device (default
//! `/dev/event0`) as they come, one line each: time, type, code, value (as Linux's
//! evtest does). Chapter 2, 3-2: a device read as a file of fixed-size records.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "evtest [-n COUNT] [DEVICE]";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let (count, rest) = match args.as_slice() {
        [n, v, rest @ ..] if n == "-n" => match v.parse::<usize>() {
            Ok(c) => (c, rest),
            Err(_) => return ulib::cli::usage_error(USAGE),
        },
        rest => (usize::MAX, rest),
    };
    let path = match rest {
        [] => "/dev/event0",
        [p] if !p.starts_with('-') => p.as_str(),
        _ => return ulib::cli::usage_error(USAGE),
    };
    let dev = match ulib::input::Device::open(path, false) {
        Ok(d) => d,
        Err(e) => {
            ulib::cli::error(path, e);
            return 1;
        }
    };
    let (mx, my) = dev.abs_max();
    ulib::println!("{path}: absolute axes up to ({mx}, {my})");
    let mut seen = 0;
    while seen < count {
        match dev.read() {
            Ok(evs) => {
                for e in evs {
                    ulib::println!(
                        "{}.{:06} type {} code {} value {}",
                        e.time_us / 1_000_000,
                        e.time_us % 1_000_000,
                        e.kind,
                        e.code,
                        e.value
                    );
                    seen += 1;
                }
            }
            Err(e) => {
                ulib::cli::error(path, e);
                return 1;
            }
        }
    }
    0
}
