//! Device management and information maintenance calls (chapter 2 section 3): `ioctl`
//! and device requests, the time, the system's and a process's information, and the
//! tracer and the profiler (docs/observability.md).

use super::raw::{syscall1, syscall2, syscall3};
use super::{ptr_mut, ret, SysResult};
use abi::{nr, Errno, Pod, ProcInfo, SysInfo, Timespec, Tms, Utsname};

// ---- device management ----------------------------------------------------------------

/// How many bytes the kernel reads or writes at `arg` for a request, if it is known.
pub fn ioctl_arg_size(request: u32) -> Option<usize> {
    use abi::flags::*;
    match request {
        TCGETMODE | TCSETMODE | TIOCSPGRP | TIOCGPGRP | INPIOGABSMAX => Some(4),
        TIOCSCTTY | TIOCGPTN | TIOCSPTLCK => Some(4),
        SHMIOADDSEALS | SHMIOGETSEALS => Some(4),
        TIOCGWINSZ | TIOCSWINSZ => Some(<abi::WinSize as Pod>::SIZE),
        BLKGETSIZE64 => Some(8),
        FBIOGET_MODE | FBIOSET_MODE => Some(<abi::FbMode as Pod>::SIZE),
        _ => None,
    }
}

/// A device request; `arg` is the argument buffer the request reads or fills (its size
/// is checked against [`ioctl_arg_size`]: an unknown request or a short buffer is
/// EINVAL, so the kernel can never write past it).
pub fn ioctl(fd: i32, request: u32, arg: &mut [u8]) -> SysResult {
    match ioctl_arg_size(request) {
        Some(n) if arg.len() >= n => ret(syscall3(
            nr::IOCTL,
            fd as usize,
            request as usize,
            ptr_mut(arg),
        )),
        _ => Err(Errno::EINVAL),
    }
}

/// Mount a file system of type `fstype` ("tmpfs", "ext2") from `source` (a device path;
/// ignored by tmpfs) on the directory `target`.
pub fn mount(target: &str, fstype: &str, source: &str) -> SysResult {
    ret(super::raw::syscall6(
        nr::MOUNT,
        target.as_ptr() as usize,
        target.len(),
        fstype.as_ptr() as usize,
        fstype.len(),
        source.as_ptr() as usize,
        source.len(),
    ))
}

/// Unmount the file system mounted on `target`.
pub fn umount(target: &str) -> SysResult {
    ret(syscall2(nr::UMOUNT, target.as_ptr() as usize, target.len()))
}

/// The mount table as text lines `SOURCE TARGET FSTYPE rw|ro` into `buf`: the bytes
/// written.
/// Set the flags of the mount at `target` (`MS_NOSUID`).
pub fn mount_flags(target: &str, flags: u32) -> SysResult {
    ret(syscall3(
        nr::MOUNT_FLAGS,
        target.as_ptr() as usize,
        target.len(),
        flags as usize,
    ))
}

pub fn mounts(buf: &mut [u8]) -> SysResult {
    ret(syscall2(nr::MOUNTS, ptr_mut(buf), buf.len()))
}

// ---- information maintenance ----------------------------------------------------------

pub fn clock_gettime(clock: u32, out: &mut Timespec) -> SysResult {
    let mut b = [0u8; <Timespec as Pod>::SIZE];
    let r = ret(syscall2(nr::CLOCK_GETTIME, clock as usize, ptr_mut(&mut b)))?;
    *out = Timespec::from_bytes(&b);
    Ok(r)
}

pub fn uname(out: &mut Utsname) -> SysResult {
    let mut b = [0u8; <Utsname as Pod>::SIZE];
    let r = ret(syscall1(nr::UNAME, ptr_mut(&mut b)))?;
    *out = Utsname::from_bytes(&b);
    Ok(r)
}

pub fn sysinfo(out: &mut SysInfo) -> SysResult {
    let mut b = [0u8; <SysInfo as Pod>::SIZE];
    let r = ret(syscall1(nr::SYSINFO, ptr_mut(&mut b)))?;
    *out = SysInfo::from_bytes(&b);
    Ok(r)
}

/// Fill `out` with one entry per process (at most `out.len()`): the count written.
pub fn proclist(out: &mut [ProcInfo]) -> SysResult {
    let size = <ProcInfo as Pod>::SIZE;
    let mut b = alloc::vec![0u8; out.len() * size];
    let n = ret(syscall2(nr::PROCLIST, ptr_mut(&mut b), out.len()))?;
    for (i, slot) in out.iter_mut().enumerate().take(n) {
        *slot = ProcInfo::from_bytes(&b[i * size..(i + 1) * size]);
    }
    Ok(n)
}

pub fn times(out: &mut Tms) -> SysResult {
    let mut b = [0u8; <Tms as Pod>::SIZE];
    let r = ret(syscall1(nr::TIMES, ptr_mut(&mut b)))?;
    *out = Tms::from_bytes(&b);
    Ok(r)
}

// ---- information maintenance: the tracer and the profiler -----------------------------

/// Trace process `pid` (0: the caller): a record of each of its calls is written
/// into the pipe whose write end is `fd` (`TRACE_FOLLOW`: its children's too).
pub fn trace_attach(pid: u32, fd: i32, flags: u32) -> SysResult {
    ret(syscall3(
        nr::TRACE_ATTACH,
        pid as usize,
        fd as usize,
        flags as usize,
    ))
}

/// Stop tracing process `pid` (0: the caller).
pub fn trace_detach(pid: u32) -> SysResult {
    ret(syscall1(nr::TRACE_DETACH, pid as usize))
}

/// A new profile: a descriptor whose reads give the samples (`PROF_USER`,
/// `PROF_KERNEL`, `PROF_FOLLOW`).
pub fn prof_open(flags: u32) -> SysResult {
    ret(syscall1(nr::PROF_OPEN, flags as usize))
}

/// Sample process `pid` (0: the caller) into the profile open as `fd`.
pub fn prof_attach(fd: i32, pid: u32) -> SysResult {
    ret(syscall2(nr::PROF_ATTACH, fd as usize, pid as usize))
}

/// The name of the kernel function containing `addr`, into `buf`; its whole length.
pub fn ksym(addr: u64, buf: &mut [u8]) -> SysResult {
    ret(syscall3(nr::KSYM, addr as usize, ptr_mut(buf), buf.len()))
}
