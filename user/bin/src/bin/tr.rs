//! `tr [-cds] SET1 [SET2]`: translate, delete or squeeze bytes from standard input to
//! standard output (`utilcore::tr`).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::{Read, Write};
use ulib::Errno;
use utilcore::tr::{Options, Tr};

const USAGE: &str = "tr [-cds] SET1 [SET2]";
const ABOUT: &str = "Copy standard input to standard output, translating SET1 to SET2.
  -d  delete the bytes of SET1      -s  squeeze runs of a byte (of the last SET) to one
  -c  use the complement of SET1
Sets: a-z ranges, [:upper:] [:lower:] [:digit:] [:alpha:] [:alnum:] [:space:]
[:blank:] [:punct:] classes, \\n \\t \\\\ \\NNN escapes, [x*] and [x*N] repeats in SET2.";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let o = match utilcore::opts::parse(&args, "cCds", "") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_failure(&e, USAGE),
    };
    let opts = Options {
        delete: o.has('d'),
        squeeze: o.has('s'),
        complement: o.has('c') || o.has('C'),
    };
    // Translating needs two sets, deleting one, deleting and squeezing two;
    // squeezing alone takes one or two.
    let sets = o.operands.len();
    let ok = match (opts.delete, opts.squeeze) {
        (false, false) | (true, true) => sets == 2,
        (true, false) => sets == 1,
        (false, true) => sets == 1 || sets == 2,
    };
    if !ok {
        ulib::eprintln!("tr: wrong number of sets");
        return ulib::cli::usage_failure(USAGE);
    }
    let set2 = o.operands.get(1).map(String::as_bytes);
    let mut t = match Tr::new(o.operands[0].as_bytes(), set2, opts) {
        Ok(t) => t,
        Err(e) => {
            ulib::eprintln!("tr: {e}");
            return 1;
        }
    };
    let mut input = ulib::io::stdin();
    let mut stdout = ulib::io::stdout();
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => {
                ulib::cli::error("read", e);
                return 1;
            }
        };
        out.clear();
        t.run(&buf[..n], &mut out);
        if let Err(e) = stdout.write_all(&out) {
            ulib::cli::error("write", e);
            return 1;
        }
    }
    0
}
