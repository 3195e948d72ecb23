//! User accounts as files: who the users are (`/etc/passwd`), which groups they are in
//! (`/etc/group`) and how each proves it (`/etc/shadow`, readable by root only).
//!
//! Chapter 2's *protection* service starts with identification: the kernel knows a
//! process only by numbers (uid, gid, groups; see the kernel's `cred` crate); the
//! names, homes, shells and passwords behind those numbers are plain text files that
//! `login`, `su`, `passwd`, `useradd`, `id` and `ls -l` read. The formats are the
//! classic UNIX ones, one record a line, fields separated by `:`, so the files can be
//! read and edited by hand:
//!
//! ```text
//! /etc/passwd   name:x:uid:gid:gecos:home:shell
//! /etc/group    name:x:gid:member,member
//! /etc/shadow   name:$6$rounds=5000$salt$hash:lastchange:min:max:warn:inactive:expire:
//! ```
//!
//! The one design decision: passwords are stored only as SHA-512 crypt hashes
//! (`$6$`, the scheme of glibc's `crypt(3)`), made and checked by RustCrypto's
//! `sha-crypt` crate, so the same code runs in the programs (no_std + alloc) and on
//! the host, where the xtask hashes the image's initial passwords at build time.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod crypt;
mod files;

pub use crypt::{hash_password, salt_from_bytes, verify_password, SALT_BYTES};
pub use files::{groups_of, next_id, valid_name, Group, Passwd, Record, Shadow, Table};

#[cfg(test)]
mod tests;
