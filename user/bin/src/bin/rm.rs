//! `rm [-rf] PATH...`: remove files (chapter 2 section 4, file management). `-r`
//! removes directories and everything below them (children first, since only an empty
//! directory can go); `-f` ignores paths that do not exist and never complains about
//! missing operands.
//!
//! A symbolic link is removed itself, never followed.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs;
use ulib::Errno;

const USAGE: &str = "rm [-rf] PATH...";

/// Remove `path`; false if something failed (already reported).
fn remove(path: &str, recursive: bool, force: bool) -> bool {
    let m = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(Errno::ENOENT) if force => return true,
        Err(e) => {
            ulib::cli::error(path, e);
            return false;
        }
    };
    if m.is_dir() {
        if !recursive {
            ulib::cli::error(path, Errno::EISDIR);
            return false;
        }
        let entries = match fs::read_dir(path) {
            Ok(d) => d,
            Err(e) => {
                ulib::cli::error(path, e);
                return false;
            }
        };
        let names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| String::from(e.file_name()))
            .collect();
        let mut ok = true;
        for n in names {
            ok &= remove(&fs::join(path, &n), recursive, force);
        }
        if let Err(e) = fs::remove_dir(path) {
            ulib::cli::error(path, e);
            return false;
        }
        return ok;
    }
    match fs::remove_file(path) {
        Ok(()) => true,
        Err(e) => {
            ulib::cli::error(path, e);
            false
        }
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "rRf") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let (recursive, force) = (p.has('r') || p.has('R'), p.has('f'));
    if p.operands.is_empty() {
        return if force {
            0
        } else {
            ulib::cli::usage_error(USAGE)
        };
    }
    let mut ok = true;
    for path in &p.operands {
        let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        if last == "." || last == ".." || path.trim_end_matches('/').is_empty() {
            ulib::eprintln!("rm: refusing to remove '.', '..' or '/': {path}");
            ok = false;
            continue;
        }
        ok &= remove(path, recursive, force);
    }
    if ok {
        0
    } else {
        1
    }
}
