//! `wc [-lwc] [FILE...]`: count lines, words and bytes (chapter 2 section 4, file
//! modification tools). With no option all three are shown; with several files, a
//! `total` line follows. No file, or `-`, is standard input. The counting and the
//! column layout (GNU's) are `utilcore::wc`.

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
use utilcore::wc::{Counter, Counts, Input};

const USAGE: &str = "wc [-lwc] [FILE...]";
const ABOUT: &str = "Count the lines, words and bytes of each FILE (standard input if none, or -).
  -l  lines    -w  words    -c  bytes    (all three if none is given)";

fn count(input: &mut dyn Read) -> ulib::Result<Counts> {
    let mut c = Counter::default();
    let mut buf = [0u8; 4096];
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(c.counts),
            Ok(n) => c.feed(&buf[..n]),
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// An open input and what its metadata says about its size.
fn open(name: &str) -> ulib::Result<(File, Input)> {
    let f = if name == "-" {
        File::from_raw_fd(ulib::io::STDIN)
    } else {
        File::open(name)?
    };
    let kind = match f.metadata() {
        Ok(m) if m.is_file() => Input::Regular(m.len()),
        _ => Input::Other,
    };
    Ok((f, kind))
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let p = match ulib::cli::parse(&args, "lwc") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let all = !(p.has('l') || p.has('w') || p.has('c'));
    let show = [all || p.has('l'), all || p.has('w'), all || p.has('c')];
    let files = if p.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        p.operands.clone()
    };
    // Everything is opened first: the width depends on all the sizes.
    let mut opened = Vec::new();
    let mut kinds = Vec::new();
    for f in &files {
        match open(f) {
            Ok((file, kind)) => {
                opened.push(Ok(file));
                kinds.push(kind);
            }
            Err(e) => {
                opened.push(Err(e));
                kinds.push(Input::Failed);
            }
        }
    }
    let columns = show.iter().filter(|s| **s).count();
    let width = utilcore::wc::width(&kinds, columns);
    let mut total = Counts::default();
    let mut status = 0;
    for (f, file) in files.iter().zip(opened) {
        let r = file.and_then(|mut file| {
            let r = count(&mut file);
            if f == "-" {
                let _ = file.into_raw_fd(); // standard input stays open
            }
            r
        });
        match r {
            Ok(c) => {
                let name = if p.operands.is_empty() {
                    None
                } else {
                    Some(f.as_str())
                };
                ulib::println!("{}", utilcore::wc::format(&c, show, width, name));
                total.add(&c);
            }
            Err(e) => {
                ulib::cli::error(f, e);
                status = 1;
            }
        }
    }
    if files.len() > 1 {
        ulib::println!(
            "{}",
            utilcore::wc::format(&total, show, width, Some("total"))
        );
    }
    status
}
