//! `cmp [-s] FILE1 [FILE2]`: compare two files byte by byte and report the first
//! difference (`utilcore::cmp`). Exit status 0 if they are the same, 1 if they differ,
//! 2 on trouble. `-` (or a missing FILE2) is standard input.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use utilcore::cmp::Comparison;

const USAGE: &str = "cmp [-s] FILE1 [FILE2]";
const ABOUT: &str = "Compare two files byte by byte; print where they first differ.
  -s  print nothing; only the exit status tells (0 same, 1 different, 2 trouble)";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let p = match ulib::cli::parse(&args, "s") {
        Ok(p) => p,
        Err(c) => {
            ulib::cli::bad_option(c, USAGE);
            return 2;
        }
    };
    let (a, b) = match p.operands.as_slice() {
        [a] => (a.as_str(), "-"),
        [a, b] => (a.as_str(), b.as_str()),
        _ => return ulib::cli::usage_error(USAGE),
    };
    let mut data = [Vec::new(), Vec::new()];
    for (slot, name) in data.iter_mut().zip([a, b]) {
        match ulib::cli::read_operand(name) {
            Ok(d) => *slot = d,
            Err(e) => {
                ulib::cli::error(name, e);
                return 2;
            }
        }
    }
    let silent = p.has('s');
    match utilcore::cmp::compare(&data[0], &data[1]) {
        Comparison::Same => 0,
        Comparison::Differ { byte, line } => {
            if !silent {
                ulib::println!("{a} {b} differ: char {byte}, line {line}");
            }
            1
        }
        Comparison::Eof {
            shorter,
            byte,
            line,
        } => {
            if !silent {
                let name = [a, b][shorter as usize];
                if byte == 0 {
                    ulib::eprintln!("cmp: EOF on {name} which is empty");
                } else {
                    ulib::eprintln!("cmp: EOF on {name} after byte {byte}, line {line}");
                }
            }
            1
        }
    }
}
