//! AF_UNIX sockets, tested (`cargo xtask test net::af_unix`; registered in
//! `nettest::NET_TESTS`). No card: loopback alone, one boot per test.
//!
//! - native programs: `nc -U` between two dinos processes both ways over a socket
//!   node (`ls -l` shows `s`) and over an abstract name, the bytes compared with the
//!   host's `seq`; `usock probe` against a live, a closed and a removed name, and
//!   `usock pair` (socketpair, ECONNRESET, EPIPE), each compared with the same steps
//!   done by python's `socket` module on the host; `usock send` run as `user` passes
//!   `/etc/passwd`'s descriptor to `usock serve` run as root, which reads the file
//!   through it and reports the sender's uid and gid (SO_PEERCRED, SCM_CREDENTIALS);
//! - the Linux personality: `user/linux-tests/unixsock.c` (musl, static) prints what it
//!   sees of socketpair, SCM_RIGHTS, SCM_CREDENTIALS, SO_PEERCRED, names, errors;
//!   compared line for line with the same binary on the host's Linux;
//! - `connect` needs write permission on the node (EACCES, checked before the node's
//!   type: a plain file one may not write is EACCES, one may write ECONNREFUSED),
//!   probed as `user` in dinos and as `nobody` by python on the host.

use crate::session::Session;
use crate::Result;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const STEP: Duration = Duration::from_secs(30);

/// Run `cmd` at the dinos shell; what it printed (the typed line left out), `\r\n` as `\n`.
fn run(s: &mut Session, cmd: &str) -> Result<String> {
    s.send(&format!("{cmd}; echo ==EN''D==\n"))?;
    let out = s
        .expect("==END==", STEP)
        .map_err(|e| format!("after typing {cmd:?}: {e}"))?;
    let out = out.replace("\r\n", "\n");
    let out = out.trim_end_matches("==END==");
    // Without the typed line (echoed, with the marker's quoted form) and prompts.
    Ok(out
        .lines()
        .filter(|l| !l.contains("''D==") && !l.starts_with("dinos:"))
        .map(|l| format!("{l}\n"))
        .collect())
}

