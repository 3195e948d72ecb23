//! Names, tested (`cargo xtask test net::names`; registered in `nettest::NET_TESTS`):
//! the resolver of `ulib::dns` used by `fetch`, `nc` and `ping`.
//!
//! The host's networking beyond loopback is not reachable here, so QEMU's DNS
//! forwarder (10.0.2.3, which asks the host's resolver) is not used: the test runs a
//! small DNS server (python, UDP on the host's 127.0.0.1, a free port) that knows one
//! name, `files.dinos.test` = 10.0.2.2 (the host from inside), and answers NXDOMAIN
//! for others; the guest's `/etc/resolv.conf` is pointed at it (`nameserver
//! 10.0.2.2:PORT`). `fetch` then gets a file from the host's `http.server` by that
//! name, `nc` sends to a host listener by it, `ping` reaches `host` through
//! `/etc/hosts`, and an unknown name is an error, not a hang.

use crate::nettest::{free_port, host_server, net_machine};
use crate::session::Session;
use crate::Result;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const STEP: Duration = Duration::from_secs(40);

const DNS_PY: &str = r#"
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    m, a = s.recvfrom(512)
    if len(m) < 12:
        continue
    i, labels = 12, []
    while i < len(m) and m[i]:
        labels.append(m[i + 1:i + 1 + m[i]].decode("ascii", "replace"))
        i += 1 + m[i]
    q = m[12:i + 5]
    name = ".".join(labels).lower()
    sys.stderr.write("query " + name + "\n")
    if name == "files.dinos.test":
        r = m[:2] + b"\x81\x80" + struct.pack(">HHHH", 1, 1, 0, 0) + q
        r += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([10, 0, 2, 2])
    else:
        r = m[:2] + b"\x81\x83" + struct.pack(">HHHH", 1, 0, 0, 0) + q
    s.sendto(r, a)
"#;

struct Dns(Child);

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn dns_server() -> Result<(Dns, u16)> {
    let mut child = Command::new("python3")
        .args(["-c", DNS_PY])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the DNS server: {e}"))?;
    let mut line = String::new();
    let out = child.stdout.take().ok_or("no stdout")?;
    BufReader::new(out)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let port = line
        .trim()
        .parse()
        .map_err(|_| format!("DNS port {line:?}"))?;
    Ok((Dns(child), port))
}

fn run(s: &mut Session, cmd: &str) -> Result<String> {
    s.send(&format!("{cmd}; echo ==EN''D==\n"))?;
    let out = s
        .expect("==END==", STEP)
        .map_err(|e| format!("after typing {cmd:?}: {e}"))?;
    Ok(out.replace("\r\n", "\n"))
}

pub fn names(kernel: &Path) -> Result<()> {
    let (_dns, dport) = dns_server()?;
    let hport = free_port()?;
    let body: Vec<u8> = (0..5000u32).flat_map(|i| i.to_le_bytes()).collect();
    let _www = host_server(hport, &[("f.bin", &body)])?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let nport = listener.local_addr().map_err(|e| e.to_string())?.port();
    let mut s = Session::boot_shell(&net_machine(kernel, &[]))?;
    let out = run(&mut s, "cat /etc/hosts /etc/resolv.conf")?;
    if !out.contains("localhost") || !out.contains("nameserver 10.0.2.3") {
        return Err(format!("/etc/hosts or /etc/resolv.conf missing:\n{out}"));
    }
    // `host` is in /etc/hosts; the first tries may come before DHCP is done.
    let mut out = String::new();
    for _ in 0..10 {
        out = run(&mut s, "ping -c 1 host")?;
        if out.contains("1 received") {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    if !out.contains("1 received") || !out.contains("from 10.0.2.2") {
        return Err(format!("`ping host` (/etc/hosts) got no reply:\n{out}"));
    }
    run(
        &mut s,
        &format!("echo nameserver 10.0.2.2:{dport} > /etc/resolv.conf"),
    )?;
    let out = run(
        &mut s,
        &format!("fetch http://files.dinos.test:{hport}/f.bin > /tmp/f.bin; echo fetch $?; wc -c < /tmp/f.bin"),
    )?;
    if !out.contains("fetch 0") || !out.contains(&body.len().to_string()) {
        return Err(format!("fetch by a DNS name failed:\n{out}"));
    }
    let out = run(&mut s, "fetch http://nosuch.dinos.test/x; echo fetch $?")?;
    if !out.contains("fetch 1") || !out.contains("nosuch.dinos.test") {
        return Err(format!("an unknown name was not an error:\n{out}"));
    }
    let out = run(&mut s, "ping -c 1 nosuch.dinos.test; echo ping $?")?;
    if out.contains("ping 0") {
        return Err(format!("ping of an unknown name succeeded:\n{out}"));
    }
    let accept = std::thread::spawn(move || -> Option<Vec<u8>> {
        let (mut c, _) = listener.accept().ok()?;
        c.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
        let mut v = Vec::new();
        c.read_to_end(&mut v).ok()?;
        Some(v)
    });
    let out = run(
        &mut s,
        &format!("echo by-name | nc files.dinos.test {nport}; echo nc $?"),
    )?;
    let got = accept.join().ok().flatten().unwrap_or_default();
    if got != b"by-name\n" || !out.contains("nc 0") {
        return Err(format!(
            "nc by a DNS name did not deliver its bytes: {:?}\n{out}",
            String::from_utf8_lossy(&got)
        ));
    }
    Ok(())
}
