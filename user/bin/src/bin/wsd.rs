//! `wsd`: the window server (chapter 2, 2-2: the graphical user interface; chapter
//! 2, 3-2: both communication models at once).
//!
//! wsd owns the screen (`/dev/fb0`, mapped), the tablet and the keyboard
//! (`/dev/eventN`). Clients reach it by *message passing*: a call on the port named
//! `wsd` carries a hello and two descriptors, the client's shared-memory segment and
//! the sending end of its event port (`gfx::proto`). Pixels travel by *shared
//! memory*: the client draws into its segment and sends a one-word `PRESENT`; wsd
//! reads the segment when it composites. So a message is a few bytes, and a picture
//! costs no copy through the kernel.
//!
//! `wsd --bench FRAMES` times full redraws; `wsd --latency` runs as usual and prints
//! `wsd: key to screen N ns` for each key press: from the event reaching wsd to the
//! end of the first frame composed after a client presented (the echo drawn).
//!
//! Compositing draws, bottom to top, the desktop, each window's frame and title bar
//! (the focused one blue) and contents, then the cursor, into a back buffer, and
//! copies it to the screen. A press on a title bar raises, focuses and starts moving
//! that window; a press in a window's contents raises and focuses it and the pointer
//! is then the window's until release (the window gets every move in its own
//! coordinates). Keys go to the focused window.
//!
//! A client cannot take wsd down: every message is decoded and checked, a refused
//! hello has its descriptors closed, events are sent without waiting (a client that
//! does not read loses them), and a client's window goes when its event port's
//! receiving end closes (it exited or was killed), which `poll` reports as a hang-up.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use core::time::Duration;
use gfx::keymap::Keyboard;
use gfx::proto::{self, Event, Hello, Welcome};
use gfx::Surface;
use ulib::abi::flags::*;
use ulib::abi::{Errno, PollFd};
use ulib::fb::Framebuffer;
use ulib::input::{self, Pointer};
use ulib::port::{self, Client, Port};
use ulib::shm::{Segment, Shared};

/// Height of a title bar.
const TITLE: i64 = 20;
const DESKTOP: u32 = 0x0033_6699;
const FRAME: u32 = 0x0000_0000;
const TITLE_FOCUSED: u32 = 0x004c_7bd9;
const TITLE_IDLE: u32 = 0x0080_8080;

struct Window {
    id: u32,
    /// Top left of the contents on the screen (the title bar is above).
    x: i64,
    y: i64,
    w: usize,
    h: usize,
    title: String,
    pixels: Shared,
    events: Client,
}

impl Window {
    /// Is `(px, py)` on the window, and on its title bar?
    fn hit(&self, px: i64, py: i64) -> Option<bool> {
        let inside = px >= self.x - 1
            && px <= self.x + self.w as i64
            && py >= self.y - TITLE - 1
            && py <= self.y + self.h as i64;
        inside.then_some(py < self.y)
    }

    /// Send `e` without waiting: false when the client is gone.
    fn send(&self, e: Event) -> bool {
        !matches!(
            self.events.send(&e.encode(), &[], Some(Duration::ZERO)),
            Err(Errno::EPIPE) | Err(Errno::EBADF) | Err(Errno::EINVAL)
        )
    }
}

struct Wsd {
    fb: Framebuffer,
    back: Surface,
    /// Bottom to top: the last is in front.
    windows: Vec<Window>,
    focus: Option<u32>,
    /// The pointer as events leave it, and as of the last complete report.
    pointer: Pointer,
    shown: Pointer,
    /// Moving a window: its id and where on it the pointer holds it.
    drag: Option<(u32, i64, i64)>,
    /// The window that got the press: it gets the pointer until release.
    grab: Option<u32>,
    keys: Keyboard,
    next_id: u32,
    dirty: bool,
    frames: u64,
    /// `--latency`: when the key being timed reached wsd, and whether a client has
    /// presented since (the character drawn).
    latency: Option<(Option<ulib::time::Instant>, bool)>,
}

