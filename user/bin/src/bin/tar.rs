//! `tar -c|-t|-x [-v] [-f ARCHIVE] [-C DIR] [FILE...]`: create, list or extract ustar
//! archives (`utilcore::tar` has the format), readable by GNU tar and reading its
//! `--format=ustar` archives. The first argument may omit its `-` (`tar cvf a.tar d`).
//! Exit status 0, or 2 when something could not be archived or extracted (the rest
//! is still done), as GNU tar gives.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs::FileTime;
use ulib::io::Write;
use ulib::time::DateTime;
use utilcore::tar::{self, Header, Kind};

const USAGE: &str = "tar -c|-t|-x [-v] [-f ARCHIVE] [-C DIR] [FILE...]";
const ABOUT: &str = "Create (-c), list (-t) or extract (-x) a ustar archive.
  -f ARCHIVE  the archive file (- or none: standard input or output)
  -v          name each member (with -t: a long listing, as ls -l)
  -C DIR      change to DIR first
With -c the FILEs (directories recursively) are archived; with -t and -x, only the
members named by the FILEs (or inside them) are listed or extracted.";

/// What one run is doing, and the worst status so far.
struct Tar {
    verbose: bool,
    /// Where -v names go: standard error when the archive is on standard output.
    names_to_stderr: bool,
    status: i32,
}

impl Tar {
    fn note(&self, name: &str) {
        if self.names_to_stderr {
            ulib::eprintln!("{name}");
        } else {
            ulib::println!("{name}");
        }
    }

    fn fail(&mut self, what: &str, e: &dyn core::fmt::Display) {
        ulib::eprintln!("tar: {what}: {e}");
        self.status = 2;
    }

    /// Append `path` (and, for a directory, everything under it) to `out`.
    fn add(&mut self, path: &str, out: &mut Vec<u8>) {
        let meta = match ulib::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) => return self.fail(path, &e),
        };
        let mut name = String::from(path.trim_start_matches('/'));
        if name.is_empty() {
            name = String::from(".");
        }
        let mut h = Header {
            name: name.clone(),
            mode: meta.permissions(),
            uid: meta.uid(),
            gid: meta.gid(),
            size: 0,
            mtime: meta.mtime(),
            kind: Kind::File,
            link: String::new(),
            uname: String::from(if meta.uid() == 0 { "root" } else { "" }),
            gname: String::from(if meta.gid() == 0 { "root" } else { "" }),
        };
        let mut data = Vec::new();
        if meta.is_dir() {
            h.kind = Kind::Dir;
            if !h.name.ends_with('/') {
                h.name.push('/');
            }
        } else if meta.is_symlink() {
            h.kind = Kind::Symlink;
            match ulib::fs::read_link(path) {
                Ok(l) => h.link = l,
                Err(e) => return self.fail(path, &e),
            }
        } else if meta.is_file() {
            match ulib::fs::read(path) {
                Ok(d) => data = d,
                Err(e) => return self.fail(path, &e),
            }
            h.size = data.len() as u64;
        } else {
            return self.fail(
                path,
                &"not a file, directory or symbolic link; not archived",
            );
        }
        match h.encode() {
            Ok(block) => out.extend_from_slice(&block),
            Err(e) => return self.fail(path, &e),
        }
        out.extend_from_slice(&tar::padded(&data));
        if self.verbose {
            self.note(&h.name);
        }
        if meta.is_dir() {
            let mut names: Vec<String> = match ulib::fs::read_dir(path) {
                Ok(rd) => rd
                    .filter_map(|e| e.ok())
                    .map(|e| String::from(e.file_name()))
                    .collect(),
                Err(e) => return self.fail(path, &e),
            };
            names.sort();
            for n in names {
                self.add(&ulib::fs::join(path, &n), out);
            }
        }
    }

    /// Extract one member.
    fn extract(&mut self, h: &Header, data: &[u8]) {
        let name = h.name.trim_start_matches('/').trim_end_matches('/');
        if name.is_empty() || name.split('/').any(|c| c == "..") {
            return self.fail(&h.name, &"member name contains '..' or is empty; skipped");
        }
        if let Some((dir, _)) = name.rsplit_once('/') {
            let _ = ulib::fs::create_dir_all(dir);
        }
        let r = match h.kind {
            Kind::Dir => match ulib::fs::create_dir_all(name) {
                Ok(()) => ulib::fs::chmod(name, h.mode & 0o7777),
                Err(e) => Err(e),
            },
            Kind::File => {
                let _ = ulib::fs::remove_file(name);
                ulib::fs::write(name, data)
                    .and_then(|()| ulib::fs::chmod(name, h.mode & 0o7777))
                    .and_then(|()| {
                        let t = FileTime::At(h.mtime.max(0) as u64);
                        ulib::fs::set_times(name, t, t)
                    })
            }
            Kind::Symlink => {
                let _ = ulib::fs::remove_file(name);
                ulib::fs::symlink(&h.link, name)
            }
            Kind::Other(_) => {
                return self.fail(&h.name, &"member of a type that is not extracted");
            }
        };
        if let Err(e) = r {
            return self.fail(name, &e);
        }
        if self.verbose {
            self.note(&h.name);
        }
    }
}

