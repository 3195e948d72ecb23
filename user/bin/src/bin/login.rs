//! `login`: ask who is there and let them in (chapter 2 3-2 protection: identify,
//! authenticate, then run with that user's rights only).
//!
//! Prompts `login:` and `Password:` (echo off), checks the password against
//! `/etc/shadow` (SHA-512 crypt; login runs as root, started by `getty`), then takes on
//! the user's identity for good -- supplementary groups, group, user, in that order --
//! and replaces itself with the user's shell in the user's home, with `HOME`, `USER`,
//! `LOGNAME` and `SHELL` set. After three refusals it exits, and init starts a new
//! `getty`. `login USER` skips the first prompt.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use ulib::users;

const TRIES: usize = 3;

/// Read the user name (echo on); `None` at end of input.
fn ask_name() -> Option<String> {
    ulib::print!("login: ");
    ulib::io::flush_stdout();
    let mut line = String::new();
    match ulib::io::stdin().read_line(&mut line) {
        Ok(n) if n > 0 => Some(String::from(line.trim())),
        _ => None,
    }
}

fn main() -> i32 {
    let mut given = ulib::env::args().nth(1);
    for _ in 0..TRIES {
        let name = match given.take() {
            Some(n) => n,
            None => match ask_name() {
                Some(n) if n.is_empty() => continue,
                Some(n) => n,
                None => return 1,
            },
        };
        let Some(password) = users::read_password("Password: ") else {
            return 1;
        };
        // The same answer whether the name or the password was wrong.
        let account =
            users::user_by_name(&name).filter(|_| users::check_password(&name, &password));
        let Some(pw) = account else {
            ulib::println!("Login incorrect");
            continue;
        };
        if let Err(e) = users::become_user(&pw) {
            ulib::eprintln!("login: cannot become {name}: {e}");
            return 1;
        }
        let e = users::exec_shell(&pw);
        ulib::eprintln!("login: {}: {e}", pw.shell);
        return 1;
    }
    1
}
