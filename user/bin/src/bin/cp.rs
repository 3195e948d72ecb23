//! `cp [-rf] SOURCE DEST` or `cp [-rf] SOURCE... DIRECTORY`: copy files (chapter 2
//! section 4, file management). `-r` copies directories and everything in them
//! (symbolic links are copied as links); `-f` removes a destination that cannot be
//! opened and tries again.
//!
//! A copied file gets its source's permission bits. Copying a directory into itself
//! is refused, since it would never end.

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

const USAGE: &str = "cp [-rf] SOURCE DEST | cp [-rf] SOURCE... DIRECTORY";

struct Opts {
    recursive: bool,
    force: bool,
}

/// The last path component (`a/b/` gives `b`).
fn base_name(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    t.rsplit('/').next().filter(|s| !s.is_empty()).unwrap_or(t)
}

/// Copy one regular file's bytes; the error names the path it is about.
fn copy_file(src: &str, dst: &str, mode: u32, o: &Opts) -> Result<(), (String, Errno)> {
    let mut input = File::open(src).map_err(|e| (String::from(src), e))?;
    let open = || {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode & 0o7777)
            .open(dst)
    };
    let mut out = match open() {
        Err(e) if o.force && e != Errno::ENOENT => {
            let _ = fs::remove_file(dst);
            open()
        }
        r => r,
    }
    .map_err(|e| (String::from(dst), e))?;
    let mut buf = alloc::vec![0u8; 16384];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err((src.into(), e)),
        };
        out.write_all(&buf[..n])
            .map_err(|e| (String::from(dst), e))?;
    }
}

/// Copy `src` (of any kind) to `dst`; false if anything failed (already reported).
fn copy(src: &str, dst: &str, o: &Opts, top: bool) -> bool {
    // At the top, follow a link named on the command line; inside a tree, copy links.
    let meta = if top {
        fs::metadata(src)
    } else {
        fs::symlink_metadata(src)
    };
    let m = match meta {
        Ok(m) => m,
        Err(e) => {
            ulib::cli::error(src, e);
            return false;
        }
    };
    if m.is_symlink() {
        let r = fs::read_link(src).and_then(|t| {
            if o.force {
                let _ = fs::remove_file(dst);
            }
            fs::symlink(&t, dst)
        });
        return report(dst, r);
    }
    if m.is_dir() {
        if !o.recursive {
            ulib::eprintln!("cp: -r not specified; omitting directory '{src}'");
            return false;
        }
        return copy_dir(src, dst, m.permissions(), o);
    }
    match copy_file(src, dst, m.permissions(), o) {
        Ok(()) => true,
        Err((path, e)) => {
            ulib::cli::error(&path, e);
            false
        }
    }
}

fn report(path: &str, r: ulib::Result<()>) -> bool {
    match r {
        Ok(()) => true,
        Err(e) => {
            ulib::cli::error(path, e);
            false
        }
    }
}

fn copy_dir(src: &str, dst: &str, mode: u32, o: &Opts) -> bool {
    match ulib::sys::mkdir(dst, mode | 0o700) {
        Ok(_) => {}
        Err(Errno::EEXIST) if fs::metadata(dst).is_ok_and(|m| m.is_dir()) => {}
        Err(e) => {
            ulib::cli::error(dst, e);
            return false;
        }
    }
    let entries = match fs::read_dir(src) {
        Ok(d) => d,
        Err(e) => {
            ulib::cli::error(src, e);
            return false;
        }
    };
    let mut ok = true;
    let names: Vec<String> = entries
        .filter_map(|e| match e {
            Ok(e) => Some(String::from(e.file_name())),
            Err(err) => {
                ulib::cli::error(src, err);
                ok = false;
                None
            }
        })
        .collect();
    for name in names {
        ok &= copy(&fs::join(src, &name), &fs::join(dst, &name), o, false);
    }
    if mode & 0o700 != 0o700 {
        let _ = fs::set_permissions(dst, mode);
    }
    ok
}

/// Whether `inner` is `outer` or lies inside it (compared by inode along the parents).
fn inside(inner: &str, outer: &str) -> bool {
    let Ok(o) = fs::metadata(outer) else {
        return false;
    };
    let mut p = String::from(inner);
    for _ in 0..64 {
        if let Ok(m) = fs::metadata(&p) {
            if m.ino() == o.ino() && m.dev() == o.dev() {
                return true;
            }
            if m.ino()
                == fs::metadata(&fs::join(&p, ".."))
                    .map(|m| m.ino())
                    .unwrap_or(0)
            {
                return false; // reached the root
            }
        }
        p = fs::join(&p, "..");
    }
    false
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "rRf") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let o = Opts {
        recursive: p.has('r') || p.has('R'),
        force: p.has('f'),
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
    let mut ok = true;
    for src in &ops {
        let target = if dest_is_dir {
            fs::join(&dest, base_name(src))
        } else {
            dest.clone()
        };
        if fs::metadata(src).is_ok_and(|m| m.is_dir()) && o.recursive {
            let parent = target.rsplit_once('/').map(|(p, _)| p).unwrap_or(".");
            let parent = if parent.is_empty() { "/" } else { parent };
            if inside(parent, src) {
                ulib::eprintln!("cp: cannot copy a directory, '{src}', into itself, '{target}'");
                ok = false;
                continue;
            }
        }
        if let (Ok(a), Ok(b)) = (fs::metadata(src), fs::metadata(&target)) {
            if a.ino() == b.ino() && a.dev() == b.dev() {
                ulib::eprintln!("cp: '{src}' and '{target}' are the same file");
                ok = false;
                continue;
            }
        }
        ok &= copy(src, &target, &o, true);
    }
    if ok {
        0
    } else {
        1
    }
}
