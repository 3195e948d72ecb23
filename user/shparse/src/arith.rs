//! Arithmetic expansion: the value of `$((expression))`.
//!
//! Chapter 2 section 2-1 (the command interpreter): POSIX shells evaluate integer
//! expressions with the operators and precedence of C: `+ - * / %`, shifts,
//! comparisons, bit operations, `&& || !`, `?:`, the comma, and assignments
//! (`x += 2`) that change shell variables. A variable named without `$` stands for its
//! value read as an integer (empty or unset is 0).
//!
//! Design decision: one recursive-descent function per precedence level over a token
//! list, each told whether it is *evaluating* or only *parsing*: the unchosen side of
//! `&&`, `||` and `?:` is parsed with evaluation off, so `0 && x=1` assigns nothing and
//! `1 || 1/0` is not a division by zero, as in C. Arithmetic is on `i64` and wraps.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::expand::Env;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Num(i64),
    Name(String),
    Op(&'static str),
}

/// Operators, longest first so that `<<=` is not read as `<<` and `=`.
const OPS: &[&str] = &[
    "<<=", ">>=", "&&", "||", "<<", ">>", "<=", ">=", "==", "!=", "+=", "-=", "*=", "/=", "%=",
    "&=", "^=", "|=", "+", "-", "*", "/", "%", "<", ">", "&", "^", "|", "!", "~", "?", ":", "=",
    "(", ")", ",",
];

/// Reads an integer constant as C writes it: decimal, `0x` hexadecimal, `0` octal.
pub fn parse_number(s: &str) -> Option<i64> {
    let s = s.trim_matches(|c| c == ' ' || c == '\t' || c == '\n');
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let value = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(hex, 16).ok()? as i64
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()? as i64
    } else {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u64>().ok()? as i64
    };
    Some(if neg { value.wrapping_neg() } else { value })
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let s = &text[start..i];
            out.push(Tok::Num(
                parse_number(s).ok_or_else(|| format!("Illegal number: {s}"))?,
            ));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Name(String::from(&text[start..i])));
        } else {
            let op = OPS
                .iter()
                .find(|op| text[i..].starts_with(**op))
                .ok_or_else(|| format!("expecting primary: \"{text}\""))?;
            out.push(Tok::Op(op));
            i += op.len();
        }
    }
    Ok(out)
}

struct Eval<'a> {
    toks: Vec<Tok>,
    pos: usize,
    env: &'a mut dyn Env,
    text: &'a str,
    /// Unary operators and parentheses open around the current token.
    depth: usize,
}

/// Deepest nesting of parentheses and prefix operators (`!!!!1`, `((((1))))`): the
/// evaluator recurses into each, and 3,000 of them overflowed the stack of a debug
/// build (found with the host fuzz target's check, `fuzz/regressions/shell/`).
pub const MAX_DEPTH: usize = 200;

/// Evaluates `text` (already expanded: `$x` and `$(...)` replaced), reading and
/// assigning variables through `env`.
pub fn eval(text: &str, env: &mut dyn Env) -> Result<i64, String> {
    let toks = tokenize(text)?;
    if toks.is_empty() {
        return Ok(0);
    }
    let mut e = Eval {
        toks,
        pos: 0,
        env,
        text,
        depth: 0,
    };
    let v = e.comma(true)?;
    if e.pos != e.toks.len() {
        return Err(e.error("expecting EOF"));
    }
    Ok(v)
}

