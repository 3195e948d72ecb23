//! The line discipline: what a terminal does with the bytes typed on it before a
//! program reads them (chapter 2, 3-2 "device management"). One type, [`Ldisc`], used
//! by the serial console and by every pseudo-terminal's slave side, so a shell, the
//! editor or `top` meet the same terminal on both.
//!
//! In *canonical* mode (the default) the terminal collects a line, echoing and
//! handling Backspace and Ctrl-U, and a reader gets whole lines; Ctrl-D on an empty
//! line is end-of-file. In raw mode every byte goes to the reader as is. With ISIG on,
//! Ctrl-C, Ctrl-Z and Ctrl-\\ never reach a reader: [`Ldisc::take_byte`] reports the
//! foreground process group and the signal, and the terminal's owner posts it. The
//! type holds no lock and does no output: echo goes into a buffer the caller sends
//! where the terminal's screen is (the UART, a pseudo-terminal's master).

use abi::flags::{TTY_CANON, TTY_ECHO, TTY_ISIG, TTY_OPOST};
use abi::WinSize;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// The longest line canonical mode edits (longer lines are handed over in pieces),
/// and the most bytes raw mode holds for a reader.
pub const MAX_INPUT: usize = 4096;
/// The most bytes of finished lines canonical mode holds for a reader.
pub const MAX_READY: usize = 16 * 1024;

/// The mode bits a terminal keeps.
pub const MODE_BITS: u32 = TTY_ECHO | TTY_CANON | TTY_ISIG | TTY_OPOST;

/// One terminal's input side: its mode, the line being edited, what readers get.
pub struct Ldisc {
    pub mode: u32,
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
    /// The foreground process group (0: none).
    pub fg_pgrp: u32,
    /// The size reported by `GetWinSize` (80x24 until someone sets it).
    pub winsize: WinSize,
    /// What a signal key echoes after its `^C`: the console adds a newline (its
    /// shell's prompt then starts a fresh line), a pseudo-terminal does as Linux's
    /// `ECHOCTL` does and leaves the line to the shell.
    signal_newline: bool,
}

/// What one byte typed asks of the terminal's owner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Taken {
    /// The group and signal to post (Ctrl-C, Ctrl-Z, Ctrl-\\ with ISIG).
    pub signal: Option<(u32, u32)>,
    /// Readers may have something now: wake them.
    pub wake: bool,
}

/// The characters that signal the foreground group (with ISIG), as `stty` names
/// them: intr, susp, quit.
const SIGNAL_KEYS: [(u8, u32, &[u8]); 3] = [
    (0x03, abi::signal::SIGINT, b"^C"),
    (0x1a, abi::signal::SIGTSTP, b"^Z"),
    (0x1c, abi::signal::SIGQUIT, b"^\\"),
];

impl Ldisc {
    /// A terminal in canonical mode with echo and signals; `signal_newline`: see the
    /// field.
    pub const fn new(signal_newline: bool) -> Ldisc {
        Ldisc {
            mode: MODE_BITS,
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
            signal_newline,
        }
    }

    fn canon(&self) -> bool {
        self.mode & TTY_CANON != 0
    }

    /// Make the line being edited readable without a newline, with a mark after it.
    fn push_line(&mut self) {
        let line = core::mem::take(&mut self.line);
        self.ready.extend(line);
        let at = self.ready.len();
        self.marks.push_back(at);
    }

    /// Is there room for another received byte? When not, the sender holds it back
    /// (the UART, a pseudo-terminal master's write) until a reader makes room.
    pub fn has_room(&self) -> bool {
        if self.canon() {
            self.ready.len() < MAX_READY
        } else {
            self.ready.len() < MAX_INPUT
        }
    }

