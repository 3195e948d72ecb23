//! `seq [-w] [-s SEP] [FIRST [INCREMENT]] LAST`: print a sequence of numbers
//! (`utilcore::seq`).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::Write;
use utilcore::seq::BadSeq;

const USAGE: &str = "seq [-w] [-s SEP] [FIRST [INCREMENT]] LAST";
const ABOUT: &str = "Print the numbers from FIRST (1) by INCREMENT (1) up to LAST.
  -w      pad with leading zeros to equal width
  -s SEP  separate the numbers by SEP (default a newline)";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    // A negative number is an operand, not an option.
    let split = args
        .iter()
        .position(|a| a.len() > 1 && a.starts_with('-') && a.as_bytes()[1].is_ascii_digit())
        .unwrap_or(args.len());
    let mut o = match utilcore::opts::parse(&args[..split], "w", "s") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_failure(&e, USAGE),
    };
    o.operands.extend(args[split..].iter().cloned());
    let (first, incr, last) = match o.operands.as_slice() {
        [l] => ("1", "1", l.as_str()),
        [f, l] => (f.as_str(), "1", l.as_str()),
        [f, i, l] => (f.as_str(), i.as_str(), l.as_str()),
        _ => return ulib::cli::usage_failure(USAGE),
    };
    let nums = match utilcore::seq::sequence(first, incr, last, o.has('w')) {
        Ok(v) => v,
        Err(BadSeq::NotANumber(i)) => {
            ulib::eprintln!(
                "seq: invalid floating point argument: '{}'",
                [first, incr, last][i]
            );
            return ulib::cli::usage_failure(USAGE);
        }
        Err(BadSeq::ZeroIncrement) => {
            ulib::eprintln!("seq: invalid Zero increment value: '{incr}'");
            return ulib::cli::usage_failure(USAGE);
        }
    };
    if nums.is_empty() {
        return 0;
    }
    let sep = o.value('s').unwrap_or("\n");
    let mut text = nums.join(sep);
    text.push('\n');
    match ulib::io::stdout().write_all(text.as_bytes()) {
        Ok(()) => 0,
        Err(e) => {
            ulib::cli::error("write", e);
            1
        }
    }
}
