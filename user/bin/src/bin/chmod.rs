//! `chmod MODE FILE...`: change permission bits (chapter 2 section 4 file management,
//! and 3-2 protection: who may read, write or run a file). `MODE` is octal (`755`,
//! `0644`, `4755`) or symbolic: comma-separated `[ugoa]*[+-=][rwxXst]*` clauses
//! (`+x`, `u+x,go-w`, `a=r`). Symbolic links are followed.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs;

const USAGE: &str = "chmod MODE FILE...";

/// The new mode for a file whose mode is `old`, or `None` if `spec` is malformed
/// (`shcore::mode`, shared with the shell's `umask`).
fn apply(spec: &str, old: u32, is_dir: bool) -> Option<u32> {
    shcore::mode::apply(spec, old, is_dir)
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    // A mode such as `-w` looks like an option: take the first word as the mode.
    let (spec, files) = match args.split_first() {
        Some((m, rest)) if m != "--" => (m.clone(), rest.to_vec()),
        Some((_, rest)) if !rest.is_empty() => (rest[0].clone(), rest[1..].to_vec()),
        _ => return ulib::cli::usage_error(USAGE),
    };
    if files.is_empty() || apply(&spec, 0, false).is_none() {
        if apply(&spec, 0, false).is_none() {
            ulib::eprintln!("chmod: invalid mode: '{spec}'");
        }
        return ulib::cli::usage_error(USAGE);
    }
    let mut status = 0;
    for f in &files {
        let r = fs::metadata(f).and_then(|m| {
            let new = apply(&spec, m.permissions(), m.is_dir()).unwrap_or(m.permissions());
            fs::set_permissions(f, new)
        });
        if let Err(e) = r {
            ulib::cli::error(f, e);
            status = 1;
        }
    }
    status
}
