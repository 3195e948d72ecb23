//! `tr`: translate, delete (`-d`) or squeeze (`-s`) bytes. A set is written with
//! escapes (`\n`, `\t`, `\\`, `\NNN` octal), ranges (`a-z`), classes (`[:upper:]`,
//! `[:digit:]`, ...) and, in the second set, repeats (`[x*]`, `[x*3]`); `-c` takes the
//! complement of the first set. When the second set is shorter than the first, its
//! last byte is repeated, as GNU tr does.

use alloc::vec::Vec;

/// Why a set was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadSet {
    /// `z-a`.
    ReversedRange(u8, u8),
    /// `[:nope:]`.
    UnknownClass,
    /// Translating to an empty set.
    EmptySecondSet,
}

impl core::fmt::Display for BadSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BadSet::ReversedRange(a, b) => write!(
                f,
                "range-endpoints of '{}-{}' are in reverse collating sequence order",
                *a as char, *b as char
            ),
            BadSet::UnknownClass => f.write_str("invalid character class"),
            BadSet::EmptySecondSet => {
                f.write_str("when not truncating set1, string2 must be non-empty")
            }
        }
    }
}

fn class(name: &[u8]) -> Option<fn(u8) -> bool> {
    Some(match name {
        b"alpha" => |b: u8| b.is_ascii_alphabetic(),
        b"digit" => |b: u8| b.is_ascii_digit(),
        b"alnum" => |b: u8| b.is_ascii_alphanumeric(),
        b"upper" => |b: u8| b.is_ascii_uppercase(),
        b"lower" => |b: u8| b.is_ascii_lowercase(),
        b"space" => |b: u8| b.is_ascii_whitespace() || b == 0x0b,
        b"blank" => |b: u8| b == b' ' || b == b'\t',
        b"punct" => |b: u8| b.is_ascii_punctuation(),
        b"xdigit" => |b: u8| b.is_ascii_hexdigit(),
        b"cntrl" => |b: u8| b.is_ascii_control(),
        b"print" => |b: u8| (0x20..0x7f).contains(&b),
        b"graph" => |b: u8| (0x21..0x7f).contains(&b),
        _ => return None,
    })
}

/// One byte of a set at `s[*i]`, with its escape if it has one.
fn one(s: &[u8], i: &mut usize) -> u8 {
    let c = s[*i];
    *i += 1;
    if c != b'\\' || *i == s.len() {
        return c;
    }
    let e = s[*i];
    *i += 1;
    match e {
        b'n' => b'\n',
        b't' => b'\t',
        b'r' => b'\r',
        b'a' => 7,
        b'b' => 8,
        b'f' => 12,
        b'v' => 11,
        b'0'..=b'7' => {
            let mut v = (e - b'0') as u32;
            for _ in 0..2 {
                match s.get(*i) {
                    Some(&d @ b'0'..=b'7') if v * 8 + ((d - b'0') as u32) < 256 => {
                        v = v * 8 + (d - b'0') as u32;
                        *i += 1;
                    }
                    _ => break,
                }
            }
            v as u8
        }
        other => other,
    }
}

/// Expand a set to its bytes, in order. `[x*N]` repeats are kept as `(byte, N)` with 0
/// for "as many as needed"; they are resolved by [`Tr::new`].
fn expand(s: &[u8]) -> Result<Vec<(u8, Option<usize>)>, BadSet> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'[' && s.get(i + 1) == Some(&b':') {
            if let Some(end) = s[i + 2..].windows(2).position(|w| w == b":]") {
                let is = class(&s[i + 2..i + 2 + end]).ok_or(BadSet::UnknownClass)?;
                out.extend((0..=255u8).filter(|&b| is(b)).map(|b| (b, None)));
                i += end + 4;
                continue;
            }
        }
        if s[i] == b'[' && s.get(i + 1).is_some() {
            let mut j = i + 1;
            let c = one(s, &mut j);
            if s.get(j) == Some(&b'*') {
                if let Some(close) = s[j..].iter().position(|&b| b == b']') {
                    let digits = &s[j + 1..j + close];
                    if digits.iter().all(|b| b.is_ascii_digit()) {
                        let n = core::str::from_utf8(digits)
                            .ok()
                            .and_then(|d| d.parse().ok())
                            .unwrap_or(0);
                        out.push((c, Some(n)));
                        i = j + close + 1;
                        continue;
                    }
                }
            }
        }
        let lo = one(s, &mut i);
        if s.get(i) == Some(&b'-') && i + 1 < s.len() {
            let mut j = i + 1;
            let hi = one(s, &mut j);
            if hi < lo {
                return Err(BadSet::ReversedRange(lo, hi));
            }
            out.extend((lo..=hi).map(|b| (b, None)));
            i = j;
        } else {
            out.push((lo, None));
        }
    }
    Ok(out)
}

