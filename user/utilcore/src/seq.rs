//! `seq [FIRST [INCREMENT]] LAST`: a sequence of decimal numbers. The numbers are
//! exact fixed-point decimals (no binary rounding); the output has as many fraction
//! digits as FIRST or INCREMENT has, the most of the two, as GNU seq prints. `-w`
//! pads with leading zeros to a common width; `-s` sets the separator.

use alloc::string::String;
use alloc::vec::Vec;

/// A decimal: `digits` scaled by 10^`scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub value: i128,
    pub scale: u32,
}

/// Parse `[-+]DIGITS[.DIGITS]`.
pub fn parse(s: &str) -> Option<Decimal> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || frac.len() > 18
        || int.len() > 18
    {
        return None;
    }
    let mut v: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        v = v * 10 + (b - b'0') as i128;
    }
    Some(Decimal {
        value: if neg { -v } else { v },
        scale: frac.len() as u32,
    })
}

fn rescale(d: Decimal, scale: u32) -> i128 {
    d.value * 10i128.pow(scale - d.scale)
}

fn format(v: i128, scale: u32) -> String {
    let mag = v.unsigned_abs();
    let p = 10u128.pow(scale);
    let mut s = String::new();
    if v < 0 {
        s.push('-');
    }
    s.push_str(&alloc::format!("{}", mag / p));
    if scale > 0 {
        s.push_str(&alloc::format!(".{:0w$}", mag % p, w = scale as usize));
    }
    s
}

/// Zero-pad `s` (after its sign) to `width`.
fn pad(s: &str, width: usize) -> String {
    if s.len() >= width {
        return String::from(s);
    }
    let (sign, digits) = match s.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", s),
    };
    let zeros = width - s.len();
    alloc::format!("{sign}{}{digits}", "0".repeat(zeros))
}

/// Why no sequence could be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadSeq {
    /// An operand that is not a decimal number (its index).
    NotANumber(usize),
    ZeroIncrement,
}

/// The numbers from `first` by `incr` up to `last` (down, for a negative increment).
pub fn sequence(
    first: &str,
    incr: &str,
    last: &str,
    equal_width: bool,
) -> Result<Vec<String>, BadSeq> {
    let f = parse(first).ok_or(BadSeq::NotANumber(0))?;
    let i = parse(incr).ok_or(BadSeq::NotANumber(1))?;
    let l = parse(last).ok_or(BadSeq::NotANumber(2))?;
    if i.value == 0 {
        return Err(BadSeq::ZeroIncrement);
    }
    let out_scale = f.scale.max(i.scale);
    let scale = out_scale.max(l.scale);
    let (fv, iv, lv) = (rescale(f, scale), rescale(i, scale), rescale(l, scale));
    let drop = 10i128.pow(scale - out_scale);
    let mut v = Vec::new();
    let mut x = fv;
    while (iv > 0 && x <= lv) || (iv < 0 && x >= lv) {
        v.push(format(x / drop, out_scale));
        x += iv;
    }
    if equal_width {
        let width = [fv, lv]
            .iter()
            .map(|&e| format(e / drop, out_scale).len())
            .chain(v.iter().map(String::len))
            .max()
            .unwrap_or(0);
        for s in v.iter_mut() {
            *s = pad(s, width);
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_fractions() {
        assert_eq!(sequence("1", "1", "3", false).unwrap(), ["1", "2", "3"]);
        assert_eq!(
            sequence("1", "0.5", "2", false).unwrap(),
            ["1.0", "1.5", "2.0"]
        );
        assert_eq!(sequence("1", "1", "2.50", false).unwrap(), ["1", "2"]);
        assert_eq!(sequence("5", "-2", "1", false).unwrap(), ["5", "3", "1"]);
        assert!(sequence("5", "1", "1", false).unwrap().is_empty());
        assert_eq!(
            sequence("-0.5", "0.5", "0.5", false).unwrap(),
            ["-0.5", "0.0", "0.5"]
        );
    }

    #[test]
    fn equal_width_pads_after_the_sign() {
        assert_eq!(sequence("8", "1", "10", true).unwrap(), ["08", "09", "10"]);
        assert_eq!(sequence("-3", "2", "1", true).unwrap(), ["-3", "-1", "01"]);
    }

    #[test]
    fn bad_operands() {
        assert_eq!(sequence("a", "1", "2", false), Err(BadSeq::NotANumber(0)));
        assert_eq!(sequence("1", "0", "2", false), Err(BadSeq::ZeroIncrement));
    }
}
