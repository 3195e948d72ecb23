//! Device management: ioctl on the terminal (modes, window size, foreground group).
//! Every request's argument is a pointer to its value (a `u32`, or a `WinSize`).

use crate::{me, Args};
use abi::flags::*;
use abi::{Errno, WinSize};
use proc::files::Object;
use proc::uaccess;

pub fn ioctl(a: &mut Args) -> Result<usize, Errno> {
    let f = me()?.files.lock().get(a.a[0] as i32)?;
    if !matches!(f.object, Object::Tty) {
        return Err(Errno::ENOTTY);
    }
    let arg = a.a[2];
    match a.a[1] as u32 {
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
