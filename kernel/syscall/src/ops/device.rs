//! Device management (chapter 2, 3-2): device requests (`ioctl`), exclusive use of a
//! device (request and release), and attaching file systems (mount, umount).

use crate::arg::Fd;
use crate::table::{Ctx, SysResult};
use abi::Errno;
use alloc::string::String;
use files::{Ioctl, IoctlReply};

/// Ask the device open on `fd` a device-specific question (already decoded from the
/// personality's request numbers).
pub fn ioctl(cx: &mut Ctx, fd: Fd, req: Ioctl) -> Result<IoctlReply, Errno> {
    cx.file(fd)?.ioctl(req)
}

/// Attach a file system of type `fstype` from `source` (a device path, or nothing) at
/// `target`.
pub fn mount(cx: &mut Ctx, target: String, fstype: String, source: String) -> SysResult {
    let p = cx.process()?;
    let cred = p.cred();
    if !cred::capable(&cred, cred::Capability::Mount) {
        return Err(Errno::EPERM);
    }
    let cwd = p.cwd.lock().node();
    fsys::mount(&cred, cwd, &target, &fstype, &source)?;
    Ok(0)
}

/// `mount_flags(target, flags)`: set a mount's flags (`MS_NOSUID`); see
/// `fsys::set_mount_flags`.
pub fn mount_flags(cx: &mut Ctx, target: String, flags: u32) -> SysResult {
    let p = cx.process()?;
    let cred = p.cred();
    let cwd = p.cwd.lock().node();
    fsys::set_mount_flags(&cred, cwd, &target, flags)?;
    Ok(0)
}

pub fn umount(cx: &mut Ctx, target: String) -> SysResult {
    let p = cx.process()?;
    let cred = p.cred();
    if !cred::capable(&cred, cred::Capability::Mount) {
        return Err(Errno::EPERM);
    }
    let cwd = p.cwd.lock().node();
    fsys::umount(&cred, cwd, &target)?;
    Ok(0)
}

fn device_number(cx: &Ctx, fd: Fd) -> Result<u32, Errno> {
    cx.file(fd)?.device_number().ok_or(Errno::ENODEV)
}

/// Hold the device open on `fd` for exclusive use. Another holder makes the caller
/// wait, or fail with EBUSY given `DEV_NONBLOCK`.
pub fn dev_request(cx: &mut Ctx, fd: Fd, flags: u32) -> SysResult {
    let rdev = device_number(cx, fd)?;
    let nonblock = flags & abi::flags::DEV_NONBLOCK != 0;
    proc::claim::request(rdev, cx.with_process(|p| p.pid)?, nonblock)?;
    Ok(0)
}

/// Give the device back.
pub fn dev_release(cx: &mut Ctx, fd: Fd) -> SysResult {
    let rdev = device_number(cx, fd)?;
    proc::claim::release(rdev, cx.with_process(|p| p.pid)?)?;
    Ok(0)
}
