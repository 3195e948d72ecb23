//! The network, tested from both sides (`cargo xtask test net::`).
//!
//! Each test boots the RAM-disk root with a virtio network card on QEMU's user
//! network (`-netdev user`: the guest is 10.0.2.15, the host's 127.0.0.1 is 10.0.2.2
//! from inside) and, where the host reaches in, a TCP port forwarded from the host's
//! 127.0.0.1. All traffic stays on this machine: the guest only talks to 10.0.2.2
//! (answered by QEMU, or by a server the test runs on 127.0.0.1) and to itself.
//!
//! - DHCP gives 10.0.2.15 and `ping 10.0.2.2` is answered;
//! - two dinos processes talk TCP over loopback (`nc -l` and `nc`), the bytes
//!   compared with the host's `seq`, and UDP (`nc -u`);
//! - `httpd` in dinos serves files to `curl` on the host (bytes compared, 404 for a
//!   missing file), and `fetch` in dinos gets a file from a `python3 -m http.server`
//!   the test runs on 127.0.0.1 (the bytes compared after `curl` brings them back);
//! - random bytes, idle half-open connections and unfinished requests sent to the
//!   forwarded port (bounded in count and time) leave the kernel serving, and the
//!   socket table returns to its size;
//! - a non-root `bind` to port 80 is refused (EACCES), root's is not;
//! - `usertests net_`: every socket call's errno for bad descriptors, pointers and
//!   arguments, and a burst of loopback connections leaving the table at its size;
//! - Debian's static busybox (the Linux personality's socket calls): `wget` gets a
//!   file from dinos' `httpd` and `nc` sends to dinos' `nc -l`, over loopback.

use crate::qemu::Machine;
use crate::session::Session;
use crate::Result;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type NetTest = fn(&Path) -> Result<()>;

pub const NET_TESTS: &[(&str, NetTest)] = &[
    (
        "net::dhcp_gives_10_0_2_15_and_the_host_answers_ping",
        dhcp_and_ping,
    ),
    ("net::loopback_tcp_between_two_processes", loopback_tcp),
    ("net::non_root_bind_below_1024_is_refused", privileged_port),
    (
        "net::httpd_serves_curl_and_fetch_gets_from_the_host",
        http_both_ways,
    ),
    (
        "net::hostile_traffic_leaves_the_kernel_serving_and_the_table_back",
        hostile,
    ),
    (
        "net::busybox_wget_and_nc_use_the_linux_socket_calls",
        busybox,
    ),
    (
        "net::usertests_socket_calls_refuse_bad_arguments",
        usertests_net,
    ),
    (
        "net::af_unix_echo_names_pair_and_passing_between_dinos_processes",
        crate::unixtest::af_unix_native,
    ),
    (
        "net::af_unix_through_the_linux_personality_prints_what_linux_prints",
        crate::unixtest::af_unix_linux,
    ),
    (
        "net::names_resolve_through_etc_hosts_and_dns_for_fetch_nc_ping",
        crate::dnstest::names,
    ),
    (
        "net::raw_frames_malformed_and_a_forged_syn_flood_leave_the_kernel_serving",
        crate::frametest::raw_frames,
    ),
    (
        "net::af_unix_connect_needs_write_permission_on_the_node",
        crate::unixtest::af_unix_connect_permission,
    ),
    (
        "net::af_unix_netstat_x_lists_the_sockets_and_the_count_returns",
        crate::unixtest::af_unix_netstat,
    ),
];

const STEP: Duration = Duration::from_secs(30);

/// A free TCP port on the host's loopback (bound, read, released).
pub(crate) fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

pub(crate) fn net_machine(kernel: &Path, forward: &[(u16, u16)]) -> Machine {
    let mut m = crate::test::shell_machine(kernel);
    m.net = true;
    m.forward = forward.to_vec();
    m
}

/// Deterministic bytes of every value (xorshift), as a file's contents.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub(crate) fn host_seq(n: u32) -> Result<Vec<u8>> {
    let out = Command::new("seq")
        .arg(n.to_string())
        .output()
        .map_err(|e| format!("host seq: {e}"))?;
    Ok(out.stdout)
}

