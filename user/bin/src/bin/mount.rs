//! `mount` lists the mounted file systems (from `/proc/mounts`); `mount -t TYPE SOURCE TARGET` mounts one
//! (chapter 2 section 4, file management, and 3-2 device management: a disk becomes
//! part of the one directory tree). TYPE is `tmpfs` (SOURCE is then any word, e.g.
//! `none`) or `ext2` (SOURCE a block device such as `/dev/disk0`). `-o nosuid` (or
//! `-o remount,nosuid` / `-o remount,suid` of a mount point alone) makes `exec`
//! ignore the set-user-id and set-group-id bits of its files (`mount_flags`, call
//! 113). `umount` is its own program.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs;

const USAGE: &str =
    "mount | mount -t TYPE [-o nosuid] SOURCE TARGET | mount -o remount,[no]suid TARGET";

/// The mount flags `-o OPTS` asks for, and whether it is a remount; `None` for an
/// option this mount does not know.
fn options(opts: Option<&str>) -> Option<(u32, bool)> {
    let mut flags = 0;
    let mut remount = false;
    for o in opts.unwrap_or("").split(',').filter(|o| !o.is_empty()) {
        match o {
            "nosuid" => flags |= ulib::abi::flags::MS_NOSUID,
            "suid" => flags &= !ulib::abi::flags::MS_NOSUID,
            "remount" => remount = true,
            "rw" | "defaults" => {}
            _ => return None,
        }
    }
    Some((flags, remount))
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let Ok((args, fstype)) = ulib::cli::take_value(&args, 't') else {
        return ulib::cli::usage_error(USAGE);
    };
    let Ok((args, opts)) = ulib::cli::take_value(&args, 'o') else {
        return ulib::cli::usage_error(USAGE);
    };
    let Some((flags, remount)) = options(opts.as_deref()) else {
        ulib::eprintln!("mount: unknown option in '{}'", opts.unwrap_or_default());
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
                    let nosuid = if m.nosuid { ",nosuid" } else { "" };
                    ulib::println!(
                        "{} on {} type {} ({rw}{nosuid})",
                        m.source,
                        m.target,
                        m.fs_type
                    );
                }
                0
            }
            Err(e) => {
                ulib::cli::error("/proc/mounts", e);
                1
            }
        },
        (None, [target]) if remount => set_flags(target, flags),
        (Some(t), [source, target]) if !remount => match fs::mount(source, target, &t) {
            // The flags before anything else runs from the new mount.
            Ok(()) if flags != 0 => set_flags(target, flags),
            Ok(()) => 0,
            Err(e) => {
                ulib::cli::error(target, e);
                1
            }
        },
        _ => ulib::cli::usage_error(USAGE),
    }
}

fn set_flags(target: &str, flags: u32) -> i32 {
    match ulib::sys::mount_flags(target, flags) {
        Ok(_) => 0,
        Err(e) => {
            ulib::cli::error(target, e);
            1
        }
    }
}
