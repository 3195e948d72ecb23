//! `clear`: clear the terminal screen (the cursor home, the screen erased, and the
//! scroll-back erased: the ANSI sequences xterm's `clear` sends).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::Write;

const USAGE: &str = "clear";
const ABOUT: &str = "Clear the terminal screen and its scroll-back.";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    if !args.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    let mut out = ulib::io::stdout();
    match out
        .write_all(b"\x1b[H\x1b[2J\x1b[3J")
        .and_then(|()| out.flush())
    {
        Ok(()) => 0,
        Err(e) => {
            ulib::cli::error("write", e);
            1
        }
    }
}
