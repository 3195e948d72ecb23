//! `xargs`: turning standard input into argument lists. Arguments are separated by
//! blanks and newlines; single and double quotes and backslash protect them, as POSIX
//! describes. With `-I REPL` each input line is one argument, put in place of `REPL`
//! in the command's own arguments.

use alloc::string::String;
use alloc::vec::Vec;

/// A quote opened and not closed (which one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnmatchedQuote(pub char);

/// The arguments in `input`; at an unmatched quote, the arguments before it and the
/// error (GNU xargs still runs the command on those).
pub fn split(input: &str) -> (Vec<String>, Option<UnmatchedQuote>) {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut chars = input.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if have {
                    args.push(core::mem::take(&mut cur));
                    have = false;
                }
            }
            '\'' | '"' => {
                have = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some('\n') | None => return (args, Some(UnmatchedQuote(c))),
                        Some(o) => cur.push(o),
                    }
                }
            }
            '\\' => {
                have = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            _ => {
                have = true;
                cur.push(c);
            }
        }
    }
    if have {
        args.push(cur);
    }
    (args, None)
}

/// `-I`: the non-empty input lines, leading blanks removed.
pub fn lines(input: &str) -> Vec<String> {
    input
        .lines()
        .map(|l| l.trim_start_matches([' ', '\t']))
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// The command's arguments with every `repl` replaced by `arg`.
pub fn replace(template: &[String], repl: &str, arg: &str) -> Vec<String> {
    template.iter().map(|t| t.replace(repl, arg)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_quotes_and_backslashes() {
        assert_eq!(split("a b\n c").0, ["a", "b", "c"]);
        assert_eq!(split("'a b' \"c d\" e\\ f").0, ["a b", "c d", "e f"]);
        assert_eq!(split("''").0, [""]);
        let one = alloc::vec![String::from("one")];
        assert_eq!(split("one 'open"), (one, Some(UnmatchedQuote('\''))));
        assert!(split("  \n").0.is_empty());
    }

    #[test]
    fn replace_lines() {
        assert_eq!(lines("  one\n\ntwo three\n"), ["one", "two three"]);
        let t = [String::from("x{}y"), String::from("{}")];
        assert_eq!(replace(&t, "{}", "A"), ["xAy", "A"]);
    }
}
