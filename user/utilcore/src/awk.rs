//! `awk`: the pattern-action language, a useful subset, parsed to a tree and walked.
//!
//! Supported: `BEGIN`, `END`, `/RE/`, expression and `P1, P2` range patterns; `print`
//! and `printf` (`%d %i %o %x %X %u %c %s %e %f %g %%` with flags `-+ 0#`, widths and
//! precisions, `*` too); assignments `= += -= *= /= %= ^=`, `++`, `--`; arithmetic
//! `+ - * / % ^`, concatenation, comparisons (numeric when both sides are numbers or
//! numeric strings from input, else by bytes), `~ !~`, `&& || !`, `?:`, `in`; `if`,
//! `while`, `do`, `for (;;)`, `for (k in a)`, `break`, `continue`, `next`, `exit`,
//! `delete`; associative arrays; the fields `$0..$NF` (assigning one rebuilds `$0` with
//! OFS, assigning `NF` cuts or pads); `NR NF FNR FS OFS ORS FILENAME SUBSEP RSTART
//! RLENGTH CONVFMT OFMT`; the built-ins `length substr index split sub gsub match
//! toupper tolower int sprintf`. `print` and `printf` may end in `> FILE` or `>> FILE`
//! (the caller writes [`Awk::files`]). Not supported: user functions, `getline`, output
//! to pipes, `close`. Numbers are `f64` (`^` takes whole exponents only: a fractional
//! one gives `nan`); a non-integer becomes a string through CONVFMT (`%.6g`), an integer
//! prints as one.
//!
//! Regular expressions are extended ones translated to the basic ones of `bre`: `( )`
//! group, `x+` becomes `xx*` for a single atom, and `|` is allowed at the top level (each
//! alternative is its own pattern; the leftmost, then longest, match wins). `?`, `{}`,
//! `|` inside a group and a starred group are refused with an error rather than matched
//! wrongly.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// Why a program was refused, or failed while running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwkError(pub String);

impl core::fmt::Display for AwkError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(msg: String) -> Result<T, AwkError> {
    Err(AwkError(msg))
}

// ---------------------------------------------------------------- regular expressions

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

