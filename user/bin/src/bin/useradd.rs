//! `useradd [-m] NAME`: add an account (root only; chapter 2 3-2 protection). The
//! new user gets the next free uid from 1000, a group of the same name and number,
//! `/bin/sh`, a locked password (`!`: set one with `passwd NAME`) and a home
//! directory `/home/NAME` owned by it (always made; `-m` is accepted for habit). The
//! three files are each rewritten whole through a temporary file and a rename.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use ulib::users::{self, GroupRecord, PasswdRecord, Record, ShadowRecord, Table};
use ulib::{fs, sys};

/// Replace `path` by `text` with `mode`, owned by root, through `path.new`.
fn store(path: &str, text: &str, mode: u32) -> ulib::Result<()> {
    let temp = alloc::format!("{path}.new");
    let _ = fs::remove_file(&temp);
    let f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temp)?;
    sys::fchown(f.as_raw_fd(), Some(0), Some(0))?;
    ulib::io::write_all(f.as_raw_fd(), text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    fs::rename(&temp, path)
}

/// `text` with `rec` added (the file is created if missing).
fn added<R: Record>(text: &str, rec: &R) -> String {
    Table(text).with(rec)
}

fn main() -> i32 {
    let Some(name) = ulib::env::args().skip(1).find(|a| a != "-m") else {
        ulib::eprintln!("usage: useradd [-m] NAME");
        return 2;
    };
    if !users::valid_name(&name) {
        ulib::eprintln!("useradd: invalid user name {name:?}");
        return 1;
    }
    if ulib::info::geteuid() != 0 {
        ulib::eprintln!("useradd: only root may add users");
        return 1;
    }
    let passwd = fs::read_to_string(users::PASSWD).unwrap_or_default();
    let group = fs::read_to_string(users::GROUP).unwrap_or_default();
    let shadow = fs::read_to_string(users::SHADOW).unwrap_or_default();
    let accounts: alloc::vec::Vec<PasswdRecord> = Table(&passwd).records();
    let groups: alloc::vec::Vec<GroupRecord> = Table(&group).records();
    if accounts.iter().any(|p| p.name == name) || groups.iter().any(|g| g.name == name) {
        ulib::eprintln!("useradd: {name} already exists");
        return 1;
    }
    let id = users::next_id(
        accounts
            .iter()
            .map(|p| p.uid)
            .chain(groups.iter().map(|g| g.gid)),
    );
    let home = alloc::format!("/home/{name}");
    let pw = PasswdRecord {
        name: name.clone(),
        uid: id,
        gid: id,
        gecos: String::new(),
        home: home.clone(),
        shell: String::from("/bin/sh"),
    };
    let gr = GroupRecord {
        name: name.clone(),
        gid: id,
        members: alloc::vec::Vec::new(),
    };
    let sh = ShadowRecord {
        name: name.clone(),
        hash: String::from("!"),
        rest: String::from("0:0:99999:7:::"),
    };
    let stored = store(users::PASSWD, &added(&passwd, &pw), 0o644)
        .and_then(|_| store(users::GROUP, &added(&group, &gr), 0o644))
        .and_then(|_| store(users::SHADOW, &added(&shadow, &sh), 0o600));
    if let Err(e) = stored {
        ulib::eprintln!("useradd: writing the account files: {e}");
        return 1;
    }
    let _ = fs::create_dir("/home");
    let made = fs::create_dir(&home)
        .or_else(|e| {
            if e == ulib::Errno::EEXIST {
                Ok(())
            } else {
                Err(e)
            }
        })
        .and_then(|_| sys::chown(&home, Some(id), Some(id)).map(|_| ()));
    if let Err(e) = made {
        ulib::eprintln!("useradd: {home}: {e}");
        return 1;
    }
    ulib::println!("useradd: {name} (uid {id}, home {home})");
    0
}
