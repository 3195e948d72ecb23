//! `chown OWNER[:GROUP] FILE...` and `chgrp GROUP FILE...`: give files to another
//! user or group (chapter 2 3-2 protection). One program, chosen by the name it runs
//! as. Names or numbers; `chown :GROUP` changes only the group. Only root may give a
//! file away; a file's owner may change its group to one of the owner's own groups
//! (POSIX), and anything else is refused by the kernel with EPERM.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::users;

/// `OWNER[:GROUP]` (or for chgrp `GROUP`) as ids; `None` for each part left out.
fn parse(spec: &str, chgrp: bool) -> Result<(Option<u32>, Option<u32>), String> {
    let (user, group) = if chgrp {
        ("", Some(spec))
    } else {
        match spec.split_once(':') {
            Some((u, g)) => (u, Some(g).filter(|g| !g.is_empty())),
            None => (spec, None),
        }
    };
    let uid = match user {
        "" => None,
        u => Some(users::uid_of(u).ok_or_else(|| alloc::format!("invalid user: {u}"))?),
    };
    let gid = match group {
        None => None,
        Some(g) => Some(users::gid_of(g).ok_or_else(|| alloc::format!("invalid group: {g}"))?),
    };
    Ok((uid, gid))
}

fn main() -> i32 {
    let prog = ulib::env::program_name();
    let chgrp = prog == "chgrp";
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if args.len() < 2 {
        if chgrp {
            ulib::eprintln!("usage: chgrp GROUP FILE...");
        } else {
            ulib::eprintln!("usage: chown OWNER[:GROUP] FILE...");
        }
        return 2;
    }
    let (uid, gid) = match parse(&args[0], chgrp) {
        Ok(ids) => ids,
        Err(e) => {
            ulib::eprintln!("{prog}: {e}");
            return 1;
        }
    };
    let mut status = 0;
    for file in &args[1..] {
        if let Err(e) = ulib::sys::chown(file, uid, gid) {
            ulib::eprintln!("{prog}: {file}: {e}");
            status = 1;
        }
    }
    status
}
