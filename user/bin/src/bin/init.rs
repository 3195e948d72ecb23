//! `init`: process 1. It makes sure descriptors 0, 1 and 2 are open on the console,
//! runs `/bin/sh /etc/rc` if that script exists, then keeps an interactive `/bin/sh`
//! running (starting a new one whenever it exits) and reaps every orphan handed to it.
//! Started as `init login` (the kernel command line's `login`, `cargo xtask run
//! --login`), it keeps `/bin/getty` running instead: a `login:` prompt, and after
//! each logout a new one.
//!
//! Chapter 2 section 4 (system services): the first user process is what starts the
//! rest; it never exits, so it waits for any child in a loop, which is also how the
//! children of exited processes (re-parented to init) are cleaned up.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use ulib::process::{Command, ExitStatus};
use ulib::time::{Duration, Instant};
use ulib::Errno;

const CONSOLE: &str = "/dev/console";
const SHELL: &str = "/bin/sh";
const GETTY: &str = "/bin/getty";
const RC: &str = "/etc/rc";

/// Open the console on whichever of 0, 1, 2 is not open.
fn console_descriptors() {
    for fd in 0..3 {
        if ulib::io::is_open(fd) {
            continue;
        }
        let f = ulib::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(CONSOLE);
        if let Ok(f) = f {
            let got = f.into_raw_fd();
            if got != fd {
                let _ = ulib::sys::dup2(got, fd);
                let _ = ulib::sys::close(got);
            }
        }
    }
}

/// Wait until `pid` ends, reaping any other child along the way.
fn wait_for(pid: u32) -> Option<ExitStatus> {
    loop {
        match ulib::process::wait() {
            Ok((p, st)) if p == pid => return Some(st),
            Ok(_) => {}
            Err(Errno::EINTR) => {}
            Err(_) => return None, // ECHILD: it is gone
        }
    }
}

fn main() -> i32 {
    console_descriptors();
    if ulib::env::var("PATH").is_none() {
        ulib::env::set_var("PATH", "/bin");
    }
    if ulib::env::var("HOME").is_none() {
        ulib::env::set_var("HOME", "/");
    }
    if ulib::fs::exists(RC) {
        match Command::new(SHELL).arg(RC).spawn() {
            Ok(child) => {
                if let Some(st) = wait_for(child.id()) {
                    if !st.success() {
                        ulib::eprintln!("init: {RC}: {st}");
                    }
                }
            }
            Err(e) => ulib::eprintln!("init: {SHELL} {RC}: {e}"),
        }
    }
    // The program kept running on the console: a root shell, or getty's login.
    let session = match ulib::env::args().nth(1).as_deref() {
        Some("login") => GETTY,
        _ => SHELL,
    };
    loop {
        let started = Instant::now();
        match Command::new(session).spawn() {
            Ok(child) => {
                if let Some(st) = wait_for(child.id()) {
                    // A getty ends with every logout: only a shell's failure is news.
                    if !st.success() && session == SHELL {
                        ulib::eprintln!("init: {SHELL} ended ({st}); starting a new one");
                    }
                }
            }
            Err(e) => ulib::eprintln!("init: cannot start {session}: {e}"),
        }
        // A shell that dies at once (no console, bad binary) must not make init spin.
        if started.elapsed() < Duration::from_secs(1) {
            ulib::time::sleep(Duration::from_secs(1));
        }
        // Reap whatever else has ended meanwhile, without blocking.
        while let Ok(Some(_)) = ulib::process::waitpid(-1, ulib::abi::flags::WNOHANG) {}
    }
}
