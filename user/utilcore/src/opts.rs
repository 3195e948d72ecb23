//! POSIX `getopt` for the utilities: single-letter options, grouped (`-nr`), some
//! taking a value (`-t:`, `-k2`, `-k 2`), repeatable (`-e a -e b`), ending at `--`, at
//! `-` alone or at the first operand.

use alloc::string::String;
use alloc::vec::Vec;

/// What was wrong with the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptError {
    Unknown(char),
    MissingValue(char),
}

impl core::fmt::Display for OptError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            OptError::Unknown(c) => write!(f, "invalid option -- '{c}'"),
            OptError::MissingValue(c) => write!(f, "option requires an argument -- '{c}'"),
        }
    }
}

/// The options in order, each with its value if it takes one, and the operands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    pub list: Vec<(char, Option<String>)>,
    pub operands: Vec<String>,
}

impl Opts {
    pub fn has(&self, c: char) -> bool {
        self.list.iter().any(|(o, _)| *o == c)
    }
    /// The last value given to `c`.
    pub fn value(&self, c: char) -> Option<&str> {
        self.list
            .iter()
            .rev()
            .find(|(o, _)| *o == c)
            .and_then(|(_, v)| v.as_deref())
    }
    /// Every value given to `c`, in order.
    pub fn values(&self, c: char) -> Vec<&str> {
        self.list
            .iter()
            .filter(|(o, _)| *o == c)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }
}

/// Parse `args` (without the program name): `flags` take no value, `valued` take one.
pub fn parse(args: &[String], flags: &str, valued: &str) -> Result<Opts, OptError> {
    let mut o = Opts::default();
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
        let body = &a[1..];
        for (k, c) in body.char_indices() {
            if valued.contains(c) {
                let rest = &body[k + c.len_utf8()..];
                let v = if rest.is_empty() {
                    i += 1;
                    args.get(i).cloned().ok_or(OptError::MissingValue(c))?
                } else {
                    String::from(rest)
                };
                o.list.push((c, Some(v)));
                break;
            }
            if !flags.contains(c) {
                return Err(OptError::Unknown(c));
            }
            o.list.push((c, None));
        }
        i += 1;
    }
    o.operands.extend(args[i..].iter().cloned());
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| String::from(*s)).collect()
    }

    #[test]
    fn grouped_valued_and_repeated() {
        let o = parse(&strs(&["-nrk2", "-k", "3,3", "-t:", "f", "-x"]), "nr", "kt").unwrap();
        assert!(o.has('n') && o.has('r'));
        assert_eq!(o.values('k'), ["2", "3,3"]);
        assert_eq!(o.value('t'), Some(":"));
        assert_eq!(o.operands, ["f", "-x"]);
        assert_eq!(parse(&strs(&["-z"]), "n", ""), Err(OptError::Unknown('z')));
        assert_eq!(
            parse(&strs(&["-k"]), "", "k"),
            Err(OptError::MissingValue('k'))
        );
        let o = parse(&strs(&["--", "-n"]), "n", "").unwrap();
        assert_eq!(o.operands, ["-n"]);
    }
}
