//! The text of a command, rebuilt from the syntax tree, for `jobs` and `[1]+ Done`.
//!
//! Chapter 2 section 2-1 (the command interpreter): a job listing shows what the user
//! typed. The parser keeps each word's source text, so the command can be written back
//! without keeping source positions for whole commands.
//!
//! Design decision: compound commands are shown in one line with their keywords and
//! bodies (`while true; do sleep 1; done`), as bash shows them.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::shparse::{AndOr, Command, Compound, Connector, List, Pipeline, Redirect, RedirectOp};

/// `a | b && c`.
pub fn and_or(ao: &AndOr) -> String {
    let mut s = pipeline(&ao.first);
    for (conn, p) in &ao.rest {
        s.push_str(match conn {
            Connector::And => " && ",
            Connector::Or => " || ",
        });
        s.push_str(&pipeline(p));
    }
    s
}

/// `! a | b`.
pub fn pipeline(p: &Pipeline) -> String {
    let cmds: Vec<String> = p.commands.iter().map(command).collect();
    let body = cmds.join(" | ");
    if p.negated {
        format!("! {body}")
    } else {
        body
    }
}

/// `a; b &`.
pub fn list(l: &List) -> String {
    let items: Vec<String> = l
        .items
        .iter()
        .map(|i| {
            let t = and_or(&i.and_or);
            if i.background {
                format!("{t} &")
            } else {
                t
            }
        })
        .collect();
    items.join("; ")
}

fn redirect(r: &Redirect) -> String {
    match &r.op {
        RedirectOp::Read(w) => format!("{}<{}", prefix(r.fd, 0), w.text),
        RedirectOp::Write(w) => format!("{}>{}", prefix(r.fd, 1), w.text),
        RedirectOp::Append(w) => format!("{}>>{}", prefix(r.fd, 1), w.text),
        RedirectOp::Dup(m) => format!("{}>&{m}", r.fd),
        RedirectOp::Close => format!("{}>&-", r.fd),
        RedirectOp::ReadWrite(w) => format!("{}<>{}", prefix(r.fd, 0), w.text),
        RedirectOp::HereDoc(_) => format!("{}<<...", prefix(r.fd, 0)),
    }
}

fn prefix(fd: u32, default: u32) -> String {
    if fd == default {
        String::new()
    } else {
        format!("{fd}")
    }
}

/// One command of a pipeline.
pub fn command(c: &Command) -> String {
    let (mut parts, redirects) = match c {
        Command::Simple(s) => {
            let mut parts: Vec<String> = s
                .assignments
                .iter()
                .map(|a| format!("{}={}", a.name, a.value.text))
                .collect();
            parts.extend(s.words.iter().map(|w| w.text.clone()));
            (parts, &s.redirects)
        }
        Command::Compound(comp, redirects) => (alloc::vec![compound(comp)], redirects),
        Command::Function { name, body } => return format!("{name}() {}", command(body)),
    };
    parts.extend(redirects.iter().map(redirect));
    parts.join(" ")
}

fn compound(c: &Compound) -> String {
    match c {
        Compound::If {
            branches,
            otherwise,
        } => {
            let mut s = String::new();
            for (i, (cond, body)) in branches.iter().enumerate() {
                let kw = if i == 0 { "if" } else { "; elif" };
                s.push_str(&format!("{kw} {}; then {}", list(cond), list(body)));
            }
            if let Some(o) = otherwise {
                s.push_str(&format!("; else {}", list(o)));
            }
            s.push_str("; fi");
            s
        }
        Compound::While { cond, body } => {
            format!("while {}; do {}; done", list(cond), list(body))
        }
        Compound::Until { cond, body } => {
            format!("until {}; do {}; done", list(cond), list(body))
        }
        Compound::For { name, words, body } => {
            let ws = match words {
                Some(ws) => {
                    let t: Vec<&str> = ws.iter().map(|w| w.text.as_str()).collect();
                    format!(" in {}", t.join(" "))
                }
                None => String::new(),
            };
            format!("for {name}{ws}; do {}; done", list(body))
        }
        Compound::Group(l) => format!("{{ {}; }}", list(l)),
        Compound::Subshell(l) => format!("( {} )", list(l)),
        Compound::Case { word, arms } => {
            let mut s = format!("case {} in", word.text);
            for (patterns, body) in arms {
                let p: Vec<&str> = patterns.iter().map(|w| w.text.as_str()).collect();
                s.push_str(&format!(" {}) {};;", p.join("|"), list(body)));
            }
            s.push_str(" esac");
            s
        }
    }
}
