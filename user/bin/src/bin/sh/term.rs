//! The terminal: raw mode for the line editor, cooked mode for programs, the
//! foreground process group, and the shell's signal dispositions.
//!
//! Chapter 2 section 2-1 (the command interpreter) and 3-2 (device management): the
//! console is a device driven with `ioctl`: `TCGETMODE`/`TCSETMODE` switch its line
//! discipline (echo, line editing, `Ctrl-C` as a signal) and `TIOCSPGRP` says which
//! process group the keyboard's signals go to. While the user types, the shell owns
//! the terminal in raw mode and edits the line itself (`shcore::lineedit`); while a
//! job runs, the terminal is cooked and belongs to the job's group.
//!
//! Design decision: the shell catches `SIGINT`, `SIGQUIT`, `SIGTSTP`, `SIGTTIN` and
//! `SIGTTOU` with a handler that does nothing, rather than ignoring them: the shell is
//! never stopped or killed by them, as POSIX shells are not, yet a caught signal is
//! reset to the default when a program is started, while an ignored one would stay
//! ignored in every child (`Ctrl-C` and `Ctrl-Z` would stop working for them, and a
//! background read would fail with EIO instead of stopping the job).

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use shcore::complete::ShellCompleter;
use shcore::lineedit::Event;
use ulib::abi::flags::{TTY_CANON, TTY_ECHO, TTY_ISIG};
use ulib::abi::signal::{SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
use ulib::io::write_all;
use ulib::sys::{self, Disposition, Handler};
use ulib::Errno;

use crate::builtins::BUILTINS;
use crate::shell::Shell;
use crate::sysfs::SysFs;

/// What reading a line gave.
pub enum Input {
    /// A line, without its newline.
    Line(String),
    /// `Ctrl-C` abandoned the line.
    Interrupt,
    /// End of input (`Ctrl-D` on an empty line, or a closed pipe).
    Eof,
}

/// Set when `SIGINT` reached the shell itself (`Ctrl-C` between two commands of a
/// loop): the rest of the command line is abandoned. An atomic, because a handler may
/// run between any two instructions of the code that reads it.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn ignore_signal(sig: u32) {
    if sig == SIGINT {
        INTERRUPTED.store(true, Ordering::Relaxed);
    }
}

/// Whether `Ctrl-C` reached the shell since the last call (clears the flag).
pub fn take_interrupt() -> bool {
    INTERRUPTED.swap(false, Ordering::Relaxed)
}

fn set_signals(handler: Handler) {
    let d = Disposition::new(handler, 0);
    for sig in [SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU] {
        let _ = sys::sigaction(sig, Some(&d), None);
    }
}

/// How an interactive shell itself handles `sig` (one of the keyboard signals): caught
/// and noted, so `Ctrl-C` at the prompt or between commands does not end the shell.
pub fn restore_shell_signal(sig: u32) {
    let d = Disposition::new(Handler::Call(ignore_signal), 0);
    let _ = sys::sigaction(sig, Some(&d), None);
}

/// Back to the default actions (for a forked child running shell code, which `Ctrl-C`
/// must be able to end).
pub fn default_signals() {
    set_signals(Handler::Default);
}

/// The controlling terminal of an interactive shell.
pub struct Terminal {
    /// The mode to give programs (echo, canonical, signals).
    cooked: u32,
}

impl Terminal {
    /// Takes the terminal on descriptor 0 if it is one: the shell gets its own process
    /// group, makes it the foreground, and catches the keyboard signals.
    pub fn open(sh: &mut Shell) -> Option<Terminal> {
        let mode = ulib::io::terminal_mode(0).ok()?;
        // A login shell (started by init) leads a session of its own, so nothing it
        // runs can join init's group; a shell started from a shell stays in that
        // session (setsid fails for it) and takes a group of its own.
        if sys::setsid().is_err() {
            let _ = sys::setpgid(0, 0);
        }
        sh.pgid = sys::getpgid(0).unwrap_or(sh.pid as usize) as u32;
        let _ = ulib::io::set_foreground_group(0, sh.pgid);
        set_signals(Handler::Call(ignore_signal));
        Some(Terminal {
            cooked: mode | TTY_ECHO | TTY_CANON | TTY_ISIG,
        })
    }

    /// The mode programs run in.
    pub fn cooked(&self) {
        let _ = ulib::io::set_terminal_mode(0, self.cooked);
    }

    /// The mode the line editor reads in: every byte as typed, no echo, `Ctrl-C` as a
    /// byte.
    fn raw(&self) {
        let _ = ulib::io::set_terminal_mode(0, self.cooked & !(TTY_ECHO | TTY_CANON | TTY_ISIG));
    }

    /// Reads one edited line after `prompt`. Bytes are read one at a time so that
    /// typed-ahead input after the Enter stays for the program that runs next.
    pub fn read_line(&self, sh: &mut Shell, prompt: &str) -> Input {
        self.raw();
        let _ = ulib::io::set_foreground_group(0, sh.pgid);
        let path = sh.vars.get("PATH").map(String::from);
        let mut completer = ShellCompleter {
            fs: &SysFs,
            path,
            builtins: BUILTINS,
        };
        let ed = &mut sh.editor;
        ed.start(prompt);
        let result = loop {
            let out = ed.take_output();
            if !out.is_empty() {
                let _ = write_all(2, &out);
            }
            let mut b = [0u8; 1];
            match sys::read(0, &mut b) {
                Ok(0) => break Input::Eof,
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(_) => break Input::Eof,
            }
            match ed.feed(b[0], &mut completer) {
                Event::Pending => {}
                Event::Line(l) => break Input::Line(l),
                Event::Interrupt => break Input::Interrupt,
                Event::Eof => break Input::Eof,
            }
        };
        let out = ed.take_output();
        if !out.is_empty() {
            let _ = write_all(2, &out);
        }
        result
    }
}

/// Reads one line from `fd` without any editing (a pipe or a file); `None` at end of
/// input. One byte per read, so input after the line stays for the commands it runs.
pub fn read_line_plain(fd: i32) -> Option<String> {
    let mut line: Vec<u8> = Vec::new();
    loop {
        let mut b = [0u8; 1];
        match sys::read(fd, &mut b) {
            Ok(0) => break,
            Ok(_) => {
                line.push(b[0]);
                if b[0] == b'\n' {
                    break;
                }
            }
            Err(Errno::EINTR) => continue,
            Err(_) => break,
        }
    }
    if line.is_empty() {
        None
    } else {
        Some(String::from_utf8_lossy(&line).into_owned())
    }
}
