//! `ln [-sf] TARGET LINK` or `ln [-sf] TARGET... DIRECTORY`: make links (chapter 2
//! section 4, file management). Without `-s` a hard link: a second directory entry for
//! the same inode (same file system only). With `-s` a symbolic link: a small file
//! holding the path `TARGET`, followed when the link is opened, which may dangle and may
//! cross file systems. `-f` replaces an existing `LINK`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs;
use ulib::Errno;

const USAGE: &str = "ln [-sf] TARGET LINK | ln [-sf] TARGET... DIRECTORY";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "sf") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let (symbolic, force) = (p.has('s'), p.has('f'));
    let mut ops = p.operands;
    if ops.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    if ops.len() == 1 {
        ops.push(String::from("."));
    }
    let dest = ops.pop().unwrap_or_default();
    let dest_is_dir = fs::metadata(&dest).is_ok_and(|m| m.is_dir());
    if ops.len() > 1 && !dest_is_dir {
        ulib::cli::error(&dest, Errno::ENOTDIR);
        return 1;
    }
    let mut status = 0;
    for target in &ops {
        let link = if dest_is_dir {
            let t = target.trim_end_matches('/');
            fs::join(&dest, t.rsplit('/').next().unwrap_or(t))
        } else {
            dest.clone()
        };
        if force && fs::symlink_metadata(&link).is_ok_and(|m| !m.is_dir()) {
            let _ = fs::remove_file(&link);
        }
        let r = if symbolic {
            fs::symlink(target, &link)
        } else {
            fs::hard_link(target, &link)
        };
        if let Err(e) = r {
            ulib::cli::error(&link, e);
            status = 1;
        }
    }
    status
}
