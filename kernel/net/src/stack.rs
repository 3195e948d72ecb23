//! The interfaces and their polling: where frames become socket data and back.
//!
//! Every interface is a smoltcp `Interface` with its own device and its own set of
//! smoltcp sockets: `lo` (index 0) is smoltcp's loopback device, whose frames come
//! straight back in, and each card found at boot (`eth0`, ...) gets an Ethernet
//! interface with a DHCP client. A dinos socket keeps, for each interface it is
//! reachable on, the handle of its smoltcp socket there (see `socket.rs`).
//!
//! Polling an interface moves received frames into its sockets and the sockets'
//! queued data into frames. It runs in two places: the network thread (woken by the
//! card's interrupt, or when smoltcp's next timer is due: a retransmission, a DHCP
//! renewal) and right after a socket call changed something, so that a write on
//! loopback reaches its reader without a trip through the scheduler.

use crate::phy::NicPhy;
use alloc::string::String;
use alloc::vec::Vec;
use smoltcp::iface::{Config, Interface, PollResult, SocketHandle, SocketSet};
use smoltcp::phy::{Loopback, Medium};
use smoltcp::socket::dhcpv4;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address, Ipv4Cidr};

/// What an interface's frames go through.
pub enum Phy {
    Lo(Loopback),
    Nic(NicPhy),
}

pub struct Iface {
    pub name: String,
    pub iface: Interface,
    pub sockets: SocketSet<'static>,
    pub phy: Phy,
    pub dhcp: Option<SocketHandle>,
    pub addr: Option<Ipv4Cidr>,
    pub gateway: Option<Ipv4Address>,
    pub dns: Option<Ipv4Address>,
}

/// The clock smoltcp runs on: microseconds since boot.
pub fn now() -> Instant {
    Instant::from_micros((hal::apic::nanos_since_boot() / 1000) as i64)
}

impl Iface {
    /// The loopback interface, 127.0.0.1/8.
    pub fn loopback() -> Iface {
        let mut phy = Loopback::new(Medium::Ip);
        let mut config = Config::new(HardwareAddress::Ip);
        config.random_seed = hal::apic::nanos_since_boot() ^ 0x6c6f;
        let mut iface = Interface::new(config, &mut phy, now());
        let lo = Ipv4Cidr::new(Ipv4Address::new(127, 0, 0, 1), 8);
        iface.update_ip_addrs(|a| {
            let _ = a.push(IpCidr::Ipv4(lo));
        });
        Iface {
            name: "lo".into(),
            iface,
            sockets: SocketSet::new(Vec::new()),
            phy: Phy::Lo(phy),
            dhcp: None,
            addr: Some(lo),
            gateway: None,
            dns: None,
        }
    }

    /// An Ethernet interface over a card, with a DHCP client asking for an address.
    pub fn ethernet(name: String, dev: alloc::boxed::Box<dyn drivers::netdev::NetDevice>) -> Iface {
        let mac = EthernetAddress(dev.mac());
        let mut phy = NicPhy { dev };
        let mut config = Config::new(HardwareAddress::Ethernet(mac));
        config.random_seed = hal::apic::nanos_since_boot() ^ 0x6574_6830;
        let iface = Interface::new(config, &mut phy, now());
        let mut sockets = SocketSet::new(Vec::new());
        let dhcp = sockets.add(dhcpv4::Socket::new());
        Iface {
            name,
            iface,
            sockets,
            phy: Phy::Nic(phy),
            dhcp: Some(dhcp),
            addr: None,
            gateway: None,
            dns: None,
        }
    }

    /// Poll until nothing more happens (bounded). True if a socket may have changed.
    pub fn poll(&mut self) -> bool {
        let mut changed = false;
        for _ in 0..16 {
            let r = match &mut self.phy {
                Phy::Lo(d) => self.iface.poll(now(), d, &mut self.sockets),
                Phy::Nic(d) => self.iface.poll(now(), d, &mut self.sockets),
            };
            if r == PollResult::None {
                break;
            }
            changed = true;
        }
        changed
    }

    /// When smoltcp next wants to be polled (a timer), from now.
    pub fn delay(&mut self) -> Option<Duration> {
        self.iface.poll_delay(now(), &self.sockets)
    }

    /// Apply what the DHCP client learnt. Returns the new address when one came.
    pub fn dhcp_events(&mut self) -> Option<Ipv4Cidr> {
        let h = self.dhcp?;
        let event = self.sockets.get_mut::<dhcpv4::Socket>(h).poll()?;
        match event {
            dhcpv4::Event::Configured(c) => {
                self.iface.update_ip_addrs(|a| {
                    a.clear();
                    let _ = a.push(IpCidr::Ipv4(c.address));
                });
                self.iface.routes_mut().remove_default_ipv4_route();
                if let Some(gw) = c.router {
                    let _ = self.iface.routes_mut().add_default_ipv4_route(gw);
                }
                self.addr = Some(c.address);
                self.gateway = c.router;
                self.dns = c.dns_servers.first().copied();
                log::info!(
                    "{}: {} via {} (DHCP)",
                    self.name,
                    c.address,
                    c.router
                        .map(IpAddress::Ipv4)
                        .unwrap_or(IpAddress::v4(0, 0, 0, 0))
                );
                Some(c.address)
            }
            dhcpv4::Event::Deconfigured => {
                self.iface.update_ip_addrs(|a| a.clear());
                self.iface.routes_mut().remove_default_ipv4_route();
                self.addr = None;
                self.gateway = None;
                log::warn!("{}: DHCP lease lost", self.name);
                None
            }
        }
    }

    pub fn has_addr(&self, a: Ipv4Address) -> bool {
        self.iface.has_ip_addr(IpAddress::Ipv4(a))
    }

    /// The interface's report for `ifconfig`.
    pub fn info(&self) -> abi::net::IfInfo {
        let mut i = abi::net::IfInfo::default();
        let n = self.name.len().min(7);
        i.name[..n].copy_from_slice(&self.name.as_bytes()[..n]);
        i.up = 1;
        if let Some(a) = self.addr {
            i.addr = a.address().octets();
            i.prefix = a.prefix_len();
        }
        if let Some(g) = self.gateway {
            i.gateway = g.octets();
        }
        if let Some(d) = self.dns {
            i.dns = d.octets();
        }
        match &self.phy {
            Phy::Lo(_) => i.mtu = 65535,
            Phy::Nic(n) => {
                i.mac = n.dev.mac();
                i.mtu = (n.dev.max_frame() - 14) as u32;
                let s = n.dev.stats();
                i.rx_packets = s.rx_packets;
                i.rx_bytes = s.rx_bytes;
                i.tx_packets = s.tx_packets;
                i.tx_bytes = s.tx_bytes;
                i.dropped = s.dropped;
            }
        }
        i
    }
}
