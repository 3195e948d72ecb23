//! `rmdir [-p] DIR...`: remove empty directories (chapter 2 section 4, file
//! management). `-p` then removes each parent named in the path while it is empty.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs;

const USAGE: &str = "rmdir [-p] DIR...";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "p") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    if p.operands.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    let mut status = 0;
    for dir in &p.operands {
        let mut path = dir.trim_end_matches('/');
        loop {
            if let Err(e) = fs::remove_dir(path) {
                ulib::cli::error(path, e);
                status = 1;
                break;
            }
            if !p.has('p') {
                break;
            }
            match path.rsplit_once('/') {
                Some((parent, _)) if !parent.is_empty() => path = parent.trim_end_matches('/'),
                _ => break,
            }
        }
    }
    status
}
