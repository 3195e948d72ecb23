//! The socket table: every socket the kernel has, what it is bound and connected to,
//! and the operations of the socket calls on it (chapter 2, 3-2 "communication":
//! the connection model — open a connection, accept it, read and write, close).
//!
//! A dinos socket is an entry here, named by a [`Sid`]; the descriptor's object
//! (`file.rs`) holds only the id. An entry owns smoltcp sockets on the interfaces:
//!
//! - a TCP connection: one, on the interface its peer is reached through;
//! - a TCP listener: on *every* interface, a few smoltcp sockets listening on its
//!   port (smoltcp's listening socket *becomes* the connection, so after each poll
//!   the ones that got a SYN move to the accept queue and fresh ones take their
//!   place; the queue is bounded by the backlog, a connection that never
//!   completes its handshake is dropped after [`HANDSHAKE_TIMEOUT`], and when the
//!   queue is full the oldest such half-open connection makes room for a new SYN);
//! - a UDP or ping socket: one per interface, so it hears from all of them and
//!   sends through the one the destination is on.
//!
//! Operations answer `Ok(None)` when they would have to wait; `file.rs` does the
//! waiting. A descriptor's last close ends a connection gracefully (FIN): the entry
//! stays, marked orphan, until the connection is closed (TIME_WAIT included) or
//! [`ORPHAN_LIFETIME`] passes, so `netstat` shows connections closing and the table returns to its size.

use crate::stack::{now, Iface};
use abi::net::*;
use abi::Errno;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec;
use alloc::vec::Vec;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::{icmp, tcp, udp};
use smoltcp::time::Duration;
use smoltcp::wire::{IpAddress, IpEndpoint, IpListenEndpoint, Ipv4Address};

mod connect;
mod transfer;

pub type Sid = u64;
/// An IPv4 address and port.
pub type Endpoint = (Ipv4Address, u16);

pub(crate) const TCP_BUF: usize = 32 * 1024;
const UDP_PACKETS: usize = 16;
pub(crate) const UDP_BUF: usize = 16 * 1024;
/// Listening smoltcp sockets kept per interface (connections in handshake at once).
const LISTEN_SPARES: usize = 4;
pub const MAX_BACKLOG: usize = 16;
/// A connection whose handshake or unacknowledged data makes no progress this long
/// is aborted.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const DATA_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a closed descriptor's connection may take to finish closing.
const ORPHAN_LIFETIME: u64 = 30_000_000; // microseconds
/// The most sockets at once (a bound on kernel memory a program can take).
pub const MAX_SOCKETS: usize = 256;
const EPHEMERAL: core::ops::RangeInclusive<u16> = 49152..=65535;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
}

/// Where a smoltcp socket is: the interface's index and its handle there.
pub type At = (usize, SocketHandle);

pub enum Kind {
    /// A TCP socket neither connected nor listening yet.
    Fresh,
    Listen {
        backlog: usize,
        spares: Vec<At>,
        queue: VecDeque<At>,
    },
    Conn(At),
    /// UDP or ping: one smoltcp socket per interface (none before bind).
    Dgram(Vec<At>),
}

pub struct Entry {
    pub proto: Proto,
    pub kind: Kind,
    /// Bound address (0.0.0.0: any) and port (0: none yet).
    pub local: (Ipv4Address, u16),
    /// The default destination (connected UDP / ping), or the TCP peer.
    pub remote: Option<(Ipv4Address, u16)>,
    pub shut_rd: bool,
    pub shut_wr: bool,
    pub reuse: bool,
    pub keepalive: bool,
    pub nodelay: bool,
    pub rcvtimeo_ms: u64,
    pub sndtimeo_ms: u64,
    /// A pending error for SO_ERROR (a refused connection).
    pub error: Option<Errno>,
    /// The descriptor is gone; the connection is closing (time of the close).
    pub orphan: Option<i64>,
}

pub struct Net {
    pub ifaces: Vec<Iface>,
    pub socks: BTreeMap<Sid, Entry>,
    next_sid: Sid,
    next_port: u16,
}

fn v4(a: IpAddress) -> Ipv4Address {
    match a {
        IpAddress::Ipv4(a) => a,
    }
}

fn tcp_socket() -> tcp::Socket<'static> {
    let mut s = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0; TCP_BUF]),
        tcp::SocketBuffer::new(vec![0; TCP_BUF]),
    );
    s.set_timeout(Some(DATA_TIMEOUT));
    s
}

fn udp_socket() -> udp::Socket<'static> {
    udp::Socket::new(
        udp::PacketBuffer::new(
            vec![udp::PacketMetadata::EMPTY; UDP_PACKETS],
            vec![0; UDP_BUF],
        ),
        udp::PacketBuffer::new(
            vec![udp::PacketMetadata::EMPTY; UDP_PACKETS],
            vec![0; UDP_BUF],
        ),
    )
}

