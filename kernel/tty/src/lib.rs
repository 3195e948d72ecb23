//! The console as a terminal: the line discipline between the UART and programs
//! (chapter 2, 3-2 "device management": the terminal is the first device a user meets).
//!
//! Received bytes arrive here from the serial interrupt. In *canonical* mode (the
//! default) the terminal collects a line, echoing and handling backspace and Ctrl-U,
//! and a reader gets whole lines; Ctrl-D on an empty line is end-of-file. In raw mode
//! (the shell's line editor, a full-screen editor) every byte goes to the reader as is.
//! With ISIG on, Ctrl-C never reaches a reader: it sends SIGINT to the terminal's
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

use abi::flags::{TTY_CANON, TTY_ECHO, TTY_ISIG};
use abi::{Errno, WinSize};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::marker::PhantomData;
use devices::CharDevice;
use files::{Ioctl, IoctlReply, Readiness, Signals};
use hal::sync::SpinLock;
use task::WaitQueue;

/// The terminal's device numbers (major << 8 | minor), as Linux numbers them.
pub const DEV_TTY: u32 = 0x0500;
pub const DEV_CONSOLE: u32 = 0x0501;

struct Tty {
    mode: u32,
    /// The line being edited (canonical mode).
    line: Vec<u8>,
    /// Bytes ready for readers.
    ready: VecDeque<u8>,
    /// Positions in `ready` where a canonical read must stop and return what it has,
    /// although no newline ends the text there: Ctrl-D after some text, and a line
    /// that filled [`MAX_INPUT`] (handed over in pieces rather than cut). A read that
    /// reaches a mark consumes it; a mark with nothing before it (Ctrl-D on an empty
    /// line) makes a read return 0 bytes: end of file.
    marks: VecDeque<usize>,
    fg_pgrp: u32,
    /// The size reported by `GetWinSize` (80x24 until someone sets it).
    winsize: WinSize,
}

static TTY: SpinLock<Tty> = SpinLock::new(Tty {
    mode: TTY_ECHO | TTY_CANON | TTY_ISIG,
    line: Vec::new(),
    ready: VecDeque::new(),
    marks: VecDeque::new(),
    fg_pgrp: 0,
    winsize: WinSize {
        rows: 24,
        cols: 80,
        xpixel: 0,
        ypixel: 0,
    },
});
static READERS: WaitQueue = WaitQueue::new();
/// The longest line canonical mode edits (longer lines are cut, their Enter kept), and
/// the most bytes raw mode holds for a reader.
const MAX_INPUT: usize = 4096;
/// The most bytes of finished lines canonical mode holds for a reader.
const MAX_READY: usize = 16 * 1024;

impl Tty {
    /// Make the line being edited readable without a newline, with a mark after it.
    fn push_line(&mut self) {
        let line = core::mem::take(&mut self.line);
        self.ready.extend(line);
        let at = self.ready.len();
        self.marks.push_back(at);
    }

    /// Is there room for another received byte? When not, the console driver holds
    /// input back in the UART (no byte is lost) until a reader makes room.
    fn has_room(&self) -> bool {
        if self.mode & TTY_CANON == 0 {
            self.ready.len() < MAX_INPUT
        } else {
            self.ready.len() < MAX_READY
        }
    }
}

fn echo(bytes: &[u8]) {
    hal::serial::write_bytes(bytes);
}

/// Register the terminal as `/dev/console` and `/dev/tty` (one device, two numbers),
/// its readers sleeping as the process layer's signals `S` allow.
pub fn register<S: Signals>() -> Result<(), Errno> {
    let tty: Arc<dyn CharDevice> = Arc::new(Terminal::<S>(PhantomData));
    devices::register_chrdev(
        DEV_CONSOLE >> 8,
        DEV_CONSOLE & 0xff,
        "console",
        0o620,
        tty.clone(),
    )?;
    devices::register_chrdev(DEV_TTY >> 8, DEV_TTY & 0xff, "tty", 0o666, tty)
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
    let signal = take_byte(b);
    Input {
        room: TTY.lock().has_room(),
        signal,
    }
}

/// The characters that signal the foreground group (with ISIG), as `stty` names
/// them: intr, susp, quit.
const SIGNAL_KEYS: [(u8, u32, &[u8]); 3] = [
    (0x03, abi::signal::SIGINT, b"^C\n"),
    (0x1a, abi::signal::SIGTSTP, b"^Z\n"),
    (0x1c, abi::signal::SIGQUIT, b"^\\\n"),
];

