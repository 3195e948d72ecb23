//! `su [-] [USER] [-c COMMAND]`: become another user (default root) after giving that
//! user's password (chapter 2 3-2 protection).
//!
//! `su` is set-user-id root (mode 4755): whoever runs it, it runs with effective uid
//! 0, which it needs to read `/etc/shadow` and to change all its ids. Root is not
//! asked for a password. With `-` (or `-l`) the shell is a login shell: it starts in
//! the user's home; without it, the working directory is kept. `HOME`, `USER`,
//! `LOGNAME` and `SHELL` are set either way. A wrong password is refused after a
//! pause, with exit status 1.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::{info, users};

fn main() -> i32 {
    let mut login = false;
    let mut command: Option<String> = None;
    let mut name = String::from("root");
    let mut args = ulib::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-" | "-l" | "--login" => login = true,
            "-c" => match args.next() {
                Some(c) => command = Some(c),
                None => {
                    ulib::eprintln!("usage: su [-] [USER] [-c COMMAND]");
                    return 2;
                }
            },
            _ => name = a,
        }
    }
    let Some(pw) = users::user_by_name(&name) else {
        ulib::eprintln!("su: user {name} does not exist");
        return 1;
    };
    // Root (by its real uid: who ran su) needs no password.
    if info::getuid() != 0 {
        let Some(password) = users::read_password("Password: ") else {
            return 1;
        };
        if !users::check_password(&name, &password) {
            ulib::time::sleep(ulib::time::Duration::from_millis(500));
            ulib::eprintln!("su: Authentication failure");
            return 1;
        }
    }
    if let Err(e) = users::become_user(&pw) {
        ulib::eprintln!("su: cannot become {name}: {e}");
        return 1;
    }
    let shell = if pw.shell.is_empty() {
        String::from("/bin/sh")
    } else {
        pw.shell.clone()
    };
    for (k, v) in [
        ("HOME", &pw.home),
        ("USER", &pw.name),
        ("LOGNAME", &pw.name),
        ("SHELL", &shell),
    ] {
        ulib::env::set_var(k, v);
    }
    if login && ulib::env::set_current_dir(&pw.home).is_err() {
        ulib::eprintln!("su: no home directory {}", pw.home);
    }
    let mut argv: Vec<&str> = alloc::vec![shell.as_str()];
    if let Some(c) = &command {
        argv.extend(["-c", c.as_str()]);
    }
    let e = ulib::process::exec(&shell, &argv);
    ulib::eprintln!("su: {shell}: {e}");
    1
}
