//! Signals: handlers and `sigreturn`, blocking with `sigprocmask`, SIGKILL, `kill` of a
//! sleeping process, SIGCHLD.
//!
//! Handlers only count into atomics (they must not allocate or print); each test puts
//! back the disposition it changed.

use crate::{ctx, ensure, expect_exit, expect_signal, fork_child, pipe, TestResult};
use alloc::format;
use core::hint::black_box;
use core::sync::atomic::{AtomicU32, Ordering};
use ulib::abi::signal::{SIGCHLD, SIGKILL, SIGSTOP, SIGTERM, SIGUSR1, SIG_BLOCK, SIG_SETMASK};
use ulib::io::{Fd, Read};
use ulib::process::{self, Handler};
use ulib::time::{Duration, Instant};
use ulib::{sys, Errno};

static USR1: AtomicU32 = AtomicU32::new(0);
static CHLD: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_usr1(_sig: u32) {
    USR1.fetch_add(1, Ordering::SeqCst);
    // Use general and SSE registers freely: sigreturn must put the interrupted ones back.
    let mut f = black_box(1.5f64);
    let mut x = black_box(7u64);
    for _ in 0..16 {
        f = f * 3.25 + 1.0;
        x = x.wrapping_mul(0x5851_f42d_4c95_7f2d).rotate_left(7);
    }
    black_box((f, x));
}

extern "C" fn on_chld(_sig: u32) {
    CHLD.fetch_add(1, Ordering::SeqCst);
}

fn me() -> i64 {
    process::id() as i64
}

/// Run `body` with `handler` installed for `sig`, then put the old disposition back.
fn with_handler<T>(
    sig: u32,
    handler: Handler,
    body: impl FnOnce() -> T,
) -> Result<T, alloc::string::String> {
    let old = ctx(process::signal(sig, handler), "sigaction")?;
    let r = body();
    ctx(
        process::set_disposition(sig, &old),
        "restoring the disposition",
    )?;
    Ok(r)
}

pub fn handler_runs_and_sigreturn_restores() -> TestResult {
    USR1.store(0, Ordering::SeqCst);
    let (r, keep, keep_f, count) = with_handler(SIGUSR1, Handler::Call(on_usr1), || {
        let keep = black_box(0x0123_4567_89ab_cdefu64);
        let keep_f = black_box(1234.5678f64);
        // Delivered on the way out of `kill`, which must still return its own result.
        let r = sys::kill(me(), SIGUSR1);
        (
            r,
            black_box(keep),
            black_box(keep_f),
            USR1.load(Ordering::SeqCst),
        )
    })?;
    ensure(count == 1, || {
        format!("the handler ran {count} times, expected once")
    })?;
    ensure(r == Ok(0), || {
        format!("kill returned {r:?} after the handler, expected Ok(0)")
    })?;
    ensure(keep == 0x0123_4567_89ab_cdef && keep_f == 1234.5678, || {
        format!("values kept across the handler changed: {keep:#x} {keep_f}")
    })?;
    // Asynchronous delivery (a timer interrupt, not a system call): a child computing
    // two identical series in separate registers must never see them differ while
    // signals keep arriving.
    USR1.store(0, Ordering::SeqCst);
    let pid = with_handler(SIGUSR1, Handler::Call(on_usr1), || {
        fork_child(|| {
            let (mut a, mut b) = (black_box(1u64), black_box(1u64));
            let (mut fa, mut fb) = (black_box(1.0f64), black_box(1.0f64));
            let start = Instant::now();
            while USR1.load(Ordering::SeqCst) < 5 {
                for _ in 0..1000 {
                    a = black_box(a)
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    b = black_box(b)
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    fa = black_box(fa) * 1.000_001 + 0.5;
                    fb = black_box(fb) * 1.000_001 + 0.5;
                    if a != b || fa != fb {
                        return 1;
                    }
                }
                if start.elapsed() > Duration::from_secs(20) {
                    return 2;
                }
            }
            0
        })
    })??;
    let start = Instant::now();
    let status = loop {
        let _ = sys::kill(pid as i64, SIGUSR1);
        ulib::time::sleep(Duration::from_millis(2));
        if let Some(st) = ctx(
            process::waitpid(pid as i64, ulib::abi::flags::WNOHANG),
            "waitpid",
        )? {
            break st.1;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = sys::kill(pid as i64, SIGKILL);
            return Err("the signalled child did not finish in 30 s".into());
        }
    };
    ensure(status.code() == Some(0), || {
        format!(
            "a child interrupted by handlers ended with {status} (1 = registers changed under it)"
        )
    })
}

