//! `tee [-a] [FILE...]`: copy standard input to standard output and to each FILE
//! (`-a` appends). A file that cannot be written is reported and the copy goes on to
//! the others; the exit status is then 1.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs::{File, OpenOptions};
use ulib::io::{Fd, Read, Write};
use ulib::Errno;

const USAGE: &str = "tee [-a] [FILE...]";
const ABOUT: &str = "Copy standard input to standard output and to each FILE.
  -a  append to the FILEs instead of replacing them";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let p = match ulib::cli::parse(&args, "ai") {
        Ok(p) => p,
        Err(c) => {
            ulib::cli::bad_option(c, USAGE);
            return 1;
        }
    };
    let mut status = 0;
    let mut files: Vec<(String, Option<File>)> = Vec::new();
    for name in &p.operands {
        let mut oo = OpenOptions::new();
        oo.write(true).create(true).mode(0o644);
        if p.has('a') {
            oo.append(true);
        } else {
            oo.truncate(true);
        }
        match oo.open(name) {
            Ok(f) => files.push((name.clone(), Some(f))),
            Err(e) => {
                ulib::cli::error(name, e);
                status = 1;
            }
        }
    }
    let mut input = ulib::io::stdin();
    let mut out = Fd(ulib::io::STDOUT);
    let mut buf = [0u8; 4096];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => {
                ulib::cli::error("read", e);
                return 1;
            }
        };
        if let Err(e) = out.write_all(&buf[..n]) {
            ulib::cli::error("write", e);
            return 1;
        }
        for (name, f) in files.iter_mut() {
            if let Some(file) = f {
                if let Err(e) = file.write_all(&buf[..n]) {
                    ulib::cli::error(name, e);
                    status = 1;
                    *f = None;
                }
            }
        }
    }
    status
}
