//! `sort`: ordering lines by keys, as POSIX and GNU sort do in the C locale.
//!
//! A key (`-k F[.C][bnr][,F[.C][bnr]]`) is a span of the line between two positions,
//! each a field number and a character in it. Fields are separated by the `-t`
//! character, or else each field starts with the blanks before it. Lines that compare
//! equal by every key are ordered by the whole line as bytes (GNU's "last resort"),
//! unless the sort is stable (`-s`), when they keep their input order; `-u` keeps the
//! first line of each run of equal keys. `-n` compares a leading decimal number (with
//! optional blanks, sign and fraction); what is not a number counts as zero.
//!
//! Design decision: a key is cut out of each line at comparison time, with no cache;
//! the inputs of a teaching system are small and this keeps the code one screen long.

use alloc::vec::Vec;
use core::cmp::Ordering;

/// How one key (or the whole line) is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Order {
    pub numeric: bool,
    pub reverse: bool,
    /// Skip leading blanks of the key's start field.
    pub blanks: bool,
}

impl Order {
    fn is_default(&self) -> bool {
        *self == Order::default()
    }
}

/// A key: from field `start.0`, character `start.1` (1-based) to field `end.0`,
/// character `end.1` (0: the end of that field); no `end` means the end of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub start: (usize, usize),
    pub end: Option<(usize, usize)>,
    pub order: Order,
    /// `b` given on the end position: skip blanks before the end character.
    pub end_blanks: bool,
}

/// Everything a sort is told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spec {
    pub keys: Vec<Key>,
    /// The global options, for the whole line and for keys without options of their own.
    pub order: Order,
    pub separator: Option<u8>,
    pub unique: bool,
    pub stable: bool,
}

/// Why a `-k` argument was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadKey;

fn parse_pos(s: &str, is_end: bool) -> Result<((usize, usize), Order), BadKey> {
    let digits_end = |s: &str| {
        s.bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(s.len())
    };
    let n = digits_end(s);
    let field: usize = s[..n].parse().map_err(|_| BadKey)?;
    let mut rest = &s[n..];
    let mut ch = 0;
    if let Some(r) = rest.strip_prefix('.') {
        let m = digits_end(r);
        ch = r[..m].parse().map_err(|_| BadKey)?;
        rest = &r[m..];
        if ch == 0 && !is_end {
            return Err(BadKey);
        }
    }
    if field == 0 {
        return Err(BadKey);
    }
    let mut order = Order::default();
    for c in rest.chars() {
        match c {
            'n' => order.numeric = true,
            'r' => order.reverse = true,
            'b' => order.blanks = true,
            _ => return Err(BadKey),
        }
    }
    Ok(((field, if is_end { ch } else { ch.max(1) }), order))
}

/// Parse a `-k` argument.
pub fn parse_key(s: &str) -> Result<Key, BadKey> {
    let (a, b) = match s.split_once(',') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let (start, mut order) = parse_pos(a, false)?;
    let mut end = None;
    let mut end_blanks = false;
    if let Some(b) = b {
        let (e, o) = parse_pos(b, true)?;
        end = Some(e);
        order.numeric |= o.numeric;
        order.reverse |= o.reverse;
        end_blanks = o.blanks;
    }
    Ok(Key {
        start,
        end,
        order,
        end_blanks,
    })
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Where field `n` (1-based) begins and ends in `line`.
fn field_span(line: &[u8], n: usize, sep: Option<u8>) -> (usize, usize) {
    let mut start = 0;
    for _ in 1..n {
        match sep {
            Some(t) => match line[start..].iter().position(|&b| b == t) {
                Some(i) => start += i + 1,
                None => return (line.len(), line.len()),
            },
            None => {
                while start < line.len() && is_blank(line[start]) {
                    start += 1;
                }
                while start < line.len() && !is_blank(line[start]) {
                    start += 1;
                }
            }
        }
    }
    let end = match sep {
        Some(t) => line[start..]
            .iter()
            .position(|&b| b == t)
            .map_or(line.len(), |i| start + i),
        None => {
            let mut e = start;
            while e < line.len() && is_blank(line[e]) {
                e += 1;
            }
            while e < line.len() && !is_blank(line[e]) {
                e += 1;
            }
            e
        }
    };
    (start, end)
}

fn skip_blanks(line: &[u8], mut i: usize, limit: usize) -> usize {
    while i < limit && is_blank(line[i]) {
        i += 1;
    }
    i
}

/// The bytes of `line` that `key` selects.
pub fn key_bytes<'a>(line: &'a [u8], key: &Key, sep: Option<u8>) -> &'a [u8] {
    let (fs, fe) = field_span(line, key.start.0, sep);
    let mut from = if key.order.blanks {
        skip_blanks(line, fs, fe)
    } else {
        fs
    };
    from = (from + key.start.1 - 1).min(fe.max(from));
    let to = match key.end {
        None => line.len(),
        Some((f, c)) => {
            let (es, ee) = field_span(line, f, sep);
            if c == 0 {
                ee
            } else {
                let s = if key.end_blanks {
                    skip_blanks(line, es, ee)
                } else {
                    es
                };
                (s + c).min(ee)
            }
        }
    };
    let from = from.min(line.len());
    if to <= from {
        &line[from..from]
    } else {
        &line[from..to]
    }
}

/// The sign, integer digits and fraction digits of a leading number.
fn number_parts(s: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut i = skip_blanks(s, 0, s.len());
    let neg = s.get(i) == Some(&b'-');
    if neg {
        i += 1;
    }
    let int_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut int = &s[int_start..i];
    let mut frac: &[u8] = &[];
    if s.get(i) == Some(&b'.') {
        let f = i + 1;
        let mut j = f;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        frac = &s[f..j];
    }
    while int.first() == Some(&b'0') {
        int = &int[1..];
    }
    while frac.last() == Some(&b'0') {
        frac = &frac[..frac.len() - 1];
    }
    let zero = int.is_empty() && frac.is_empty();
    (neg && !zero, int, frac)
}

