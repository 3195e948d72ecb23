//! `cut -b LIST | -c LIST | -f LIST [-d DELIM] [-s] [FILE...]`: print selected bytes,
//! characters or fields of each line (`utilcore::cut`).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::Write;
use utilcore::cut::{self, List};

const USAGE: &str = "cut -b LIST | -c LIST | -f LIST [-d DELIM] [-s] [FILE...]";
const ABOUT: &str = "Print the selected parts of each line of the FILEs (standard input if none).
  -b LIST  bytes          -c LIST  characters (bytes, as in the C locale)
  -f LIST  fields, separated by DELIM (-d, default TAB); -s drops lines without one
LIST is numbers and ranges separated by commas: 1,3-5,7- or -2.";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let o = match utilcore::opts::parse(&args, "sn", "bcfd") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_failure(&e, USAGE),
    };
    let modes: Vec<char> = ['b', 'c', 'f'].into_iter().filter(|&c| o.has(c)).collect();
    let [mode] = modes.as_slice() else {
        ulib::eprintln!("cut: give exactly one of -b, -c and -f");
        return ulib::cli::usage_failure(USAGE);
    };
    let list = match List::parse(o.value(*mode).unwrap_or("")) {
        Ok(l) => l,
        Err(e) => {
            ulib::eprintln!("cut: {e}");
            return ulib::cli::usage_failure(USAGE);
        }
    };
    let delim = match o.value('d').map(str::as_bytes) {
        None => b'\t',
        Some([d]) => *d,
        Some(_) => {
            ulib::eprintln!("cut: the delimiter must be a single character");
            return ulib::cli::usage_failure(USAGE);
        }
    };
    if *mode != 'f' && (o.has('d') || o.has('s')) {
        ulib::eprintln!("cut: -d and -s only make sense with fields (-f)");
        return ulib::cli::usage_failure(USAGE);
    }
    let files = if o.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        o.operands.clone()
    };
    let mut status = 0;
    let mut stdout = ulib::io::stdout();
    for f in &files {
        let data = match ulib::cli::read_operand(f) {
            Ok(d) => d,
            Err(e) => {
                ulib::cli::error(f, e);
                status = 1;
                continue;
            }
        };
        let mut out = Vec::new();
        for line in utilcore::lines::split(&data) {
            let sel = if *mode == 'f' {
                cut::fields(line, &list, delim, o.has('s'))
            } else {
                Some(cut::positions(line, &list))
            };
            if let Some(s) = sel {
                out.extend_from_slice(&s);
                out.push(b'\n');
            }
        }
        if let Err(e) = stdout.write_all(&out) {
            ulib::cli::error("write", e);
            return 1;
        }
    }
    status
}
