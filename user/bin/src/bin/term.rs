//! `term`: a terminal window running `sh` (chapter 2, 2-1 and 2-2: the command
//! interpreter inside the graphical interface).
//!
//! term is a wsd client whose window shows an 80x24 character grid
//! (`gfx::term::Grid`: the ANSI sequences the shell, `edit` and `top` emit). It opens
//! a pseudo-terminal (`ulib::pty::openpty`), tells it its size (`TIOCSWINSZ`), and
//! starts `sh` on the slave as the leader of a new session with the slave as its
//! controlling terminal: the shell is interactive, with its prompt, line editor and
//! job control, exactly as on the console. term is the terminal's keyboard and
//! screen: keys from wsd are written to the master (Enter as `\r`, the arrows as
//! `ESC [ A`...), and what the master gives back (the programs' output and the
//! kernel's echo) is fed to the grid. It waits for both with `poll`. When the shell
//! exits (the master reads EIO), so does term; when wsd goes, term closes the master,
//! which hangs the session up (SIGHUP).
//!
//! `term -d` prints the grid on standard output after each piece of output
//! (`term: | ...` lines), for tests to read.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use gfx::proto::Event;
use gfx::term::Grid;
use gfx::Surface;
use ulib::abi::flags::*;
use ulib::abi::PollFd;
use ulib::process::Fork;
use ulib::sys;
use ulib::wsclient::Window;

pub const FG: u32 = 0x00c0_c0c0;
pub const BG: u32 = 0x0000_0000;

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let dump = match args.as_slice() {
        [] => false,
        [d] if d == "-d" => true,
        _ => return ulib::cli::usage_error("term [-d]"),
    };
    let mut grid = Grid::new(80, 24);
    let (w, h) = grid.size();
    let win = match Window::open("term: sh", w, h) {
        Ok(win) => win,
        Err(e) => {
            ulib::cli::error("wsd", e);
            return 1;
        }
    };
    let pty = match ulib::pty::openpty() {
        Ok(p) => p,
        Err(e) => {
            ulib::cli::error("openpty", e);
            return 1;
        }
    };
    let _ = ulib::pty::set_window_size(pty.master, grid.rows as u16, grid.cols as u16);
    let child = match ulib::process::fork() {
        Ok(Fork::Child) => {
            let _ = sys::setsid();
            let _ = ulib::pty::make_controlling(pty.slave);
            for fd in 0..3 {
                let _ = sys::dup2(pty.slave, fd);
            }
            let _ = sys::close(pty.slave);
            let _ = sys::close(pty.master);
            let e = ulib::process::exec("/bin/sh", &["sh"]);
            ulib::cli::error("sh", e);
            ulib::process::exit(127)
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => {
            ulib::cli::error("fork", e);
            return 1;
        }
    };
    let _ = sys::close(pty.slave);
    let master = pty.master;
    let mut surface = Surface::new(w, h, BG);
    let show = |grid: &Grid, surface: &mut Surface| {
        grid.render(surface, FG, BG, true);
        win.show(surface);
    };
    show(&grid, &mut surface);
    loop {
        let mut fds = [
            PollFd {
                fd: win.events_fd(),
                events: POLLIN,
                revents: 0,
            },
            PollFd {
                fd: master,
                events: POLLIN,
                revents: 0,
            },
        ];
        if ulib::poll::poll(&mut fds, Some(Duration::from_secs(1))).is_err() {
            continue;
        }
        if fds[1].revents & (POLLIN | POLLHUP) != 0 {
            let mut buf = [0u8; 1024];
            match sys::read(master, &mut buf) {
                Ok(0) | Err(_) => break, // the shell is gone
                Ok(n) => {
                    grid.feed(&buf[..n]);
                    if dump {
                        for l in grid.dump() {
                            ulib::println!("term: | {l}");
                        }
                    }
                    show(&grid, &mut surface);
                }
            }
        }
        if fds[0].revents & (POLLIN | POLLHUP) != 0 {
            let e = match win.event(Some(Duration::ZERO)) {
                Ok(e) => e,
                Err(ulib::abi::Errno::EAGAIN) | Err(ulib::abi::Errno::ETIMEDOUT) => continue,
                Err(_) => break, // wsd is gone
            };
            let Event::Key { code, value, byte } = e else {
                continue;
            };
            if value == 0 {
                continue;
            }
            let typed: &[u8] = match (byte, code) {
                (b'\n', _) => b"\r",
                (0, c) => key_sequence(c),
                (b, _) => &[b][..],
            };
            if !typed.is_empty() && ulib::io::write_all(master, typed).is_err() {
                break;
            }
        }
    }
    let _ = sys::close(master);
    let _ = ulib::process::waitpid(child as i64, 0);
    0
}

/// What a key that types no byte sends (as xterm and the Linux console do).
fn key_sequence(code: u16) -> &'static [u8] {
    match code {
        103 => b"\x1b[A",  // KEY_UP
        108 => b"\x1b[B",  // KEY_DOWN
        106 => b"\x1b[C",  // KEY_RIGHT
        105 => b"\x1b[D",  // KEY_LEFT
        102 => b"\x1b[H",  // KEY_HOME
        107 => b"\x1b[F",  // KEY_END
        111 => b"\x1b[3~", // KEY_DELETE
        104 => b"\x1b[5~", // KEY_PAGEUP
        109 => b"\x1b[6~", // KEY_PAGEDOWN
        _ => b"",
    }
}
