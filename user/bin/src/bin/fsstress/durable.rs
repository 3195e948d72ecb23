//! The write mode, `fsstress -w HOW FILE TEXT`: write TEXT (and a newline) to FILE,
//! made durable the way HOW says, for the power-cut tests (`xtask/src/storagetest.rs`).
//!
//! HOW is one of
//! - `none`: write and close, nothing more: the data waits in the block cache;
//! - `fsync`, `fdatasync`: write, then the call;
//! - `osync`, `odsync`: open with `O_SYNC` or `O_DSYNC`, so the write itself waits;
//! - `sync`: write, close, then `sync()` for every file system.
//!
//! The caller prints its line only after this returned, that is after the call that
//! promises durability returned, so a test can cut the machine's power the moment it
//! sees the line and then look for the data on the disk image.

use alloc::vec::Vec;
use ulib::abi::flags::{O_DSYNC, O_SYNC};
use ulib::fs::{self, OpenOptions};
use ulib::io::Write;
use ulib::Errno;

/// The ways of writing the mode knows.
pub const HOWS: [&str; 6] = ["none", "fsync", "fdatasync", "osync", "odsync", "sync"];

/// Write `text` and a newline to `path`, made durable by `how` (one of [`HOWS`]).
pub fn write(how: &str, path: &str, text: &str) -> Result<(), Errno> {
    let flags = match how {
        "osync" => O_SYNC,
        "odsync" => O_DSYNC,
        _ => 0,
    };
    let mut data: Vec<u8> = text.as_bytes().to_vec();
    data.push(b'\n');
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(flags)
        .open(path)?;
    f.write_all(&data)?;
    match how {
        "fsync" => f.sync_all()?,
        "fdatasync" => f.sync_data()?,
        _ => {}
    }
    drop(f);
    if how == "sync" {
        fs::sync()?;
    }
    Ok(())
}
