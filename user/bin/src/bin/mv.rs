//! `mv [-f] SOURCE DEST` or `mv [-f] SOURCE... DIRECTORY`: move or rename files
//! (chapter 2 section 4, file management).
//!
//! Within one file system a move is a single `rename`: the data stays where it is and
//! only directory entries change. Across file systems (`rename` says EXDEV, e.g. from
//! `/` to the tmpfs on `/tmp`) the tree is copied, with its modes and symbolic links,
//! and then the source is removed. `-f` is accepted for compatibility (mv never asks).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs::{self, File, OpenOptions};
use ulib::io::{Read, Write};
use ulib::Errno;

const USAGE: &str = "mv [-f] SOURCE DEST | mv [-f] SOURCE... DIRECTORY";

type Fail = (String, Errno);

fn at(path: &str) -> impl Fn(Errno) -> Fail + '_ {
    move |e| (String::from(path), e)
}

fn base_name(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    t.rsplit('/').next().filter(|s| !s.is_empty()).unwrap_or(t)
}

fn copy_file(src: &str, dst: &str, mode: u32) -> Result<(), Fail> {
    let mut input = File::open(src).map_err(at(src))?;
    let mut out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(dst)
        .map_err(at(dst))?;
    let mut buf = alloc::vec![0u8; 16384];
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => out.write_all(&buf[..n]).map_err(at(dst))?,
            Err(Errno::EINTR) => {}
            Err(e) => return Err((src.into(), e)),
        }
    }
}

/// Copy a whole tree, keeping modes and links.
fn copy_tree(src: &str, dst: &str) -> Result<(), Fail> {
    let m = fs::symlink_metadata(src).map_err(at(src))?;
    if m.is_symlink() {
        let t = fs::read_link(src).map_err(at(src))?;
        return fs::symlink(&t, dst).map_err(at(dst));
    }
    if !m.is_dir() {
        return copy_file(src, dst, m.permissions());
    }
    ulib::sys::mkdir(dst, 0o700).map_err(at(dst))?;
    let names: Vec<String> = fs::read_dir(src)
        .map_err(at(src))?
        .map(|e| e.map(|e| String::from(e.file_name())))
        .collect::<Result<_, _>>()
        .map_err(at(src))?;
    for n in names {
        copy_tree(&fs::join(src, &n), &fs::join(dst, &n))?;
    }
    fs::set_permissions(dst, m.permissions()).map_err(at(dst))
}

/// Remove a whole tree.
fn remove_tree(path: &str) -> Result<(), Fail> {
    let m = fs::symlink_metadata(path).map_err(at(path))?;
    if !m.is_dir() {
        return fs::remove_file(path).map_err(at(path));
    }
    let names: Vec<String> = fs::read_dir(path)
        .map_err(at(path))?
        .map(|e| e.map(|e| String::from(e.file_name())))
        .collect::<Result<_, _>>()
        .map_err(at(path))?;
    for n in names {
        remove_tree(&fs::join(path, &n))?;
    }
    fs::remove_dir(path).map_err(at(path))
}

fn move_one(src: &str, dst: &str) -> Result<(), Fail> {
    match fs::rename(src, dst) {
        Ok(()) => Ok(()),
        Err(Errno::EXDEV) => {
            // Another file system: copy, then remove. Replace like rename would.
            if let Ok(m) = fs::symlink_metadata(dst) {
                let r = if m.is_dir() {
                    fs::remove_dir(dst)
                } else {
                    fs::remove_file(dst)
                };
                r.map_err(at(dst))?;
            }
            copy_tree(src, dst)?;
            remove_tree(src)
        }
        Err(e) => Err((src.into(), e)),
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "f") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let mut ops = p.operands;
    if ops.len() < 2 {
        return ulib::cli::usage_error(USAGE);
    }
    let dest = ops.pop().unwrap_or_default();
    let dest_is_dir = fs::metadata(&dest).is_ok_and(|m| m.is_dir());
    if ops.len() > 1 && !dest_is_dir {
        ulib::cli::error(&dest, Errno::ENOTDIR);
        return 1;
    }
    let mut status = 0;
    for src in &ops {
        let target = if dest_is_dir {
            fs::join(&dest, base_name(src))
        } else {
            dest.clone()
        };
        if let Err((path, e)) = move_one(src, &target) {
            ulib::cli::error(&path, e);
            status = 1;
        }
    }
    status
}
