//! The shell's language (`user/shparse`) and its helpers (`user/shcore`) on fuzzed
//! text.
//!
//! Chapter 2 section 2-1 (the command interpreter): every line a person types or a
//! script holds goes through the lexer, the parser and the expander. The input is
//! split at its first NUL byte: the text before is a script, the text after a
//! `printf` format and `test` arguments. The checks: parsing never panics and gives
//! the same answer twice; every word of an accepted script expands (or fails with a
//! message) under an environment with variables, positional arguments and command
//! substitution that expands the inner list's words; each word's own source text
//! parses again; arithmetic, globbing, `printf`, `test` and `read`'s splitting run on
//! the same text without panicking.

use shparse::{
    eval_arith, expand_pattern, expand_string, expand_word, glob_match, glob_match_filename, parse,
    Command, Compound, Env, Item, List, RedirectOp, SimpleEnv, Word,
};

use crate::Oracle;

/// Longest script taken (longer input is cut: the shell's line buffer is 4 KiB).
const MAX_TEXT: usize = 4096;

/// Runs one input.
pub fn check(data: &[u8], _oracle: Oracle) {
    let (script, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let script = String::from_utf8_lossy(&script[..script.len().min(MAX_TEXT)]);
    let rest = String::from_utf8_lossy(&rest[..rest.len().min(MAX_TEXT)]);

    let first = parse(&script);
    assert_eq!(first, parse(&script), "parse is not deterministic");
    if let Ok(list) = &first {
        let mut env = FuzzEnv::new();
        let mut words = Vec::new();
        collect_list(list, &mut words);
        for w in words.iter().take(200) {
            let _ = expand_word(w, &mut env);
            let _ = expand_string(w, &mut env);
            if let Ok(p) = expand_pattern(w, &mut env) {
                let _ = glob_match(&p, &w.text);
                let _ = glob_match_filename(&p, "name.txt");
            }
            let _ = parse(&w.text);
        }
    }
    let _ = eval_arith(&script, &mut FuzzEnv::new());

    let fields: Vec<&str> = rest.split(' ').collect();
    let (fmt, args) = fields.split_first().unwrap_or((&"", &[]));
    let _ = shcore::printf::printf(fmt, args);
    let _ = shcore::printf::escapes(&rest, true);
    let _ = shcore::testexpr::evaluate(&fields, &NoFiles);
    let _ = shcore::readsplit::split_read(&rest, " \t\n:", fields.len().min(8), false);
    let _ = shcore::readsplit::split_read(&script, &rest, 3, true);
}

struct NoFiles;

impl shcore::testexpr::FileTest for NoFiles {
    fn file_test(&self, op: char, path: &str) -> bool {
        op == 'e' && path.starts_with('/')
    }
}

/// A shell's environment without processes: `$(list)` is the expansion of the list's
/// words, one level deep.
struct FuzzEnv {
    inner: SimpleEnv,
    depth: usize,
}

impl FuzzEnv {
    fn new() -> FuzzEnv {
        let mut inner = SimpleEnv {
            arg0: "sh".into(),
            args: vec!["one".into(), "two words".into(), "*".into(), String::new()],
            status: 1,
            pid: 42,
            ..SimpleEnv::default()
        };
        for (k, v) in [
            ("HOME", "/root"),
            ("IFS", " \t\n"),
            ("x", "a b  c"),
            ("n", "12"),
            ("e", ""),
        ] {
            inner.vars.insert(k.into(), v.into());
        }
        FuzzEnv { inner, depth: 0 }
    }
}

impl Env for FuzzEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.inner.var(name)
    }
    fn set_var(&mut self, name: &str, value: &str) -> Result<(), String> {
        if value.len() > 1 << 16 {
            return Err("value too long".into());
        }
        self.inner.set_var(name, value)
    }
    fn arg0(&self) -> &str {
        self.inner.arg0()
    }
    fn args(&self) -> &[String] {
        self.inner.args()
    }
    fn status(&self) -> i32 {
        self.inner.status()
    }
    fn pid(&self) -> u32 {
        self.inner.pid()
    }
    fn command_output(&mut self, list: &List) -> Result<String, String> {
        if self.depth > 0 {
            return Ok(String::new());
        }
        self.depth += 1;
        let mut words = Vec::new();
        collect_list(list, &mut words);
        let mut out = String::new();
        for w in words.iter().take(20) {
            if let Ok(s) = expand_string(w, self) {
                out.push_str(&s);
                out.push('\n');
            }
        }
        self.depth -= 1;
        Ok(out)
    }
}

fn collect_list<'a>(list: &'a List, out: &mut Vec<&'a Word>) {
    for Item { and_or, .. } in &list.items {
        for p in std::iter::once(&and_or.first).chain(and_or.rest.iter().map(|(_, p)| p)) {
            for c in &p.commands {
                collect_command(c, out);
            }
        }
    }
}

fn collect_redirects<'a>(rs: &'a [shparse::Redirect], out: &mut Vec<&'a Word>) {
    for r in rs {
        match &r.op {
            RedirectOp::Read(w)
            | RedirectOp::Write(w)
            | RedirectOp::Append(w)
            | RedirectOp::ReadWrite(w)
            | RedirectOp::HereDoc(w) => out.push(w),
            RedirectOp::Dup(_) | RedirectOp::Close => {}
        }
    }
}

fn collect_command<'a>(c: &'a Command, out: &mut Vec<&'a Word>) {
    match c {
        Command::Simple(s) => {
            out.extend(s.assignments.iter().map(|a| &a.value));
            out.extend(&s.words);
            collect_redirects(&s.redirects, out);
        }
        Command::Compound(k, rs) => {
            collect_redirects(rs, out);
            match k {
                Compound::If {
                    branches,
                    otherwise,
                } => {
                    for (c, b) in branches {
                        collect_list(c, out);
                        collect_list(b, out);
                    }
                    if let Some(o) = otherwise {
                        collect_list(o, out);
                    }
                }
                Compound::While { cond, body } | Compound::Until { cond, body } => {
                    collect_list(cond, out);
                    collect_list(body, out);
                }
                Compound::For { words, body, .. } => {
                    out.extend(words.iter().flatten());
                    collect_list(body, out);
                }
                Compound::Group(l) | Compound::Subshell(l) => collect_list(l, out),
                Compound::Case { word, arms } => {
                    out.push(word);
                    for (pats, body) in arms {
                        out.extend(pats);
                        collect_list(body, out);
                    }
                }
            }
        }
        Command::Function { body, .. } => collect_command(body, out),
    }
}
