//! `more [FILE...]`: show text a screenful at a time (chapter 2 section 4: a tool to
//! read files on a terminal). After a screen (the terminal's rows less one, 23 on the
//! console) it shows `--More--` and waits for a key: space shows the next screen,
//! Enter one more line, `q` quits. When standard output is not a terminal it copies
//! its input unchanged, like `cat`.
//!
//! Keys are read in raw mode (no echo, no line editing, no signals, so Ctrl-C is
//! simply "quit") from standard input when that is the terminal, otherwise from
//! `/dev/tty`, so `ls -l /bin | more` still takes its keys from the keyboard. The
//! terminal's mode is restored before exit.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::flags::{TTY_CANON, TTY_ECHO, TTY_ISIG};
use ulib::fs::File;
use ulib::io::{self, Fd, Read, Write};

const USAGE: &str = "more [FILE...]";

/// The contents of every input, in order (a header before each when there are
/// several); false if one could not be read.
fn gather(files: &[String], out: &mut Vec<u8>) -> bool {
    let mut ok = true;
    for f in files {
        if files.len() > 1 {
            out.extend_from_slice(
                alloc::format!("::::::::::::::\n{f}\n::::::::::::::\n").as_bytes(),
            );
        }
        let r = if f == "-" {
            io::stdin().read_to_end(out).map(|_| ())
        } else {
            File::open(f).and_then(|mut file| file.read_to_end(out).map(|_| ()))
        };
        if let Err(e) = r {
            ulib::cli::error(f, e);
            ok = false;
        }
    }
    ok
}

/// The keyboard, in raw mode until dropped.
struct Keys {
    fd: i32,
    _tty: Option<File>,
    saved: u32,
}

impl Keys {
    fn open() -> Option<Keys> {
        let (fd, tty) = if io::is_terminal(0) {
            (0, None)
        } else {
            let f = File::open("/dev/tty").ok()?;
            (f.as_raw_fd(), Some(f))
        };
        let saved = io::terminal_mode(fd).ok()?;
        io::set_terminal_mode(fd, saved & !(TTY_ECHO | TTY_CANON | TTY_ISIG)).ok()?;
        Some(Keys {
            fd,
            _tty: tty,
            saved,
        })
    }

    fn get(&self) -> Option<u8> {
        let mut b = [0u8; 1];
        loop {
            match ulib::sys::read(self.fd, &mut b) {
                Ok(1) => return Some(b[0]),
                Err(ulib::Errno::EINTR) => continue,
                _ => return None,
            }
        }
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        let _ = io::set_terminal_mode(self.fd, self.saved);
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let p = match ulib::cli::parse(&args, "") {
        Ok(p) => p,
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let files = if p.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        p.operands
    };
    let mut text = Vec::new();
    let ok = gather(&files, &mut text);
    let status = if ok { 0 } else { 1 };
    let mut out = Fd(io::STDOUT);
    let keys = if io::is_terminal(1) {
        Keys::open()
    } else {
        None
    };
    let Some(keys) = keys else {
        return if out.write_all(&text).is_ok() {
            status
        } else {
            1
        };
    };
    let ws = io::window_size(1).unwrap_or_default();
    let (rows, cols) = if ws.rows > 1 && ws.cols > 0 {
        (ws.rows as usize, ws.cols as usize)
    } else {
        (24, 80)
    };
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let screen_rows = |l: &[u8]| {
        l.strip_suffix(b"\n")
            .unwrap_or(l)
            .len()
            .div_ceil(cols)
            .max(1)
    };
    let mut next = 0;
    let mut budget = rows - 1;
    while next < lines.len() {
        // Show lines while they fit in the budget (at least one, however long).
        let mut shown = 0;
        while next < lines.len() && budget > 0 && (screen_rows(lines[next]) <= budget || shown == 0)
        {
            budget = budget.saturating_sub(screen_rows(lines[next]));
            let l = lines[next];
            let _ = out.write_all(l);
            if !l.ends_with(b"\n") {
                let _ = out.write_all(b"\n");
            }
            next += 1;
            shown += 1;
        }
        if next >= lines.len() {
            break;
        }
        let pct = lines[..next].iter().map(|l| l.len()).sum::<usize>() * 100 / text.len().max(1);
        let _ = out.write_all(alloc::format!("\x1b[7m--More--({pct}%)\x1b[0m").as_bytes());
        let key = keys.get();
        let _ = out.write_all(b"\r\x1b[K");
        match key {
            Some(b' ') => budget = rows - 1,
            Some(b'\n') | Some(b'\r') => budget = 1,
            None | Some(b'q') | Some(b'Q') | Some(0x03) | Some(0x04) => break,
            Some(_) => budget = 0,
        }
    }
    status
}
