//! `cargo xtask bench net`: what the network costs (issue 18's benchmarks; chapter 2's
//! message passing, measured).
//!
//! - Loopback TCP bandwidth inside dinos, under `-icount shift=0` (one guest
//!   instruction is one nanosecond of guest time, so `time -v`'s `real_ns` counts the
//!   instructions of the whole machine while the transfer runs): `nc` sends a file of
//!   `seq` output over 127.0.0.1 to an `nc -l` writing to `/dev/null`, for two sizes;
//!   the difference of the two runs divided by the difference of the sizes is the
//!   cost of one more KiB, without `nc`'s exec, connect and close. The same two files
//!   through a pipe (`cat FILE | cat > /dev/null`) give the comparison.
//! - Host-to-guest HTTP requests per second: a bounded loop of sequential `curl`
//!   processes on the host against `httpd` in dinos through a forwarded port, each a
//!   new connection (and a `fork` of httpd). Wall clock, not `-icount`: on a loaded
//!   build machine it is a rough figure, and it is printed as such.

use crate::nettest::{curl, free_port, net_machine};
use crate::session::Session;
use crate::Result;
use std::path::Path;
use std::time::{Duration, Instant};

const STEP: Duration = Duration::from_secs(300);

/// `seq N` sizes of the two files (bytes from the host's `seq`).
const SMALL: u32 = 100_000;
const LARGE: u32 = 400_000;

fn real_ns(s: &mut Session, cmd: &str) -> Result<u64> {
    s.send(&format!("{cmd}; echo ==EN''D==\n"))?;
    let out = s.expect("==END==", STEP)?;
    out.split("real_ns ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or(format!("no real_ns after `{cmd}`:\n{out}"))
}

pub fn bench(kernel: &Path, image: &Path) -> Result<()> {
    crate::test::set_rootfs(image.to_path_buf());
    println!(
        "net: loopback bandwidth under -icount shift=0, {}",
        crate::bench::qemu_version()
    );
    let mut m = crate::test::shell_machine(kernel);
    m.icount = true;
    let mut s = Session::boot_shell(&m)?;
    let small = crate::nettest::host_seq(SMALL)?.len() as f64;
    let large = crate::nettest::host_seq(LARGE)?.len() as f64;
    s.run_line(&format!("seq {SMALL} > /tmp/s; seq {LARGE} > /tmp/l"), &[])?;
    let mut tcp = Vec::new();
    for (i, f) in ["/tmp/s", "/tmp/l"].iter().enumerate() {
        let port = 7000 + i;
        s.send(&format!("nc -l {port} < /dev/null > /dev/null &\n"))?;
        tcp.push(real_ns(
            &mut s,
            &format!("sleep 1; time -v nc 127.0.0.1 {port} < {f}"),
        )?);
        s.run_line("wait", &[])?;
    }
    let mut pipe = Vec::new();
    for f in ["/tmp/s", "/tmp/l"] {
        pipe.push(real_ns(
            &mut s,
            &format!("time -v sh -c 'cat {f} | cat > /dev/null'"),
        )?);
    }
    let _ = s.kill();
    let kib = (large - small) / 1024.0;
    println!("| path | {small:.0} bytes | {large:.0} bytes | guest instructions per further KiB | MB/s of guest time (marginal) |");
    println!("|---|---|---|---|---|");
    for (name, v) in [
        ("TCP over loopback (nc to nc -l)", &tcp),
        ("pipe (cat | cat)", &pipe),
    ] {
        let per_kib = (v[1] as f64 - v[0] as f64) / kib;
        let mbs = 1024.0 / per_kib * 1e9 / 1e6;
        println!("| {name} | {} | {} | {per_kib:.0} | {mbs:.1} |", v[0], v[1]);
    }

    println!("\nnet: host-to-guest HTTP, wall clock (not -icount), sequential curl processes");
    let fwd = free_port()?;
    let mut s = Session::boot_shell(&net_machine(kernel, &[(fwd, 8080)]))?;
    s.run_line(
        "mkdir -p /tmp/w; echo hello > /tmp/w/index.html; seq 20000 > /tmp/w/seq.txt",
        &[],
    )?;
    s.send("httpd -p 8080 /tmp/w &\n")?;
    s.expect("httpd: serving /tmp/w on port 8080", STEP)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(curl(fwd, "/index.html"), Ok((200, _))) {
        if Instant::now() > deadline {
            return Err("httpd never answered the host".into());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    println!("| request | requests | wall time | requests per second |");
    println!("|---|---|---|---|");
    for (path, n) in [("/index.html", 100u32), ("/seq.txt", 20)] {
        let start = Instant::now();
        let mut bytes = 0;
        for _ in 0..n {
            let (code, body) = curl(fwd, path)?;
            if code != 200 {
                return Err(format!("{path}: status {code}"));
            }
            bytes = body.len();
        }
        let t = start.elapsed().as_secs_f64();
        println!(
            "| {path} ({bytes} bytes) | {n} | {t:.2} s | {:.1} |",
            f64::from(n) / t
        );
    }
    let _ = s.kill();
    Ok(())
}
