//! `fetch URL`: an HTTP GET, the body to standard output (chapter 2, 3-2
//! "communication": a client of the connection model). `URL` is
//! `http://HOST[:PORT]/PATH`, HOST a dotted quad or a name (`ulib::dns`: /etc/hosts,
//! then DNS). The
//! request is HTTP/1.1 with `Connection: close`; the body is `Content-Length` bytes
//! when the server says how many, else everything until the server closes.
//! Exit status 0 for a 2xx answer, 1 for another answer or a network error (the
//! status line then goes to standard error), 2 for bad usage.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::{self, Read, Write};
use ulib::net;

ulib::entry!(main);

const USAGE: &str = "usage: fetch http://HOST[:PORT]/PATH";

/// (host, port, path) of an http URL.
fn parse_url(url: &str) -> Option<(&str, u16, &str)> {
    let rest = url.strip_prefix("http://")?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match hostport.split_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (hostport, 80),
    };
    (!host.is_empty()).then_some((host, port, path))
}

fn main() -> i32 {
    let Some(url) = ulib::env::args().nth(1) else {
        ulib::eprintln!("{USAGE}");
        return 2;
    };
    let Some((host, port, path)) = parse_url(&url) else {
        ulib::eprintln!("fetch: {url}: not an http://HOST[:PORT]/PATH URL");
        return 2;
    };
    // A dotted quad, a name of /etc/hosts, or one DNS knows (ulib::dns).
    let addr = match ulib::dns::resolve(host) {
        Ok(a) => a,
        Err(e) => {
            ulib::eprintln!("fetch: {host}: unknown host ({e})");
            return 1;
        }
    };
    match get(host, addr, port, path) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            ulib::eprintln!("fetch: {url}: {e}");
            1
        }
    }
}

fn get(host: &str, addr: [u8; 4], port: u16, path: &str) -> ulib::Result<bool> {
    let mut s = net::tcp_connect(addr, port)?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: dinos-fetch\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes())?;
    // The header, then what follows it.
    let mut got: Vec<u8> = Vec::new();
    let mut buf = alloc::vec![0u8; 16 * 1024];
    let end = loop {
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut buf)?;
        if n == 0 {
            ulib::eprintln!("fetch: the connection closed before the header ended");
            return Ok(false);
        }
        got.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&got[..end]).into_owned();
    let status = head.lines().next().unwrap_or("").trim().to_owned_string();
    let ok = status.split(' ').nth(1).is_some_and(|c| c.starts_with('2'));
    if !ok {
        ulib::eprintln!("fetch: {status}");
    }
    let length: Option<usize> = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    });
    let mut out = io::stdout();
    let mut sent = got.len() - end;
    out.write_all(&got[end..length.map_or(got.len(), |l| (end + l).min(got.len()))])?;
    while length.is_none_or(|l| sent < l) {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let take = length.map_or(n, |l| n.min(l - sent));
        out.write_all(&buf[..take])?;
        sent += n;
    }
    io::flush_stdout();
    if length.is_some_and(|l| sent < l) {
        ulib::eprintln!(
            "fetch: the body ended after {sent} of {} bytes",
            length.unwrap_or(0)
        );
        return Ok(false);
    }
    Ok(ok)
}

trait ToOwnedString {
    fn to_owned_string(&self) -> String;
}
impl ToOwnedString for str {
    fn to_owned_string(&self) -> String {
        String::from(self)
    }
}