/// Take one byte; returns the group to signal and the signal, for Ctrl-C, Ctrl-Z and
/// Ctrl-\\.
fn take_byte(b: u8) -> Option<(u32, u32)> {
    let mut t = TTY.lock();
    let b = if b == b'\r' { b'\n' } else { b };
    if t.mode & TTY_ISIG != 0 {
        if let Some(&(_, sig, shown)) = SIGNAL_KEYS.iter().find(|k| k.0 == b) {
            t.line.clear();
            let pg = t.fg_pgrp;
            drop(t);
            echo(shown);
            return (pg != 0).then_some((pg, sig));
        }
    }
    if t.mode & TTY_CANON == 0 {
        // The driver stops delivering once there is no room, so this stays bounded.
        t.ready.push_back(b);
        let e = t.mode & TTY_ECHO != 0;
        drop(t);
        if e {
            echo(&[b]);
        }
        READERS.wake_all();
        return None;
    }
    let e = t.mode & TTY_ECHO != 0;
    match b {
        b'\n' => {
            let line = core::mem::take(&mut t.line);
            t.ready.extend(line);
            t.ready.push_back(b'\n');
            drop(t);
            if e {
                echo(b"\n");
            }
            READERS.wake_all();
        }
        0x04 => {
            // Ctrl-D: hand over the partial line; on an empty line, end-of-file.
            t.push_line();
            drop(t);
            READERS.wake_all();
        }
        0x7f | 0x08 if t.line.pop().is_some() && e => {
            drop(t);
            echo(b"\x08 \x08");
        }
        0x15 => {
            let n = t.line.len();
            t.line.clear();
            drop(t);
            if e {
                for _ in 0..n {
                    echo(b"\x08 \x08");
                }
            }
        }
        b if b >= 0x20 || b == b'\t' => {
            t.line.push(b);
            // A full line is handed over as it is and editing goes on in a new one:
            // a long line reaches the reader in pieces, none of it lost.
            let full = t.line.len() >= MAX_INPUT;
            if full {
                t.push_line();
            }
            drop(t);
            if e {
                echo(&[b]);
            }
            if full {
                READERS.wake_all();
            }
        }
        _ => {}
    }
    None
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
            let canon = t.mode & TTY_CANON != 0;
            if canon && t.marks.front() == Some(&0) {
                t.marks.pop_front();
                return Ok(0); // end of file
            }
            let limit = t.marks.front().copied().unwrap_or(usize::MAX);
            let have_line = limit != usize::MAX || t.ready.contains(&b'\n');
            if !t.ready.is_empty() && (!canon || have_line) {
                let mut n = 0;
                while n < buf.len() && (!canon || n < limit) {
                    let Some(c) = t.ready.pop_front() else { break };
                    buf[n] = c;
                    n += 1;
                    if canon && c == b'\n' {
                        break;
                    }
                }
                for m in t.marks.iter_mut() {
                    *m = m.saturating_sub(n);
                }
                // A mark just reached is consumed with the text before it; in raw mode
                // marks mean nothing and go as the bytes before them do.
                while t.marks.front() == Some(&0) && (!canon || n > 0) {
                    t.marks.pop_front();
                    if canon {
                        break;
                    }
                }
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
    let t = TTY.lock();
    !t.marks.is_empty()
        || (!t.ready.is_empty() && (t.mode & TTY_CANON == 0 || t.ready.contains(&b'\n')))
}

/// What a read would return now without waiting: in canonical mode, the bytes of
/// finished lines (up to the last newline or end-of-input mark); in raw mode, all.
fn bytes_ready() -> usize {
    let t = TTY.lock();
    if t.mode & TTY_CANON == 0 {
        return t.ready.len();
    }
    let line_end = t
        .ready
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    line_end.max(t.marks.back().copied().unwrap_or(0))
}

pub fn write(data: &[u8]) {
    hal::serial::write_bytes(data);
}

pub fn mode() -> u32 {
    TTY.lock().mode
}

pub fn set_mode(mode: u32) {
    let mut t = TTY.lock();
    t.mode = mode & (TTY_ECHO | TTY_CANON | TTY_ISIG);
    if t.mode & TTY_CANON == 0 {
        // Switching to raw: whatever was typed so far becomes readable.
        let line = core::mem::take(&mut t.line);
        t.ready.extend(line);
    }
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
            Ioctl::GetDiskSize
            | Ioctl::GetFbMode
            | Ioctl::SetFbMode(_)
            | Ioctl::GetAbsMax
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
}
