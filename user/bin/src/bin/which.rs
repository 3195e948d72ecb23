//! `which [-a] NAME...`: where in `PATH` each program is (`-a`: every match).
//! The exit status is 1 if any NAME was not found.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "which [-a] NAME...";
const ABOUT: &str = "Print the path of the program each NAME runs, searching PATH.
  -a  print every match in PATH, not only the first";

/// The executable regular files named `name` along `PATH`.
fn matches(name: &str, all: bool) -> Vec<String> {
    if name.contains('/') {
        return match ulib::fs::metadata(name) {
            Ok(m) if m.is_file() && m.permissions() & 0o111 != 0 => alloc::vec![String::from(name)],
            _ => Vec::new(),
        };
    }
    let path = ulib::env::var("PATH").unwrap_or_else(|| String::from("/bin"));
    let mut found = Vec::new();
    for dir in path.split(':') {
        let p = ulib::fs::join(if dir.is_empty() { "." } else { dir }, name);
        if let Ok(m) = ulib::fs::metadata(&p) {
            if m.is_file() && m.permissions() & 0o111 != 0 {
                found.push(p);
                if !all {
                    break;
                }
            }
        }
    }
    found
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let p = match ulib::cli::parse(&args, "a") {
        Ok(p) => p,
        Err(c) => {
            ulib::cli::bad_option(c, USAGE);
            return 1;
        }
    };
    if p.operands.is_empty() {
        return 1; // nothing asked, nothing found (silently, as Debian's which)
    }
    let mut status = 0;
    for name in &p.operands {
        let found = matches(name, p.has('a'));
        if found.is_empty() {
            status = 1;
        }
        for f in found {
            ulib::println!("{f}");
        }
    }
    status
}
