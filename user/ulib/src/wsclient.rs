//! A window of the window server `wsd` (chapter 2, 2-2), for client programs: the
//! protocol of `gfx::proto` done once. [`Window::open`] makes the shared segment
//! (unlinked at once: only this process and wsd hold it) and the event port, and
//! calls wsd; [`Window::show`] copies a picture into the segment and tells wsd;
//! [`Window::next_event`] waits for what wsd sends.

use crate::port::{self, Client, Port};
use crate::shm::{self, Segment, Shared};
use crate::Result;
use abi::Errno;
use core::sync::atomic::Ordering;
use core::time::Duration;
use gfx::proto::{self, Event, Hello, Welcome};
use gfx::Surface;

pub struct Window {
    pub id: u32,
    pub width: usize,
    pub height: usize,
    pixels: Shared,
    server: Client,
    events: Port,
}

impl Window {
    /// A new `width` x `height` window called `title`. wsd is waited for up to
    /// five seconds (it may be starting).
    pub fn open(title: &str, width: usize, height: usize) -> Result<Window> {
        let mut server = port::lookup(proto::SERVER);
        for _ in 0..50 {
            if server.is_ok() {
                break;
            }
            crate::time::sleep(Duration::from_millis(100));
            server = port::lookup(proto::SERVER);
        }
        let server = server?;
        let name = alloc::format!("/wsd-{}-{}", crate::process::id(), title.len());
        let seg = Segment::create(&name, width * height * 4, 0o600)?;
        let _ = shm::unlink(&name);
        let pixels = seg.map()?;
        let (events, their_end) = port::create(64)?;
        let hello = Hello {
            width: width as u32,
            height: height as u32,
            title: title.into(),
        };
        let mut answer = [0u8; 8];
        let r = server.call(
            &hello.encode(),
            &[seg.fd(), their_end.as_raw_fd()],
            &mut answer,
            &mut [],
            Some(Duration::from_secs(5)),
        )?;
        let w = Welcome::decode(&answer[..r.len]).ok_or(Errno::EIO)?;
        if w.status != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(Window {
            id: w.window,
            width,
            height,
            pixels,
            server,
            events,
        })
    }

    /// Show `s` (its top-left `width` x `height` pixels).
    pub fn show(&self, s: &Surface) {
        let words = self.pixels.words();
        for y in 0..self.height.min(s.height) {
            for x in 0..self.width.min(s.width) {
                words[y * self.width + x].store(s.pixels[y * s.width + x], Ordering::Relaxed);
            }
        }
        let _ = self
            .server
            .send(&proto::PRESENT.to_le_bytes(), &[], Some(Duration::ZERO));
    }

    /// The descriptor events arrive on (for `poll`: readable when one is queued).
    pub fn events_fd(&self) -> i32 {
        self.events.as_raw_fd()
    }

    /// The next event (waiting for it); EPIPE once the server is gone.
    pub fn next_event(&self) -> Result<Event> {
        self.event(None)
    }

    /// The next event within `timeout`: ETIMEDOUT if none came.
    pub fn event(&self, timeout: Option<Duration>) -> Result<Event> {
        loop {
            let mut buf = [0u8; 16];
            let m = self.events.receive(&mut buf, &mut [], timeout)?;
            if let Some(e) = Event::decode(&buf[..m.len]) {
                return Ok(e);
            }
        }
    }
}
