//! Networking: TCP/IP over the network cards and a loopback interface, and sockets
//! as open files (chapter 2, 3-2 "communication": message passing between processes
//! "on the same computer or on different computers connected by a network"; the
//! connection model: connect, accept, read, write, close).
//!
//! The protocols are smoltcp's (a well-kept `no_std` TCP/IP stack: IPv4, ARP, ICMP
//! echo, UDP, TCP with retransmission and windows, a DHCP client); this crate wires
//! it to the kernel:
//!
//! | file       | what                                                                |
//! |------------|---------------------------------------------------------------------|
//! | `phy.rs`   | smoltcp's device trait over a registered card (`drivers::netdev`)   |
//! | `stack.rs` | the interfaces (`lo`, `eth0`, ...), their polling, DHCP             |
//! | `table.rs` | the socket table and the socket calls' operations                   |
//! | `report.rs`| readiness, names, options, the table for `netstat`                  |
//! | `file.rs`  | a socket as a `FileObject`: read/write/poll/close, waiting          |
//! | `unix.rs`  | AF_UNIX stream sockets: names, connections, descriptors in flight   |
//!
//! Who runs the stack: the network thread `netd`, which sleeps until a PCI interrupt
//! (the card received or finished sending a frame) or smoltcp's next timer, then
//! acknowledges the card, polls every interface and wakes the sockets' waiters; and
//! every socket call that changed something, which polls at once. One spin lock
//! (interrupts off) guards the whole stack: smoltcp's work per poll is short, and
//! `poll` asks a socket's readiness with interrupts off.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod file;
pub mod phy;
pub mod report;
pub mod stack;
pub mod table;
pub mod unix;

use abi::net::*;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
pub use file::SocketFile;
use files::Signals;
use hal::sync::{SpinLock, SpinLockGuard};
use smoltcp::wire::{IpCidr, Ipv4Address, Ipv4Cidr};
use stack::Iface;
pub use table::Net;
use table::{Proto, Sid};
use task::WaitQueue;

static STACK: SpinLock<Option<Net>> = SpinLock::new(None);
/// Moves after every poll: a waiting socket call tries again when it has moved.
pub(crate) static EVENTS: AtomicU64 = AtomicU64::new(0);
/// The sockets' waiters (and `poll`'s), woken after every poll.
pub(crate) static WAITERS: WaitQueue = WaitQueue::new();
/// A socket call polled: the thread looks at smoltcp's timers again.
static KICKS: AtomicU64 = AtomicU64::new(0);
static KICK: WaitQueue = WaitQueue::new();

/// The stack, locked (made with loopback only if `init` has not run).
pub struct NetGuard<'a>(SpinLockGuard<'a, Option<Net>>);

impl core::ops::Deref for NetGuard<'_> {
    type Target = Net;
    fn deref(&self) -> &Net {
        self.0.as_ref().expect("made in lock()")
    }
}
impl core::ops::DerefMut for NetGuard<'_> {
    fn deref_mut(&mut self) -> &mut Net {
        self.0.as_mut().expect("made in lock()")
    }
}

pub(crate) fn lock() -> NetGuard<'static> {
    let mut g = STACK.lock();
    if g.is_none() {
        *g = Some(Net::new(alloc::vec![Iface::loopback()]));
    }
    NetGuard(g)
}

/// Start networking: the loopback interface, an Ethernet interface for each card the
/// drivers registered (DHCP starts on it), and the network thread.
pub fn init() {
    let mut ifaces = alloc::vec![Iface::loopback()];
    for nic in drivers::netdev::take_all() {
        log::info!("{} up, asking for an address (DHCP)", nic.name);
        ifaces.push(Iface::ethernet(nic.name, nic.dev));
    }
    *STACK.lock() = Some(Net::new(ifaces));
    if let Err(e) = task::spawn("netd", netd) {
        log::error!("cannot start the network thread: {e:?}");
    }
}

/// Poll every interface, apply DHCP, tidy the socket table, wake the waiters.
pub(crate) fn poll_locked(net: &mut Net) {
    for i in 0..net.ifaces.len() {
        net.ifaces[i].poll();
        if let Some(addr) = net.ifaces[i].dhcp_events() {
            // The machine's own address is reached through loopback too.
            let own = Ipv4Cidr::new(addr.address(), 32);
            net.ifaces[0].iface.update_ip_addrs(|a| {
                a.retain(|c| matches!(c, IpCidr::Ipv4(c) if c.address().octets()[0] == 127));
                let _ = a.push(IpCidr::Ipv4(own));
            });
        }
    }
    net.maintain();
    EVENTS.fetch_add(1, Ordering::SeqCst);
    WAITERS.wake_all();
    KICKS.fetch_add(1, Ordering::SeqCst);
    KICK.wake_all();
}

