//! `stat [-L] PATH...`: everything the `stat` call says about a file (chapter 2
//! section 4, file management: file attributes): size, blocks, type, device, inode,
//! links, mode in octal and as `ls` shows it, owner, and the three times (UTC). A
//! symbolic link is described itself unless `-L` says to follow it.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::flags::*;
use ulib::fs::{self, Metadata};
use ulib::time::DateTime;

const USAGE: &str = "stat [-L] PATH...";

fn kind(mode: u32) -> &'static str {
    match mode & S_IFMT {
        S_IFREG => "regular file",
        S_IFDIR => "directory",
        S_IFLNK => "symbolic link",
        S_IFCHR => "character device",
        S_IFBLK => "block device",
        S_IFIFO => "fifo",
        S_IFSOCK => "socket",
        _ => "unknown",
    }
}

fn time(secs: i64) -> String {
    alloc::format!("{} UTC ({secs})", DateTime::from_unix(secs).iso())
}

fn show(path: &str, m: &Metadata) {
    let st = &m.0;
    let name = if m.is_symlink() {
        match fs::read_link(path) {
            Ok(t) => alloc::format!("{path} -> {t}"),
            Err(_) => String::from(path),
        }
    } else {
        String::from(path)
    };
    ulib::println!("  File: {name}");
    ulib::println!(
        "  Size: {:<10} Blocks: {:<8} IO Block: {:<6} {}",
        st.size,
        st.blocks,
        st.blksize,
        kind(st.mode)
    );
    let dev_type = if matches!(st.mode & S_IFMT, S_IFCHR | S_IFBLK) {
        alloc::format!("  Device type: {},{}", st.rdev >> 8, st.rdev & 0xff)
    } else {
        String::new()
    };
    ulib::println!(
        "Device: {:<9} Inode: {:<9} Links: {}{dev_type}",
        st.dev,
        st.ino,
        st.nlink
    );
    ulib::println!(
        "Access: ({:04o}/{})  Uid: {:<5} Gid: {}",
        st.mode & 0o7777,
        m.mode_string(),
        st.uid,
        st.gid
    );
    ulib::println!("Access: {}", time(st.atime));
    ulib::println!("Modify: {}", time(st.mtime));
    ulib::println!("Change: {}", time(st.ctime));
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "L") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    if p.operands.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    let mut status = 0;
    for path in &p.operands {
        let m = if p.has('L') {
            fs::metadata(path)
        } else {
            fs::symlink_metadata(path)
        };
        match m {
            Ok(m) => show(path, &m),
            Err(e) => {
                ulib::cli::error(path, e);
                status = 1;
            }
        }
    }
    status
}
