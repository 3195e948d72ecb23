//! `awk`'s built-in functions (`length substr index split sub gsub match toupper
//! tolower int sprintf`) and the arithmetic under the operators.

use super::*;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

impl Awk {
    pub(super) fn arg_str(&mut self, args: &[Expr], i: usize) -> RResult<String> {
        match args.get(i) {
            Some(e) => {
                let v = self.eval(e)?;
                Ok(self.to_str(&v))
            }
            None => Ok(self.fields[0].clone()),
        }
    }

    pub(super) fn call(&mut self, f: &str, args: &[Expr]) -> RResult<Value> {
        let count = |lo: usize, hi: usize| -> RResult<()> {
            if args.len() < lo || args.len() > hi {
                fail(format!("{f}: wrong number of arguments"))
            } else {
                Ok(())
            }
        };
        Ok(match f {
            "length" => {
                count(0, 1)?;
                if let Some(Expr::Var(n)) = args.first() {
                    if let Some(m) = self.arrays.get(n) {
                        return Ok(Value::Num(m.len() as f64));
                    }
                }
                Value::Num(self.arg_str(args, 0)?.len() as f64)
            }
            "substr" => {
                count(2, 3)?;
                let s = self.arg_str(args, 0)?;
                let b = s.as_bytes();
                let m = round(self.eval(&args[1])?.num());
                let end = match args.get(2) {
                    Some(n) => m + round(self.eval(n)?.num()),
                    None => f64::INFINITY,
                };
                let from = m.max(1.0);
                let to = end.min(b.len() as f64 + 1.0);
                if to <= from {
                    Value::Str(String::new())
                } else {
                    let (from, to) = (from as usize - 1, to as usize - 1);
                    Value::Str(String::from_utf8_lossy(&b[from..to]).into_owned())
                }
            }
            "index" => {
                count(2, 2)?;
                let s = self.arg_str(args, 0)?;
                let t = self.arg_str(args, 1)?;
                Value::Num(s.find(t.as_str()).map_or(0, |k| k + 1) as f64)
            }
            "split" => {
                count(2, 3)?;
                let s = self.arg_str(args, 0)?;
                let Expr::Var(name) = &args[1] else {
                    return fail(String::from("split: the second argument must be an array"));
                };
                let parts = match args.get(2) {
                    Some(Expr::Match(i)) => {
                        let re = self.prog.regexes[*i].clone();
                        let key = String::from("\u{0}re");
                        self.dynamic.insert(key.clone(), re);
                        let p = self.split_text(&s, "\u{0}re");
                        self.dynamic.remove(&key);
                        p
                    }
                    Some(e) => {
                        let v = self.eval(e)?;
                        let fs = self.to_str(&v);
                        self.split_text(&s, &fs)
                    }
                    None => {
                        let fs = self.to_str(&self.get_var("FS"));
                        self.split_text(&s, &fs)
                    }
                };
                let mut m = BTreeMap::new();
                let n = parts.len();
                for (i, p) in parts.into_iter().enumerate() {
                    m.insert(format!("{}", i + 1), Value::from_input(p));
                }
                self.arrays.insert(name.clone(), m);
                Value::Num(n as f64)
            }
            "sub" | "gsub" => {
                count(2, 3)?;
                let re = self.regex_of(&args[0])?;
                let repl = self.arg_str(args, 1)?;
                let target = args
                    .get(2)
                    .cloned()
                    .unwrap_or(Expr::Field(Box::new(Expr::Num(0.0))));
                let v = self.get(&target)?;
                let text = self.to_str(&v);
                let (new, n) = substitute(&re, &repl, &text, f == "gsub");
                if n > 0 {
                    self.set(&target, Value::Str(new))?;
                }
                Value::Num(n as f64)
            }
            "match" => {
                count(2, 2)?;
                let s = self.arg_str(args, 0)?;
                let re = self.regex_of(&args[1])?;
                let (start, len) = match re.find_at(s.as_bytes(), 0) {
                    Some((a, b)) => ((a + 1) as f64, (b - a) as f64),
                    None => (0.0, -1.0),
                };
                self.vars.insert(String::from("RSTART"), Value::Num(start));
                self.vars.insert(String::from("RLENGTH"), Value::Num(len));
                Value::Num(start)
            }
            "toupper" => {
                count(1, 1)?;
                Value::Str(self.arg_str(args, 0)?.to_ascii_uppercase())
            }
            "tolower" => {
                count(1, 1)?;
                Value::Str(self.arg_str(args, 0)?.to_ascii_lowercase())
            }
            "int" => {
                count(1, 1)?;
                Value::Num(int_part(self.eval(&args[0])?.num()))
            }
            _ => {
                if args.is_empty() {
                    return fail(String::from("sprintf needs a format"));
                }
                let mut v = Vec::new();
                for a in args {
                    v.push(self.eval(a)?);
                }
                let fmt = self.to_str(&v[0]);
                Value::Str(self.format(&fmt, &v[1..])?)
            }
        })
    }
}

pub(crate) fn round(v: f64) -> f64 {
    if v < 0.0 {
        -int_part(-v + 0.5)
    } else {
        int_part(v + 0.5)
    }
}

pub(crate) fn arith(op: &str, a: f64, b: f64) -> RResult<f64> {
    Ok(match op {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => {
            if b == 0.0 {
                return fail(String::from("division by zero"));
            }
            a / b
        }
        "%" => {
            if b == 0.0 {
                return fail(String::from("division by zero in %"));
            }
            a % b
        }
        _ => power(a, b),
    })
}

/// `a ^ b` for whole exponents (by squaring); a fractional exponent gives NaN, as
/// `core` has no `pow` (the module comment lists this among the limits).
pub(crate) fn power(a: f64, b: f64) -> f64 {
    if b != int_part(b) || b.abs() > 1e9 {
        return f64::NAN;
    }
    let mut n = b.abs() as u64;
    let mut base = a;
    let mut r = 1.0;
    while n > 0 {
        if n & 1 == 1 {
            r *= base;
        }
        base *= base;
        n >>= 1;
    }
    if b < 0.0 {
        1.0 / r
    } else {
        r
    }
}

/// Replace the first (or every) match of `re` in `text` by `repl` (`&` is the match,
/// `\&` a literal `&`); the new text and how many replacements were made.
pub(crate) fn substitute(re: &Ere, repl: &str, text: &str, global: bool) -> (String, usize) {
    let b = text.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let mut at = 0;
    let mut n = 0;
    while at <= b.len() {
        let Some((s, e)) = re.find_at(b, at) else {
            break;
        };
        out.extend_from_slice(&b[at..s]);
        let mut r = repl.bytes().peekable();
        while let Some(c) = r.next() {
            match c {
                b'\\' if r.peek() == Some(&b'&') => {
                    r.next();
                    out.push(b'&');
                }
                b'\\' if r.peek() == Some(&b'\\') => {
                    r.next();
                    out.push(b'\\');
                }
                b'&' => out.extend_from_slice(&b[s..e]),
                _ => out.push(c),
            }
        }
        n += 1;
        if e == s {
            if s < b.len() {
                out.push(b[s]);
            }
            at = s + 1;
        } else {
            at = e;
        }
        if !global {
            break;
        }
    }
    if at < b.len() {
        out.extend_from_slice(&b[at..]);
    }
    (String::from_utf8_lossy(&out).into_owned(), n)
}
