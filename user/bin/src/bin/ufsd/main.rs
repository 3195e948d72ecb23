//! `ufsd [--garbage | --silent | --kill-on NAME] MOUNTPOINT`: a file system served from
//! user space (chapter 2 section 7, the *microkernel* structure).
//!
//! The server keeps a tree of files in its own memory (`tree.rs`) and answers the
//! kernel's ufs proxy (`kernel/ufs`) over a message port, in the protocol of the
//! `ufswire` crate (docs/ufsd.md). It registers the port as `ufs:MOUNTPOINT` and mounts it with
//! `mount -t ufs ufs:MOUNTPOINT MOUNTPOINT` (root only); from then on every program's
//! file calls under MOUNTPOINT are messages to this process. The command returns once
//! the mount is made, printing `ufsd: serving MOUNTPOINT (pid N)`; the server runs on
//! in the background, in a session of its own. If a server of MOUNTPOINT died, a new
//! `ufsd MOUNTPOINT` takes the name back and the kernel attaches the existing mount to
//! it (`... serving MOUNTPOINT again`), with an empty tree.
//!
//! Test servers (`cargo xtask test ufsd::`): `--garbage` answers every call with a
//! different malformed answer (short, another version, an unknown errno, an errno a
//! file system never gives, wrong sizes, inode 0...), which the kernel must refuse
//! with EIO; `--silent` never answers (the proxy's timeout); `--kill-on NAME` serves
//! normally but sends itself SIGKILL when asked about NAME, before answering (a
//! server killed in the middle of an operation).
//!
//! While serving it prints nothing and opens no file: the kernel waits for it with
//! the file-system lock held, so it must never need that lock itself (docs/ufsd.md).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

mod tree;
use ufswire as wire;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::port::{self, Port};
use ulib::process::{self, Fork};
use ulib::{sys, Errno};

ulib::entry!(main);

const USAGE: &str = "ufsd [--garbage | --silent | --kill-on NAME] MOUNTPOINT";

#[derive(Clone, PartialEq, Eq)]
enum Mode {
    Serve,
    Garbage,
    Silent,
    KillOn(Vec<u8>),
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let (mode, target) = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [t] if !t.starts_with('-') => (Mode::Serve, t),
        ["--garbage", t] => (Mode::Garbage, t),
        ["--silent", t] => (Mode::Silent, t),
        ["--kill-on", n, t] => (Mode::KillOn(n.as_bytes().to_vec()), t),
        _ => return ulib::cli::usage_error(USAGE),
    };
    let name = format!("ufs:{target}");
    match start(&name, target, mode) {
        Ok(()) => 0,
        Err(e) => {
            ulib::eprintln!("ufsd: {target}: {e}");
            1
        }
    }
}

/// Register the port, fork the server, and report what it said.
fn start(name: &str, target: &str, mode: Mode) -> Result<(), String> {
    let (port, client) = port::create(0).map_err(|e| format!("port: {e}"))?;
    drop(client);
    // A dead server's name is gone with its port; a live one's is taken over (root).
    port.register_mode(name, 0o600, true)
        .map_err(|e| format!("registering {name}: {e}"))?;
    let mut fds = [0i32; 2];
    sys::pipe(&mut fds).map_err(|e| format!("pipe: {e}"))?;
    match process::fork().map_err(|e| format!("fork: {e}"))? {
        Fork::Parent(pid) => {
            drop(port);
            let _ = sys::close(fds[1]);
            let mut b = [0u8; 1];
            let n = sys::read(fds[0], &mut b).unwrap_or(0);
            match (n, b[0]) {
                (1, b'm') => ulib::println!("ufsd: serving {target} (pid {pid})"),
                (1, b'a') => ulib::println!("ufsd: serving {target} again (pid {pid})"),
                _ => {
                    let _ = process::waitpid(pid as i64, 0);
                    return Err(String::from("the server did not start"));
                }
            }
            Ok(())
        }
        Fork::Child => {
            let _ = sys::close(fds[0]);
            let _ = sys::setsid();
            // The mount is made by the server itself: the kernel makes its pages
            // present then (kernel/ufs). EBUSY: the mount exists, now attached to us.
            let said = match ulib::fs::mount(name, target, "ufs") {
                Ok(()) => b'm',
                Err(Errno::EBUSY) => b'a',
                Err(e) => {
                    ulib::eprintln!("ufsd: mount {target}: {e}");
                    sys::exit(1);
                }
            };
            let _ = sys::chdir("/");
            ulib::io::flush_stdout();
            let _ = sys::write(fds[1], &[said]);
            let _ = sys::close(fds[1]);
            serve(&port, mode);
            sys::exit(0)
        }
    }
}

