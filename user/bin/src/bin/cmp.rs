//! `cmp [-s] FILE1 [FILE2]`: compare two files byte by byte and report the first
//! difference (`utilcore::cmp`). Exit status 0 if they are the same, 1 if they differ,
//! 2 on trouble. `-` (or a missing FILE2) is standard input.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use ulib::io::Read;
use utilcore::cmp::{Comparison, Stream};

/// Bytes read from each input at a time: the files are compared piece by piece, in
/// this much memory whatever their size.
const PIECE: usize = 64 * 1024;

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
    let mut inputs = [open(a), open(b)];
    for (input, name) in inputs.iter().zip([a, b]) {
        if let Err(e) = input {
            ulib::cli::error(name, *e);
            return 2;
        }
    }
    let [Ok(ra), Ok(rb)] = &mut inputs else {
        return 2;
    };
    let result = match compare(ra.as_mut(), rb.as_mut()) {
        Ok(r) => r,
        Err((which, e)) => {
            ulib::cli::error([a, b][which], e);
            return 2;
        }
    };
    let silent = p.has('s');
    match result {
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

/// The input `name` names (`-`: standard input).
fn open(name: &str) -> ulib::Result<Box<dyn Read>> {
    if name == "-" {
        Ok(Box::new(ulib::io::stdin()))
    } else {
        Ok(Box::new(ulib::fs::File::open(name)?))
    }
}

/// Compare the two inputs a piece at a time; on an error, which input (0 or 1) failed.
fn compare(a: &mut dyn Read, b: &mut dyn Read) -> Result<Comparison, (usize, ulib::Errno)> {
    let mut s = Stream::new();
    let (mut ba, mut bb) = (vec![0u8; PIECE], vec![0u8; PIECE]);
    // Bytes read but not yet compared, in each buffer: `[from, to)`.
    let (mut fa, mut ta, mut fb, mut tb) = (0, 0, 0, 0);
    loop {
        if fa == ta {
            (fa, ta) = (0, a.read(&mut ba).map_err(|e| (0, e))?);
        }
        if fb == tb {
            (fb, tb) = (0, b.read(&mut bb).map_err(|e| (1, e))?);
        }
        if fa == ta || fb == tb {
            return Ok(s.end(fa == ta, fb == tb));
        }
        let n = (ta - fa).min(tb - fb);
        if let Some(d) = s.step(&ba[fa..fa + n], &bb[fb..fb + n]) {
            return Ok(d);
        }
        fa += n;
        fb += n;
    }
}
