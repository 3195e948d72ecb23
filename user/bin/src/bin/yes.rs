//! `yes [STRING...]`: print the STRINGs (default `y`) on a line, over and over,
//! until the output is closed.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::{Fd, Write};

const USAGE: &str = "yes [STRING...]";
const ABOUT: &str = "Print a line of the STRINGs (y if none) until killed or the output closes.";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let mut line = if args.is_empty() {
        String::from("y")
    } else {
        args.join(" ")
    };
    line.push('\n');
    // Many lines per write: one system call per 4 KiB or so.
    let mut block = Vec::new();
    while block.len() < 4096 {
        block.extend_from_slice(line.as_bytes());
    }
    let mut out = Fd(ulib::io::STDOUT);
    loop {
        if let Err(e) = out.write_all(&block) {
            if e != ulib::Errno::EPIPE {
                ulib::cli::error("write", e);
            }
            return 1;
        }
    }
}
