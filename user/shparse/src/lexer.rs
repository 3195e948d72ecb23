//! The shell's lexer: characters to words and operators.
//!
//! Chapter 2 section 2-1 (the command interpreter): before a shell can run `ls -l |
//! wc >out`, it must cut the line into the words `ls`, `-l`, `wc` and the operators
//! `|` and `>`, honouring quotes (`'a b'` is one word), backslashes, `$` parameters,
//! comments and file-descriptor numbers (`2>&1`).
//!
//! Design decision: quoting is resolved here, once. Each [`Word`] comes out as a list
//! of parts that remember whether they were quoted, so the parser never sees quote
//! characters and the expander knows exactly which text may be split or globbed.
//! Running out of input inside a quote or after a trailing backslash is reported as
//! [`ParseError::Incomplete`], which lets an interactive shell print `> ` and read on.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::ast::{Param, Part, Word};
use crate::ParseError;

/// A control operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `|`
    Pipe,
    /// `||`
    OrIf,
    /// `&`
    Amp,
    /// `&&`
    AndIf,
    /// `;`
    Semi,
    /// `;;` (ends a `case` arm)
    DSemi,
    /// `(`
    LParen,
    /// `)`
    RParen,
}

/// A redirection operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirKind {
    /// `<`
    Less,
    /// `>` (and `>|`)
    Great,
    /// `>>`
    DGreat,
    /// `<&`
    LessAnd,
    /// `>&`
    GreatAnd,
    /// `<<` (a here-document)
    DLess,
    /// `<<-` (a here-document with leading tabs removed)
    DLessDash,
    /// `<>`
    LessGreat,
}

/// One token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// A word (reserved words such as `if` are words; the parser spots them).
    Word(Word),
    /// A control operator.
    Op(Op),
    /// A redirection operator with its optional descriptor number (`2>`).
    Redir {
        /// The number written just before the operator, if any.
        fd: Option<u32>,
        /// The operator.
        kind: RedirKind,
    },
    /// `<<WORD` with its body, read from the lines after the command.
    HereDoc {
        /// The number written before `<<`, if any.
        fd: Option<u32>,
        /// The body: expandable parts, or one quoted part if the delimiter was quoted.
        body: Word,
    },
    /// A newline: a command separator.
    Newline,
    /// End of input.
    Eof,
}

impl Token {
    /// How the token is shown in a syntax error.
    pub fn describe(&self) -> String {
        match self {
            Token::Word(w) => w.text.clone(),
            Token::Op(op) => String::from(match op {
                Op::Pipe => "|",
                Op::OrIf => "||",
                Op::Amp => "&",
                Op::AndIf => "&&",
                Op::Semi => ";",
                Op::DSemi => ";;",
                Op::LParen => "(",
                Op::RParen => ")",
            }),
            Token::Redir { fd, kind } => {
                let op = match kind {
                    RedirKind::Less => "<",
                    RedirKind::Great => ">",
                    RedirKind::DGreat => ">>",
                    RedirKind::LessAnd => "<&",
                    RedirKind::GreatAnd => ">&",
                    RedirKind::DLess => "<<",
                    RedirKind::DLessDash => "<<-",
                    RedirKind::LessGreat => "<>",
                };
                match fd {
                    Some(n) => format!("{n}{op}"),
                    None => String::from(op),
                }
            }
            Token::HereDoc { .. } => String::from("<<"),
            Token::Newline | Token::Eof => String::from("newline"),
        }
    }
}

/// A token and the line (from 1) it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned {
    /// The token.
    pub token: Token,
    /// Its line number.
    pub line: usize,
}

/// Cuts `src` into tokens, ending with [`Token::Eof`].
///
/// A here-document's body is read at the first newline after its `<<WORD`, so the
/// token stream holds it in a [`Token::HereDoc`] where the operator was.
pub fn tokenize(src: &str) -> Result<Vec<Spanned>, ParseError> {
    tokenize_at(src, 0)
}

/// Deepest nesting of substitutions (`$(...)`, backquotes, `${x:-...}`, here-documents
/// and `$((...))` inside each other) and, per text, of compound commands: each level
/// is a few stack frames of the recursive lexer and parser, and a 4 KiB line of
/// `$($($(...)))` overflowed the shell's stack (found with the host fuzz target's check,
/// `fuzz/regressions/shell/`). Deeper text is a syntax error.
pub const MAX_NESTING: usize = 64;