/// The server's loop: take a request, answer it, take the next (one system call for
/// both, `port_reply_receive`). Only the kernel's messages (sender pid 0) are served.
fn serve(port: &Port, mode: Mode) {
    let mut t = tree::Tree::new(now);
    let mut buf = alloc::vec![0u8; 2 * port::MSG_MAX];
    let mut out = Vec::with_capacity(port::MSG_MAX);
    let mut calls: u64 = 0;
    let Some(mut m) = next_request(port, &mut buf) else {
        return;
    };
    loop {
        let answer = if m.pid != 0 || m.nfds != 0 {
            // A program that found the name (root may) is not the kernel.
            wire::reply(&mut out, Errno::EACCES.code() as u32, 0, &[]);
            m.token != 0
        } else if let Some(r) = holds_then_request(&mut t, &buf[..m.len]) {
            if m.token == 0 {
                false
            } else {
                calls += 1;
                if let Mode::KillOn(n) = &mode {
                    if r.name == n.as_slice() || r.rest == n.as_slice() {
                        let _ = sys::kill(sys::getpid().unwrap_or(0) as i64, 9);
                    }
                }
                match &mode {
                    Mode::Silent => false,
                    Mode::Garbage => {
                        garbage(&mut out, calls, &r);
                        true
                    }
                    _ => {
                        match t.serve(&r) {
                            Ok((v, d)) => wire::reply(&mut out, 0, v, &d),
                            Err(e) => wire::reply(&mut out, e.code() as u32, 0, &[]),
                        }
                        true
                    }
                }
            }
        } else {
            wire::reply(&mut out, Errno::EINVAL.code() as u32, 0, &[]);
            m.token != 0
        };
        let next = if answer {
            port.reply_receive(m.token, &out, &[], &mut buf, &mut [], None)
        } else {
            port.receive(&mut buf, &mut [], None)
        };
        m = match next {
            Ok(m) => m,
            // The caller gave up (its timeout, a signal): nothing was received. Or
            // a signal (a stop, then a continue) ended the wait for the next one.
            Err(Errno::EPIPE) if answer => match next_request(port, &mut buf) {
                Some(m) => m,
                None => return,
            },
            Err(Errno::EINTR) => match next_request(port, &mut buf) {
                Some(m) => m,
                None => return,
            },
            Err(_) => return,
        };
    }
}

/// Wait for the next request; a signal that ends the wait (`kill -STOP`, then
/// `-CONT`) is waited through. `None`: the port is gone.
fn next_request(port: &Port, buf: &mut [u8]) -> Option<port::Received> {
    loop {
        match port.receive(buf, &mut [], None) {
            Ok(m) => return Some(m),
            Err(Errno::EINTR) => continue,
            Err(_) => return None,
        }
    }
}

/// Apply the `Pin`/`Unpin` records at the front of a message; the request after them.
fn holds_then_request<'a>(t: &mut tree::Tree, mut b: &'a [u8]) -> Option<wire::Received<'a>> {
    loop {
        let r = wire::Received::parse(b)?;
        if (r.op != wire::PIN && r.op != wire::UNPIN) || b.len() == wire::REQ_HEADER {
            return Some(r);
        }
        t.hold(&r);
        b = &b[wire::REQ_HEADER..];
    }
}

/// The `n`th malformed answer, in turn: each breaks one rule of the protocol.
fn garbage(out: &mut Vec<u8>, n: u64, r: &wire::Received) {
    match n % 8 {
        // Too short for a header.
        0 => {
            out.clear();
            out.extend_from_slice(b"bad");
        }
        // Another version.
        1 => {
            wire::reply(out, 0, 1, &[]);
            out[0] = 7;
        }
        // An errno that does not exist.
        2 => wire::reply(out, 4000, 0, &[]),
        // One a file system never gives (EINTR).
        3 => wire::reply(out, Errno::EINTR.code() as u32, 0, &[]),
        // Success with attributes of the wrong size, inode 0, or too many bytes.
        4 => wire::reply(out, 0, 0, &[0x41; 47]),
        5 => wire::reply(out, 0, if r.op == wire::LOOKUP { 0 } else { 1 << 50 }, &[]),
        6 => wire::reply(out, 0, 1, &[0x5a; 4080]),
        // Random-looking bytes of the largest size.
        _ => {
            out.clear();
            let mut x = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            for _ in 0..port::MSG_MAX {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                out.push(x as u8);
            }
        }
    }
}

fn now() -> i64 {
    ulib::time::SystemTime::now().unix_seconds()
}