pub fn sigprocmask_delays_delivery() -> TestResult {
    USR1.store(0, Ordering::SeqCst);
    let res = with_handler(SIGUSR1, Handler::Call(on_usr1), || -> TestResult {
        let old = ctx(
            process::sigprocmask(SIG_BLOCK, 1 << SIGUSR1),
            "sigprocmask block",
        )?;
        let sent = sys::kill(me(), SIGUSR1);
        let _ = sys::yield_now();
        let while_blocked = USR1.load(Ordering::SeqCst);
        let now = ctx(
            process::sigprocmask(SIG_SETMASK, old),
            "sigprocmask restore",
        )?;
        let after = USR1.load(Ordering::SeqCst);
        ensure(sent == Ok(0), || format!("kill: {sent:?}"))?;
        ensure(now & (1 << SIGUSR1) != 0, || {
            format!("the mask read back as {now:#x}, without SIGUSR1")
        })?;
        ensure(while_blocked == 0, || {
            "the handler ran while SIGUSR1 was blocked".into()
        })?;
        ensure(after == 1, || {
            format!("after unblocking, the handler ran {after} times, expected once")
        })
    })?;
    res
}

pub fn sigkill_cannot_be_caught() -> TestResult {
    extern "C" fn never(_: u32) {}
    for (sig, h, what) in [
        (SIGKILL, Handler::Call(never), "a SIGKILL handler"),
        (SIGKILL, Handler::Ignore, "ignoring SIGKILL"),
        (SIGSTOP, Handler::Call(never), "a SIGSTOP handler"),
    ] {
        let r = process::signal(sig, h);
        ensure(r.is_err_and(|e| e == Errno::EINVAL), || {
            format!("{what}: {:?}, expected EINVAL", r.map(|_| ()))
        })?;
    }
    let old = ctx(process::sigprocmask(SIG_BLOCK, 1 << SIGKILL), "sigprocmask")?;
    let now = ctx(process::sigprocmask(SIG_SETMASK, old), "sigprocmask")?;
    ensure(now & (1 << SIGKILL) == 0, || {
        "SIGKILL could be blocked".into()
    })?;
    // A child that blocks and ignores everything it can still dies of SIGKILL.
    let (r, w) = pipe()?;
    let wfd = w.as_raw_fd();
    let pid = fork_child(|| {
        let _ = process::sigprocmask(SIG_SETMASK, !0);
        let _ = process::signal(SIGTERM, Handler::Ignore);
        let _ = ulib::io::write_all(wfd, b"r");
        for _ in 0..60 {
            ulib::time::sleep(Duration::from_secs(1));
        }
        0
    })?;
    drop(w);
    let mut b = [0u8; 1];
    ctx(
        Fd(r.as_raw_fd()).read_exact(&mut b),
        "waiting for the child",
    )?;
    let _ = sys::kill(pid as i64, SIGTERM);
    ulib::time::sleep(Duration::from_millis(20));
    ctx(process::kill(pid as i64, SIGKILL), "kill SIGKILL")?;
    expect_signal(pid, SIGKILL, "a child blocking every signal")
}

pub fn kill_ends_a_sleeping_child() -> TestResult {
    let (r, w) = pipe()?;
    let wfd = w.as_raw_fd();
    let pid = fork_child(|| {
        let _ = ulib::io::write_all(wfd, b"r");
        ulib::time::sleep(Duration::from_secs(30));
        0
    })?;
    drop(w);
    let mut b = [0u8; 1];
    ctx(
        Fd(r.as_raw_fd()).read_exact(&mut b),
        "waiting for the child",
    )?;
    ulib::time::sleep(Duration::from_millis(20)); // it is asleep by now
    let start = Instant::now();
    ctx(process::kill(pid as i64, SIGTERM), "kill SIGTERM")?;
    expect_signal(pid, SIGTERM, "a sleeping child sent SIGTERM")?;
    let took = start.elapsed();
    ensure(took < Duration::from_secs(5), || {
        format!("the child took {took:?} to die: its sleep was not cut short")
    })
}

pub fn sigchld_reaches_the_parent() -> TestResult {
    CHLD.store(0, Ordering::SeqCst);
    let res = with_handler(SIGCHLD, Handler::Call(on_chld), || -> TestResult {
        let pid = fork_child(|| 0)?;
        expect_exit(pid, 0, "a child that exits at once")?;
        let _ = sys::yield_now();
        let got = CHLD.load(Ordering::SeqCst);
        ensure(got == 1, || {
            format!("the SIGCHLD handler ran {got} times, expected once")
        })
    })?;
    res
}
