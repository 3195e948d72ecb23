//! Pseudo-terminals: a terminal whose "hardware" is another program (chapter 2,
//! section 2-2: a terminal emulator window is such a program, and so is a test that
//! drives the shell).
//!
//! `/dev/ptmx` hands out a new pair at each open: the descriptor it returns is the
//! *master* (what the emulator reads the programs' output from and writes the keys
//! into), and `/dev/pts/N` is the *slave*, a terminal like the console with the same
//! line discipline (canonical mode, echo, Ctrl-C to the foreground group). [`openpty`]
//! is BSD's and glibc's call of that name: `posix_openpt`, `unlockpt`, `ptsname` and
//! the slave's open in one.

use crate::{sys, Result};
use abi::flags::{O_RDWR, TIOCGPTN, TIOCSCTTY, TIOCSPTLCK, TIOCSWINSZ};
use alloc::format;
use alloc::string::String;

/// The pair's two descriptors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pty {
    pub master: i32,
    pub slave: i32,
    /// `N` of `/dev/pts/N`.
    pub number: u32,
}

fn ioctl_u32(fd: i32, request: u32, value: u32) -> Result<u32> {
    let mut b = value.to_le_bytes();
    sys::ioctl(fd, request, &mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// A new pseudo-terminal, its slave open too. Opening a terminal never makes it the
/// caller's controlling terminal (dinos has no `O_NOCTTY` because it is always so): a
/// child that runs on it calls `setsid` and [`make_controlling`].
pub fn openpty() -> Result<Pty> {
    let master = sys::open("/dev/ptmx", O_RDWR, 0)? as i32;
    let slave = (|| {
        ioctl_u32(master, TIOCSPTLCK, 0)?;
        let number = ioctl_u32(master, TIOCGPTN, 0)?;
        let slave = sys::open(&slave_name(number), O_RDWR, 0)? as i32;
        Ok((slave, number))
    })();
    match slave {
        Ok((slave, number)) => Ok(Pty {
            master,
            slave,
            number,
        }),
        Err(e) => {
            let _ = sys::close(master);
            Err(e)
        }
    }
}

/// `/dev/pts/N`.
pub fn slave_name(number: u32) -> String {
    format!("/dev/pts/{number}")
}

/// Make the terminal `fd` the caller's controlling terminal (the caller leads its
/// session, see `setsid`): Ctrl-C typed on it reaches the caller's foreground job,
/// and its master's close hangs the session up (SIGHUP).
pub fn make_controlling(fd: i32) -> Result<()> {
    ioctl_u32(fd, TIOCSCTTY, 0).map(|_| ())
}

/// Set the size the terminal `fd` reports (`TIOCSWINSZ`), on either end.
pub fn set_window_size(fd: i32, rows: u16, cols: u16) -> Result<()> {
    use abi::Pod;
    let w = abi::WinSize {
        rows,
        cols,
        xpixel: 0,
        ypixel: 0,
    };
    let mut b = [0u8; <abi::WinSize as Pod>::SIZE];
    w.to_bytes(&mut b);
    sys::ioctl(fd, TIOCSWINSZ, &mut b).map(|_| ())
}
