//! `sed`: the stream editor's script language, compiled and run over lines.
//!
//! Supported: addresses (a line number, `$`, `/RE/`), ranges `A1,A2` (a second address
//! that is a number at or before the first line ends the range there, a regular
//! expression is first tried on the next line, as in GNU sed) and `!` to negate them;
//! the commands `s/RE/REPLACEMENT/FLAGS` (flags `g`, `p`, `N` for the Nth match, `i`
//! to ignore case; `&` and `\1`..`\9` in the replacement), `p`, `d`, `q` and `=`;
//! several commands separated by `;` or newlines. Regular expressions are POSIX basic
//! ones (`bre`). A last line without its newline is written back without it.

use alloc::string::String;
use alloc::vec::Vec;
use bre::Regex;

/// Why a script was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError(pub String);

impl core::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: &str) -> Result<T, ScriptError> {
    Err(ScriptError(String::from(msg)))
}

#[derive(Debug, Clone)]
enum Addr {
    Line(usize),
    Last,
    Re(Regex),
}

#[derive(Debug, Clone)]
enum Repl {
    Text(Vec<u8>),
    Whole,
    Group(usize),
}

#[derive(Debug, Clone)]
enum Kind {
    Subst {
        re: Regex,
        repl: Vec<Repl>,
        global: bool,
        nth: usize,
        print: bool,
    },
    Print,
    Delete,
    Quit,
    LineNumber,
}

#[derive(Debug, Clone)]
struct Command {
    a1: Option<Addr>,
    a2: Option<Addr>,
    negate: bool,
    kind: Kind,
    /// Inside a range now.
    active: bool,
}

/// A compiled script.
#[derive(Debug, Clone)]
pub struct Script {
    cmds: Vec<Command>,
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    /// Text up to an unescaped `delim` (consumed); `\delim` becomes `delim` unless
    /// the text is a pattern and `delim` is special there.
    fn delimited(&mut self, delim: u8) -> Result<Vec<u8>, ScriptError> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\n') => return err("unterminated address regex or `s' command"),
                Some(c) if c == delim => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(c) if c == delim => out.push(c),
                        Some(b'n') => out.push(b'\n'),
                        Some(c) => out.extend_from_slice(&[b'\\', c]),
                        None => return err("unterminated `s' command"),
                    }
                    self.i += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
    fn number(&mut self) -> usize {
        let mut n = 0usize;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n.saturating_mul(10).saturating_add((d - b'0') as usize);
            self.i += 1;
        }
        n
    }
    fn address(&mut self) -> Result<Option<Addr>, ScriptError> {
        Ok(match self.peek() {
            Some(b'0'..=b'9') => match self.number() {
                0 => return err("invalid usage of line address 0"),
                n => Some(Addr::Line(n)),
            },
            Some(b'$') => {
                self.i += 1;
                Some(Addr::Last)
            }
            Some(b'/') => {
                self.i += 1;
                let p = self.delimited(b'/')?;
                Some(Addr::Re(compile(&p, false)?))
            }
            _ => None,
        })
    }
}

fn compile(p: &[u8], ignore_case: bool) -> Result<Regex, ScriptError> {
    let p =
        core::str::from_utf8(p).map_err(|_| ScriptError(String::from("pattern is not UTF-8")))?;
    Regex::with_case(p, ignore_case).map_err(|e| ScriptError(alloc::format!("{e}")))
}

fn parse_replacement(r: &[u8], groups: usize) -> Result<Vec<Repl>, ScriptError> {
    let mut out = Vec::new();
    let mut text = Vec::new();
    let mut i = 0;
    while i < r.len() {
        match r[i] {
            b'&' => {
                out.push(Repl::Text(core::mem::take(&mut text)));
                out.push(Repl::Whole);
            }
            b'\\' if i + 1 < r.len() => {
                i += 1;
                match r[i] {
                    d @ b'1'..=b'9' => {
                        let n = (d - b'0') as usize;
                        if n > groups {
                            return Err(ScriptError(alloc::format!(
                                "invalid reference \\{n} on `s' command's RHS"
                            )));
                        }
                        out.push(Repl::Text(core::mem::take(&mut text)));
                        out.push(Repl::Group(n));
                    }
                    b'n' => text.push(b'\n'),
                    b't' => text.push(b'\t'),
                    c => text.push(c),
                }
            }
            c => text.push(c),
        }
        i += 1;
    }
    out.push(Repl::Text(text));
    Ok(out)
}

