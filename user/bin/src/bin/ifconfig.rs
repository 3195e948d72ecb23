//! `ifconfig`: the network interfaces, their addresses and counters (chapter 2, 3-2
//! "information maintenance" for the network). One block per interface, from the
//! `net_ifaces` call: `lo`, and `eth0` with the address DHCP gave it.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use ulib::net::fmt_ipv4;

ulib::entry!(main);

fn main() -> i32 {
    let ifaces = match ulib::sys::net_ifaces() {
        Ok(v) => v,
        Err(e) => {
            ulib::eprintln!("ifconfig: {e}");
            return 1;
        }
    };
    for i in ifaces {
        let name = core::str::from_utf8(&i.name)
            .unwrap_or("?")
            .trim_end_matches('\0');
        let addr = if i.prefix == 0 {
            alloc::string::String::from("no address")
        } else {
            alloc::format!("inet {}/{}", fmt_ipv4(i.addr), i.prefix)
        };
        ulib::println!("{name}: {addr}  mtu {}", i.mtu);
        if i.mac != [0; 6] {
            let m = i.mac;
            ulib::println!(
                "      ether {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}  gateway {}  dns {}",
                m[0],
                m[1],
                m[2],
                m[3],
                m[4],
                m[5],
                fmt_ipv4(i.gateway),
                fmt_ipv4(i.dns)
            );
            ulib::println!(
                "      rx {} packets {} bytes  tx {} packets {} bytes  dropped {}",
                i.rx_packets,
                i.rx_bytes,
                i.tx_packets,
                i.tx_bytes,
                i.dropped
            );
        }
    }
    0
}
