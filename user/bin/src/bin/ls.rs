//! `ls [-alR] [PATH...]`: list directories (sorted by name). `-l`: mode, links, owner
//! and group (their names from `/etc/passwd` and `/etc/group`, the number when it has
//! none), size, modification time (UTC) and name (`-> target` for a symbolic link);
//! `-a`: include names starting with `.`, and `.` and `..`; `-R`: recurse.
//!
//! The account files are read once per run, at the first long listing, not once per
//! file: `ls -l` of a directory of a thousand entries stays a thousand `lstat`s.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use ulib::fs::{self, Metadata};
use ulib::time::DateTime;
use ulib::users::{self, GroupRecord, PasswdRecord};

const USAGE: &str = "ls [-alR] [PATH...]";

struct Opts {
    long: bool,
    all: bool,
    recursive: bool,
    /// Read at the first long listing.
    names: core::cell::OnceCell<Names>,
}

/// A name to print with what `lstat` said about it (if anything).
struct Item {
    name: String,
    path: String,
    meta: Option<Metadata>,
}

fn time_string(secs: i64) -> String {
    let d = DateTime::from_unix(secs);
    alloc::format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.year,
        d.month,
        d.day,
        d.hour,
        d.minute
    )
}

/// User and group names by number, read once from the account files.
struct Names {
    users: Vec<(u32, String)>,
    groups: Vec<(u32, String)>,
}

impl Names {
    fn load() -> Names {
        Names {
            users: users::records::<PasswdRecord>(users::PASSWD)
                .into_iter()
                .map(|p| (p.uid, p.name))
                .collect(),
            groups: users::records::<GroupRecord>(users::GROUP)
                .into_iter()
                .map(|g| (g.gid, g.name))
                .collect(),
        }
    }

    /// The first name of `id` in `table`, or the number.
    fn of(table: &[(u32, String)], id: u32) -> String {
        table
            .iter()
            .find(|(n, _)| *n == id)
            .map_or_else(|| id.to_string(), |(_, name)| name.clone())
    }

    fn user(&self, uid: u32) -> String {
        Names::of(&self.users, uid)
    }

    fn group(&self, gid: u32) -> String {
        Names::of(&self.groups, gid)
    }
}

fn print_items(items: &[Item], o: &Opts) {
    if !o.long {
        for it in items {
            ulib::println!("{}", it.name);
        }
        return;
    }
    let names = o.names.get_or_init(Names::load);
    let width = |f: &dyn Fn(&Metadata) -> String| {
        items
            .iter()
            .filter_map(|i| i.meta.as_ref())
            .map(|m| f(m).len())
            .max()
            .unwrap_or(1)
    };
    let (wl, wu, wg, ws) = (
        width(&|m| m.nlink().to_string()),
        width(&|m| names.user(m.uid())),
        width(&|m| names.group(m.gid())),
        width(&|m| m.len().to_string()),
    );
    for it in items {
        let Some(m) = &it.meta else {
            ulib::println!("?????????? {}", it.name);
            continue;
        };
        let mut line = alloc::format!(
            "{} {:>wl$} {:<wu$} {:<wg$} {:>ws$} {} {}",
            m.mode_string(),
            m.nlink(),
            names.user(m.uid()),
            names.group(m.gid()),
            m.len(),
            time_string(m.mtime()),
            it.name
        );
        if m.is_symlink() {
            if let Ok(t) = fs::read_link(&it.path) {
                line.push_str(" -> ");
                line.push_str(&t);
            }
        }
        ulib::println!("{line}");
    }
}

/// List one directory; returns false if anything failed.
fn list_dir(path: &str, o: &Opts, header: bool) -> bool {
    let mut ok = true;
    let entries = match fs::read_dir(path) {
        Ok(d) => d,
        Err(e) => {
            ulib::cli::error(path, e);
            return false;
        }
    };
    let mut items = Vec::new();
    if o.all {
        for dot in [".", ".."] {
            let p = fs::join(path, dot);
            items.push(Item {
                name: dot.into(),
                meta: fs::symlink_metadata(&p).ok(),
                path: p,
            });
        }
    }
    for e in entries {
        match e {
            Ok(e) => {
                if !o.all && e.file_name().starts_with('.') {
                    continue;
                }
                let meta = if o.long || o.recursive {
                    e.metadata().ok()
                } else {
                    None
                };
                items.push(Item {
                    name: e.file_name().into(),
                    path: e.path(),
                    meta,
                });
            }
            Err(err) => {
                ulib::cli::error(path, err);
                ok = false;
            }
        }
    }
    items.sort_by(|a, b| a.name.cmp(&b.name));
    if header {
        ulib::println!("{path}:");
    }
    print_items(&items, o);
    if o.recursive {
        for it in &items {
            let is_dir = it.meta.as_ref().is_some_and(|m| m.is_dir());
            if is_dir && it.name != "." && it.name != ".." {
                ulib::println!();
                ok &= list_dir(&it.path, o, true);
            }
        }
    }
    ok
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "alR1") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let o = Opts {
        long: p.has('l'),
        all: p.has('a'),
        recursive: p.has('R'),
        names: core::cell::OnceCell::new(),
    };
    let mut operands = p.operands;
    if operands.is_empty() {
        operands.push(".".into());
    }
    operands.sort();
    let mut ok = true;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for path in &operands {
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => dirs.push(path.clone()),
            Ok(_) => files.push(Item {
                name: path.clone(),
                path: path.clone(),
                meta: fs::symlink_metadata(path).ok(),
            }),
            Err(e) => {
                ulib::cli::error(path, e);
                ok = false;
            }
        }
    }
    print_items(&files, &o);
    let headers = operands.len() > 1 || o.recursive;
    for (i, d) in dirs.iter().enumerate() {
        if i > 0 || !files.is_empty() {
            ulib::println!();
        }
        ok &= list_dir(d, &o, headers);
    }
    if ok {
        0
    } else {
        1
    }
}