impl Script {
    /// Compile the script pieces (each `-e`, or the one script operand), joined by
    /// newlines.
    pub fn compile(pieces: &[&str]) -> Result<Script, ScriptError> {
        let text = pieces.join("\n");
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let mut cmds = Vec::new();
        loop {
            while matches!(p.peek(), Some(b' ' | b'\t' | b'\n' | b';')) {
                p.i += 1;
            }
            if p.peek().is_none() {
                break;
            }
            let a1 = p.address()?;
            let mut a2 = None;
            if a1.is_some() && p.peek() == Some(b',') {
                p.i += 1;
                p.skip_blanks();
                a2 = p.address()?;
                if a2.is_none() {
                    return err("unexpected `,'");
                }
            }
            p.skip_blanks();
            let mut negate = false;
            while p.peek() == Some(b'!') {
                negate = true;
                p.i += 1;
                p.skip_blanks();
            }
            let Some(c) = p.peek() else {
                return err("missing command");
            };
            p.i += 1;
            let kind = match c {
                b'p' => Kind::Print,
                b'd' => Kind::Delete,
                b'q' => Kind::Quit,
                b'=' => Kind::LineNumber,
                b's' => {
                    let Some(delim) = p.peek().filter(|d| !matches!(d, b'\n' | b'\\')) else {
                        return err("unterminated `s' command");
                    };
                    p.i += 1;
                    let pat = p.delimited(delim)?;
                    let rep = p.delimited(delim)?;
                    let (mut global, mut print, mut nth, mut icase) = (false, false, 0, false);
                    loop {
                        match p.peek() {
                            Some(b'g') => global = true,
                            Some(b'p') => print = true,
                            Some(b'i' | b'I') => icase = true,
                            Some(b'0'..=b'9') => {
                                nth = p.number();
                                if nth == 0 {
                                    return err("number option to `s' command may not be zero");
                                }
                                continue;
                            }
                            _ => break,
                        }
                        p.i += 1;
                    }
                    let re = compile(&pat, icase)?;
                    let repl = parse_replacement(&rep, re.groups())?;
                    Kind::Subst {
                        re,
                        repl,
                        global,
                        nth: nth.max(1),
                        print,
                    }
                }
                other => {
                    return Err(ScriptError(alloc::format!(
                        "unknown command: `{}'",
                        other as char
                    )))
                }
            };
            p.skip_blanks();
            match p.peek() {
                None | Some(b';' | b'\n') => {}
                Some(_) => return err("extra characters after command"),
            }
            cmds.push(Command {
                a1,
                a2,
                negate,
                kind,
                active: false,
            });
        }
        Ok(Script { cmds })
    }
}

fn matches(a: &Addr, line: &[u8], n: usize, last: bool) -> bool {
    match a {
        Addr::Line(m) => *m == n,
        Addr::Last => last,
        Addr::Re(re) => re.is_match(line),
    }
}

/// Whether `c` applies to line `n` (updating its range state).
fn selected(c: &mut Command, line: &[u8], n: usize, last: bool) -> bool {
    let hit = match (&c.a1, &c.a2) {
        (None, _) => true,
        (Some(a1), None) => matches(a1, line, n, last),
        (Some(a1), Some(a2)) => {
            if c.active {
                let end = match a2 {
                    Addr::Line(m) => n >= *m,
                    other => matches(other, line, n, last),
                };
                c.active = !end;
                true
            } else if matches(a1, line, n, last) {
                c.active = match a2 {
                    Addr::Line(m) => *m > n,
                    _ => true,
                };
                true
            } else {
                false
            }
        }
    };
    hit != c.negate
}

/// Replace the matches of `re` in `text` as `s` with these flags says; whether any
/// was replaced.
fn substitute(text: &[u8], re: &Regex, repl: &[Repl], global: bool, nth: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut count = 0;
    let mut done = false;
    let mut prev_end: Option<usize> = None;
    while start <= text.len() {
        let Some(caps) = re.captures_at(text, start) else {
            break;
        };
        let (s, e) = caps[0].unwrap_or((start, start));
        if s == e && prev_end == Some(s) {
            // No empty match right after the previous match.
            if s >= text.len() {
                break;
            }
            out.extend_from_slice(&text[start..=s]);
            start = s + 1;
            continue;
        }
        count += 1;
        out.extend_from_slice(&text[start..s]);
        if count >= nth {
            done = true;
            for r in repl {
                match r {
                    Repl::Text(t) => out.extend_from_slice(t),
                    Repl::Whole => out.extend_from_slice(&text[s..e]),
                    Repl::Group(g) => {
                        if let Some((a, b)) = caps[*g] {
                            out.extend_from_slice(&text[a..b]);
                        }
                    }
                }
            }
        } else {
            out.extend_from_slice(&text[s..e]);
        }
        prev_end = Some(e);
        start = e;
        if done && !global {
            break;
        }
        if s == e {
            if s < text.len() {
                out.push(text[s]);
            }
            start = s + 1;
        }
    }
    if !done {
        return None;
    }
    if start < text.len() {
        out.extend_from_slice(&text[start..]);
    }
    Some(out)
}

