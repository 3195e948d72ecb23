//! Word expansion: from a parsed [`Word`] to the argument strings a program receives.
//!
//! Chapter 2 section 2-1 (the command interpreter): between parsing and `exec`, the
//! shell substitutes parameters (`$HOME`, `$?`, `$1`, `"$@"`), splits the results of
//! unquoted substitutions into separate arguments at blanks, and removes the quotes.
//! Pathname expansion (`*.txt`) needs the file system, so it is left to `sh`: each
//! [`Field`] says whether it holds an unquoted glob character and carries a pattern in
//! which quoted characters are escaped, ready for [`crate::glob_match`].
//!
//! Design decision: splitting happens only inside the text that came from an unquoted
//! expansion, never in literal or quoted text, at the characters of `IFS` (space, tab
//! and newline when unset): runs of IFS white space separate fields, and each other
//! IFS character ends one, so `IFS=:; x=a::b` splits into `a`, ``, `b`. Expansions that
//! need the shell itself (command substitution, assignment by `${x:=y}` and by
//! arithmetic) go through [`Env`], so this module stays pure and host-tested.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::ast::{List, Param, ParamOp, Part, Word};
use crate::glob::{glob_match, is_glob_meta};

/// What expansion reads: variables, positional arguments and shell state.
pub trait Env {
    /// The value of variable `name`, or `None` if unset (unset expands to nothing).
    fn var(&self, name: &str) -> Option<String>;
    /// Sets variable `name` (for `${x:=y}` and arithmetic assignment).
    fn set_var(&mut self, name: &str, value: &str) -> Result<(), String>;
    /// `$0`: the shell or script name.
    fn arg0(&self) -> &str;
    /// `$1`, `$2`, ...: the positional arguments.
    fn args(&self) -> &[String];
    /// `$?`: exit status of the last command.
    fn status(&self) -> i32;
    /// `$$`: the shell's process id.
    fn pid(&self) -> u32;
    /// `$!`: process id of the last background job, if any.
    fn last_background(&self) -> Option<u32> {
        None
    }
    /// The standard output of `list` run in a subshell (`$(list)`), untrimmed.
    fn command_output(&mut self, _list: &List) -> Result<String, String> {
        Err(String::from("command substitution is not available here"))
    }
    /// `set -u`: whether expanding an unset parameter is an error.
    fn nounset(&self) -> bool {
        false
    }
}

/// A ready-made [`Env`] over a map, for tests and simple callers.
#[derive(Clone, Debug, Default)]
pub struct SimpleEnv {
    /// Variables.
    pub vars: BTreeMap<String, String>,
    /// `$0`.
    pub arg0: String,
    /// `$1`...
    pub args: Vec<String>,
    /// `$?`.
    pub status: i32,
    /// `$$`.
    pub pid: u32,
    /// `$!`.
    pub last_background: Option<u32>,
    /// `set -u`.
    pub nounset: bool,
}

impl Env for SimpleEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
    fn set_var(&mut self, name: &str, value: &str) -> Result<(), String> {
        self.vars.insert(String::from(name), String::from(value));
        Ok(())
    }
    fn arg0(&self) -> &str {
        &self.arg0
    }
    fn args(&self) -> &[String] {
        &self.args
    }
    fn status(&self) -> i32 {
        self.status
    }
    fn pid(&self) -> u32 {
        self.pid
    }
    fn last_background(&self) -> Option<u32> {
        self.last_background
    }
    /// A stand-in for running commands: the words of each simple command, joined by
    /// spaces, one line per command (so `$(echo a b)` gives `a b\n`).
    fn command_output(&mut self, list: &List) -> Result<String, String> {
        let mut out = String::new();
        for item in &list.items {
            for cmd in &item.and_or.first.commands {
                if let crate::ast::Command::Simple(c) = cmd {
                    let words = expand_words(&c.words[1.min(c.words.len())..], self)?;
                    let line: Vec<String> = words.into_iter().map(|f| f.value).collect();
                    out.push_str(&line.join(" "));
                    out.push('\n');
                }
            }
        }
        Ok(out)
    }
    fn nounset(&self) -> bool {
        self.nounset
    }
}

/// One resulting argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The text, quotes removed.
    pub value: String,
    /// `Some` when the field contains an unquoted `*`, `?` or `[`: the text to match
    /// against file names, with every quoted character (and every backslash) escaped
    /// by a backslash. `sh` replaces the field by the matching names, or keeps `value`
    /// when none match.
    pub pattern: Option<String>,
}

/// Fields under construction.
struct Fields {
    done: Vec<Field>,
    /// The field being built: `(value, pattern, has unquoted glob char)`.
    current: Option<(String, String, bool)>,
    /// The field separators; empty when nothing is split (assignments, here-documents).
    ifs: String,
    /// IFS white space just ended a field (a following IFS non-white character then
    /// does not make an empty field).
    after_white: bool,
}

impl Fields {
    fn new(ifs: String) -> Fields {
        Fields {
            done: Vec::new(),
            current: None,
            ifs,
            after_white: false,
        }
    }

