//! `uniq [-cdiu] [INPUT [OUTPUT]]`: collapse runs of equal adjacent lines
//! (`utilcore::uniq`).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::Write;
use utilcore::uniq::{self, Options};

const USAGE: &str = "uniq [-cdiu] [INPUT [OUTPUT]]";
const ABOUT: &str = "Write each run of equal adjacent lines of INPUT once (to OUTPUT).
  -c  put the number of lines in the run first
  -d  only runs of more than one line     -u  only lines that are not repeated
  -i  ignore case when comparing";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let o = match utilcore::opts::parse(&args, "cdiu", "") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_failure(&e, USAGE),
    };
    if o.operands.len() > 2 {
        return ulib::cli::usage_failure(USAGE);
    }
    let opts = Options {
        count: o.has('c'),
        repeated_only: o.has('d'),
        unique_only: o.has('u'),
        ignore_case: o.has('i'),
    };
    let input = o.operands.first().map_or("-", String::as_str);
    let data = match ulib::cli::read_operand(input) {
        Ok(d) => d,
        Err(e) => {
            ulib::cli::error(input, e);
            return 1;
        }
    };
    let lines = utilcore::lines::split(&data);
    let mut out = Vec::new();
    for (line, n) in uniq::runs(&lines, &opts) {
        out.extend_from_slice(&uniq::format(line, n, &opts));
        out.push(b'\n');
    }
    let r = match o.operands.get(1) {
        Some(path) => ulib::fs::write(path, &out),
        None => {
            let mut s = ulib::io::stdout();
            s.write_all(&out).and_then(|()| s.flush())
        }
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            ulib::cli::error(o.operands.get(1).map_or("write", String::as_str), e);
            1
        }
    }
}
