//! `lsmod`: the kernel modules loaded now, with their size in bytes (pages mapped),
//! their use count (open files on their devices and calls running in them) and what
//! they provide (chapter 2 section 7, "modules"), from the `modules` call.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "lsmod";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if !args.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    let mut buf = alloc::vec![0u8; 4096];
    let text = loop {
        match ulib::sys::modules(&mut buf) {
            Ok(n) if n <= buf.len() => break String::from_utf8_lossy(&buf[..n]).into_owned(),
            Ok(n) => buf.resize(n, 0),
            Err(e) => {
                ulib::cli::error("modules", e);
                return 1;
            }
        }
    };
    ulib::println!("{:<16} {:>8} {:>5}  Used by", "Module", "Size", "Used");
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        if let [name, size, used, users] = f[..] {
            ulib::println!("{name:<16} {size:>8} {used:>5}  {users}");
        }
    }
    0
}
