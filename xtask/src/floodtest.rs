//! A flood of connections against the forwarded port (`cargo xtask soak-net [ROUNDS]`:
//! it takes about 200 s a round, too long for `cargo xtask test`), issue 18's "a
//! flood of SYNs bounded in count".
//!
//! The host cannot forge SYNs through QEMU's user network, but it need not: each
//! `connect` to the forwarded port is accepted by QEMU on the host side at once and
//! becomes a SYN to dinos, so a burst of connects is a burst of SYNs at httpd's
//! listener, far more than its backlog (16) and its listening sockets (4 per
//! interface). Two rounds of 150: held open, then dropped; connected and dropped at
//! once. The kernel must survive, httpd answer `curl` with the same bytes, and the
//! socket table return to its size before the flood.

use crate::nettest::{curl, free_port, host_seq, net_machine, settle, start_httpd};
use crate::session::Session;
use crate::Result;
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

const ROUND: usize = 150;

/// `cargo xtask soak-net [ROUNDS]`: the flood, ROUNDS fresh boots (default 1).
pub fn soak(args: &[String]) -> Result<u8> {
    let rounds: u32 = match args.first() {
        Some(a) => a
            .parse()
            .map_err(|_| format!("soak-net: {a:?} is not a number"))?,
        None => 1,
    };
    crate::deps::ensure()?;
    let (kernel, image) = crate::qemu::build_system()?;
    crate::test::set_rootfs(image);
    let mut failed = 0;
    for round in 1..=rounds {
        let started = std::time::Instant::now();
        match flood(&kernel) {
            Ok(()) => println!("round {round}/{rounds}: ok ({:.0?})", started.elapsed()),
            Err(e) => {
                failed += 1;
                println!("round {round}/{rounds}: FAILED\n{e}");
            }
        }
    }
    Ok(u8::from(failed > 0))
}

pub fn flood(kernel: &Path) -> Result<()> {
    let fwd = free_port()?;
    let mut s = Session::boot_shell(&net_machine(kernel, &[(fwd, 8080)]))?;
    start_httpd(&mut s, fwd)?;
    let before = settle(&mut s, 1)?;
    let target: std::net::SocketAddr = format!("127.0.0.1:{fwd}")
        .parse()
        .map_err(|e| format!("{e}"))?;
    let mut held = Vec::new();
    for _ in 0..ROUND {
        if let Ok(c) = TcpStream::connect_timeout(&target, Duration::from_secs(2)) {
            held.push(c);
        }
    }
    std::thread::sleep(Duration::from_secs(2));
    drop(held);
    for _ in 0..ROUND {
        drop(TcpStream::connect_timeout(&target, Duration::from_secs(2)));
    }
    let (code, body) = curl(fwd, "/seq.txt")?;
    if code != 200 || body != host_seq(30000)? {
        return Err(format!(
            "after {} connections httpd answered {code} with {} bytes",
            2 * ROUND,
            body.len()
        ));
    }
    settle(&mut s, before)?;
    // Still answering after the table settled.
    let (code, _) = curl(fwd, "/seq.txt")?;
    if code != 200 {
        return Err(format!("httpd answered {code} after the flood settled"));
    }
    Ok(())
}
