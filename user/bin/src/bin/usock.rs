//! `usock`: AF_UNIX sockets from the shell (chapter 2, 3-2 "communication" on one
//! computer): a server that says who connected (SO_PEERCRED, SCM_CREDENTIALS) and
//! reads files through descriptors sent to it (SCM_RIGHTS), the client that sends
//! them, a probe that says how `connect` fails, and `socketpair` between a parent and
//! its child.
//!
//! - `usock serve PATH`: listen on PATH (a leading `@` is the abstract namespace),
//!   take one connection, print `peer uid=U gid=G` and then, per message, `cred
//!   pid=P uid=U gid=G` and either `fd:` and what the passed descriptor reads, or
//!   `data:` and the bytes; ends at the client's end of file.
//! - `usock send PATH [FILE...]`: connect, send `hello`, then each FILE's open
//!   descriptor (one byte each, SCM_RIGHTS); print `sent N`.
//! - `usock probe PATH`: connect and print `connected` or the errno's name.
//! - `usock pair`: `socketpair`, fork; the child sends `ping`, the parent answers
//!   `pong`; then the parent closes with the child's unread bytes (the child reads
//!   ECONNRESET) and the child's write to the closed pair fails with EPIPE.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::net::*;
use ulib::abi::Errno;
use ulib::io::{self, Write};
use ulib::net;
use ulib::sys;

ulib::entry!(main);

const USAGE: &str = "usage: usock serve PATH | send PATH [FILE...] | probe PATH | pair";

/// `@name` is the abstract name `\0name`.
fn name(arg: &str) -> String {
    match arg.strip_prefix('@') {
        Some(rest) => alloc::format!("\0{rest}"),
        None => String::from(arg),
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let r = match words.as_slice() {
        ["serve", path] => serve(&name(path)),
        ["send", path, files @ ..] => send(&name(path), files),
        ["probe", path] => {
            match net::unix_connect(&name(path)) {
                Ok(_) => ulib::println!("connected"),
                Err(e) => ulib::println!("{e:?}"),
            }
            Ok(())
        }
        ["pair"] => pair(),
        _ => {
            ulib::eprintln!("{USAGE}");
            return 2;
        }
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            ulib::eprintln!("usock: {e}");
            1
        }
    }
}

fn serve(path: &str) -> ulib::Result<()> {
    let l = net::unix_listen(path, 4)?;
    let (c, _) = l.accept()?;
    let who = sys::peercred(c.fd())?;
    ulib::println!("peer uid={} gid={}", who.uid, who.gid);
    c.set_option(SOL_SOCKET, SO_PASSCRED, 1)?;
    let mut buf = [0u8; 256];
    loop {
        let got = sys::recvmsg(c.fd(), &mut buf, 8, 0)?;
        if got.len == 0 {
            return Ok(());
        }
        if let Some(u) = got.cred {
            ulib::println!("cred pid={} uid={} gid={}", u.pid, u.uid, u.gid);
        }
        if got.fds.is_empty() {
            ulib::println!("data: {}", String::from_utf8_lossy(&buf[..got.len]));
        }
        for fd in got.fds {
            ulib::println!("fd:");
            io::flush_stdout();
            let mut b = [0u8; 1024];
            loop {
                let n = sys::read(fd, &mut b)?;
                if n == 0 {
                    break;
                }
                io::stdout().write_all(&b[..n])?;
            }
            sys::close(fd)?;
        }
        io::flush_stdout();
    }
}

fn send(path: &str, files: &[&str]) -> ulib::Result<()> {
    let s = net::unix_connect(path)?;
    sys::sendmsg(s.fd(), &[b"hel", b"lo"], &[], None, 0)?;
    for f in files {
        let fd = sys::open(f, ulib::abi::flags::O_RDONLY, 0)? as i32;
        sys::sendmsg(s.fd(), &[b"F"], &[fd], None, 0)?;
        sys::close(fd)?;
    }
    ulib::println!("sent {}", files.len());
    Ok(())
}

fn pair() -> ulib::Result<()> {
    let (a, b) = sys::socketpair(SOCK_STREAM)?;
    let mut buf = [0u8; 16];
    if sys::fork()? == 0 {
        let _ = sys::close(a);
        let r = (|| -> ulib::Result<()> {
            sys::write(b, b"ping")?;
            let n = sys::read(b, &mut buf)?;
            ulib::println!("child got {}", String::from_utf8_lossy(&buf[..n]));
            sys::write(b, b"unread")?;
            // The parent closes without reading "unread": a reset.
            let e = sys::read(b, &mut buf).err();
            ulib::println!("child read after close: {}", errname(e));
            let e = sys::sendto(b, b"x", MSG_NOSIGNAL, None).err();
            ulib::println!("child write after close: {}", errname(e));
            io::flush_stdout();
            Ok(())
        })();
        sys::exit(r.is_err() as i32);
    }
    let _ = sys::close(b);
    let n = sys::read(a, &mut buf)?;
    ulib::println!("parent got {}", String::from_utf8_lossy(&buf[..n]));
    io::flush_stdout();
    sys::write(a, b"pong")?;
    // Wait for the child's next bytes to be queued, then close without reading them.
    let mut fds = [ulib::poll::PollFd {
        fd: a,
        events: ulib::poll::POLLIN,
        revents: 0,
    }];
    ulib::poll::poll(&mut fds, None)?;
    sys::close(a)?;
    let mut status = 0;
    sys::waitpid(-1, Some(&mut status), 0)?;
    ulib::println!("child status {status}");
    Ok(())
}

fn errname(e: Option<Errno>) -> String {
    e.map_or(String::from("ok"), |e| alloc::format!("{e:?}"))
}
