//! `expr EXPRESSION`: evaluate an expression of separate arguments and print its
//! value (`utilcore::expr`). Exit status 0 if the value is neither empty nor 0, 1 if
//! it is, 2 for an invalid expression.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "expr EXPRESSION";
const ABOUT: &str = "Print the value of EXPRESSION, each operand and operator a separate argument:
  A | B   A & B   A = B  A != B  A < B  A <= B  A > B  A >= B   A + B  A - B
  A * B   A / B   A % B   STRING : REGEX   length STRING   ( A )";

fn main() -> i32 {
    let mut args: Vec<String> = ulib::env::args().skip(1).collect();
    if args.len() == 1 && ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    if args.first().map(String::as_str) == Some("--") {
        args.remove(0);
    }
    if args.is_empty() {
        ulib::eprintln!("expr: missing operand");
        return 2;
    }
    match utilcore::expr::eval(&args) {
        Ok(v) => {
            ulib::println!("{v}");
            i32::from(utilcore::expr::is_null(&v))
        }
        Err(e) => {
            ulib::eprintln!("expr: {e}");
            2
        }
    }
}
