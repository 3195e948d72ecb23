//! Glob patterns: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`, matched against one name.
//!
//! Chapter 2 section 2-1 (the command interpreter): `rm *.o` works because the shell,
//! not `rm`, turns the pattern into the list of matching file names. This module is the
//! matching half; `sh` reads the directory and calls [`glob_match_filename`] per entry.
//!
//! Design decision: the pattern is first compiled to a list of single-character
//! matchers, then matched with the classic greedy loop that remembers only the last
//! `*` and retries from there: linear in practice, never exponential, no recursion.
//! A backslash makes the next character literal, which is how [`crate::Field`]
//! patterns keep quoted `*` from matching.

use alloc::vec::Vec;

/// Whether `c` is special in a glob pattern.
pub fn is_glob_meta(c: char) -> bool {
    matches!(c, '*' | '?' | '[')
}

enum Matcher {
    Char(char),
    AnyChar,
    AnyString,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Matcher {
    fn matches(&self, c: char) -> bool {
        match self {
            Matcher::Char(m) => *m == c,
            Matcher::AnyChar => true,
            Matcher::AnyString => false,
            Matcher::Class { negated, ranges } => {
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
        }
    }
}

/// Parses a bracket expression starting just after `[`; returns the matcher and the
/// index after `]`, or `None` if it is not closed (then `[` is an ordinary character).
fn class(p: &[char], mut i: usize) -> Option<(Matcher, usize)> {
    let negated = matches!(p.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let mut c = *p.get(i)?;
        if c == ']' && !first {
            return Some((Matcher::Class { negated, ranges }, i + 1));
        }
        first = false;
        if c == '\\' {
            i += 1;
            c = *p.get(i)?;
        }
        i += 1;
        match (p.get(i), p.get(i + 1)) {
            (Some('-'), Some(&hi)) if hi != ']' => {
                ranges.push((c, hi));
                i += 2;
            }
            _ => ranges.push((c, c)),
        }
    }
}

fn compile(pattern: &str) -> Vec<Matcher> {
    let p: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = p.get(i) {
        i += 1;
        let m = match c {
            '*' => Matcher::AnyString,
            '?' => Matcher::AnyChar,
            '[' => match class(&p, i) {
                Some((m, next)) => {
                    i = next;
                    m
                }
                None => Matcher::Char('['),
            },
            '\\' => match p.get(i) {
                Some(&e) => {
                    i += 1;
                    Matcher::Char(e)
                }
                None => Matcher::Char('\\'),
            },
            c => Matcher::Char(c),
        };
        out.push(m);
    }
    out
}

/// Whether `name` matches `pattern` entirely.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let pat = compile(pattern);
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    // Where the last `*` was, and how much of the name it has swallowed so far.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pat.get(p) {
            Some(Matcher::AnyString) => {
                star = Some((p, n));
                p += 1;
            }
            Some(m) if m.matches(name[n]) => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|m| matches!(m, Matcher::AnyString))
}

/// [`glob_match`] with the file-name rule: a leading `.` must be matched by a literal
/// `.` in the pattern, so `*` does not list hidden files.
pub fn glob_match_filename(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') && !pattern.starts_with("\\.") {
        return false;
    }
    glob_match(pattern, name)
}
