//! `tail [-n N] [FILE...]`: the last N lines (default 10) of each file or of standard
//! input (chapter 2 section 4, file modification tools). With several files each gets
//! a `==> NAME <==` header. `-N` is short for `-n N`.
//!
//! Design decision: one method for files and pipes alike: read everything once,
//! keeping only the last N lines in a ring, so memory is bounded by what is printed.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs::File;
use ulib::io::{Fd, Read, Write};
use ulib::Errno;

const USAGE: &str = "tail [-n N] [FILE...]";

/// `-N` (old style) becomes `-n N`.
fn expand_number_option(args: &mut [String]) {
    if let Some(a) = args.first_mut() {
        if a.len() > 1 && a.starts_with('-') && a[1..].bytes().all(|b| b.is_ascii_digit()) {
            *a = alloc::format!("-n{}", &a[1..]);
        }
    }
}

/// The last `n` lines of `input` (the last one may lack its newline).
fn last_lines(input: &mut dyn Read, n: usize) -> ulib::Result<VecDeque<Vec<u8>>> {
    let mut ring: VecDeque<Vec<u8>> = VecDeque::new();
    let mut current = Vec::new();
    let mut buf = [0u8; 4096];
    let push = |ring: &mut VecDeque<Vec<u8>>, line: Vec<u8>| {
        if n > 0 {
            if ring.len() == n {
                ring.pop_front();
            }
            ring.push_back(line);
        }
    };
    loop {
        let got = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        };
        for &b in &buf[..got] {
            current.push(b);
            if b == b'\n' {
                push(&mut ring, core::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        push(&mut ring, current);
    }
    Ok(ring)
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
    let n = match count.map(|c| c.parse::<usize>()) {
        None => 10,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            ulib::eprintln!("tail: invalid number of lines");
            return ulib::cli::usage_error(USAGE);
        }
    };
    let files = if p.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        p.operands
    };
    let mut status = 0;
    let mut out = Fd(ulib::io::STDOUT);
    for (i, f) in files.iter().enumerate() {
        let r = if f == "-" {
            last_lines(&mut ulib::io::stdin(), n)
        } else {
            File::open(f).and_then(|mut file| last_lines(&mut file, n))
        };
        match r {
            Ok(lines) => {
                if files.len() > 1 {
                    ulib::println!("{}==> {f} <==", if i > 0 { "\n" } else { "" });
                    ulib::io::flush_stdout();
                }
                for l in lines {
                    if let Err(e) = out.write_all(&l) {
                        ulib::cli::error("write", e);
                        return 1;
                    }
                }
            }
            Err(e) => {
                ulib::cli::error(f, e);
                status = 1;
            }
        }
    }
    status
}
