//! Keys from terminal bytes: printable characters (UTF-8), control keys, and the ANSI
//! escape sequences a terminal sends for arrows, Home/End, Page Up/Down and Delete
//! (`ESC [ A`, `ESC [ 3 ~`, `ESC O H`, ...).
//!
//! The decoder is fed one byte at a time and keeps what it has of an unfinished
//! sequence, so a key split across two `read`s still decodes.

use alloc::vec::Vec;

/// One key press, as the editor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Backspace,
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    PageUp,
    PageDown,
    Escape,
    /// Ctrl plus a letter, given as the lowercase letter (`Ctrl('s')`).
    Ctrl(char),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum State {
    #[default]
    Ground,
    /// After `ESC`.
    Esc,
    /// After `ESC [` (with any digits so far).
    Csi(Vec<u8>),
    /// After `ESC O`.
    Ss3,
    /// Inside a multi-byte UTF-8 character: the bytes so far and how many in all.
    Utf8(Vec<u8>, usize),
}

/// Turns the bytes a terminal sends into [`Key`]s.
#[derive(Debug, Clone, Default)]
pub struct KeyDecoder {
    state: State,
}

impl KeyDecoder {
    pub fn new() -> KeyDecoder {
        KeyDecoder::default()
    }

    /// Feed one byte; the keys it completes (an `ESC` followed by a byte that starts no
    /// sequence gives `Escape` and then that byte's key).
    pub fn feed(&mut self, b: u8) -> Vec<Key> {
        let mut out = Vec::new();
        self.step(b, &mut out);
        out
    }

    /// Feed many bytes: every key they complete, in order.
    pub fn feed_all(&mut self, bytes: &[u8]) -> Vec<Key> {
        let mut out = Vec::new();
        for &b in bytes {
            self.step(b, &mut out);
        }
        out
    }

    /// Whether a sequence is half-read (a lone `ESC` waiting for more).
    pub fn pending(&self) -> bool {
        self.state != State::Ground
    }

    /// Give up on an unfinished sequence: a lone `ESC` becomes `Escape`.
    pub fn flush(&mut self) -> Option<Key> {
        match core::mem::take(&mut self.state) {
            State::Esc => Some(Key::Escape),
            _ => None,
        }
    }

    fn step(&mut self, b: u8, out: &mut Vec<Key>) {
        match core::mem::take(&mut self.state) {
            State::Ground => self.ground(b, out),
            State::Esc => match b {
                b'[' => self.state = State::Csi(Vec::new()),
                b'O' => self.state = State::Ss3,
                0x1b => {
                    out.push(Key::Escape);
                    self.state = State::Esc;
                }
                _ => {
                    out.push(Key::Escape);
                    self.ground(b, out);
                }
            },
            State::Ss3 => out.extend(final_key(b)),
            State::Csi(mut params) => {
                if b.is_ascii_digit() || b == b';' {
                    if params.len() < 8 {
                        params.push(b);
                    }
                    self.state = State::Csi(params);
                } else if b == b'~' {
                    let n = params.split(|&c| c == b';').next().unwrap_or(&[]);
                    out.extend(match n {
                        b"1" | b"7" => Some(Key::Home),
                        b"4" | b"8" => Some(Key::End),
                        b"3" => Some(Key::Delete),
                        b"5" => Some(Key::PageUp),
                        b"6" => Some(Key::PageDown),
                        _ => None,
                    });
                } else {
                    out.extend(final_key(b));
                }
            }
            State::Utf8(mut bytes, want) => {
                if b & 0xc0 != 0x80 {
                    // Broken sequence: drop it and start again with this byte.
                    self.ground(b, out);
                    return;
                }
                bytes.push(b);
                if bytes.len() < want {
                    self.state = State::Utf8(bytes, want);
                } else if let Some(c) = core::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|s| s.chars().next())
                {
                    out.push(Key::Char(c));
                }
            }
        }
    }

    fn ground(&mut self, b: u8, out: &mut Vec<Key>) {
        match b {
            0x1b => self.state = State::Esc,
            b'\r' | b'\n' => out.push(Key::Enter),
            b'\t' => out.push(Key::Char('\t')),
            0x7f | 0x08 => out.push(Key::Backspace),
            0x01..=0x1a => out.push(Key::Ctrl((b'a' + b - 1) as char)),
            0x20..=0x7e => out.push(Key::Char(b as char)),
            0xc0..=0xdf => self.state = State::Utf8(alloc::vec![b], 2),
            0xe0..=0xef => self.state = State::Utf8(alloc::vec![b], 3),
            0xf0..=0xf7 => self.state = State::Utf8(alloc::vec![b], 4),
            _ => {}
        }
    }
}

/// The key a sequence's final letter names (`A` up, `H` home, ...).
fn final_key(b: u8) -> Option<Key> {
    Some(match b {
        b'A' => Key::Up,
        b'B' => Key::Down,
        b'C' => Key::Right,
        b'D' => Key::Left,
        b'H' => Key::Home,
        b'F' => Key::End,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_control_and_utf8_bytes() {
        let mut d = KeyDecoder::new();
        assert_eq!(
            d.feed_all("a\r\x7f\x13é\t".as_bytes()),
            [
                Key::Char('a'),
                Key::Enter,
                Key::Backspace,
                Key::Ctrl('s'),
                Key::Char('é'),
                Key::Char('\t')
            ]
        );
    }

    #[test]
    fn escape_sequences_for_movement_keys() {
        let mut d = KeyDecoder::new();
        let keys = d.feed_all(
            b"\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1b[F\x1bOH\x1b[1~\x1b[4~\x1b[3~\x1b[5~\x1b[6~",
        );
        use Key::*;
        assert_eq!(
            keys,
            [Up, Down, Right, Left, Home, End, Home, Home, End, Delete, PageUp, PageDown]
        );
    }

    #[test]
    fn a_sequence_split_across_reads_still_decodes() {
        let mut d = KeyDecoder::new();
        assert!(d.feed(0x1b).is_empty());
        assert!(d.pending());
        assert!(d.feed(b'[').is_empty());
        assert_eq!(d.feed(b'3'), []);
        assert_eq!(d.feed(b'~'), [Key::Delete]);
        assert!(!d.pending());
    }

    #[test]
    fn a_lone_escape_is_a_key() {
        let mut d = KeyDecoder::new();
        assert_eq!(d.feed_all(b"\x1bx"), [Key::Escape, Key::Char('x')]);
        d.feed(0x1b);
        assert_eq!(d.flush(), Some(Key::Escape));
    }
}
