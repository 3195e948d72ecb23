//! Device management: ioctl (the dinos request numbers decoded into the typed
//! `proc::files::Ioctl` the open file answers: terminal modes, window size, foreground
//! group, disk size); exclusive request and release; attaching file systems (mount,
//! umount). Every request's argument is a pointer to its value (a `u32`, a `u64`, or
//! a `WinSize`).

use crate::{me, Args};
use abi::flags::*;
use abi::Errno;
use proc::files::{Ioctl, IoctlReply};
use proc::uaccess;

fn read_u32(ptr: u64) -> Result<u32, Errno> {
    let b = uaccess::read_bytes(ptr, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Decode a dinos ioctl number and argument into an [`Ioctl`], ask the open file, and
/// write the reply back. A set request reads its argument only after the object has
/// answered the matching get (so a non-terminal is ENOTTY, not EFAULT, as before).
pub fn ioctl(a: &mut Args) -> Result<usize, Errno> {
    let f = me()?.files.lock().get(a.arg(0) as i32)?;
    let arg = a.arg(2);
    let req = match a.arg(1) as u32 {
        TCGETMODE => Ioctl::GetTermMode,
        TCSETMODE => {
            f.ioctl(Ioctl::GetTermMode)?;
            Ioctl::SetTermMode(read_u32(arg)?)
        }
        TIOCGWINSZ => Ioctl::GetWinSize,
        TIOCGPGRP => Ioctl::GetForeground,
        TIOCSPGRP => {
            f.ioctl(Ioctl::GetForeground)?;
            Ioctl::SetForeground(read_u32(arg)?)
        }
        BLKGETSIZE64 => Ioctl::GetDiskSize,
        _ => Ioctl::Unknown,
    };
    match f.ioctl(req)? {
        IoctlReply::None => {}
        IoctlReply::U32(v) => uaccess::write_bytes(arg, &v.to_le_bytes())?,
        IoctlReply::U64(v) => uaccess::write_bytes(arg, &v.to_le_bytes())?,
        IoctlReply::WinSize(ws) => uaccess::write_pod(arg, &ws)?,
    }
    Ok(0)
}

fn str_arg(ptr: u64, len: u64) -> Result<alloc::string::String, Errno> {
    uaccess::read_str(ptr, len)
}

/// `mount(target, fstype, source)`: attach a new file system at `target`.
pub fn mount(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    if p.uid != 0 {
        return Err(Errno::EPERM);
    }
    let target = str_arg(a.arg(0), a.arg(1))?;
    let fstype = str_arg(a.arg(2), a.arg(3))?;
    let source = if a.arg(5) > 0 {
        str_arg(a.arg(4), a.arg(5))?
    } else {
        alloc::string::String::new()
    };
    let cwd = p.cwd.lock().node();
    proc::fsys::mount(cwd, &target, &fstype, &source)?;
    Ok(0)
}

pub fn umount(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    if p.uid != 0 {
        return Err(Errno::EPERM);
    }
    let target = str_arg(a.arg(0), a.arg(1))?;
    let cwd = p.cwd.lock().node();
    proc::fsys::umount(cwd, &target)?;
    Ok(0)
}

/// `mounts(buf, len)`: the mount table as text, one `SOURCE TARGET TYPE rw|ro` line each.
pub fn mounts(a: &mut Args) -> Result<usize, Errno> {
    let text = proc::fsys::mount_table_text()?;
    let n = text.len().min(a.arg(1) as usize);
    uaccess::write_bytes(a.arg(0), &text.as_bytes()[..n])?;
    Ok(n)
}

fn device_number(fd: u64) -> Result<u32, Errno> {
    let f = me()?.files.lock().get(fd as i32)?;
    f.device_number().ok_or(Errno::ENODEV)
}

/// `dev_request(fd, flags)`: hold the device open on `fd` for exclusive use. Another
/// holder makes the caller wait, or fail with EBUSY given `DEV_NONBLOCK`.
pub fn dev_request(a: &mut Args) -> Result<usize, Errno> {
    let rdev = device_number(a.arg(0))?;
    let nonblock = a.arg(1) as u32 & DEV_NONBLOCK != 0;
    proc::devices::request(rdev, me()?.pid, nonblock)?;
    Ok(0)
}

/// `dev_release(fd)`: give the device back.
pub fn dev_release(a: &mut Args) -> Result<usize, Errno> {
    let rdev = device_number(a.arg(0))?;
    proc::devices::release(rdev, me()?.pid)?;
    Ok(0)
}
