//! Watching programs: the calls behind `trace` and `prof` (chapter 2, 3-2
//! "information maintenance", and the chapter's debugging notes: system-call tracing
//! and timer-interrupt profiling). The hooks themselves live on the process
//! (`proc::watch`); the records a trace carries are made by the dispatcher from the
//! table rows (`crate::trace`).
//!
//! Who may watch whom is `proc::watch::may_watch`: root, or the same user (EPERM
//! otherwise, ESRCH for no such process or a zombie).

use crate::arg::Fd;
use crate::table::{Ctx, SysResult};
use crate::user::UserSliceMut;
use abi::flags::{O_ACCMODE, O_RDONLY, O_WRONLY, TRACE_FOLLOW};
use abi::Errno;
use alloc::sync::Arc;
use proc::watch::{Profile, ProfileFile, TraceSink};

/// The process `pid` names (0: the caller), if the caller may watch it.
fn watched(cx: &Ctx, pid: u64) -> Result<Arc<proc::Process>, Errno> {
    let me = cx.process()?;
    let target = if pid == 0 || pid == me.pid as u64 {
        me.clone()
    } else {
        let pid = u32::try_from(pid).map_err(|_| Errno::ESRCH)?;
        proc::process::get(pid).ok_or(Errno::ESRCH)?
    };
    if target.is_zombie() {
        return Err(Errno::ESRCH);
    }
    if !proc::watch::may_watch(&me.cred(), &target.cred()) {
        return Err(Errno::EPERM);
    }
    Ok(target)
}

/// `trace_attach(pid, fd, flags)`: every call `pid` makes from now on is written as a
/// record (one line, see docs/observability.md) into the pipe whose write end is
/// `fd`. `TRACE_FOLLOW`: children made from now on too. EINVAL for a descriptor that
/// is not the write end of a pipe or unknown flags; EBUSY if `pid` is traced already.
pub fn trace_attach(cx: &mut Ctx, pid: u64, fd: Fd, flags: u32) -> SysResult {
    if flags & !TRACE_FOLLOW != 0 {
        return Err(Errno::EINVAL);
    }
    let out = cx.file(fd)?;
    type Writer = files::pipe::PipeWriter<proc::signal::ProcessSignals>;
    let is_pipe = out.as_any().is_some_and(|a| a.is::<Writer>());
    if !is_pipe || out.flags() & O_ACCMODE != O_WRONLY {
        return Err(Errno::EINVAL);
    }
    let target = watched(cx, pid)?;
    if target.watch.trace().is_some() {
        return Err(Errno::EBUSY);
    }
    let sink = TraceSink {
        out,
        follow: flags & TRACE_FOLLOW != 0,
    };
    target.watch.set_trace(Some(Arc::new(sink)));
    Ok(0)
}

/// `trace_detach(pid)`: stop tracing `pid` (ENOENT if it is not traced).
pub fn trace_detach(cx: &mut Ctx, pid: u64) -> SysResult {
    let target = watched(cx, pid)?;
    match target.watch.set_trace(None) {
        Some(_) => Ok(0),
        None => Err(Errno::ENOENT),
    }
}

/// `prof_open(flags)`: a new, empty profile as a read-only descriptor.
pub fn prof_open(cx: &mut Ctx, flags: u32) -> SysResult {
    let profile = Profile::new(flags)?;
    let f = files::OpenFile::new(Arc::new(ProfileFile(profile)), O_RDONLY)?;
    let fd = cx.with_process(|p| p.files.lock().insert(f, false))??;
    Ok(fd as usize)
}

/// `prof_attach(fd, pid)`: sample `pid` into the profile open as `fd` (EINVAL if it
/// is not one) from the next timer interrupt on.
pub fn prof_attach(cx: &mut Ctx, fd: Fd, pid: u64) -> SysResult {
    let f = cx.file(fd)?;
    let profile = f
        .as_any()
        .and_then(|a| a.downcast_ref::<ProfileFile>())
        .map(|p| p.0.clone())
        .ok_or(Errno::EINVAL)?;
    let target = watched(cx, pid)?;
    target.watch.set_profile(Some(profile));
    Ok(0)
}

/// `ksym(addr, buf)`: the name of the kernel function that contains `addr` (from the
/// symbol table embedded in the kernel image), copied to `buf` (cut to fit); returns
/// the name's whole length. ENOENT for an address in no kernel function.
pub fn ksym(_cx: &mut Ctx, addr: u64, buf: UserSliceMut) -> SysResult {
    let (name, _) = hal::symbols::lookup(addr).ok_or(Errno::ENOENT)?;
    let n = name.len().min(buf.len());
    buf.write_at(0, &name.as_bytes()[..n])?;
    Ok(name.len())
}
