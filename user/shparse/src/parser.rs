//! The shell's parser: tokens to a syntax tree, by recursive descent.
//!
//! Chapter 2 section 2-1 (the command interpreter): the grammar is the POSIX shell's,
//! cut down to what dinos' `sh` runs. Each level is one function:
//!
//! ```text
//! list      := and_or ((';' | '&' | newline) and_or)*
//! and_or    := pipeline (('&&' | '||') newline* pipeline)*
//! pipeline  := ['!'] command ('|' newline* command)*
//! command   := simple | (if | while | until | for | '{' list '}' | '(' list ')') redirect*
//! simple    := (assignment | redirect)* (word | redirect)*
//! ```
//!
//! Design decision: "the input stopped too early" and "the input is wrong" are different
//! answers. Running out of tokens where the grammar still expects something (after `|`,
//! `&&`, inside an `if` without `fi`) gives [`ParseError::Incomplete`], so the shell can
//! prompt `> ` for another line and parse the whole text again; a token that cannot
//! appear where it is gives a [`ParseError::Syntax`] naming it, as in `syntax error near
//! unexpected token 'fi'`. Reserved words (`if`, `then`, `do`, `}` ...) are recognised
//! only where a command may start, so `echo if }` prints `if }`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::ast::{
    AndOr, Assignment, Command, Compound, Connector, Item, List, Part, Pipeline, Redirect,
    RedirectOp, SimpleCommand, Word,
};
use crate::lexer::{tokenize_at, Op, RedirKind, Spanned, Token};
use crate::ParseError;

/// Words that are reserved in command position.
const RESERVED: [&str; 15] = [
    "if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "{", "}", "!",
    "case", "esac",
];

/// Parses a whole script (or one interactive line, plus any continuation lines).
pub fn parse(src: &str) -> Result<List, ParseError> {
    parse_at(src, 0)
}

/// [`parse`] for the text of a substitution nested `depth` levels deep.
pub(crate) fn parse_at(src: &str, depth: usize) -> Result<List, ParseError> {
    let tokens = tokenize_at(src, depth)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    parser.list(&[])
}