fn split_top_alternatives(p: &str) -> Result<Vec<String>, AwkError> {
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
fn copy_bracket(chars: &mut core::iter::Peekable<core::str::Chars>, out: &mut String) {
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

fn ere_to_bre(p: &str) -> Result<String, AwkError> {
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

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
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

const KEYWORDS: &[&str] = &[
    "BEGIN", "END", "if", "else", "while", "for", "do", "in", "next", "exit", "break", "continue",
    "delete", "print", "printf", "getline", "function", "return",
];
const BUILTINS: &[&str] = &[
    "length", "substr", "index", "split", "sub", "gsub", "match", "toupper", "tolower", "int",
    "sprintf",
];
/// Longest first, so that `+=` is not read as `+` then `=`.
const OPS: &[&str] = &[
    "+=", "-=", "*=", "/=", "%=", "^=", "==", "<=", ">=", "!=", "++", "--", "&&", "||", "!~", "**",
    ">>", "{", "}", "(", ")", "[", "]", ";", ",", "+", "-", "*", "/", "%", "^", "!", ">", "<", "|",
    "?", ":", "~", "$", "=",
];

fn lex(src: &str) -> Result<Vec<Tok>, AwkError> {
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
fn regex_allowed(prev: Option<&Tok>) -> bool {
    !matches!(
        prev,
        Some(Tok::Num(_) | Tok::Str(_) | Tok::Name(_) | Tok::Builtin(_) | Tok::Ere(_))
            | Some(Tok::Op(")" | "]" | "$" | "++" | "--"))
    )
}

/// The longest prefix of `s` that reads as a decimal number, and its length.
fn number_prefix(s: &str) -> (f64, usize) {
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
fn str_to_num(s: &str) -> f64 {
    let t = s.trim_start_matches([' ', '\t', '\n']);
    number_prefix(t).0
}

/// Whether input text looks like a number as a whole (then it compares numerically).
fn looks_numeric(s: &str) -> bool {
    let t = s.trim_matches([' ', '\t', '\n']);
    let (_, n) = number_prefix(t);
    n > 0 && n == t.len()
}

// ---------------------------------------------------------------- syntax tree

#[derive(Debug, Clone)]
enum Expr {
    Num(f64),
    Str(String),
    /// A bare `/RE/`: matches `$0`.
    Match(usize),
    Var(String),
    Field(Box<Expr>),
    Index(String, Vec<Expr>),
    Assign(Box<Expr>, Option<&'static str>, Box<Expr>),
    /// `++x` (true) or `x++` (false), by +1 or -1.
    Incr(Box<Expr>, f64, bool),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Concat(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Plus(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `e ~ re` (true) or `e !~ re` (false).
    Tilde(Box<Expr>, Box<Expr>, bool),
    In(Vec<Expr>, String),
    Call(&'static str, Vec<Expr>),
}

#[derive(Debug, Clone)]
enum Stmt {
    Expr(Expr),
    /// The values, and where they go if not to standard output.
    Print(Vec<Expr>, Option<Redirect>),
    Printf(Vec<Expr>, Option<Redirect>),
    If(Expr, Box<Stmt>, Option<Box<Stmt>>),
    While(Expr, Box<Stmt>),
    Do(Box<Stmt>, Expr),
    For(Option<Expr>, Option<Expr>, Option<Expr>, Box<Stmt>),
    ForIn(String, String, Box<Stmt>),
    Block(Vec<Stmt>),
    Next,
    Exit(Option<Expr>),
    Break,
    Continue,
    Delete(String, Option<Vec<Expr>>),
}

/// `> FILE` (append false) or `>> FILE`.
#[derive(Debug, Clone)]
struct Redirect {
    append: bool,
    file: Expr,
}

#[derive(Debug, Clone)]
enum Pattern {
    Begin,
    End,
    All,
    Expr(Expr),
    Range(Expr, Expr),
}

/// A compiled awk program.
#[derive(Debug, Clone)]
pub struct Program {
    rules: Vec<(Pattern, Option<Stmt>)>,
    regexes: Vec<Ere>,
}

impl Program {
    /// Parse program text.
    pub fn compile(src: &str) -> Result<Program, AwkError> {
        let toks = lex(src)?;
        let mut p = Parser {
            toks,
            pos: 0,
            regexes: Vec::new(),
            no_gt: false,
            no_in: false,
        };
        let rules = p.program()?;
        Ok(Program {
            rules,
            regexes: p.regexes,
        })
    }

    /// Whether input must be read: there is a rule other than `BEGIN`.
    pub fn reads_input(&self) -> bool {
        self.rules.iter().any(|(p, _)| !matches!(p, Pattern::Begin))
    }
}

// ---------------------------------------------------------------- parser

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    regexes: Vec<Ere>,
    /// Inside a `print` list: `>` would be redirection, so it is not a comparison.
    no_gt: bool,
    /// In the first clause of `for (`: `in` belongs to the loop.
    no_in: bool,
}

type PResult<T> = Result<T, AwkError>;

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos]
    }

    fn next(&mut self) -> Tok {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_op(&self, o: &str) -> bool {
        matches!(self.peek(), Tok::Op(x) if *x == o)
    }

    fn is_kw(&self, k: &str) -> bool {
        matches!(self.peek(), Tok::Kw(x) if *x == k)
    }

    fn eat_op(&mut self, o: &str) -> bool {
        if self.is_op(o) {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, o: &str) -> PResult<()> {
        if self.eat_op(o) {
            Ok(())
        } else {
            fail(format!(
                "syntax error: expected `{o}` near {:?}",
                self.peek()
            ))
        }
    }

    fn newlines(&mut self) {
        while *self.peek() == Tok::Newline {
            self.next();
        }
    }

    fn terminators(&mut self) {
        while *self.peek() == Tok::Newline || self.is_op(";") {
            self.next();
        }
    }

    fn program(&mut self) -> PResult<Vec<(Pattern, Option<Stmt>)>> {
        let mut rules = Vec::new();
        self.terminators();
        while *self.peek() != Tok::Eof {
            let pat = if self.is_kw("BEGIN") {
                self.next();
                Pattern::Begin
            } else if self.is_kw("END") {
                self.next();
                Pattern::End
            } else if self.is_op("{") {
                Pattern::All
            } else if self.is_kw("function") {
                return fail(String::from("user-defined functions are not supported"));
            } else {
                let a = self.expr()?;
                if self.eat_op(",") {
                    self.newlines();
                    Pattern::Range(a, self.expr()?)
                } else {
                    Pattern::Expr(a)
                }
            };
            let action = if self.is_op("{") {
                Some(self.block()?)
            } else {
                if matches!(pat, Pattern::Begin | Pattern::End) {
                    return fail(String::from("BEGIN and END need an action"));
                }
                None
            };
            rules.push((pat, action));
            self.terminators();
        }
        Ok(rules)
    }

    fn block(&mut self) -> PResult<Stmt> {
        self.expect_op("{")?;
        let mut body = Vec::new();
        self.terminators();
        while !self.is_op("}") {
            if *self.peek() == Tok::Eof {
                return fail(String::from("syntax error: missing `}`"));
            }
            body.push(self.statement()?);
            self.terminators();
        }
        self.next();
        Ok(Stmt::Block(body))
    }

    /// A simple statement ends at `;`, a newline or before `}`.
    fn end_simple(&mut self) -> PResult<()> {
        if self.is_op(";") || *self.peek() == Tok::Newline {
            self.next();
            Ok(())
        } else if self.is_op("}") || *self.peek() == Tok::Eof {
            Ok(())
        } else {
            fail(format!("syntax error near {:?}", self.peek()))
        }
    }

    fn body(&mut self) -> PResult<Stmt> {
        self.newlines();
        if self.is_op(";") {
            self.next();
            return Ok(Stmt::Block(Vec::new()));
        }
        self.statement()
    }

    fn statement(&mut self) -> PResult<Stmt> {
        if self.is_op("{") {
            return self.block();
        }
        let kw = match self.peek() {
            Tok::Kw(k) => Some(*k),
            _ => None,
        };
        let s = match kw {
            Some("if") => {
                self.next();
                self.expect_op("(")?;
                let c = self.expr()?;
                self.expect_op(")")?;
                let then = self.body()?;
                // `else` may follow after newlines or a `;`.
                let save = self.pos;
                self.terminators();
                if self.is_kw("else") {
                    self.next();
                    let e = self.body()?;
                    return Ok(Stmt::If(c, Box::new(then), Some(Box::new(e))));
                }
                self.pos = save;
                return Ok(Stmt::If(c, Box::new(then), None));
            }
            Some("while") => {
                self.next();
                self.expect_op("(")?;
                let c = self.expr()?;
                self.expect_op(")")?;
                if self.is_op(";") {
                    self.next();
                    return Ok(Stmt::While(c, Box::new(Stmt::Block(Vec::new()))));
                }
                return Ok(Stmt::While(c, Box::new(self.body()?)));
            }
            Some("do") => {
                self.next();
                let b = self.body()?;
                self.terminators();
                if !self.is_kw("while") {
                    return fail(String::from("syntax error: `do` without `while`"));
                }
                self.next();
                self.expect_op("(")?;
                let c = self.expr()?;
                self.expect_op(")")?;
                Stmt::Do(Box::new(b), c)
            }
            Some("for") => {
                self.next();
                self.expect_op("(")?;
                if let (Tok::Name(k), Tok::Kw("in"), Tok::Name(a), Tok::Op(")")) = (
                    self.toks[self.pos].clone(),
                    self.toks.get(self.pos + 1).cloned().unwrap_or(Tok::Eof),
                    self.toks.get(self.pos + 2).cloned().unwrap_or(Tok::Eof),
                    self.toks.get(self.pos + 3).cloned().unwrap_or(Tok::Eof),
                ) {
                    self.pos += 4;
                    return Ok(Stmt::ForIn(k, a, Box::new(self.body()?)));
                }
                let init = if self.is_op(";") {
                    None
                } else {
                    Some(self.simple_expr_no_in()?)
                };
                self.expect_op(";")?;
                self.newlines();
                let cond = if self.is_op(";") {
                    None
                } else {
                    Some(self.expr()?)
                };
                self.expect_op(";")?;
                self.newlines();
                let step = if self.is_op(")") {
                    None
                } else {
                    Some(self.expr()?)
                };
                self.expect_op(")")?;
                if self.is_op(";") {
                    self.next();
                    return Ok(Stmt::For(
                        init,
                        cond,
                        step,
                        Box::new(Stmt::Block(Vec::new())),
                    ));
                }
                return Ok(Stmt::For(init, cond, step, Box::new(self.body()?)));
            }
            Some("next") => {
                self.next();
                Stmt::Next
            }
            Some("break") => {
                self.next();
                Stmt::Break
            }
            Some("continue") => {
                self.next();
                Stmt::Continue
            }
            Some("exit") => {
                self.next();
                if self.is_op(";")
                    || self.is_op("}")
                    || matches!(self.peek(), Tok::Newline | Tok::Eof)
                {
                    Stmt::Exit(None)
                } else {
                    Stmt::Exit(Some(self.expr()?))
                }
            }
            Some("delete") => {
                self.next();
                let name = match self.next() {
                    Tok::Name(n) => n,
                    t => return fail(format!("syntax error: delete {t:?}")),
                };
                if self.eat_op("[") {
                    let subs = self.expr_list("]")?;
                    Stmt::Delete(name, Some(subs))
                } else {
                    Stmt::Delete(name, None)
                }
            }
            Some("print") | Some("printf") => {
                self.next();
                let args = self.print_args()?;
                if self.is_op("|") {
                    return fail(String::from("output to a pipe is not supported"));
                }
                let redirect = if self.is_op(">") || self.is_op(">>") {
                    let append = self.is_op(">>");
                    self.next();
                    self.no_gt = true;
                    let file = self.concat();
                    self.no_gt = false;
                    Some(Redirect {
                        append,
                        file: file?,
                    })
                } else {
                    None
                };
                if kw == Some("print") {
                    Stmt::Print(args, redirect)
                } else {
                    if args.is_empty() {
                        return fail(String::from("printf needs a format"));
                    }
                    Stmt::Printf(args, redirect)
                }
            }
            Some("getline") | Some("return") | Some("function") => {
                return fail(format!("`{}` is not supported", kw.unwrap()));
            }
            _ => Stmt::Expr(self.expr()?),
        };
        self.end_simple()?;
        Ok(s)
    }

    fn simple_expr_no_in(&mut self) -> PResult<Expr> {
        self.no_in = true;
        let e = self.expr();
        self.no_in = false;
        e
    }

    fn print_args(&mut self) -> PResult<Vec<Expr>> {
        if self.is_op(";")
            || self.is_op("}")
            || self.is_op(">")
            || self.is_op(">>")
            || matches!(self.peek(), Tok::Newline | Tok::Eof)
        {
            return Ok(Vec::new());
        }
        // `print (a, b)`: a parenthesised list, when the `)` ends the statement.
        if self.is_op("(") {
            let save = self.pos;
            self.next();
            let list = self.expr_list(")")?;
            if self.is_op(";")
                || self.is_op("}")
                || self.is_op(">")
                || self.is_op(">>")
                || self.is_op("|")
                || matches!(self.peek(), Tok::Newline | Tok::Eof)
            {
                return Ok(list);
            }
            self.pos = save;
        }
        self.no_gt = true;
        let mut list = vec![self.expr()?];
        while self.eat_op(",") {
            self.newlines();
            list.push(self.expr()?);
        }
        self.no_gt = false;
        Ok(list)
    }

    /// Expressions separated by commas, up to the closing `close`.
    fn expr_list(&mut self, close: &str) -> PResult<Vec<Expr>> {
        let (gt, inn) = (self.no_gt, self.no_in);
        self.no_gt = false;
        self.no_in = false;
        let mut list = Vec::new();
        self.newlines();
        if !self.is_op(close) {
            list.push(self.expr()?);
            while self.eat_op(",") {
                self.newlines();
                list.push(self.expr()?);
            }
        }
        self.newlines();
        self.expect_op(close)?;
        self.no_gt = gt;
        self.no_in = inn;
        Ok(list)
    }

    fn expr(&mut self) -> PResult<Expr> {
        let lhs = self.ternary()?;
        let op = match self.peek() {
            Tok::Op(o @ ("=" | "+=" | "-=" | "*=" | "/=" | "%=" | "^=")) => *o,
            _ => return Ok(lhs),
        };
        if !matches!(lhs, Expr::Var(_) | Expr::Field(_) | Expr::Index(..)) {
            return fail(String::from("syntax error: assignment to a non-variable"));
        }
        self.next();
        self.newlines();
        let rhs = self.expr()?;
        let kind = if op == "=" { None } else { Some(&op[..1]) };
        let kind = kind.map(|k| match k {
            "+" => "+",
            "-" => "-",
            "*" => "*",
            "/" => "/",
            "%" => "%",
            _ => "^",
        });
        Ok(Expr::Assign(Box::new(lhs), kind, Box::new(rhs)))
    }

    fn ternary(&mut self) -> PResult<Expr> {
        let c = self.or()?;
        if self.eat_op("?") {
            self.newlines();
            let a = self.ternary()?;
            self.newlines();
            self.expect_op(":")?;
            self.newlines();
            let b = self.ternary()?;
            return Ok(Expr::Cond(Box::new(c), Box::new(a), Box::new(b)));
        }
        Ok(c)
    }

    fn or(&mut self) -> PResult<Expr> {
        let mut l = self.and()?;
        while self.eat_op("||") {
            self.newlines();
            l = Expr::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }

    fn and(&mut self) -> PResult<Expr> {
        let mut l = self.in_expr()?;
        while self.eat_op("&&") {
            self.newlines();
            l = Expr::And(Box::new(l), Box::new(self.in_expr()?));
        }
        Ok(l)
    }

    fn in_expr(&mut self) -> PResult<Expr> {
        let mut l = self.tilde()?;
        while !self.no_in && self.is_kw("in") {
            self.next();
            let name = match self.next() {
                Tok::Name(n) => n,
                t => return fail(format!("syntax error: in {t:?}")),
            };
            l = Expr::In(vec![l], name);
        }
        Ok(l)
    }

    fn tilde(&mut self) -> PResult<Expr> {
        let mut l = self.comparison()?;
        loop {
            let yes = if self.is_op("~") {
                true
            } else if self.is_op("!~") {
                false
            } else {
                return Ok(l);
            };
            self.next();
            l = Expr::Tilde(Box::new(l), Box::new(self.comparison()?), yes);
        }
    }

    fn comparison(&mut self) -> PResult<Expr> {
        let l = self.concat()?;
        let op = match self.peek() {
            Tok::Op(o @ ("<" | "<=" | "==" | "!=" | ">=")) => *o,
            Tok::Op(">") if !self.no_gt => ">",
            _ => return Ok(l),
        };
        self.next();
        Ok(Expr::Binary(op, Box::new(l), Box::new(self.concat()?)))
    }

    fn starts_operand(&self) -> bool {
        match self.peek() {
            Tok::Num(_) | Tok::Str(_) | Tok::Ere(_) | Tok::Name(_) | Tok::Builtin(_) => true,
            Tok::Op(o) => matches!(*o, "$" | "(" | "!" | "-" | "+" | "++" | "--"),
            _ => false,
        }
    }

    fn concat(&mut self) -> PResult<Expr> {
        let mut l = self.additive()?;
        // `a -1` is a subtraction, `a !b` is not awk: only operands that cannot
        // continue an expression start a concatenation.
        while self.starts_operand() && !matches!(self.peek(), Tok::Op("!" | "-" | "+")) {
            if self.no_in && self.is_kw("in") {
                break;
            }
            l = Expr::Concat(Box::new(l), Box::new(self.additive()?));
        }
        Ok(l)
    }

    fn additive(&mut self) -> PResult<Expr> {
        let mut l = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Tok::Op(o @ ("+" | "-")) => *o,
                _ => return Ok(l),
            };
            self.next();
            l = Expr::Binary(op, Box::new(l), Box::new(self.multiplicative()?));
        }
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Op(o @ ("*" | "/" | "%")) => *o,
                _ => return Ok(l),
            };
            self.next();
            l = Expr::Binary(op, Box::new(l), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> PResult<Expr> {
        if self.eat_op("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat_op("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat_op("+") {
            return Ok(Expr::Plus(Box::new(self.unary()?)));
        }
        self.power()
    }

    fn power(&mut self) -> PResult<Expr> {
        let base = self.postfix()?;
        if self.eat_op("^") {
            // Right-associative, and binds tighter than a unary minus on its left.
            let e = if self.is_op("-") || self.is_op("+") || self.is_op("!") {
                self.unary()?
            } else {
                self.power()?
            };
            return Ok(Expr::Binary("^", Box::new(base), Box::new(e)));
        }
        Ok(base)
    }

    fn postfix(&mut self) -> PResult<Expr> {
        if self.is_op("++") || self.is_op("--") {
            let by = if self.is_op("++") { 1.0 } else { -1.0 };
            self.next();
            let target = self.postfix()?;
            if !matches!(target, Expr::Var(_) | Expr::Field(_) | Expr::Index(..)) {
                return fail(String::from("syntax error: ++ or -- needs a variable"));
            }
            return Ok(Expr::Incr(Box::new(target), by, true));
        }
        let e = self.primary()?;
        if matches!(e, Expr::Var(_) | Expr::Field(_) | Expr::Index(..))
            && (self.is_op("++") || self.is_op("--"))
        {
            let by = if self.is_op("++") { 1.0 } else { -1.0 };
            self.next();
            return Ok(Expr::Incr(Box::new(e), by, false));
        }
        Ok(e)
    }

    fn primary(&mut self) -> PResult<Expr> {
        match self.next() {
            Tok::Num(v) => Ok(Expr::Num(v)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Ere(r) => {
                self.regexes.push(Ere::new(&r)?);
                Ok(Expr::Match(self.regexes.len() - 1))
            }
            Tok::Op("$") => {
                let e = if self.is_op("++") || self.is_op("--") {
                    self.postfix()?
                } else if self.eat_op("-") {
                    Expr::Neg(Box::new(self.primary()?))
                } else {
                    self.primary()?
                };
                Ok(Expr::Field(Box::new(e)))
            }
            Tok::Op("(") => {
                let list = self.expr_list(")")?;
                if list.len() > 1 {
                    if self.is_kw("in") {
                        self.next();
                        if let Tok::Name(n) = self.next() {
                            return Ok(Expr::In(list, n));
                        }
                    }
                    return fail(String::from("syntax error: a list in parentheses"));
                }
                match list.into_iter().next() {
                    Some(e) => Ok(e),
                    None => fail(String::from("syntax error: empty parentheses")),
                }
            }
            Tok::Name(n) => {
                if self.is_op("[") {
                    self.next();
                    let subs = self.expr_list("]")?;
                    Ok(Expr::Index(n, subs))
                } else {
                    Ok(Expr::Var(n))
                }
            }
            Tok::Builtin(f) => {
                if self.eat_op("(") {
                    let args = self.expr_list(")")?;
                    Ok(Expr::Call(f, args))
                } else if f == "length" {
                    Ok(Expr::Call(f, Vec::new()))
                } else {
                    fail(format!("syntax error: {f} without arguments"))
                }
            }
            t => fail(format!("syntax error near {t:?}")),
        }
    }
}

// ---------------------------------------------------------------- values

#[derive(Debug, Clone)]
enum Value {
    Num(f64),
    Str(String),
    /// Text from input that looks like a number: compares as one.
    StrNum(String, f64),
}

impl Value {
    fn from_input(s: String) -> Value {
        if looks_numeric(&s) {
            let v = str_to_num(&s);
            Value::StrNum(s, v)
        } else {
            Value::Str(s)
        }
    }

    fn num(&self) -> f64 {
        match self {
            Value::Num(v) | Value::StrNum(_, v) => *v,
            Value::Str(s) => str_to_num(s),
        }
    }

    fn truth(&self) -> bool {
        match self {
            Value::Num(v) | Value::StrNum(_, v) => *v != 0.0,
            Value::Str(s) => !s.is_empty(),
        }
    }
}

fn int_part(v: f64) -> f64 {
    if v.is_nan() || v.abs() >= 9.0e15 {
        v
    } else {
        (v as i64) as f64
    }
}

/// A number as awk writes it: an integer plainly, anything else through `fmt`.
fn num_to_string(v: f64, fmt: &str) -> String {
    if v == int_part(v) && v.abs() < 1e16 {
        if v == 0.0 {
            return String::from("0");
        }
        return format!("{}", v as i64);
    }
    sprintf(fmt, &[Value::Num(v)], "%.6g")
}

// ---------------------------------------------------------------- printf

/// Format `args` by the printf-style `fmt`.
fn sprintf(fmt: &str, args: &[Value], convfmt: &str) -> String {
    format_checked(fmt, args, convfmt).0
}

/// Format `args` by `fmt`; also whether there were enough of them.
fn format_checked(fmt: &str, args: &[Value], convfmt: &str) -> (String, bool) {
    let mut out = String::new();
    let missing = core::cell::Cell::new(false);
    let b = fmt.as_bytes();
    let mut i = 0;
    let mut next_arg = 0;
    let take = |next_arg: &mut usize| -> Value {
        let v = args.get(*next_arg).cloned().unwrap_or_else(|| {
            missing.set(true);
            Value::Str(String::new())
        });
        *next_arg += 1;
        v
    };
    while i < b.len() {
        if b[i] != b'%' {
            let s = i;
            while i < b.len() && b[i] != b'%' {
                i += 1;
            }
            out.push_str(&fmt[s..i]);
            continue;
        }
        let start = i;
        i += 1;
        let (mut left, mut plus, mut space, mut zero, mut alt) =
            (false, false, false, false, false);
        while i < b.len() {
            match b[i] {
                b'-' => left = true,
                b'+' => plus = true,
                b' ' => space = true,
                b'0' => zero = true,
                b'#' => alt = true,
                _ => break,
            }
            i += 1;
        }
        let mut width = 0usize;
        if i < b.len() && b[i] == b'*' {
            let w = take(&mut next_arg).num() as i64;
            if w < 0 {
                left = true;
            }
            width = w.unsigned_abs() as usize;
            i += 1;
        }
        while i < b.len() && b[i].is_ascii_digit() {
            width = width * 10 + (b[i] - b'0') as usize;
            i += 1;
        }
        let mut prec: Option<usize> = None;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let mut p = 0usize;
            if i < b.len() && b[i] == b'*' {
                p = take(&mut next_arg).num().max(0.0) as usize;
                i += 1;
            }
            while i < b.len() && b[i].is_ascii_digit() {
                p = p * 10 + (b[i] - b'0') as usize;
                i += 1;
            }
            prec = Some(p);
        }
        while i < b.len() && matches!(b[i], b'l' | b'h') {
            i += 1;
        }
        let Some(&conv) = b.get(i) else {
            out.push_str(&fmt[start..]);
            break;
        };
        i += 1;
        let sign = |neg: bool| -> &'static str {
            if neg {
                "-"
            } else if plus {
                "+"
            } else if space {
                " "
            } else {
                ""
            }
        };
        let (prefix, body, numeric): (String, String, bool) = match conv {
            b'%' => (String::new(), String::from("%"), false),
            b'd' | b'i' => {
                let v = int_part(take(&mut next_arg).num());
                let mut digits = format!("{}", (v.abs()) as u64);
                if let Some(p) = prec {
                    while digits.len() < p {
                        digits.insert(0, '0');
                    }
                    if p == 0 && v == 0.0 {
                        digits.clear();
                    }
                }
                (String::from(sign(v < 0.0)), digits, prec.is_none())
            }
            b'o' | b'x' | b'X' | b'u' => {
                let v = int_part(take(&mut next_arg).num());
                let u = if v < 0.0 { (v as i64) as u64 } else { v as u64 };
                let mut digits = match conv {
                    b'o' => format!("{u:o}"),
                    b'x' => format!("{u:x}"),
                    b'X' => format!("{u:X}"),
                    _ => format!("{u}"),
                };
                if let Some(p) = prec {
                    while digits.len() < p {
                        digits.insert(0, '0');
                    }
                }
                let pre = match conv {
                    b'o' if alt && !digits.starts_with('0') => "0",
                    b'x' if alt && u != 0 => "0x",
                    b'X' if alt && u != 0 => "0X",
                    _ => "",
                };
                (String::from(pre), digits, prec.is_none())
            }
            b'c' => {
                let v = take(&mut next_arg);
                let s = match v {
                    Value::Num(n) => {
                        let c = n as u32;
                        char::from_u32(if c < 256 { c } else { c & 0xff })
                            .map(String::from)
                            .unwrap_or_default()
                    }
                    other => {
                        let s = value_str(&other, convfmt);
                        s.chars().next().map(String::from).unwrap_or_default()
                    }
                };
                (String::new(), s, false)
            }
            b's' => {
                let s = value_str(&take(&mut next_arg), convfmt);
                let s = match prec {
                    Some(p) if p < s.len() => {
                        String::from_utf8_lossy(&s.as_bytes()[..p]).into_owned()
                    }
                    _ => s,
                };
                (String::new(), s, false)
            }
            b'e' | b'E' | b'f' | b'F' | b'g' | b'G' => {
                let v = take(&mut next_arg).num();
                let p = prec.unwrap_or(6);
                let body = if v.is_nan() {
                    String::from("nan")
                } else if v.is_infinite() {
                    String::from("inf")
                } else {
                    match conv {
                        b'f' | b'F' => format!("{:.*}", p, v.abs()),
                        b'e' | b'E' => exp_format(v.abs(), p, conv == b'E'),
                        _ => g_format(v.abs(), p, alt, conv == b'G'),
                    }
                };
                (
                    String::from(sign(v.is_sign_negative() && v != 0.0 || v < 0.0)),
                    body,
                    v.is_finite(),
                )
            }
            _ => {
                out.push_str(&fmt[start..i]);
                continue;
            }
        };
        let len = prefix.len() + body.len();
        if len >= width {
            out.push_str(&prefix);
            out.push_str(&body);
        } else if left {
            out.push_str(&prefix);
            out.push_str(&body);
            out.extend(core::iter::repeat_n(' ', width - len));
        } else if zero && numeric {
            out.push_str(&prefix);
            out.extend(core::iter::repeat_n('0', width - len));
            out.push_str(&body);
        } else {
            out.extend(core::iter::repeat_n(' ', width - len));
            out.push_str(&prefix);
            out.push_str(&body);
        }
    }
    (out, !missing.get())
}

/// `%.{p}e` for a non-negative finite number: `d.ddde+XX`.
fn exp_format(v: f64, p: usize, upper: bool) -> String {
    let s = format!("{:.*e}", p, v);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = exp.parse().unwrap_or(0);
    let mark = if upper { 'E' } else { 'e' };
    let sign = if e < 0 { '-' } else { '+' };
    format!("{mant}{mark}{sign}{:02}", e.unsigned_abs())
}

/// `%.{p}g` for a non-negative finite number.
fn g_format(v: f64, p: usize, alt: bool, upper: bool) -> String {
    let p = if p == 0 { 1 } else { p };
    let probe = format!("{:.*e}", p - 1, v);
    let x: i32 = probe
        .split_once('e')
        .map_or(0, |(_, e)| e.parse().unwrap_or(0));
    let mut s = if x < -4 || x >= p as i32 {
        exp_format(v, p - 1, upper)
    } else {
        format!("{:.*}", (p as i32 - 1 - x) as usize, v)
    };
    if !alt {
        let (mant, tail) = match s.find(['e', 'E']) {
            Some(k) => (String::from(&s[..k]), String::from(&s[k..])),
            None => (s.clone(), String::new()),
        };
        let mant = if mant.contains('.') {
            String::from(mant.trim_end_matches('0').trim_end_matches('.'))
        } else {
            mant
        };
        s = mant + &tail;
    }
    s
}

fn value_str(v: &Value, convfmt: &str) -> String {
    match v {
        Value::Num(n) => num_to_string(*n, convfmt),
        Value::Str(s) | Value::StrNum(s, _) => s.clone(),
    }
}

// ---------------------------------------------------------------- interpreter

/// How a statement finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Next,
    Exit,
    Break,
    Continue,
}

type RResult<T> = Result<T, AwkError>;

/// The highest field number a program may name or set NF to: `$1e18 = x` is an error
/// rather than an attempt to allocate that many empty fields.
const MAX_FIELDS: usize = 100_000;

/// A running program: its variables, the current record and what it printed so far.
pub struct Awk {
    prog: Program,
    vars: BTreeMap<String, Value>,
    arrays: BTreeMap<String, BTreeMap<String, Value>>,
    /// `$0`, `$1`, ... `$NF`.
    fields: Vec<String>,
    in_range: Vec<bool>,
    dynamic: BTreeMap<String, Ere>,
    exiting: bool,
    status: i32,
    /// Output not yet written; the caller drains it.
    pub out: Vec<u8>,
    /// Output for `print > FILE` not yet written, in order; the caller drains it.
    pub files: Vec<FileOutput>,
    /// The files written to so far: the first `>` truncates, later ones append.
    opened: BTreeMap<String, ()>,
}

/// Bytes for one file named by `>` or `>>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutput {
    pub name: String,
    /// Whether the file is to be emptied before these bytes are written.
    pub truncate: bool,
    pub bytes: Vec<u8>,
}

/// Undo the escapes of a `-v` value or a `-F` separator, as awk does.
pub fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('/') => out.push('/'),
            Some(d) => {
                out.push('\\');
                out.push(d);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// An operand of the form `VAR=VALUE` (a name, then `=`): an assignment, not a file.
pub fn operand_assignment(arg: &str) -> Option<(&str, &str)> {
    let (k, v) = arg.split_once('=')?;
    let mut chars = k.chars();
    let first = chars.next()?;
    let ok = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some((k, v))
}

fn uninit() -> Value {
    Value::StrNum(String::new(), 0.0)
}

impl Awk {
    /// Prepare to run `prog` with the `-v` assignments `vars` (already unescaped).
    pub fn new(prog: Program, vars: &[(String, String)]) -> Awk {
        let mut a = Awk {
            in_range: vec![false; prog.rules.len()],
            prog,
            vars: BTreeMap::new(),
            arrays: BTreeMap::new(),
            fields: vec![String::new()],
            dynamic: BTreeMap::new(),
            exiting: false,
            status: 0,
            out: Vec::new(),
            files: Vec::new(),
            opened: BTreeMap::new(),
        };
        for (k, v) in [
            ("FS", " "),
            ("OFS", " "),
            ("ORS", "\n"),
            ("SUBSEP", "\x1c"),
            ("CONVFMT", "%.6g"),
            ("OFMT", "%.6g"),
            ("FILENAME", ""),
        ] {
            a.vars.insert(String::from(k), Value::Str(String::from(v)));
        }
        for k in ["NR", "FNR", "RSTART", "RLENGTH"] {
            a.vars.insert(String::from(k), Value::Num(0.0));
        }
        for (k, v) in vars {
            a.vars.insert(k.clone(), Value::from_input(v.clone()));
        }
        a
    }

    /// Set a variable from the command line (`-v`, or a `VAR=VALUE` operand).
    pub fn assign(&mut self, name: &str, value: &str) {
        self.set_var(name, Value::from_input(unescape(value)));
    }

    /// Whether `exit` has been run.
    pub fn exited(&self) -> bool {
        self.exiting
    }

    /// Run the `BEGIN` rules.
    pub fn begin(&mut self) -> RResult<()> {
        self.run_rules(|p| matches!(p, Pattern::Begin))
    }

    /// Run the main rules on every record of one input.
    pub fn input(&mut self, name: &str, data: &[u8]) -> RResult<()> {
        self.vars
            .insert(String::from("FILENAME"), Value::Str(String::from(name)));
        self.vars.insert(String::from("FNR"), Value::Num(0.0));
        for line in crate::lines::split(data) {
            if self.exiting {
                break;
            }
            let text = String::from_utf8_lossy(line).into_owned();
            self.set_record(text);
            for k in ["NR", "FNR"] {
                let n = self.get_var(k).num() + 1.0;
                self.vars.insert(String::from(k), Value::Num(n));
            }
            self.record()?;
        }
        Ok(())
    }

    /// Run the `END` rules; the exit status.
    pub fn end(&mut self) -> RResult<i32> {
        self.exiting = false;
        self.run_rules(|p| matches!(p, Pattern::End))?;
        Ok(self.status)
    }

    fn run_rules(&mut self, which: impl Fn(&Pattern) -> bool) -> RResult<()> {
        let rules = self.prog.rules.clone();
        for (p, action) in &rules {
            if self.exiting {
                break;
            }
            if which(p) {
                if let Some(a) = action {
                    if self.exec(a)? == Flow::Exit {
                        self.exiting = true;
                    }
                }
            }
        }
        Ok(())
    }

    fn record(&mut self) -> RResult<()> {
        let rules = self.prog.rules.clone();
        for (i, (p, action)) in rules.iter().enumerate() {
            let hit = match p {
                Pattern::Begin | Pattern::End => false,
                Pattern::All => true,
                Pattern::Expr(e) => self.eval(e)?.truth(),
                Pattern::Range(a, b) => {
                    if self.in_range[i] {
                        if self.eval(b)?.truth() {
                            self.in_range[i] = false;
                        }
                        true
                    } else if self.eval(a)?.truth() {
                        self.in_range[i] = !self.eval(b)?.truth();
                        true
                    } else {
                        false
                    }
                }
            };
            if !hit {
                continue;
            }
            let flow = match action {
                Some(a) => self.exec(a)?,
                None => {
                    self.print_values(&[Value::Str(self.fields[0].clone())]);
                    Flow::Normal
                }
            };
            match flow {
                Flow::Next => return Ok(()),
                Flow::Exit => {
                    self.exiting = true;
                    return Ok(());
                }
                _ => {}
            }
        }
        Ok(())
    }

    // ------------------------------------------------ records and fields

    fn set_record(&mut self, text: String) {
        let fs = value_str(&self.get_var("FS"), "%.6g");
        let parts = self.split_text(&text, &fs);
        self.fields.clear();
        self.fields.push(text);
        self.fields.extend(parts);
    }

    fn split_text(&mut self, text: &str, fs: &str) -> Vec<String> {
        if fs == " " {
            return text
                .split([' ', '\t', '\n'])
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        if text.is_empty() {
            return Vec::new();
        }
        if fs.chars().count() == 1 && fs != "\\" {
            return text.split(fs).map(String::from).collect();
        }
        let re = match self.regex_for(fs) {
            Ok(r) => r,
            Err(_) => return text.split(fs).map(String::from).collect(),
        };
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut from = 0;
        let mut at = 0;
        while at <= b.len() {
            match re.find_at(b, at) {
                Some((s, e)) if e > s => {
                    out.push(String::from_utf8_lossy(&b[from..s]).into_owned());
                    from = e;
                    at = e;
                }
                Some((s, _)) => at = s + 1,
                None => break,
            }
        }
        out.push(String::from_utf8_lossy(&b[from..]).into_owned());
        out
    }

    fn rebuild_record(&mut self) {
        let ofs = value_str(&self.get_var("OFS"), "%.6g");
        self.fields[0] = self.fields[1..].join(&ofs);
    }

    fn set_field(&mut self, i: usize, v: String) {
        if i == 0 {
            self.set_record(v);
            return;
        }
        while self.fields.len() <= i {
            self.fields.push(String::new());
        }
        self.fields[i] = v;
        self.rebuild_record();
    }

    fn set_nf(&mut self, n: usize) {
        self.fields.resize(n + 1, String::new());
        self.rebuild_record();
    }

    // ------------------------------------------------ variables

    fn convfmt(&self) -> String {
        match self.vars.get("CONVFMT") {
            Some(v) => value_str(v, "%.6g"),
            None => String::from("%.6g"),
        }
    }

    fn to_str(&self, v: &Value) -> String {
        value_str(v, &self.convfmt())
    }

    fn get_var(&self, name: &str) -> Value {
        if name == "NF" {
            return Value::Num((self.fields.len() - 1) as f64);
        }
        self.vars.get(name).cloned().unwrap_or_else(uninit)
    }

    fn set_var(&mut self, name: &str, v: Value) {
        if name == "NF" {
            let n = v.num().clamp(0.0, MAX_FIELDS as f64) as usize;
            self.set_nf(n);
            return;
        }
        self.vars.insert(String::from(name), v);
    }

    fn subscript(&mut self, subs: &[Expr]) -> RResult<String> {
        let mut parts = Vec::new();
        for s in subs {
            let v = self.eval(s)?;
            parts.push(self.to_str(&v));
        }
        let sep = self.to_str(&self.get_var("SUBSEP"));
        Ok(parts.join(&sep))
    }

    fn get(&mut self, target: &Expr) -> RResult<Value> {
        match target {
            Expr::Var(n) => Ok(self.get_var(n)),
            Expr::Field(e) => {
                let i = self.field_index(e)?;
                Ok(match self.fields.get(i) {
                    Some(s) => Value::from_input(s.clone()),
                    None => uninit(),
                })
            }
            Expr::Index(n, subs) => {
                let k = self.subscript(subs)?;
                let arr = self.arrays.entry(n.clone()).or_default();
                Ok(arr.entry(k).or_insert_with(uninit).clone())
            }
            _ => self.eval(target),
        }
    }

    fn set(&mut self, target: &Expr, v: Value) -> RResult<()> {
        match target {
            Expr::Var(n) => self.set_var(n, v),
            Expr::Field(e) => {
                let i = self.field_index(e)?;
                let s = self.to_str(&v);
                self.set_field(i, s);
            }
            Expr::Index(n, subs) => {
                let k = self.subscript(subs)?;
                self.arrays.entry(n.clone()).or_default().insert(k, v);
            }
            _ => return fail(String::from("assignment to a non-variable")),
        }
        Ok(())
    }

    fn field_index(&mut self, e: &Expr) -> RResult<usize> {
        let v = self.eval(e)?.num();
        if !(0.0..=MAX_FIELDS as f64).contains(&v) {
            return fail(format!("trying to access out of range field {}", v as i64));
        }
        Ok(v as usize)
    }

    fn regex_for(&mut self, pattern: &str) -> RResult<Ere> {
        if let Some(r) = self.dynamic.get(pattern) {
            return Ok(r.clone());
        }
        let r = Ere::new(pattern)?;
        if self.dynamic.len() > 64 {
            self.dynamic.clear();
        }
        self.dynamic.insert(String::from(pattern), r.clone());
        Ok(r)
    }

    /// The regular expression an operand of `~`, `split`, `sub` ... stands for.
    fn regex_of(&mut self, e: &Expr) -> RResult<Ere> {
        if let Expr::Match(i) = e {
            return Ok(self.prog.regexes[*i].clone());
        }
        let v = self.eval(e)?;
        let s = self.to_str(&v);
        self.regex_for(&s)
    }

    // ------------------------------------------------ statements

    fn exec(&mut self, s: &Stmt) -> RResult<Flow> {
        match s {
            Stmt::Expr(e) => {
                self.eval(e)?;
            }
            Stmt::Print(args, redirect) => {
                let vals = if args.is_empty() {
                    vec![Value::Str(self.fields[0].clone())]
                } else {
                    let mut v = Vec::new();
                    for a in args {
                        v.push(self.eval(a)?);
                    }
                    v
                };
                let start = self.out.len();
                self.print_values(&vals);
                self.redirect(redirect.as_ref(), start)?;
            }
            Stmt::Printf(args, redirect) => {
                let mut v = Vec::new();
                for a in args {
                    v.push(self.eval(a)?);
                }
                let fmt = self.to_str(&v[0]);
                let text = self.format(&fmt, &v[1..])?;
                let start = self.out.len();
                self.out.extend_from_slice(text.as_bytes());
                self.redirect(redirect.as_ref(), start)?;
            }
            Stmt::If(c, a, b) => {
                if self.eval(c)?.truth() {
                    return self.exec(a);
                } else if let Some(b) = b {
                    return self.exec(b);
                }
            }
            Stmt::While(c, body) => {
                while self.eval(c)?.truth() {
                    match self.exec(body)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        f => return Ok(f),
                    }
                }
            }
            Stmt::Do(body, c) => loop {
                match self.exec(body)? {
                    Flow::Break => break,
                    Flow::Normal | Flow::Continue => {}
                    f => return Ok(f),
                }
                if !self.eval(c)?.truth() {
                    break;
                }
            },
            Stmt::For(init, cond, step, body) => {
                if let Some(i) = init {
                    self.eval(i)?;
                }
                loop {
                    if let Some(c) = cond {
                        if !self.eval(c)?.truth() {
                            break;
                        }
                    }
                    match self.exec(body)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        f => return Ok(f),
                    }
                    if let Some(st) = step {
                        self.eval(st)?;
                    }
                }
            }
            Stmt::ForIn(k, a, body) => {
                let keys: Vec<String> = self
                    .arrays
                    .get(a)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                for key in keys {
                    self.set_var(k, Value::from_input(key));
                    match self.exec(body)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        f => return Ok(f),
                    }
                }
            }
            Stmt::Block(list) => {
                for st in list {
                    let f = self.exec(st)?;
                    if f != Flow::Normal {
                        return Ok(f);
                    }
                }
            }
            Stmt::Next => return Ok(Flow::Next),
            Stmt::Break => return Ok(Flow::Break),
            Stmt::Continue => return Ok(Flow::Continue),
            Stmt::Exit(e) => {
                if let Some(e) = e {
                    self.status = self.eval(e)?.num() as i32;
                }
                return Ok(Flow::Exit);
            }
            Stmt::Delete(a, subs) => match subs {
                Some(subs) => {
                    let k = self.subscript(subs)?;
                    if let Some(m) = self.arrays.get_mut(a) {
                        m.remove(&k);
                    }
                }
                None => {
                    self.arrays.remove(a);
                }
            },
        }
        Ok(Flow::Normal)
    }

    /// Move what was just printed (from `start` on) to the file `r` names, if any.
    fn redirect(&mut self, r: Option<&Redirect>, start: usize) -> RResult<()> {
        let Some(r) = r else {
            return Ok(());
        };
        let bytes = self.out.split_off(start);
        let v = self.eval(&r.file)?;
        let name = self.to_str(&v);
        if name == "/dev/stdout" || name == "-" {
            self.out.extend_from_slice(&bytes);
            return Ok(());
        }
        let first = self.opened.insert(name.clone(), ()).is_none();
        match self.files.last_mut() {
            Some(f) if f.name == name => f.bytes.extend_from_slice(&bytes),
            _ => self.files.push(FileOutput {
                name,
                truncate: first && !r.append,
                bytes,
            }),
        }
        Ok(())
    }

    fn print_values(&mut self, vals: &[Value]) {
        let ofmt = value_str(&self.get_var("OFMT"), "%.6g");
        let ofs = self.to_str(&self.get_var("OFS"));
        let ors = self.to_str(&self.get_var("ORS"));
        for (i, v) in vals.iter().enumerate() {
            if i > 0 {
                self.out.extend_from_slice(ofs.as_bytes());
            }
            self.out.extend_from_slice(value_str(v, &ofmt).as_bytes());
        }
        self.out.extend_from_slice(ors.as_bytes());
    }

    // ------------------------------------------------ expressions

    fn eval(&mut self, e: &Expr) -> RResult<Value> {
        Ok(match e {
            Expr::Num(v) => Value::Num(*v),
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::Match(i) => {
                let hit = self.prog.regexes[*i].is_match(self.fields[0].as_bytes());
                Value::Num(hit as u8 as f64)
            }
            Expr::Var(_) | Expr::Field(_) | Expr::Index(..) => self.get(e)?,
            Expr::Assign(target, op, rhs) => {
                let r = self.eval(rhs)?;
                let v = match op {
                    None => match r {
                        Value::StrNum(s, n) => Value::StrNum(s, n),
                        other => other,
                    },
                    Some(op) => {
                        let l = self.get(target)?.num();
                        Value::Num(arith(op, l, r.num())?)
                    }
                };
                self.set(target, v.clone())?;
                v
            }
            Expr::Incr(target, by, pre) => {
                let old = self.get(target)?.num();
                self.set(target, Value::Num(old + by))?;
                Value::Num(if *pre { old + by } else { old })
            }
            Expr::Binary(op, a, b) => {
                let l = self.eval(a)?;
                let r = self.eval(b)?;
                match *op {
                    "<" | "<=" | "==" | "!=" | ">" | ">=" => {
                        let ord = self.compare(&l, &r);
                        use core::cmp::Ordering::*;
                        let t = match *op {
                            "<" => ord == Some(Less),
                            "<=" => matches!(ord, Some(Less | Equal)),
                            "==" => ord == Some(Equal),
                            "!=" => ord != Some(Equal),
                            ">" => ord == Some(Greater),
                            _ => matches!(ord, Some(Greater | Equal)),
                        };
                        Value::Num(t as u8 as f64)
                    }
                    _ => Value::Num(arith(op, l.num(), r.num())?),
                }
            }
            Expr::Concat(a, b) => {
                let l = self.eval(a)?;
                let r = self.eval(b)?;
                Value::Str(self.to_str(&l) + &self.to_str(&r))
            }
            Expr::Not(a) => Value::Num(!self.eval(a)?.truth() as u8 as f64),
            Expr::Neg(a) => Value::Num(-self.eval(a)?.num()),
            Expr::Plus(a) => Value::Num(self.eval(a)?.num()),
            Expr::And(a, b) => {
                Value::Num((self.eval(a)?.truth() && self.eval(b)?.truth()) as u8 as f64)
            }
            Expr::Or(a, b) => {
                Value::Num((self.eval(a)?.truth() || self.eval(b)?.truth()) as u8 as f64)
            }
            Expr::Cond(c, a, b) => {
                if self.eval(c)?.truth() {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            Expr::Tilde(a, re, yes) => {
                let v = self.eval(a)?;
                let s = self.to_str(&v);
                let r = self.regex_of(re)?;
                Value::Num((r.is_match(s.as_bytes()) == *yes) as u8 as f64)
            }
            Expr::In(subs, a) => {
                let k = self.subscript(subs)?;
                let has = self.arrays.get(a).is_some_and(|m| m.contains_key(&k));
                Value::Num(has as u8 as f64)
            }
            Expr::Call(f, args) => self.call(f, args)?,
        })
    }

    fn format(&self, fmt: &str, args: &[Value]) -> RResult<String> {
        match format_checked(fmt, args, &self.convfmt()) {
            (s, true) => Ok(s),
            _ => fail(format!("not enough arguments passed to printf(\"{fmt}\")")),
        }
    }

    fn compare(&self, l: &Value, r: &Value) -> Option<core::cmp::Ordering> {
        let numeric = |v: &Value| matches!(v, Value::Num(_) | Value::StrNum(..));
        if numeric(l) && numeric(r) {
            l.num().partial_cmp(&r.num())
        } else {
            Some(self.to_str(l).as_bytes().cmp(self.to_str(r).as_bytes()))
        }
    }

    fn arg_str(&mut self, args: &[Expr], i: usize) -> RResult<String> {
        match args.get(i) {
            Some(e) => {
                let v = self.eval(e)?;
                Ok(self.to_str(&v))
            }
            None => Ok(self.fields[0].clone()),
        }
    }

    fn call(&mut self, f: &str, args: &[Expr]) -> RResult<Value> {
        let count = |lo: usize, hi: usize| -> RResult<()> {
            if args.len() < lo || args.len() > hi {
                fail(format!("{f}: wrong number of arguments"))
            } else {
                Ok(())
            }
        };
        Ok(match f {
            "length" => {
                count(0, 1)?;
                if let Some(Expr::Var(n)) = args.first() {
                    if let Some(m) = self.arrays.get(n) {
                        return Ok(Value::Num(m.len() as f64));
                    }
                }
                Value::Num(self.arg_str(args, 0)?.len() as f64)
            }
            "substr" => {
                count(2, 3)?;
                let s = self.arg_str(args, 0)?;
                let b = s.as_bytes();
                let m = round(self.eval(&args[1])?.num());
                let end = match args.get(2) {
                    Some(n) => m + round(self.eval(n)?.num()),
                    None => f64::INFINITY,
                };
                let from = m.max(1.0);
                let to = end.min(b.len() as f64 + 1.0);
                if to <= from {
                    Value::Str(String::new())
                } else {
                    let (from, to) = (from as usize - 1, to as usize - 1);
                    Value::Str(String::from_utf8_lossy(&b[from..to]).into_owned())
                }
            }
            "index" => {
                count(2, 2)?;
                let s = self.arg_str(args, 0)?;
                let t = self.arg_str(args, 1)?;
                Value::Num(s.find(t.as_str()).map_or(0, |k| k + 1) as f64)
            }
            "split" => {
                count(2, 3)?;
                let s = self.arg_str(args, 0)?;
                let Expr::Var(name) = &args[1] else {
                    return fail(String::from("split: the second argument must be an array"));
                };
                let parts = match args.get(2) {
                    Some(Expr::Match(i)) => {
                        let re = self.prog.regexes[*i].clone();
                        let key = String::from("\u{0}re");
                        self.dynamic.insert(key.clone(), re);
                        let p = self.split_text(&s, "\u{0}re");
                        self.dynamic.remove(&key);
                        p
                    }
                    Some(e) => {
                        let v = self.eval(e)?;
                        let fs = self.to_str(&v);
                        self.split_text(&s, &fs)
                    }
                    None => {
                        let fs = self.to_str(&self.get_var("FS"));
                        self.split_text(&s, &fs)
                    }
                };
                let mut m = BTreeMap::new();
                let n = parts.len();
                for (i, p) in parts.into_iter().enumerate() {
                    m.insert(format!("{}", i + 1), Value::from_input(p));
                }
                self.arrays.insert(name.clone(), m);
                Value::Num(n as f64)
            }
            "sub" | "gsub" => {
                count(2, 3)?;
                let re = self.regex_of(&args[0])?;
                let repl = self.arg_str(args, 1)?;
                let target = args
                    .get(2)
                    .cloned()
                    .unwrap_or(Expr::Field(Box::new(Expr::Num(0.0))));
                let v = self.get(&target)?;
                let text = self.to_str(&v);
                let (new, n) = substitute(&re, &repl, &text, f == "gsub");
                if n > 0 {
                    self.set(&target, Value::Str(new))?;
                }
                Value::Num(n as f64)
            }
            "match" => {
                count(2, 2)?;
                let s = self.arg_str(args, 0)?;
                let re = self.regex_of(&args[1])?;
                let (start, len) = match re.find_at(s.as_bytes(), 0) {
                    Some((a, b)) => ((a + 1) as f64, (b - a) as f64),
                    None => (0.0, -1.0),
                };
                self.vars.insert(String::from("RSTART"), Value::Num(start));
                self.vars.insert(String::from("RLENGTH"), Value::Num(len));
                Value::Num(start)
            }
            "toupper" => {
                count(1, 1)?;
                Value::Str(self.arg_str(args, 0)?.to_ascii_uppercase())
            }
            "tolower" => {
                count(1, 1)?;
                Value::Str(self.arg_str(args, 0)?.to_ascii_lowercase())
            }
            "int" => {
                count(1, 1)?;
                Value::Num(int_part(self.eval(&args[0])?.num()))
            }
            _ => {
                if args.is_empty() {
                    return fail(String::from("sprintf needs a format"));
                }
                let mut v = Vec::new();
                for a in args {
                    v.push(self.eval(a)?);
                }
                let fmt = self.to_str(&v[0]);
                Value::Str(self.format(&fmt, &v[1..])?)
            }
        })
    }
}

fn round(v: f64) -> f64 {
    if v < 0.0 {
        -int_part(-v + 0.5)
    } else {
        int_part(v + 0.5)
    }
}

fn arith(op: &str, a: f64, b: f64) -> RResult<f64> {
    Ok(match op {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => {
            if b == 0.0 {
                return fail(String::from("division by zero"));
            }
            a / b
        }
        "%" => {
            if b == 0.0 {
                return fail(String::from("division by zero in %"));
            }
            a % b
        }
        _ => power(a, b),
    })
}

/// `a ^ b` for whole exponents (by squaring); a fractional exponent gives NaN, as
/// `core` has no `pow` (the module comment lists this among the limits).
fn power(a: f64, b: f64) -> f64 {
    if b != int_part(b) || b.abs() > 1e9 {
        return f64::NAN;
    }
    let mut n = b.abs() as u64;
    let mut base = a;
    let mut r = 1.0;
    while n > 0 {
        if n & 1 == 1 {
            r *= base;
        }
        base *= base;
        n >>= 1;
    }
    if b < 0.0 {
        1.0 / r
    } else {
        r
    }
}

/// Replace the first (or every) match of `re` in `text` by `repl` (`&` is the match,
/// `\&` a literal `&`); the new text and how many replacements were made.
fn substitute(re: &Ere, repl: &str, text: &str, global: bool) -> (String, usize) {
    let b = text.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let mut at = 0;
    let mut n = 0;
    while at <= b.len() {
        let Some((s, e)) = re.find_at(b, at) else {
            break;
        };
        out.extend_from_slice(&b[at..s]);
        let mut r = repl.bytes().peekable();
        while let Some(c) = r.next() {
            match c {
                b'\\' if r.peek() == Some(&b'&') => {
                    r.next();
                    out.push(b'&');
                }
                b'\\' if r.peek() == Some(&b'\\') => {
                    r.next();
                    out.push(b'\\');
                }
                b'&' => out.extend_from_slice(&b[s..e]),
                _ => out.push(c),
            }
        }
        n += 1;
        if e == s {
            if s < b.len() {
                out.push(b[s]);
            }
            at = s + 1;
        } else {
            at = e;
        }
        if !global {
            break;
        }
    }
    if at < b.len() {
        out.extend_from_slice(&b[at..]);
    }
    (String::from_utf8_lossy(&out).into_owned(), n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str, input: &str) -> (String, i32) {
        let mut a = Awk::new(Program::compile(src).unwrap(), &[]);
        a.begin().unwrap();
        if !a.exited() {
            a.input("in", input.as_bytes()).unwrap();
        }
        let st = a.end().unwrap();
        (String::from_utf8(a.out.clone()).unwrap(), st)
    }

    fn out(src: &str, input: &str) -> String {
        run(src, input).0
    }

    #[test]
    fn fields_and_patterns() {
        assert_eq!(out("{ print $2, $1 }", "a b\nc d\n"), "b a\nd c\n");
        assert_eq!(out("$1 > 5", "3\n10\n7\nx\n"), "10\n7\nx\n");
        assert_eq!(out("/b/,/d/", "a\nb\nc\nd\ne\nb\n"), "b\nc\nd\nb\n");
        assert_eq!(out("{ print NF, $NF }", "  x  y z \n\n"), "3 z\n0 \n");
        assert_eq!(out("NR == 2 { next } { print NR }", "a\nb\nc\n"), "1\n3\n");
    }

    #[test]
    fn field_assignment_rebuilds_the_record() {
        assert_eq!(
            out("BEGIN { OFS = \"-\" } { $2 = \"X\"; print }", "a b c\n"),
            "a-X-c\n"
        );
        assert_eq!(
            out("{ $5 = \"e\"; print; print NF }", "a b\n"),
            "a b   e\n5\n"
        );
        assert_eq!(out("{ NF = 1; print }", "a b c\n"), "a\n");
    }

    #[test]
    fn numbers_print_like_awk() {
        assert_eq!(
            out("BEGIN { print 1/4, 1/3, 2^10, 7 % 3, -7 / 2 }", ""),
            "0.25 0.333333 1024 1 -3.5\n"
        );
        assert_eq!(
            out("BEGIN { print 1e6, 0.1 + 0.2, 123456789 }", ""),
            "1000000 0.3 123456789\n"
        );
        assert_eq!(out("BEGIN { print 2 ^ 3 ^ 2, -2 ^ 2 }", ""), "512 -4\n");
    }

    #[test]
    fn printf_conversions() {
        let f = |s: &str| out(&format!("BEGIN {{ printf {s} }}"), "");
        assert_eq!(
            f("\"%5d|%-5d|%05d|%x|%o|%c%%\", 42, 42, 42, 255, 8, 65"),
            "   42|42   |00042|ff|10|A%"
        );
        assert_eq!(
            f("\"%.2f %e %g %g %G\", 3.14159, 12345.678, 0.0001, 1234567, 0.00001234"),
            "3.14 1.234568e+04 0.0001 1.23457e+06 1.234E-05"
        );
        assert_eq!(
            f("\"%.3s|%10s|%*d\", \"abcdef\", \"x\", 3, 7"),
            "abc|         x|  7"
        );
        let mut a = Awk::new(Program::compile("BEGIN { printf \"%s\" }").unwrap(), &[]);
        assert!(a.begin().is_err());
    }

    #[test]
    fn comparisons_numeric_or_string() {
        assert_eq!(
            out(
                "BEGIN { print (\"10\" < \"9\"), (10 < 9), (x == 0), (x == \"\") }",
                ""
            ),
            "1 0 1 1\n"
        );
        assert_eq!(out("{ print ($1 < $2) }", "10 9\nabc abd\n"), "0\n1\n");
    }

    #[test]
    fn control_flow_and_arrays() {
        assert_eq!(
            out("BEGIN { for (i = 1; i <= 3; i++) s = s i; print s }", ""),
            "123\n"
        );
        assert_eq!(
            out(
                "BEGIN { while (1) { if (++i > 4) break; if (i == 2) continue; print i } }",
                ""
            ),
            "1\n3\n4\n"
        );
        assert_eq!(
            out(
                "{ n[$1]++ } END { for (k in n) print k, n[k] }",
                "b\na\nb\n"
            ),
            "a 1\nb 2\n"
        );
        assert_eq!(
            out("BEGIN { a[1]; delete a[1]; print (1 in a), length(a) }", ""),
            "0 0\n"
        );
        assert_eq!(
            run("BEGIN { exit 3 } END { print \"end\" }", ""),
            (String::from("end\n"), 3)
        );
        assert_eq!(out("BEGIN { do i++; while (i < 5); print i }", ""), "5\n");
    }

    #[test]
    fn string_builtins() {
        assert_eq!(out("BEGIN { print length(\"abc\"), substr(\"hello\", 2, 3), index(\"hello\", \"ll\") }", ""), "3 ell 3\n");
        assert_eq!(
            out(
                "BEGIN { n = split(\"a:b:c\", p, \":\"); print n, p[3] }",
                ""
            ),
            "3 c\n"
        );
        assert_eq!(
            out("BEGIN { s = \"aaa\"; print gsub(/a/, \"<&>\", s), s }", ""),
            "3 <a><a><a>\n"
        );
        assert_eq!(out("{ sub(/o+/, \"0\"); print }", "foo boo\n"), "f0 boo\n");
        assert_eq!(
            out("{ print match($0, /o+/), RSTART, RLENGTH }", "foo\n"),
            "2 2 2\n"
        );
        assert_eq!(
            out(
                "BEGIN { print toupper(\"ab\") tolower(\"CD\"), int(-3.9) }",
                ""
            ),
            "ABcd -3\n"
        );
    }

    #[test]
    fn extended_regular_expressions() {
        assert!(Ere::new("ab+c").unwrap().is_match(b"xabbbc"));
        assert!(!Ere::new("ab+c").unwrap().is_match(b"xac"));
        assert!(Ere::new("^(ab)c$|z").unwrap().is_match(b"abc"));
        assert!(Ere::new("(ab)*").is_err());
        assert!(Ere::new("fox|dog").unwrap().is_match(b"lazy dog"));
        assert_eq!(Ere::new("o+|b").unwrap().find_at(b"boo", 0), Some((0, 1)));
        assert!(Ere::new("a?").is_err());
        assert!(Ere::new("(a|b)").is_err());
    }

    #[test]
    fn output_redirection_collects_bytes_per_file() {
        let src = "{ print $1 > \"a\"; print $2 >> \"b\" } END { printf \"%s\", \"!\" > \"a\" }";
        let mut a = Awk::new(Program::compile(src).unwrap(), &[]);
        a.input("in", b"1 2\n3 4\n").unwrap();
        a.end().unwrap();
        let got: Vec<(&str, bool, &[u8])> = a
            .files
            .iter()
            .map(|f| (f.name.as_str(), f.truncate, f.bytes.as_slice()))
            .collect();
        let want: Vec<(&str, bool, &[u8])> = vec![
            ("a", true, b"1\n"),
            ("b", false, b"2\n"),
            ("a", false, b"3\n"),
            ("b", false, b"4\n"),
            ("a", false, b"!"),
        ];
        assert_eq!(got, want);
        assert!(a.out.is_empty());
    }

    #[test]
    fn bad_programs_are_refused() {
        assert!(Program::compile("{ print $1").is_err());
        assert!(Program::compile("BEGIN").is_err());
        assert!(Program::compile("{ x = }").is_err());
        let mut a = Awk::new(Program::compile("{ $1e18 = 1 }").unwrap(), &[]);
        assert!(a.input("in", b"x\n").is_err());
    }
}
