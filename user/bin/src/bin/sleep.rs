//! `sleep SECONDS`: wait that long (decimals allowed, e.g. `0.5`).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::time::Duration;

const USAGE: &str = "sleep SECONDS";

/// Seconds with an optional fraction, as nanoseconds.
fn parse_seconds(s: &str) -> Option<Duration> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if (whole.is_empty() && frac.is_empty())
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let secs: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut nanos = 0u32;
    for (i, c) in frac.chars().take(9).enumerate() {
        nanos += (c as u32 - '0' as u32) * 10u32.pow(8 - i as u32);
    }
    Some(Duration::new(secs, nanos))
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let [arg] = p.operands.as_slice() else {
        return ulib::cli::usage_error(USAGE);
    };
    let Some(d) = parse_seconds(arg) else {
        ulib::eprintln!("sleep: invalid time interval '{arg}'");
        return 1;
    };
    ulib::time::sleep(d);
    0
}
