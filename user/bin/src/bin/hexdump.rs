//! `hexdump [-C] [FILE...]`: show bytes in hexadecimal (chapter 2 section 4: a tool to
//! look at any file, text or not). The files are dumped as one stream (standard input
//! when none is named). `-C` is the canonical layout: offset, 16 bytes in hex, and the
//! same bytes as text between bars; without it, 16-bit little-endian words. A run of
//! identical 16-byte lines is shown once, then `*`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use ulib::fs::File;
use ulib::io::{Fd, Read, Write};
use ulib::Errno;

const USAGE: &str = "hexdump [-C] [FILE...]";

fn line(offset: u64, bytes: &[u8], canonical: bool) -> String {
    let mut s = String::new();
    if canonical {
        let _ = write!(s, "{offset:08x}  ");
        for i in 0..16 {
            if i == 8 {
                s.push(' ');
            }
            match bytes.get(i) {
                Some(b) => {
                    let _ = write!(s, "{b:02x} ");
                }
                None => s.push_str("   "),
            }
        }
        s.push_str(" |");
        s.extend(bytes.iter().map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        }));
        s.push('|');
    } else {
        let _ = write!(s, "{offset:07x}");
        for pair in bytes.chunks(2) {
            let w = pair[0] as u16 | (*pair.get(1).unwrap_or(&0) as u16) << 8;
            let _ = write!(s, " {w:04x}");
        }
    }
    s.push('\n');
    s
}

/// Collects the input into 16-byte lines and prints them.
struct Dumper {
    canonical: bool,
    offset: u64,
    pending: Vec<u8>,
    previous: Option<Vec<u8>>,
    starred: bool,
    out: Fd,
}

impl Dumper {
    fn emit(&mut self, bytes: &[u8]) -> ulib::Result<()> {
        let full = bytes.len() == 16;
        if full && self.previous.as_deref() == Some(bytes) {
            if !self.starred {
                self.out.write_all(b"*\n")?;
                self.starred = true;
            }
        } else {
            self.out
                .write_all(line(self.offset, bytes, self.canonical).as_bytes())?;
            self.starred = false;
            self.previous = full.then(|| bytes.to_vec());
        }
        self.offset += bytes.len() as u64;
        Ok(())
    }

    fn feed(&mut self, data: &[u8]) -> ulib::Result<()> {
        self.pending.extend_from_slice(data);
        let whole = self.pending.len() / 16 * 16;
        let ready: Vec<u8> = self.pending.drain(..whole).collect();
        for chunk in ready.chunks(16) {
            self.emit(chunk)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> ulib::Result<()> {
        let rest = core::mem::take(&mut self.pending);
        if !rest.is_empty() {
            self.emit(&rest)?;
        }
        let end = if self.canonical {
            alloc::format!("{:08x}\n", self.offset)
        } else {
            alloc::format!("{:07x}\n", self.offset)
        };
        self.out.write_all(end.as_bytes())
    }
}

fn dump(d: &mut Dumper, input: &mut dyn Read) -> Result<(), (bool, Errno)> {
    let mut buf = [0u8; 4096];
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => d.feed(&buf[..n]).map_err(|e| (false, e))?,
            Err(Errno::EINTR) => {}
            Err(e) => return Err((true, e)),
        }
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "C") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let mut d = Dumper {
        canonical: p.has('C'),
        offset: 0,
        pending: Vec::new(),
        previous: None,
        starred: false,
        out: Fd(ulib::io::STDOUT),
    };
    let files = if p.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        p.operands
    };
    let mut status = 0;
    for f in &files {
        let r = if f == "-" {
            dump(&mut d, &mut ulib::io::stdin())
        } else {
            match File::open(f) {
                Ok(mut file) => dump(&mut d, &mut file),
                Err(e) => Err((true, e)),
            }
        };
        match r {
            Ok(()) => {}
            Err((true, e)) => {
                ulib::cli::error(f, e);
                status = 1;
            }
            Err((false, _)) => return 1,
        }
    }
    if d.finish().is_err() {
        return 1;
    }
    status
}