/// [`tokenize`] for text nested `depth` substitutions deep.
pub(crate) fn tokenize_at(src: &str, depth: usize) -> Result<Vec<Spanned>, ParseError> {
    let mut lexer = Lexer::new(src, 1, depth);
    let mut out: Vec<Spanned> = Vec::new();
    // Here-documents waiting for their bodies: (token index, strip tabs, delimiter, quoted).
    let mut pending: Vec<(usize, bool, String, bool)> = Vec::new();
    loop {
        let token = lexer.next_token()?;
        let line = lexer.token_line;
        lexer.after_redirect = matches!(token, Token::Redir { .. });
        if let Token::Redir {
            fd,
            kind: kind @ (RedirKind::DLess | RedirKind::DLessDash),
        } = token
        {
            lexer.after_redirect = true;
            let delim = match lexer.next_token()? {
                Token::Word(w) => w,
                Token::Eof => return Err(ParseError::Incomplete),
                t => {
                    return Err(syntax(
                        line,
                        &format!("unexpected '{}' after <<", t.describe()),
                    ))
                }
            };
            let quoted = delim.parts.iter().any(|p| !matches!(p, Part::Literal(_)));
            let text: String = delim
                .parts
                .iter()
                .map(|p| match p {
                    Part::Literal(s) | Part::Quoted(s) => s.as_str(),
                    _ => "",
                })
                .collect();
            let strip = kind == RedirKind::DLessDash;
            pending.push((out.len(), strip, text, quoted));
            let body = Word::default();
            out.push(Spanned {
                token: Token::HereDoc { fd, body },
                line,
            });
            continue;
        }
        if token == Token::Newline {
            for (index, strip, delim, quoted) in pending.drain(..) {
                let text = lexer.heredoc_text(strip, &delim)?;
                let body = if quoted {
                    Word {
                        parts: alloc::vec![Part::Quoted(text.clone())],
                        text,
                    }
                } else {
                    let parts = lexer.nested(&text, lexer.line)?.dq_text()?;
                    Word { parts, text }
                };
                if let Token::HereDoc { body: b, .. } = &mut out[index].token {
                    *b = body;
                }
            }
        }
        let done = token == Token::Eof;
        if done && !pending.is_empty() {
            return Err(ParseError::Incomplete);
        }
        out.push(Spanned { token, line });
        if done {
            return Ok(out);
        }
    }
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    /// The line the next character is on.
    line: usize,
    /// The line the current token started on.
    token_line: usize,
    /// The previous token was a redirection, so the next is its target word even if it
    /// is all digits followed by `<` or `>` (`2>&1>file`).
    after_redirect: bool,
    /// Substitutions this text is nested in.
    depth: usize,
}

fn is_operator_char(c: char) -> bool {
    matches!(c, '|' | '&' | ';' | '(' | ')' | '<' | '>')
}

fn is_word_end(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n') || is_operator_char(c)
}

/// Appends text to the last part if it is of the same kind, else starts a new part.
fn push_text(parts: &mut Vec<Part>, quoted: bool, text: &str) {
    match (parts.last_mut(), quoted) {
        (Some(Part::Quoted(s)), true) | (Some(Part::Literal(s)), false) => s.push_str(text),
        _ if quoted => parts.push(Part::Quoted(String::from(text))),
        _ => parts.push(Part::Literal(String::from(text))),
    }
}

fn syntax(line: usize, message: &str) -> ParseError {
    ParseError::Syntax {
        line,
        message: format!("syntax error: {message}"),
    }
}

impl Lexer {
    fn new(src: &str, line: usize, depth: usize) -> Lexer {
        Lexer {
            chars: src.chars().collect(),
            pos: 0,
            line,
            token_line: line,
            after_redirect: false,
            depth,
        }
    }

    /// A lexer for text nested one level inside this one (a syntax error
    /// past [`MAX_NESTING`]).
    fn nested(&self, src: &str, line: usize) -> Result<Lexer, ParseError> {
        if self.depth >= MAX_NESTING {
            return Err(syntax(line, "substitutions nested too deeply"));
        }
        Ok(Lexer::new(src, line, self.depth + 1))
    }

