//! `awk`'s `printf` and `sprintf`: the C conversions, flags, widths and precisions.

use super::*;
use alloc::format;
use alloc::string::String;

/// Format `args` by the printf-style `fmt`.
pub(crate) fn sprintf(fmt: &str, args: &[Value], convfmt: &str) -> String {
    format_checked(fmt, args, convfmt).0
}

/// Format `args` by `fmt`; also whether there were enough of them.
pub(crate) fn format_checked(fmt: &str, args: &[Value], convfmt: &str) -> (String, bool) {
    let mut out = String::new();
    let missing = core::cell::Cell::new(false);
    let b = fmt.as_bytes();
    let mut i = 0;
    let mut next_arg = 0;
    let take = |next_arg: &mut usize| -> Value {
        let v = args.get(*next_arg).cloned().unwrap_or_else(|| {
            missing.set(true);
            Value::Str(String::new())
        });
        *next_arg += 1;
        v
    };
    while i < b.len() {
        if b[i] != b'%' {
            let s = i;
            while i < b.len() && b[i] != b'%' {
                i += 1;
            }
            out.push_str(&fmt[s..i]);
            continue;
        }
        let start = i;
        i += 1;
        let (mut left, mut plus, mut space, mut zero, mut alt) =
            (false, false, false, false, false);
        while i < b.len() {
            match b[i] {
                b'-' => left = true,
                b'+' => plus = true,
                b' ' => space = true,
                b'0' => zero = true,
                b'#' => alt = true,
                _ => break,
            }
            i += 1;
        }
        let mut width = 0usize;
        if i < b.len() && b[i] == b'*' {
            let w = take(&mut next_arg).num() as i64;
            if w < 0 {
                left = true;
            }
            width = w.unsigned_abs() as usize;
            i += 1;
        }
        while i < b.len() && b[i].is_ascii_digit() {
            width = width * 10 + (b[i] - b'0') as usize;
            i += 1;
        }
        let mut prec: Option<usize> = None;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let mut p = 0usize;
            if i < b.len() && b[i] == b'*' {
                p = take(&mut next_arg).num().max(0.0) as usize;
                i += 1;
            }
            while i < b.len() && b[i].is_ascii_digit() {
                p = p * 10 + (b[i] - b'0') as usize;
                i += 1;
            }
            prec = Some(p);
        }
        while i < b.len() && matches!(b[i], b'l' | b'h') {
            i += 1;
        }
        let Some(&conv) = b.get(i) else {
            out.push_str(&fmt[start..]);
            break;
        };
        i += 1;
        let sign = |neg: bool| -> &'static str {
            if neg {
                "-"
            } else if plus {
                "+"
            } else if space {
                " "
            } else {
                ""
            }
        };
        let (prefix, body, numeric): (String, String, bool) = match conv {
            b'%' => (String::new(), String::from("%"), false),
            b'd' | b'i' => {
                let v = int_part(take(&mut next_arg).num());
                let mut digits = format!("{}", (v.abs()) as u64);
                if let Some(p) = prec {
                    while digits.len() < p {
                        digits.insert(0, '0');
                    }
                    if p == 0 && v == 0.0 {
                        digits.clear();
                    }
                }
                (String::from(sign(v < 0.0)), digits, prec.is_none())
            }
            b'o' | b'x' | b'X' | b'u' => {
                let v = int_part(take(&mut next_arg).num());
                let u = if v < 0.0 { (v as i64) as u64 } else { v as u64 };
                let mut digits = match conv {
                    b'o' => format!("{u:o}"),
                    b'x' => format!("{u:x}"),
                    b'X' => format!("{u:X}"),
                    _ => format!("{u}"),
                };
                if let Some(p) = prec {
                    while digits.len() < p {
                        digits.insert(0, '0');
                    }
                }
                let pre = match conv {
                    b'o' if alt && !digits.starts_with('0') => "0",
                    b'x' if alt && u != 0 => "0x",
                    b'X' if alt && u != 0 => "0X",
                    _ => "",
                };
                (String::from(pre), digits, prec.is_none())
            }
            b'c' => {
                let v = take(&mut next_arg);
                let s = match v {
                    Value::Num(n) => {
                        let c = n as u32;
                        char::from_u32(if c < 256 { c } else { c & 0xff })
                            .map(String::from)
                            .unwrap_or_default()
                    }
                    other => {
                        let s = value_str(&other, convfmt);
                        s.chars().next().map(String::from).unwrap_or_default()
                    }
                };
                (String::new(), s, false)
            }
            b's' => {
                let s = value_str(&take(&mut next_arg), convfmt);
                let s = match prec {
                    Some(p) if p < s.len() => {
                        String::from_utf8_lossy(&s.as_bytes()[..p]).into_owned()
                    }
                    _ => s,
                };
                (String::new(), s, false)
            }
            b'e' | b'E' | b'f' | b'F' | b'g' | b'G' => {
                let v = take(&mut next_arg).num();
                let p = prec.unwrap_or(6);
                let body = if v.is_nan() {
                    String::from("nan")
                } else if v.is_infinite() {
                    String::from("inf")
                } else {
                    match conv {
                        b'f' | b'F' => format!("{:.*}", p, v.abs()),
                        b'e' | b'E' => exp_format(v.abs(), p, conv == b'E'),
                        _ => g_format(v.abs(), p, alt, conv == b'G'),
                    }
                };
                (
                    String::from(sign(v.is_sign_negative() && v != 0.0 || v < 0.0)),
                    body,
                    v.is_finite(),
                )
            }
            _ => {
                out.push_str(&fmt[start..i]);
                continue;
            }
        };
        let len = prefix.len() + body.len();
        if len >= width {
            out.push_str(&prefix);
            out.push_str(&body);
        } else if left {
            out.push_str(&prefix);
            out.push_str(&body);
            out.extend(core::iter::repeat_n(' ', width - len));
        } else if zero && numeric {
            out.push_str(&prefix);
            out.extend(core::iter::repeat_n('0', width - len));
            out.push_str(&body);
        } else {
            out.extend(core::iter::repeat_n(' ', width - len));
            out.push_str(&prefix);
            out.push_str(&body);
        }
    }
    (out, !missing.get())
}

