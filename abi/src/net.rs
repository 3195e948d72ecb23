//! The network's part of the contract (docs/network.md): address families, socket
//! types and options, the IPv4 socket address, and what `net_ifaces` and
//! `net_sockets` report. The values are Linux's, so the Linux personality passes
//! them through unchanged.

use crate::types::Pod;

pub const AF_UNIX: u32 = 1;
pub const AF_INET: u32 = 2;

pub const SOCK_STREAM: u32 = 1;
pub const SOCK_DGRAM: u32 = 2;
/// Or'ed into `socket`'s type (and `accept`'s flags): the new descriptor is
/// non-blocking / closed on exec.
pub const SOCK_NONBLOCK: u32 = 0o4000;
pub const SOCK_CLOEXEC: u32 = 0o2000000;

pub const IPPROTO_IP: u32 = 0;
/// `socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)`: a ping socket (Linux's): echo requests
/// out, echo replies in, the identifier is the socket's port.
pub const IPPROTO_ICMP: u32 = 1;
pub const IPPROTO_TCP: u32 = 6;
pub const IPPROTO_UDP: u32 = 17;

pub const SHUT_RD: u32 = 0;
pub const SHUT_WR: u32 = 1;
pub const SHUT_RDWR: u32 = 2;

/// `sendto`/`recvfrom` flags.
pub const MSG_PEEK: u32 = 2;
pub const MSG_DONTWAIT: u32 = 0x40;
/// `recvmsg`'s `msg_flags`: control data did not fit (descriptors were closed).
pub const MSG_CTRUNC: u32 = 0x8;
/// `recvmsg`'s `msg_flags`: the datagram was longer than the buffers.
pub const MSG_TRUNC: u32 = 0x20;
/// No SIGPIPE for a write to a closed connection (EPIPE only).
pub const MSG_NOSIGNAL: u32 = 0x4000;
/// Descriptors received by SCM_RIGHTS are closed on exec.
pub const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

/// AF_UNIX: `struct sockaddr_un` is the family and 108 bytes of path (NUL-terminated,
/// or, when the first byte is NUL, a name in the abstract namespace of the given
/// length).
pub const SUN_PATH: usize = 108;
pub const SOCKADDR_UN_SIZE: usize = 2 + SUN_PATH;
/// Ancillary messages (`cmsg_level` SOL_SOCKET): descriptors, credentials.
pub const SCM_RIGHTS: u32 = 1;
pub const SCM_CREDENTIALS: u32 = 2;
/// The most descriptors one message carries.
pub const SCM_MAX_FD: usize = 64;
/// `struct cmsghdr`: `cmsg_len` (u64, header included), level, type; data 8-aligned.
pub const CMSG_HDR: usize = 16;
/// `struct msghdr` (Linux's layout): name, namelen, iov, iovlen, control,
/// controllen, flags; 56 bytes.
pub const MSGHDR_SIZE: usize = 56;

// Option levels and names.
pub const SOL_SOCKET: u32 = 1;
pub const SO_REUSEADDR: u32 = 2;
pub const SO_TYPE: u32 = 3;
pub const SO_ERROR: u32 = 4;
pub const SO_BROADCAST: u32 = 6;
pub const SO_SNDBUF: u32 = 7;
pub const SO_RCVBUF: u32 = 8;
pub const SO_KEEPALIVE: u32 = 9;
/// AF_UNIX: receive the sender's credentials (SCM_CREDENTIALS) with each message.
pub const SO_PASSCRED: u32 = 16;
/// AF_UNIX: the peer's pid, uid, gid (a `struct ucred`).
pub const SO_PEERCRED: u32 = 17;
/// dinos: the value is milliseconds (0: no limit), not a `struct timeval`.
pub const SO_RCVTIMEO: u32 = 20;
pub const SO_SNDTIMEO: u32 = 21;
pub const TCP_NODELAY: u32 = 1;

/// The first port below which binding needs root.
pub const PORT_PRIVILEGED: u16 = 1024;

/// `struct sockaddr_in` (Linux's layout): family, port and address in network byte
/// order, eight bytes of padding.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SockAddrIn {
    pub family: u16,
    /// Big-endian, as on the wire.
    pub port_be: u16,
    pub addr: [u8; 4],
    pub zero: [u8; 8],
}