/// Where the edited text goes: lines, keeping a missing final newline missing.
#[derive(Default)]
pub struct Output {
    pub bytes: Vec<u8>,
    missing_newline: bool,
}

impl Output {
    fn line(&mut self, text: &[u8], newline: bool) {
        if self.missing_newline {
            self.bytes.push(b'\n');
        }
        self.bytes.extend_from_slice(text);
        if newline {
            self.bytes.push(b'\n');
        }
        self.missing_newline = !newline;
    }
}

/// A running edit: the line counter and whether `q` was seen carry across inputs.
pub struct Editor {
    script: Script,
    quiet: bool,
    line_no: usize,
    pub quit: bool,
}

impl Editor {
    pub fn new(script: Script, quiet: bool) -> Editor {
        Editor {
            script,
            quiet,
            line_no: 0,
            quit: false,
        }
    }

    /// Edit one line. `last`: it is the last line of the last input; `newline`: it
    /// ended with one.
    pub fn line(&mut self, text: &[u8], last: bool, newline: bool, out: &mut Output) {
        if self.quit {
            return;
        }
        self.line_no += 1;
        let n = self.line_no;
        let mut space = text.to_vec();
        for c in self.script.cmds.iter_mut() {
            if !selected(c, &space, n, last) {
                continue;
            }
            match &c.kind {
                Kind::Print => out.line(&space, true),
                Kind::Delete => return,
                Kind::LineNumber => out.line(alloc::format!("{n}").as_bytes(), true),
                Kind::Quit => {
                    self.quit = true;
                    break;
                }
                Kind::Subst {
                    re,
                    repl,
                    global,
                    nth,
                    print,
                } => {
                    if let Some(new) = substitute(&space, re, repl, *global, *nth) {
                        space = new;
                        if *print {
                            out.line(&space, true);
                        }
                    }
                }
            }
        }
        if !self.quiet {
            out.line(&space, newline || !last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sed(script: &[&str], quiet: bool, input: &str) -> String {
        let mut e = Editor::new(Script::compile(script).unwrap(), quiet);
        let mut out = Output::default();
        let lines = crate::lines::split(input.as_bytes());
        for (i, l) in lines.iter().enumerate() {
            let last = i + 1 == lines.len();
            e.line(l, last, !last || input.ends_with('\n'), &mut out);
        }
        String::from_utf8(out.bytes).unwrap()
    }

    #[test]
    fn substitutions() {
        assert_eq!(sed(&["s/o/0/"], false, "foo\nbar\n"), "f0o\nbar\n");
        assert_eq!(sed(&["s/o/0/g"], false, "foo\n"), "f00\n");
        assert_eq!(sed(&["s/o/0/2"], false, "fooo\n"), "fo0o\n");
        assert_eq!(sed(&["s/[a-z]*/<&>/"], false, "ab cd\n"), "<ab> cd\n");
        assert_eq!(
            sed(&["s/\\([a-z]*\\) \\([a-z]*\\)/\\2 \\1/"], false, "ab cd\n"),
            "cd ab\n"
        );
        assert_eq!(sed(&["s/x*/-/g"], false, "abc\n"), "-a-b-c-\n");
        assert_eq!(sed(&["s/b*/-/g"], false, "abbc\n"), "-a-c-\n");
        assert_eq!(sed(&["s|/|:|g"], false, "/a/b\n"), ":a:b\n");
        assert_eq!(sed(&["s/A/x/gi"], false, "aA\n"), "xx\n");
    }

    #[test]
    fn addresses_ranges_and_commands() {
        let input = "1\n2\n3\n4\n5\n";
        assert_eq!(sed(&["2,4d"], false, input), "1\n5\n");
        assert_eq!(sed(&["-n", "$p"][1..], true, input), "5\n");
        assert_eq!(sed(&["/3/,$!d"], false, input), "3\n4\n5\n");
        assert_eq!(sed(&["4,2p"], true, input), "4\n");
        assert_eq!(sed(&["/2/,/[0-9]/p"], true, input), "2\n3\n");
        assert_eq!(sed(&["3q"], false, input), "1\n2\n3\n");
        assert_eq!(sed(&["2=", "2d"], false, "a\nb\n"), "a\n2\n");
        assert_eq!(sed(&["p"], false, "a"), "a\na");
    }

    #[test]
    fn bad_scripts() {
        for s in ["s/a/b", "k", "s/a/\\1/", "0p", "1,p", "s/a/b/x"] {
            assert!(Script::compile(&[s]).is_err(), "{s}");
        }
    }
}
