//! The window server's protocol: messages over dinos message ports (docs/gui.md).
//!
//! A client makes a shared-memory segment of `width * height * 4` bytes (its
//! window's pixels, `0x00RRGGBB`, row after row) and a port for its events, then
//! *calls* the server's port `wsd` with a [`Hello`] and two descriptors: the segment and
//! the sending end of its event port. The answer is a [`Welcome`] (status 0 and the
//! window's id) or a refusal (an errno). From then on it draws into the segment and
//! *sends* [`PRESENT`] whenever a picture is complete; the server composites what the
//! segment holds. The server sends [`Event`]s to the client's port without waiting
//! (a client that does not read loses events, it cannot stall the server); the
//! client's window goes when that port's receiving end closes (the client exited).
//!
//! Everything is little-endian u32/i32 fields; decoding checks lengths and ranges,
//! so a malformed message is refused, never trusted.

use alloc::string::String;
use alloc::vec::Vec;

/// The name the server registers its port under.
pub const SERVER: &str = "wsd";

pub const HELLO: u32 = 1;
pub const PRESENT: u32 = 2;
/// The largest window content a client may ask for.
pub const MAX_W: u32 = 1024;
pub const MAX_H: u32 = 768;
pub const MAX_TITLE: usize = 48;

/// `HELLO`: a new window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    pub width: u32,
    pub height: u32,
    pub title: String,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl Hello {
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&HELLO.to_le_bytes());
        v.extend_from_slice(&self.width.to_le_bytes());
        v.extend_from_slice(&self.height.to_le_bytes());
        let t = self.title.as_bytes();
        v.extend_from_slice(&t[..t.len().min(MAX_TITLE)]);
        v
    }

    /// A well-formed hello, or `None`.
    pub fn decode(b: &[u8]) -> Option<Hello> {
        if u32_at(b, 0)? != HELLO {
            return None;
        }
        let (width, height) = (u32_at(b, 4)?, u32_at(b, 8)?);
        let title = b.get(12..)?;
        if width == 0 || height == 0 || width > MAX_W || height > MAX_H || title.len() > MAX_TITLE {
            return None;
        }
        let title = core::str::from_utf8(title).ok()?;
        Some(Hello {
            width,
            height,
            title: title.into(),
        })
    }

    /// Bytes the segment must have at least.
    pub fn bytes(&self) -> usize {
        self.width as usize * self.height as usize * 4
    }
}

/// The server's answer to `HELLO`: `status` 0 and the window id, or an errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Welcome {
    pub status: u32,
    pub window: u32,
}

impl Welcome {
    pub fn encode(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&self.status.to_le_bytes());
        b[4..].copy_from_slice(&self.window.to_le_bytes());
        b
    }
    pub fn decode(b: &[u8]) -> Option<Welcome> {
        Some(Welcome {
            status: u32_at(b, 0)?,
            window: u32_at(b, 4)?,
        })
    }
}

/// What the server tells a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The pointer at `(x, y)` of the window's content, `down` if pressed (a touch).
    Pointer { x: i32, y: i32, down: bool },
    /// A key: its Linux code, 1 press / 2 repeat / 0 release, and the byte it types
    /// (0 for none).
    Key { code: u16, value: i32, byte: u8 },
    /// The window got (true) or lost the keyboard.
    Focus(bool),
}

impl Event {
    pub fn encode(&self) -> [u8; 16] {
        let (kind, a, b, c) = match *self {
            Event::Pointer { x, y, down } => (1u32, x, y, down as i32),
            Event::Key { code, value, byte } => (2, code as i32, value, byte as i32),
            Event::Focus(f) => (3, f as i32, 0, 0),
        };
        let mut out = [0u8; 16];
        out[..4].copy_from_slice(&kind.to_le_bytes());
        out[4..8].copy_from_slice(&a.to_le_bytes());
        out[8..12].copy_from_slice(&b.to_le_bytes());
        out[12..].copy_from_slice(&c.to_le_bytes());
        out
    }

    pub fn decode(b: &[u8]) -> Option<Event> {
        if b.len() != 16 {
            return None;
        }
        let f = |i| u32_at(b, i);
        let (kind, a, bb, c) = (f(0)?, f(4)? as i32, f(8)? as i32, f(12)? as i32);
        match kind {
            1 => Some(Event::Pointer {
                x: a,
                y: bb,
                down: c != 0,
            }),
            2 => Some(Event::Key {
                code: u16::try_from(a).ok()?,
                value: bb,
                byte: u8::try_from(c).ok()?,
            }),
            3 => Some(Event::Focus(a != 0)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_round_trips_and_bad_ones_are_refused() {
        let h = Hello {
            width: 300,
            height: 200,
            title: "paint".into(),
        };
        assert_eq!(Hello::decode(&h.encode()), Some(h.clone()));
        assert_eq!(h.bytes(), 240_000);
        let mut bad = h.encode();
        bad[0] = 9;
        assert_eq!(Hello::decode(&bad), None);
        assert_eq!(Hello::decode(&h.encode()[..10]), None);
        assert_eq!(Hello::decode(&[]), None);
        for (w, hh) in [(0, 10), (10, 0), (5000, 10), (10, 5000)] {
            let e = Hello {
                width: w,
                height: hh,
                title: String::new(),
            }
            .encode();
            assert_eq!(Hello::decode(&e), None, "{w}x{hh}");
        }
        let mut nonutf = h.encode();
        nonutf.push(0xff);
        assert_eq!(Hello::decode(&nonutf), None);
    }

    #[test]
    fn events_round_trip() {
        for e in [
            Event::Pointer {
                x: 5,
                y: -3,
                down: true,
            },
            Event::Key {
                code: 30,
                value: 1,
                byte: b'a',
            },
            Event::Focus(true),
        ] {
            assert_eq!(Event::decode(&e.encode()), Some(e));
        }
        assert_eq!(Event::decode(&[0; 15]), None);
        assert_eq!(Event::decode(&[9; 16]), None);
        let w = Welcome {
            status: 0,
            window: 4,
        };
        assert_eq!(Welcome::decode(&w.encode()), Some(w));
    }
}
