//! `od`: dumping bytes in octal, hexadecimal, decimal or as characters, laid out as
//! GNU od lays them out: 16 bytes a line after its offset, one line per format, each
//! field right-aligned so that the columns of all formats line up, a repeated line
//! shown once as `*` (unless `-v`), and the total length as the last offset.
//! Multi-byte values are little-endian, as on x86.

use alloc::string::String;
use alloc::vec::Vec;

/// One output format (`-t TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Named characters and escapes (`-c`).
    Char,
    /// Unsigned octal, hexadecimal or decimal, or signed decimal, of 1, 2 or 4 bytes.
    Octal(usize),
    Hex(usize),
    Unsigned(usize),
    Signed(usize),
}

impl Format {
    /// Parse a `-t` type such as `x1`, `o2`, `d4`, `c`; a letter without a size means
    /// 4 bytes (an `int`), as in GNU od (`-t x` is `-t x4`).
    pub fn parse(t: &str) -> Option<Format> {
        let (letter, size) = t.split_at(1);
        let size = match size {
            "" => 4,
            "1" | "C" => 1,
            "2" | "S" => 2,
            "4" | "I" | "L" => 4,
            _ => return None,
        };
        Some(match letter {
            "c" if t == "c" => Format::Char,
            "o" => Format::Octal(size),
            "x" => Format::Hex(size),
            "u" => Format::Unsigned(size),
            "d" => Format::Signed(size),
            _ => return None,
        })
    }

    fn size(&self) -> usize {
        match *self {
            Format::Char => 1,
            Format::Octal(s) | Format::Hex(s) | Format::Unsigned(s) | Format::Signed(s) => s,
        }
    }

    /// Characters in the widest value, without the separating space.
    fn width(&self) -> usize {
        match *self {
            Format::Char => 3,
            Format::Octal(s) => [3, 6, 11][s / 2],
            Format::Hex(s) => 2 * s,
            Format::Unsigned(s) => [3, 5, 10][s / 2],
            Format::Signed(s) => [4, 6, 11][s / 2],
        }
    }

    fn field(&self, bytes: &[u8]) -> String {
        let mut v: u64 = 0;
        for (i, b) in bytes.iter().enumerate() {
            v |= (*b as u64) << (8 * i);
        }
        match *self {
            Format::Char => String::from(match bytes[0] {
                0 => "\\0",
                7 => "\\a",
                8 => "\\b",
                12 => "\\f",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                11 => "\\v",
                c @ 0x20..=0x7e => return alloc::format!("{}", c as char),
                c => return alloc::format!("{c:03o}"),
            }),
            Format::Octal(_) => alloc::format!("{v:0w$o}", w = self.width()),
            Format::Hex(_) => alloc::format!("{v:0w$x}", w = self.width()),
            Format::Unsigned(_) => alloc::format!("{v}"),
            Format::Signed(s) => {
                let shift = 64 - 8 * s as u32;
                alloc::format!("{}", ((v << shift) as i64) >> shift)
            }
        }
    }
}

/// How offsets are written (`-A`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Radix {
    Octal,
    Decimal,
    Hex,
    None,
}

fn offset(r: Radix, n: usize) -> String {
    match r {
        Radix::Octal => alloc::format!("{n:07o}"),
        Radix::Decimal => alloc::format!("{n:07}"),
        Radix::Hex => alloc::format!("{n:06x}"),
        Radix::None => String::new(),
    }
}

const BLOCK: usize = 16;

/// The whole dump of `data`.
pub fn dump(data: &[u8], formats: &[Format], radix: Radix, verbose: bool) -> String {
    dump_from(data, 0, formats, radix, verbose)
}

/// [`dump`] of bytes that start at offset `base` of the input (after `-j`).
pub fn dump_from(
    data: &[u8],
    base: usize,
    formats: &[Format],
    radix: Radix,
    verbose: bool,
) -> String {
    // GNU's alignment: every format's line is as wide as the widest one, the extra
    // spread over its fields.
    let line_width = formats
        .iter()
        .map(|f| (f.width() + 1) * (BLOCK / f.size()))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let mut previous: Option<&[u8]> = None;
    let mut starred = false;
    let mut at = 0;
    while at < data.len() {
        let block = &data[at..(at + BLOCK).min(data.len())];
        if !verbose && block.len() == BLOCK && previous == Some(block) {
            if !starred {
                out.push_str("*\n");
                starred = true;
            }
            at += BLOCK;
            continue;
        }
        starred = false;
        previous = Some(block);
        for (k, f) in formats.iter().enumerate() {
            if k == 0 {
                out.push_str(&offset(radix, base + at));
            } else {
                out.push_str(&" ".repeat(offset(radix, 0).len()));
            }
            let size = f.size();
            let fields = BLOCK / size;
            let pad = line_width - f.width() * fields;
            let present = fields - (BLOCK - block.len()) / size;
            let mut pad_remaining = pad;
            for i in (1..=fields).rev() {
                let idx = fields - i;
                if idx >= present {
                    break;
                }
                let next_pad = pad * (i - 1) / fields;
                let w = pad_remaining - next_pad + f.width();
                let mut bytes = [0u8; 8];
                for (j, b) in block.iter().skip(idx * size).take(size).enumerate() {
                    bytes[j] = *b;
                }
                out.push_str(&alloc::format!("{:>w$}", f.field(&bytes[..size])));
                pad_remaining = next_pad;
            }
            out.push('\n');
        }
        at += BLOCK;
    }
    if radix != Radix::None {
        out.push_str(&offset(radix, base + data.len()));
        out.push('\n');
    }
    out
}

/// The formats a traditional option letter stands for.
pub fn letter(c: char) -> Option<Format> {
    Some(match c {
        'b' => Format::Octal(1),
        'c' => Format::Char,
        'd' => Format::Unsigned(2),
        'o' => Format::Octal(2),
        'x' => Format::Hex(2),
        's' => Format::Signed(2),
        _ => return None,
    })
}

/// Parse every `-t` value (several types may be run together: `-t x1c`).
pub fn types(t: &str) -> Option<Vec<Format>> {
    let mut v = Vec::new();
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let mut j = i + 1;
        if b[i] != b'c' {
            while j < b.len() && (b[j].is_ascii_digit() || b"CSIL".contains(&b[j])) {
                j += 1;
            }
        }
        v.push(Format::parse(&t[i..j])?);
        i = j;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_octal_words() {
        let d = dump(b"abc", &[Format::Octal(2)], Radix::Octal, false);
        assert_eq!(d, "0000000 061141 000143\n0000003\n");
    }

    #[test]
    fn characters_and_hex_bytes() {
        let d = dump(b"a\n\x01", &[Format::Char], Radix::Octal, false);
        assert_eq!(d, "0000000   a  \\n 001\n0000003\n");
        let d = dump(b"AB", &[Format::Hex(1)], Radix::Hex, false);
        assert_eq!(d, "000000 41 42\n000002\n");
        assert_eq!(
            types("x1c"),
            Some(alloc::vec![Format::Hex(1), Format::Char])
        );
        assert_eq!(types("q"), None);
    }

    #[test]
    fn repeated_lines_are_starred() {
        let d = dump(&[0u8; 48], &[Format::Hex(2)], Radix::Octal, false);
        assert_eq!(
            d,
            "0000000 0000 0000 0000 0000 0000 0000 0000 0000\n*\n0000060\n"
        );
        let v = dump(&[0u8; 32], &[Format::Hex(2)], Radix::None, true);
        assert_eq!(v.lines().count(), 2);
    }
}
