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

use crate::ast::{Part, Word};
use crate::ParseError;

mod param;
mod quote;

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
}
