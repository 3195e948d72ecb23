//! `awk`'s syntax tree: expressions, statements, patterns, and a compiled program.

use super::*;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug, Clone)]
pub(crate) enum Expr {
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
pub(crate) enum Stmt {
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
pub(crate) struct Redirect {
    pub(crate) append: bool,
    pub(crate) file: Expr,
}

#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    Begin,
    End,
    All,
    Expr(Expr),
    Range(Expr, Expr),
}

/// A compiled awk program.
#[derive(Debug, Clone)]
pub struct Program {
    pub(crate) rules: Vec<(Pattern, Option<Stmt>)>,
    pub(crate) regexes: Vec<Ere>,
}

impl Program {
    /// Whether input must be read: there is a rule other than `BEGIN`.
    pub fn reads_input(&self) -> bool {
        self.rules.iter().any(|(p, _)| !matches!(p, Pattern::Begin))
    }
}