/// The bytes of a first set (repeats count once).
fn plain(s: &[u8]) -> Result<Vec<u8>, BadSet> {
    Ok(expand(s)?.into_iter().map(|(b, _)| b).collect())
}

/// What `tr` was asked to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub delete: bool,
    pub squeeze: bool,
    pub complement: bool,
}

/// A compiled translation, fed input in pieces.
pub struct Tr {
    map: [u8; 256],
    delete: [bool; 256],
    squeeze: [bool; 256],
    last: Option<u8>,
}

impl Tr {
    pub fn new(set1: &[u8], set2: Option<&[u8]>, o: Options) -> Result<Tr, BadSet> {
        let mut map = [0u8; 256];
        for (i, m) in map.iter_mut().enumerate() {
            *m = i as u8;
        }
        let mut s1 = plain(set1)?;
        if o.complement {
            let mut inside = [false; 256];
            for &b in &s1 {
                inside[b as usize] = true;
            }
            s1 = (0..=255u8).filter(|&b| !inside[b as usize]).collect();
        }
        let mut delete = [false; 256];
        let mut squeeze = [false; 256];
        let s2: Vec<u8> = match set2 {
            None => Vec::new(),
            Some(s) => {
                let items = expand(s)?;
                let fixed: usize = items.iter().map(|(_, n)| n.unwrap_or(1)).sum();
                let mut v = Vec::new();
                for (b, n) in items {
                    let k = match n {
                        None => 1,
                        Some(0) => s1.len().saturating_sub(fixed),
                        Some(k) => k,
                    };
                    v.extend(core::iter::repeat_n(b, k));
                }
                v
            }
        };
        if o.delete {
            for &b in &s1 {
                delete[b as usize] = true;
            }
            if o.squeeze {
                for &b in &s2 {
                    squeeze[b as usize] = true;
                }
            }
        } else if set2.is_some() {
            let Some(&last) = s2.last() else {
                return Err(BadSet::EmptySecondSet);
            };
            for (i, &b) in s1.iter().enumerate() {
                map[b as usize] = *s2.get(i).unwrap_or(&last);
            }
            if o.squeeze {
                for &b in &s2 {
                    squeeze[b as usize] = true;
                }
            }
        } else if o.squeeze {
            for &b in &s1 {
                squeeze[b as usize] = true;
            }
        }
        Ok(Tr {
            map,
            delete,
            squeeze,
            last: None,
        })
    }

    /// Translate `input`, appending to `out`; squeezing carries across calls.
    pub fn run(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &b in input {
            if self.delete[b as usize] {
                continue;
            }
            let t = self.map[b as usize];
            if self.squeeze[t as usize] && self.last == Some(t) {
                continue;
            }
            self.last = Some(t);
            out.push(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    fn tr(s1: &str, s2: Option<&str>, o: Options, input: &str) -> String {
        let mut t = Tr::new(s1.as_bytes(), s2.map(str::as_bytes), o).unwrap();
        let mut out = Vec::new();
        t.run(input.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn translates_ranges_and_classes() {
        let o = Options::default();
        assert_eq!(tr("a-z", Some("A-Z"), o, "hello, World"), "HELLO, WORLD");
        assert_eq!(tr("[:upper:]", Some("[:lower:]"), o, "ABc"), "abc");
        assert_eq!(tr("abc", Some("x"), o, "aabbcd"), "xxxxxd");
        assert_eq!(tr("\\n", Some(" "), o, "a\nb\n"), "a b ");
        assert_eq!(tr("a-c", Some("[x*]"), o, "abcd"), "xxxd");
        assert_eq!(tr("\\101", Some("b"), o, "AA"), "bb");
    }

    #[test]
    fn deletes_squeezes_and_complements() {
        let d = Options {
            delete: true,
            ..Options::default()
        };
        assert_eq!(tr("[:digit:]", None, d, "a1b22c"), "abc");
        let s = Options {
            squeeze: true,
            ..Options::default()
        };
        assert_eq!(tr(" ", None, s, "a   b  c"), "a b c");
        assert_eq!(tr("a-z", Some("A-Z"), s, "aabbBA"), "ABA");
        let cd = Options {
            delete: true,
            complement: true,
            ..Options::default()
        };
        assert_eq!(tr("a-z\\n", None, cd, "a1-b\n"), "ab\n");
        let ds = Options {
            delete: true,
            squeeze: true,
            ..Options::default()
        };
        assert_eq!(tr("0-9", Some(" "), ds, "a1  2 b"), "a b");
    }

    #[test]
    fn bad_sets_are_refused() {
        assert!(matches!(
            Tr::new(b"z-a", None, Options::default()),
            Err(BadSet::ReversedRange(b'z', b'a'))
        ));
        assert!(matches!(
            Tr::new(b"[:nope:]", None, Options::default()),
            Err(BadSet::UnknownClass)
        ));
        assert!(matches!(
            Tr::new(b"a", Some(b""), Options::default()),
            Err(BadSet::EmptySecondSet)
        ));
    }
}
