//! Raw Ethernet frames from the host side (`cargo xtask test net::raw_frames`): issue
//! 18's "malformed packets injected from the host side never harm the kernel".
//!
//! QEMU's user network only carries real connections, and a raw socket on the host
//! needs root. So the card is put on a QEMU hub (`-netdev hubport`) with the user
//! network *and* a `-netdev socket,udp=`: every datagram the test sends to QEMU's
//! UDP port on the host's 127.0.0.1 arrives at the card as one Ethernet frame, and
//! every frame dinos sends comes back to the test as a datagram (chapter 2's
//! communication, seen from below the protocols). The test sends, bounded in count:
//!
//! - random frames of every length from 0 to 3,000 bytes (runts, giants), and frames
//!   addressed to dinos with unknown, IPv6, VLAN and ARP types of random bytes;
//! - ARP requests from 200 forged senders and unasked replies, some cut short;
//! - IPv4 headers that lie: short, bad header length, total length past the frame,
//!   bad checksum, fragments, options, version 6 in a v4 type;
//! - TCP, UDP and ICMP to 10.0.2.15 with bad checksums, bad data offsets, every flag
//!   combination, to open and closed ports;
//! - a flood of 400 SYNs with forged source addresses (half-open connections: the
//!   SYN-ACK goes to a host that does not exist, or to QEMU's 10.0.2.2 that knows no
//!   such connection), at httpd's port.
//!
//! Then dinos must still answer: the shell runs, `curl` gets httpd's file with the
//! same bytes, and `netstat -c` returns to its count from before (half-open
//! handshakes are aborted after 10 s). The test also checks that the frames really
//! arrived (the card's receive counter in `ifconfig`) and that the forged SYNs reached
//! TCP (dinos answered some with SYN-ACK, seen on the frame socket).

use crate::nettest::{curl, free_port, host_seq, net_machine, settle, start_httpd};
use crate::session::Session;
use crate::Result;
use std::net::UdpSocket;
use std::path::Path;
use std::time::{Duration, Instant};

const GUEST_IP: [u8; 4] = [10, 0, 2, 15];
const HOST_IP: [u8; 4] = [10, 0, 2, 2];
const FORGED_MAC: [u8; 6] = [0x02, 0xde, 0xad, 0xbe, 0xef, 0x01];
const SYNS: usize = 400;

/// xorshift, so a failure is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 24) as u8).collect()
    }
}

