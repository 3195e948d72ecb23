//! `grep [-ivnrc] PATTERN [FILE...]`: print the lines that match a basic regular
//! expression (chapter 2 section 4, file modification: searching file contents).
//! `-i` ignores case, `-v` selects the lines that do not match, `-n` numbers them,
//! `-c` prints only a count per file, `-r` searches directories recursively (the
//! working directory when no file is named). Names are shown when more than one file
//! may be searched.
//!
//! The matcher is the pure `bre` crate (`user/regex`), tested on the host. Exit status:
//! 0 when a line was selected, 1 when none was, 2 on an error.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use bre::Regex;
use ulib::fs;
use ulib::io::{Fd, Read, Write};

const USAGE: &str = "grep [-ivnrc] PATTERN [FILE...]";

struct Grep {
    re: Regex,
    invert: bool,
    number: bool,
    count: bool,
    recursive: bool,
    names: bool,
    matched: bool,
    failed: bool,
}

impl Grep {
    fn search(&mut self, name: &str, data: &[u8]) {
        let mut out = Fd(ulib::io::STDOUT);
        let mut n = 0u64;
        let body = data.strip_suffix(b"\n").unwrap_or(data);
        if data.is_empty() {
            return self.finish_count(name, 0);
        }
        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
            if self.re.is_match(line) == self.invert {
                continue;
            }
            n += 1;
            if self.count {
                continue;
            }
            let mut text = Vec::with_capacity(line.len() + 16);
            if self.names {
                text.extend_from_slice(name.as_bytes());
                text.push(b':');
            }
            if self.number {
                text.extend_from_slice(alloc::format!("{}:", i + 1).as_bytes());
            }
            text.extend_from_slice(line);
            text.push(b'\n');
            if out.write_all(&text).is_err() {
                ulib::process::exit(2);
            }
        }
        self.finish_count(name, n);
    }

    fn finish_count(&mut self, name: &str, n: u64) {
        if n > 0 {
            self.matched = true;
        }
        if self.count {
            if self.names {
                ulib::println!("{name}:{n}");
            } else {
                ulib::println!("{n}");
            }
            ulib::io::flush_stdout();
        }
    }

    fn path(&mut self, path: &str, top: bool) {
        let meta = if top {
            fs::metadata(path)
        } else {
            fs::symlink_metadata(path)
        };
        match meta {
            Ok(m) if m.is_dir() => {
                if !self.recursive {
                    ulib::eprintln!("grep: {path}: is a directory");
                    self.failed = true;
                    return;
                }
                let mut names: Vec<String> = match fs::read_dir(path) {
                    Ok(d) => d
                        .filter_map(|e| e.ok())
                        .map(|e| e.file_name().into())
                        .collect(),
                    Err(e) => {
                        ulib::cli::error(path, e);
                        self.failed = true;
                        return;
                    }
                };
                names.sort();
                for n in names {
                    self.path(&fs::join(path, &n), false);
                }
            }
            Ok(m) if m.is_symlink() => {} // inside a tree: links are not followed
            Ok(_) => match fs::read(path) {
                Ok(data) => self.search(path, &data),
                Err(e) => {
                    ulib::cli::error(path, e);
                    self.failed = true;
                }
            },
            Err(e) => {
                ulib::cli::error(path, e);
                self.failed = true;
            }
        }
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "ivnrRc") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let Some((pattern, files)) = p.operands.split_first() else {
        return ulib::cli::usage_error(USAGE);
    };
    let re = match Regex::with_case(pattern, p.has('i')) {
        Ok(r) => r,
        Err(e) => {
            ulib::eprintln!("grep: {pattern}: {e}");
            return 2;
        }
    };
    let recursive = p.has('r') || p.has('R');
    let mut files: Vec<String> = files.to_vec();
    if files.is_empty() && recursive {
        files.push(String::from("."));
    }
    let mut g = Grep {
        re,
        invert: p.has('v'),
        number: p.has('n'),
        count: p.has('c'),
        recursive,
        names: files.len() > 1 || recursive,
        matched: false,
        failed: false,
    };
    if files.is_empty() {
        let mut data = Vec::new();
        match ulib::io::stdin().read_to_end(&mut data) {
            Ok(_) => g.search("(standard input)", &data),
            Err(e) => {
                ulib::cli::error("(standard input)", e);
                g.failed = true;
            }
        }
    }
    for f in &files {
        if f == "-" {
            let mut data = Vec::new();
            let _ = ulib::io::stdin().read_to_end(&mut data);
            g.search("(standard input)", &data);
        } else {
            g.path(f, true);
        }
    }
    if g.failed {
        2
    } else if g.matched {
        0
    } else {
        1
    }
}