fn main() -> i32 {
    let args: alloc::vec::Vec<String> = ulib::env::args().skip(1).collect();
    let mut latency = None;
    let bench = match args.as_slice() {
        [] => None,
        [l] if l == "--latency" => {
            latency = Some((None, false));
            None
        }
        [b, n] if b == "--bench" => match n.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => return ulib::cli::usage_error("wsd [--bench FRAMES | --latency]"),
        },
        _ => return ulib::cli::usage_error("wsd [--bench FRAMES | --latency]"),
    };
    let fb = match Framebuffer::open() {
        Ok(fb) => fb,
        Err(e) => {
            ulib::cli::error("/dev/fb0", e);
            return 1;
        }
    };
    let (tablet, keyboard) = input::find(true);
    let (port, _unused) = match port::create(64) {
        Ok(p) => p,
        Err(e) => {
            ulib::cli::error("port_create", e);
            return 1;
        }
    };
    drop(_unused);
    if let Err(e) = port.register(proto::SERVER) {
        ulib::cli::error("port_register wsd", e);
        return 1;
    }
    let (w, h) = (fb.mode.width as usize, fb.mode.height as usize);
    let mut s = Wsd {
        back: Surface::new(w, h, DESKTOP),
        fb,
        windows: Vec::new(),
        focus: None,
        pointer: Pointer {
            x: w as u32 / 2,
            y: h as u32 / 2,
            down: false,
        },
        shown: Pointer {
            x: w as u32 / 2,
            y: h as u32 / 2,
            down: false,
        },
        drag: None,
        grab: None,
        keys: Keyboard::default(),
        next_id: 1,
        dirty: true,
        frames: 0,
        latency,
    };
    if let Some(n) = bench {
        // Full redraws of the desktop and cursor, back buffer to screen, timed.
        let start = ulib::time::Instant::now();
        for i in 0..n {
            s.shown.x = (i * 7) % w as u32;
            s.compose();
        }
        let ns = start.elapsed().as_nanos().max(1) as u64;
        ulib::println!(
            "wsd: {n} full-screen redraws of {w}x{h} in {ns} ns: {} frames/s",
            n as u64 * 1_000_000_000 / ns
        );
        return 0;
    }
    ulib::println!(
        "wsd: {}x{}, tablet {}, keyboard {}",
        w,
        h,
        if tablet.is_some() { "yes" } else { "no" },
        if keyboard.is_some() { "yes" } else { "no" }
    );
    loop {
        let mut fds = Vec::new();
        fds.push(PollFd {
            fd: port.as_raw_fd(),
            events: POLLIN,
            revents: 0,
        });
        for d in [tablet.as_ref().map(|t| &t.0), keyboard.as_ref()]
            .into_iter()
            .flatten()
        {
            fds.push(PollFd {
                fd: d.fd(),
                events: POLLIN,
                revents: 0,
            });
        }
        let first_window = fds.len();
        for win in &s.windows {
            fds.push(PollFd {
                fd: win.events.as_raw_fd(),
                events: 0,
                revents: 0,
            });
        }
        if ulib::poll::poll(&mut fds, Some(Duration::from_millis(200))).is_err() {
            continue;
        }
        // Clients that went away.
        let gone: Vec<u32> = fds[first_window..]
            .iter()
            .zip(&s.windows)
            .filter(|(p, _)| p.revents & (POLLHUP | POLLERR | POLLNVAL) != 0)
            .map(|(_, w)| w.id)
            .collect();
        for id in gone {
            s.remove(id);
        }
        s.serve(&port);
        if let Some((t, max)) = &tablet {
            s.pointer_events(t, *max);
        }
        if let Some(k) = &keyboard {
            s.key_events(k);
        }
        if s.dirty {
            s.compose();
            // The frame after a key and a client's PRESENT shows the key's effect.
            let shown = match &s.latency {
                Some((Some(at), true)) => Some(at.elapsed().as_nanos()),
                _ => None,
            };
            if let Some(ns) = shown {
                ulib::println!("wsd: key to screen {ns} ns");
                s.latency = Some((None, false));
            }
        }
    }
}

impl Wsd {
    fn window(&self, id: u32) -> Option<&Window> {
        self.windows.iter().find(|w| w.id == id)
    }

    fn remove(&mut self, id: u32) {
        self.windows.retain(|w| w.id != id);
        if self.focus == Some(id) {
            self.focus = None;
        }
        if self.grab == Some(id) {
            self.grab = None;
        }
        if self.drag.is_some_and(|d| d.0 == id) {
            self.drag = None;
        }
        self.dirty = true;
    }

    /// Send `e` to window `id`; a client that is gone loses its window.
    fn tell(&mut self, id: u32, e: Event) {
        if let Some(w) = self.window(id) {
            if !w.send(e) {
                self.remove(id);
            }
        }
    }