impl SockAddrIn {
    pub fn new(addr: [u8; 4], port: u16) -> SockAddrIn {
        SockAddrIn {
            family: AF_INET as u16,
            port_be: port.to_be(),
            addr,
            zero: [0; 8],
        }
    }
    pub fn port(&self) -> u16 {
        u16::from_be(self.port_be)
    }
}

impl Pod for SockAddrIn {
    fn to_bytes(&self, out: &mut [u8]) {
        out[0..2].copy_from_slice(&self.family.to_le_bytes());
        out[2..4].copy_from_slice(&self.port_be.to_le_bytes());
        out[4..8].copy_from_slice(&self.addr);
        out[8..16].copy_from_slice(&self.zero);
    }
    fn from_bytes(b: &[u8]) -> Self {
        let mut zero = [0; 8];
        zero.copy_from_slice(&b[8..16]);
        SockAddrIn {
            family: u16::from_le_bytes([b[0], b[1]]),
            port_be: u16::from_le_bytes([b[2], b[3]]),
            addr: [b[4], b[5], b[6], b[7]],
            zero,
        }
    }
}

/// `struct ucred`: a process's pid, uid and gid (SO_PEERCRED, SCM_CREDENTIALS).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ucred {
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Pod for Ucred {
    fn to_bytes(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.pid.to_le_bytes());
        out[4..8].copy_from_slice(&self.uid.to_le_bytes());
        out[8..12].copy_from_slice(&self.gid.to_le_bytes());
    }
    fn from_bytes(b: &[u8]) -> Self {
        let w = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Ucred {
            pid: w(0),
            uid: w(4),
            gid: w(8),
        }
    }
}

/// One network interface, as `net_ifaces` reports it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IfInfo {
    /// NUL-padded ("lo", "eth0").
    pub name: [u8; 8],
    /// All zero for the loopback interface.
    pub mac: [u8; 6],
    /// The prefix length of the address (0: no address yet).
    pub prefix: u8,
    pub up: u8,
    pub addr: [u8; 4],
    pub gateway: [u8; 4],
    pub dns: [u8; 4],
    pub mtu: u32,
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub dropped: u64,
}

impl Pod for IfInfo {
    fn to_bytes(&self, out: &mut [u8]) {
        out[0..8].copy_from_slice(&self.name);
        out[8..14].copy_from_slice(&self.mac);
        out[14] = self.prefix;
        out[15] = self.up;
        out[16..20].copy_from_slice(&self.addr);
        out[20..24].copy_from_slice(&self.gateway);
        out[24..28].copy_from_slice(&self.dns);
        out[28..32].copy_from_slice(&self.mtu.to_le_bytes());
        for (i, v) in [
            self.rx_packets,
            self.rx_bytes,
            self.tx_packets,
            self.tx_bytes,
            self.dropped,
        ]
        .iter()
        .enumerate()
        {
            out[32 + 8 * i..40 + 8 * i].copy_from_slice(&v.to_le_bytes());
        }
    }
    fn from_bytes(b: &[u8]) -> Self {
        let u64_at = |at: usize| {
            let mut a = [0; 8];
            a.copy_from_slice(&b[at..at + 8]);
            u64::from_le_bytes(a)
        };
        let mut s = IfInfo::default();
        s.name.copy_from_slice(&b[0..8]);
        s.mac.copy_from_slice(&b[8..14]);
        s.prefix = b[14];
        s.up = b[15];
        s.addr.copy_from_slice(&b[16..20]);
        s.gateway.copy_from_slice(&b[20..24]);
        s.dns.copy_from_slice(&b[24..28]);
        s.mtu = u32::from_le_bytes([b[28], b[29], b[30], b[31]]);
        s.rx_packets = u64_at(32);
        s.rx_bytes = u64_at(40);
        s.tx_packets = u64_at(48);
        s.tx_bytes = u64_at(56);
        s.dropped = u64_at(64);
        s
    }
}

