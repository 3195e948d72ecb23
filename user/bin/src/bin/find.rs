//! `find [PATH...] [-name PATTERN] [-type f|d|l] [-print]`: walk directory trees and
//! print the paths that pass every test (chapter 2 section 4, file management).
//! `-name` matches the last path component against a shell glob (`*.rs`, `a?c`,
//! `[ab]*`; the shell's own matcher, `shparse::glob_match_filename`, so `*` does not
//! match a leading dot); `-type` selects regular files, directories or symbolic links.
//! With no path, `.` is searched.
//!
//! Symbolic links are never followed, so a link loop cannot trap the walk. Entries are
//! visited in name order, each directory before what it contains.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use shparse::glob_match_filename;
use ulib::fs::{self, Metadata};

const USAGE: &str = "find [PATH...] [-name PATTERN] [-type f|d|l] [-print]";

enum Test {
    Name(String),
    Type(char),
}

fn passes(tests: &[Test], path: &str, m: &Metadata) -> bool {
    let t = path.trim_end_matches('/');
    let base = if t.is_empty() {
        "/"
    } else {
        t.rsplit('/').next().unwrap_or(t)
    };
    tests.iter().all(|t| match t {
        Test::Name(p) => glob_match_filename(p, base),
        Test::Type('f') => m.is_file(),
        Test::Type('d') => m.is_dir(),
        Test::Type('l') => m.is_symlink(),
        Test::Type(_) => false,
    })
}

/// Visit `path` and everything below it; false if something could not be read.
fn walk(path: &str, tests: &[Test]) -> bool {
    let m = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            ulib::cli::error(path, e);
            return false;
        }
    };
    if passes(tests, path, &m) {
        ulib::println!("{path}");
    }
    if !m.is_dir() {
        return true;
    }
    let mut names: Vec<String> = match fs::read_dir(path) {
        Ok(d) => d
            .filter_map(|e| e.ok())
            .map(|e| String::from(e.file_name()))
            .collect(),
        Err(e) => {
            ulib::cli::error(path, e);
            return false;
        }
    };
    names.sort();
    let mut ok = true;
    for n in names {
        ok &= walk(&fs::join(path, &n), tests);
    }
    ok
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let split = args
        .iter()
        .position(|a| a.starts_with('-') && a.len() > 1)
        .unwrap_or(args.len());
    let mut paths: Vec<String> = args[..split].to_vec();
    if paths.is_empty() {
        paths.push(String::from("."));
    }
    let mut tests = Vec::new();
    let mut rest = args[split..].iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "-print" => {}
            "-name" => match rest.next() {
                Some(p) => tests.push(Test::Name(p.clone())),
                None => return ulib::cli::usage_error(USAGE),
            },
            "-type" => match rest.next().map(String::as_str) {
                Some(t @ ("f" | "d" | "l")) => {
                    tests.push(Test::Type(t.chars().next().unwrap_or('f')))
                }
                Some(t) => {
                    ulib::eprintln!("find: unknown type '{t}' (f, d or l)");
                    return ulib::cli::usage_error(USAGE);
                }
                None => return ulib::cli::usage_error(USAGE),
            },
            other => {
                ulib::eprintln!("find: unknown predicate '{other}'");
                return ulib::cli::usage_error(USAGE);
            }
        }
    }
    let mut ok = true;
    for p in &paths {
        ok &= walk(p, &tests);
    }
    if ok {
        0
    } else {
        1
    }
}
