//! `tail [-n [+]N | -c [+]N] [FILE...]`: the last N lines (default 10), or with `-c`
//! the last N bytes, of each file or of standard input (chapter 2 section 4, file
//! modification tools); `+N` starts at line (byte) N instead. With several files each
//! gets a `==> NAME <==` header. `-N` is short for `-n N`.
//!
//! Design decision: one method for files and pipes alike: read the input once, then
//! cut out the part to print (with `-c N` only the last bytes are kept while reading).

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
use utilcore::tail::Amount;

const USAGE: &str = "tail [-n [+]N | -c [+]N] [FILE...]";
const ABOUT: &str = "Print the last 10 lines of each FILE (standard input if none, or -).
  -n N   the last N lines instead      -c N   the last N bytes instead
  -n +N  from line N to the end        -c +N  from byte N to the end";

/// `-N` (old style) becomes `-n N`.
fn expand_number_option(args: &mut [String]) {
    if let Some(a) = args.first_mut() {
        if a.len() > 1 && a.starts_with('-') && a[1..].bytes().all(|b| b.is_ascii_digit()) {
            *a = alloc::format!("-n{}", &a[1..]);
        }
    }
}

/// Everything from `input`, or with a plain `-c N`, only its last N bytes (read in
/// pieces, the front dropped as it goes).
fn read_input(input: &mut dyn Read, a: Amount) -> ulib::Result<Vec<u8>> {
    let keep = if a.bytes && !a.from_start {
        Some(a.n)
    } else {
        None
    };
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let got = match input.read(&mut buf) {
            Ok(0) => return Ok(data),
            Ok(k) => k,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        };
        data.extend_from_slice(&buf[..got]);
        if let Some(k) = keep {
            if data.len() > 2 * k + 4096 {
                data.drain(..data.len() - k);
            }
        }
    }
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
    // The last of -n and -c wins, as in GNU tail.
    let amount = match p.list.last() {
        None => Amount {
            n: 10,
            bytes: false,
            from_start: false,
        },
        Some((c, v)) => {
            let v = v.as_deref().unwrap_or("");
            let from_start = v.starts_with('+');
            let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
            match utilcore::number::count(digits) {
                Some(n) if !digits.starts_with('+') => Amount {
                    n: n as usize,
                    bytes: *c == 'c',
                    from_start,
                },
                _ => {
                    let what = if *c == 'c' { "bytes" } else { "lines" };
                    ulib::eprintln!("tail: invalid number of {what}: '{v}'");
                    return 1;
                }
            }
        }
    };
    let files = if p.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        p.operands
    };
    let mut status = 0;
    let mut out = Fd(ulib::io::STDOUT);
    for (i, f) in files.iter().enumerate() {
        let r = if f == "-" {
            read_input(&mut ulib::io::stdin(), amount)
        } else {
            File::open(f).and_then(|mut file| read_input(&mut file, amount))
        };
        match r {
            Ok(data) => {
                if files.len() > 1 {
                    ulib::println!("{}==> {f} <==", if i > 0 { "\n" } else { "" });
                    ulib::io::flush_stdout();
                }
                if let Err(e) = out.write_all(utilcore::tail::select(&data, amount)) {
                    ulib::cli::error("write", e);
                    return 1;
                }
            }
            Err(e) => {
                ulib::cli::error(f, e);
                status = 1;
            }
        }
    }
    status
}