    /// Take every queued message.
    fn serve(&mut self, port: &Port) {
        let mut buf = [0u8; 512];
        let mut fds = [-1i32; 8];
        loop {
            let m = match port.receive(&mut buf, &mut fds, Some(Duration::ZERO)) {
                Ok(m) => m,
                Err(Errno::EMSGSIZE) => {
                    // Too big to be ours: take it into a big buffer and drop it.
                    let mut big = alloc::vec![0u8; 4096];
                    let mut bfds = [-1i32; 8];
                    if let Ok(m) = port.receive(&mut big, &mut bfds, Some(Duration::ZERO)) {
                        close_all(&bfds[..m.nfds]);
                        if m.token != 0 {
                            let _ = port.reply(m.token, &refuse(Errno::EINVAL), &[]);
                        }
                    }
                    continue;
                }
                Err(_) => return,
            };
            let data = &buf[..m.len];
            let got = &fds[..m.nfds.min(8)];
            if m.token != 0 {
                let answer = match self.hello(data, got) {
                    Ok(id) => Welcome {
                        status: 0,
                        window: id,
                    }
                    .encode(),
                    Err(e) => refuse(e),
                };
                let _ = port.reply(m.token, &answer, &[]);
            } else {
                close_all(got);
                if data == PRESENT {
                    self.dirty = true;
                    if let Some((Some(_), seen)) = &mut self.latency {
                        *seen = true;
                    }
                }
            }
        }
    }

    /// A new window from a hello and its descriptors, which are wsd's from here
    /// on: kept with the window, or closed on refusal.
    fn hello(&mut self, data: &[u8], fds: &[i32]) -> Result<u32, Errno> {
        let (Some(h), &[seg_fd, events_fd]) = (Hello::decode(data), fds) else {
            close_all(fds);
            return Err(Errno::EINVAL);
        };
        // The segment's descriptor is closed when `seg` drops (the mapping stays).
        let seg = Segment::from_raw_fd(seg_fd);
        // Sealed first, then measured: the client can never shrink it afterwards, so
        // no read of the mapping can be a SIGBUS.
        let size = seg.seal_shrink().and_then(|()| seg.size());
        let r = match size {
            Ok(n) if n >= h.bytes() => seg.map(),
            Ok(_) => Err(Errno::EINVAL),
            Err(e) => Err(e),
        };
        drop(seg);
        let pixels = match r {
            Ok(p) if p.len() >= h.bytes() => p,
            Ok(_) | Err(_) => {
                let _ = ulib::sys::close(events_fd);
                return Err(Errno::EINVAL);
            }
        };
        let events = Client::from_raw_fd(events_fd);
        let id = self.next_id;
        self.next_id += 1;
        let k = ((id - 1) % 8) as i64;
        let win = Window {
            id,
            x: 60 + 40 * k,
            y: 60 + 40 * k,
            w: h.width as usize,
            h: h.height as usize,
            title: h.title,
            pixels,
            events,
        };
        if !win.send(Event::Focus(true)) {
            return Err(Errno::EINVAL); // not a port we can send to
        }
        if let Some(old) = self.focus {
            self.tell(old, Event::Focus(false));
        }
        self.windows.push(win);
        self.focus = Some(id);
        self.dirty = true;
        Ok(id)
    }

    fn pointer_events(&mut self, t: &input::Device, max: (u32, u32)) {
        let (w, h) = (self.fb.mode.width, self.fb.mode.height);
        while let Ok(evs) = t.read() {
            if evs.is_empty() {
                break;
            }
            for e in evs {
                if self.pointer.apply(&e, max, w, h) {
                    let before = self.shown;
                    self.shown = self.pointer;
                    self.pointer_frame(before);
                }
            }
        }
    }

    /// One complete pointer report: the state went from `before` to `self.shown`.
    fn pointer_frame(&mut self, before: Pointer) {
        let now = self.shown;
        let (px, py) = (now.x as i64, now.y as i64);
        if (now.x, now.y) != (before.x, before.y) {
            self.dirty = true; // the cursor moved
        }
        if now.down && !before.down {
            let hit = self
                .windows
                .iter()
                .rev()
                .find_map(|w| w.hit(px, py).map(|title| (w.id, title, w.x, w.y)));
            match hit {
                Some((id, title, wx, wy)) => {
                    self.raise(id);
                    if title {
                        self.drag = Some((id, px - wx, py - wy));
                    } else {
                        self.grab = Some(id);
                        self.tell(
                            id,
                            Event::Pointer {
                                x: (px - wx) as i32,
                                y: (py - wy) as i32,
                                down: true,
                            },
                        );
                    }
                }
                None => {
                    if let Some(old) = self.focus.take() {
                        self.tell(old, Event::Focus(false));
                    }
                }
            }
            self.dirty = true;
        } else if now.down {
            if let Some((id, dx, dy)) = self.drag {
                let (sw, sh) = (self.fb.mode.width as i64, self.fb.mode.height as i64);
                if let Some(w) = self.windows.iter_mut().find(|w| w.id == id) {
                    w.x = (px - dx).clamp(-(w.w as i64) + 20, sw - 20);
                    w.y = (py - dy).clamp(TITLE + 1, sh - 4);
                    self.dirty = true;
                }
            } else if let Some(id) = self.grab {
                if let Some(w) = self.window(id) {
                    let e = Event::Pointer {
                        x: (px - w.x) as i32,
                        y: (py - w.y) as i32,
                        down: true,
                    };
                    self.tell(id, e);
                }
            }
        } else if before.down {
            if let Some(id) = self.grab.take() {
                if let Some(w) = self.window(id) {
                    let e = Event::Pointer {
                        x: (px - w.x) as i32,
                        y: (py - w.y) as i32,
                        down: false,
                    };
                    self.tell(id, e);
                }
            }
            self.drag = None;
        }
    }

