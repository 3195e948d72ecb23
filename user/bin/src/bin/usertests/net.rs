//! Sockets (communication over a network, docs/network.md): every socket call with a
//! bad descriptor, a bad pointer, a descriptor that is not a socket or an argument
//! that makes no sense gets its errno, and a burst of loopback connections leaves
//! the kernel's socket table at its size.

use crate::{ensure, pipe, TestResult};
use alloc::format;
use alloc::string::String;
use ulib::abi::net::*;
use ulib::abi::nr;
use ulib::net::{self, Socket};
use ulib::{sys, Errno};

const UNMAPPED: usize = 0x1000;
const KERNEL: usize = 0xffff_ffff_8000_0000;

#[allow(unsafe_code)]
fn call(number: usize, a: [usize; 6]) -> sys::SysResult {
    // SAFETY: every pointer passed is invalid on purpose (unmapped, kernel half) or a
    // descriptor number: the kernel must refuse them; no Rust object is touched.
    Errno::decode(unsafe { sys::syscall6(number, a) })
}

fn want(what: &str, got: sys::SysResult, e: Errno) -> TestResult {
    ensure(got == Err(e), || {
        format!("{what}: got {got:?}, expected {e:?}")
    })
}

/// The AF_UNIX side and the message calls (174-177): bad pointers, descriptors and
/// lengths get their errno, never a fault in the kernel.
fn unix_calls_refuse_bad_arguments() -> TestResult {
    let u =
        Socket(sys::socket(AF_UNIX, SOCK_STREAM, 0).map_err(|e| format!("socket: {e}"))? as i32);
    let fd = u.fd() as usize;
    for p in [0, UNMAPPED, KERNEL] {
        for (name, n) in [("bind", nr::BIND), ("connect", nr::CONNECT)] {
            want(
                &format!("AF_UNIX {name} to {p:#x}"),
                call(n, [fd, p, 0, 0, 0, 0]),
                Errno::EFAULT,
            )?;
        }
        for (name, n) in [("sendmsg", nr::SENDMSG), ("recvmsg", nr::RECVMSG)] {
            want(
                &format!("{name} of {p:#x}"),
                call(n, [fd, p, 0, 0, 0, 0]),
                Errno::EFAULT,
            )?;
        }
        want(
            &format!("socketpair into {p:#x}"),
            call(
                nr::SOCKETPAIR,
                [AF_UNIX as usize, SOCK_STREAM as usize, 0, p, 0, 0],
            ),
            Errno::EFAULT,
        )?;
        want(
            &format!("peercred into {p:#x}"),
            call(nr::PEERCRED, [fd, p, 0, 0, 0, 0]),
            Errno::ENOTCONN,
        )?;
    }
    want(
        "peercred of fd 63",
        call(nr::PEERCRED, [63, 0, 0, 0, 0, 0]),
        Errno::EBADF,
    )?;
    want(
        "sendmsg on fd 63",
        call(nr::SENDMSG, [63, 0, 0, 0, 0, 0]),
        Errno::EBADF,
    )?;
    want(
        "connect to no such name",
        sys::connect_unix(u.fd(), b"/tmp/no-such-socket"),
        Errno::ENOENT,
    )?;
    want(
        "connect to a directory",
        sys::connect_unix(u.fd(), b"/tmp"),
        Errno::ECONNREFUSED,
    )?;
    want(
        "bind where a file is",
        sys::bind_unix(u.fd(), b"/bin/sh"),
        Errno::EADDRINUSE,
    )?;
    want("listen unbound", sys::listen(u.fd(), 1), Errno::EINVAL)?;
    want(
        "accept unbound",
        sys::accept(u.fd(), 0).map(|_| 0),
        Errno::EINVAL,
    )?;
    let mut b = [0u8; 4];
    want("read unconnected", sys::read(u.fd(), &mut b), Errno::EINVAL)?;
    want(
        "sendmsg unconnected",
        sys::sendmsg(u.fd(), &[b"x"], &[], None, MSG_NOSIGNAL),
        Errno::ENOTCONN,
    )?;
    let (a, c) = sys::socketpair(SOCK_STREAM).map_err(|e| format!("socketpair: {e}"))?;
    let (a, c) = (Socket(a), Socket(c));
    want(
        "pass fd 63",
        sys::sendmsg(a.fd(), &[b"x"], &[63], None, 0),
        Errno::EBADF,
    )?;
    want(
        "pass a socket over itself",
        sys::sendmsg(a.fd(), &[b"x"], &[a.fd()], None, 0),
        Errno::EINVAL,
    )?;
    want(
        "pass the peer to itself",
        sys::sendmsg(a.fd(), &[b"x"], &[c.fd()], None, 0),
        Errno::EINVAL,
    )?;
    // A port's receiving end may not travel (a socket's queue holding the receiving
    // end of the port that holds the socket would be a cycle no close ends); its
    // sending end may, and arrives.
    let mut pfds = [0i32; 2];
    sys::port_create(&mut pfds, 0, 0).map_err(|e| format!("port_create: {e}"))?;
    want(
        "pass a port's receiving end",
        sys::sendmsg(a.fd(), &[b"r"], &[pfds[0]], None, 0),
        Errno::EINVAL,
    )?;
    let sent = sys::sendmsg(a.fd(), &[b"s"], &[pfds[1]], None, 0);
    ensure(sent == Ok(1), || {
        format!("passing a port's sending end: {sent:?}")
    })?;
    let mut b = [0u8; 4];
    let got = sys::read(c.fd(), &mut b);
    ensure(got == Ok(1) && b[0] == b's', || {
        format!("reading the message that carried the sending end: {got:?}")
    })?;
    for fd in pfds {
        let _ = sys::close(fd);
    }
    let lie = Ucred {
        pid: 1,
        uid: 0,
        gid: 0,
    };
    let r = sys::sendmsg(a.fd(), &[b"x"], &[], Some(lie), 0);
    ensure(r.is_ok() || r == Err(Errno::EPERM), || {
        format!("claiming pid 1's credentials: {r:?}")
    })?;
    if sys::getuid().unwrap_or(0) != 0 {
        ensure(r == Err(Errno::EPERM), || {
            format!("a user claimed root's credentials: {r:?}")
        })?;
    }
    want(
        "socketpair AF_INET",
        call(
            nr::SOCKETPAIR,
            [AF_INET as usize, SOCK_STREAM as usize, 0, 0, 0, 0],
        ),
        Errno::EOPNOTSUPP,
    )?;
    Ok(())
}