/// `%.{p}e` for a non-negative finite number: `d.ddde+XX`.
pub(crate) fn exp_format(v: f64, p: usize, upper: bool) -> String {
    let s = format!("{:.*e}", p, v);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = exp.parse().unwrap_or(0);
    let mark = if upper { 'E' } else { 'e' };
    let sign = if e < 0 { '-' } else { '+' };
    format!("{mant}{mark}{sign}{:02}", e.unsigned_abs())
}

/// `%.{p}g` for a non-negative finite number.
pub(crate) fn g_format(v: f64, p: usize, alt: bool, upper: bool) -> String {
    let p = if p == 0 { 1 } else { p };
    let probe = format!("{:.*e}", p - 1, v);
    let x: i32 = probe
        .split_once('e')
        .map_or(0, |(_, e)| e.parse().unwrap_or(0));
    let mut s = if x < -4 || x >= p as i32 {
        exp_format(v, p - 1, upper)
    } else {
        format!("{:.*}", (p as i32 - 1 - x) as usize, v)
    };
    if !alt {
        let (mant, tail) = match s.find(['e', 'E']) {
            Some(k) => (String::from(&s[..k]), String::from(&s[k..])),
            None => (s.clone(), String::new()),
        };
        let mant = if mant.contains('.') {
            String::from(mant.trim_end_matches('0').trim_end_matches('.'))
        } else {
            mant
        };
        s = mant + &tail;
    }
    s
}

pub(crate) fn value_str(v: &Value, convfmt: &str) -> String {
    match v {
        Value::Num(n) => num_to_string(*n, convfmt),
        Value::Str(s) | Value::StrNum(s, _) => s.clone(),
    }
}