    fn start(&mut self) -> &mut (String, String, bool) {
        self.current
            .get_or_insert_with(|| (String::new(), String::new(), false))
    }

    fn push(&mut self, c: char, quoted: bool) {
        self.after_white = false;
        let (value, pattern, glob) = self.start();
        value.push(c);
        if c == '\\' || (quoted && is_glob_meta(c)) {
            pattern.push('\\');
        }
        pattern.push(c);
        *glob |= !quoted && is_glob_meta(c);
    }

    fn push_str(&mut self, s: &str, quoted: bool) {
        self.start();
        s.chars().for_each(|c| self.push(c, quoted));
    }

    /// Text from an unquoted expansion: IFS characters end fields, others extend them.
    fn push_splitting(&mut self, s: &str) {
        for c in s.chars() {
            if !self.ifs.contains(c) {
                self.push(c, false);
            } else if matches!(c, ' ' | '\t' | '\n') {
                if self.current.is_some() {
                    self.split();
                    self.after_white = true;
                }
            } else {
                if self.current.is_some() {
                    self.split();
                } else if !self.after_white {
                    self.done.push(Field {
                        value: String::new(),
                        pattern: None,
                    });
                }
                self.after_white = false;
            }
        }
    }

    fn split(&mut self) {
        if let Some((value, pattern, glob)) = self.current.take() {
            self.done.push(Field {
                value,
                pattern: glob.then_some(pattern),
            });
        }
    }

    /// A value substituted quoted or unquoted.
    fn push_value(&mut self, s: &str, quoted: bool) {
        if quoted {
            self.push_str(s, true);
        } else {
            self.push_splitting(s);
        }
    }
}

fn param_name(param: &Param) -> String {
    match param {
        Param::Named(n) => n.clone(),
        Param::Positional(n) => n.to_string(),
        Param::Status => String::from("?"),
        Param::Pid => String::from("$"),
        Param::Count => String::from("#"),
        Param::All => String::from("@"),
        Param::Star => String::from("*"),
        Param::LastBackground => String::from("!"),
    }
}

/// The value of a parameter, `None` when unset (`$@` and `$*` joined by spaces).
fn lookup_opt(param: &Param, env: &dyn Env) -> Option<String> {
    match param {
        Param::Named(name) => env.var(name),
        Param::Positional(0) => Some(String::from(env.arg0())),
        Param::Positional(n) => env.args().get(n - 1).cloned(),
        Param::Status => Some(env.status().to_string()),
        Param::Pid => Some(env.pid().to_string()),
        Param::Count => Some(env.args().len().to_string()),
        Param::LastBackground => env.last_background().map(|p| p.to_string()),
        Param::All | Param::Star => Some(env.args().join(" ")),
    }
}

/// The value of a parameter; unset is empty, or an error under `set -u`.
fn lookup(param: &Param, env: &dyn Env) -> Result<String, String> {
    match lookup_opt(param, env) {
        Some(v) => Ok(v),
        None if env.nounset() && !matches!(param, Param::All | Param::Star) => {
            Err(format!("{}: parameter not set", param_name(param)))
        }
        None => Ok(String::new()),
    }
}

fn home(env: &dyn Env) -> String {
    env.var("HOME").unwrap_or_else(|| String::from("~"))
}

fn ifs(env: &dyn Env) -> String {
    env.var("IFS").unwrap_or_else(|| String::from(" \t\n"))
}

/// Removes the shortest or longest prefix or suffix of `value` matching `pattern`.
fn trim(value: &str, pattern: &str, op: ParamOp) -> String {
    let cuts: Vec<usize> = value
        .char_indices()
        .map(|(i, _)| i)
        .chain([value.len()])
        .collect();
    let found = match op {
        ParamOp::TrimPrefix => cuts
            .iter()
            .find(|&&i| glob_match(pattern, &value[..i]))
            .map(|&i| &value[i..]),
        ParamOp::TrimLongestPrefix => cuts
            .iter()
            .rev()
            .find(|&&i| glob_match(pattern, &value[..i]))
            .map(|&i| &value[i..]),
        ParamOp::TrimSuffix => cuts
            .iter()
            .rev()
            .find(|&&i| glob_match(pattern, &value[i..]))
            .map(|&i| &value[..i]),
        _ => cuts
            .iter()
            .find(|&&i| glob_match(pattern, &value[i..]))
            .map(|&i| &value[..i]),
    };
    String::from(found.unwrap_or(value))
}