/// `curl` on the host: (HTTP status, body).
pub(crate) fn curl(port: u16, path: &str) -> Result<(u32, Vec<u8>)> {
    let body = std::env::temp_dir().join(format!("dinos-curl-{}-{port}", std::process::id()));
    let out = Command::new("curl")
        .args(["-s", "--max-time", "20", "-o"])
        .arg(&body)
        .args(["-w", "%{http_code}"])
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    let code = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    let bytes = std::fs::read(&body).unwrap_or_default();
    let _ = std::fs::remove_file(&body);
    Ok((code, bytes))
}

/// At the shell: run `cmd` and return what the console showed until it ended (a
/// marker echoed after it, written so that the typed line does not contain it),
/// failing unless that has `want`.
fn run(s: &mut Session, cmd: &str, want: &str) -> Result<String> {
    s.send(&format!("{cmd}; echo ==EN''D==\n"))?;
    let out = s
        .expect("==END==", STEP)
        .map_err(|e| format!("after typing {cmd:?}: {e}"))?;
    if !out.contains(want) {
        return Err(format!("`{cmd}` did not print {want:?}:\n{out}"));
    }
    Ok(out)
}

/// Start `cmd` in the background.
fn background(s: &mut Session, cmd: &str) -> Result<()> {
    s.send(&format!("{cmd} &\n")).map(drop)
}

fn dhcp_and_ping(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&net_machine(kernel, &[]))?;
    run(&mut s, "ifconfig", "inet 10.0.2.15/24")?;
    let out = run(&mut s, "ping -c 2 10.0.2.2; echo status $?", "status")?;
    if !out.contains("2 packets transmitted, 2 received") || !out.contains("status 0") {
        return Err(format!("ping 10.0.2.2 was not answered twice:\n{out}"));
    }
    if !out.contains("bytes from 10.0.2.2: icmp_seq=1") {
        return Err(format!("no reply line for icmp_seq=1:\n{out}"));
    }
    Ok(())
}

fn loopback_tcp(kernel: &Path) -> Result<()> {
    // No card: loopback alone.
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    background(&mut s, "nc -l 7000 < /dev/null > /tmp/got")?;
    run(
        &mut s,
        "sleep 1; seq 20000 | nc 127.0.0.1 7000; echo client $?",
        "client 0",
    )?;
    run(&mut s, "wait; echo waited", "waited")?;
    let want = host_seq(20000)?;
    let out = run(&mut s, "wc -c < /tmp/got; tail -n 1 /tmp/got", "")?;
    let len = format!("{}", want.len());
    if !out.contains(&len) || !out.contains("20000") {
        return Err(format!(
            "the server received other bytes than the host's `seq 20000` ({len} bytes):\n{out}"
        ));
    }
    run(
        &mut s,
        "seq 20000 > /tmp/want; cmp /tmp/want /tmp/got && echo same",
        "same",
    )?;
    // UDP: each line a datagram, printed by the listener as it comes.
    background(&mut s, "nc -u -l 7100 < /dev/null > /tmp/udp")?;
    run(
        &mut s,
        "sleep 1; seq 3 | nc -u 127.0.0.1 7100; echo sent $?",
        "sent 0",
    )?;
    let out = run(&mut s, "sleep 1; cat /tmp/udp; kill %1", "")?;
    if !out.contains("1\n2\n3\n") && !out.contains("1\r\n2\r\n3\r\n") {
        return Err(format!(
            "the UDP listener did not print the three datagrams:\n{out}"
        ));
    }
    // The listener and both ends leave the table once closed (TIME_WAIT passes).
    settle(&mut s, 0).map(drop)
}

