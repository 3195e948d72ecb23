//! `netstat`: the kernel's socket table (chapter 2, 3-2 "information maintenance"):
//! every socket with its protocol, addresses, state and queued bytes, including
//! connections still closing after their program closed them (marked `orphan`).
//! `netstat -c` prints only how many entries there are (the tests compare it).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use ulib::abi::net::{IPPROTO_ICMP, IPPROTO_TCP, SS_NAMES};
use ulib::net::fmt_ipv4;

ulib::entry!(main);

fn main() -> i32 {
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
