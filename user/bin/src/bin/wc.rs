//! `wc [-lwc] [FILE...]`: count lines, words and bytes (chapter 2 section 4, file
//! modification tools). With no option all three are shown; with several files, a
//! `total` line follows. No file, or `-`, is standard input.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs::File;
use ulib::io::Read;
use ulib::Errno;

const USAGE: &str = "wc [-lwc] [FILE...]";

#[derive(Default, Clone, Copy)]
struct Counts {
    lines: u64,
    words: u64,
    bytes: u64,
}

fn count(input: &mut dyn Read) -> ulib::Result<Counts> {
    let mut c = Counts::default();
    let mut in_word = false;
    let mut buf = [0u8; 4096];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(c),
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        };
        c.bytes += n as u64;
        for &b in &buf[..n] {
            if b == b'\n' {
                c.lines += 1;
            }
            let space = b.is_ascii_whitespace() || b == 0x0b;
            if !space && !in_word {
                c.words += 1;
            }
            in_word = !space;
        }
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "lwc") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let all = !(p.has('l') || p.has('w') || p.has('c'));
    let show = |c: &Counts, name: &str| {
        let mut line = String::new();
        for (on, v) in [
            (p.has('l'), c.lines),
            (p.has('w'), c.words),
            (p.has('c'), c.bytes),
        ] {
            if on || all {
                line.push_str(&alloc::format!("{v:>7} "));
            }
        }
        line.push_str(name);
        ulib::println!("{}", line.trim_end());
    };
    let files = if p.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        p.operands.clone()
    };
    let mut total = Counts::default();
    let mut status = 0;
    for f in &files {
        let r = if f == "-" {
            count(&mut ulib::io::stdin())
        } else {
            File::open(f).and_then(|mut file| count(&mut file))
        };
        match r {
            Ok(c) => {
                show(&c, if p.operands.is_empty() { "" } else { f });
                total.lines += c.lines;
                total.words += c.words;
                total.bytes += c.bytes;
            }
            Err(e) => {
                ulib::cli::error(f, e);
                status = 1;
            }
        }
    }
    if files.len() > 1 {
        show(&total, "total");
    }
    status
}
