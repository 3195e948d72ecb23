//! `umount TARGET...`: detach the file systems mounted on these directories (chapter 2
//! section 4, file management). The kernel refuses (EBUSY) while a file on it is open
//! or a process works in it; its modified blocks are written back first.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "umount TARGET...";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    if p.operands.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    let mut status = 0;
    for t in &p.operands {
        if let Err(e) = ulib::fs::umount(t) {
            ulib::cli::error(t, e);
            status = 1;
        }
    }
    status
}
