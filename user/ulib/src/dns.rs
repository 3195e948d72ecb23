//! Host names to IPv4 addresses (docs/network.md, "Names"): a dotted quad as it is,
//! then `/etc/hosts`, then a DNS query (RFC 1035, type A, over UDP) to the name
//! servers of `/etc/resolv.conf` (QEMU's 10.0.2.3 by default). The resolver is a
//! library, as a C library's is: the kernel only carries the datagrams.
//!
//! dinos' `resolv.conf` takes `nameserver ADDRESS` and, an extension for tests,
//! `nameserver ADDRESS:PORT`.

use crate::net::{parse_ipv4, Socket};
use crate::{fs, sys};
use abi::net::*;
use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;

/// Where the name servers are looked up, and the hosts file.
pub const RESOLV_CONF: &str = "/etc/resolv.conf";
pub const HOSTS: &str = "/etc/hosts";
/// QEMU's user network's DNS forwarder.
pub const DEFAULT_SERVER: ([u8; 4], u16) = ([10, 0, 2, 3], 53);
/// How long one query waits for its answer, and how many times it is sent.
const TIMEOUT_MS: u64 = 2000;
const TRIES: usize = 2;

/// The address of `name`: ENOENT if no source knows it (EINVAL for a name that
/// cannot be put in a query), ETIMEDOUT/EAGAIN if no server answered.
pub fn resolve(name: &str) -> Result<[u8; 4], Errno> {
    if let Some(a) = parse_ipv4(name) {
        return Ok(a);
    }
    if let Ok(text) = fs::read_to_string(HOSTS) {
        if let Some(a) = lookup_hosts(&text, name) {
            return Ok(a);
        }
    }
    let servers = fs::read_to_string(RESOLV_CONF)
        .map(|t| nameservers(&t))
        .unwrap_or_default();
    let servers = if servers.is_empty() {
        alloc::vec![DEFAULT_SERVER]
    } else {
        servers
    };
    let mut last = Errno::ENOENT;
    for (addr, port) in servers {
        match query(name, addr, port) {
            Ok(Some(a)) => return Ok(a),
            Ok(None) => return Err(Errno::ENOENT),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A name in a hosts file's text (`ADDRESS NAME [ALIAS...]`, `#` comments).
pub fn lookup_hosts(text: &str, name: &str) -> Option<[u8; 4]> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .find_map(|l| {
            let mut words = l.split_whitespace();
            let addr = parse_ipv4(words.next()?)?;
            words.any(|w| w.eq_ignore_ascii_case(name)).then_some(addr)
        })
}

/// The `nameserver` lines of a resolv.conf.
pub fn nameservers(text: &str) -> Vec<([u8; 4], u16)> {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next()? == "nameserver").then_some(())?;
            let v = w.next()?;
            match v.split_once(':') {
                Some((a, p)) => Some((parse_ipv4(a)?, p.parse().ok()?)),
                None => Some((parse_ipv4(v)?, 53)),
            }
        })
        .collect()
}

/// A query for the A record of `name`, with identifier `id`.
pub fn build_query(name: &str, id: u16) -> Result<Vec<u8>, Errno> {
    let mut q = Vec::with_capacity(name.len() + 18);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00]); // recursion desired
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // one question
    let name = name.trim_end_matches('.');
    if name.is_empty() || name.len() > 253 {
        return Err(Errno::EINVAL);
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(Errno::EINVAL);
        }
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&[0, 1, 0, 1]); // type A, class IN
    Ok(q)
}

/// Skip a (possibly compressed) name at `at`; where it ends.
fn skip_name(m: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *m.get(at)? as usize;
        match len {
            0 => return Some(at + 1),
            l if l & 0xc0 == 0xc0 => return Some(at + 2),
            l => at += 1 + l,
        }
    }
}

fn be16(m: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*m.get(at)?, *m.get(at + 1)?]))
}

