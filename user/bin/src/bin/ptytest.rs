//! `ptytest`: drives programs over a pseudo-terminal and prints what the terminal
//! did, for the tests (chapter 2, 2-2: a terminal emulator is a program at a
//! pseudo-terminal's master; the shell on the slave sees a terminal like the console).
//!
//! `ptytest` (no argument) runs three sessions, each a child that leads its own
//! session with the slave as its controlling terminal, and prints a transcript:
//! `> BYTES` for what the master typed, `< BYTES` for what it read back (the echo and
//! the child's output, escaped), `= ...` for what happened to the child. The same
//! sequence is run on the host by `xtask/src/ptyhost.py` against Linux's ptys, and the
//! two transcripts must be equal: canonical-mode echo, Backspace, Ctrl-U, Ctrl-D, the
//! window size, raw mode, Ctrl-Z and Ctrl-C to the foreground group, a background read
//! stopped by SIGTTIN, SIGHUP when the master closes, and end-of-file and EIO after.
//! `ptytest sh` runs the interactive `sh` on a pseudo-terminal (a job stopped with
//! Ctrl-Z, `fg`, Ctrl-C, `exit`) and prints the raw transcript; `ptytest bad` tries the
//! bad paths (a locked slave, TIOCSCTTY by a non-leader, the 33rd pseudo-terminal...).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::time::Duration;
use ulib::abi::flags::{POLLIN, TTY_CANON, TTY_ECHO, TTY_ISIG, TTY_OPOST, WUNTRACED};
use ulib::abi::signal::{SIGCONT, SIGHUP, SIGKILL};
use ulib::poll::{self, PollFd};
use ulib::process::{self, Fork};
use ulib::pty::{self, Pty};
use ulib::sys::{self, Handler};
use ulib::Errno;

/// Printable ASCII as it is, everything else (and `\`) as `\xNN`.
fn escape(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b {
        if (0x20..0x7f).contains(&c) && c != b'\\' {
            s.push(c as char);
        } else {
            let _ = write!(s, "\\x{c:02x}");
        }
    }
    s
}

/// Read the master until `until` has been read (or EIO: every slave closed), at most
/// 20 s.
fn collect(master: i32, until: &[u8]) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    for _ in 0..200 {
        if !until.is_empty() && got.windows(until.len()).any(|w| w == until) {
            break;
        }
        let mut fds = [PollFd {
            fd: master,
            events: POLLIN,
            revents: 0,
        }];
        if poll::poll(&mut fds, Some(Duration::from_millis(100))).unwrap_or(0) == 0 {
            continue;
        }
        match sys::read(master, &mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(Errno::EINTR) => {}
            Err(e) => {
                ulib::println!("< {}", escape(&got));
                ulib::println!("= read {e:?}");
                return Vec::new();
            }
        }
    }
    ulib::println!("< {}", escape(&got));
    got
}

fn type_in(master: i32, text: &[u8]) {
    ulib::println!("> {}", escape(text));
    let _ = sys::write(master, text);
}

fn report(pid: u32, flags: u32) {
    match process::waitpid(pid as i64, flags) {
        Ok(Some((_, st))) => {
            if let Some(s) = st.stopped_by() {
                ulib::println!("= stopped {s}");
            } else if let Some(s) = st.signal() {
                ulib::println!("= signal {s}");
            } else {
                ulib::println!("= exit {}", st.code().unwrap_or(-1));
            }
        }
        other => ulib::println!("= waitpid {other:?}"),
    }
}

/// In a child: lead a new session with the slave as controlling terminal and as
/// standard input, output and error.
fn become_session(p: &Pty) {
    let _ = sys::setsid();
    if let Err(e) = pty::make_controlling(p.slave) {
        ulib::eprintln!("ptytest: TIOCSCTTY: {e:?}");
        process::exit(99);
    }
    for fd in 0..3 {
        let _ = sys::dup2(p.slave, fd);
    }
    let _ = sys::close(p.slave);
    let _ = sys::close(p.master);
}

