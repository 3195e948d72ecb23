//! Sockets for programs (docs/network.md): IPv4 addresses, TCP connections and
//! listeners, UDP and ping sockets, each an owned descriptor closed on drop, readable
//! and writable through `io::Read`/`io::Write` like any file.

use crate::io::{Read, Write};
use crate::{sys, Result};
use abi::net::*;
use alloc::string::String;

pub use abi::net::SockAddrIn;

/// An IPv4 address from text: a dotted quad, or `localhost` (other names:
/// [`crate::dns::resolve`]).
pub fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    if s == "localhost" {
        return Some([127, 0, 0, 1]);
    }
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for b in out.iter_mut() {
        *b = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// `a.b.c.d`.
pub fn fmt_ipv4(a: [u8; 4]) -> String {
    alloc::format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

/// An open socket; closed when dropped.
#[derive(Debug)]
pub struct Socket(pub i32);

impl Drop for Socket {
    fn drop(&mut self) {
        let _ = sys::close(self.0);
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        sys::read(self.0, buf)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        sys::write(self.0, buf)
    }
}

impl Socket {
    pub fn new(ty: u32, protocol: u32) -> Result<Socket> {
        Ok(Socket(sys::socket(AF_INET, ty, protocol)? as i32))
    }

    pub fn fd(&self) -> i32 {
        self.0
    }

    /// Give up ownership: the descriptor stays open.
    pub fn into_fd(self) -> i32 {
        let fd = self.0;
        core::mem::forget(self);
        fd
    }

    pub fn bind(&self, addr: [u8; 4], port: u16) -> Result<()> {
        sys::bind(self.0, &SockAddrIn::new(addr, port)).map(|_| ())
    }

    pub fn connect(&self, addr: [u8; 4], port: u16) -> Result<()> {
        sys::connect(self.0, &SockAddrIn::new(addr, port)).map(|_| ())
    }

    /// The next connection on a listening socket, and who it is from.
    pub fn accept(&self) -> Result<(Socket, SockAddrIn)> {
        let (fd, peer) = sys::accept(self.0, 0)?;
        Ok((Socket(fd), peer))
    }

    pub fn send_to(&self, data: &[u8], addr: [u8; 4], port: u16) -> Result<usize> {
        sys::sendto(self.0, data, 0, Some(&SockAddrIn::new(addr, port)))
    }

    pub fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SockAddrIn)> {
        sys::recvfrom(self.0, buf, 0)
    }

    pub fn shutdown(&self, how: u32) -> Result<()> {
        sys::shutdown(self.0, how).map(|_| ())
    }

    pub fn local_addr(&self) -> Result<SockAddrIn> {
        sys::getsockname(self.0)
    }

    pub fn peer_addr(&self) -> Result<SockAddrIn> {
        sys::getpeername(self.0)
    }

    pub fn set_option(&self, level: u32, name: u32, value: u64) -> Result<()> {
        sys::setsockopt(self.0, level, name, value).map(|_| ())
    }
}

/// A TCP connection to `addr:port`.
pub fn tcp_connect(addr: [u8; 4], port: u16) -> Result<Socket> {
    let s = Socket::new(SOCK_STREAM, 0)?;
    s.connect(addr, port)?;
    Ok(s)
}

/// A TCP socket listening on `addr:port` (0.0.0.0: every interface).
pub fn tcp_listen(addr: [u8; 4], port: u16, backlog: u32) -> Result<Socket> {
    let s = Socket::new(SOCK_STREAM, 0)?;
    s.set_option(SOL_SOCKET, SO_REUSEADDR, 1)?;
    s.bind(addr, port)?;
    sys::listen(s.0, backlog)?;
    Ok(s)
}

/// An AF_UNIX stream socket listening on `name` (a path: the socket node is made;
/// a leading NUL: the abstract namespace).
pub fn unix_listen(name: &str, backlog: u32) -> Result<Socket> {
    let s = Socket(sys::socket(AF_UNIX, SOCK_STREAM, 0)? as i32);
    sys::bind_unix(s.0, name.as_bytes())?;
    sys::listen(s.0, backlog)?;
    Ok(s)
}

/// An AF_UNIX stream connection to the listener `name`.
pub fn unix_connect(name: &str) -> Result<Socket> {
    let s = Socket(sys::socket(AF_UNIX, SOCK_STREAM, 0)? as i32);
    sys::connect_unix(s.0, name.as_bytes())?;
    Ok(s)
}

/// A UDP socket bound to `port` on every interface (0: any free port).
pub fn udp_bind(port: u16) -> Result<Socket> {
    let s = Socket::new(SOCK_DGRAM, 0)?;
    s.bind([0; 4], port)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_as_dotted_quads_only() {
        assert_eq!(parse_ipv4("10.0.2.2"), Some([10, 0, 2, 2]));
        assert_eq!(parse_ipv4("localhost"), Some([127, 0, 0, 1]));
        assert_eq!(parse_ipv4("10.0.2"), None);
        assert_eq!(parse_ipv4("10.0.2.2.1"), None);
        assert_eq!(parse_ipv4("10.0.2.256"), None);
        assert_eq!(fmt_ipv4([192, 168, 0, 1]), "192.168.0.1");
    }
}