/// Whether `s` can be a variable name.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Where a list ends: a reserved word, or `)` for a subshell.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Terminator {
    Word(&'static str),
    RParen,
    /// `;;`, or `esac` (the end of a `case` arm).
    CaseArm,
}

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
    /// Compound commands open around the current token (bounded by
    /// [`crate::lexer::MAX_NESTING`]: the parser recurses into each).
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The token list always ends with Eof, and `bump` never moves past it.
        self.tokens.get(self.pos).map_or(&Token::Eof, |s| &s.token)
    }

    /// Takes the current token and moves on. The token is moved out, not cloned: a
    /// word holds the parsed trees of its command substitutions, and cloning those at
    /// every level made `$($($(...)))` cubic (2,000 characters took 15 s; found with the
    /// host fuzz target's check, `fuzz/regressions/shell/`). Nothing looks back at a token
    /// once it is consumed; the final `Eof` stays in place.
    fn bump(&mut self) -> Token {
        if self.pos + 1 < self.tokens.len() {
            let token = core::mem::replace(&mut self.tokens[self.pos].token, Token::Eof);
            self.pos += 1;
            token
        } else {
            self.peek().clone()
        }
    }

    fn line(&self) -> usize {
        self.tokens.get(self.pos).map_or(0, |s| s.line)
    }

    /// The reserved word at the current position, if the token is one.
    fn reserved(&self) -> Option<&'static str> {
        match self.peek() {
            Token::Word(w) => {
                let text = w.as_literal()?;
                RESERVED.iter().copied().find(|r| *r == text)
            }
            _ => None,
        }
    }

    fn skip_newlines(&mut self) {
        while *self.peek() == Token::Newline {
            self.bump();
        }
    }

    /// The error for the current token: incomplete at end of input, else a syntax error.
    fn unexpected(&self) -> ParseError {
        match self.peek() {
            Token::Eof => ParseError::Incomplete,
            t => self.unexpected_token(t),
        }
    }

    fn unexpected_token(&self, t: &Token) -> ParseError {
        ParseError::Syntax {
            line: self.line(),
            message: format!("syntax error near unexpected token '{}'", t.describe()),
        }
    }

    fn at_terminator(&self, terms: &[Terminator]) -> bool {
        terms.iter().any(|t| match t {
            Terminator::Word(w) => self.reserved() == Some(w),
            Terminator::RParen => *self.peek() == Token::Op(Op::RParen),
            Terminator::CaseArm => {
                *self.peek() == Token::Op(Op::DSemi) || self.reserved() == Some("esac")
            }
        })
    }

    /// `list`, ending at end of input (top level) or before one of `terms`.
    fn list(&mut self, terms: &[Terminator]) -> Result<List, ParseError> {
        let mut items = Vec::new();
        loop {
            self.skip_newlines();
            if *self.peek() == Token::Eof {
                if terms.is_empty() {
                    break;
                }
                return Err(ParseError::Incomplete);
            }
            if self.at_terminator(terms) {
                break;
            }
            let and_or = self.and_or()?;
            let background = match self.peek() {
                Token::Op(Op::Amp) => {
                    self.bump();
                    true
                }
                Token::Op(Op::Semi) => {
                    self.bump();
                    false
                }
                Token::Newline | Token::Eof => false,
                _ if self.at_terminator(terms) => false,
                _ => return Err(self.unexpected()),
            };
            items.push(Item { and_or, background });
        }
        Ok(List { items })
    }

    /// A non-empty list ending before one of `terms` (the body of a compound command).
    fn compound_list(&mut self, terms: &[Terminator]) -> Result<List, ParseError> {
        let list = self.list(terms)?;
        if terms.contains(&Terminator::CaseArm) {
            return Ok(list); // a `case` arm may be empty
        }
        if list.items.is_empty() {
            return Err(self.unexpected());
        }
        Ok(list)
    }

    /// Consumes the reserved word `word`, or reports the token found instead.
    fn expect(&mut self, word: &str) -> Result<(), ParseError> {
        if self.reserved() == Some(word) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn and_or(&mut self) -> Result<AndOr, ParseError> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let connector = match self.peek() {
                Token::Op(Op::AndIf) => Connector::And,
                Token::Op(Op::OrIf) => Connector::Or,
                _ => break,
            };
            self.bump();
            self.skip_newlines();
            rest.push((connector, self.pipeline()?));
        }
        Ok(AndOr { first, rest })
    }

    fn pipeline(&mut self) -> Result<Pipeline, ParseError> {
        let negated = self.reserved() == Some("!");
        if negated {
            self.bump();
        }
        let mut commands = Vec::from([self.command()?]);
        while *self.peek() == Token::Op(Op::Pipe) {
            self.bump();
            self.skip_newlines();
            commands.push(self.command()?);
        }
        Ok(Pipeline { negated, commands })
    }

    fn command(&mut self) -> Result<Command, ParseError> {
        if self.depth >= crate::lexer::MAX_NESTING {
            return Err(ParseError::Syntax {
                line: self.line(),
                message: String::from("syntax error: commands nested too deeply"),
            });
        }
        self.depth += 1;
        let c = self.command_inner();
        self.depth -= 1;
        c
    }

    fn command_inner(&mut self) -> Result<Command, ParseError> {
        let compound = match (self.peek(), self.reserved()) {
            (Token::Eof, _) => return Err(ParseError::Incomplete),
            (_, Some("if")) => self.if_clause()?,
            (_, Some(w @ ("while" | "until"))) => self.loop_clause(w == "until")?,
            (_, Some("for")) => self.for_clause()?,
            (_, Some("case")) => self.case_clause()?,
            (_, Some("{")) => {
                self.bump();
                let body = self.compound_list(&[Terminator::Word("}")])?;
                self.expect("}")?;
                Compound::Group(body)
            }
            (Token::Op(Op::LParen), _) => {
                self.bump();
                let body = self.compound_list(&[Terminator::RParen])?;
                self.bump(); // the `)` the list stopped at
                Compound::Subshell(body)
            }
            (_, Some(_)) => return Err(self.unexpected()),
            (Token::Word(w), None) if self.is_function_head() => {
                let name = w.text.clone();
                self.bump(); // name
                self.bump(); // (
                self.bump(); // )
                self.skip_newlines();
                let body = self.command()?;
                if !matches!(body, Command::Compound(..)) {
                    return Err(ParseError::Syntax {
                        line: self.line(),
                        message: format!(
                            "syntax error: the body of '{name}' must be a compound command"
                        ),
                    });
                }
                return Ok(Command::Function {
                    name,
                    body: alloc::boxed::Box::new(body),
                });
            }
            _ => return self.simple().map(Command::Simple),
        };
        let mut redirects = Vec::new();
        while matches!(self.peek(), Token::Redir { .. } | Token::HereDoc { .. }) {
            redirects.push(self.redirect()?);
        }
        Ok(Command::Compound(compound, redirects))
    }

    /// `name ( )`: the start of a function definition.
    fn is_function_head(&self) -> bool {
        let at = |i: usize| self.tokens.get(self.pos + i).map(|s| &s.token);
        matches!(at(0), Some(Token::Word(w)) if w.as_literal().is_some_and(is_name))
            && at(1) == Some(&Token::Op(Op::LParen))
            && at(2) == Some(&Token::Op(Op::RParen))
    }

    fn simple(&mut self) -> Result<SimpleCommand, ParseError> {
        let mut cmd = SimpleCommand {
            line: self.line(),
            ..SimpleCommand::default()
        };
        loop {
            match self.peek() {
                Token::Word(w) => {
                    let assignment = cmd.words.is_empty().then(|| assignment(w)).flatten();
                    let word = self.bump();
                    match (assignment, word) {
                        (Some(a), _) => cmd.assignments.push(a),
                        (None, Token::Word(w)) => cmd.words.push(w),
                        (None, _) => {}
                    }
                }
                Token::Redir { .. } | Token::HereDoc { .. } => cmd.redirects.push(self.redirect()?),
                _ => break,
            }
        }
        if cmd.assignments.is_empty() && cmd.words.is_empty() && cmd.redirects.is_empty() {
            return Err(self.unexpected());
        }
        Ok(cmd)
    }

    fn redirect(&mut self) -> Result<Redirect, ParseError> {
        if let Token::HereDoc { fd, body } = self.peek() {
            let r = Redirect {
                fd: fd.unwrap_or(0),
                op: RedirectOp::HereDoc(body.clone()),
            };
            self.bump();
            return Ok(r);
        }
        let Token::Redir { fd, kind } = self.bump() else {
            return Err(self.unexpected());
        };
        let target = match self.peek() {
            // Taken out in place (see `bump`): the error paths below still report
            // this token's line, and the `bump` at the end moves past it.
            Token::Word(_) => {
                match core::mem::replace(&mut self.tokens[self.pos].token, Token::Eof) {
                    Token::Word(w) => w,
                    _ => return Err(self.unexpected()),
                }
            }
            Token::Eof => return Err(self.unexpected_token(&Token::Newline)),
            _ => return Err(self.unexpected()),
        };
        let input = matches!(
            kind,
            RedirKind::Less | RedirKind::LessAnd | RedirKind::LessGreat
        );
        let fd = fd.unwrap_or(if input { 0 } else { 1 });
        let op = match kind {
            RedirKind::Less => RedirectOp::Read(target),
            RedirKind::Great => RedirectOp::Write(target),
            RedirKind::DGreat => RedirectOp::Append(target),
            RedirKind::LessAnd | RedirKind::GreatAnd => match target.as_literal() {
                Some("-") => RedirectOp::Close,
                Some(n) if n.bytes().all(|b| b.is_ascii_digit()) => {
                    RedirectOp::Dup(n.parse().map_err(|_| self.bad_fd(&target))?)
                }
                _ => return Err(self.bad_fd(&target)),
            },
            RedirKind::LessGreat => RedirectOp::ReadWrite(target),
            // The lexer turns `<<` and its word into a here-document token.
            RedirKind::DLess | RedirKind::DLessDash => return Err(self.unexpected()),
        };
        self.bump();
        Ok(Redirect { fd, op })
    }

    fn bad_fd(&self, target: &Word) -> ParseError {
        ParseError::Syntax {
            line: self.line(),
            message: format!("syntax error: bad file descriptor '{}'", target.text),
        }
    }

    fn if_clause(&mut self) -> Result<Compound, ParseError> {
        const BODY_END: [Terminator; 3] = [
            Terminator::Word("elif"),
            Terminator::Word("else"),
            Terminator::Word("fi"),
        ];
        let mut branches = Vec::new();
        let mut otherwise = None;
        self.bump(); // `if`
        loop {
            let cond = self.compound_list(&[Terminator::Word("then")])?;
            self.expect("then")?;
            let body = self.compound_list(&BODY_END)?;
            branches.push((cond, body));
            match self.bump() {
                t if is_reserved(&t, "elif") => continue,
                t if is_reserved(&t, "else") => {
                    otherwise = Some(self.compound_list(&[Terminator::Word("fi")])?);
                    self.expect("fi")?;
                    break;
                }
                _ => break, // `fi`: the body list only stops at the three words
            }
        }
        Ok(Compound::If {
            branches,
            otherwise,
        })
    }

    fn loop_clause(&mut self, until: bool) -> Result<Compound, ParseError> {
        self.bump(); // `while` or `until`
        let cond = self.compound_list(&[Terminator::Word("do")])?;
        self.expect("do")?;
        let body = self.compound_list(&[Terminator::Word("done")])?;
        self.expect("done")?;
        Ok(if until {
            Compound::Until { cond, body }
        } else {
            Compound::While { cond, body }
        })
    }

    fn for_clause(&mut self) -> Result<Compound, ParseError> {
        self.bump(); // `for`
        let name = match self.peek() {
            Token::Word(w) if w.as_literal().is_some_and(is_name) => w.text.clone(),
            Token::Eof => return Err(ParseError::Incomplete),
            _ => return Err(self.unexpected()),
        };
        self.bump();
        let mut words = None;
        if *self.peek() == Token::Op(Op::Semi) {
            self.bump();
        } else {
            self.skip_newlines();
            let is_in = matches!(self.peek(), Token::Word(w) if w.as_literal() == Some("in"));
            if is_in {
                self.bump();
                let mut list = Vec::new();
                while let Token::Word(_) = self.peek() {
                    if let Token::Word(w) = self.bump() {
                        list.push(w);
                    }
                }
                match self.peek() {
                    Token::Op(Op::Semi) | Token::Newline => {
                        self.bump();
                    }
                    _ => return Err(self.unexpected()),
                }
                words = Some(list);
            }
        }
        self.skip_newlines();
        self.expect("do")?;
        let body = self.compound_list(&[Terminator::Word("done")])?;
        self.expect("done")?;
        Ok(Compound::For { name, words, body })
    }
}

