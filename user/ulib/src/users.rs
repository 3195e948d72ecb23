//! Users and groups by name: the account files read through the `account` crate, the
//! password prompt, and becoming a user (what `login` and `su` share).
//!
//! The kernel knows only numbers; this module is the C library's `getpwnam`,
//! `getgrgid`, `getpass`, `initgroups` and `crypt` in one place. Reading
//! `/etc/shadow` needs root (it is mode 0600): [`check_password`] works in `login`
//! (started by init as root) and in the set-user-id-root programs `su` and `passwd`.

use crate::{env, fs, io, sys, Errno, Result};
use account::{Group, Passwd, Shadow};
use alloc::string::{String, ToString};
use alloc::vec::Vec;

pub use account::{groups_of, hash_password, next_id, valid_name, verify_password, Record, Table};
pub use account::{Group as GroupRecord, Passwd as PasswdRecord, Shadow as ShadowRecord};

pub const PASSWD: &str = "/etc/passwd";
pub const GROUP: &str = "/etc/group";
pub const SHADOW: &str = "/etc/shadow";

/// Every record of the account file `path` (none if it cannot be read).
pub fn records<R: Record>(path: &str) -> Vec<R> {
    fs::read_to_string(path)
        .map(|t| Table(&t).records())
        .unwrap_or_default()
}

/// The account named `name`.
pub fn user_by_name(name: &str) -> Option<Passwd> {
    records::<Passwd>(PASSWD)
        .into_iter()
        .find(|p| p.name == name)
}

/// The (first) account with user id `uid`.
pub fn user_by_uid(uid: u32) -> Option<Passwd> {
    records::<Passwd>(PASSWD).into_iter().find(|p| p.uid == uid)
}

/// The name of user `uid`, or the number itself.
pub fn user_name(uid: u32) -> String {
    user_by_uid(uid).map_or_else(|| uid.to_string(), |p| p.name)
}

/// The name of group `gid`, or the number itself.
pub fn group_name(gid: u32) -> String {
    records::<Group>(GROUP)
        .into_iter()
        .find(|g| g.gid == gid)
        .map_or_else(|| gid.to_string(), |g| g.name)
}

/// A user name or a number, as `chown` takes it.
pub fn uid_of(name: &str) -> Option<u32> {
    name.parse()
        .ok()
        .or_else(|| user_by_name(name).map(|p| p.uid))
}

/// A group name or a number.
pub fn gid_of(name: &str) -> Option<u32> {
    name.parse().ok().or_else(|| {
        records::<Group>(GROUP)
            .into_iter()
            .find(|g| g.name == name)
            .map(|g| g.gid)
    })
}

/// Print `prompt` and read one line from standard input with echo off (on a
/// terminal); the line without its newline, `None` at end of input.
pub fn read_password(prompt: &str) -> Option<String> {
    // Echo goes off before the prompt shows: a password typed the moment the prompt
    // appears must not be echoed.
    let old = io::terminal_mode(0).ok();
    if let Some(m) = old {
        let _ = io::set_terminal_mode(0, m & !abi::flags::TTY_ECHO);
    }
    crate::print!("{prompt}");
    io::flush_stdout();
    let mut line = String::new();
    let got = io::stdin().read_line(&mut line);
    if let Some(m) = old {
        let _ = io::set_terminal_mode(0, m);
        crate::println!();
    }
    match got {
        Ok(n) if n > 0 => Some(line.trim_end_matches(['\n', '\r']).to_string()),
        _ => None,
    }
}

/// Does `password` open account `name`? (Reads `/etc/shadow`: root only.)
pub fn check_password(name: &str, password: &str) -> bool {
    fs::read_to_string(SHADOW)
        .ok()
        .and_then(|t| Table(&t).find::<Shadow>(name))
        .is_some_and(|s| verify_password(password, &s.hash))
}

/// A fresh SHA-512 crypt hash of `password`, salted from `/dev/urandom`.
pub fn new_hash(password: &str) -> Result<String> {
    let mut salt = [0u8; account::SALT_BYTES];
    let f = fs::File::open("/dev/urandom")?;
    let n = sys::read(f.as_raw_fd(), &mut salt)?;
    if n != salt.len() {
        return Err(Errno::EIO);
    }
    Ok(hash_password(password, &salt))
}

/// Take on `pw`'s identity for good: its supplementary groups, group, then user (in
/// that order: after `setuid` the rights to change groups are gone).
pub fn become_user(pw: &Passwd) -> Result<()> {
    let groups: Vec<u32> = groups_of(&records::<Group>(GROUP), &pw.name, pw.gid)
        .into_iter()
        .map(|(gid, _)| gid)
        .filter(|&g| g != pw.gid)
        .collect();
    sys::setgroups(&groups)?;
    sys::setgid(pw.gid)?;
    sys::setuid(pw.uid)?;
    Ok(())
}

/// Run `pw`'s shell in its home with `HOME`, `USER`, `LOGNAME` and `SHELL` set (the
/// rest of the environment kept). Returns only on failure.
pub fn exec_shell(pw: &Passwd) -> Errno {
    let shell = if pw.shell.is_empty() {
        "/bin/sh"
    } else {
        pw.shell.as_str()
    };
    if env::set_current_dir(&pw.home).is_err() {
        crate::eprintln!("no home directory {}: starting in /", pw.home);
        let _ = env::set_current_dir("/");
    }
    env::set_var("HOME", &pw.home);
    env::set_var("USER", &pw.name);
    env::set_var("LOGNAME", &pw.name);
    env::set_var("SHELL", shell);
    crate::process::exec(shell, &[shell])
}
