//! `httpd [-p PORT] [DIR]`: a small HTTP/1.1 file server (chapter 2, 4 "system
//! services": a daemon; 3-2 "communication": the connection model on the server's
//! side). It listens on every interface (default port 80, which needs root), and
//! forks a child for each connection, so one slow or silent client cannot hold up
//! the others. A child reads one request (at most 8 KiB of header, waiting at most
//! 10 s), answers `GET` and `HEAD` of a file under DIR (default `/`) with its bytes,
//! a directory with its `index.html`, anything else with 400, 403, 404 or 405, and
//! closes (`Connection: close`). A path with a `..` component is refused.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs::File;
use ulib::io::{Read, Write};
use ulib::net::{self, Socket};
use ulib::poll::{poll, PollFd, POLLIN};
use ulib::process::{self, Fork};
use ulib::time::Duration;

ulib::entry!(main);

const USAGE: &str = "usage: httpd [-p PORT] [DIR]";
const MAX_HEADER: usize = 8 * 1024;

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let mut port = 80u16;
    let mut dir = String::from("/");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-p" => match it.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => {
                    ulib::eprintln!("{USAGE}");
                    return 2;
                }
            },
            d if !d.starts_with('-') => dir = String::from(d.trim_end_matches('/')),
            _ => {
                ulib::eprintln!("{USAGE}");
                return 2;
            }
        }
    }
    let l = match net::tcp_listen([0; 4], port, 8) {
        Ok(l) => l,
        Err(e) => {
            ulib::eprintln!("httpd: port {port}: {e}");
            return 1;
        }
    };
    ulib::println!(
        "httpd: serving {} on port {port}",
        if dir.is_empty() { "/" } else { &dir }
    );
    ulib::io::flush_stdout();
    loop {
        let (conn, _peer) = match l.accept() {
            Ok(c) => c,
            Err(ulib::Errno::EINTR) => continue,
            Err(e) => {
                ulib::eprintln!("httpd: accept: {e}");
                return 1;
            }
        };
        match process::fork() {
            Ok(Fork::Child) => {
                drop(l);
                let _ = serve(conn, &dir);
                process::exit(0);
            }
            Ok(Fork::Parent(_)) => drop(conn),
            Err(e) => ulib::eprintln!("httpd: fork: {e}"),
        }
        // Reap the children that have finished.
        while let Ok(Some(_)) = process::waitpid(-1, ulib::abi::flags::WNOHANG) {}
    }
}

/// Read until the end of the header (or give up after 10 s of silence).
fn read_request(conn: &mut Socket) -> Option<String> {
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && !req.windows(2).any(|w| w == b"\n\n") {
        let mut fds = [PollFd {
            fd: conn.fd(),
            events: POLLIN,
            revents: 0,
        }];
        if poll(&mut fds, Some(Duration::from_secs(10))).ok()? == 0 {
            return None;
        }
        let n = conn.read(&mut buf).ok()?;
        if n == 0 || req.len() + n > MAX_HEADER {
            return None;
        }
        req.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(req).ok()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html" | "htm") => "text/html",
        Some("txt" | "md" | "rs") => "text/plain",
        Some("css") => "text/css",
        Some("js") => "application/javascript",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    }
}

fn reply(conn: &mut Socket, code: u32, why: &str) -> ulib::Result<()> {
    let body = format!("{code} {why}\n");
    let head = format!(
        "HTTP/1.1 {code} {why}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes())?;
    conn.write_all(body.as_bytes())
}

fn serve(mut conn: Socket, dir: &str) -> ulib::Result<()> {
    let Some(req) = read_request(&mut conn) else {
        return reply(&mut conn, 400, "Bad Request");
    };
    let mut words = req.lines().next().unwrap_or("").split(' ');
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    if method != "GET" && method != "HEAD" {
        return reply(&mut conn, 405, "Method Not Allowed");
    }
    let path = target.split('?').next().unwrap_or("");
    if !path.starts_with('/') {
        return reply(&mut conn, 400, "Bad Request");
    }
    if path.split('/').any(|c| c == "..") {
        return reply(&mut conn, 403, "Forbidden");
    }
    let mut full = format!("{dir}{path}");
    if ulib::fs::metadata(&full).is_ok_and(|m| m.is_dir()) {
        full = format!("{}/index.html", full.trim_end_matches('/'));
    }
    let mut f = match File::open(&full) {
        Ok(f) if f.metadata().is_ok_and(|m| m.is_file()) => f,
        _ => return reply(&mut conn, 404, "Not Found"),
    };
    let len = f.metadata()?.len();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
        content_type(&full)
    );
    conn.write_all(head.as_bytes())?;
    if method == "HEAD" {
        return Ok(());
    }
    let mut buf = alloc::vec![0u8; 16 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        conn.write_all(&buf[..n])?;
    }
    conn.shutdown(ulib::abi::net::SHUT_WR)
}
