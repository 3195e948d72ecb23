//! `du [-sk] [PATH...]`: disk space used by files and directory trees (chapter 2
//! section 4, status information). Sizes come from the `blocks` field of `stat` (in
//! 512-byte units: the space really allocated, not the length) and are shown in KiB
//! (`-k` says so explicitly). Every directory is listed with its total unless `-s`
//! asks for one total per argument. A file with several hard links is counted once;
//! symbolic links are not followed.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs;

const USAGE: &str = "du [-sk] [PATH...]";

struct Du {
    summary: bool,
    seen: BTreeSet<(u64, u64)>,
    failed: bool,
}

impl Du {
    /// Blocks (512 bytes) used by `path` and everything below it.
    fn walk(&mut self, path: &str, top: bool) -> u64 {
        let m = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) => {
                ulib::cli::error(path, e);
                self.failed = true;
                return 0;
            }
        };
        if m.nlink() > 1 && !m.is_dir() && !self.seen.insert((m.dev(), m.ino())) {
            return 0;
        }
        let mut total = m.blocks();
        if m.is_dir() {
            match fs::read_dir(path) {
                Ok(d) => {
                    let mut names: Vec<String> = d
                        .filter_map(|e| e.ok())
                        .map(|e| e.file_name().into())
                        .collect();
                    names.sort();
                    for n in names {
                        total += self.walk(&fs::join(path, &n), false);
                    }
                }
                Err(e) => {
                    ulib::cli::error(path, e);
                    self.failed = true;
                }
            }
            if !self.summary || top {
                ulib::println!("{}\t{path}", total.div_ceil(2));
            }
        } else if top {
            ulib::println!("{}\t{path}", total.div_ceil(2));
        }
        total
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "sk") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let mut du = Du {
        summary: p.has('s'),
        seen: BTreeSet::new(),
        failed: false,
    };
    let paths = if p.operands.is_empty() {
        alloc::vec![String::from(".")]
    } else {
        p.operands
    };
    for path in &paths {
        du.walk(path, true);
    }
    if du.failed {
        1
    } else {
        0
    }
}
