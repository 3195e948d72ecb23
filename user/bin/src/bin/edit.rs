//! `edit FILE`: a full-screen text editor for the terminal (chapter 2 section 4, file
//! modification: "text editors to create and modify the contents of files").
//!
//! Keys: arrows, Home/End, PgUp/PgDn move; typing inserts; Backspace and Delete
//! delete; Enter splits the line; Ctrl-S saves; Ctrl-Q quits (press it twice to leave
//! unsaved changes); Ctrl-F searches forward (type the text on the status line, Enter
//! to find, Enter on an empty prompt to find the same again, Ctrl-G to cancel). The
//! bottom line shows the file name, `[modified]`, messages and `line:col`.
//!
//! Design decision: everything a key does lives in the pure `editcore` crate, tested on
//! the host with key sequences; this program only owns the terminal (raw mode through
//! `TCSETMODE`, the size from `TIOCGWINSZ`), paints the screen with ANSI escapes, and
//! reads and writes the file. The terminal's mode is restored on every way out.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use editcore::{Action, Editor, KeyDecoder};
use ulib::abi::flags::{TTY_CANON, TTY_ECHO, TTY_ISIG};
use ulib::io;
use ulib::Errno;

const USAGE: &str = "edit FILE";

/// The terminal in raw mode; the old mode comes back when this is dropped.
struct RawTerminal {
    saved: u32,
}

impl RawTerminal {
    fn enter() -> ulib::Result<RawTerminal> {
        let saved = io::terminal_mode(0)?;
        io::set_terminal_mode(0, saved & !(TTY_ECHO | TTY_CANON | TTY_ISIG))?;
        Ok(RawTerminal { saved })
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        // Clear the screen, show the cursor, and put the line discipline back.
        let _ = io::write_all(1, b"\x1b[0m\x1b[2J\x1b[H\x1b[?25h");
        let _ = io::set_terminal_mode(0, self.saved);
    }
}

/// Paint the whole screen: text rows, the status line in reverse video, the cursor.
fn draw(ed: &Editor, rows: usize) {
    let mut s = String::with_capacity(2048);
    s.push_str("\x1b[?25l");
    for (i, line) in ed.screen_lines().iter().enumerate() {
        let _ = write!(s, "\x1b[{};1H{line}\x1b[K", i + 1);
    }
    let _ = write!(s, "\x1b[{rows};1H\x1b[7m{}\x1b[0m", ed.status_line());
    let (r, c) = ed.cursor_on_screen();
    let _ = write!(s, "\x1b[{};{}H\x1b[?25h", r + 1, c + 1);
    let _ = io::write_all(1, s.as_bytes());
}

fn save(ed: &mut Editor, path: &str) {
    let text = ed.text();
    match ulib::fs::write(path, text.as_bytes()) {
        Ok(()) => ed.saved(&alloc::format!("wrote {} bytes to {path}", text.len())),
        Err(e) => ed.set_message(&alloc::format!("cannot save {path}: {e}")),
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let [path] = p.operands.as_slice() else {
        return ulib::cli::usage_error(USAGE);
    };
    let (text, new) = match ulib::fs::read(path) {
        Ok(bytes) => (String::from_utf8_lossy(&bytes).into_owned(), false),
        Err(Errno::ENOENT) => (String::new(), true),
        Err(e) => {
            ulib::cli::error(path, e);
            return 1;
        }
    };
    if !io::is_terminal(0) || !io::is_terminal(1) {
        ulib::cli::error("terminal", Errno::ENOTTY);
        return 1;
    }
    let ws = io::window_size(1).unwrap_or_default();
    let (rows, cols) = if ws.rows >= 3 && ws.cols >= 10 {
        (ws.rows as usize, ws.cols as usize)
    } else {
        (24, 80)
    };
    let mut ed = Editor::new(path, &text, rows, cols);
    if new {
        ed.set_message("new file  (^S save  ^Q quit  ^F find)");
    }
    let raw = match RawTerminal::enter() {
        Ok(t) => t,
        Err(e) => {
            ulib::cli::error("terminal", e);
            return 1;
        }
    };
    let _ = io::write_all(1, b"\x1b[2J");
    let mut keys = KeyDecoder::new();
    let mut buf = [0u8; 64];
    'outer: loop {
        draw(&ed, rows);
        let n = match ulib::sys::read(0, &mut buf) {
            Ok(0) => break, // the terminal went away
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(_) => break,
        };
        for key in keys.feed_all(&buf[..n]) {
            match ed.handle(key) {
                Action::None => {}
                Action::Save => save(&mut ed, path),
                Action::Quit => break 'outer,
            }
        }
    }
    drop(raw);
    0
}
