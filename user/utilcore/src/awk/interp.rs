//! `awk`'s interpreter: the program's state (variables, arrays, fields, ranges) and
//! the walk of the tree for each input record.

use super::*;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// How a statement finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Normal,
    Next,
    Exit,
    Break,
    Continue,
}

pub(crate) type RResult<T> = Result<T, AwkError>;

/// The highest field number a program may name or set NF to: `$1e18 = x` is an error
/// rather than an attempt to allocate that many empty fields.
pub(crate) const MAX_FIELDS: usize = 100_000;

/// A running program: its variables, the current record and what it printed so far.
pub struct Awk {
    pub(super) prog: Program,
    pub(super) vars: BTreeMap<String, Value>,
    pub(super) arrays: BTreeMap<String, BTreeMap<String, Value>>,
    /// `$0`, `$1`, ... `$NF`.
    pub(super) fields: Vec<String>,
    pub(super) in_range: Vec<bool>,
    pub(super) dynamic: BTreeMap<String, Ere>,
    pub(super) exiting: bool,
    pub(super) status: i32,
    /// Output not yet written; the caller drains it.
    pub out: Vec<u8>,
    /// Output for `print > FILE` not yet written, in order; the caller drains it.
    pub files: Vec<FileOutput>,
    /// The files written to so far: the first `>` truncates, later ones append.
    pub(super) opened: BTreeMap<String, ()>,
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

pub(crate) fn uninit() -> Value {
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

    pub(super) fn run_rules(&mut self, which: impl Fn(&Pattern) -> bool) -> RResult<()> {
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

    pub(super) fn record(&mut self) -> RResult<()> {
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

    pub(super) fn set_record(&mut self, text: String) {
        let fs = value_str(&self.get_var("FS"), "%.6g");
        let parts = self.split_text(&text, &fs);
        self.fields.clear();
        self.fields.push(text);
        self.fields.extend(parts);
    }

    pub(super) fn split_text(&mut self, text: &str, fs: &str) -> Vec<String> {
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

    pub(super) fn rebuild_record(&mut self) {
        let ofs = value_str(&self.get_var("OFS"), "%.6g");
        self.fields[0] = self.fields[1..].join(&ofs);
    }

    pub(super) fn set_field(&mut self, i: usize, v: String) {
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

    pub(super) fn set_nf(&mut self, n: usize) {
        self.fields.resize(n + 1, String::new());
        self.rebuild_record();
    }

    // ------------------------------------------------ variables

    pub(super) fn convfmt(&self) -> String {
        match self.vars.get("CONVFMT") {
            Some(v) => value_str(v, "%.6g"),
            None => String::from("%.6g"),
        }
    }

    pub(super) fn to_str(&self, v: &Value) -> String {
        value_str(v, &self.convfmt())
    }

    pub(super) fn get_var(&self, name: &str) -> Value {
        if name == "NF" {
            return Value::Num((self.fields.len() - 1) as f64);
        }
        self.vars.get(name).cloned().unwrap_or_else(uninit)
    }

    pub(super) fn set_var(&mut self, name: &str, v: Value) {
        if name == "NF" {
            let n = v.num().clamp(0.0, MAX_FIELDS as f64) as usize;
            self.set_nf(n);
            return;
        }
        self.vars.insert(String::from(name), v);
    }

    pub(super) fn subscript(&mut self, subs: &[Expr]) -> RResult<String> {
        let mut parts = Vec::new();
        for s in subs {
            let v = self.eval(s)?;
            parts.push(self.to_str(&v));
        }
        let sep = self.to_str(&self.get_var("SUBSEP"));
        Ok(parts.join(&sep))
    }

    pub(super) fn get(&mut self, target: &Expr) -> RResult<Value> {
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

    pub(super) fn set(&mut self, target: &Expr, v: Value) -> RResult<()> {
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

    pub(super) fn field_index(&mut self, e: &Expr) -> RResult<usize> {
        let v = self.eval(e)?.num();
        if !(0.0..=MAX_FIELDS as f64).contains(&v) {
            return fail(format!("trying to access out of range field {}", v as i64));
        }
        Ok(v as usize)
    }

    pub(super) fn regex_for(&mut self, pattern: &str) -> RResult<Ere> {
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
    pub(super) fn regex_of(&mut self, e: &Expr) -> RResult<Ere> {
        if let Expr::Match(i) = e {
            return Ok(self.prog.regexes[*i].clone());
        }
        let v = self.eval(e)?;
        let s = self.to_str(&v);
        self.regex_for(&s)
    }

    // ------------------------------------------------ statements
}
