//! Resource limits and accounting (chapter 2, 3-2 "information maintenance" and
//! "process control"): `prlimit` reads and sets what a process may use, `getrusage`
//! says what it (or its waited-for children) used, and the two `core_pattern` calls
//! read and set where core files go.
//!
//! The rules are the `proc` layer's (`proc::limits`, `proc::coredump`); here they are
//! reached from user memory. A new descriptor limit reaches the descriptor table at
//! once, so the next `open` already obeys it.

use crate::table::{Ctx, SysResult};
use crate::user::{UserPtr, UserSliceMut};
use abi::resource::{RLIMIT_NOFILE, RUSAGE_CHILDREN, RUSAGE_SELF};
use abi::{Errno, Rlimit, Rusage};
use alloc::string::String;

/// `prlimit(pid, resource, new, old)`: pid 0 is the caller. Another process's limits
/// may be read or set only by a caller who could signal it (the same user), or with
/// `Capability::Resource`; `old` gets the limit as it was before `new`.
pub fn prlimit(
    cx: &mut Ctx,
    pid: i64,
    resource: u32,
    new: UserPtr<Rlimit>,
    old: UserPtr<Rlimit>,
) -> SysResult {
    let me = cx.process()?;
    let target = match pid {
        0 => me.clone(),
        p => u32::try_from(p)
            .ok()
            .and_then(proc::process::get)
            .filter(|t| !t.is_zombie())
            .ok_or(Errno::ESRCH)?,
    };
    let cred = me.cred();
    if target.pid != me.pid
        && !cred::may_signal(&cred, &target.cred())
        && !cred::capable(&cred, cred::Capability::Resource)
    {
        return Err(Errno::EPERM);
    }
    let new = new.read_opt()?;
    let prev = {
        let mut l = target.limits.lock();
        let prev = l.get(resource)?;
        if let Some(n) = new {
            l.set(&cred, resource, n)?;
        }
        prev
    };
    if new.is_some() && resource == RLIMIT_NOFILE {
        let n = target.limits.lock().nofile();
        target.files.lock().set_limit(n);
    }
    old.write_opt(&prev)?;
    Ok(0)
}

/// `getrusage(who, out)`: `RUSAGE_SELF` or `RUSAGE_CHILDREN` (EINVAL otherwise).
pub fn getrusage(cx: &mut Ctx, who: i64, out: UserPtr<Rusage>) -> SysResult {
    let p = cx.process()?;
    let r = match i32::try_from(who) {
        Ok(RUSAGE_SELF) => p.rusage(),
        Ok(RUSAGE_CHILDREN) => p.family.lock().child_usage,
        _ => return Err(Errno::EINVAL),
    };
    out.write(&r)?;
    Ok(0)
}

/// The core-file name pattern, as much as fits in `dest`; returns its full length.
pub fn get_core_pattern(_: &mut Ctx, dest: UserSliceMut) -> SysResult {
    let pat = proc::coredump::core_pattern();
    dest.write_prefix(pat.as_bytes())?;
    Ok(pat.len())
}

/// Set the core-file name pattern (`Capability::SysAdmin`).
pub fn set_core_pattern(cx: &mut Ctx, pattern: String) -> SysResult {
    let cred = cx.process()?.cred();
    proc::coredump::set_core_pattern(&cred, &pattern)?;
    Ok(0)
}
