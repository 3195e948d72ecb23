//! `clock`: a wsd window showing the time (chapter 2, 2-2: a desktop program;
//! 3-2, information maintenance: the time of day is a system call, `clock_gettime`).
//!
//! `clock` draws `HH:MM:SS` (UTC) in the 8x8 font at four times its size and redraws
//! about once a second; it waits for wsd's events with a timeout of the rest of the second,
//! so it needs no timer of its own. It exits when wsd goes.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use core::time::Duration;
use gfx::Surface;
use ulib::abi::Errno;
use ulib::time::{DateTime, SystemTime};
use ulib::wsclient::Window;

pub const FACE: u32 = 0x0010_1010;
pub const DIGITS: u32 = 0x0040_e040;
const SCALE: usize = 4;

fn main() -> i32 {
    let (w, h) = (8 * 8 * SCALE + 16, 8 * SCALE + 16);
    let win = match Window::open("clock", w, h) {
        Ok(win) => win,
        Err(e) => {
            ulib::cli::error("wsd", e);
            return 1;
        }
    };
    let mut face = Surface::new(w, h, FACE);
    loop {
        let now = SystemTime::now();
        let t = DateTime::from_unix(now.unix_seconds());
        let text = alloc::format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
        face.fill(0, 0, w, h, FACE);
        face.text(8, 8, &text, SCALE, DIGITS);
        win.show(&face);
        // A second from now, taking (and ignoring) what wsd sends meanwhile.
        let deadline = ulib::time::Instant::now() + Duration::from_millis(1000);
        loop {
            let left = deadline.duration_since(ulib::time::Instant::now());
            if left.is_zero() {
                break;
            }
            match win.event(Some(left)) {
                Ok(_) | Err(Errno::ETIMEDOUT) | Err(Errno::EAGAIN) | Err(Errno::EINTR) => {}
                Err(_) => return 0, // wsd is gone
            }
        }
    }
}