/// `SockInfo::state` values (TCP's states; datagram sockets are `BOUND` or `UNBOUND`).
pub const SS_UNBOUND: u8 = 0;
pub const SS_BOUND: u8 = 1;
pub const SS_LISTEN: u8 = 2;
pub const SS_SYN_SENT: u8 = 3;
pub const SS_SYN_RECEIVED: u8 = 4;
pub const SS_ESTABLISHED: u8 = 5;
pub const SS_FIN_WAIT: u8 = 6;
pub const SS_CLOSE_WAIT: u8 = 7;
pub const SS_CLOSING: u8 = 8;
pub const SS_TIME_WAIT: u8 = 9;
pub const SS_CLOSED: u8 = 10;
/// Its names, indexed by state, for `netstat`.
pub const SS_NAMES: [&str; 11] = [
    "UNBOUND",
    "BOUND",
    "LISTEN",
    "SYN_SENT",
    "SYN_RECV",
    "ESTABLISHED",
    "FIN_WAIT",
    "CLOSE_WAIT",
    "CLOSING",
    "TIME_WAIT",
    "CLOSED",
];

/// One entry of the kernel's socket table, as `net_sockets` reports it: open sockets
/// and connections still closing after their descriptor went (`orphan` = 1).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SockInfo {
    /// `IPPROTO_TCP`, `IPPROTO_UDP` or `IPPROTO_ICMP`.
    pub proto: u8,
    pub state: u8,
    pub orphan: u8,
    pub pad: u8,
    pub local: [u8; 4],
    pub remote: [u8; 4],
    pub local_port: u16,
    pub remote_port: u16,
    pub recv_queue: u32,
    pub send_queue: u32,
}

impl Pod for SockInfo {
    fn to_bytes(&self, out: &mut [u8]) {
        out[0] = self.proto;
        out[1] = self.state;
        out[2] = self.orphan;
        out[3] = self.pad;
        out[4..8].copy_from_slice(&self.local);
        out[8..12].copy_from_slice(&self.remote);
        out[12..14].copy_from_slice(&self.local_port.to_le_bytes());
        out[14..16].copy_from_slice(&self.remote_port.to_le_bytes());
        out[16..20].copy_from_slice(&self.recv_queue.to_le_bytes());
        out[20..24].copy_from_slice(&self.send_queue.to_le_bytes());
    }
    fn from_bytes(b: &[u8]) -> Self {
        SockInfo {
            proto: b[0],
            state: b[1],
            orphan: b[2],
            pad: b[3],
            local: [b[4], b[5], b[6], b[7]],
            remote: [b[8], b[9], b[10], b[11]],
            local_port: u16::from_le_bytes([b[12], b[13]]),
            remote_port: u16::from_le_bytes([b[14], b[15]]),
            recv_queue: u32::from_le_bytes([b[16], b[17], b[18], b[19]]),
            send_queue: u32::from_le_bytes([b[20], b[21], b[22], b[23]]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Pod + PartialEq + core::fmt::Debug>(v: T) {
        let mut b = [0u8; 128];
        v.to_bytes(&mut b[..T::SIZE]);
        assert_eq!(T::from_bytes(&b[..T::SIZE]), v);
    }

    #[test]
    fn net_structures_round_trip_at_their_repr_c_size() {
        assert_eq!(SockAddrIn::SIZE, 16);
        assert_eq!(IfInfo::SIZE, 72);
        assert_eq!(SockInfo::SIZE, 24);
        round_trip(SockAddrIn::new([10, 0, 2, 15], 8080));
        assert_eq!(Ucred::SIZE, 12);
        round_trip(Ucred {
            pid: 7,
            uid: 1000,
            gid: 100,
        });
        round_trip(IfInfo {
            name: *b"eth0\0\0\0\0",
            mac: [1, 2, 3, 4, 5, 6],
            prefix: 24,
            up: 1,
            addr: [10, 0, 2, 15],
            mtu: 1500,
            rx_bytes: 99,
            dropped: 7,
            ..Default::default()
        });
        round_trip(SockInfo {
            proto: 6,
            state: SS_LISTEN,
            local_port: 80,
            send_queue: 5,
            ..Default::default()
        });
    }

    #[test]
    fn the_port_is_in_network_byte_order_in_memory() {
        let mut b = [0u8; 16];
        SockAddrIn::new([127, 0, 0, 1], 0x1234).to_bytes(&mut b);
        assert_eq!(&b[..8], &[2, 0, 0x12, 0x34, 127, 0, 0, 1]);
    }
}
