//! The syntax tree of a shell script, as the parser builds it and `sh` walks it.
//!
//! Chapter 2 section 2-1 (the command interpreter): the shell's language is a small
//! grammar: a *list* of *and-or lists* of *pipelines* of *commands*, where a command is
//! either simple (`VAR=x prog args <in >out`) or compound (`if`, `while`, `until`,
//! `for`, `{ }`, `( )`). These types mirror that grammar one level per type.
//!
//! Design decision: words stay unexpanded in the tree. A [`Word`] records which of its
//! pieces were quoted and where `$` parameters were, so `sh` expands it with the
//! variables as they are *when the command runs* (`x=1; echo $x` must print 1), and a
//! loop body parsed once is expanded afresh on every iteration.

use alloc::string::String;
use alloc::vec::Vec;

/// A parameter named after `$`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    /// `$NAME` or `${NAME}`: a shell or environment variable.
    Named(String),
    /// `$0` .. `$9`, `${10}`: the script name (0) and the positional arguments.
    Positional(usize),
    /// `$?`: exit status of the last command.
    Status,
    /// `$$`: the shell's process id.
    Pid,
    /// `$#`: number of positional arguments.
    Count,
    /// `$@`: all positional arguments, one field each when quoted.
    All,
    /// `$*`: all positional arguments, joined by a space when quoted.
    Star,
    /// `$!`: process id of the last background job.
    LastBackground,
}

/// One piece of a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Unquoted text: subject to globbing.
    Literal(String),
    /// Text from quotes or a backslash escape: taken exactly as written.
    Quoted(String),
    /// A parameter; `quoted` when it appeared inside double quotes (no field splitting).
    Param {
        /// Which parameter.
        param: Param,
        /// Inside double quotes.
        quoted: bool,
    },
    /// An unquoted `~` at the start of a word: the home directory.
    Tilde,
    /// `${param OP word}`: a parameter with a default, an error, an alternative, or a
    /// prefix or suffix pattern removed.
    ParamOp {
        /// Which parameter.
        param: Param,
        /// What to do with it.
        op: ParamOp,
        /// `:` was written (`${x:-y}`): an empty value counts as unset.
        colon: bool,
        /// The word after the operator, expanded only if needed.
        word: Vec<Part>,
        /// Inside double quotes.
        quoted: bool,
    },
    /// `${#param}`: the length of the value.
    Length(Param),
    /// `$(list)` or `` `list` ``: the output of the commands, trailing newlines removed.
    Command {
        /// The commands.
        list: List,
        /// Inside double quotes (no field splitting).
        quoted: bool,
    },
    /// `$((expression))`: the parts (parameters, substitutions) make the expression
    /// text, which is then evaluated.
    Arith {
        /// The expression, before its own expansions.
        expr: Vec<Part>,
        /// Inside double quotes.
        quoted: bool,
    },
}

/// The operators of `${param OP word}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamOp {
    /// `-`: the word if unset.
    Default,
    /// `=`: the word if unset, also assigned.
    Assign,
    /// `?`: an error naming the word if unset.
    Error,
    /// `+`: the word if set.
    Alternative,
    /// `#`: shortest prefix matching the pattern removed.
    TrimPrefix,
    /// `##`: longest prefix removed.
    TrimLongestPrefix,
    /// `%`: shortest suffix removed.
    TrimSuffix,
    /// `%%`: longest suffix removed.
    TrimLongestSuffix,
}

/// A word as written: its pieces, plus the source text for messages and job listings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    /// The pieces in order.
    pub parts: Vec<Part>,
    /// The word exactly as it appeared in the input.
    pub text: String,
}

impl Word {
    /// The word's text if it is one unquoted literal (how reserved words are spotted).
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Literal(s)] => Some(s),
            _ => None,
        }
    }
}

/// `NAME=value` before a command (or alone, setting a shell variable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The variable.
    pub name: String,
    /// The value, expanded without field splitting.
    pub value: Word,
}