fn table() -> Result<usize, String> {
    sys::net_sockets()
        .map(|v| v.len())
        .map_err(|e| format!("net_sockets: {e}"))
}

pub fn socket_calls_refuse_bad_arguments() -> TestResult {
    let before = table()?;
    want(
        "socket(AF_INET6)",
        sys::socket(10, SOCK_STREAM, 0),
        Errno::EAFNOSUPPORT,
    )?;
    want(
        "socket(AF_UNIX, SOCK_DGRAM)",
        sys::socket(AF_UNIX, SOCK_DGRAM, 0),
        Errno::EPROTONOSUPPORT,
    )?;
    unix_calls_refuse_bad_arguments()?;
    want(
        "socket(AF_INET, 99)",
        sys::socket(AF_INET, 99, 0),
        Errno::EINVAL,
    )?;
    want(
        "socket(SOCK_STREAM, UDP)",
        sys::socket(AF_INET, SOCK_STREAM, IPPROTO_UDP),
        Errno::EPROTONOSUPPORT,
    )?;
    let (r, _w) = pipe()?;
    let addr = SockAddrIn::new([127, 0, 0, 1], 9);
    want(
        "bind on a pipe",
        sys::bind(r.as_raw_fd(), &addr),
        Errno::ENOTSOCK,
    )?;
    want("listen on fd 63", sys::listen(63, 1), Errno::EBADF)?;
    let s = Socket::new(SOCK_STREAM, 0).map_err(|e| format!("socket: {e}"))?;
    let fd = s.fd() as usize;
    for p in [0, UNMAPPED, KERNEL] {
        want(
            &format!("bind to {p:#x}"),
            call(nr::BIND, [fd, p, 0, 0, 0, 0]),
            Errno::EFAULT,
        )?;
        want(
            &format!("connect to {p:#x}"),
            call(nr::CONNECT, [fd, p, 0, 0, 0, 0]),
            Errno::EFAULT,
        )?;
        want(
            &format!("getsockname to {p:#x}"),
            call(nr::GETSOCKNAME, [fd, p, 0, 0, 0, 0]),
            Errno::EFAULT,
        )?;
    }
    let mut other = addr;
    other.family = AF_UNIX as u16;
    want(
        "bind of an AF_UNIX address",
        sys::bind(s.fd(), &other),
        Errno::EAFNOSUPPORT,
    )?;
    want(
        "bind to an address not ours",
        sys::bind(s.fd(), &SockAddrIn::new([8, 8, 8, 8], 5000)),
        Errno::EADDRNOTAVAIL,
    )?;
    want(
        "getpeername unconnected",
        sys::getpeername(s.fd()).map(|_| 0),
        Errno::ENOTCONN,
    )?;
    let mut b = [0u8; 4];
    want(
        "read unconnected",
        sys::read(s.fd(), &mut b),
        Errno::ENOTCONN,
    )?;
    want(
        "write unconnected",
        sys::write(s.fd(), b"x"),
        Errno::ENOTCONN,
    )?;
    want(
        "setsockopt unknown",
        sys::setsockopt(s.fd(), SOL_SOCKET, 9999, 1),
        Errno::ENOPROTOOPT,
    )?;
    want("shutdown how=7", sys::shutdown(s.fd(), 7), Errno::EINVAL)?;
    // A closed port refuses; a listener's port is taken; a bound socket cannot bind again.
    want(
        "connect to a closed port",
        sys::connect(s.fd(), &addr),
        Errno::ECONNREFUSED,
    )?;
    let l = net::tcp_listen([127, 0, 0, 1], 0, 2).map_err(|e| format!("listen: {e}"))?;
    let port = l
        .local_addr()
        .map_err(|e| format!("getsockname: {e}"))?
        .port();
    let t = Socket::new(SOCK_STREAM, 0).map_err(|e| format!("socket: {e}"))?;
    want(
        "bind to a listener's port",
        sys::bind(t.fd(), &SockAddrIn::new([0; 4], port)),
        Errno::EADDRINUSE,
    )?;
    t.bind([0; 4], 0).map_err(|e| format!("bind port 0: {e}"))?;
    want(
        "bind twice",
        sys::bind(t.fd(), &SockAddrIn::new([0; 4], 0)),
        Errno::EINVAL,
    )?;
    let nb = Socket(
        sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0).map_err(|e| format!("socket: {e}"))?
            as i32,
    );
    nb.bind([127, 0, 0, 1], 0)
        .map_err(|e| format!("bind: {e}"))?;
    sys::listen(nb.fd(), 1).map_err(|e| format!("listen: {e}"))?;
    want(
        "accept, non-blocking, none waiting",
        sys::accept(nb.fd(), 0).map(|_| 0),
        Errno::EAGAIN,
    )?;
    want(
        "accept with unknown flags",
        sys::accept(nb.fd(), 1).map(|_| 0),
        Errno::EINVAL,
    )?;
    // Datagram sockets: no destination, no listening.
    let u = Socket::new(SOCK_DGRAM, 0).map_err(|e| format!("socket: {e}"))?;
    want(
        "send without a destination",
        sys::sendto(u.fd(), b"x", 0, None),
        Errno::EDESTADDRREQ,
    )?;
    want("listen on UDP", sys::listen(u.fd(), 1), Errno::EOPNOTSUPP)?;
    let ping = Socket::new(SOCK_DGRAM, IPPROTO_ICMP).map_err(|e| format!("ping socket: {e}"))?;
    want(
        "a ping socket's non-echo message",
        sys::sendto(ping.fd(), &[3u8; 8], 0, Some(&addr)),
        Errno::EINVAL,
    )?;
    // A burst of loopback connections, accepted and closed on both sides.
    for i in 0..8 {
        let c = net::tcp_connect([127, 0, 0, 1], port).map_err(|e| format!("connect {i}: {e}"))?;
        let (a, _) = l.accept().map_err(|e| format!("accept {i}: {e}"))?;
        ulib::io::write_all(c.fd(), b"ping").map_err(|e| format!("write {i}: {e}"))?;
        let n = sys::read(a.fd(), &mut b).map_err(|e| format!("read {i}: {e}"))?;
        ensure(&b[..n] == b"ping", || {
            format!("connection {i} carried {:?}", &b[..n])
        })?;
    }
    drop((s, l, t, u, ping, nb));
    // Connections closing go through TIME_WAIT (10 s in smoltcp): wait for the table.
    for _ in 0..40 {
        if table()? == before {
            return Ok(());
        }
        ulib::time::sleep(ulib::time::Duration::from_millis(500));
    }
    Err(format!(
        "the socket table has {} entries, {before} before",
        table()?
    ))
}