fn privileged_port(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    let out = run(
        &mut s,
        "su user -c 'httpd -p 80 /tmp'; echo status $?",
        "status",
    )?;
    if !out.contains("httpd: port 80: permission denied") || !out.contains("status 1") {
        return Err(format!(
            "an ordinary user's bind to port 80 was not refused with EACCES:\n{out}"
        ));
    }
    let out = run(&mut s, "su user -c 'nc -l 1023'; echo status $?", "status")?;
    if !out.contains("permission denied") {
        return Err(format!(
            "an ordinary user's bind to port 1023 was not refused:\n{out}"
        ));
    }
    // Root may, and an ordinary user may above 1023.
    background(&mut s, "httpd -p 80 /tmp")?;
    background(&mut s, "su user -c 'httpd -p 1024 /tmp'")?;
    let t = run(&mut s, "sleep 1; netstat", "LISTEN")?;
    if !t.contains("0.0.0.0:80 ") || !t.contains("0.0.0.0:1024 ") {
        return Err(format!(
            "root's port 80 or the user's port 1024 is not listening:\n{t}"
        ));
    }
    Ok(())
}

/// `netstat -c`: how many entries the kernel's socket table has.
fn table_size(s: &mut Session) -> Result<usize> {
    let out = run(s, "netstat -c", "")?;
    out.lines()
        .find_map(|l| l.trim().parse().ok())
        .ok_or(format!("netstat -c printed no count:\n{out}"))
}

/// A static file server on the host's 127.0.0.1 (python's), ended on drop.
pub(crate) struct HostServer(Child, PathBuf);

impl Drop for HostServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