/// Compare two leading decimal numbers exactly, digit by digit.
pub fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    let (na, ia, fa) = number_parts(a);
    let (nb, ib, fb) = number_parts(b);
    let magnitude = ia
        .len()
        .cmp(&ib.len())
        .then_with(|| ia.cmp(ib))
        .then_with(|| fa.cmp(fb));
    match (na, nb) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

fn compare_with(a: &[u8], b: &[u8], o: &Order) -> Ordering {
    let c = if o.numeric {
        compare_numbers(a, b)
    } else {
        a.cmp(b)
    };
    if o.reverse {
        c.reverse()
    } else {
        c
    }
}

/// Compare by the keys only (equal keys: `Equal`).
pub fn compare_keys(a: &[u8], b: &[u8], spec: &Spec) -> Ordering {
    if spec.keys.is_empty() {
        return compare_with(a, b, &spec.order);
    }
    for k in &spec.keys {
        let mut k = *k;
        if k.order.is_default() && !k.end_blanks {
            k.order = spec.order;
        }
        let c = compare_with(
            key_bytes(a, &k, spec.separator),
            key_bytes(b, &k, spec.separator),
            &k.order,
        );
        if c != Ordering::Equal {
            return c;
        }
    }
    Ordering::Equal
}

/// The full comparison: keys, then (unless stable or unique) the whole line.
pub fn compare(a: &[u8], b: &[u8], spec: &Spec) -> Ordering {
    let c = compare_keys(a, b, spec);
    if c != Ordering::Equal || spec.stable || spec.unique {
        return c;
    }
    let whole = a.cmp(b);
    if spec.order.reverse {
        whole.reverse()
    } else {
        whole
    }
}

/// Sort `lines` as `spec` says (a stable merge sort, so `-s` keeps input order).
pub fn sort<'a>(mut lines: Vec<&'a [u8]>, spec: &Spec) -> Vec<&'a [u8]> {
    lines.sort_by(|a, b| compare(a, b, spec));
    if spec.unique {
        lines.dedup_by(|b, a| compare_keys(a, b, spec) == Ordering::Equal);
    }
    lines
}

/// Whether `lines` are already in order (for `-c`): the 1-based number of the first
/// line out of order, if one is.
pub fn first_disorder(lines: &[&[u8]], spec: &Spec) -> Option<usize> {
    lines
        .windows(2)
        .position(|w| {
            let c = compare(w[0], w[1], spec);
            c == Ordering::Greater || (spec.unique && c == Ordering::Equal)
        })
        .map(|i| i + 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;

    fn run(input: &[&str], spec: &Spec) -> Vec<String> {
        let lines: Vec<&[u8]> = input.iter().map(|s| s.as_bytes()).collect();
        sort(lines, spec)
            .into_iter()
            .map(|l| String::from_utf8(l.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn plain_reverse_and_unique() {
        let mut s = Spec::default();
        assert_eq!(run(&["b", "a", "c", "a"], &s), ["a", "a", "b", "c"]);
        s.order.reverse = true;
        assert_eq!(run(&["b", "a", "c"], &s), ["c", "b", "a"]);
        s.unique = true;
        assert_eq!(run(&["b", "a", "b"], &s), ["b", "a"]);
    }

    #[test]
    fn numbers_compare_by_value() {
        let s = Spec {
            order: Order {
                numeric: true,
                ..Order::default()
            },
            ..Spec::default()
        };
        assert_eq!(
            run(&["10", "9", "-3", "2.5", "x", " 7"], &s),
            ["-3", "x", "2.5", " 7", "9", "10"]
        );
        assert_eq!(compare_numbers(b"-0", b"0"), Ordering::Equal);
        assert_eq!(compare_numbers(b"007", b"7.0"), Ordering::Equal);
    }

    #[test]
    fn keys_and_separators() {
        let k = parse_key("2,2n").unwrap();
        assert_eq!(k.start, (2, 1));
        assert_eq!(k.end, Some((2, 0)));
        assert!(k.order.numeric);
        let s = Spec {
            keys: vec![k],
            separator: Some(b':'),
            ..Spec::default()
        };
        assert_eq!(run(&["a:10", "b:9", "c:1"], &s), ["c:1", "b:9", "a:10"]);
        // Without -t a field keeps its leading blanks.
        let k = parse_key("2").unwrap();
        assert_eq!(key_bytes(b"a  b c", &k, None), b"  b c");
        let k = parse_key("2,2").unwrap();
        assert_eq!(key_bytes(b"a  b c", &k, None), b"  b");
        let k = parse_key("1.2,1.3").unwrap();
        assert_eq!(key_bytes(b"abcd", &k, None), b"bc");
        assert_eq!(parse_key("0"), Err(BadKey));
        assert_eq!(parse_key("1x"), Err(BadKey));
    }

    #[test]
    fn equal_keys_fall_back_to_the_line_unless_stable() {
        let mut s = Spec {
            keys: vec![parse_key("1,1").unwrap()],
            ..Spec::default()
        };
        assert_eq!(run(&["a 2", "a 1"], &s), ["a 1", "a 2"]);
        s.stable = true;
        assert_eq!(run(&["a 2", "a 1"], &s), ["a 2", "a 1"]);
    }

    #[test]
    fn check_finds_the_first_line_out_of_order() {
        let s = Spec::default();
        assert_eq!(first_disorder(&[b"a", b"b", b"a"], &s), Some(3));
        assert_eq!(first_disorder(&[b"a", b"b"], &s), None);
    }
}