/// Open a pseudo-terminal and fork a child that leads a new session on its slave and
/// runs `child`; returns the master and the child's pid (or prints why not).
fn start(child: fn() -> !) -> Option<(i32, u32)> {
    let p = match pty::openpty() {
        Ok(p) => p,
        Err(e) => {
            ulib::println!("= openpty {e:?}");
            return None;
        }
    };
    let pid = match process::fork() {
        Ok(Fork::Child) => {
            become_session(&p);
            child()
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => {
            ulib::println!("= fork {e:?}");
            return None;
        }
    };
    let _ = sys::close(p.slave);
    Some((p.master, pid))
}

fn out(s: &str) {
    let _ = sys::write(1, s.as_bytes());
}

/// A read of standard input that goes on after a stop and continue.
fn read0(buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        match sys::read(0, buf) {
            Err(Errno::EINTR) => continue,
            r => return r,
        }
    }
}

/// Session A's child: reports every read; `w` prints the window size, `r` reads
/// three bytes in raw mode.
fn reader() -> ! {
    let mut buf = [0u8; 256];
    loop {
        let n = match read0(&mut buf) {
            Ok(n) => n,
            Err(_) => process::exit(3),
        };
        out(&alloc::format!("[{n}:{}]\n", escape(&buf[..n])));
        if &buf[..n] == b"w\n" {
            let w = ulib::io::window_size(0).unwrap_or_default();
            out(&alloc::format!("size {}x{}\n", w.rows, w.cols));
        }
        if &buf[..n] == b"r\n" {
            let cooked = ulib::io::terminal_mode(0).unwrap_or(0);
            let raw = cooked & !(TTY_ECHO | TTY_CANON | TTY_ISIG | TTY_OPOST);
            let _ = ulib::io::set_terminal_mode(0, raw);
            out("raw\n");
            let mut got = 0;
            while got < 3 {
                match read0(&mut buf[got..3]) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => got += k,
                }
            }
            out(&alloc::format!("[{got}:{}]\n", escape(&buf[..got])));
            let _ = ulib::io::set_terminal_mode(0, cooked);
            out("cooked\n");
        }
    }
}