    /// Take one byte typed; what it echoes is appended to `echo`.
    pub fn take_byte(&mut self, b: u8, echo: &mut Vec<u8>) -> Taken {
        let b = if b == b'\r' { b'\n' } else { b };
        let e = self.mode & TTY_ECHO != 0;
        if self.mode & TTY_ISIG != 0 {
            if let Some(&(_, sig, shown)) = SIGNAL_KEYS.iter().find(|k| k.0 == b) {
                self.line.clear();
                echo.extend_from_slice(shown);
                if self.signal_newline {
                    echo.push(b'\n');
                }
                let pg = self.fg_pgrp;
                return Taken {
                    signal: (pg != 0).then_some((pg, sig)),
                    wake: false,
                };
            }
        }
        if !self.canon() {
            // The sender stops once there is no room, so this stays bounded.
            self.ready.push_back(b);
            if e {
                echo.push(b);
            }
            return Taken {
                signal: None,
                wake: true,
            };
        }
        let mut wake = false;
        match b {
            b'\n' => {
                let line = core::mem::take(&mut self.line);
                self.ready.extend(line);
                self.ready.push_back(b'\n');
                if e {
                    echo.push(b'\n');
                }
                wake = true;
            }
            0x04 => {
                // Ctrl-D: hand over the partial line; on an empty line, end-of-file.
                self.push_line();
                wake = true;
            }
            0x7f | 0x08 => {
                // Erase is never text, even on an empty line or without echo.
                let erased = self.line.pop().is_some();
                if erased && e {
                    echo.extend_from_slice(b"\x08 \x08");
                }
            }
            0x15 => {
                let n = self.line.len();
                self.line.clear();
                if e {
                    for _ in 0..n {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
            }
            b if b >= 0x20 || b == b'\t' => {
                self.line.push(b);
                // A full line is handed over as it is and editing goes on in a new
                // one: a long line reaches the reader in pieces, none of it lost.
                if self.line.len() >= MAX_INPUT {
                    self.push_line();
                    wake = true;
                }
                if e {
                    echo.push(b);
                }
            }
            _ => {}
        }
        Taken { signal: None, wake }
    }

    /// A read now: `None` when it would wait, else the bytes given (0: end of file).
    pub fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        let canon = self.canon();
        if canon && self.marks.front() == Some(&0) {
            self.marks.pop_front();
            return Some(0); // end of file
        }
        let limit = self.marks.front().copied().unwrap_or(usize::MAX);
        let have_line = limit != usize::MAX || self.ready.contains(&b'\n');
        if self.ready.is_empty() || (canon && !have_line) {
            return None;
        }
        let mut n = 0;
        while n < buf.len() && (!canon || n < limit) {
            let Some(c) = self.ready.pop_front() else {
                break;
            };
            buf[n] = c;
            n += 1;
            if canon && c == b'\n' {
                break;
            }
        }
        for m in self.marks.iter_mut() {
            *m = m.saturating_sub(n);
        }
        // A mark just reached is consumed with the text before it; in raw mode marks
        // mean nothing and go as the bytes before them do.
        while self.marks.front() == Some(&0) && (!canon || n > 0) {
            self.marks.pop_front();
            if canon {
                break;
            }
        }
        Some(n)
    }

    /// Would a read return without waiting?
    pub fn has_input(&self) -> bool {
        !self.marks.is_empty()
            || (!self.ready.is_empty() && (!self.canon() || self.ready.contains(&b'\n')))
    }

    /// What a read would return now without waiting: in canonical mode, the bytes of
    /// finished lines (up to the last newline or end-of-input mark); in raw mode, all.
    pub fn bytes_ready(&self) -> usize {
        if !self.canon() {
            return self.ready.len();
        }
        let line_end = self
            .ready
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        line_end.max(self.marks.back().copied().unwrap_or(0))
    }

    pub fn set_mode(&mut self, mode: u32) {
        self.mode = mode & MODE_BITS;
        if !self.canon() {
            // Switching to raw: whatever was typed so far becomes readable.
            let line = core::mem::take(&mut self.line);
            self.ready.extend(line);
        }
    }

    /// Output processing: `data` as the screen gets it (`\n` as `\r\n` with OPOST).
    pub fn output(&self, data: &[u8], out: &mut VecDeque<u8>) {
        if self.mode & TTY_OPOST == 0 {
            out.extend(data);
            return;
        }
        for &b in data {
            if b == b'\n' {
                out.push_back(b'\r');
            }
            out.push_back(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn typed(ld: &mut Ldisc, bytes: &[u8]) -> (Vec<u8>, Vec<Option<(u32, u32)>>) {
        let mut echo = Vec::new();
        let sigs = bytes
            .iter()
            .map(|&b| ld.take_byte(b, &mut echo).signal)
            .collect();
        (echo, sigs)
    }

    fn read_all(ld: &mut Ldisc) -> Vec<Vec<u8>> {
        let mut reads = Vec::new();
        let mut buf = [0u8; 64];
        while let Some(n) = ld.read(&mut buf) {
            reads.push(buf[..n].to_vec());
        }
        reads
    }

    #[test]
    fn canonical_lines_erase_kill_and_end_of_file() {
        let mut ld = Ldisc::new(false);
        let (echo, _) = typed(&mut ld, b"ab\x7fc\nxyz\x15q\npar\x04\x04");
        assert_eq!(echo, b"ab\x08 \x08c\nxyz\x08 \x08\x08 \x08\x08 \x08q\npar");
        assert_eq!(read_all(&mut ld), [&b"ac\n"[..], b"q\n", b"par", b""]);
        // Erase on an empty line, and with echo off, changes nothing else.
        ld.set_mode(MODE_BITS & !TTY_ECHO);
        let (echo, _) = typed(&mut ld, b"\x7fk\x7fz\n");
        assert!(echo.is_empty());
        assert_eq!(read_all(&mut ld), [b"z\n"]);
    }

    #[test]
    fn signal_keys_go_to_the_foreground_group_and_raw_mode_passes_them() {
        let mut ld = Ldisc::new(false);
        ld.fg_pgrp = 7;
        let (echo, sigs) = typed(&mut ld, b"ab\x03");
        assert_eq!(echo, b"ab^C");
        assert_eq!(sigs[2], Some((7, abi::signal::SIGINT)));
        assert!(!ld.has_input(), "the line was thrown away");
        let mut console = Ldisc::new(true);
        assert_eq!(typed(&mut console, b"\x1a").0, b"^Z\n");
        ld.set_mode(TTY_OPOST);
        let (echo, sigs) = typed(&mut ld, b"a\x03\x7f");
        assert!(echo.is_empty() && sigs.iter().all(Option::is_none));
        assert_eq!(read_all(&mut ld), [b"a\x03\x7f"]);
    }

    #[test]
    fn output_processing_follows_opost() {
        let mut ld = Ldisc::new(false);
        let mut out = VecDeque::new();
        ld.output(b"a\nb", &mut out);
        assert_eq!(out, vec![b'a', b'\r', b'\n', b'b']);
        ld.set_mode(TTY_CANON);
        out.clear();
        ld.output(b"a\n", &mut out);
        assert_eq!(out, vec![b'a', b'\n']);
    }
}
