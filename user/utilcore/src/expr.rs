//! `expr`: evaluating an expression given as separate arguments, as POSIX defines it
//! (lowest precedence first): `|`, `&`, the comparisons `= != < <= > >=` (numeric if
//! both sides are integers, else by bytes), `+ -`, `* / %`, and `STRING : RE` (a basic
//! regular expression anchored at the start: the text of `\(...\)` if it has one,
//! else the length matched); GNU's `length STRING` too. Integers are 64-bit; overflow
//! and division by zero are errors.

use alloc::string::String;

/// Why evaluation failed (exit status 2 for all of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprError {
    Syntax,
    NonInteger,
    DivisionByZero,
    Overflow,
    BadRegex(String),
}

impl core::fmt::Display for ExprError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ExprError::Syntax => f.write_str("syntax error"),
            ExprError::NonInteger => f.write_str("non-integer argument"),
            ExprError::DivisionByZero => f.write_str("division by zero"),
            ExprError::Overflow => f.write_str("integer overflow"),
            ExprError::BadRegex(e) => write!(f, "{e}"),
        }
    }
}

fn integer(s: &str) -> Option<i64> {
    crate::number::integer(s).filter(|_| !s.starts_with('+'))
}

/// Whether a result counts as false (the exit status is then 1).
pub fn is_null(v: &str) -> bool {
    v.is_empty() || integer(v) == Some(0)
}

struct Eval<'a> {
    args: &'a [String],
    i: usize,
}

type R = Result<String, ExprError>;

impl<'a> Eval<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.args.get(self.i).map(String::as_str)
    }
    fn take_op(&mut self, ops: &[&str]) -> Option<String> {
        let t = self.peek()?;
        if ops.contains(&t) {
            self.i += 1;
            Some(String::from(t))
        } else {
            None
        }
    }
    fn or(&mut self) -> R {
        let mut l = self.and()?;
        while self.take_op(&["|"]).is_some() {
            let r = self.and()?;
            l = if !is_null(&l) {
                l
            } else if !is_null(&r) {
                r
            } else {
                String::from("0")
            };
        }
        Ok(l)
    }
    fn and(&mut self) -> R {
        let mut l = self.compare()?;
        while self.take_op(&["&"]).is_some() {
            let r = self.compare()?;
            if is_null(&l) || is_null(&r) {
                l = String::from("0");
            }
        }
        Ok(l)
    }
    fn compare(&mut self) -> R {
        let mut l = self.sum()?;
        while let Some(op) = self.take_op(&["=", "!=", "<", "<=", ">", ">="]) {
            let r = self.sum()?;
            let ord = match (integer(&l), integer(&r)) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => l.as_bytes().cmp(r.as_bytes()),
            };
            let t = match op.as_str() {
                "=" => ord.is_eq(),
                "!=" => ord.is_ne(),
                "<" => ord.is_lt(),
                "<=" => ord.is_le(),
                ">" => ord.is_gt(),
                _ => ord.is_ge(),
            };
            l = String::from(if t { "1" } else { "0" });
        }
        Ok(l)
    }
    fn arith(l: &str, r: &str, op: &str) -> R {
        let (Some(a), Some(b)) = (integer(l), integer(r)) else {
            return Err(ExprError::NonInteger);
        };
        let v = match op {
            "+" => a.checked_add(b),
            "-" => a.checked_sub(b),
            "*" => a.checked_mul(b),
            _ if b == 0 => return Err(ExprError::DivisionByZero),
            "/" => a.checked_div(b),
            _ => a.checked_rem(b),
        };
        v.map(|v| alloc::format!("{v}")).ok_or(ExprError::Overflow)
    }
    fn sum(&mut self) -> R {
        let mut l = self.product()?;
        while let Some(op) = self.take_op(&["+", "-"]) {
            let r = self.product()?;
            l = Self::arith(&l, &r, &op)?;
        }
        Ok(l)
    }
    fn product(&mut self) -> R {
        let mut l = self.matching()?;
        while let Some(op) = self.take_op(&["*", "/", "%"]) {
            let r = self.matching()?;
            l = Self::arith(&l, &r, &op)?;
        }
        Ok(l)
    }
    fn matching(&mut self) -> R {
        let mut l = self.primary()?;
        while self.take_op(&[":"]).is_some() {
            let r = self.primary()?;
            l = match_re(&l, &r)?;
        }
        Ok(l)
    }
    fn primary(&mut self) -> R {
        let Some(t) = self.peek() else {
            return Err(ExprError::Syntax);
        };
        let t = String::from(t);
        self.i += 1;
        match t.as_str() {
            "(" => {
                let v = self.or()?;
                if self.take_op(&[")"]).is_none() {
                    return Err(ExprError::Syntax);
                }
                Ok(v)
            }
            "length" if self.peek().is_some() => {
                let s = self.primary()?;
                Ok(alloc::format!("{}", s.chars().count()))
            }
            _ => Ok(t),
        }
    }
}

fn match_re(s: &str, re: &str) -> R {
    let pattern = alloc::format!("^{re}");
    let r = bre::Regex::new(&pattern).map_err(|e| ExprError::BadRegex(alloc::format!("{e}")))?;
    let caps = r.captures_at(s.as_bytes(), 0);
    if r.groups() > 0 {
        let text = caps
            .and_then(|c| c[1])
            .map(|(a, b)| String::from(&s[a..b]))
            .unwrap_or_default();
        return Ok(text);
    }
    Ok(alloc::format!(
        "{}",
        caps.and_then(|c| c[0]).map_or(0, |(a, b)| b - a)
    ))
}

/// Evaluate the arguments.
pub fn eval(args: &[String]) -> R {
    let mut e = Eval { args, i: 0 };
    let v = e.or()?;
    if e.i != args.len() {
        return Err(ExprError::Syntax);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn ev(s: &str) -> R {
        let args: Vec<String> = s.split(' ').map(String::from).collect();
        eval(&args)
    }

    #[test]
    fn arithmetic_and_precedence() {
        assert_eq!(ev("1 + 2 * 3").unwrap(), "7");
        assert_eq!(ev("( 1 + 2 ) * 3").unwrap(), "9");
        assert_eq!(ev("7 / 2").unwrap(), "3");
        assert_eq!(ev("-7 % 3").unwrap(), "-1");
        assert_eq!(ev("5 / 0"), Err(ExprError::DivisionByZero));
        assert_eq!(ev("a + 1"), Err(ExprError::NonInteger));
        assert_eq!(ev("9223372036854775807 + 1"), Err(ExprError::Overflow));
        assert_eq!(ev("1 +"), Err(ExprError::Syntax));
    }

    #[test]
    fn comparisons_logic_and_matching() {
        assert_eq!(ev("10 > 9").unwrap(), "1");
        assert_eq!(ev("10 > 9a").unwrap(), "0");
        assert_eq!(ev("abc = abc").unwrap(), "1");
        assert_eq!(ev("0 | x").unwrap(), "x");
        assert_eq!(ev("3 & 0").unwrap(), "0");
        assert_eq!(ev("abcdef : abc").unwrap(), "3");
        assert_eq!(ev("abcdef : b").unwrap(), "0");
        assert_eq!(ev("file.txt : \\(.*\\)\\.txt").unwrap(), "file");
        assert_eq!(ev("length hello").unwrap(), "5");
        assert!(is_null("0") && is_null("") && !is_null("00x"));
    }
}