    /// The lines of a here-document up to the one that is exactly `delim` (that line
    /// is consumed but not part of the text).
    fn heredoc_text(&mut self, strip: bool, delim: &str) -> Result<String, ParseError> {
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
    fn dq_text(&mut self) -> Result<Vec<Part>, ParseError> {
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
    fn backquote(&mut self, parts: &mut Vec<Part>, quoted: bool) -> Result<(), ParseError> {
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
    fn balanced_paren(&mut self) -> Result<String, ParseError> {
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
    fn skip_quoted(&mut self, close: char, text: &mut String) -> Result<(), ParseError> {
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
    fn arith_text(&mut self) -> Result<String, ParseError> {
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
    fn brace_text(&mut self) -> Result<String, ParseError> {
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
    fn operand(&mut self, quoted: bool) -> Result<Vec<Part>, ParseError> {
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

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn next_token(&mut self) -> Result<Token, ParseError> {
        // Blanks, line continuations and comments separate tokens.
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(' ' | '\t'), _) => self.pos += 1,
                (Some('\\'), Some('\n')) => {
                    self.bump();
                    self.bump();
                }
                (Some('#'), _) => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
        self.token_line = self.line;
        let Some(c) = self.peek() else {
            return Ok(Token::Eof);
        };
        if c == '\n' {
            self.bump();
            return Ok(Token::Newline);
        }
        if is_operator_char(c) {
            return Ok(self.operator(None));
        }
        if c.is_ascii_digit() && !self.after_redirect {
            let digits = self.chars[self.pos..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if matches!(self.peek_at(digits), Some('<' | '>')) {
                let text: String = self.chars[self.pos..self.pos + digits].iter().collect();
                let fd = text
                    .parse()
                    .map_err(|_| syntax(self.line, &format!("bad file descriptor '{text}'")))?;
                self.pos += digits;
                return Ok(self.operator(Some(fd)));
            }
        }
        self.word().map(Token::Word)
    }

    /// Reads an operator at the current position (known to start with an operator char).
    fn operator(&mut self, fd: Option<u32>) -> Token {
        let c = self.bump().unwrap_or(';');
        let next = self.peek();
        let mut two = |t: Token| {
            self.pos += 1;
            t
        };
        let redir = |kind| Token::Redir { fd, kind };
        match (c, next) {
            ('|', Some('|')) => two(Token::Op(Op::OrIf)),
            ('|', _) => Token::Op(Op::Pipe),
            (';', Some(';')) => two(Token::Op(Op::DSemi)),
            ('&', Some('&')) => two(Token::Op(Op::AndIf)),
            ('&', _) => Token::Op(Op::Amp),
            (';', _) => Token::Op(Op::Semi),
            ('(', _) => Token::Op(Op::LParen),
            (')', _) => Token::Op(Op::RParen),
            ('<', Some('&')) => two(redir(RedirKind::LessAnd)),
            ('<', Some('<')) => {
                self.pos += 1;
                if self.peek() == Some('-') {
                    self.pos += 1;
                    redir(RedirKind::DLessDash)
                } else {
                    redir(RedirKind::DLess)
                }
            }
            ('<', Some('>')) => two(redir(RedirKind::LessGreat)),
            ('<', _) => redir(RedirKind::Less),
            ('>', Some('>')) => two(redir(RedirKind::DGreat)),
            ('>', Some('&')) => two(redir(RedirKind::GreatAnd)),
            ('>', Some('|')) => two(redir(RedirKind::Great)),
            _ => redir(RedirKind::Great),
        }
    }

    fn word(&mut self) -> Result<Word, ParseError> {
        let start = self.pos;
        let mut parts = Vec::new();
        while let Some(c) = self.peek() {
            if is_word_end(c) {
                break;
            }
            match c {
                '\\' => {
                    self.bump();
                    match self.bump() {
                        None => return Err(ParseError::Incomplete),
                        Some('\n') => {} // line continuation
                        Some(e) => push_text(&mut parts, true, e.encode_utf8(&mut [0; 4])),
                    }
                }
                '\'' => {
                    self.bump();
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
                    self.bump();
                    self.double_quoted(&mut parts)?;
                }
                '$' => {
                    self.bump();
                    self.dollar(&mut parts, false)?;
                }
                '`' => {
                    self.bump();
                    self.backquote(&mut parts, false)?;
                }
                '~' if self.pos == start
                    && self.peek_at(1).is_none_or(|n| n == '/' || is_word_end(n)) =>
                {
                    self.bump();
                    parts.push(Part::Tilde);
                }
                _ => {
                    self.bump();
                    push_text(&mut parts, false, c.encode_utf8(&mut [0; 4]));
                }
            }
        }
        let text = self.chars[start..self.pos].iter().collect();
        Ok(Word { parts, text })
    }

    /// Reads up to the closing `"` (already past the opening one).
    fn double_quoted(&mut self, parts: &mut Vec<Part>) -> Result<(), ParseError> {
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

    /// Reads what follows a `$` (already consumed).
    fn dollar(&mut self, parts: &mut Vec<Part>, quoted: bool) -> Result<(), ParseError> {
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
fn sub_parse(text: &str, line: usize, depth: usize) -> Result<crate::ast::List, ParseError> {
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
