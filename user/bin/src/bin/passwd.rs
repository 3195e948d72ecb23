//! `passwd [USER]`: change a password (chapter 2 3-2 protection).
//!
//! Set-user-id root (mode 4755), since `/etc/shadow` is root's alone; so it checks
//! by the *real* uid who is asking: an ordinary user may change only their own
//! password and must give the current one first; root may set anyone's without it.
//! The new password is asked twice and stored as a fresh SHA-512 crypt hash. The
//! file is rewritten whole through a temporary file and a rename, so a crash leaves
//! the old or the new file, never half of one.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use ulib::users::{self, ShadowRecord};
use ulib::{fs, info};

const TEMP: &str = "/etc/shadow.new";

/// Write `text` as the new shadow file: mode 0600, root's, replaced atomically.
fn store(text: &str) -> ulib::Result<()> {
    let _ = fs::remove_file(TEMP);
    let f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(TEMP)?;
    // Root's group too, not the caller's (set-user-id changes only the user).
    ulib::sys::fchown(f.as_raw_fd(), Some(0), Some(0))?;
    ulib::io::write_all(f.as_raw_fd(), text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    fs::rename(TEMP, users::SHADOW)
}

fn main() -> i32 {
    let me = info::getuid();
    let name = match ulib::env::args().nth(1) {
        Some(n) => n,
        None => users::user_name(me),
    };
    let Some(pw) = users::user_by_name(&name) else {
        ulib::eprintln!("passwd: user {name} does not exist");
        return 1;
    };
    if me != 0 && pw.uid != me {
        ulib::eprintln!("passwd: you may not change the password of {name}");
        return 1;
    }
    ulib::println!("Changing password for {name}.");
    if me != 0 {
        let old = users::read_password("Current password: ").unwrap_or_default();
        if !users::check_password(&name, &old) {
            ulib::eprintln!("passwd: Authentication failure");
            return 1;
        }
    }
    let Some(new) = users::read_password("New password: ") else {
        return 1;
    };
    if users::read_password("Retype new password: ").as_ref() != Some(&new) {
        ulib::eprintln!("passwd: the passwords do not match; password unchanged");
        return 1;
    }
    let text = fs::read_to_string(users::SHADOW).unwrap_or_default();
    let table = users::Table(&text);
    let mut rec = table.find::<ShadowRecord>(&name).unwrap_or(ShadowRecord {
        name: name.clone(),
        hash: String::new(),
        rest: String::from("0:0:99999:7:::"),
    });
    rec.hash = match users::new_hash(&new) {
        Ok(h) => h,
        Err(e) => {
            ulib::eprintln!("passwd: no random salt: {e}");
            return 1;
        }
    };
    match store(&table.with(&rec)) {
        Ok(()) => {
            ulib::println!("passwd: password updated");
            0
        }
        Err(e) => {
            ulib::eprintln!("passwd: {}: {e}", users::SHADOW);
            1
        }
    }
}