/// What a redirection does to its file descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectOp {
    /// `<file`: open for reading.
    Read(Word),
    /// `>file`: create or truncate, open for writing.
    Write(Word),
    /// `>>file`: create or open for appending.
    Append(Word),
    /// `N>&M` or `N<&M`: make `N` a copy of `M`.
    Dup(u32),
    /// `N>&-`: close `N`.
    Close,
    /// `<>file`: open for reading and writing.
    ReadWrite(Word),
    /// `<<WORD` and `<<-WORD`: the here-document's text (one quoted part when the
    /// delimiter was quoted, so nothing in it is expanded).
    HereDoc(Word),
}

/// One redirection: `fd` is changed as `op` says before the command runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The descriptor redirected (0 for `<` forms, 1 for `>` forms, unless given).
    pub fd: u32,
    /// What happens to it.
    pub op: RedirectOp,
}

/// `VAR=x cmd arg... <in >out`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    /// Leading assignments.
    pub assignments: Vec<Assignment>,
    /// The command name and its arguments (may be empty: `x=1` or `>file`).
    pub words: Vec<Word>,
    /// Redirections, in the order written.
    pub redirects: Vec<Redirect>,
    /// The line (from 1) the command starts on, for error messages.
    pub line: usize,
}

/// A command built from lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compound {
    /// `if c; then b; elif c; then b; else b; fi`: `(condition, body)` pairs tried in order.
    If {
        /// The `if` and `elif` branches.
        branches: Vec<(List, List)>,
        /// The `else` body.
        otherwise: Option<List>,
    },
    /// `while cond; do body; done`.
    While {
        /// Run before each iteration; the loop goes on while it succeeds.
        cond: List,
        /// The loop body.
        body: List,
    },
    /// `until cond; do body; done`.
    Until {
        /// Run before each iteration; the loop goes on while it fails.
        cond: List,
        /// The loop body.
        body: List,
    },
    /// `for name in words; do body; done`; `words` is `None` for `for name; do`
    /// (iterate over `"$@"`).
    For {
        /// The loop variable.
        name: String,
        /// The words to iterate over, expanded when the loop starts.
        words: Option<Vec<Word>>,
        /// The loop body.
        body: List,
    },
    /// `{ list; }`: run in the current shell.
    Group(List),
    /// `( list )`: run in a child shell.
    Subshell(List),
    /// `case word in pattern | pattern) list ;; ... esac`.
    Case {
        /// The word matched.
        word: Word,
        /// The arms: patterns and the list run when one matches.
        arms: Vec<(Vec<Word>, List)>,
    },
}

/// One element of a pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A program or builtin with arguments.
    Simple(SimpleCommand),
    /// A compound command and redirections applying to all of it.
    Compound(Compound, Vec<Redirect>),
    /// `name() compound-command`: defines a function.
    Function {
        /// The function's name.
        name: String,
        /// Its body (a compound command with its redirections).
        body: alloc::boxed::Box<Command>,
    },
}

/// `[!] cmd | cmd | ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// `!`: the exit status is inverted.
    pub negated: bool,
    /// The commands, left to right (at least one).
    pub commands: Vec<Command>,
}

/// How an and-or list joins the next pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: run the next only if this one succeeded.
    And,
    /// `||`: run the next only if this one failed.
    Or,
}

/// `pipeline && pipeline || pipeline ...`, evaluated left to right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AndOr {
    /// The first pipeline.
    pub first: Pipeline,
    /// The rest, each with the connector before it.
    pub rest: Vec<(Connector, Pipeline)>,
}

/// One entry of a list: an and-or list and how it was ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// What to run.
    pub and_or: AndOr,
    /// Ended by `&`: run in the background without waiting.
    pub background: bool,
}

/// A sequence of commands separated by `;`, `&` or newlines; a whole script is one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List {
    /// The entries, in order.
    pub items: Vec<Item>,
}
