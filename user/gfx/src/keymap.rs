//! Linux key codes (what virtio-keyboard sends, `input-event-codes.h`) to the bytes a
//! terminal would send, for a US layout: letters, digits, punctuation, Enter, Tab,
//! Backspace, Escape, with Shift and Ctrl followed from their own press and release.

/// Key codes with a meaning of their own here.
pub const KEY_ESC: u16 = 1;
pub const KEY_BACKSPACE: u16 = 14;
pub const KEY_TAB: u16 = 15;
pub const KEY_ENTER: u16 = 28;
pub const KEY_LEFTCTRL: u16 = 29;
pub const KEY_LEFTSHIFT: u16 = 42;
pub const KEY_RIGHTSHIFT: u16 = 54;
pub const KEY_SPACE: u16 = 57;
pub const KEY_RIGHTCTRL: u16 = 97;

/// (code, plain, shifted) for the keys that type a character.
const KEYS: &[(u16, u8, u8)] = &[
    (2, b'1', b'!'),
    (3, b'2', b'@'),
    (4, b'3', b'#'),
    (5, b'4', b'$'),
    (6, b'5', b'%'),
    (7, b'6', b'^'),
    (8, b'7', b'&'),
    (9, b'8', b'*'),
    (10, b'9', b'('),
    (11, b'0', b')'),
    (12, b'-', b'_'),
    (13, b'=', b'+'),
    (16, b'q', b'Q'),
    (17, b'w', b'W'),
    (18, b'e', b'E'),
    (19, b'r', b'R'),
    (20, b't', b'T'),
    (21, b'y', b'Y'),
    (22, b'u', b'U'),
    (23, b'i', b'I'),
    (24, b'o', b'O'),
    (25, b'p', b'P'),
    (26, b'[', b'{'),
    (27, b']', b'}'),
    (30, b'a', b'A'),
    (31, b's', b'S'),
    (32, b'd', b'D'),
    (33, b'f', b'F'),
    (34, b'g', b'G'),
    (35, b'h', b'H'),
    (36, b'j', b'J'),
    (37, b'k', b'K'),
    (38, b'l', b'L'),
    (39, b';', b':'),
    (40, b'\'', b'"'),
    (41, b'`', b'~'),
    (43, b'\\', b'|'),
    (44, b'z', b'Z'),
    (45, b'x', b'X'),
    (46, b'c', b'C'),
    (47, b'v', b'V'),
    (48, b'b', b'B'),
    (49, b'n', b'N'),
    (50, b'm', b'M'),
    (51, b',', b'<'),
    (52, b'.', b'>'),
    (53, b'/', b'?'),
    (KEY_SPACE, b' ', b' '),
];

/// The modifier state, updated from key events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Keyboard {
    pub shift: bool,
    pub ctrl: bool,
}

impl Keyboard {
    /// A key event (`value` 1 press, 2 repeat, 0 release): the byte it types, if any.
    pub fn key(&mut self, code: u16, value: i32) -> Option<u8> {
        let down = value != 0;
        match code {
            KEY_LEFTSHIFT | KEY_RIGHTSHIFT => {
                self.shift = down;
                return None;
            }
            KEY_LEFTCTRL | KEY_RIGHTCTRL => {
                self.ctrl = down;
                return None;
            }
            _ if !down => return None,
            KEY_ENTER => return Some(b'\n'),
            KEY_TAB => return Some(b'\t'),
            KEY_BACKSPACE => return Some(0x7f),
            KEY_ESC => return Some(0x1b),
            _ => {}
        }
        let &(_, plain, shifted) = KEYS.iter().find(|k| k.0 == code)?;
        let b = if self.shift { shifted } else { plain };
        Some(if self.ctrl && b.is_ascii_alphabetic() {
            b.to_ascii_lowercase() - b'a' + 1
        } else {
            b
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_shift_and_ctrl() {
        let mut k = Keyboard::default();
        assert_eq!(k.key(30, 1), Some(b'a'));
        assert_eq!(k.key(30, 0), None);
        assert_eq!(k.key(KEY_LEFTSHIFT, 1), None);
        assert_eq!(k.key(30, 1), Some(b'A'));
        assert_eq!(k.key(2, 1), Some(b'!'));
        assert_eq!(k.key(KEY_LEFTSHIFT, 0), None);
        assert_eq!(k.key(2, 2), Some(b'1')); // a repeat types too
        assert_eq!(k.key(KEY_LEFTCTRL, 1), None);
        assert_eq!(k.key(46, 1), Some(3)); // Ctrl-C
        assert_eq!(k.key(KEY_LEFTCTRL, 0), None);
        assert_eq!(k.key(KEY_ENTER, 1), Some(b'\n'));
        assert_eq!(k.key(KEY_SPACE, 1), Some(b' '));
        assert_eq!(k.key(200, 1), None);
    }
}
