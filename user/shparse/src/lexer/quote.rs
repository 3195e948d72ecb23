//! The lexer's quoted and nested text: here-documents, double quotes, backquotes,
//! `$(...)`, `$((...))` and `${...}` bodies, read up to their closing character so that
//! the word they belong to can be cut correctly (`"a b"` is one word, `$(ls | wc)` one part).

use alloc::string::String;
use alloc::vec::Vec;

use super::param::sub_parse;
use super::{push_text, syntax, Lexer};
use crate::ast::Part;
use crate::ParseError;

impl Lexer {
    /// The lines of a here-document up to the one that is exactly `delim` (that line
    /// is consumed but not part of the text).
    pub(super) fn heredoc_text(&mut self, strip: bool, delim: &str) -> Result<String, ParseError> {
        let mut text = String::new();
        loop {
            if self.peek().is_none() {
                return Err(ParseError::Incomplete);
            }
            let mut line = String::new();
            let mut ended = false;
            while let Some(c) = self.bump() {
                if c == '\n' {
                    ended = true;
                    break;
                }
                line.push(c);
            }
            let line = if strip {
                line.trim_start_matches('\t')
            } else {
                &line
            };
            if line == delim {
                return Ok(text);
            }
            if !ended {
                return Err(ParseError::Incomplete);
            }
            text.push_str(line);
            text.push('\n');
        }
    }

    /// The whole input read as if between double quotes, except that `"` is an
    /// ordinary character: the text of a here-document or of `$((...))`.
    pub(super) fn dq_text(&mut self) -> Result<Vec<Part>, ParseError> {
        let mut parts = Vec::new();
        while let Some(c) = self.bump() {
            match c {
                '\\' => match self.bump() {
                    None => push_text(&mut parts, true, "\\"),
                    Some('\n') => {}
                    Some(e @ ('$' | '\\' | '`')) => {
                        push_text(&mut parts, true, e.encode_utf8(&mut [0; 4]))
                    }
                    Some(e) => {
                        push_text(&mut parts, true, "\\");
                        push_text(&mut parts, true, e.encode_utf8(&mut [0; 4]));
                    }
                },
                '$' => self.dollar(&mut parts, true)?,
                '`' => self.backquote(&mut parts, true)?,
                c => push_text(&mut parts, true, c.encode_utf8(&mut [0; 4])),
            }
        }
        Ok(parts)
    }