/// Whether member `name` is selected by the operands (all, if there are none).
fn selected(name: &str, wanted: &[String]) -> bool {
    let name = name.trim_end_matches('/');
    wanted.is_empty()
        || wanted.iter().any(|w| {
            let w = w.trim_end_matches('/');
            name == w || name.starts_with(w) && name.as_bytes().get(w.len()) == Some(&b'/')
        })
}

fn type_bits(k: Kind) -> u32 {
    match k {
        Kind::Dir => 0o040000,
        Kind::Symlink => 0o120000,
        _ => 0o100000,
    }
}

fn main() -> i32 {
    let mut args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    if let Some(first) = args.first_mut() {
        if !first.starts_with('-') {
            first.insert(0, '-');
        }
    }
    let o = match utilcore::opts::parse(&args, "ctxvo", "fC") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_error(&e, USAGE),
    };
    let modes: Vec<char> = ['c', 't', 'x'].into_iter().filter(|&c| o.has(c)).collect();
    let [mode] = modes.as_slice() else {
        ulib::eprintln!("tar: give exactly one of -c, -t and -x");
        return ulib::cli::usage_error(USAGE);
    };
    let archive = o.value('f').unwrap_or("-");
    let mut t = Tar {
        verbose: o.has('v'),
        names_to_stderr: *mode == 'c' && archive == "-",
        status: 0,
    };
    // The archive is opened before -C, as GNU tar does for a relative -f.
    let input = if *mode == 'c' {
        Vec::new()
    } else {
        match ulib::cli::read_operand(archive) {
            Ok(d) => d,
            Err(e) => {
                ulib::cli::error(archive, e);
                return 2;
            }
        }
    };
    let out_path = if archive == "-" {
        None
    } else {
        match ulib::env::current_dir() {
            Ok(cwd) if !archive.starts_with('/') => Some(ulib::fs::join(&cwd, archive)),
            _ => Some(String::from(archive)),
        }
    };
    if let Some(dir) = o.value('C') {
        if let Err(e) = ulib::env::set_current_dir(dir) {
            ulib::cli::error(dir, e);
            return 2;
        }
    }
    match mode {
        'c' => {
            if o.operands.is_empty() {
                ulib::eprintln!("tar: refusing to create an empty archive");
                return 2;
            }
            let mut out = Vec::new();
            for p in &o.operands {
                t.add(p, &mut out);
            }
            out.extend_from_slice(&tar::trailer());
            // GNU tar writes whole records of 20 blocks.
            out.resize(out.len().div_ceil(20 * tar::BLOCK) * 20 * tar::BLOCK, 0);
            let r = match &out_path {
                Some(p) => ulib::fs::write(p, &out),
                None => {
                    let mut s = ulib::io::stdout();
                    s.write_all(&out).and_then(|()| s.flush())
                }
            };
            if let Err(e) = r {
                ulib::cli::error(archive, e);
                return 2;
            }
        }
        _ => {
            let members = match tar::members(&input) {
                Ok(m) => m,
                Err(e) => {
                    ulib::eprintln!("tar: {archive}: {e}");
                    return 2;
                }
            };
            let mut found = alloc::vec![false; o.operands.len()];
            for (h, data) in &members {
                if !selected(&h.name, &o.operands) {
                    continue;
                }
                for (k, w) in o.operands.iter().enumerate() {
                    found[k] |= selected(&h.name, core::slice::from_ref(w));
                }
                if *mode == 'x' {
                    t.extract(h, data);
                } else if t.verbose {
                    let dt = DateTime::from_unix(h.mtime);
                    let date = alloc::format!(
                        "{:04}-{:02}-{:02} {:02}:{:02}",
                        dt.year,
                        dt.month,
                        dt.day,
                        dt.hour,
                        dt.minute
                    );
                    let mode = ulib::fs::mode_string(h.mode | type_bits(h.kind));
                    ulib::println!("{}", tar::long_listing(h, &mode, &date));
                } else {
                    ulib::println!("{}", h.name);
                }
            }
            for (w, f) in o.operands.iter().zip(found) {
                if !f {
                    ulib::eprintln!("tar: {w}: not found in archive");
                    t.status = 2;
                }
            }
        }
    }
    t.status
}
