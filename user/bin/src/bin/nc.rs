//! `nc [-u] HOST PORT` / `nc [-u] -l [-p] PORT`: standard input to a TCP connection and the
//! connection to standard output (chapter 2, 3-2 "communication": the connection
//! model, from the shell). As a client it connects; with `-l` it listens on every
//! interface, takes one connection and serves it. When standard input ends the
//! sending half is shut (the peer reads end of file) and the output goes on until
//! the peer is done too. With `-u`, UDP: the client sends each read of standard
//! input as one datagram to HOST:PORT and ends with its input; the listener prints
//! every datagram that arrives on PORT until it is killed. With `-U`, an AF_UNIX
//! stream socket named by PATH (a leading `@`: the abstract namespace) instead of TCP. Exit status 0, 1 for a network error, 2 for bad usage.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::{self, Write};
use ulib::net::{self, Socket};
use ulib::poll::{poll, PollFd, POLLHUP, POLLIN};
use ulib::sys;

ulib::entry!(main);

const USAGE: &str = "usage: nc [-u] HOST PORT | nc [-u] -l [-p] PORT | nc -U [-l] PATH";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let words: Vec<&str> = args
        .iter()
        .map(|s| s.as_str())
        .filter(|a| *a != "-p" && *a != "-u" && *a != "-U")
        .collect();
    if args.iter().any(|a| a == "-U") {
        let unix = |p: &str| match p.strip_prefix('@') {
            Some(rest) => alloc::format!("\0{rest}"),
            None => String::from(p),
        };
        let conn = match words.as_slice() {
            ["-l", path] => net::unix_listen(&unix(path), 1)
                .and_then(|l| l.accept().map(|(s, _)| s))
                .map_err(|e| (alloc::format!("listen on {path}"), e)),
            [path] => {
                net::unix_connect(&unix(path)).map_err(|e| (alloc::format!("connect to {path}"), e))
            }
            _ => {
                ulib::eprintln!("{USAGE}");
                return 2;
            }
        };
        return match conn.and_then(|s| relay(&s).map_err(|e| (String::from("relay"), e))) {
            Ok(()) => 0,
            Err((what, e)) => {
                ulib::eprintln!("nc: {what}: {e}");
                1
            }
        };
    }
    if args.iter().any(|a| a == "-u") {
        return match udp_main(&words) {
            Some(Ok(())) => 0,
            Some(Err(e)) => {
                ulib::eprintln!("nc: {e}");
                1
            }
            None => {
                ulib::eprintln!("{USAGE}");
                2
            }
        };
    }
    let r = match words.as_slice() {
        ["-l", port] => port.parse().ok().map(serve),
        [host, port] => match (ulib::dns::resolve(host), port.parse().ok()) {
            (Ok(a), Some(p)) => {
                Some(net::tcp_connect(a, p).map_err(|e| (String::from("connect"), e)))
            }
            (Err(e), _) => {
                ulib::eprintln!("nc: {host}: unknown host ({e})");
                return 1;
            }
            _ => None,
        },
        _ => None,
    };
    let Some(conn) = r else {
        ulib::eprintln!("{USAGE}");
        return 2;
    };
    match conn.and_then(|s| relay(&s).map_err(|e| (String::from("relay"), e))) {
        Ok(()) => 0,
        Err((what, e)) => {
            ulib::eprintln!("nc: {what}: {e}");
            1
        }
    }
}

/// Listen on `port` and take one connection.
fn serve(port: u16) -> Result<Socket, (String, ulib::Errno)> {
    let l = net::tcp_listen([0; 4], port, 1)
        .map_err(|e| (alloc::format!("listen on port {port}"), e))?;
    let (s, _) = l.accept().map_err(|e| (String::from("accept"), e))?;
    Ok(s)
}

/// Copy stdin to the socket and the socket to stdout. The end of standard input
/// shuts the sending half; the end of the peer's data stops the reading half. Done
/// when both have ended (so input still waiting is sent even if the peer finished
/// talking first; a peer that closed altogether fails that write with EPIPE).
fn relay(s: &Socket) -> ulib::Result<()> {
    let mut buf = alloc::vec![0u8; 16 * 1024];
    let (mut stdin_open, mut net_open) = (true, true);
    while stdin_open || net_open {
        let mut fds = [
            PollFd {
                fd: if net_open { s.fd() } else { -1 },
                events: POLLIN,
                revents: 0,
            },
            PollFd {
                fd: if stdin_open { 0 } else { -1 },
                events: POLLIN,
                revents: 0,
            },
        ];
        poll(&mut fds, None)?;
        if net_open && fds[0].revents & (POLLIN | POLLHUP) != 0 {
            let n = sys::read(s.fd(), &mut buf)?;
            if n == 0 {
                net_open = false;
            } else {
                io::stdout().write_all(&buf[..n])?;
            }
            io::flush_stdout();
        }
        if stdin_open && fds[1].revents != 0 {
            let n = sys::read(0, &mut buf)?;
            if n == 0 {
                stdin_open = false;
                s.shutdown(ulib::abi::net::SHUT_WR)?;
            } else {
                io::write_all(s.fd(), &buf[..n])?;
            }
        }
    }
    Ok(())
}

/// `nc -u`: datagrams from standard input, or printed as they arrive.
fn udp_main(words: &[&str]) -> Option<ulib::Result<()>> {
    let mut buf = alloc::vec![0u8; 16 * 1024];
    match words {
        ["-l", port] => {
            let port: u16 = port.parse().ok()?;
            Some((|| {
                let s = net::udp_bind(port)?;
                loop {
                    let (n, _) = s.recv_from(&mut buf)?;
                    io::stdout().write_all(&buf[..n])?;
                    io::flush_stdout();
                }
            })())
        }
        [host, port] => {
            let (addr, port) = (ulib::dns::resolve(host).ok()?, port.parse().ok()?);
            Some((|| {
                let s = Socket::new(ulib::abi::net::SOCK_DGRAM, 0)?;
                s.connect(addr, port)?;
                loop {
                    let n = sys::read(0, &mut buf)?;
                    if n == 0 {
                        return Ok(());
                    }
                    io::write_all(s.fd(), &buf[..n])?;
                }
            })())
        }
        _ => None,
    }
}
