//! `term`: a terminal window running `sh` (chapter 2, 2-1 and 2-2: the command
//! interpreter inside the graphical interface).
//!
//! term is a wsd client whose window shows an 80x24 character grid
//! (`gfx::term::Grid`, enough ANSI for simple output). It starts `sh` with its
//! standard input a pipe from term and its standard output and error a pipe to
//! term, so the shell runs non-interactively, reading lines. term is the line
//! discipline: keys from wsd are echoed into the grid and edited (Backspace) until
//! Enter sends the line to the shell; each line typed starts with `$ `. It waits for
//! both wsd's events and the shell's output with `poll`. When the shell exits, so does
//! term; when wsd goes, term ends the shell.
//!
//! `term -d` prints the grid on standard output after each line the shell answers,
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
use ulib::process::{Command, Stdio};
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
    let mut out = [0i32; 2];
    if let Err(e) = sys::pipe(&mut out) {
        ulib::cli::error("pipe", e);
        return 1;
    }
    let child = Command::new("sh")
        .stdin(Stdio::Piped)
        .stdout(Stdio::Fd(out[1]))
        .stderr(Stdio::Fd(out[1]))
        .process_group(0)
        .spawn();
    let _ = sys::close(out[1]);
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            ulib::cli::error("sh", e);
            return 1;
        }
    };
    let Some(mut to_sh) = child.stdin.take() else {
        return 1;
    };
    let from_sh = out[0];
    let mut surface = Surface::new(w, h, BG);
    grid.feed(b"dinos term: sh on pipes\n");
    let mut line: Vec<u8> = Vec::new();
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
                fd: from_sh,
                events: POLLIN,
                revents: 0,
            },
        ];
        if ulib::poll::poll(&mut fds, Some(Duration::from_secs(1))).is_err() {
            continue;
        }
        if fds[1].revents & (POLLIN | POLLHUP) != 0 {
            let mut buf = [0u8; 1024];
            match sys::read(from_sh, &mut buf) {
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
            let Event::Key { byte, .. } = e else {
                continue;
            };
            match byte {
                0 => continue,
                b'\n' => {
                    grid.feed(b"\n");
                    line.push(b'\n');
                    if ulib::io::Write::write_all(&mut to_sh, &line).is_err() {
                        break;
                    }
                    line.clear();
                }
                0x7f => {
                    if line.pop().is_some() {
                        grid.feed(b"\x08 \x08");
                    }
                }
                0x20..=0x7e => {
                    if line.is_empty() {
                        if grid.cx != 0 {
                            grid.feed(b"\n");
                        }
                        grid.feed(b"$ ");
                    }
                    line.push(byte);
                    grid.feed(&[byte]);
                }
                _ => continue,
            }
            show(&grid, &mut surface);
        }
    }
    drop(to_sh);
    let _ = child.kill();
    let _ = child.wait();
    0
}