/// The first A record of an answer to query `id`: `Ok(None)` for "no such name" (or
/// no address), Err(EIO) for a malformed or mismatched message.
pub fn parse_answer(m: &[u8], id: u16) -> Result<Option<[u8; 4]>, Errno> {
    let bad = Errno::EIO;
    if m.len() < 12 || be16(m, 0) != Some(id) || m[2] & 0x80 == 0 {
        return Err(bad);
    }
    let rcode = m[3] & 0x0f;
    if rcode == 3 {
        return Ok(None);
    }
    if rcode != 0 {
        return Err(bad);
    }
    let qd = be16(m, 4).ok_or(bad)?;
    let an = be16(m, 6).ok_or(bad)?;
    let mut at = 12;
    for _ in 0..qd {
        at = skip_name(m, at).ok_or(bad)? + 4;
    }
    for _ in 0..an {
        at = skip_name(m, at).ok_or(bad)?;
        let ty = be16(m, at).ok_or(bad)?;
        let class = be16(m, at + 2).ok_or(bad)?;
        let len = be16(m, at + 8).ok_or(bad)? as usize;
        let data = m.get(at + 10..at + 10 + len).ok_or(bad)?;
        if ty == 1 && class == 1 && len == 4 {
            return Ok(Some([data[0], data[1], data[2], data[3]]));
        }
        at += 10 + len;
    }
    Ok(None)
}

/// Ask the server at `addr:port`.
fn query(name: &str, addr: [u8; 4], port: u16) -> Result<Option<[u8; 4]>, Errno> {
    let id = (sys::getpid().unwrap_or(1) as u16) ^ 0x5a17;
    let q = build_query(name, id)?;
    let s = Socket::new(SOCK_DGRAM, 0)?;
    s.set_option(SOL_SOCKET, SO_RCVTIMEO, TIMEOUT_MS)?;
    s.connect(addr, port)?;
    let mut buf = [0u8; 512];
    let mut last = Errno::ETIMEDOUT;
    for _ in 0..TRIES {
        sys::write(s.fd(), &q)?;
        loop {
            match sys::read(s.fd(), &mut buf) {
                // Another message (a late answer to an earlier try): keep waiting.
                Ok(n) => match parse_answer(&buf[..n], id) {
                    Err(_) => continue,
                    r => return r,
                },
                Err(e) => {
                    last = e;
                    break;
                }
            }
        }
    }
    Err(last)
}

/// For messages: `name (a.b.c.d)`.
pub fn describe(name: &str, a: [u8; 4]) -> String {
    alloc::format!("{name} ({})", crate::net::fmt_ipv4(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_resolv_conf_lines() {
        let hosts = "127.0.0.1 localhost\n# c\n10.0.2.2 host gateway # x\n";
        assert_eq!(lookup_hosts(hosts, "gateway"), Some([10, 0, 2, 2]));
        assert_eq!(lookup_hosts(hosts, "c"), None);
        assert_eq!(
            nameservers("search x\nnameserver 10.0.2.3\nnameserver 10.0.2.2:5353\n"),
            alloc::vec![([10, 0, 2, 3], 53), ([10, 0, 2, 2], 5353)]
        );
    }

    #[test]
    fn a_query_and_its_answer() {
        let q = build_query("a.bc", 7).unwrap();
        assert_eq!(&q[12..], &[1, b'a', 2, b'b', b'c', 0, 0, 1, 0, 1]);
        let mut r = q.clone();
        r[2] |= 0x80;
        r[7] = 1; // one answer, the name compressed to the question's
        r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3]);
        assert_eq!(parse_answer(&r, 7), Ok(Some([10, 1, 2, 3])));
        assert_eq!(parse_answer(&r, 8), Err(Errno::EIO));
        r[3] = 3;
        assert_eq!(parse_answer(&r, 7), Ok(None));
        assert_eq!(parse_answer(&r[..5], 7), Err(Errno::EIO));
        assert!(build_query("a..b", 1).is_err());
    }
}
