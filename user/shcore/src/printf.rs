//! `printf FORMAT [ARG...]`: formatted output, as POSIX's shell utility defines it.
//!
//! Chapter 2 section 2-1 (the command interpreter): `echo` cannot print text without a
//! newline portably, nor pad columns; `printf` can. Its format is C's, reduced to what
//! a shell needs: `%s %b %c %d %i %u %x %X %o %%` with flags (`-` `0` `+` space `#`),
//! a width and a precision (either may be `*`, taken from the arguments), and the
//! backslash escapes `\n \t \\ \a \b \f \r \v \0NNN`. When arguments remain after the
//! format was used up, it is used again; missing arguments are empty strings (or 0).
//!
//! Design decision: pure text to text, with bad numbers reported in a list (the
//! output goes on with 0, and the status becomes 1, as in dash), so it is tested on
//! the host and shared by the builtin.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// What `printf` produced.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// The text to write.
    pub text: String,
    /// Problems, one message each (status 1 if any).
    pub errors: Vec<String>,
}

/// Reads an octal escape's digits (up to `max`) from `chars` at `i`.
fn octal(chars: &[char], i: &mut usize, max: usize) -> char {
    let mut v = 0u32;
    let mut n = 0;
    while n < max && *i < chars.len() && ('0'..='7').contains(&chars[*i]) {
        v = v * 8 + chars[*i].to_digit(8).unwrap_or(0);
        *i += 1;
        n += 1;
    }
    char::from_u32(v & 0xff).unwrap_or('\0')
}

/// Expands backslash escapes. In `%b` arguments (`in_arg`) an octal escape is
/// `\0NNN` and `\c` stops all output (the `bool` is then true).
pub fn escapes(s: &str, in_arg: bool) -> (String, bool) {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' || i == chars.len() {
            out.push(c);
            continue;
        }
        let e = chars[i];
        i += 1;
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            'c' if in_arg => return (out, true),
            '0' if in_arg => out.push(octal(&chars, &mut i, 3)),
            '0'..='7' if !in_arg => {
                i -= 1;
                out.push(octal(&chars, &mut i, 3));
            }
            _ => {
                out.push('\\');
                out.push(e);
            }
        }
    }
    (out, false)
}

/// A numeric argument as C's `strtol` with the shell's extras: `'c` is the code of `c`.
fn number(arg: &str, errors: &mut Vec<String>) -> i64 {
    if let Some(rest) = arg.strip_prefix(['\'', '"']) {
        return rest.chars().next().map_or(0, |c| c as i64);
    }
    let t = arg.trim_start();
    if t.is_empty() {
        return 0;
    }
    match shparse::parse_number(t) {
        Some(n) => n,
        None => {
            errors.push(format!("{arg}: expected numeric value"));
            // Like strtol: the leading digits count.
            let digits: String = t
                .chars()
                .enumerate()
                .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+')))
                .map(|(_, c)| c)
                .collect();
            digits.parse().unwrap_or(0)
        }
    }
}

/// The widest field (and longest precision) printed: the text is built in memory,
/// so `%2000000000d` would take the shell's memory (found with the host fuzz target's check,
/// `fuzz/regressions/shell/`). Larger ones are an error and count as 0.
pub const MAX_FIELD: u32 = 1 << 20;

fn field(n: u32, out: &mut Output) -> usize {
    if n > MAX_FIELD {
        out.errors
            .push(format!("field width {n} is larger than {MAX_FIELD}"));
        0
    } else {
        n as usize
    }
}

/// Pads `body` (after `sign`/`prefix`) to `width` as the flags say.
fn pad(sign: &str, body: &str, width: usize, left: bool, zero: bool) -> String {
    let len = sign.chars().count() + body.chars().count();
    let fill = width.saturating_sub(len);
    if left {
        format!("{sign}{body}{}", " ".repeat(fill))
    } else if zero {
        format!("{sign}{}{body}", "0".repeat(fill))
    } else {
        format!("{}{sign}{body}", " ".repeat(fill))
    }
}