/// Expands `parts` into `f`. `split_literals`: unquoted literal text is split too (it
/// came from the word of an unquoted `${x:-word}`).
fn expand_parts(
    parts: &[Part],
    env: &mut dyn Env,
    f: &mut Fields,
    split_literals: bool,
) -> Result<(), String> {
    for part in parts {
        match part {
            Part::Literal(s) if split_literals => f.push_splitting(s),
            Part::Literal(s) => s.chars().for_each(|c| f.push(c, false)),
            Part::Quoted(s) => f.push_str(s, true),
            Part::Tilde => f.push_str(&home(env), true),
            Part::Param {
                param: Param::All | Param::Star,
                quoted: false,
            } => {
                for (i, arg) in env.args().iter().enumerate() {
                    if i > 0 {
                        f.split();
                    }
                    f.push_splitting(arg);
                }
            }
            Part::Param {
                param: Param::All,
                quoted: true,
            } => {
                for (i, arg) in env.args().iter().enumerate() {
                    if i > 0 {
                        f.split();
                    }
                    f.push_str(arg, true);
                }
            }
            Part::Param {
                param: Param::Star,
                quoted: true,
            } => {
                let sep = match env.var("IFS") {
                    None => String::from(" "),
                    Some(s) => s.chars().take(1).collect(),
                };
                f.push_str(&env.args().join(&sep), true);
            }
            Part::Param { param, quoted } => f.push_value(&lookup(param, env)?, *quoted),
            Part::Length(param) => {
                let n = lookup(param, env)?.chars().count();
                f.push_value(&n.to_string(), true);
            }
            Part::ParamOp {
                param,
                op,
                colon,
                word,
                quoted,
            } => {
                let value = lookup_opt(param, env);
                let set = value.as_ref().is_some_and(|v| !(*colon && v.is_empty()));
                match op {
                    ParamOp::Default | ParamOp::Assign if set => {
                        f.push_value(value.as_deref().unwrap_or(""), *quoted)
                    }
                    ParamOp::Default => expand_parts(word, env, f, !*quoted)?,
                    ParamOp::Assign => {
                        let Param::Named(name) = param else {
                            return Err(format!(
                                "{}: cannot assign in this way",
                                param_name(param)
                            ));
                        };
                        let v = expand_parts_to_string(word, env)?;
                        env.set_var(name, &v)?;
                        f.push_value(&v, *quoted);
                    }
                    ParamOp::Error if set => f.push_value(value.as_deref().unwrap_or(""), *quoted),
                    ParamOp::Error => {
                        let msg = expand_parts_to_string(word, env)?;
                        let msg = if !msg.is_empty() {
                            msg
                        } else if value.is_some() {
                            String::from("parameter null")
                        } else {
                            String::from("parameter not set")
                        };
                        return Err(format!("{}: {msg}", param_name(param)));
                    }
                    ParamOp::Alternative if set => expand_parts(word, env, f, !*quoted)?,
                    ParamOp::Alternative => {
                        if *quoted {
                            f.start();
                        }
                    }
                    _ => {
                        let value = match value {
                            Some(v) => v,
                            None => lookup(param, env)?,
                        };
                        let pattern = expand_parts_to_pattern(word, env)?;
                        f.push_value(&trim(&value, &pattern, *op), *quoted);
                    }
                }
            }
            Part::Command { list, quoted } => {
                let out = env.command_output(list)?;
                f.push_value(out.trim_end_matches('\n'), *quoted);
            }
            Part::Arith { expr, quoted } => {
                let text = expand_parts_to_string(expr, env)?;
                let n = crate::arith::eval(&text, env)?;
                f.push_value(&n.to_string(), *quoted);
            }
        }
    }
    Ok(())
}

fn expand_parts_to_string(parts: &[Part], env: &mut dyn Env) -> Result<String, String> {
    let mut f = Fields::new(String::new());
    expand_parts(parts, env, &mut f, false)?;
    Ok(f.current.map(|(v, _, _)| v).unwrap_or_default())
}

fn expand_parts_to_pattern(parts: &[Part], env: &mut dyn Env) -> Result<String, String> {
    let mut f = Fields::new(String::new());
    expand_parts(parts, env, &mut f, false)?;
    Ok(f.current.map(|(_, p, _)| p).unwrap_or_default())
}

/// Expands `word` into zero or more fields: parameters, command substitutions and
/// arithmetic substituted, unquoted substitutions split at `IFS`, quotes removed.
///
/// An unquoted `$x` with `x` empty or unset gives no field at all; `"$x"` gives one
/// empty field; `"$@"` gives one field per positional argument. The error is the
/// message of a failed expansion (`${x:?}`, division by zero, `set -u`).
pub fn expand_word(word: &Word, env: &mut dyn Env) -> Result<Vec<Field>, String> {
    let mut f = Fields::new(ifs(env));
    expand_parts(&word.parts, env, &mut f, false)?;
    f.split();
    Ok(f.done)
}

/// Expands each word in turn and concatenates the fields (a command's argument list).
pub fn expand_words(words: &[Word], env: &mut dyn Env) -> Result<Vec<Field>, String> {
    let mut out = Vec::new();
    for w in words {
        out.extend(expand_word(w, env)?);
    }
    Ok(out)
}

/// Expands `word` to a single string, without field splitting or globbing: for
/// assignment values (`x=$y`), redirection targets and here-documents.
pub fn expand_string(word: &Word, env: &mut dyn Env) -> Result<String, String> {
    expand_parts_to_string(&word.parts, env)
}

/// Expands `word` to a glob pattern (quoted characters escaped): a `case` pattern.
pub fn expand_pattern(word: &Word, env: &mut dyn Env) -> Result<String, String> {
    expand_parts_to_pattern(&word.parts, env)
}
