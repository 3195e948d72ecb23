//! Device management: ioctl on the terminal (modes, window size, foreground group);
//! attaching file systems (mount, umount).
//! Every request's argument is a pointer to its value (a `u32`, or a `WinSize`).

use crate::{me, Args};
use abi::flags::*;
use abi::{Errno, WinSize};
use proc::devices::Device;
use proc::files::Object;
use proc::uaccess;

pub fn ioctl(a: &mut Args) -> Result<usize, Errno> {
    let f = me()?.files.lock().get(a.arg(0) as i32)?;
    let arg = a.arg(2);
    match &f.object {
        Object::Device(Device::Tty) => {}
        Object::Device(d @ Device::Disk { .. }) => {
            return match a.arg(1) as u32 {
                BLKGETSIZE64 => {
                    uaccess::write_bytes(arg, &d.size().to_le_bytes())?;
                    Ok(0)
                }
                _ => Err(Errno::EINVAL),
            };
        }
        _ => return Err(Errno::ENOTTY),
    }
    match a.arg(1) as u32 {
        TCGETMODE => {
            uaccess::write_bytes(arg, &proc::tty::mode().to_le_bytes())?;
            Ok(0)
        }
        TCSETMODE => {
            let b = uaccess::read_bytes(arg, 4)?;
            proc::tty::set_mode(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            Ok(0)
        }
        TIOCGWINSZ => {
            let ws = WinSize {
                rows: 24,
                cols: 80,
                xpixel: 0,
                ypixel: 0,
            };
            uaccess::write_pod(arg, &ws)?;
            Ok(0)
        }
        TIOCSPGRP => {
            let b = uaccess::read_bytes(arg, 4)?;
            proc::tty::set_foreground(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            Ok(0)
        }
        TIOCGPGRP => {
            uaccess::write_bytes(arg, &proc::tty::foreground().to_le_bytes())?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

fn str_arg(ptr: u64, len: u64) -> Result<alloc::string::String, Errno> {
    uaccess::read_str(ptr, len)
}

/// `mount(target, fstype, source)`: attach a new file system at `target`.
pub fn mount(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    let cred = p.cred();
    if !cred::capable(&cred, cred::Capability::Mount) {
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
    proc::fsys::mount(&cred, cwd, &target, &fstype, &source)?;
    Ok(0)
}

pub fn umount(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    let cred = p.cred();
    if !cred::capable(&cred, cred::Capability::Mount) {
        return Err(Errno::EPERM);
    }
    let target = str_arg(a.arg(0), a.arg(1))?;
    let cwd = p.cwd.lock().node();
    proc::fsys::umount(&cred, cwd, &target)?;
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
    match &f.object {
        Object::Device(d) => Ok(d.rdev()),
        _ => Err(Errno::ENODEV),
    }
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
