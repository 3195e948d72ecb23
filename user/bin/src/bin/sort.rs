//! `sort [-bcnrsu] [-k KEY]... [-t SEP] [-o FILE] [FILE...]`: sort the lines of the
//! files (or standard input) together; the ordering itself is `utilcore::sort`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::Write;
use utilcore::sort::{self, Spec};

const USAGE: &str = "sort [-bcnrsu] [-k KEY]... [-t SEP] [-o FILE] [FILE...]";
const ABOUT: &str = "Sort the lines of the FILEs (standard input if none, or -) together.
  -n      compare leading numbers        -r  reverse the order
  -u      keep the first of equal lines  -s  stable: equal lines keep input order
  -b      ignore leading blanks          -c  only check that the input is sorted
  -k F[.C][bnr][,F[.C][bnr]]  sort by a key; several -k are tried in turn
  -t SEP  fields are separated by SEP    -o FILE  write to FILE";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let o = match utilcore::opts::parse(&args, "bcnrsu", "kto") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_error(&e, USAGE),
    };
    let mut spec = Spec {
        unique: o.has('u'),
        stable: o.has('s'),
        ..Spec::default()
    };
    spec.order.numeric = o.has('n');
    spec.order.reverse = o.has('r');
    spec.order.blanks = o.has('b');
    for k in o.values('k') {
        match sort::parse_key(k) {
            Ok(key) => spec.keys.push(key),
            Err(_) => {
                ulib::eprintln!("sort: invalid key '{k}'");
                return 2;
            }
        }
    }
    if let Some(t) = o.value('t') {
        let [sep] = t.as_bytes() else {
            ulib::eprintln!("sort: the separator must be one character");
            return 2;
        };
        spec.separator = Some(*sep);
    }
    let files = if o.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        o.operands.clone()
    };
    let mut data = Vec::new();
    for f in &files {
        match ulib::cli::read_operand(f) {
            Ok(mut d) => {
                if !d.is_empty() && !d.ends_with(b"\n") {
                    d.push(b'\n');
                }
                data.extend_from_slice(&d);
            }
            Err(e) => {
                ulib::cli::error(f, e);
                return 2;
            }
        }
    }
    let lines = utilcore::lines::split(&data);
    if o.has('c') {
        return match sort::first_disorder(&lines, &spec) {
            None => 0,
            Some(n) => {
                let line = String::from_utf8_lossy(lines[n - 1]);
                ulib::eprintln!("sort: {}:{n}: disorder: {line}", files[0]);
                1
            }
        };
    }
    let sorted = sort::sort(lines, &spec);
    let mut out = Vec::with_capacity(data.len());
    for l in sorted {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    let r = match o.value('o') {
        Some(path) => ulib::fs::write(path, &out),
        None => {
            let mut s = ulib::io::stdout();
            s.write_all(&out).and_then(|()| s.flush())
        }
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            ulib::cli::error(o.value('o').unwrap_or("write"), e);
            2
        }
    }
}