    /// The text of a `` `...` `` substitution (past the opening backquote), parsed.
    pub(super) fn backquote(
        &mut self,
        parts: &mut Vec<Part>,
        quoted: bool,
    ) -> Result<(), ParseError> {
        let line = self.line;
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err(ParseError::Incomplete),
                Some('`') => break,
                Some('\\') => match self.bump() {
                    None => return Err(ParseError::Incomplete),
                    Some(e @ ('$' | '`' | '\\')) => text.push(e),
                    Some('"') if quoted => text.push('"'),
                    Some(e) => {
                        text.push('\\');
                        text.push(e);
                    }
                },
                Some(c) => text.push(c),
            }
        }
        let list = sub_parse(&text, line, self.depth)?;
        parts.push(Part::Command { list, quoted });
        Ok(())
    }

    /// Reads up to the `)` matching an already consumed `(`, skipping quoted text;
    /// returns what was between them. Inside a `case` ... `esac` of the substituted
    /// text, a `)` that ends a pattern (`a) cmd;;`) does not close anything.
    pub(super) fn balanced_paren(&mut self) -> Result<String, ParseError> {
        let mut text = String::new();
        let mut depth = 1;
        // The depth at which each open `case` started, innermost last.
        let mut cases: Vec<usize> = Vec::new();
        let mut word = String::new();
        loop {
            let c = self.bump().ok_or(ParseError::Incomplete)?;
            if c.is_ascii_alphanumeric() || c == '_' {
                word.push(c);
                text.push(c);
                continue;
            }
            match word.as_str() {
                "case" => cases.push(depth),
                "esac" => {
                    cases.pop();
                }
                _ => {}
            }
            word.clear();
            match c {
                '(' => depth += 1,
                ')' if cases.last() == Some(&depth) => {}
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(text);
                    }
                }
                '\\' => {
                    text.push(c);
                    let e = self.bump().ok_or(ParseError::Incomplete)?;
                    text.push(e);
                    continue;
                }
                '\'' | '"' => {
                    text.push(c);
                    self.skip_quoted(c, &mut text)?;
                    continue;
                }
                _ => {}
            }
            text.push(c);
        }
    }

    /// Copies quoted text up to and including the closing `close` into `text`.
    pub(super) fn skip_quoted(&mut self, close: char, text: &mut String) -> Result<(), ParseError> {
        loop {
            let c = self.bump().ok_or(ParseError::Incomplete)?;
            text.push(c);
            if c == '\\' && close == '"' {
                text.push(self.bump().ok_or(ParseError::Incomplete)?);
            } else if c == close {
                return Ok(());
            }
        }
    }

    /// Reads the text of `$((...))` (past `$((`) up to the closing `))`.
    pub(super) fn arith_text(&mut self) -> Result<String, ParseError> {
        let mut text = String::new();
        let mut depth = 0usize;
        loop {
            let c = self.bump().ok_or(ParseError::Incomplete)?;
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    if self.peek() == Some(')') {
                        self.bump();
                        return Ok(text);
                    }
                    return Err(syntax(self.line, "missing '))'"));
                }
                ')' => depth -= 1,
                _ => {}
            }
            text.push(c);
        }
    }

    /// Reads up to the `}` closing a `${` (already consumed).
    pub(super) fn brace_text(&mut self) -> Result<String, ParseError> {
        let mut text = String::new();
        let mut depth = 1;
        loop {
            let c = self.bump().ok_or(ParseError::Incomplete)?;
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(text);
                    }
                }
                '\\' => {
                    text.push(c);
                    text.push(self.bump().ok_or(ParseError::Incomplete)?);
                    continue;
                }
                '\'' | '"' => {
                    text.push(c);
                    self.skip_quoted(c, &mut text)?;
                    continue;
                }
                _ => {}
            }
            text.push(c);
        }
    }

    /// The word after a `${param OP`: quotes, `$` and backquotes as in a word, but
    /// blanks and operators are ordinary; in double quotes everything is quoted.
    pub(super) fn operand(&mut self, quoted: bool) -> Result<Vec<Part>, ParseError> {
        let mut parts = Vec::new();
        while let Some(c) = self.bump() {
            match c {
                '\\' => match self.bump() {
                    None => push_text(&mut parts, true, "\\"),
                    Some(e @ ('$' | '`' | '"' | '\\' | '}')) if quoted => {
                        push_text(&mut parts, true, e.encode_utf8(&mut [0; 4]))
                    }
                    Some(e) if quoted => {
                        push_text(&mut parts, true, "\\");
                        push_text(&mut parts, true, e.encode_utf8(&mut [0; 4]));
                    }
                    Some(e) => push_text(&mut parts, true, e.encode_utf8(&mut [0; 4])),
                },
                '\'' if !quoted => {
                    let mut text = String::new();
                    loop {
                        match self.bump() {
                            None => return Err(ParseError::Incomplete),
                            Some('\'') => break,
                            Some(c) => text.push(c),
                        }
                    }
                    push_text(&mut parts, true, &text);
                }
                '"' => {
                    self.double_quoted(&mut parts)?;
                }
                '$' => self.dollar(&mut parts, quoted)?,
                '`' => self.backquote(&mut parts, quoted)?,
                c => push_text(&mut parts, quoted, c.encode_utf8(&mut [0; 4])),
            }
        }
        Ok(parts)
    }

    /// Reads up to the closing `"` (already past the opening one).
    pub(super) fn double_quoted(&mut self, parts: &mut Vec<Part>) -> Result<(), ParseError> {
        let parts_before = parts.len();
        let mut pushed_anything = false;
        loop {
            match self.bump() {
                None => return Err(ParseError::Incomplete),
                Some('"') => break,
                Some('\\') => match self.bump() {
                    None => return Err(ParseError::Incomplete),
                    Some('\n') => {}
                    Some(e @ ('$' | '"' | '\\' | '`')) => {
                        push_text(parts, true, e.encode_utf8(&mut [0; 4]));
                        pushed_anything = true;
                    }
                    Some(e) => {
                        push_text(parts, true, "\\");
                        push_text(parts, true, e.encode_utf8(&mut [0; 4]));
                        pushed_anything = true;
                    }
                },
                Some('$') => {
                    self.dollar(parts, true)?;
                    pushed_anything = true;
                }
                Some('`') => {
                    self.backquote(parts, true)?;
                    pushed_anything = true;
                }
                Some(c) => {
                    push_text(parts, true, c.encode_utf8(&mut [0; 4]));
                    pushed_anything = true;
                }
            }
        }
        // `""` is an empty but present field; `"$@"` with no arguments is no field.
        if !pushed_anything && parts.len() == parts_before {
            parts.push(Part::Quoted(String::new()));
        }
        Ok(())
    }
}
