//! `cut`: selected bytes (`-b`), characters (`-c`) or delimited fields (`-f`, `-d`) of
//! each line. A list is comma-separated numbers and ranges (`1,3-5,7-`, `-2`),
//! counted from 1; the selection is printed in input order, each position once.

use alloc::vec::Vec;

/// A list of positions: inclusive ranges, `usize::MAX` for an open end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List(Vec<(usize, usize)>);

/// Why a list was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadList {
    /// Positions are numbered from 1.
    Zero,
    /// `5-3`.
    Decreasing,
    /// Not a number, or empty.
    Invalid,
}

impl core::fmt::Display for BadList {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            BadList::Zero => "fields and positions are numbered from 1",
            BadList::Decreasing => "invalid decreasing range",
            BadList::Invalid => "invalid field value",
        })
    }
}

fn num(s: &str) -> Result<usize, BadList> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadList::Invalid);
    }
    match s.parse::<usize>() {
        Ok(0) => Err(BadList::Zero),
        Ok(n) => Ok(n),
        Err(_) => Err(BadList::Invalid),
    }
}

impl List {
    /// Parse `1,3-5,7-`.
    pub fn parse(s: &str) -> Result<List, BadList> {
        let mut v = Vec::new();
        for part in s.split(',') {
            let r = match part.split_once('-') {
                None => {
                    let n = num(part)?;
                    (n, n)
                }
                Some(("", "")) => return Err(BadList::Invalid),
                Some((a, b)) => {
                    let lo = if a.is_empty() { 1 } else { num(a)? };
                    let hi = if b.is_empty() { usize::MAX } else { num(b)? };
                    if hi < lo {
                        return Err(BadList::Decreasing);
                    }
                    (lo, hi)
                }
            };
            v.push(r);
        }
        Ok(List(v))
    }

    /// Whether position `n` (1-based) is selected.
    pub fn contains(&self, n: usize) -> bool {
        self.0.iter().any(|&(lo, hi)| lo <= n && n <= hi)
    }
}

/// The selected bytes of `line` (`-b` and `-c`: bytes, as in the C locale).
pub fn positions(line: &[u8], list: &List) -> Vec<u8> {
    line.iter()
        .enumerate()
        .filter(|(i, _)| list.contains(i + 1))
        .map(|(_, &b)| b)
        .collect()
}

/// The selected fields of `line`, joined by `delim`. A line without the delimiter is
/// printed whole, unless `only_delimited` (`-s`), when it is left out (`None`).
pub fn fields(line: &[u8], list: &List, delim: u8, only_delimited: bool) -> Option<Vec<u8>> {
    if !line.contains(&delim) {
        return if only_delimited {
            None
        } else {
            Some(line.to_vec())
        };
    }
    let mut out = Vec::new();
    let mut first = true;
    for (i, f) in line.split(|&b| b == delim).enumerate() {
        if list.contains(i + 1) {
            if !first {
                out.push(delim);
            }
            out.extend_from_slice(f);
            first = false;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_select() {
        let l = List::parse("1,3-5,7-").unwrap();
        assert!(l.contains(1) && !l.contains(2) && l.contains(4) && l.contains(100));
        assert_eq!(positions(b"abcdefgh", &l), b"acdegh");
        assert_eq!(positions(b"abc", &List::parse("-2").unwrap()), b"ab");
        assert_eq!(List::parse("0"), Err(BadList::Zero));
        assert_eq!(List::parse("5-3"), Err(BadList::Decreasing));
        assert_eq!(List::parse("a"), Err(BadList::Invalid));
        assert_eq!(List::parse(""), Err(BadList::Invalid));
    }

    #[test]
    fn fields_keep_their_delimiter() {
        let l = List::parse("1,3").unwrap();
        assert_eq!(fields(b"a:b:c:d", &l, b':', false).unwrap(), b"a:c");
        assert_eq!(fields(b"nodelim", &l, b':', false).unwrap(), b"nodelim");
        assert_eq!(fields(b"nodelim", &l, b':', true), None);
        assert_eq!(
            fields(b"a:b", &List::parse("3").unwrap(), b':', false).unwrap(),
            b""
        );
    }
}
