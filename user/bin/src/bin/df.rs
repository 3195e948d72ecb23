//! `df [-k]`: space used and free on each mounted file system (chapter 2 section 4,
//! status information), from `statfs` on every mount point the kernel's mount table
//! (`mounts`) lists. Sizes are in 1 KiB blocks (`-k` says so explicitly).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs;

const USAGE: &str = "df [-k]";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    match ulib::cli::parse(&args, "k") {
        Ok(p) if p.operands.is_empty() => {}
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    }
    let mounts = match fs::mounts() {
        Ok(m) => m,
        Err(e) => {
            ulib::cli::error("mounts", e);
            return 1;
        }
    };
    ulib::println!(
        "{:<12} {:<6} {:>9} {:>9} {:>9} {:>4} Mounted on",
        "Filesystem",
        "Type",
        "1K-blocks",
        "Used",
        "Available",
        "Use%"
    );
    let mut status = 0;
    for m in &mounts {
        match fs::statfs(&m.target) {
            Ok(s) => {
                let (total, used) = (s.total_bytes() / 1024, s.used_bytes() / 1024);
                let pct = if total == 0 {
                    String::from("-")
                } else {
                    alloc::format!("{}%", (used * 100).div_ceil(total))
                };
                ulib::println!(
                    "{:<12} {:<6} {:>9} {:>9} {:>9} {:>4} {}",
                    m.source,
                    s.fs_type(),
                    total,
                    used,
                    s.avail_bytes() / 1024,
                    pct,
                    m.target
                );
            }
            Err(e) => {
                ulib::cli::error(&m.target, e);
                status = 1;
            }
        }
    }
    status
}
