//! `paint`: the touch demo (chapter 2, 2-2: a touch-screen interface). A window of
//! the window server (`wsd`) that draws where the pointer is pressed: a press is a
//! dot, a move while pressed a line from the last point, so a stroke of the tablet
//! (a finger on a touch screen) leaves its path. `c` clears the canvas.
//!
//! `paint [-s WxH]`. It is an ordinary wsd client (see `gfx::proto`): a shared
//! segment for its pixels, a port for its events, a call on the port `wsd`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use gfx::proto::Event;
use gfx::Surface;
use ulib::wsclient::Window;

pub const CANVAS: u32 = 0x00ff_ffff;
pub const INK: u32 = 0x0000_0000;

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let (mut w, mut h) = (400usize, 300usize);
    if args.len() == 2 && args[0] == "-s" {
        match args[1].split_once('x').map(|(a, b)| (a.parse(), b.parse())) {
            Some((Ok(a), Ok(b))) => (w, h) = (a, b),
            _ => return ulib::cli::usage_error("paint [-s WxH]"),
        }
    } else if !args.is_empty() {
        return ulib::cli::usage_error("paint [-s WxH]");
    }
    let win = match Window::open("paint", w, h) {
        Ok(win) => win,
        Err(e) => {
            ulib::cli::error("wsd", e);
            return 1;
        }
    };
    let mut canvas = Surface::new(w, h, CANVAS);
    canvas.text(4, 4, "draw here; c clears", 1, 0x808080);
    win.show(&canvas);
    let mut last: Option<(i64, i64)> = None;
    loop {
        let e = match win.next_event() {
            Ok(e) => e,
            Err(_) => return 0, // the server is gone
        };
        match e {
            Event::Pointer { x, y, down: true } => {
                let p = (x as i64, y as i64);
                canvas.line(last.unwrap_or(p), p, 3, INK);
                last = Some(p);
            }
            Event::Pointer { down: false, .. } => last = None,
            Event::Key { byte: b'c', .. } => {
                canvas.fill(0, 0, w, h, CANVAS);
            }
            _ => continue,
        }
        win.show(&canvas);
    }
}