pub(crate) fn host_server(port: u16, files: &[(&str, &[u8])]) -> Result<HostServer> {
    let dir = std::env::temp_dir().join(format!("dinos-www-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for (name, data) in files {
        std::fs::write(dir.join(name), data).map_err(|e| e.to_string())?;
    }
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start python3 -m http.server: {e}"))?;
    let server = HostServer(child, dir);
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("the host's http.server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(server)
}

/// Start `httpd -p 8080 /tmp/www` in the guest and wait until the host reaches it.
pub(crate) fn start_httpd(s: &mut Session, host_port: u16) -> Result<()> {
    run(s, "mkdir -p /tmp/www; seq 30000 > /tmp/www/seq.txt", "")?;
    background(s, "httpd -p 8080 /tmp/www")?;
    s.expect("httpd: serving /tmp/www on port 8080", STEP)?;
    let deadline = Instant::now() + STEP;
    loop {
        match curl(host_port, "/seq.txt") {
            Ok((200, _)) => return Ok(()),
            _ if Instant::now() > deadline => return Err("httpd never answered the host".into()),
            _ => std::thread::sleep(Duration::from_millis(300)),
        }
    }
}

fn http_both_ways(kernel: &Path) -> Result<()> {
    let (fwd, web) = (free_port()?, free_port()?);
    let blob = noise(150_000, 18);
    let _server = host_server(web, &[("blob.bin", &blob)])?;
    let mut s = Session::boot_shell(&net_machine(kernel, &[(fwd, 8080)]))?;
    start_httpd(&mut s, fwd)?;
    // dinos serves the host.
    let (code, body) = curl(fwd, "/seq.txt")?;
    let want = host_seq(30000)?;
    if code != 200 || body != want {
        return Err(format!(
            "curl got status {code} and {} bytes; the host's seq 30000 is {} bytes",
            body.len(),
            want.len()
        ));
    }
    let (code, _) = curl(fwd, "/no-such-file")?;
    if code != 404 {
        return Err(format!("a missing file gave status {code}, not 404"));
    }
    let (code, _) = curl(fwd, "/../etc/passwd")?;
    if code != 404 && code != 403 && code != 400 {
        return Err(format!("a path above the root gave status {code}"));
    }
    // dinos fetches from the host; the host gets the bytes back through httpd.
    let out = run(
        &mut s,
        &format!("fetch http://10.0.2.2:{web}/blob.bin > /tmp/www/blob.bin; echo status $?"),
        "status",
    )?;
    if !out.contains("status 0") {
        return Err(format!("fetch from the host failed:\n{out}"));
    }
    let (code, back) = curl(fwd, "/blob.bin")?;
    if code != 200 || back != blob {
        return Err(format!(
            "the file fetched from the host came back as {} bytes (status {code}), not the {} sent{}",
            back.len(),
            blob.len(),
            if back.len() == blob.len() { ", with other bytes" } else { "" }
        ));
    }
    Ok(())
}

fn hostile(kernel: &Path) -> Result<()> {
    let fwd = free_port()?;
    let mut s = Session::boot_shell(&net_machine(kernel, &[(fwd, 8080)]))?;
    start_httpd(&mut s, fwd)?;
    // Let the connections of the readiness check finish closing: then the table holds
    // httpd's listener alone.
    let before = settle(&mut s, 1)?;
    let noise = noise(4096, 7);
    let mut open = Vec::new();
    for i in 0..24 {
        let Ok(mut c) = TcpStream::connect(("127.0.0.1", fwd)) else {
            continue;
        };
        let _ = c.set_write_timeout(Some(Duration::from_secs(2)));
        match i % 3 {
            0 => {
                let _ = c.write_all(&noise[..1 + (i * 97) % noise.len()]);
            }
            1 => {
                let _ = c.write_all(b"GET /seq.txt HTTP/1.1\r\nHost: x\r\n"); // never finished
            }
            _ => {} // connected, silent: half-open from httpd's side
        }
        open.push(c);
    }
    std::thread::sleep(Duration::from_secs(2));
    // Some answers (400 for the noise); read what there is, then hang up on all.
    for c in open.iter_mut() {
        let _ = c.set_read_timeout(Some(Duration::from_millis(50)));
        let mut b = [0u8; 256];
        let _ = c.read(&mut b);
    }
    drop(open);
    // The kernel still serves, and every connection leaves the table.
    let (code, body) = curl(fwd, "/seq.txt")?;
    if code != 200 || body != host_seq(30000)? {
        return Err(format!(
            "after the hostile traffic httpd answered {code} with {} bytes",
            body.len()
        ));
    }
    settle(&mut s, before).map(drop)
}

/// Wait (up to 60 s) until the socket table has `want` entries (connections closing
/// pass TIME_WAIT, 10 s in smoltcp).
pub(crate) fn settle(s: &mut Session, want: usize) -> Result<usize> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = table_size(s)?;
        if n == want {
            return Ok(n);
        }
        if Instant::now() > deadline {
            let t = run(s, "netstat", "")?;
            return Err(format!(
                "the socket table has {n} entries, not {want}:\n{t}"
            ));
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

fn busybox(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    run(&mut s, "mkdir -p /tmp/www; seq 3000 > /tmp/www/seq.txt", "")?;
    background(&mut s, "httpd -p 8080 /tmp/www")?;
    s.expect("httpd: serving /tmp/www on port 8080", STEP)?;
    let out = run(
        &mut s,
        "/linux/bin/busybox wget -q -O /tmp/w http://127.0.0.1:8080/seq.txt; echo status $?",
        "status",
    )?;
    if !out.contains("status 0") {
        return Err(format!("busybox wget failed:\n{out}"));
    }
    let want = host_seq(3000)?.len();
    run(&mut s, "wc -c < /tmp/w", &want.to_string())?;
    run(&mut s, "cmp /tmp/w /tmp/www/seq.txt && echo same", "same")?;
    // The server keeps its sending half open for 3 s: busybox's nc ends as soon as
    // the network side ends, even with input still unread.
    background(&mut s, "sleep 3 | nc -l 7001 > /tmp/bn")?;
    let out = run(
        &mut s,
        "sleep 1; seq 500 | /linux/bin/busybox nc 127.0.0.1 7001; echo status $?",
        "status",
    )?;
    if !out.contains("status 0") {
        return Err(format!("busybox nc failed:\n{out}"));
    }
    run(&mut s, "sleep 1", "")?;
    let want = host_seq(500)?.len();
    run(&mut s, "wc -c < /tmp/bn", &want.to_string())?;
    Ok(())
}

fn usertests_net(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    let name = "net_socket_calls_refuse_bad_arguments";
    s.send("usertests net_\n")?;
    let out = s.expect(" passed, ", Duration::from_secs(120))?;
    let out = out + &s.expect("\n", STEP)?;
    if !out.contains(&format!("usertests: {name} ... ok")) || !out.contains("1 passed, 0 failed") {
        return Err(format!("usertests {name} did not pass:\n{out}"));
    }
    Ok(())
}