impl Parser {
    /// `case word in [(] pattern [| pattern]... ) list ;; ... esac`.
    fn case_clause(&mut self) -> Result<Compound, ParseError> {
        self.bump(); // `case`
        let word = match self.bump() {
            Token::Word(w) => w,
            Token::Eof => return Err(ParseError::Incomplete),
            t => return Err(self.unexpected_token(&t)),
        };
        self.skip_newlines();
        match self.peek() {
            Token::Word(w) if w.as_literal() == Some("in") => {
                self.bump();
            }
            _ => return Err(self.unexpected()),
        }
        let mut arms = Vec::new();
        loop {
            self.skip_newlines();
            if self.reserved() == Some("esac") {
                self.bump();
                break;
            }
            if *self.peek() == Token::Op(Op::LParen) {
                self.bump();
            }
            let mut patterns = Vec::new();
            loop {
                match self.bump() {
                    Token::Word(w) => patterns.push(w),
                    Token::Eof => return Err(ParseError::Incomplete),
                    t => return Err(self.unexpected_token(&t)),
                }
                match self.bump() {
                    Token::Op(Op::Pipe) => continue,
                    Token::Op(Op::RParen) => break,
                    Token::Eof => return Err(ParseError::Incomplete),
                    t => return Err(self.unexpected_token(&t)),
                }
            }
            let body = self.compound_list(&[Terminator::CaseArm])?;
            arms.push((patterns, body));
            match self.peek() {
                Token::Op(Op::DSemi) => {
                    self.bump();
                }
                _ => {
                    self.expect("esac")?;
                    break;
                }
            }
        }
        Ok(Compound::Case { word, arms })
    }
}

fn is_reserved(t: &Token, word: &str) -> bool {
    matches!(t, Token::Word(w) if w.as_literal() == Some(word))
}

/// `NAME=value` if the word starts with an unquoted valid name and `=`.
fn assignment(w: &Word) -> Option<Assignment> {
    let Some(Part::Literal(first)) = w.parts.first() else {
        return None;
    };
    let (name, value) = first.split_once('=')?;
    if !is_name(name) {
        return None;
    }
    let mut parts = Vec::new();
    if !value.is_empty() {
        parts.push(Part::Literal(String::from(value)));
    }
    parts.extend(w.parts[1..].iter().cloned());
    let text = w.text.split_once('=').map_or("", |(_, v)| v).into();
    Some(Assignment {
        name: String::from(name),
        value: Word { parts, text },
    })
}