impl Eval<'_> {
    fn error(&self, what: &str) -> String {
        format!("arithmetic expression: {what}: \"{}\"", self.text)
    }

    fn peek_op(&self) -> Option<&'static str> {
        match self.toks.get(self.pos) {
            Some(Tok::Op(o)) => Some(o),
            _ => None,
        }
    }

    fn eat(&mut self, op: &str) -> bool {
        if self.peek_op() == Some(op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn var(&self, name: &str) -> Result<i64, String> {
        match self.env.var(name) {
            None => Ok(0),
            Some(v) if v.is_empty() => Ok(0),
            Some(v) => parse_number(&v).ok_or_else(|| format!("Illegal number: {v}")),
        }
    }

    fn comma(&mut self, ev: bool) -> Result<i64, String> {
        let mut v = self.assign(ev)?;
        while self.eat(",") {
            v = self.assign(ev)?;
        }
        Ok(v)
    }

    fn assign(&mut self, ev: bool) -> Result<i64, String> {
        if let (Some(Tok::Name(name)), Some(Tok::Op(op))) =
            (self.toks.get(self.pos), self.toks.get(self.pos + 1))
        {
            let op: &'static str = op;
            if op.ends_with('=') && !matches!(op, "==" | "!=" | "<=" | ">=") {
                let name = name.clone();
                self.pos += 2;
                let rhs = self.assign(ev)?;
                if !ev {
                    return Ok(0);
                }
                let value = if op == "=" {
                    rhs
                } else {
                    let old = self.var(&name)?;
                    self.binary(&op[..op.len() - 1], old, rhs)?
                };
                self.env
                    .set_var(&name, &value.to_string())
                    .map_err(|e| self.error(&e))?;
                return Ok(value);
            }
        }
        self.ternary(ev)
    }

    fn ternary(&mut self, ev: bool) -> Result<i64, String> {
        let cond = self.binary_level(0, ev)?;
        if !self.eat("?") {
            return Ok(cond);
        }
        let yes = self.comma(ev && cond != 0)?;
        if !self.eat(":") {
            return Err(self.error("expecting ':'"));
        }
        let no = self.ternary(ev && cond == 0)?;
        Ok(if cond != 0 { yes } else { no })
    }

    /// The binary operators from loosest (`||`) to tightest (`* / %`).
    const LEVELS: &'static [&'static [&'static str]] = &[
        &["||"],
        &["&&"],
        &["|"],
        &["^"],
        &["&"],
        &["==", "!="],
        &["<", "<=", ">", ">="],
        &["<<", ">>"],
        &["+", "-"],
        &["*", "/", "%"],
    ];

    fn binary_level(&mut self, level: usize, ev: bool) -> Result<i64, String> {
        if level == Self::LEVELS.len() {
            return self.unary(ev);
        }
        let mut lhs = self.binary_level(level + 1, ev)?;
        while let Some(op) = self.peek_op().filter(|o| Self::LEVELS[level].contains(o)) {
            self.pos += 1;
            // The right side of `&&` and `||` runs only when it decides the answer.
            let rhs_ev = match op {
                "&&" => ev && lhs != 0,
                "||" => ev && lhs == 0,
                _ => ev,
            };
            let rhs = self.binary_level(level + 1, rhs_ev)?;
            lhs = if rhs_ev || (ev && !matches!(op, "&&" | "||")) {
                self.binary(op, lhs, rhs)?
            } else {
                match op {
                    "&&" => 0,
                    "||" => i64::from(ev && lhs != 0),
                    _ => 0,
                }
            };
        }
        Ok(lhs)
    }

    fn binary(&self, op: &str, a: i64, b: i64) -> Result<i64, String> {
        Ok(match op {
            "||" => i64::from(a != 0 || b != 0),
            "&&" => i64::from(a != 0 && b != 0),
            "|" => a | b,
            "^" => a ^ b,
            "&" => a & b,
            "==" => i64::from(a == b),
            "!=" => i64::from(a != b),
            "<" => i64::from(a < b),
            "<=" => i64::from(a <= b),
            ">" => i64::from(a > b),
            ">=" => i64::from(a >= b),
            "<<" => a.wrapping_shl(b as u32),
            ">>" => a.wrapping_shr(b as u32),
            "+" => a.wrapping_add(b),
            "-" => a.wrapping_sub(b),
            "*" => a.wrapping_mul(b),
            "/" | "%" if b == 0 => return Err(self.error("division by zero")),
            "/" => a.wrapping_div(b),
            "%" => a.wrapping_rem(b),
            _ => return Err(self.error("unknown operator")),
        })
    }

    fn unary(&mut self, ev: bool) -> Result<i64, String> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("expression nested too deeply"));
        }
        self.depth += 1;
        let v = self.unary_inner(ev);
        self.depth -= 1;
        v
    }

    fn unary_inner(&mut self, ev: bool) -> Result<i64, String> {
        for op in ["+", "-", "!", "~"] {
            if self.eat(op) {
                let v = self.unary(ev)?;
                return Ok(match op {
                    "+" => v,
                    "-" => v.wrapping_neg(),
                    "!" => i64::from(v == 0),
                    _ => !v,
                });
            }
        }
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(n)
            }
            Some(Tok::Name(name)) => {
                self.pos += 1;
                if ev {
                    self.var(&name)
                } else {
                    Ok(0)
                }
            }
            Some(Tok::Op("(")) => {
                self.pos += 1;
                let v = self.comma(ev)?;
                if !self.eat(")") {
                    return Err(self.error("expecting ')'"));
                }
                Ok(v)
            }
            _ => Err(self.error("expecting primary")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimpleEnv;

    fn calc(text: &str) -> Result<i64, String> {
        eval(text, &mut SimpleEnv::default())
    }

    #[test]
    fn precedence_follows_c() {
        assert_eq!(calc("1 + 2 * 3"), Ok(7));
        assert_eq!(calc("(1 + 2) * 3"), Ok(9));
        assert_eq!(calc("7 % 3 + 10 / 3"), Ok(4));
        assert_eq!(calc("1 << 4 >> 2"), Ok(4));
        assert_eq!(calc("1 < 2 == 1"), Ok(1));
        assert_eq!(calc("6 & 3 | 8 ^ 1"), Ok(11));
        assert_eq!(calc("-3 + ~0 + !0 + !5"), Ok(-3));
        assert_eq!(calc("1 ? 2 : 3"), Ok(2));
        assert_eq!(calc("0 ? 2 : 0 ? 3 : 4"), Ok(4));
        assert_eq!(calc("1, 2, 3"), Ok(3));
        assert_eq!(calc("0x1f + 010 + 9"), Ok(48));
        assert_eq!(calc(""), Ok(0));
    }

    #[test]
    fn variables_are_read_and_assigned() {
        let mut env = SimpleEnv::default();
        env.vars.insert("x".into(), "5".into());
        assert_eq!(eval("x * 2", &mut env), Ok(10));
        assert_eq!(eval("x += 3", &mut env), Ok(8));
        assert_eq!(env.vars["x"], "8");
        assert_eq!(eval("y = x <<= 1", &mut env), Ok(16));
        assert_eq!(env.vars["y"], "16");
        assert_eq!(eval("unset_var + 1", &mut env), Ok(1));
        env.vars.insert("bad".into(), "abc".into());
        assert!(eval("bad", &mut env)
            .unwrap_err()
            .contains("Illegal number"));
    }

    #[test]
    fn short_circuit_skips_side_effects_and_errors() {
        let mut env = SimpleEnv::default();
        assert_eq!(eval("0 && (z = 1)", &mut env), Ok(0));
        assert!(!env.vars.contains_key("z"));
        assert_eq!(eval("1 || 1 / 0", &mut env), Ok(1));
        assert_eq!(eval("1 ? 5 : 1 / 0", &mut env), Ok(5));
        assert_eq!(eval("2 && 3", &mut env), Ok(1));
        assert_eq!(eval("0 || 0", &mut env), Ok(0));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let parens = format!(
            "{}1{}",
            "(".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(calc(&parens), Ok(1));
        assert_eq!(calc(&format!("{}1", "!".repeat(MAX_DEPTH - 1))), Ok(0));
        for deep in [
            format!("{}1{}", "(".repeat(1500), ")".repeat(1500)),
            format!("{}1", "!".repeat(3000)),
            format!("{}1", "-".repeat(3000)),
        ] {
            let e = calc(&deep).unwrap_err();
            assert!(e.contains("nested too deeply"), "{e}");
        }
    }

    #[test]
    fn errors_are_reported() {
        assert!(calc("1 / 0").unwrap_err().contains("division by zero"));
        assert!(calc("5 % 0").unwrap_err().contains("division by zero"));
        assert!(calc("2 ** 3").is_err());
        assert!(calc("(1").is_err());
        assert!(calc("1 +").is_err());
        assert!(calc("08").is_err());
    }
}