/// The network thread: poll when a card interrupts or a timer is due.
fn netd() {
    loop {
        let seen = drivers::pci_irq::count();
        let delay = {
            let mut net = lock();
            for i in net.ifaces.iter_mut() {
                if let stack::Phy::Nic(n) = &mut i.phy {
                    n.dev.ack_interrupt();
                }
            }
            poll_locked(&mut net);
            net.ifaces
                .iter_mut()
                .filter_map(|i| i.delay())
                .map(|d| d.total_micros())
                .min()
        };
        let kicks = KICKS.load(Ordering::SeqCst);
        drivers::pci_irq::unmask();
        let wait_us = delay.unwrap_or(1_000_000).clamp(1_000, 1_000_000);
        let deadline = hal::apic::nanos_since_boot() + wait_us * 1000;
        task::wait_any_ns(
            &[drivers::pci_irq::waiters(), &KICK],
            Some(deadline),
            || drivers::pci_irq::count() != seen || KICKS.load(Ordering::SeqCst) != kicks,
        );
    }
}

/// An IPv4 socket address as the stack takes it.
pub fn ipv4(a: [u8; 4]) -> Ipv4Address {
    Ipv4Address::new(a[0], a[1], a[2], a[3])
}

/// `socket(domain, type, protocol)`: the new socket's object.
pub fn socket<S: Signals>(
    domain: u32,
    ty: u32,
    protocol: u32,
) -> Result<Arc<SocketFile<S>>, Errno> {
    if domain != AF_INET {
        return Err(Errno::EAFNOSUPPORT);
    }
    let proto = match (ty & !(SOCK_NONBLOCK | SOCK_CLOEXEC), protocol) {
        (SOCK_STREAM, IPPROTO_IP | IPPROTO_TCP) => Proto::Tcp,
        (SOCK_DGRAM, IPPROTO_IP | IPPROTO_UDP) => Proto::Udp,
        (SOCK_DGRAM, IPPROTO_ICMP) => Proto::Icmp,
        (SOCK_STREAM | SOCK_DGRAM, _) => return Err(Errno::EPROTONOSUPPORT),
        _ => return Err(Errno::EINVAL),
    };
    let sid = lock().create(proto)?;
    Ok(Arc::new(SocketFile::new(sid)))
}

pub fn bind(sid: Sid, addr: [u8; 4], port: u16, privileged: bool) -> Result<(), Errno> {
    lock().bind(sid, ipv4(addr), port, privileged)
}

pub fn listen(sid: Sid, backlog: usize) -> Result<(), Errno> {
    let mut net = lock();
    net.listen(sid, backlog)?;
    poll_locked(&mut net);
    Ok(())
}

/// A peer's IPv4 address and port.
pub type Peer = ([u8; 4], u16);

/// `accept`: the next connection (waiting unless `nonblock`) and its peer.
pub fn accept<S: Signals>(sid: Sid, nonblock: bool) -> Result<(Arc<SocketFile<S>>, Peer), Errno> {
    let (new, (a, p)) = file::blocking::<S, _>(nonblock, 0, |net| net.accept(sid))?;
    Ok((Arc::new(SocketFile::new(new)), (a.octets(), p)))
}

/// `connect`: for TCP, start the handshake and (unless `nonblock`: EINPROGRESS) wait
/// for it; for a datagram socket, set the default destination.
pub fn connect<S: Signals>(
    sid: Sid,
    addr: [u8; 4],
    port: u16,
    nonblock: bool,
) -> Result<(), Errno> {
    let tcp = {
        let mut net = lock();
        let proto = net.socks.get(&sid).ok_or(Errno::EBADF)?.proto;
        if proto == Proto::Tcp && net.connect_done(sid).is_ok() {
            // A second connect on a non-blocking socket that is connecting or connected.
            return match net.connect_done(sid)? {
                Some(()) => Err(Errno::EISCONN),
                None => Err(Errno::EALREADY),
            };
        }
        net.connect(sid, ipv4(addr), port)?;
        poll_locked(&mut net);
        proto == Proto::Tcp
    };
    if !tcp {
        return Ok(());
    }
    match file::blocking::<S, _>(nonblock, 0, |net| net.connect_done(sid)) {
        Err(Errno::EAGAIN) if nonblock => Err(Errno::EINPROGRESS),
        r => r,
    }
}

pub fn shutdown(sid: Sid, how: u32) -> Result<(), Errno> {
    let mut net = lock();
    net.shutdown(sid, how)?;
    poll_locked(&mut net);
    Ok(())
}

pub fn sockname(sid: Sid) -> Result<([u8; 4], u16), Errno> {
    lock().sockname(sid).map(|(a, p)| (a.octets(), p))
}

pub fn peername(sid: Sid) -> Result<([u8; 4], u16), Errno> {
    lock().peername(sid).map(|(a, p)| (a.octets(), p))
}

pub fn setsockopt(sid: Sid, level: u32, name: u32, value: u64) -> Result<(), Errno> {
    lock().setsockopt(sid, level, name, value)
}

pub fn getsockopt(sid: Sid, level: u32, name: u32) -> Result<u64, Errno> {
    lock().getsockopt(sid, level, name)
}

/// The interfaces, for `ifconfig`.
pub fn ifaces() -> Vec<IfInfo> {
    lock().ifaces.iter().map(|i| i.info()).collect()
}

/// The socket table, for `netstat`.
pub fn sockets() -> Vec<SockInfo> {
    lock().list()
}
