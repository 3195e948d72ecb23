//! `test` and `[`: the condition language of `if [ -f x ] && [ "$a" = b ]`.
//!
//! Chapter 2 section 2-1 (the command interpreter): a shell's `if` only looks at exit
//! statuses, so conditions are commands; `test` is the one that compares strings and
//! integers and asks about files. POSIX fixes how it reads its arguments by their
//! number (one argument: is it non-empty; two: a unary operator or `!`; three: a
//! binary operator, `!` or parentheses), and leaves longer expressions with `-a`, `-o`,
//! `!` and `( )` to the usual precedence (`!` binds tightest, then `-a`, then `-o`).
//!
//! Design decision: the evaluation is pure; questions about files go through
//! [`FileTest`], so everything but the file system is tested on the host.

use alloc::format;
use alloc::string::String;

/// Answers the file operators (`-e`, `-f`, `-d`, `-r`, `-w`, `-x`, `-s`, `-L`, ...).
pub trait FileTest {
    /// Whether `path` passes the test named by `op` (the letter after `-`); `-t` gets
    /// a descriptor number as `path`.
    fn file_test(&self, op: char, path: &str) -> bool;
}

const UNARY_FILE: &str = "bcdefghLprsStuwxGOk";

fn is_unary(op: &str) -> bool {
    let b = op.as_bytes();
    b.len() == 2 && b[0] == b'-' && (UNARY_FILE.contains(b[1] as char) || b"zn".contains(&b[1]))
}

fn is_binary(op: &str) -> bool {
    matches!(
        op,
        "=" | "!=" | "-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge" | "<" | ">"
    )
}

fn integer(s: &str) -> Result<i64, String> {
    let t = s.trim_matches(|c| c == ' ' || c == '\t');
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("illegal number: {s}"));
    }
    t.parse().map_err(|_| format!("illegal number: {s}"))
}

struct Eval<'a> {
    args: &'a [&'a str],
    files: &'a dyn FileTest,
}

impl Eval<'_> {
    fn unary(&self, op: &str, arg: &str) -> bool {
        match op {
            "-z" => arg.is_empty(),
            "-n" => !arg.is_empty(),
            _ => self.files.file_test(op.as_bytes()[1] as char, arg),
        }
    }

    fn binary(&self, a: &str, op: &str, b: &str) -> Result<bool, String> {
        Ok(match op {
            "=" => a == b,
            "!=" => a != b,
            "<" => a < b,
            ">" => a > b,
            _ => {
                let (x, y) = (integer(a)?, integer(b)?);
                match op {
                    "-eq" => x == y,
                    "-ne" => x != y,
                    "-lt" => x < y,
                    "-le" => x <= y,
                    "-gt" => x > y,
                    _ => x >= y,
                }
            }
        })
    }

    /// The POSIX rules for up to four arguments, else the general grammar.
    fn by_count(&self, a: &[&str]) -> Result<bool, String> {
        match a {
            [] => Ok(false),
            [x] => Ok(!x.is_empty()),
            ["!", x] => Ok(x.is_empty()),
            [op, x] if is_unary(op) => Ok(self.unary(op, x)),
            [x, _] => Err(format!("{x}: unary operator expected")),
            [x, op, y] if is_binary(op) => self.binary(x, op, y),
            [x, "-a", y] => Ok(!x.is_empty() && !y.is_empty()),
            [x, "-o", y] => Ok(!x.is_empty() || !y.is_empty()),
            ["!", rest @ ..] if a.len() <= 4 => self.by_count(rest).map(|v| !v),
            ["(", x, ")"] => Ok(!x.is_empty()),
            ["(", x, y, ")"] => self.by_count(&[x, y]),
            _ => {
                let mut p = Parser { e: self, pos: 0 };
                let v = p.or()?;
                match self.args.get(p.pos) {
                    None => Ok(v),
                    Some(t) => Err(format!("{t}: unexpected operator")),
                }
            }
        }
    }
}

