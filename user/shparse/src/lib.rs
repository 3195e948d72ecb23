//! `shparse`: the language of the dinos shell `sh`, as pure logic.
//!
//! Chapter 2 section 2-1 (the command interpreter): a shell reads a command line,
//! works out what programs to run and how to connect them, then asks the kernel to do
//! it (`fork`/`spawn`, `exec`, `pipe`, `dup2`, `wait`). This crate is the first half:
//! [`parse`] turns text into a syntax tree ([`List`] of and-or lists of pipelines of
//! commands), [`expand_word`] turns each word into arguments given the shell's
//! variables, and [`glob_match`] matches file-name patterns. The second half, running
//! the tree, lives in `user/bin/sh`, which calls into here.
//!
//! Design decision: the crate knows nothing of processes or files, only of text, so the
//! whole language (quoting rules, grammar, expansion) is tested on the host with plain
//! `cargo test`, and the shell program is left with only the system-call side.
//!
//! Modules, in the order the text flows: `lexer` (characters to tokens), `parser`
//! (tokens to `ast`), `expand` (words to fields), `glob` (patterns).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod arith;
pub mod ast;
mod expand;
mod glob;
pub mod lexer;
mod parser;

use alloc::string::String;
use core::fmt;

pub use arith::{eval as eval_arith, parse_number};
pub use ast::{
    AndOr, Assignment, Command, Compound, Connector, Item, List, Param, ParamOp, Part, Pipeline,
    Redirect, RedirectOp, SimpleCommand, Word,
};
pub use expand::{expand_pattern, expand_string, expand_word, expand_words, Env, Field, SimpleEnv};
pub use glob::{glob_match, glob_match_filename, is_glob_meta};
pub use parser::{is_name, parse};

/// Why text could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The text stopped where more was needed (an open quote, a trailing `|` or `&&`,
    /// an `if` without `fi`): an interactive shell prompts `> ` and tries again with
    /// the next line appended.
    Incomplete,
    /// The text is wrong; `message` reads like `syntax error near unexpected token 'fi'`.
    Syntax {
        /// Line number (from 1) where the offending token starts.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl ParseError {
    /// Whether more input could complete the text.
    pub fn is_incomplete(&self) -> bool {
        *self == ParseError::Incomplete
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Incomplete => f.write_str("syntax error: unexpected end of file"),
            ParseError::Syntax { message, .. } => f.write_str(message),
        }
    }
}
