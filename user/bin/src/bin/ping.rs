//! `ping [-c COUNT] HOST`: ICMP echo requests and the replies' round-trip times
//! (chapter 2, 3-2 "communication"). It uses a ping socket
//! (`socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)`, as Linux's): the program writes
//! echo requests, the kernel puts the socket's identifier in them and hands back
//! the matching replies. One request a second, each waited for up to a second;
//! after the last, if no reply has come at all, up to ten seconds (iputils' `ping`
//! lingers as long: a first packet can wait for the address of the next hop, and a
//! lost ARP answer costs the stack a second of silence before it asks again).
//! Exit status 0 when a reply came, 1 when none did, 2 for bad usage.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use ulib::net::{self, Socket};
use ulib::poll::{poll, PollFd, POLLIN};
use ulib::time::{Duration, Instant};

ulib::entry!(main);

const USAGE: &str = "usage: ping [-c COUNT] HOST";

/// How long the last request waits when nothing has answered yet (iputils: 10 s).
const LINGER: Duration = Duration::from_secs(10);

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let (count, host) = match args
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["-c", n, host] => (n.parse().unwrap_or(0), *host),
        [host] => (4, *host),
        _ => (0, ""),
    };
    if count == 0 {
        ulib::eprintln!("{USAGE}");
        return 2;
    }
    let addr = match ulib::dns::resolve(host) {
        Ok(a) => a,
        Err(e) => {
            ulib::eprintln!("ping: {host}: unknown host ({e})");
            return 2;
        }
    };
    let s = match Socket::new(ulib::abi::net::SOCK_DGRAM, ulib::abi::net::IPPROTO_ICMP) {
        Ok(s) => s,
        Err(e) => {
            ulib::eprintln!("ping: socket: {e}");
            return 1;
        }
    };
    ulib::println!("PING {host}: 56 data bytes");
    let mut got = 0u32;
    for seq in 1..=count as u16 {
        let mut req = alloc::vec![0u8; 64];
        req[0] = 8; // echo request
        req[6..8].copy_from_slice(&seq.to_be_bytes());
        for (i, b) in req[8..].iter_mut().enumerate() {
            *b = i as u8;
        }
        let start = Instant::now();
        if let Err(e) = s.send_to(&req, addr, 0) {
            ulib::eprintln!("ping: sendto: {e}");
            return 1;
        }
        let wait = if seq == count as u16 && got == 0 {
            LINGER
        } else {
            Duration::from_secs(1)
        };
        let deadline = start + wait;
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let mut fds = [PollFd {
                fd: s.fd(),
                events: POLLIN,
                revents: 0,
            }];
            if poll(&mut fds, Some(deadline.duration_since(now))).unwrap_or(0) == 0 {
                break;
            }
            let mut buf = [0u8; 1500];
            let Ok((n, from)) = s.recv_from(&mut buf) else {
                break;
            };
            if n >= 8 && buf[0] == 0 && u16::from_be_bytes([buf[6], buf[7]]) == seq {
                let us = start.elapsed().as_micros();
                ulib::println!(
                    "{} bytes from {}: icmp_seq={seq} time={}.{:03} ms",
                    n,
                    net::fmt_ipv4(from.addr),
                    us / 1000,
                    us % 1000
                );
                got += 1;
                // Wait out the rest of the second before the next request.
                let left = deadline.duration_since(Instant::now());
                if seq < count as u16 {
                    ulib::time::sleep(left);
                }
                break;
            }
        }
    }
    let loss = (count - got) * 100 / count;
    ulib::println!("--- {host} ping statistics ---");
    ulib::println!("{count} packets transmitted, {got} received, {loss}% packet loss");
    if got > 0 {
        0
    } else {
        1
    }
}