/// Formats `args` by `fmt`, reusing the format while arguments remain.
pub fn printf(fmt: &str, args: &[&str]) -> Output {
    let mut out = Output::default();
    let chars: Vec<char> = fmt.chars().collect();
    let mut next = 0usize;
    loop {
        let before = next;
        let stop = one_pass(&chars, args, &mut next, &mut out);
        if stop || next >= args.len() || next == before {
            return out;
        }
    }
}

/// One pass over the format; true when `\c` in a `%b` argument stopped everything.
fn one_pass(chars: &[char], args: &[&str], next: &mut usize, out: &mut Output) -> bool {
    let take = |next: &mut usize| {
        let a = args.get(*next).copied();
        if a.is_some() {
            *next += 1;
        }
        a
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            // One escape at a time, through the same table as `%b`.
            let mut j = i + 1;
            if j < chars.len() && ('0'..='7').contains(&chars[j]) {
                while j < chars.len() && j < i + 4 && ('0'..='7').contains(&chars[j]) {
                    j += 1;
                }
            } else {
                j = (j + 1).min(chars.len());
            }
            let piece: String = chars[i..j].iter().collect();
            out.text.push_str(&escapes(&piece, false).0);
            i = j;
            continue;
        }
        if c != '%' {
            out.text.push(c);
            i += 1;
            continue;
        }
        i += 1;
        if chars.get(i) == Some(&'%') {
            out.text.push('%');
            i += 1;
            continue;
        }
        let (mut left, mut zero, mut plus, mut space, mut alt) =
            (false, false, false, false, false);
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => left = true,
                '0' => zero = true,
                '+' => plus = true,
                ' ' => space = true,
                '#' => alt = true,
                _ => break,
            }
            i += 1;
        }
        let read_num = |i: &mut usize, next: &mut usize, out: &mut Output| -> Option<i64> {
            if chars.get(*i) == Some(&'*') {
                *i += 1;
                return Some(take(next).map_or(0, |a| number(a, &mut out.errors)));
            }
            let start = *i;
            while chars.get(*i).is_some_and(char::is_ascii_digit) {
                *i += 1;
            }
            let s: String = chars[start..*i].iter().collect();
            s.parse().ok()
        };
        // Widths and precisions are C `int`s, as in dash (a `*` argument keeps its low
        // 32 bits); a negative width means `-`, a negative precision none at all.
        let width = read_num(&mut i, next, out).map(|w| w as i32);
        if width.is_some_and(|w| w < 0) {
            left = true;
        }
        let width = field(width.map_or(0, i32::unsigned_abs), out);
        let precision = if chars.get(i) == Some(&'.') {
            i += 1;
            let p = read_num(&mut i, next, out).unwrap_or(0) as i32;
            (p >= 0).then(|| field(p as u32, out))
        } else {
            None
        };
        let Some(&conv) = chars.get(i) else {
            out.errors.push(String::from("missing format character"));
            return false;
        };
        i += 1;
        let arg = take(next);
        match conv {
            's' | 'b' => {
                let mut s = String::from(arg.unwrap_or(""));
                let mut stop = false;
                if conv == 'b' {
                    (s, stop) = escapes(&s, true);
                }
                if let Some(p) = precision {
                    s = s.chars().take(p).collect();
                }
                out.text.push_str(&pad("", &s, width, left, false));
                if stop {
                    return true;
                }
            }
            'c' => {
                let s: String = arg.unwrap_or("").chars().take(1).collect();
                out.text.push_str(&pad("", &s, width, left, false));
            }
            'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
                let n = arg.map_or(0, |a| number(a, &mut out.errors));
                let (sign, mut digits) = match conv {
                    'd' | 'i' => {
                        let sign = if n < 0 {
                            "-"
                        } else if plus {
                            "+"
                        } else if space {
                            " "
                        } else {
                            ""
                        };
                        (sign, format!("{}", n.unsigned_abs()))
                    }
                    'u' => ("", format!("{}", n as u64)),
                    'x' => (
                        if alt && n != 0 { "0x" } else { "" },
                        format!("{:x}", n as u64),
                    ),
                    'X' => (
                        if alt && n != 0 { "0X" } else { "" },
                        format!("{:X}", n as u64),
                    ),
                    _ => (
                        if alt && n != 0 { "0" } else { "" },
                        format!("{:o}", n as u64),
                    ),
                };
                if let Some(p) = precision {
                    if digits.len() < p {
                        digits = format!("{}{digits}", "0".repeat(p - digits.len()));
                    }
                    if p == 0 && n == 0 {
                        digits.clear();
                    }
                }
                out.text.push_str(&pad(
                    sign,
                    &digits,
                    width,
                    left,
                    zero && precision.is_none(),
                ));
            }
            other => {
                out.errors.push(format!("%{other}: invalid directive"));
                return false;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(fmt: &str, args: &[&str]) -> String {
        printf(fmt, args).text
    }

    #[test]
    fn huge_and_extreme_widths_are_bounded_not_a_panic() {
        // i64::MIN as a `*` width overflowed `abs` (a panic found with the host fuzz target's check).
        let o = printf("%*d|", &["-9223372036854775808", "1"]);
        assert_eq!(o.text, "1|", "low 32 bits, as dash: width 0");
        let o = printf("%*d|", &["-3", "1"]);
        assert_eq!(o.text, "1  |");
        let o = printf("%*d|", &["2147483647", "1"]);
        assert_eq!(o.text, "1|");
        assert_eq!(o.errors.len(), 1, "{:?}", o.errors);
        let o = printf("%.*d|", &["3000000000", "1"]);
        assert_eq!(o.text, "1|", "a negative precision is none, as in dash");
        assert_eq!(printf("%.3d|%5s|", &["7", "ab"]).text, "007|   ab|");
    }

    #[test]
    fn conversions_widths_and_flags() {
        assert_eq!(p("%s-%s\\n", &["a", "b"]), "a-b\n");
        assert_eq!(
            p("[%5s][%-5s][%.2s]", &["ab", "cd", "xyz"]),
            "[   ab][cd   ][xy]"
        );
        assert_eq!(
            p("%d %i %05d %-4d| %+d", &["42", "-7", "12", "3", "5"]),
            "42 -7 00012 3   | +5"
        );
        assert_eq!(
            p("%x %X %o %#x %#o", &["255", "255", "8", "255", "8"]),
            "ff FF 10 0xff 010"
        );
        assert_eq!(p("%c%c", &["hello", "w"]), "hw");
        assert_eq!(p("%d", &["'A"]), "65");
        assert_eq!(p("%*d|%.3d", &["4", "7", "5"]), "   7|005");
        assert_eq!(p("100%%", &[]), "100%");
        assert_eq!(p("%u", &["-1"]), "18446744073709551615");
    }

    #[test]
    fn format_is_reused_and_missing_arguments_are_empty() {
        assert_eq!(p("%s\\n", &["a", "b", "c"]), "a\nb\nc\n");
        assert_eq!(p("%s=%d;", &["x", "1", "y"]), "x=1;y=0;");
        assert_eq!(p("plain\\n", &["ignored"]), "plain\n");
    }

    #[test]
    fn escapes_and_b() {
        assert_eq!(p("a\\tb\\101\\\\", &[]), "a\tbA\\");
        assert_eq!(p("%b|", &["x\\ny\\0101"]), "x\nyA|");
        assert_eq!(p("%b%s", &["stop\\chere", "never"]), "stop");
    }

    #[test]
    fn bad_numbers_are_reported() {
        let o = printf("%d,%d", &["12abc", "x"]);
        assert_eq!(o.text, "12,0");
        assert_eq!(o.errors.len(), 2);
        assert!(printf("%z", &[]).errors[0].contains("invalid"));
    }
}
