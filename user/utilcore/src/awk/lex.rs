//! `awk`'s lexer: source text to tokens (a `/` starts a regular expression only where
//! an operand may start), and the number syntax of input fields and constants.

use super::*;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    Str(String),
    Ere(String),
    Name(String),
    Builtin(&'static str),
    Kw(&'static str),
    Op(&'static str),
    Newline,
    Eof,
}

pub(crate) const KEYWORDS: &[&str] = &[
    "BEGIN", "END", "if", "else", "while", "for", "do", "in", "next", "exit", "break", "continue",
    "delete", "print", "printf", "getline", "function", "return",
];
pub(crate) const BUILTINS: &[&str] = &[
    "length", "substr", "index", "split", "sub", "gsub", "match", "toupper", "tolower", "int",
    "sprintf",
];
/// Longest first, so that `+=` is not read as `+` then `=`.
pub(crate) const OPS: &[&str] = &[
    "+=", "-=", "*=", "/=", "%=", "^=", "==", "<=", ">=", "!=", "++", "--", "&&", "||", "!~", "**",
    ">>", "{", "}", "(", ")", "[", "]", ";", ",", "+", "-", "*", "/", "%", "^", "!", ">", "<", "|",
    "?", ":", "~", "$", "=",
];

pub(crate) fn lex(src: &str) -> Result<Vec<Tok>, AwkError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut toks: Vec<Tok> = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c == b' ' || c == b'\t' || c == b'\r' {
            i += 1;
        } else if c == b'\\' && b.get(i + 1) == Some(&b'\n') {
            i += 2;
        } else if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'\n' {
            toks.push(Tok::Newline);
            i += 1;
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let (v, n) = number_prefix(&src[i..]);
            toks.push(Tok::Num(v));
            i += n.max(1);
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let w = &src[s..i];
            if let Some(k) = KEYWORDS.iter().find(|k| **k == w) {
                toks.push(Tok::Kw(k));
            } else if let Some(k) = BUILTINS.iter().find(|k| **k == w) {
                toks.push(Tok::Builtin(k));
            } else {
                toks.push(Tok::Name(String::from(w)));
            }
        } else if c == b'"' {
            i += 1;
            let mut s = Vec::new();
            loop {
                match b.get(i) {
                    None | Some(b'\n') => return fail(String::from("unterminated string")),
                    Some(b'"') => break,
                    Some(b'\\') => {
                        i += 1;
                        match b.get(i) {
                            Some(b'n') => s.push(b'\n'),
                            Some(b't') => s.push(b'\t'),
                            Some(b'r') => s.push(b'\r'),
                            Some(b'\\') => s.push(b'\\'),
                            Some(b'"') => s.push(b'"'),
                            Some(b'/') => s.push(b'/'),
                            Some(&d) => {
                                s.push(b'\\');
                                s.push(d);
                            }
                            None => return fail(String::from("unterminated string")),
                        }
                    }
                    Some(&d) => s.push(d),
                }
                i += 1;
            }
            i += 1;
            toks.push(Tok::Str(String::from_utf8_lossy(&s).into_owned()));
        } else if c == b'/' && regex_allowed(toks.last()) {
            i += 1;
            let mut s = Vec::new();
            let mut in_bracket = false;
            loop {
                match b.get(i) {
                    None | Some(b'\n') => return fail(String::from("unterminated regex")),
                    Some(b'/') if !in_bracket => break,
                    Some(b'\\') if b.get(i + 1) == Some(&b'/') => {
                        s.push(b'/');
                        i += 1;
                    }
                    Some(b'\\') => {
                        s.push(b'\\');
                        if let Some(&d) = b.get(i + 1) {
                            s.push(d);
                        }
                        i += 1;
                    }
                    Some(&d) => {
                        if d == b'[' {
                            in_bracket = true;
                        } else if d == b']' {
                            in_bracket = false;
                        }
                        s.push(d);
                    }
                }
                i += 1;
            }
            i += 1;
            toks.push(Tok::Ere(String::from_utf8_lossy(&s).into_owned()));
        } else {
            match OPS.iter().find(|o| src[i..].starts_with(**o)) {
                Some(o) => {
                    toks.push(Tok::Op(if *o == "**" { "^" } else { o }));
                    i += o.len();
                }
                None => return fail(format!("unexpected character `{}`", c as char)),
            }
        }
    }
    toks.push(Tok::Eof);
    Ok(toks)
}

/// A `/` starts a regular expression unless it follows something that ends an operand.
pub(crate) fn regex_allowed(prev: Option<&Tok>) -> bool {
    !matches!(
        prev,
        Some(Tok::Num(_) | Tok::Str(_) | Tok::Name(_) | Tok::Builtin(_) | Tok::Ere(_))
            | Some(Tok::Op(")" | "]" | "$" | "++" | "--"))
    )
}

/// The longest prefix of `s` that reads as a decimal number, and its length.
pub(crate) fn number_prefix(s: &str) -> (f64, usize) {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits_from = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i == digits_from || (i == digits_from + 1 && b[digits_from] == b'.') {
        return (0.0, 0);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    (s[..i].parse().unwrap_or(0.0), i)
}

/// A string's numeric value: its leading number after blanks, else 0.
pub(crate) fn str_to_num(s: &str) -> f64 {
    let t = s.trim_start_matches([' ', '\t', '\n']);
    number_prefix(t).0
}

/// Whether input text looks like a number as a whole (then it compares numerically).
pub(crate) fn looks_numeric(s: &str) -> bool {
    let t = s.trim_matches([' ', '\t', '\n']);
    let (_, n) = number_prefix(t);
    n > 0 && n == t.len()
}
