//! `mkdir [-p] [-m MODE] DIR...`: make directories (chapter 2 section 4, file
//! management). `-p` also makes missing parents and is quiet about directories that
//! already exist; `-m` gives the new directories an octal mode (else 0777, less what
//! the kernel masks).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs;
use ulib::Errno;

const USAGE: &str = "mkdir [-p] [-m MODE] DIR...";

/// Make `path` and any missing parents with `mode`.
fn make_all(path: &str, mode: u32) -> ulib::Result<()> {
    match ulib::sys::mkdir(path, mode) {
        Ok(_) => Ok(()),
        Err(Errno::EEXIST) if fs::metadata(path).is_ok_and(|m| m.is_dir()) => Ok(()),
        Err(Errno::ENOENT) => {
            let trimmed = path.trim_end_matches('/');
            match trimmed.rsplit_once('/') {
                Some((parent, _)) if !parent.is_empty() => make_all(parent, 0o777)?,
                _ => return Err(Errno::ENOENT),
            }
            match ulib::sys::mkdir(path, mode) {
                Ok(_) | Err(Errno::EEXIST) => Ok(()),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let Ok((args, mode)) = ulib::cli::take_value(&args, 'm') else {
        return ulib::cli::usage_error(USAGE);
    };
    let p = match ulib::cli::parse(&args, "p") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let mode = match mode.as_deref().map(|m| u32::from_str_radix(m, 8)) {
        None => None,
        Some(Ok(m)) if m <= 0o7777 => Some(m),
        Some(_) => {
            ulib::eprintln!("mkdir: invalid mode (octal expected)");
            return ulib::cli::usage_error(USAGE);
        }
    };
    if p.operands.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    let mut status = 0;
    for dir in &p.operands {
        let r = if p.has('p') {
            make_all(dir, mode.unwrap_or(0o777))
        } else {
            ulib::sys::mkdir(dir, mode.unwrap_or(0o777)).map(|_| ())
        };
        // An explicit mode is exact, whatever the kernel's mask took away.
        let r = r.and_then(|()| match mode {
            Some(m) if fs::metadata(dir).map_or(true, |d| d.permissions() != m) => {
                fs::set_permissions(dir, m)
            }
            _ => Ok(()),
        });
        if let Err(e) = r {
            ulib::cli::error(dir, e);
            status = 1;
        }
    }
    status
}
