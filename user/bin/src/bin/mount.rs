//! `mount` lists the mounted file systems (from `/proc/mounts`); `mount -t TYPE SOURCE TARGET` mounts one
//! (chapter 2 section 4, file management, and 3-2 device management: a disk becomes
//! part of the one directory tree). TYPE is `tmpfs` (SOURCE is then any word, e.g.
//! `none`) or `ext2` (SOURCE a block device such as `/dev/disk0`). `umount` is its
//! own program.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs;

const USAGE: &str = "mount | mount -t TYPE SOURCE TARGET";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let Ok((args, fstype)) = ulib::cli::take_value(&args, 't') else {
        return ulib::cli::usage_error(USAGE);
    };
    let p = match ulib::cli::parse(&args, "") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    match (fstype, p.operands.as_slice()) {
        (None, []) => match ulib::procfs::mounts() {
            Ok(list) => {
                for m in list {
                    let rw = if m.read_only { "ro" } else { "rw" };
                    ulib::println!("{} on {} type {} ({rw})", m.source, m.target, m.fs_type);
                }
                0
            }
            Err(e) => {
                ulib::cli::error("/proc/mounts", e);
                1
            }
        },
        (Some(t), [source, target]) => match fs::mount(source, target, &t) {
            Ok(()) => 0,
            Err(e) => {
                ulib::cli::error(target, e);
                1
            }
        },
        _ => ulib::cli::usage_error(USAGE),
    }
}