/// What python prints on the host for `script`.
fn python(script: &str) -> Result<String> {
    let out = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "python3 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Every line of `want` appears in `got`, in order.
fn lines_in_order(what: &str, want: &str, got: &str) -> Result<()> {
    let mut rest = got;
    for line in want.lines().filter(|l| !l.is_empty()) {
        match rest.find(line) {
            Some(i) => rest = &rest[i + line.len()..],
            None => {
                return Err(format!(
                    "{what}: {line:?} missing (or out of order)\nwant (host):\n{want}\ngot (dinos):\n{got}"
                ))
            }
        }
    }
    Ok(())
}

/// `usock pair`, done by python on the host.
const PAIR_PY: &str = r#"
import os, socket, select, errno
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
def en(f):
    try:
        f(); return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
pid = os.fork()
if pid == 0:
    a.close()
    b.send(b"ping")
    print("child got", b.recv(16).decode(), flush=True)
    b.send(b"unread")
    print("child read after close:", en(lambda: b.recv(16)), flush=True)
    print("child write after close:", en(lambda: b.send(b"x", socket.MSG_NOSIGNAL)), flush=True)
    os._exit(0)
b.close()
print("parent got", a.recv(16).decode(), flush=True)
a.send(b"pong")
select.select([a], [], [])
a.close()
_, st = os.waitpid(-1, 0)
print("child status", st)
"#;

/// The probes of `af_unix_native`, done by python on the host.
const PROBE_PY: &str = r#"
import socket, os, errno, tempfile
def probe(p):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(p); print("connected")
    except OSError as e:
        print(errno.errorcode[e.errno])
p = os.path.join(tempfile.mkdtemp(), "p.sock")
l = socket.socket(socket.AF_UNIX); l.bind(p); l.listen(1)
probe(p)
try: socket.socket(socket.AF_UNIX).bind(p)
except OSError as e: print("bind again:", errno.errorcode[e.errno])
l.close()
probe(p)
os.unlink(p)
probe(p)
"#;

pub fn af_unix_native(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    // Both ways at once over a socket node.
    s.send("seq 3000 | nc -U -l /tmp/e.sock > /tmp/from-client &\n")?;
    let out = run(&mut s, "sleep 1; ls -l /tmp/e.sock")?;
    if !out.lines().any(|l| l.starts_with("srwx")) {
        return Err(format!("`ls -l` does not show a socket node:\n{out}"));
    }
    let out = run(
        &mut s,
        "seq 20000 | nc -U /tmp/e.sock > /tmp/from-server; echo client $?; wait",
    )?;
    if !out.contains("client 0") {
        return Err(format!("nc -U as a client failed:\n{out}"));
    }
    let out = run(
        &mut s,
        "seq 20000 > /tmp/w1; seq 3000 > /tmp/w2; cmp /tmp/w1 /tmp/from-client && cmp /tmp/w2 /tmp/from-server && echo both-same",
    )?;
    if !out.contains("both-same") {
        return Err(format!("the bytes differ from seq's:\n{out}"));
    }
    let host = Command::new("seq")
        .arg("20000")
        .output()
        .map_err(|e| e.to_string())?;
    let out = run(&mut s, "wc -c < /tmp/from-client")?;
    if !out.contains(&host.stdout.len().to_string()) {
        return Err(format!(
            "the server got other than the host's `seq 20000` ({} bytes):\n{out}",
            host.stdout.len()
        ));
    }
    // The abstract namespace: no node.
    s.send("seq 500 | nc -U -l @dinos-test > /tmp/a1 &\n")?;
    let out = run(
        &mut s,
        "sleep 1; seq 700 | nc -U @dinos-test > /tmp/a2; wait; seq 700 | cmp - /tmp/a1 && seq 500 | cmp - /tmp/a2 && echo abstract-same",
    )?;
    if !out.contains("abstract-same") {
        return Err(format!("the abstract-name exchange differs:\n{out}"));
    }
    // Names: live, in use, closed, removed.
    s.send("usock serve /tmp/p.sock > /dev/null &\n")?;
    let mut got = run(&mut s, "sleep 1; usock probe /tmp/p.sock; wait")?;
    let bind = run(&mut s, "nc -U -l /tmp/p.sock")?;
    if bind.contains("address already in use") {
        got.push_str("bind again: EADDRINUSE\n");
    }
    got.push_str(&run(
        &mut s,
        "usock probe /tmp/p.sock; rm /tmp/p.sock; usock probe /tmp/p.sock",
    )?);
    lines_in_order("connect/bind on a name", &python(PROBE_PY)?, &got)?;
    // socketpair, a reset and a broken pipe.
    let got = run(&mut s, "usock pair")?;
    lines_in_order("usock pair", &python(PAIR_PY)?, &got)?;
    // Descriptors and credentials from another user (who needs write permission on
    // root's node to connect: `chmod 666`).
    let id = run(&mut s, "su user -c id")?;
    let num = |key: &str| -> Option<String> {
        let at = id.find(key)? + key.len();
        Some(
            id[at..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect(),
        )
    };
    let (uid, gid) = (num("uid=").ok_or("no uid")?, num("gid=").ok_or("no gid")?);
    s.send("usock serve /tmp/u.sock > /tmp/srv &\n")?;
    let out = run(
        &mut s,
        "sleep 1; chmod 666 /tmp/u.sock; su user -c 'usock send /tmp/u.sock /etc/passwd /etc/group'; wait",
    )?;
    if !out.contains("sent 2") {
        return Err(format!("usock send failed:\n{out}"));
    }
    let srv = run(&mut s, "cat /tmp/srv")?;
    let passwd = run(&mut s, "cat /etc/passwd")?;
    let group = run(&mut s, "cat /etc/group")?;
    let want = format!(
        "peer uid={uid} gid={gid}\ncred pid=\ndata: hello\nfd:\n{}\nfd:\n{}",
        passwd.trim(),
        group.trim()
    );
    lines_in_order("descriptors and credentials", &want, &srv)?;
    if !srv.contains(&format!("uid={uid} gid={gid}\ndata: hello")) {
        return Err(format!(
            "SCM_CREDENTIALS did not name the sender (uid {uid}):\n{srv}"
        ));
    }
    Ok(())
}

/// `unixsock.c` through the Linux personality, compared with the host's Linux.
pub fn af_unix_linux(kernel: &Path) -> Result<()> {
    let prog = crate::linuxtest::staging().join("linux/tests/unixsock");
    let want = crate::linuxtest::host_program(&prog, &[], &[])?;
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    let got = crate::linuxtest::guest(&mut s, "/linux/tests/unixsock; echo status $?")?;
    crate::linuxtest::compare("unixsock", &want, &got)
}

/// The permission probes of `af_unix_connect_permission`, by python on the host
/// (as root, each probe in a child that became `nobody`).
const PERM_PY: &str = r#"
import socket, os, errno, tempfile
os.umask(0o022)
d = tempfile.mkdtemp(); os.chmod(d, 0o755)
p = os.path.join(d, "perm.sock"); f = os.path.join(d, "plain")
l = socket.socket(socket.AF_UNIX); l.bind(p); l.listen(4)
open(f, "w").close()
def probe(path):
    pid = os.fork()
    if pid == 0:
        os.setgid(65534); os.setuid(65534)
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path); print("connected", flush=True)
        except OSError as e:
            print(errno.errorcode[e.errno], flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
probe(p)
os.chmod(f, 0o644); probe(f)
os.chmod(f, 0o666); probe(f)
os.chmod(p, 0o722); probe(p)
"#;

/// `connect` to a socket node needs write permission on it, as on Linux.
pub fn af_unix_connect_permission(kernel: &Path) -> Result<()> {
    let want = python(PERM_PY)?;
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.send("usock serve /tmp/perm.sock > /dev/null &\n")?;
    let mode = run(&mut s, "sleep 1; ls -l /tmp/perm.sock")?;
    if !mode.lines().any(|l| l.starts_with("srwxr-xr-x")) {
        return Err(format!("the node is not srwxr-xr-x (umask 022):\n{mode}"));
    }
    let got = run(
        &mut s,
        "su user -c 'usock probe /tmp/perm.sock'; touch /tmp/plain; chmod 644 /tmp/plain; \
         su user -c 'usock probe /tmp/plain'; chmod 666 /tmp/plain; \
         su user -c 'usock probe /tmp/plain'; chmod 722 /tmp/perm.sock; \
         su user -c 'usock probe /tmp/perm.sock'; wait",
    )?;
    lines_in_order("connect as user", &want, &got)?;
    if got.matches("EACCES").count() != 2 {
        return Err(format!("want two EACCES, got:\n{got}"));
    }
    Ok(())
}

/// How many AF_UNIX sockets `netstat -xc` counts.
fn unix_count(s: &mut Session) -> Result<usize> {
    let out = run(s, "netstat -xc")?;
    out.lines()
        .find_map(|l| l.trim().parse().ok())
        .ok_or(format!("netstat -xc printed no count:\n{out}"))
}

/// `netstat -x` lists the AF_UNIX sockets (from `/proc/net/unix`, which busybox's
/// `netstat` reads too), and the listing returns to its size when they close.
pub fn af_unix_netstat(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    let before = unix_count(&mut s)?;
    s.send("nc -U -l /tmp/n.sock < /dev/null > /dev/null &\n")?;
    s.send("nc -U -l @dinos-ls < /dev/null > /dev/null &\n")?;
    let out = run(&mut s, "sleep 1; netstat -x")?;
    for want in [
        "Proto RefCnt Flags       Type       State         I-Node   Path",
        "[ ACC ]     STREAM     LISTENING",
        " /tmp/n.sock",
        " @dinos-ls",
    ] {
        if !out.contains(want) {
            return Err(format!("netstat -x does not show {want:?}:\n{out}"));
        }
    }
    s.send("sleep 4 | nc -U /tmp/n.sock &\n")?;
    let out = run(&mut s, "sleep 1; netstat -x")?;
    if out.matches("STREAM     CONNECTED").count() < 2 {
        return Err(format!(
            "netstat -x does not show both ends of the connection:\n{out}"
        ));
    }
    // The Linux personality's busybox parses the same file.
    let bb = run(&mut s, "/linux/bin/busybox netstat -xa")?;
    if !bb.contains("LISTENING") || !bb.contains("@dinos-ls") || !bb.contains("CONNECTED") {
        return Err(format!("busybox netstat -xa does not list them:\n{bb}"));
    }
    run(&mut s, "sleep 4; kill %2; wait")?;
    let after = unix_count(&mut s)?;
    if after != before {
        let t = run(&mut s, "netstat -x")?;
        return Err(format!(
            "{after} AF_UNIX sockets after all closed, {before} before:\n{t}"
        ));
    }
    Ok(())
}
