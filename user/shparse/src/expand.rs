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
//! expansion, never in literal or quoted text, and the separators are fixed to space,
//! tab and newline (dinos' `sh` has no `IFS`). So `x="a  b"; echo $x "$x"` gives the
//! arguments `a`, `b`, `a  b`, as in every POSIX shell.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::ast::{Param, Part, Word};
use crate::glob::is_glob_meta;

/// What expansion reads: variables, positional arguments and shell state.
pub trait Env {
    /// The value of variable `name`, or `None` if unset (unset expands to nothing).
    fn var(&self, name: &str) -> Option<String>;
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
}

impl Env for SimpleEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
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
#[derive(Default)]
struct Fields {
    done: Vec<Field>,
    /// The field being built: `(value, pattern, has unquoted glob char)`.
    current: Option<(String, String, bool)>,
}

impl Fields {
    fn start(&mut self) -> &mut (String, String, bool) {
        self.current
            .get_or_insert_with(|| (String::new(), String::new(), false))
    }

    fn push(&mut self, c: char, quoted: bool) {
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

    /// Text from an unquoted expansion: blanks end fields, other characters extend them.
    fn push_splitting(&mut self, s: &str) {
        for c in s.chars() {
            if matches!(c, ' ' | '\t' | '\n') {
                self.split();
            } else {
                self.push(c, false);
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
}

/// The value of a scalar parameter (`$@` and `$*` are handled by the callers).
fn lookup(param: &Param, env: &dyn Env) -> String {
    match param {
        Param::Named(name) => env.var(name).unwrap_or_default(),
        Param::Positional(0) => String::from(env.arg0()),
        Param::Positional(n) => env.args().get(n - 1).cloned().unwrap_or_default(),
        Param::Status => env.status().to_string(),
        Param::Pid => env.pid().to_string(),
        Param::Count => env.args().len().to_string(),
        Param::LastBackground => env
            .last_background()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        Param::All | Param::Star => env.args().join(" "),
    }
}

fn home(env: &dyn Env) -> String {
    env.var("HOME").unwrap_or_else(|| String::from("~"))
}

/// Expands `word` into zero or more fields: parameters substituted, unquoted
/// substitutions split at blanks, quotes removed.
///
/// An unquoted `$x` with `x` empty or unset gives no field at all; `"$x"` gives one
/// empty field; `"$@"` gives one field per positional argument.
pub fn expand_word(word: &Word, env: &dyn Env) -> Vec<Field> {
    let mut f = Fields::default();
    for part in &word.parts {
        match part {
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
                param,
                quoted: true,
            } => f.push_str(&lookup(param, env), true),
            Part::Param {
                param,
                quoted: false,
            } => f.push_splitting(&lookup(param, env)),
        }
    }
    f.split();
    f.done
}

/// Expands each word in turn and concatenates the fields (a command's argument list).
pub fn expand_words(words: &[Word], env: &dyn Env) -> Vec<Field> {
    words.iter().flat_map(|w| expand_word(w, env)).collect()
}

/// Expands `word` to a single string, without field splitting or globbing: for
/// assignment values (`x=$y`), redirection targets and `case`-like uses.
pub fn expand_string(word: &Word, env: &dyn Env) -> String {
    let mut out = String::new();
    for part in &word.parts {
        match part {
            Part::Literal(s) | Part::Quoted(s) => out.push_str(s),
            Part::Tilde => out.push_str(&home(env)),
            Part::Param { param, .. } => out.push_str(&lookup(param, env)),
        }
    }
    out
}
