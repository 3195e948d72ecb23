//! `head [-n N] [FILE...]`: the first N lines (default 10) of each file or of standard
//! input (chapter 2 section 4, file modification tools). With several files each gets
//! a `==> NAME <==` header. `-N` is short for `-n N`.
//!
//! It reads only as far as it needs to, so `head` on a pipe ends as soon as it has its
//! lines.

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

const USAGE: &str = "head [-n N] [FILE...]";

/// `-N` (old style) becomes `-n N`.
fn expand_number_option(args: &mut [String]) {
    if let Some(a) = args.first_mut() {
        if a.len() > 1 && a.starts_with('-') && a[1..].bytes().all(|b| b.is_ascii_digit()) {
            *a = alloc::format!("-n{}", &a[1..]);
        }
    }
}

/// Copy the first `n` lines of `input`; which side failed, if one did.
fn head(input: &mut dyn Read, mut n: u64) -> Result<(), (bool, Errno)> {
    let mut out = Fd(ulib::io::STDOUT);
    let mut buf = [0u8; 4096];
    while n > 0 {
        let got = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err((true, e)),
        };
        let mut end = got;
        for (i, &b) in buf[..got].iter().enumerate() {
            if b == b'\n' {
                n -= 1;
                if n == 0 {
                    end = i + 1;
                    break;
                }
            }
        }
        out.write_all(&buf[..end]).map_err(|e| (false, e))?;
    }
    Ok(())
}

fn main() -> i32 {
    let mut args: Vec<String> = ulib::env::args().skip(1).collect();
    expand_number_option(&mut args);
    let Ok((args, count)) = ulib::cli::take_value(&args, 'n') else {
        return ulib::cli::usage_error(USAGE);
    };
    let p = match ulib::cli::parse(&args, "") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let n = match count.map(|c| c.parse::<u64>()) {
        None => 10,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            ulib::eprintln!("head: invalid number of lines");
            return ulib::cli::usage_error(USAGE);
        }
    };
    let files = if p.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        p.operands
    };
    let mut status = 0;
    for (i, f) in files.iter().enumerate() {
        if files.len() > 1 {
            ulib::println!("{}==> {f} <==", if i > 0 { "\n" } else { "" });
            ulib::io::flush_stdout();
        }
        let r = if f == "-" {
            head(&mut ulib::io::stdin(), n)
        } else {
            match File::open(f) {
                Ok(mut file) => head(&mut file, n),
                Err(e) => Err((true, e)),
            }
        };
        match r {
            Ok(()) => {}
            Err((true, e)) => {
                ulib::cli::error(f, e);
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
