//! `awk`'s interpreter: the program's state (variables, arrays, fields, ranges) and
//! the walk of the tree for each input record.

use super::*;
use alloc::boxed::Box;
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

pub(crate) fn round(v: f64) -> f64 {
    if v < 0.0 {
        -int_part(-v + 0.5)
    } else {
        int_part(v + 0.5)
    }
}

pub(crate) fn arith(op: &str, a: f64, b: f64) -> RResult<f64> {
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
pub(crate) fn power(a: f64, b: f64) -> f64 {
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
pub(crate) fn substitute(re: &Ere, repl: &str, text: &str, global: bool) -> (String, usize) {
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