/// Session A's leader: runs [`reader`] as a foreground job in its own group, as a
/// shell does (Ctrl-Z stops only a group that is not orphaned, on Linux), and reports
/// on the terminal what becomes of it.
fn job_leader() -> ! {
    let mut fds = [0i32; 2];
    if sys::pipe(&mut fds).is_err() {
        process::exit(97);
    }
    let pid = match process::fork() {
        Ok(Fork::Child) => {
            let _ = process::setpgid(0, 0);
            let mut b = [0u8; 1];
            let _ = sys::read(fds[0], &mut b);
            let _ = sys::close(fds[0]);
            let _ = sys::close(fds[1]);
            reader()
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(_) => process::exit(96),
    };
    let _ = process::setpgid(pid, pid);
    let _ = ulib::io::set_foreground_group(0, pid);
    let _ = sys::write(fds[1], b"g");
    loop {
        match process::waitpid(pid as i64, WUNTRACED) {
            Ok(Some((_, st))) => {
                if let Some(s) = st.stopped_by() {
                    out(&alloc::format!("job: stopped {s}\n"));
                    let _ = process::kill(pid as i64, SIGCONT);
                } else if let Some(s) = st.signal() {
                    out(&alloc::format!("job: signal {s}\n"));
                    process::exit(0);
                } else {
                    out(&alloc::format!("job: exit {}\n", st.code().unwrap_or(-1)));
                    process::exit(0);
                }
            }
            _ => process::exit(95),
        }
    }
}

fn session_a() {
    ulib::println!("== session A: line discipline, size, raw mode, Ctrl-Z, Ctrl-C");
    let Some((m, pid)) = start(job_leader) else {
        return;
    };
    for text in [
        &b"hello\n"[..],
        b"ab\x7fc\n",
        b"xyz\x15q\n",
        b"par\x04",
        b"\x04",
    ] {
        type_in(m, text);
        collect(m, b"]\r\n");
    }
    let _ = pty::set_window_size(m, 30, 100);
    type_in(m, b"w\n");
    collect(m, b"100\r\n");
    type_in(m, b"r\n");
    collect(m, b"raw\n");
    type_in(m, b"a\x03\x7f");
    collect(m, b"cooked\r\n");
    type_in(m, b"\x1a");
    collect(m, b"stopped 20\r\n");
    type_in(m, b"again\n");
    collect(m, b"]\r\n");
    type_in(m, b"\x03");
    collect(m, b"");
    report(pid, 0);
    let _ = sys::close(m);
}

/// Session B's child: a background job's read is stopped by SIGTTIN; then it waits
/// for input until the hang-up.
fn job_control() -> ! {
    match process::fork() {
        Ok(Fork::Child) => {
            let _ = process::setpgid(0, 0);
            let mut b = [0u8; 8];
            let _ = sys::read(0, &mut b);
            process::exit(7);
        }
        Ok(Fork::Parent(pid)) => {
            match process::waitpid(pid as i64, WUNTRACED) {
                Ok(Some((_, st))) => match st.stopped_by() {
                    Some(s) => out(&alloc::format!("bg read: stopped {s}\n")),
                    None => out("bg read: not stopped\n"),
                },
                _ => out("bg read: waitpid failed\n"),
            }
            let _ = process::kill(pid as i64, SIGKILL);
            let _ = process::waitpid(pid as i64, 0);
        }
        Err(_) => out("bg read: fork failed\n"),
    }
    out("ready\n");
    let mut b = [0u8; 8];
    let _ = read0(&mut b);
    process::exit(5)
}

/// Session C's child: ignores SIGHUP; after the hang-up it reports, in its exit
/// status, what its blocked read, a second read and a write got (0: end of file,
/// 1: EIO, 2: bytes, 3: another error), as `16 * first + 4 * second + write`.
fn hangup_survivor() -> ! {
    let _ = process::signal(SIGHUP, Handler::Ignore);
    out("ready\n");
    let class = |r: Result<usize, Errno>| match r {
        Ok(0) => 0,
        Err(Errno::EIO) => 1,
        Ok(_) => 2,
        Err(_) => 3,
    };
    let mut b = [0u8; 8];
    let first = class(read0(&mut b));
    let second = class(read0(&mut b));
    let w = class(sys::write(1, b"x"));
    process::exit(16 * first + 4 * second + w)
}

/// Wait (at most 5 s) until process `pid` sleeps (its read is waiting), so that the
/// hang-up finds it there: a read that has not started yet would see end-of-file
/// instead of EIO, and the transcript would depend on timing (on Linux too).
fn wait_asleep(pid: u32) {
    for _ in 0..500 {
        let stat = ulib::fs::read(&alloc::format!("/proc/{pid}/stat")).unwrap_or_default();
        let text = core::str::from_utf8(&stat).unwrap_or("");
        let state = text
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        if state == Some("S") {
            return;
        }
        let _ = sys::nanosleep(10_000_000);
    }
}

fn session(name: &str, child: fn() -> !) {
    ulib::println!("== session {name}");
    let Some((m, pid)) = start(child) else {
        return;
    };
    collect(m, b"ready\r\n");
    wait_asleep(pid);
    ulib::println!("= close master");
    let _ = sys::close(m);
    report(pid, 0);
}

/// The child of [`shell`]: the interactive shell on the slave.
fn exec_sh() -> ! {
    let e = process::exec("/bin/sh", &["sh"]);
    ulib::eprintln!("ptytest: exec sh: {e:?}");
    process::exit(127)
}

/// The interactive shell on a pseudo-terminal: job control as on the console.
fn shell() {
    let Some((m, pid)) = start(exec_sh) else {
        return;
    };
    collect(m, b"$ ");
    type_in(m, b"echo on a pty; ls /dev/pts\n");
    collect(m, b"$ ");
    // A Linux program (busybox, through the Linux personality) asks the size the
    // master set.
    let _ = pty::set_window_size(m, 30, 100);
    type_in(m, b"/linux/bin/busybox stty size\n");
    collect(m, b"$ ");
    type_in(m, b"sleep 30\n");
    let _ = sys::nanosleep(500_000_000);
    type_in(m, b"\x1a");
    collect(m, b"$ ");
    type_in(m, b"jobs\n");
    collect(m, b"$ ");
    type_in(m, b"fg\n");
    collect(m, b"sleep 30");
    let _ = sys::nanosleep(500_000_000);
    type_in(m, b"\x03");
    collect(m, b"$ ");
    type_in(m, b"exit\n");
    collect(m, b"");
    report(pid, 0);
    let _ = sys::close(m);
}

/// The bad paths: each line `ok ...` or `FAIL ...`.
fn bad_paths() -> i32 {
    let mut fails = 0;
    let mut check = |what: &str, ok: bool| {
        ulib::println!("{} {what}", if ok { "ok" } else { "FAIL" });
        fails += (!ok) as i32;
    };
    // A new pair's slave is locked until the master unlocks it.
    let nonblock = ulib::abi::flags::O_RDWR | ulib::abi::flags::O_NONBLOCK;
    let m = sys::open("/dev/ptmx", nonblock, 0);
    check("open /dev/ptmx", m.is_ok());
    let m = m.unwrap_or(0) as i32;
    let mut b = [0u8; 4];
    let n = sys::ioctl(m, ulib::abi::flags::TIOCGPTN, &mut b).map(|_| u32::from_le_bytes(b));
    check("TIOCGPTN on the master", n.is_ok());
    let name = pty::slave_name(n.unwrap_or(999));
    let locked = sys::open(&name, ulib::abi::flags::O_RDWR, 0);
    check("a locked slave's open is EIO", locked == Err(Errno::EIO));
    let mut zero = 0u32.to_le_bytes();
    let _ = sys::ioctl(m, ulib::abi::flags::TIOCSPTLCK, &mut zero);
    let s = sys::open(&name, ulib::abi::flags::O_RDWR, 0);
    check("an unlocked slave opens", s.is_ok());
    let s = s.unwrap_or(0) as i32;
    // Only a session leader may take a controlling terminal.
    check(
        "TIOCSCTTY by a non-leader is EPERM",
        pty::make_controlling(s) == Err(Errno::EPERM),
    );
    check(
        "TIOCGPTN on a slave is ENOTTY",
        sys::ioctl(s, ulib::abi::flags::TIOCGPTN, &mut b) == Err(Errno::ENOTTY),
    );
    check("TIOCGPTN on a pipe is ENOTTY", {
        let mut p = [0i32; 2];
        let _ = sys::pipe(&mut p);
        let r = sys::ioctl(p[0], ulib::abi::flags::TIOCGPTN, &mut b);
        let _ = sys::close(p[0]);
        let _ = sys::close(p[1]);
        r == Err(Errno::ENOTTY)
    });
    // Non-blocking reads of an empty master and slave.
    check(
        "an empty master's non-blocking read is EAGAIN",
        sys::read(m, &mut b) == Err(Errno::EAGAIN),
    );
    // The slave's close: the master reads EIO; the master's close removes the node.
    let _ = sys::close(s);
    check(
        "the master reads EIO once no slave is open",
        sys::read(m, &mut b) == Err(Errno::EIO),
    );
    let _ = sys::close(m);
    let mut st = ulib::abi::Stat::default();
    check(
        "/dev/pts/N goes with its master",
        sys::stat(&name, &mut st) == Err(Errno::ENOENT),
    );
    // At most 32 at once, and all numbers come back.
    let mut held = Vec::new();
    let last = loop {
        match sys::open("/dev/ptmx", ulib::abi::flags::O_RDWR, 0) {
            Ok(fd) if held.len() < 100 => held.push(fd as i32),
            r => break r,
        }
    };
    check(
        "the 33rd pseudo-terminal is ENOSPC",
        last == Err(Errno::ENOSPC) && held.len() == 32,
    );
    for fd in held {
        let _ = sys::close(fd);
    }
    let again = sys::open("/dev/ptmx", ulib::abi::flags::O_RDWR, 0);
    check("after closing them a new one opens", again.is_ok());
    if let Ok(fd) = again {
        let _ = sys::close(fd as i32);
    }
    fails
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("sh") {
        shell();
        return 0;
    }
    if args.first().map(String::as_str) == Some("bad") {
        return bad_paths();
    }
    session_a();
    session("B: a background read, then the hang-up", job_control);
    session("C: end of file and EIO after the hang-up", hangup_survivor);
    0
}
