//! `touch [-acm] FILE...`: create empty files, or set the access and modification
//! times of existing ones to now (chapter 2 section 4, file management; the `utimes`
//! call). `-a` changes only the access time, `-m` only the modification time, `-c`
//! creates nothing.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs::{self, FileTime, OpenOptions};
use ulib::Errno;

const USAGE: &str = "touch [-acm] FILE...";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "acm") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    if p.operands.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    // Neither -a nor -m: both times.
    let (a, m) = match (p.has('a'), p.has('m')) {
        (false, false) => (true, true),
        other => other,
    };
    let pick = |on: bool| if on { FileTime::Now } else { FileTime::Omit };
    let mut status = 0;
    for path in &p.operands {
        let r = match fs::set_times(path, pick(a), pick(m)) {
            Err(Errno::ENOENT) if p.has('c') => Ok(()),
            // A new file already has the current times.
            Err(Errno::ENOENT) => OpenOptions::new()
                .write(true)
                .create(true)
                .open(path)
                .map(|_| ()),
            r => r,
        };
        if let Err(e) = r {
            ulib::cli::error(path, e);
            status = 1;
        }
    }
    status
}
