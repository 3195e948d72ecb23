//! The console as a terminal, and pseudo-terminals: the line discipline between a
//! keyboard and programs (chapter 2, 3-2 "device management": the terminal is the
//! first device a user meets).
//!
//! Received bytes arrive here from the serial interrupt and go through the line
//! discipline ([`ldisc`], shared with the pseudo-terminals of [`pty`]). In *canonical*
//! mode (the default) the terminal collects a line, echoing and handling backspace and
//! Ctrl-U, and a reader gets whole lines; Ctrl-D on an empty line is end-of-file. In
//! raw mode (the shell's line editor, a full-screen editor) every byte goes to the
//! reader as is. With ISIG on, Ctrl-C never reaches a reader: it sends SIGINT to the terminal's
//! *foreground process group*, which is how Ctrl-C stops the running program and not
//! the shell. Signals belong to the process layer above, so the terminal does not
//! send it: [`input`] returns what should happen ([`Input::interrupt`]), and `proc`,
//! which feeds the console's bytes in, posts the signal. (A read's sleep, which a
//! signal interrupts, asks the process layer's [`Signals`], a type parameter.) All of this runs in the
//! interrupt handler, so it works even when nobody is reading. When the buffers are full (a reader slower than a paste), the input hook
//! says so and the console driver holds input back in the UART until a read makes room:
//! a long line pasted into the shell arrives whole, Enter included.
//!
//! To the rest of the kernel the terminal is [`Terminal`], a character device
//! registered ([`register`]) as `/dev/console` and `/dev/tty`, whose device requests
//! ([`Ioctl`]) are the terminal's mode, window size and foreground process group.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod ldisc;
pub mod pty;

use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::marker::PhantomData;
use devices::CharDevice;
use files::{Ioctl, IoctlReply, Readiness, Signals};
use hal::sync::SpinLock;
use ldisc::Ldisc;
use task::WaitQueue;

/// The terminal's device numbers (major << 8 | minor), as Linux numbers them.
pub const DEV_TTY: u32 = 0x0500;
pub const DEV_CONSOLE: u32 = 0x0501;

static TTY: SpinLock<Ldisc> = SpinLock::new(Ldisc::new(true));
static READERS: WaitQueue = WaitQueue::new();

fn echo(bytes: &[u8]) {
    if !bytes.is_empty() {
        hal::serial::write_bytes(bytes);
    }
}

/// Register the terminal as `/dev/console` and `/dev/tty` (one device, two numbers),
/// its readers sleeping as the process layer's signals `S` allow; and `/dev/ptmx`,
/// where pseudo-terminals come from.
pub fn register<S: Signals>() -> Result<(), Errno> {
    let tty: Arc<dyn CharDevice> = Arc::new(Terminal::<S>(PhantomData));
    devices::register_chrdev(
        DEV_CONSOLE >> 8,
        DEV_CONSOLE & 0xff,
        "console",
        0o620,
        tty.clone(),
    )?;
    devices::register_chrdev(DEV_TTY >> 8, DEV_TTY & 0xff, "tty", 0o666, tty)?;
    pty::register::<S>()
}

/// What a received byte asks of the layers above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Input {
    /// Is there room for more? (The console driver holds input back until there is.)
    pub room: bool,
    /// Ctrl-C, Ctrl-Z or Ctrl-\\: this process group (the foreground group) should
    /// get this signal (SIGINT, SIGTSTP, SIGQUIT).
    pub signal: Option<(u32, u32)>,
}

/// One received byte (interrupt context): the line discipline takes it.
pub fn input(b: u8) -> Input {
    let mut shown = Vec::new();
    let mut t = TTY.lock();
    let taken = t.take_byte(b, &mut shown);
    let room = t.has_room();
    drop(t);
    echo(&shown);
    if taken.wake {
        READERS.wake_all();
    }
    Input {
        room,
        signal: taken.signal,
    }
}

/// Read from the terminal: a line (canonical) or what is there (raw).
pub fn read<S: Signals>(buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
    let fg = TTY.lock().fg_pgrp;
    if fg != 0 {
        S::may_read_terminal(fg)?;
    }
    if buf.is_empty() {
        return Ok(0);
    }
    loop {
        {
            let mut t = TTY.lock();
            if let Some(n) = t.read(buf) {
                if t.has_room() {
                    drivers::console::unthrottle();
                }
                return Ok(n);
            }
        }
        if nonblock {
            return Err(Errno::EAGAIN);
        }
        files::signals::interruptible_wait::<S>(&READERS, has_input)?;
    }
}

/// Would a read return without waiting?
fn has_input() -> bool {
    TTY.lock().has_input()
}

/// What a read would return now without waiting.
fn bytes_ready() -> usize {
    TTY.lock().bytes_ready()
}

pub fn write(data: &[u8]) {
    hal::serial::write_bytes(data);
}

pub fn mode() -> u32 {
    TTY.lock().mode
}

pub fn set_mode(mode: u32) {
    let mut t = TTY.lock();
    t.set_mode(mode);
    let room = t.has_room();
    drop(t);
    if room {
        drivers::console::unthrottle();
    }
    READERS.wake_all();
}

pub fn foreground() -> u32 {
    TTY.lock().fg_pgrp
}

pub fn set_foreground(pgrp: u32) {
    TTY.lock().fg_pgrp = pgrp;
}

/// The console terminal as a character device.
pub struct Terminal<S>(PhantomData<fn() -> S>);

impl<S: Signals> CharDevice for Terminal<S> {
    fn read(&self, _: u64, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        read::<S>(buf, nonblock)
    }

    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        write(data);
        Ok(data.len())
    }

    fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        Ok(match req {
            Ioctl::GetTermMode => IoctlReply::U32(mode()),
            Ioctl::SetTermMode(m) => {
                set_mode(m);
                IoctlReply::None
            }
            Ioctl::GetWinSize => IoctlReply::WinSize(TTY.lock().winsize),
            Ioctl::SetWinSize(w) => {
                TTY.lock().winsize = w;
                IoctlReply::None
            }
            Ioctl::BytesReady => IoctlReply::U32(bytes_ready() as u32),
            Ioctl::GetForeground => IoctlReply::U32(foreground()),
            Ioctl::SetForeground(pg) => {
                set_foreground(pg);
                IoctlReply::None
            }
            // Every session without a pseudo-terminal has the console.
            Ioctl::SetControlling => IoctlReply::None,
            Ioctl::GetPtyNumber | Ioctl::SetPtyLock(_) => return Err(Errno::ENOTTY),
            Ioctl::GetDiskSize
            | Ioctl::GetFbMode
            | Ioctl::SetFbMode(_)
            | Ioctl::GetAbsMax
            | Ioctl::AddSeals(_)
            | Ioctl::GetSeals
            | Ioctl::Unknown => return Err(Errno::EINVAL),
        })
    }

    fn poll(&self) -> Readiness {
        Readiness {
            readable: has_input(),
            writable: true,
            hangup: false,
        }
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&READERS)
    }

    /// `/dev/tty` and `/dev/console` are one terminal, held and reported as the console.
    fn number(&self, _: u32) -> u32 {
        DEV_CONSOLE
    }

    /// `/dev/tty` is the caller's controlling terminal: a pseudo-terminal's slave for
    /// a session that has one.
    fn open_instance(
        &self,
        opened: u32,
        cred: &cred::Credentials,
    ) -> Option<Result<Arc<dyn CharDevice>, Errno>> {
        if opened != DEV_TTY {
            return None;
        }
        pty::open_controlling(S::caller_ids().2, cred)
    }
}
