//! `durable HOW FILE TEXT`: write TEXT (and a newline) to FILE, made durable the way
//! HOW says, then print `durable: HOW FILE done` (chapter 2 section 4, file
//! management: what reaches the disk when).
//!
//! HOW is one of
//! - `none`: write and close, nothing more: the data waits in the block cache;
//! - `fsync`, `fdatasync`: write, then the call;
//! - `osync`, `odsync`: open with `O_SYNC` or `O_DSYNC`, so the write itself waits;
//! - `sync`: write, close, then `sync()` for every file system.
//!
//! The line is printed only after the call that promises durability has returned, so
//! a test can cut the machine's power the moment it sees the line and then look for
//! the data on the disk image (`xtask/src/storagetest.rs`).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::flags::{O_DSYNC, O_SYNC};
use ulib::fs::{self, OpenOptions};
use ulib::io::Write;

const USAGE: &str = "durable none|fsync|fdatasync|osync|odsync|sync FILE TEXT";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let [how, path, text] = args.as_slice() else {
        return ulib::cli::usage_error(USAGE);
    };
    let flags = match how.as_str() {
        "osync" => O_SYNC,
        "odsync" => O_DSYNC,
        "none" | "fsync" | "fdatasync" | "sync" => 0,
        _ => return ulib::cli::usage_error(USAGE),
    };
    let mut data = text.clone().into_bytes();
    data.push(b'\n');
    let written = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(flags)
        .open(path)
        .and_then(|mut f| {
            f.write_all(&data)?;
            match how.as_str() {
                "fsync" => f.sync_all(),
                "fdatasync" => f.sync_data(),
                _ => Ok(()),
            }
        });
    let durable = written.and_then(|()| match how.as_str() {
        "sync" => fs::sync(),
        _ => Ok(()),
    });
    match durable {
        Ok(()) => {
            ulib::println!("durable: {how} {path} done");
            0
        }
        Err(e) => {
            ulib::cli::error(path, e);
            1
        }
    }
}
