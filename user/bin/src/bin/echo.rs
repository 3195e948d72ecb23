//! `echo [-n] [WORD...]`: print the words separated by spaces (`-n`: no newline).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::Write;

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let (newline, words) = match args.first().map(String::as_str) {
        Some("-n") => (false, &args[1..]),
        _ => (true, &args[..]),
    };
    let mut line = words.join(" ");
    if newline {
        line.push('\n');
    }
    let mut out = ulib::io::stdout();
    match out.write_all(line.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) => {
            ulib::cli::error("write", e);
            1
        }
    }
}
