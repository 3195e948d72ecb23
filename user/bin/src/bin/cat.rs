//! `cat [FILE...]`: copy each file (or standard input, also for `-`) to standard output.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs::File;
use ulib::io::{Fd, Read, Write};
use ulib::Errno;

const USAGE: &str = "cat [FILE...]";

/// Copy everything from `input` to standard output; which side failed, if one did.
fn copy(input: &mut dyn Read) -> Result<(), (bool, Errno)> {
    let mut buf = [0u8; 4096];
    let mut out = Fd(ulib::io::STDOUT);
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => out.write_all(&buf[..n]).map_err(|e| (false, e))?,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err((true, e)),
        }
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let files = if p.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        p.operands
    };
    let mut status = 0;
    for name in &files {
        let result = if name == "-" {
            copy(&mut ulib::io::stdin())
        } else {
            match File::open(name) {
                Ok(mut f) => copy(&mut f),
                Err(e) => Err((true, e)),
            }
        };
        match result {
            Ok(()) => {}
            Err((true, e)) => {
                ulib::cli::error(name, e);
                status = 1;
            }
            Err((false, e)) => {
                ulib::cli::error("write", e);
                return 1;
            }
        }
    }
    status
}
