//! Extended regular expressions for `awk`, translated to the basic ones of `bre`
//! (`( )` groups, `x+`, `|` at the top level; the rest refused, not matched wrongly).

use super::*;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// An extended regular expression: alternatives, each a basic one.
#[derive(Debug, Clone)]
pub struct Ere {
    alts: Vec<bre::Regex>,
}

impl Ere {
    /// Translate and compile an ERE.
    pub fn new(pattern: &str) -> Result<Ere, AwkError> {
        let mut alts = Vec::new();
        for piece in split_top_alternatives(pattern)? {
            let b = ere_to_bre(&piece)?;
            match bre::Regex::new(&b) {
                Ok(r) => alts.push(r),
                Err(e) => return fail(format!("bad regular expression /{pattern}/: {e:?}")),
            }
        }
        Ok(Ere { alts })
    }

    /// The leftmost-longest match at or after `start`.
    pub fn find_at(&self, text: &[u8], start: usize) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        for r in &self.alts {
            if let Some((s, e)) = r.captures_at(text, start).and_then(|c| c[0]) {
                best = match best {
                    Some((bs, be)) if bs < s || (bs == s && be >= e) => Some((bs, be)),
                    _ => Some((s, e)),
                };
            }
        }
        best
    }

    /// Whether it matches anywhere.
    pub fn is_match(&self, text: &[u8]) -> bool {
        self.alts.iter().any(|r| r.is_match(text))
    }
}

pub(crate) fn split_top_alternatives(p: &str) -> Result<Vec<String>, AwkError> {
    let mut out = vec![String::new()];
    let mut depth = 0;
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let last = out.last_mut().unwrap();
                last.push(c);
                if let Some(n) = chars.next() {
                    last.push(n);
                }
            }
            '[' => {
                let last = out.last_mut().unwrap();
                last.push(c);
                copy_bracket(&mut chars, last);
            }
            '(' => {
                depth += 1;
                out.last_mut().unwrap().push(c);
            }
            ')' => {
                depth -= 1;
                out.last_mut().unwrap().push(c);
            }
            '|' if depth == 0 => out.push(String::new()),
            '|' => return fail(format!("/{p}/: `|` inside a group is not supported")),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    Ok(out)
}

/// Copy a bracket expression after its `[` up to and including its `]`.
pub(crate) fn copy_bracket(chars: &mut core::iter::Peekable<core::str::Chars>, out: &mut String) {
    if chars.peek() == Some(&'^') {
        out.push(chars.next().unwrap());
    }
    if chars.peek() == Some(&']') {
        out.push(chars.next().unwrap());
    }
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '[' && chars.peek() == Some(&':') {
            for d in chars.by_ref() {
                out.push(d);
                if d == ']' {
                    break;
                }
            }
        } else if c == ']' {
            break;
        }
    }
}

pub(crate) fn ere_to_bre(p: &str) -> Result<String, AwkError> {
    let mut out = String::new();
    let mut atom_start: Option<usize> = None;
    let mut group_starts = Vec::new();
    let mut chars = p.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let here = out.len();
        match c {
            '\\' => {
                let n = chars.next().unwrap_or('\\');
                match n {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    '.' | '[' | ']' | '*' | '^' | '$' | '\\' => {
                        out.push('\\');
                        out.push(n);
                    }
                    _ => out.push(n),
                }
                atom_start = Some(here);
            }
            '[' => {
                out.push('[');
                copy_bracket(&mut chars, &mut out);
                atom_start = Some(here);
            }
            '(' => {
                out.push_str("\\(");
                group_starts.push(here);
                atom_start = None;
            }
            ')' => {
                out.push_str("\\)");
                group_starts.pop();
                atom_start = None;
            }
            '+' => match atom_start {
                Some(s) => {
                    let atom = String::from(&out[s..]);
                    out.push_str(&atom);
                    out.push('*');
                    atom_start = None;
                }
                None => return fail(format!("/{p}/: `+` after a group is not supported")),
            },
            '*' => {
                if atom_start.is_none() && !first {
                    return fail(format!("/{p}/: `*` after a group is not supported"));
                }
                out.push('*');
                atom_start = None;
            }
            '?' | '{' => return fail(format!("/{p}/: `{c}` is not supported")),
            '^' if first => out.push('^'),
            '$' if chars.peek().is_none() => out.push('$'),
            '^' | '$' => {
                out.push('\\');
                out.push(c);
                atom_start = Some(here);
            }
            _ => {
                out.push(c);
                atom_start = Some(here);
            }
        }
        first = c == '^' && here == 0;
    }
    Ok(out)
}