fn icmp_socket() -> icmp::Socket<'static> {
    icmp::Socket::new(
        icmp::PacketBuffer::new(
            vec![icmp::PacketMetadata::EMPTY; UDP_PACKETS],
            vec![0; UDP_BUF],
        ),
        icmp::PacketBuffer::new(
            vec![icmp::PacketMetadata::EMPTY; UDP_PACKETS],
            vec![0; UDP_BUF],
        ),
    )
}

impl Net {
    pub fn new(ifaces: Vec<Iface>) -> Net {
        Net {
            ifaces,
            socks: BTreeMap::new(),
            next_sid: 1,
            next_port: *EPHEMERAL.start(),
        }
    }

    pub(crate) fn tcp(&mut self, at: At) -> &mut tcp::Socket<'static> {
        self.ifaces[at.0].sockets.get_mut::<tcp::Socket>(at.1)
    }

    pub(crate) fn entry(&mut self, sid: Sid) -> Result<&mut Entry, Errno> {
        self.socks.get_mut(&sid).ok_or(Errno::EBADF)
    }

    /// The interface a destination is reached through: loopback for 127/8 and for
    /// this machine's own addresses, else the first card (there is one route out).
    fn iface_for(&self, dst: Ipv4Address) -> Result<usize, Errno> {
        if dst.octets()[0] == 127 || self.ifaces[0].has_addr(dst) {
            return Ok(0);
        }
        if dst.is_unspecified() {
            return Err(Errno::EINVAL);
        }
        match self.ifaces.get(1) {
            Some(i) if i.addr.is_some() => Ok(1),
            _ => Err(Errno::ENETUNREACH),
        }
    }

    pub fn create(&mut self, proto: Proto) -> Result<Sid, Errno> {
        if self.socks.len() >= MAX_SOCKETS {
            return Err(Errno::ENFILE);
        }
        let sid = self.next_sid;
        self.next_sid += 1;
        self.socks.insert(
            sid,
            Entry {
                proto,
                kind: match proto {
                    Proto::Tcp => Kind::Fresh,
                    _ => Kind::Dgram(Vec::new()),
                },
                local: (Ipv4Address::UNSPECIFIED, 0),
                remote: None,
                shut_rd: false,
                shut_wr: false,
                reuse: false,
                keepalive: false,
                nodelay: false,
                rcvtimeo_ms: 0,
                sndtimeo_ms: 0,
                error: None,
                orphan: None,
            },
        );
        Ok(sid)
    }

    /// Is `port` taken by another socket of protocol `proto`? With `reuse` (the
    /// binding socket's `SO_REUSEADDR`) connections on the port do not count, only
    /// other bound or listening sockets: a server restarted while its old
    /// connections are still closing may bind again.
    fn port_taken(&self, proto: Proto, port: u16, except: Sid, reuse: bool) -> bool {
        self.socks.iter().any(|(&s, e)| {
            s != except
                && e.proto == proto
                && e.local.1 == port
                && !(reuse && matches!(e.kind, Kind::Conn(_)))
        })
    }

    fn ephemeral(&mut self, proto: Proto, sid: Sid) -> Result<u16, Errno> {
        let span = (*EPHEMERAL.end() - *EPHEMERAL.start()) as usize + 1;
        for _ in 0..span {
            let p = self.next_port;
            self.next_port = if p == *EPHEMERAL.end() {
                *EPHEMERAL.start()
            } else {
                p + 1
            };
            if !self.port_taken(proto, p, sid, false) {
                return Ok(p);
            }
        }
        Err(Errno::EADDRINUSE)
    }

    /// `bind`: a port below 1024 needs `privileged` (root), as on Linux (EACCES).
    pub fn bind(
        &mut self,
        sid: Sid,
        addr: Ipv4Address,
        port: u16,
        privileged: bool,
    ) -> Result<(), Errno> {
        let proto = self.entry(sid)?.proto;
        if self.entry(sid)?.local.1 != 0 {
            return Err(Errno::EINVAL);
        }
        if !addr.is_unspecified() && !self.ifaces.iter().any(|i| i.has_addr(addr)) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        if port != 0 && port < PORT_PRIVILEGED && !privileged && proto != Proto::Icmp {
            return Err(Errno::EACCES);
        }
        let port = match port {
            0 => self.ephemeral(proto, sid)?,
            p if proto != Proto::Icmp
                && self.port_taken(
                    proto,
                    p,
                    sid,
                    self.socks.get(&sid).is_some_and(|e| e.reuse),
                ) =>
            {
                return Err(Errno::EADDRINUSE)
            }
            p => p,
        };
        self.entry(sid)?.local = (addr, port);
        if proto != Proto::Tcp {
            self.open_dgram(sid)?;
        }
        Ok(())
    }

    /// Make the per-interface sockets of a bound UDP or ping socket.
    fn open_dgram(&mut self, sid: Sid) -> Result<(), Errno> {
        let e = self.socks.get(&sid).ok_or(Errno::EBADF)?;
        let (proto, (addr, port)) = (e.proto, e.local);
        let listen = IpListenEndpoint {
            addr: (!addr.is_unspecified()).then_some(IpAddress::Ipv4(addr)),
            port,
        };
        let mut ats = Vec::new();
        for (i, iface) in self.ifaces.iter_mut().enumerate() {
            let h = match proto {
                Proto::Udp => {
                    let mut s = udp_socket();
                    s.bind(listen).map_err(|_| Errno::EINVAL)?;
                    iface.sockets.add(s)
                }
                _ => {
                    let mut s = icmp_socket();
                    s.bind(icmp::Endpoint::Ident(port))
                        .map_err(|_| Errno::EINVAL)?;
                    iface.sockets.add(s)
                }
            };
            ats.push((i, h));
        }
        self.entry(sid)?.kind = Kind::Dgram(ats);
        Ok(())
    }

    /// The last descriptor closed: end the socket (gracefully for a connection).
    pub fn release(&mut self, sid: Sid) {
        let Some(e) = self.socks.get_mut(&sid) else {
            return;
        };
        match &mut e.kind {
            Kind::Conn(at) => {
                let at = *at;
                e.orphan = Some(now().total_micros());
                self.tcp(at).close();
            }
            _ => self.remove(sid),
        }
    }

    /// Drop an entry and every smoltcp socket it has.
    fn remove(&mut self, sid: Sid) {
        let Some(e) = self.socks.remove(&sid) else {
            return;
        };
        let ats: Vec<At> = match e.kind {
            Kind::Fresh => Vec::new(),
            Kind::Conn(at) => vec![at],
            Kind::Dgram(v) => v,
            Kind::Listen { spares, queue, .. } => spares.into_iter().chain(queue).collect(),
        };
        for at in ats {
            let sockets = &mut self.ifaces[at.0].sockets;
            if e.proto == Proto::Tcp {
                // Connections that were queued but never accepted are reset.
                sockets.get_mut::<tcp::Socket>(at.1).abort();
            }
            sockets.remove(at.1);
        }
    }

    /// After a poll: listeners' sockets that got a SYN join the accept queue (and
    /// are replaced), queued ones that failed go, orphans that finished closing go.
    pub fn maintain(&mut self) {
        let sids: Vec<Sid> = self.socks.keys().copied().collect();
        let t = now().total_micros();
        for sid in sids {
            let Some(e) = self.socks.get_mut(&sid) else {
                continue;
            };
            match &mut e.kind {
                Kind::Listen {
                    spares,
                    queue,
                    backlog,
                } => {
                    let ifaces = &mut self.ifaces;
                    let mut i = 0;
                    while i < spares.len() {
                        let at = spares[i];
                        let st = ifaces[at.0].sockets.get::<tcp::Socket>(at.1).state();
                        if st != tcp::State::Listen {
                            spares.swap_remove(i);
                            queue.push_back(at);
                        } else {
                            i += 1;
                        }
                    }
                    queue.retain(|&at| {
                        let st = ifaces[at.0].sockets.get::<tcp::Socket>(at.1).state();
                        let dead = st == tcp::State::Closed;
                        if dead {
                            ifaces[at.0].sockets.remove(at.1);
                        }
                        !dead
                    });
                    // A full queue holding handshakes that never finished (a SYN
                    // flood, forged sources): the oldest of them makes room, so a
                    // real client is not refused for HANDSHAKE_TIMEOUT. A real
                    // handshake completes in one round trip and is then not evicted.
                    while queue.len() >= *backlog {
                        let half_open = queue.iter().position(|&at| {
                            let st = ifaces[at.0].sockets.get::<tcp::Socket>(at.1).state();
                            st == tcp::State::SynReceived
                        });
                        let Some(pos) = half_open else { break };
                        if let Some(at) = queue.remove(pos) {
                            ifaces[at.0].sockets.remove(at.1);
                        }
                    }
                    self.refill(sid);
                }
                Kind::Conn(at) if e.orphan.is_some() => {
                    let at = *at;
                    let since = e.orphan.unwrap_or(t);
                    let st = self.tcp(at).state();
                    // TIME_WAIT is kept (smoltcp ends it after a few seconds): the socket
                    // must live to acknowledge the peer's last segments.
                    if st == tcp::State::Closed || t - since > ORPHAN_LIFETIME as i64 {
                        self.remove(sid);
                    }
                }
                _ => {}
            }
        }
    }
}