    /// Bring window `id` to the front and give it the keyboard.
    fn raise(&mut self, id: u32) {
        if let Some(i) = self.windows.iter().position(|w| w.id == id) {
            let w = self.windows.remove(i);
            self.windows.push(w);
        }
        if self.focus != Some(id) {
            if let Some(old) = self.focus {
                self.tell(old, Event::Focus(false));
            }
            self.focus = Some(id);
            self.tell(id, Event::Focus(true));
        }
    }

    fn key_events(&mut self, k: &input::Device) {
        while let Ok(evs) = k.read() {
            if evs.is_empty() {
                break;
            }
            for e in evs {
                if e.kind != input::EV_KEY {
                    continue;
                }
                let byte = self.keys.key(e.code, e.value).unwrap_or(0);
                if let Some((at @ None, _)) = &mut self.latency {
                    if e.value == 1 && byte != 0 {
                        *at = Some(ulib::time::Instant::now());
                    }
                }
                if let Some(id) = self.focus {
                    self.tell(
                        id,
                        Event::Key {
                            code: e.code,
                            value: e.value,
                            byte,
                        },
                    );
                }
            }
        }
    }

    /// Draw everything into the back buffer and show it.
    fn compose(&mut self) {
        let b = &mut self.back;
        b.fill(0, 0, b.width, b.height, DESKTOP);
        for win in &self.windows {
            let (x, y, w, h) = (win.x, win.y, win.w, win.h);
            b.frame(x - 1, y - TITLE - 1, w + 2, h + TITLE as usize + 2, FRAME);
            let bar = if self.focus == Some(win.id) {
                TITLE_FOCUSED
            } else {
                TITLE_IDLE
            };
            b.fill(x, y - TITLE, w, TITLE as usize - 1, bar);
            b.fill(x, y - 1, w, 1, FRAME);
            let room = w.saturating_sub(8) / gfx::GLYPH;
            let title: String = win.title.chars().take(room).collect();
            b.text(x + 4, y - TITLE + 6, &title, 1, 0xffffff);
            let src = win.pixels.words();
            for row in 0..h {
                let sy = y + row as i64;
                if sy < 0 || sy >= b.height as i64 {
                    continue;
                }
                let x0 = x.max(0);
                let x1 = (x + w as i64).min(b.width as i64);
                if x0 >= x1 {
                    continue;
                }
                let line = sy as usize * b.width;
                for sx in x0..x1 {
                    let i = row * w + (sx - x) as usize;
                    b.pixels[line + sx as usize] = src[i].load(Ordering::Relaxed);
                }
            }
        }
        gfx::draw_cursor(b, self.shown.x as i64, self.shown.y as i64);
        let px = self.fb.pixels();
        let stride = self.fb.stride();
        for row in 0..b.height {
            let dst = &px[row * stride..row * stride + b.width];
            for (d, &s) in dst
                .iter()
                .zip(&b.pixels[row * b.width..(row + 1) * b.width])
            {
                d.store(s, Ordering::Relaxed);
            }
        }
        self.frames += 1;
        self.dirty = false;
    }
}

/// The one-word message a client sends when its picture is ready.
const PRESENT: &[u8] = &proto::PRESENT.to_le_bytes();

fn refuse(e: Errno) -> [u8; 8] {
    Welcome {
        status: e as i32 as u32,
        window: 0,
    }
    .encode()
}

fn close_all(fds: &[i32]) {
    for &fd in fds {
        if fd >= 0 {
            let _ = ulib::sys::close(fd);
        }
    }
}