struct Parser<'a> {
    e: &'a Eval<'a>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.e.args.get(self.pos).copied()
    }

    fn next(&mut self) -> Result<&'a str, String> {
        let e: &'a Eval<'a> = self.e;
        let t = e
            .args
            .get(self.pos)
            .copied()
            .ok_or_else(|| String::from("argument expected"))?;
        self.pos += 1;
        Ok(t)
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut v = self.and()?;
        while self.peek() == Some("-o") {
            self.pos += 1;
            let r = self.and()?;
            v = v || r;
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut v = self.not()?;
        while self.peek() == Some("-a") {
            self.pos += 1;
            let r = self.not()?;
            v = v && r;
        }
        Ok(v)
    }

    fn not(&mut self) -> Result<bool, String> {
        if self.peek() == Some("!") {
            self.pos += 1;
            return self.not().map(|v| !v);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<bool, String> {
        let t = self.next()?;
        if t == "(" {
            let v = self.or()?;
            return match self.next() {
                Ok(")") => Ok(v),
                _ => Err(String::from("')' expected")),
            };
        }
        if is_unary(t) {
            if let Some(arg) = self.peek() {
                self.pos += 1;
                return Ok(self.e.unary(t, arg));
            }
        }
        if let Some(op) = self.peek().filter(|op| is_binary(op)) {
            self.pos += 1;
            let rhs = self.next()?;
            return self.e.binary(t, op, rhs);
        }
        Ok(!t.is_empty())
    }
}

/// Evaluates the arguments of `test` (for `[`, without the closing `]`): `Ok(true)`
/// is exit status 0, `Ok(false)` 1, and an error (status 2) says what is wrong.
pub fn evaluate(args: &[&str], files: &dyn FileTest) -> Result<bool, String> {
    Eval { args, files }.by_count(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files: `file` (non-empty regular), `empty`, `dir`.
    struct Fake;
    impl FileTest for Fake {
        fn file_test(&self, op: char, path: &str) -> bool {
            matches!(
                (op, path),
                ('e' | 'r', "file" | "empty" | "dir")
                    | ('f', "file" | "empty")
                    | ('s', "file" | "dir")
                    | ('d', "dir")
            )
        }
    }

    fn t(args: &str) -> Result<bool, String> {
        let v: alloc::vec::Vec<&str> = args.split(' ').filter(|s| !s.is_empty()).collect();
        evaluate(&v, &Fake)
    }

    #[test]
    fn strings_integers_and_files() {
        assert_eq!(t(""), Ok(false));
        assert_eq!(t("x"), Ok(true));
        assert_eq!(t("-n x"), Ok(true));
        assert_eq!(t("-z x"), Ok(false));
        assert_eq!(t("a = a"), Ok(true));
        assert_eq!(t("a != a"), Ok(false));
        assert_eq!(t("3 -lt 10"), Ok(true));
        assert_eq!(t("-3 -ge -2"), Ok(false));
        assert_eq!(t("7 -eq 7"), Ok(true));
        assert_eq!(t("-f file"), Ok(true));
        assert_eq!(t("-f dir"), Ok(false));
        assert_eq!(t("-d dir"), Ok(true));
        assert_eq!(t("-s empty"), Ok(false));
        assert_eq!(t("-e nothing"), Ok(false));
        // A lone operator is a non-empty string.
        assert_eq!(t("-f"), Ok(true));
        assert_eq!(t("="), Ok(true));
    }

    #[test]
    fn negation_and_connectives() {
        assert_eq!(t("! x"), Ok(false));
        assert_eq!(t("! -d file"), Ok(true));
        assert_eq!(t("! a = b"), Ok(true));
        assert_eq!(t("( a )"), Ok(true));
        assert_eq!(t("-f file -a -d dir"), Ok(true));
        assert_eq!(t("-f dir -o -d dir"), Ok(true));
        assert_eq!(t("-f dir -o -d file -a x"), Ok(false));
        assert_eq!(t("1 -eq 1 -o 1 -eq 2 -a 1 -eq 3"), Ok(true));
        assert_eq!(t("( 1 -eq 1 -o 1 -eq 2 ) -a 1 -eq 3"), Ok(false));
        assert_eq!(t("! ( a = b ) -a x"), Ok(true));
    }

    #[test]
    fn errors() {
        assert!(t("a -eq 1").unwrap_err().contains("illegal number"));
        assert!(t("x y").unwrap_err().contains("unary operator expected"));
        assert!(t("( a -a b").is_err());
        assert!(t("a b c d e").is_err());
    }
}
