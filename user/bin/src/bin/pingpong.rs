//! `pingpong MODE ROUNDS`: ROUNDS round trips between this process and a forked
//! partner, and what one costs: `MODE: N round trips, X ns each`.
//!
//! The modes are the chapter's ways of communicating (2, 3-2): `pipe` (a byte down one
//! pipe and back up another), `port` (a `port_call_short` answered with
//! `port_reply_receive_short`: one message each way in registers, handed straight to
//! the waiting side) and `shm` (shared memory). Each round trip
//! carries one byte each way and is checked. Under `-icount` (`cargo xtask bench
//! programs`) the clock counts guest instructions, so the figure is instructions.
//! Exit status 0, 1 when a round trip failed, 2 for bad usage.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use ulib::port;
use ulib::process::{self, Fork};
use ulib::sys;
use ulib::time::Instant;

ulib::entry!(main);

const USAGE: &str = "usage: pingpong pipe|port|shm ROUNDS";

fn main() -> i32 {
    let args: alloc::vec::Vec<String> = ulib::env::args().collect();
    let (Some(mode), Some(rounds)) = (args.get(1), args.get(2).and_then(|r| r.parse().ok())) else {
        ulib::eprintln!("{USAGE}");
        return 2;
    };
    let run: fn(u32) -> Result<(), String> = match mode.as_str() {
        "pipe" => pipe,
        "port" => port,
        "shm" => shm,
        _ => {
            ulib::eprintln!("{USAGE}");
            return 2;
        }
    };
    let start = Instant::now();
    match run(rounds) {
        Ok(()) => {
            let ns = start.elapsed().as_nanos() as u64 / u64::from(rounds.max(1));
            ulib::println!("{mode}: {rounds} round trips, {ns} ns each");
            0
        }
        Err(e) => {
            ulib::eprintln!("pingpong: {mode}: {e}");
            1
        }
    }
}

fn err(what: &str, e: ulib::Errno) -> String {
    alloc::format!("{what}: {e}")
}

/// Wait for the partner; a partner that did not exit with 0 is an error.
fn reap() -> Result<(), String> {
    let (_, status) = process::wait().map_err(|e| err("wait", e))?;
    match status.code() {
        Some(0) => Ok(()),
        _ => Err(alloc::format!("the partner failed ({status:?})")),
    }
}

/// A byte down one pipe, echoed back up another.
fn pipe(rounds: u32) -> Result<(), String> {
    let (mut ping, mut pong) = ([0i32; 2], [0i32; 2]);
    sys::pipe(&mut ping).map_err(|e| err("pipe", e))?;
    sys::pipe(&mut pong).map_err(|e| err("pipe", e))?;
    if process::fork().map_err(|e| err("fork", e))? == Fork::Child {
        // Echo each byte until the parent closes its end.
        let _ = (sys::close(ping[1]), sys::close(pong[0]));
        let mut b = [0u8; 1];
        while sys::read(ping[0], &mut b) == Ok(1) {
            if sys::write(pong[1], &b) != Ok(1) {
                sys::exit(1);
            }
        }
        sys::exit(0);
    }
    let _ = (sys::close(ping[0]), sys::close(pong[1]));
    let mut result = Ok(());
    let mut b = [0u8; 1];
    for i in 0..rounds {
        let sent = [i as u8];
        if sys::write(ping[1], &sent) != Ok(1) || sys::read(pong[0], &mut b) != Ok(1) {
            result = Err(String::from("the partner stopped answering"));
            break;
        }
        if b != sent {
            result = Err(String::from("the partner answered something else"));
            break;
        }
    }
    let _ = (sys::close(ping[1]), sys::close(pong[0]));
    reap().and(result)
}

/// A short call on a port (in registers, the fast path of docs/ipc.md), answered by
/// the partner with the byte it was sent.
fn port(rounds: u32) -> Result<(), String> {
    let (server, client) = port::create(1).map_err(|e| err("port_create", e))?;
    if process::fork().map_err(|e| err("fork", e))? == Fork::Child {
        // Answer every call until the parent's sending end closes (EPIPE).
        // Each answer and the wait for the next call are one system call.
        drop(client);
        let mut next = server.reply_receive_short(0, &port::Short::default(), None);
        loop {
            match next {
                Ok(m) if m.msg.len == 1 && m.token != 0 => {
                    next = server.reply_receive_short(m.token, &m.msg, None);
                }
                Err(ulib::Errno::EPIPE) => sys::exit(0),
                _ => sys::exit(1),
            }
        }
    }
    drop(server);
    let mut result = Ok(());
    for i in 0..rounds {
        let sent = port::Short::from_bytes(&[i as u8]);
        match client.call_short(&sent, None) {
            Ok(m) if m == sent => {}
            Ok(_) => {
                result = Err(String::from("the partner answered something else"));
                break;
            }
            Err(e) => {
                result = Err(err("port_call", e));
                break;
            }
        }
    }
    drop(client);
    reap().and(result)
}

/// Two processes hand a word of a shared segment back and forth with the futex.
fn shm(rounds: u32) -> Result<(), String> {
    ulib::shm::ping_pong(rounds).map_err(|e| alloc::format!("shm ping-pong: {e:?}"))
}