/// The Internet checksum (RFC 1071) of `parts` taken as one run of bytes.
fn checksum(parts: &[&[u8]]) -> u16 {
    let bytes: Vec<u8> = parts.concat();
    let mut sum: u32 = 0;
    for c in bytes.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from(c[0]) << 8
        };
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn eth(dst: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = dst.to_vec();
    f.extend_from_slice(&FORGED_MAC);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A correct IPv4 header (20 bytes, no options) before `payload`.
fn ipv4(src: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    let len = (20 + payload.len()) as u16;
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&len.to_be_bytes());
    h.extend_from_slice(&[0x12, 0x34, 0x40, 0, 64, proto, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&GUEST_IP);
    let c = checksum(&[&h]);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

/// A TCP segment from `src`:`sport` to dinos' `dport` with a correct checksum.
fn tcp(src: [u8; 4], sport: u16, dport: u16, seq: u32, flags: u8, data: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(data);
    let c = checksum(&[&pseudo(src, 6, t.len()), &t]);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

fn pseudo(src: [u8; 4], proto: u8, len: usize) -> Vec<u8> {
    let mut p = src.to_vec();
    p.extend_from_slice(&GUEST_IP);
    p.extend_from_slice(&[0, proto]);
    p.extend_from_slice(&(len as u16).to_be_bytes());
    p
}

/// Every kind of bad frame, bounded in count (about 1,500).
fn malformed(mac: [u8; 6], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    // Random bytes of every length, to anyone; then addressed to dinos, of types.
    // (Not 0 bytes: QEMU 7.2's socket netdev takes an empty datagram for the end
    // of the connection and stops reading.)
    for len in (1..3000).step_by(7) {
        out.push(rng.bytes(len));
    }
    for ty in [0x0800u16, 0x0806, 0x86dd, 0x8100, 0x88cc, 0x0000, 0xffff] {
        for _ in 0..40 {
            let n = rng.below(1600);
            out.push(eth(mac, ty, &rng.bytes(n)));
        }
    }
    // IPv4 headers that lie about themselves.
    for i in 0..200 {
        let n = rng.below(64);
        let body = rng.bytes(n);
        let mut ip = ipv4(HOST_IP, [1u8, 6, 17, 0, 255][i % 5], &body);
        match i % 8 {
            0 => ip.truncate(rng.below(20)),          // shorter than a header
            1 => ip[0] = 0x40 | (rng.below(5) as u8), // IHL below 5
            2 => ip[0] = 0x4f,                        // IHL 15, past the body
            3 => ip[2..4].copy_from_slice(&0xffffu16.to_be_bytes()), // total length past the frame
            4 => ip[10] ^= 0x55,                      // bad checksum
            5 => ip[6] = 0x20 | (rng.below(32) as u8), // more fragments, offsets
            6 => ip[0] = 0x65,                        // version 6
            _ => ip[2..4].copy_from_slice(&3u16.to_be_bytes()), // total length 3
        }
        out.push(eth(mac, 0x0800, &ip));
    }
    // ARP: requests for dinos from 200 forged senders (each would take a place in
    // the neighbour cache), and replies nobody asked for, some of them short.
    for i in 0..200u8 {
        let mut mac = FORGED_MAC;
        mac[5] = i;
        let mut arp = vec![0, 1, 8, 0, 6, 4, 0, 1 + i % 2];
        arp.extend_from_slice(&mac);
        arp.extend_from_slice(&[10, 0, 2, 20 + i % 200]);
        arp.extend_from_slice(&[0; 6]);
        arp.extend_from_slice(&GUEST_IP);
        if i % 10 == 9 {
            arp.truncate(usize::from(i) % 28);
        }
        out.push(eth([0xff; 6], 0x0806, &arp));
    }
    // TCP, UDP and ICMP to dinos, wrong in their own headers.
    for i in 0..300u32 {
        let port = [8080u16, 80, 1, 7000, 65535][(i % 5) as usize];
        let n = rng.below(40);
        let data = rng.bytes(n);
        let mut t = tcp(
            HOST_IP,
            40000 + i as u16,
            port,
            rng.next() as u32,
            i as u8,
            &data,
        );
        match i % 4 {
            0 => t[16] ^= 0xff,                      // bad checksum
            1 => t[12] = (rng.below(16) as u8) << 4, // data offset 0-15
            2 => t.truncate(rng.below(20)),          // cut inside the header
            _ => {}                                  // every flag combination, sound
        }
        out.push(eth(mac, 0x0800, &ipv4(HOST_IP, 6, &t)));
        let mut u = Vec::new();
        u.extend_from_slice(&(50000 + i as u16).to_be_bytes());
        u.extend_from_slice(&[port as u8, (port >> 8) as u8]);
        u.extend_from_slice(&(rng.below(0x10000) as u16).to_be_bytes()); // length lies
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(&data);
        out.push(eth(mac, 0x0800, &ipv4(HOST_IP, 17, &u)));
        let mut icmp = vec![(i % 20) as u8, (i / 20) as u8, 0, 0];
        icmp.extend_from_slice(&data);
        if i % 2 == 0 {
            let c = checksum(&[&icmp]);
            icmp[2..4].copy_from_slice(&c.to_be_bytes());
        }
        out.push(eth(mac, 0x0800, &ipv4(HOST_IP, 1, &icmp)));
    }
    out
}

/// SYNs to httpd's port from forged sources: half of them from addresses on the
/// subnet that nobody has (dinos' ARP request is never answered), half from QEMU's
/// 10.0.2.2 on ports it has no connection of (it resets the SYN-ACK, if anything).
fn syn_flood(mac: [u8; 6], rng: &mut Rng) -> Vec<Vec<u8>> {
    (0..SYNS)
        .map(|i| {
            let src = if i % 2 == 0 {
                [10, 0, 2, 100 + (i % 100) as u8]
            } else {
                HOST_IP
            };
            let sport = 20000 + i as u16;
            let seg = tcp(src, sport, 8080, rng.next() as u32, 0x02, &[]);
            eth(mac, 0x0800, &ipv4(src, 6, &seg))
        })
        .collect()
}

/// eth0's MAC and receive counter, from `ifconfig`.
fn card(s: &mut Session) -> Result<([u8; 6], u64)> {
    let out = s.run_line("ifconfig", &["dropped"])?;
    let mac = out
        .split("ether ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .map(|m| {
            m.split(':')
                .filter_map(|b| u8::from_str_radix(b, 16).ok())
                .collect::<Vec<_>>()
        })
        .filter(|v| v.len() == 6)
        .ok_or(format!("ifconfig shows no MAC address:\n{out}"))?;
    let rx = out
        .split("rx ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or(format!("ifconfig shows no receive counter:\n{out}"))?;
    Ok((mac.try_into().unwrap_or([0; 6]), rx))
}

pub fn raw_frames(kernel: &Path) -> Result<()> {
    let fwd = free_port()?;
    let host = UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("udp bind: {e}"))?;
    let host_port = host.local_addr().map_err(|e| e.to_string())?.port();
    let qemu_port = UdpSocket::bind("127.0.0.1:0")
        .and_then(|u| u.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut m = net_machine(kernel, &[(fwd, 8080)]);
    m.inject = Some((qemu_port, host_port));
    let mut s = Session::boot_shell(&m)?;
    start_httpd(&mut s, fwd)?;
    let before = settle(&mut s, 1)?;
    let (mac, rx0) = card(&mut s)?;
    let mut rng = Rng(0x18_dead_beef);
    let frames = malformed(mac, &mut rng);
    let send = |frames: &[Vec<u8>]| -> Result<()> {
        for (i, f) in frames.iter().enumerate() {
            host.send_to(f, ("127.0.0.1", qemu_port))
                .map_err(|e| format!("sending frame {i} ({} bytes): {e}", f.len()))?;
            if i % 50 == 49 {
                std::thread::sleep(Duration::from_millis(5)); // the card has 32 buffers
            }
        }
        Ok(())
    };
    send(&frames)?;
    s.run_line(
        "echo alive after ''the garbage",
        &["alive after the garbage"],
    )?;
    // The neighbour cache still finds the host.
    s.run_line("ping -c 1 10.0.2.2", &["1 packets transmitted, 1 received"])?;
    // The table is back to its size before the flood (the garbage's SYNs to httpd's
    // port made half-open connections too: aborted after 10 s).
    settle(&mut s, before)?;
    // Drain what dinos sent so far, then flood, and look for its SYN-ACKs.
    host.set_read_timeout(Some(Duration::from_millis(100)))
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; 4096];
    while host.recv(&mut buf).is_ok() {}
    let flood = syn_flood(mac, &mut rng);
    send(&flood)?;
    let (mut syn_acks, deadline) = (0, Instant::now() + Duration::from_secs(3));
    while Instant::now() < deadline {
        let Ok(n) = host.recv(&mut buf) else { continue };
        let f = &buf[..n];
        // IPv4, TCP, from port 8080, flags SYN|ACK.
        if n >= 54
            && f[12..14] == [8, 0]
            && f[23] == 6
            && f[34..36] == 8080u16.to_be_bytes()
            && f[47] & 0x12 == 0x12
        {
            syn_acks += 1;
        }
    }
    let (_, rx1) = card(&mut s)?;
    let sent = (frames.len() + flood.len()) as u64;
    // Frames shorter than an Ethernet header, or longer than the receive buffers,
    // are dropped by QEMU before the card; most of the rest must have arrived.
    if rx1 - rx0 < sent / 2 {
        return Err(format!(
            "the card counted {} frames received of the {sent} sent: the frames did not reach dinos",
            rx1 - rx0
        ));
    }
    if syn_acks == 0 {
        return Err(
            "no SYN-ACK from dinos for any of the forged SYNs: the flood did not reach TCP".into(),
        );
    }
    s.run_line("echo alive after ''the flood", &["alive after the flood"])?;
    let (code, body) = curl(fwd, "/seq.txt")?;
    if code != 200 || body != host_seq(30000)? {
        return Err(format!(
            "after the frames httpd answered {code} with {} bytes",
            body.len()
        ));
    }
    println!(
        "    {} frames, {} counted by the card, {syn_acks} SYN-ACKs to forged SYNs",
        sent,
        rx1 - rx0
    );
    settle(&mut s, before).map(drop)
}
