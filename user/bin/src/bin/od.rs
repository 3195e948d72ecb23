//! `od [-bcdosxv] [-A RADIX] [-t TYPE]... [-j SKIP] [-N COUNT] [FILE...]`: dump the
//! bytes of the files (concatenated) or of standard input (`utilcore::od`).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::Write;
use utilcore::od::{self, Format, Radix};

const USAGE: &str = "od [-bcdosxv] [-A RADIX] [-t TYPE]... [-j SKIP] [-N COUNT] [FILE...]";
const ABOUT: &str = "Dump the bytes of the FILEs (standard input if none), 16 a line.
  -t TYPE   c (characters), or o/x/u/d (octal, hex, unsigned, signed) with a size 1, 2, 4
  -b -c -d -o -s -x   short for -t o1, c, u2, o2, d2, x2 (the default is -o)
  -A RADIX  offsets in o, d, x or n (none)     -v  do not collapse repeated lines
  -j SKIP   skip SKIP bytes first              -N COUNT  dump at most COUNT bytes";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let o = match utilcore::opts::parse(&args, "bcdosxv", "AtjN") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_failure(&e, USAGE),
    };
    let mut formats: Vec<Format> = Vec::new();
    for (c, v) in &o.list {
        match (c, v) {
            ('t', Some(t)) => match od::types(t) {
                Some(f) => formats.extend(f),
                None => {
                    ulib::eprintln!("od: invalid type string '{t}'");
                    return ulib::cli::usage_failure(USAGE);
                }
            },
            (c, None) => formats.extend(od::letter(*c)),
            _ => {}
        }
    }
    if formats.is_empty() {
        formats.push(Format::Octal(2));
    }
    let radix = match o.value('A') {
        None | Some("o") => Radix::Octal,
        Some("d") => Radix::Decimal,
        Some("x") => Radix::Hex,
        Some("n") => Radix::None,
        Some(r) => {
            ulib::eprintln!("od: invalid output address radix '{r}'");
            return ulib::cli::usage_failure(USAGE);
        }
    };
    let number = |c: char| match o.value(c) {
        None => Ok(None),
        Some(v) => utilcore::number::count(v)
            .map(|n| Some(n as usize))
            .ok_or(v),
    };
    let (skip, count) = match (number('j'), number('N')) {
        (Ok(s), Ok(n)) => (s.unwrap_or(0), n),
        (Err(v), _) | (_, Err(v)) => {
            ulib::eprintln!("od: invalid number '{v}'");
            return ulib::cli::usage_failure(USAGE);
        }
    };
    let files = if o.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        o.operands.clone()
    };
    let mut data = Vec::new();
    let mut status = 0;
    let mut any_read = false;
    for f in &files {
        match ulib::cli::read_operand(f) {
            Ok(d) => {
                data.extend_from_slice(&d);
                any_read = true;
            }
            Err(e) => {
                ulib::cli::error(f, e);
                status = 1;
            }
        }
    }
    if !any_read {
        return status; // nothing to dump, not even an offset
    }
    let start = skip.min(data.len());
    let end = count.map_or(data.len(), |n| (start + n).min(data.len()));
    // Offsets count from the start of the input, skipped bytes included.
    let text = od::dump_from(&data[start..end], start, &formats, radix, o.has('v'));
    if let Err(e) = ulib::io::stdout().write_all(text.as_bytes()) {
        ulib::cli::error("write", e);
        return 1;
    }
    status
}
