//! Pipes (communication by message passing): end-of-file, EPIPE with SIGPIPE, and a
//! large transfer between two processes.

use crate::{ctx, ensure, expect_exit, expect_signal, fork_child, pipe, TestResult};
use alloc::format;
use core::sync::atomic::{AtomicU32, Ordering};
use ulib::abi::signal::SIGPIPE;
use ulib::io::{Fd, Read, Write};
use ulib::process::{self, Handler};
use ulib::{sys, Errno};

pub fn eof_after_last_writer_closes() -> TestResult {
    let (r, w) = pipe()?;
    let w2 = ctx(w.try_clone(), "dup of the write end")?;
    let wfd = w.as_raw_fd();
    let pid = fork_child(|| i32::from(ulib::io::write_all(wfd, b"abc").is_err()))?;
    drop(w);
    let mut got = [0u8; 3];
    ctx(
        Fd(r.as_raw_fd()).read_exact(&mut got),
        "reading the child's bytes",
    )?;
    ensure(&got == b"abc", || format!("read {got:?}, expected \"abc\""))?;
    expect_exit(pid, 0, "the writer")?;
    // One writer (w2) is still open here; closing it is the last: end of file, twice.
    drop(w2);
    let mut b = [0u8; 8];
    for i in 1..=2 {
        let n = ctx(
            sys::read(r.as_raw_fd(), &mut b),
            "read after the last writer closed",
        )?;
        ensure(n == 0, || {
            format!("read number {i} after the last writer closed gave {n} bytes, expected 0 (end of file)")
        })?;
    }
    Ok(())
}

static SIGPIPES: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_sigpipe(sig: u32) {
    if sig == SIGPIPE {
        SIGPIPES.fetch_add(1, Ordering::SeqCst);
    }
}

pub fn write_without_reader_is_epipe() -> TestResult {
    SIGPIPES.store(0, Ordering::SeqCst);
    let old = ctx(
        process::signal(SIGPIPE, Handler::Call(on_sigpipe)),
        "sigaction SIGPIPE",
    )?;
    let (r, w) = pipe()?;
    drop(r);
    let res = sys::write(w.as_raw_fd(), b"x");
    let caught = SIGPIPES.load(Ordering::SeqCst);
    ctx(process::set_disposition(SIGPIPE, &old), "restoring SIGPIPE")?;
    ensure(res == Err(Errno::EPIPE), || {
        format!("write with no reader returned {res:?}, expected EPIPE")
    })?;
    ensure(caught == 1, || {
        format!("the SIGPIPE handler ran {caught} times, expected once")
    })?;
    // With the default action, SIGPIPE ends the writer.
    let pid = fork_child(|| {
        let mut fds = [0i32; 2];
        if sys::pipe(&mut fds).is_err() {
            return 3;
        }
        let _ = sys::close(fds[0]);
        let _ = sys::write(fds[1], b"x");
        4 // still alive: SIGPIPE did not end it
    })?;
    expect_signal(pid, SIGPIPE, "a child writing to a pipe without readers")
}

const TOTAL: usize = 1 << 20;

fn pattern(i: usize) -> u8 {
    ((i as u32).wrapping_mul(2_654_435_761) >> 24) as u8 ^ (i >> 12) as u8
}

pub fn carries_1mib_intact() -> TestResult {
    let (r, w) = pipe()?;
    let (rfd, wfd) = (r.as_raw_fd(), w.as_raw_fd());
    let pid = fork_child(|| {
        let _ = sys::close(rfd);
        let mut buf = [0u8; 3001]; // odd-sized pieces, across the pipe's buffer size
        let mut at = 0;
        while at < TOTAL {
            let n = buf.len().min(TOTAL - at);
            for (j, b) in buf[..n].iter_mut().enumerate() {
                *b = pattern(at + j);
            }
            if Fd(wfd).write_all(&buf[..n]).is_err() {
                return 2;
            }
            at += n;
        }
        0
    })?;
    drop(w);
    let mut buf = [0u8; 4096];
    let mut at = 0usize;
    let mut first_bad = None;
    loop {
        let n = match sys::read(rfd, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(format!("read after {at} bytes: {e:?}")),
        };
        if first_bad.is_none() {
            first_bad = buf[..n]
                .iter()
                .enumerate()
                .find(|(j, &b)| b != pattern(at + j))
                .map(|(j, _)| at + j);
        }
        at += n;
    }
    expect_exit(pid, 0, "the writer")?;
    ensure(at == TOTAL, || {
        format!("received {at} bytes, expected {TOTAL}")
    })?;
    ensure(first_bad.is_none(), || {
        format!("byte {} differs from what was sent", first_bad.unwrap_or(0))
    })
}
