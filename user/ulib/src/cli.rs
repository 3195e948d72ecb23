//! Command-line conventions for the small tools in `/bin`: single-letter options
//! (`-la` is `-l -a`, `--` ends them), the usage error (exit 2), and the
//! `prog: path: message` error line (exit 1).

use crate::Errno;
use alloc::string::String;
use alloc::vec::Vec;

/// Options and operands of a command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Options seen, in order (repeats kept).
    pub flags: Vec<char>,
    pub operands: Vec<String>,
}

impl Parsed {
    pub fn has(&self, c: char) -> bool {
        self.flags.contains(&c)
    }
}

/// Split `args` (without the program name) into single-letter options from `allowed`
/// and operands. Options end at `--`, at `-` alone, or at the first operand. An option
/// not in `allowed` is returned as the error.
pub fn parse(args: &[String], allowed: &str) -> Result<Parsed, char> {
    let mut p = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with('-') || a == "-" {
            break;
        }
        for c in a[1..].chars() {
            if !allowed.contains(c) {
                return Err(c);
            }
            p.flags.push(c);
        }
        i += 1;
    }
    p.operands.extend(args[i..].iter().cloned());
    Ok(p)
}

/// Print `prog: invalid option -- 'c'` and the usage line, and give exit status 2.
pub fn bad_option(c: char, usage: &str) -> i32 {
    crate::eprintln!("{}: invalid option -- '{c}'", crate::env::program_name());
    usage_error(usage)
}

/// Print `usage: ...` to standard error and give exit status 2.
pub fn usage_error(usage: &str) -> i32 {
    crate::eprintln!("usage: {usage}");
    2
}

/// Print `prog: what: message` to standard error (the exit status is the caller's, 1).
pub fn error(what: &str, e: Errno) {
    crate::eprintln!("{}: {what}: {e}", crate::env::program_name());
}

/// `--help` as the first argument: print the usage line and `about` on standard output
/// (the caller then exits 0).
pub fn help(args: &[String], usage: &str, about: &str) -> bool {
    if args.first().map(String::as_str) != Some("--help") {
        return false;
    }
    crate::println!("usage: {usage}\n\n{about}");
    true
}

/// Print `prog: MESSAGE` (a bad option, say) and the usage line; exit status 2.
pub fn option_error(message: &dyn core::fmt::Display, usage: &str) -> i32 {
    crate::eprintln!("{}: {message}", crate::env::program_name());
    usage_error(usage)
}

/// [`usage_error`] for the tools whose usage errors exit with status 1, as POSIX
/// allows and GNU does (`cut`, `tr`, `seq`, `basename`, ...).
pub fn usage_failure(usage: &str) -> i32 {
    usage_error(usage);
    1
}

/// [`option_error`] with exit status 1 (see [`usage_failure`]).
pub fn option_failure(message: &dyn core::fmt::Display, usage: &str) -> i32 {
    option_error(message, usage);
    1
}

/// All of an input operand: a file, or standard input for `-`.
pub fn read_operand(name: &str) -> crate::Result<Vec<u8>> {
    use crate::io::Read;
    if name == "-" {
        let mut v = Vec::new();
        crate::io::stdin().read_to_end(&mut v)?;
        Ok(v)
    } else {
        crate::fs::read(name)
    }
}

/// An option that takes a value was given without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingValue;

/// Take `-X VALUE` (also `-XVALUE`, or `-aX VALUE` grouped) out of the options, where
/// `X` is `opt`; the other arguments go on to `cli::parse`. `Err` if the value is
/// missing. The last one given wins.
pub fn take_value(
    args: &[String],
    opt: char,
) -> Result<(Vec<String>, Option<String>), MissingValue> {
    let mut rest = Vec::new();
    let mut value = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" || !a.starts_with('-') || a == "-" {
            break;
        }
        match a[1..].find(opt) {
            Some(k) => {
                let before = &a[1..1 + k];
                let after = &a[1 + k + opt.len_utf8()..];
                if !before.is_empty() {
                    rest.push(alloc::format!("-{before}"));
                }
                if after.is_empty() {
                    i += 1;
                    value = Some(args.get(i).ok_or(MissingValue)?.clone());
                } else {
                    value = Some(String::from(after));
                }
            }
            None => rest.push(a.clone()),
        }
        i += 1;
    }
    rest.extend(args[i..].iter().cloned());
    Ok((rest, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| String::from(*s)).collect()
    }

    #[test]
    fn grouped_options_and_operands() {
        let p = parse(&strs(&["-la", "-R", "/bin", "-x"]), "laR").unwrap();
        assert_eq!(p.flags, ['l', 'a', 'R']);
        assert_eq!(p.operands, ["/bin", "-x"]);
        assert!(p.has('R') && !p.has('x'));
    }

    #[test]
    fn double_dash_and_lone_dash_end_options() {
        let p = parse(&strs(&["-n", "--", "-n"]), "n").unwrap();
        assert_eq!((p.flags, p.operands), (alloc::vec!['n'], strs(&["-n"])));
        let p = parse(&strs(&["-"]), "").unwrap();
        assert_eq!(p.operands, ["-"]);
    }

    #[test]
    fn an_unknown_option_is_reported() {
        assert_eq!(parse(&strs(&["-lz"]), "l"), Err('z'));
    }

    #[test]
    fn take_value_finds_separate_joined_and_grouped_values() {
        let (rest, v) = take_value(&strs(&["-n", "5", "a"]), 'n').unwrap();
        assert_eq!((rest, v), (strs(&["a"]), Some(String::from("5"))));
        let (rest, v) = take_value(&strs(&["-n5", "a"]), 'n').unwrap();
        assert_eq!((rest, v), (strs(&["a"]), Some(String::from("5"))));
        let (rest, v) = take_value(&strs(&["-pm", "755", "d"]), 'm').unwrap();
        assert_eq!((rest, v), (strs(&["-p", "d"]), Some(String::from("755"))));
        assert_eq!(take_value(&strs(&["-n"]), 'n'), Err(MissingValue));
        let (rest, v) = take_value(&strs(&["--", "-n", "1"]), 'n').unwrap();
        assert_eq!((rest, v), (strs(&["--", "-n", "1"]), None));
    }
}
