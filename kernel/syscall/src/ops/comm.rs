//! Communication (chapter 2, 3-2): pipes, message passing through the kernel; named
//! shared-memory segments and the futex, the shared-memory model's two halves (the
//! memory, and a way to wait on it).

use crate::table::{Ctx, SysResult};
use crate::user::{FdPair, UserPtr};
use abi::flags::*;
use abi::Errno;
use alloc::string::String;

pub fn pipe(cx: &mut Ctx, out: UserPtr<FdPair>) -> SysResult {
    let p = cx.process()?;
    // Check the destination first so a bad pointer leaks no descriptors.
    out.write(&FdPair(0, 0))?;
    let (r, w) = files::new_pipe::<proc::signal::ProcessSignals>()?;
    let mut t = p.files.lock();
    let rfd = t.insert(r, false)?;
    let wfd = match t.insert(w, false) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = t.close(rfd);
            return Err(e);
        }
    };
    drop(t);
    out.write(&FdPair(rfd, wfd))?;
    Ok(0)
}

/// `shm_open`: open (or create, with `O_CREAT`) the shared-memory segment `name`;
/// a descriptor that `ftruncate` sizes and `mmap` maps (see `files::shm`).
pub fn shm_open(cx: &mut Ctx, name: String, flags: u32, mode: u32) -> SysResult {
    let p = cx.process()?;
    let cred = p.cred();
    let f = files::shm::shm_open(&cred, name.as_bytes(), flags, mode & !cred.umask)?;
    let fd = p.files.lock().insert(f, flags & O_CLOEXEC != 0)?;
    Ok(fd as usize)
}

/// `shm_unlink`: remove segment `name` (it lives on while open or mapped).
pub fn shm_unlink(cx: &mut Ctx, name: String) -> SysResult {
    let p = cx.process()?;
    files::shm::shm_unlink(&p.cred(), name.as_bytes())?;
    Ok(0)
}

/// `futex(addr, op, val, timeout_ns)`: `FUTEX_WAIT` sleeps while the word at `addr`
/// holds `val` (at most `timeout_ns`, `FUTEX_FOREVER` for no limit); `FUTEX_WAKE`
/// wakes up to `val` of its waiters; `FUTEX_WAKE_WAIT` wakes one, then waits as
/// `FUTEX_WAIT` does (see `proc::futex`).
pub fn futex(cx: &mut Ctx, addr: u64, op: u32, val: u32, timeout_ns: u64) -> SysResult {
    let p = cx.process()?;
    // At least the time asked for: the tick now is already partly gone, so one more
    // (a zero timeout only looks at the word).
    let deadline = || {
        (timeout_ns != FUTEX_FOREVER).then(|| {
            let tick_ns = 1_000_000_000 / hal::apic::TIMER_HZ;
            let ticks = timeout_ns.div_ceil(tick_ns);
            task::ticks() + if ticks == 0 { 0 } else { ticks + 1 }
        })
    };
    match op {
        FUTEX_WAIT => proc::futex::wait(&p, addr, val, deadline(), false),
        FUTEX_WAKE_WAIT => proc::futex::wait(&p, addr, val, deadline(), true),
        FUTEX_WAKE => proc::futex::wake(&p, addr, val),
        _ => Err(Errno::ENOSYS),
    }
}
