//! The lexer's parameters and substitutions: what follows a `$` (`$name`, `$1`, `$?`,
//! `${name:-word}`, `${#name}`, `$(cmd)`, `$((expr))`), turned into word parts that the
//! expander evaluates later.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{push_text, syntax, Lexer, MAX_NESTING};
use crate::ast::{Param, Part};
use crate::ParseError;

impl Lexer {
    /// Reads what follows a `$` (already consumed).
    pub(super) fn dollar(&mut self, parts: &mut Vec<Part>, quoted: bool) -> Result<(), ParseError> {
        let param = match self.peek() {
            Some('{') => {
                self.bump();
                let line = self.line;
                let inner = self.brace_text()?;
                let part = braced(&inner, quoted, line, self.depth)
                    .ok_or_else(|| syntax(line, &format!("bad substitution '${{{inner}}}'")))??;
                parts.push(part);
                return Ok(());
            }
            Some('(') if self.peek_at(1) == Some('(') => {
                self.pos += 2;
                let line = self.line;
                let text = self.arith_text()?;
                let expr = self.nested(&text, line)?.dq_text()?;
                parts.push(Part::Arith { expr, quoted });
                return Ok(());
            }
            Some('(') => {
                self.bump();
                let line = self.line;
                let text = self.balanced_paren()?;
                let list = sub_parse(&text, line, self.depth)?;
                parts.push(Part::Command { list, quoted });
                return Ok(());
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = String::new();
                while let Some(c) = self
                    .peek()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    name.push(c);
                    self.pos += 1;
                }
                Param::Named(name)
            }
            Some(c) if c.is_ascii_digit() => {
                self.pos += 1;
                Param::Positional(c as usize - '0' as usize)
            }
            Some(c @ ('?' | '$' | '#' | '@' | '*' | '!')) => {
                self.pos += 1;
                special_param(c)
            }
            _ => {
                // A `$` followed by nothing special is just a dollar sign.
                push_text(parts, quoted, "$");
                return Ok(());
            }
        };
        parts.push(Part::Param { param, quoted });
        Ok(())
    }
}

fn special_param(c: char) -> Param {
    match c {
        '?' => Param::Status,
        '$' => Param::Pid,
        '#' => Param::Count,
        '@' => Param::All,
        '*' => Param::Star,
        _ => Param::LastBackground,
    }
}

/// Parses the text of a command substitution; its syntax errors are reported on the
/// line where it starts.
pub(super) fn sub_parse(
    text: &str,
    line: usize,
    depth: usize,
) -> Result<crate::ast::List, ParseError> {
    if depth >= MAX_NESTING {
        return Err(syntax(line, "substitutions nested too deeply"));
    }
    match crate::parser::parse_at(text, depth + 1) {
        Err(ParseError::Syntax { line: l, message }) => Err(ParseError::Syntax {
            line: line + l - 1,
            message,
        }),
        // The closing `)` or backquote was found, so more input cannot help.
        Err(ParseError::Incomplete) => Err(syntax(line, "unexpected end of command substitution")),
        Ok(list) => Ok(list),
    }
}

/// What is inside `${...}`: `#param`, `param`, or `param OP word`; `None` if malformed.
fn braced(
    inner: &str,
    quoted: bool,
    line: usize,
    depth: usize,
) -> Option<Result<Part, ParseError>> {
    use crate::ast::ParamOp;
    if let Some(rest) = inner.strip_prefix('#') {
        if !rest.is_empty() {
            return braced_param(rest).map(|p| Ok(Part::Length(p)));
        }
    }
    // The parameter: a name, digits, or one special character.
    let len = match inner.chars().next()? {
        c if c.is_ascii_alphabetic() || c == '_' => inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(inner.len()),
        c if c.is_ascii_digit() => inner
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(inner.len()),
        '?' | '$' | '#' | '@' | '*' | '!' => 1,
        _ => return None,
    };
    let param = braced_param(&inner[..len])?;
    let rest = &inner[len..];
    if rest.is_empty() {
        return Some(Ok(Part::Param { param, quoted }));
    }
    let (colon, rest) = match rest.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (op, word) = match rest.chars().next()? {
        '-' => (ParamOp::Default, &rest[1..]),
        '=' => (ParamOp::Assign, &rest[1..]),
        '?' => (ParamOp::Error, &rest[1..]),
        '+' => (ParamOp::Alternative, &rest[1..]),
        '#' if !colon => match rest.strip_prefix("##") {
            Some(w) => (ParamOp::TrimLongestPrefix, w),
            None => (ParamOp::TrimPrefix, &rest[1..]),
        },
        '%' if !colon => match rest.strip_prefix("%%") {
            Some(w) => (ParamOp::TrimLongestSuffix, w),
            None => (ParamOp::TrimSuffix, &rest[1..]),
        },
        _ => return None,
    };
    // A pattern is a pattern even inside double quotes.
    let pattern = matches!(
        op,
        ParamOp::TrimPrefix
            | ParamOp::TrimLongestPrefix
            | ParamOp::TrimSuffix
            | ParamOp::TrimLongestSuffix
    );
    if depth >= MAX_NESTING {
        return Some(Err(syntax(line, "substitutions nested too deeply")));
    }
    let word = match Lexer::new(word, line, depth + 1).operand(quoted && !pattern) {
        Ok(w) => w,
        Err(e) => return Some(Err(e)),
    };
    Some(Ok(Part::ParamOp {
        param,
        op,
        colon,
        word,
        quoted,
    }))
}

/// The parameter inside `${...}`: a name, a number or one special character.
fn braced_param(inner: &str) -> Option<Param> {
    let mut chars = inner.chars();
    let first = chars.next()?;
    if first.is_ascii_alphabetic() || first == '_' {
        let ok = inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return ok.then(|| Param::Named(String::from(inner)));
    }
    if inner.chars().all(|c| c.is_ascii_digit()) {
        return inner.parse().ok().map(Param::Positional);
    }
    match (first, chars.next()) {
        (c @ ('?' | '$' | '#' | '@' | '*' | '!'), None) => Some(special_param(c)),
        _ => None,
    }
}
