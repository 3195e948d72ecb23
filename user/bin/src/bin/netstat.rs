//! `netstat`: the kernel's socket table (chapter 2, 3-2 "information maintenance"):
//! every socket with its protocol, addresses, state and queued bytes, including
//! connections still closing after their program closed them (marked `orphan`).
//! `netstat -c` prints only how many entries there are (the tests compare it).
//! `netstat -x`: the AF_UNIX sockets instead, read from `/proc/net/unix` (Linux's
//! layout) and printed as net-tools' `netstat -x` does; `-xc` their count.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use ulib::abi::net::{IPPROTO_ICMP, IPPROTO_TCP, SS_NAMES};
use ulib::net::fmt_ipv4;

ulib::entry!(main);

fn main() -> i32 {
    match ulib::env::args().nth(1).as_deref() {
        Some("-x") => return unix(false),
        Some("-xc") => return unix(true),
        _ => {}
    }
    let socks = match ulib::sys::net_sockets() {
        Ok(v) => v,
        Err(e) => {
            ulib::eprintln!("netstat: {e}");
            return 1;
        }
    };
    if ulib::env::args().nth(1).as_deref() == Some("-c") {
        ulib::println!("{}", socks.len());
        return 0;
    }
    ulib::println!(
        "{:<5} {:<21} {:<21} {:<11} {:>6} {:>6}",
        "Proto",
        "Local Address",
        "Foreign Address",
        "State",
        "Recv-Q",
        "Send-Q"
    );
    for s in socks {
        let proto = match s.proto as u32 {
            IPPROTO_TCP => "tcp",
            IPPROTO_ICMP => "icmp",
            _ => "udp",
        };
        let local = alloc::format!("{}:{}", fmt_ipv4(s.local), s.local_port);
        let remote = if s.remote_port == 0 && s.remote == [0; 4] {
            alloc::string::String::from("*:*")
        } else {
            alloc::format!("{}:{}", fmt_ipv4(s.remote), s.remote_port)
        };
        let state = SS_NAMES.get(s.state as usize).copied().unwrap_or("?");
        let orphan = if s.orphan != 0 { " orphan" } else { "" };
        ulib::println!(
            "{proto:<5} {local:<21} {remote:<21} {state:<11} {:>6} {:>6}{orphan}",
            s.recv_queue,
            s.send_queue
        );
    }
    0
}

/// `netstat -x`: one line per AF_UNIX socket of `/proc/net/unix`.
fn unix(count_only: bool) -> i32 {
    let text = match ulib::fs::read_to_string("/proc/net/unix") {
        Ok(t) => t,
        Err(e) => {
            ulib::eprintln!("netstat: /proc/net/unix: {e}");
            return 1;
        }
    };
    // Num: RefCount Protocol Flags Type St Inode [Path]
    let rows: alloc::vec::Vec<alloc::vec::Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .filter(|f: &alloc::vec::Vec<&str>| f.len() >= 7)
        .collect();
    if count_only {
        ulib::println!("{}", rows.len());
        return 0;
    }
    ulib::println!("Active UNIX domain sockets (servers and established)");
    ulib::println!(
        "{:<5} {:<6} {:<11} {:<10} {:<13} {:<8} Path",
        "Proto",
        "RefCnt",
        "Flags",
        "Type",
        "State",
        "I-Node"
    );
    for f in rows {
        let hex = |s: &str| u32::from_str_radix(s, 16).unwrap_or(0);
        let listening = hex(f[3]) & 0x1_0000 != 0;
        let flags = if listening { "[ ACC ]" } else { "[ ]" };
        let ty = match hex(f[4]) {
            1 => "STREAM",
            2 => "DGRAM",
            5 => "SEQPACKET",
            _ => "?",
        };
        let state = match (listening, hex(f[5])) {
            (true, _) => "LISTENING",
            (_, 3) => "CONNECTED",
            (_, 4) => "DISCONNECTING",
            _ => "",
        };
        let path = f.get(7).copied().unwrap_or("");
        ulib::println!(
            "unix  {:<6} {flags:<11} {ty:<10} {state:<13} {:<8} {path}",
            hex(f[1]),
            f[6]
        );
    }
    0
}
