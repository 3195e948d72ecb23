//! `head [-n N | -c N] [FILE...]`: the first N lines (default 10), or with `-c` the
//! first N bytes, of each file or of standard input (chapter 2 section 4, file
//! modification tools). With several files each gets a `==> NAME <==` header. `-N` is
//! short for `-n N`.
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

const USAGE: &str = "head [-n N | -c N] [FILE...]";
const ABOUT: &str = "Print the first 10 lines of each FILE (standard input if none, or -).
  -n N  the first N lines instead      -c N  the first N bytes instead";

/// How much of each input to copy.
#[derive(Clone, Copy)]
enum Amount {
    Lines(u64),
    Bytes(u64),
}

/// `-N` (old style) becomes `-n N`.
fn expand_number_option(args: &mut [String]) {
    if let Some(a) = args.first_mut() {
        if a.len() > 1 && a.starts_with('-') && a[1..].bytes().all(|b| b.is_ascii_digit()) {
            *a = alloc::format!("-n{}", &a[1..]);
        }
    }
}

/// Copy the first `amount` of `input`; which side failed (true: the input), if one did.
fn head(input: &mut dyn Read, amount: Amount) -> Result<(), (bool, Errno)> {
    let (mut n, bytes) = match amount {
        Amount::Lines(n) => (n, false),
        Amount::Bytes(n) => (n, true),
    };
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
        if bytes {
            end = got.min(n as usize);
            n -= end as u64;
        } else {
            for (i, &b) in buf[..got].iter().enumerate() {
                if b == b'\n' {
                    n -= 1;
                    if n == 0 {
                        end = i + 1;
                        break;
                    }
                }
            }
        }
        out.write_all(&buf[..end]).map_err(|e| (false, e))?;
    }
    Ok(())
}

fn main() -> i32 {
    let mut args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    expand_number_option(&mut args);
    let p = match utilcore::opts::parse(&args, "", "nc") {
        Ok(p) => p,
        Err(e) => return ulib::cli::option_failure(&e, USAGE),
    };
    // The last of -n and -c wins, as in GNU head.
    let amount = match p.list.last() {
        None => Amount::Lines(10),
        Some((c, v)) => match (c, v.as_deref().and_then(utilcore::number::count)) {
            ('c', Some(n)) => Amount::Bytes(n),
            (_, Some(n)) => Amount::Lines(n),
            (_, None) => {
                let what = if *c == 'c' { "bytes" } else { "lines" };
                ulib::eprintln!(
                    "head: invalid number of {what}: '{}'",
                    v.as_deref().unwrap_or("")
                );
                return 1;
            }
        },
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
            head(&mut ulib::io::stdin(), amount)
        } else {
            match File::open(f) {
                Ok(mut file) => head(&mut file, amount),
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
