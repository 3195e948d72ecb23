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
    /// `<<` (here-documents; recognised only to be refused clearly)
    DLess,
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
                };
                match fd {
                    Some(n) => format!("{n}{op}"),
                    None => String::from(op),
                }
            }
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
pub fn tokenize(src: &str) -> Result<Vec<Spanned>, ParseError> {
    let mut lexer = Lexer {
        chars: src.chars().collect(),
        pos: 0,
        line: 1,
        token_line: 1,
        after_redirect: false,
    };
    let mut out = Vec::new();
    loop {
        let token = lexer.next_token()?;
        let line = lexer.token_line;
        lexer.after_redirect = matches!(token, Token::Redir { .. });
        let done = token == Token::Eof;
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
            ('&', Some('&')) => two(Token::Op(Op::AndIf)),
            ('&', _) => Token::Op(Op::Amp),
            (';', _) => Token::Op(Op::Semi),
            ('(', _) => Token::Op(Op::LParen),
            (')', _) => Token::Op(Op::RParen),
            ('<', Some('&')) => two(redir(RedirKind::LessAnd)),
            ('<', Some('<')) => two(redir(RedirKind::DLess)),
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
                '`' => return Err(syntax(self.line, "command substitution is not supported")),
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
                    return Err(syntax(self.line, "command substitution is not supported"));
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
                let mut inner = String::new();
                loop {
                    match self.bump() {
                        None => return Err(ParseError::Incomplete),
                        Some('}') => break,
                        Some(c) => inner.push(c),
                    }
                }
                braced_param(&inner)
                    .ok_or_else(|| syntax(self.line, &format!("bad substitution '${{{inner}}}'")))?
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
            Some('(') => return Err(syntax(self.line, "command substitution is not supported")),
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
