//! `chmod MODE FILE...`: change permission bits (chapter 2 section 4 file management,
//! and 3-2 protection: who may read, write or run a file). `MODE` is octal (`755`,
//! `0644`, `4755`) or symbolic: comma-separated `[ugoa]*[+-=][rwxst]*` clauses
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

/// The new mode for a file whose mode is `old`, or `None` if `spec` is malformed.
fn apply(spec: &str, old: u32) -> Option<u32> {
    if !spec.is_empty() && spec.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return u32::from_str_radix(spec, 8).ok().filter(|&m| m <= 0o7777);
    }
    let mut mode = old & 0o7777;
    for clause in spec.split(',') {
        let op_at = clause.find(['+', '-', '='])?;
        let mut who = 0;
        for c in clause[..op_at].chars() {
            who |= match c {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                'a' => 0o7777,
                _ => return None,
            };
        }
        if who == 0 {
            who = 0o7777;
        }
        let mut rest = &clause[op_at..];
        while let Some(op) = rest.chars().next() {
            let perms_end = rest[1..]
                .find(['+', '-', '='])
                .map_or(rest.len(), |i| i + 1);
            let mut bits = 0;
            for c in rest[1..perms_end].chars() {
                bits |= match c {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    's' => 0o6000,
                    't' => 0o1000,
                    _ => return None,
                };
            }
            let bits = bits & who;
            match op {
                '+' => mode |= bits,
                '-' => mode &= !bits,
                _ => mode = (mode & !(who & 0o777)) | bits,
            }
            rest = &rest[perms_end..];
        }
    }
    Some(mode)
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    // A mode such as `-w` looks like an option: take the first word as the mode.
    let (spec, files) = match args.split_first() {
        Some((m, rest)) if m != "--" => (m.clone(), rest.to_vec()),
        Some((_, rest)) if !rest.is_empty() => (rest[0].clone(), rest[1..].to_vec()),
        _ => return ulib::cli::usage_error(USAGE),
    };
    if files.is_empty() || apply(&spec, 0).is_none() {
        if apply(&spec, 0).is_none() {
            ulib::eprintln!("chmod: invalid mode: '{spec}'");
        }
        return ulib::cli::usage_error(USAGE);
    }
    let mut status = 0;
    for f in &files {
        let r = fs::metadata(f).and_then(|m| {
            let new = apply(&spec, m.permissions()).unwrap_or(m.permissions());
            fs::set_permissions(f, new)
        });
        if let Err(e) = r {
            ulib::cli::error(f, e);
            status = 1;
        }
    }
    status
}
