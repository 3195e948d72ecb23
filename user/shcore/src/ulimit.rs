//! `ulimit`'s words: which limit an option names, its unit, and how a value is read
//! and shown (chapter 2, 3-2: the shell sets what its children inherit).
//!
//! `ulimit [-H|-S] [-a | -c | -l | -n | -s | -t | -u | -v] [VALUE]`, as in dash and
//! bash: with no VALUE it prints the soft limit (the hard one with `-H`); with one it
//! sets both limits, or only the hard (`-H`) or the soft (`-S`) one. `-c` counts
//! 512-byte blocks, `-s`, `-v` and `-l` KiB, `-t` seconds, `-n` descriptors, `-u`
//! processes (and threads) of the user (`-p`, dash's letter, is the same); `unlimited`
//! is no limit. The shell calls `setrlimit` on itself, so every later command inherits it.

use abi::resource::*;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// One limit `ulimit` knows: its option letter, resource, bytes per unit, and the
/// name `-a` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub letter: char,
    pub resource: u32,
    pub unit: u64,
    pub name: &'static str,
}

/// The limits, in the order `-a` lists them (dash's names).
pub const KNOWN: &[Known] = &[
    Known {
        letter: 't',
        resource: RLIMIT_CPU,
        unit: 1,
        name: "time(seconds)",
    },
    Known {
        letter: 's',
        resource: RLIMIT_STACK,
        unit: 1024,
        name: "stack(kbytes)",
    },
    Known {
        letter: 'c',
        resource: RLIMIT_CORE,
        unit: 512,
        name: "coredump(blocks)",
    },
    Known {
        letter: 'l',
        resource: RLIMIT_MEMLOCK,
        unit: 1024,
        name: "locked memory(kbytes)",
    },
    Known {
        letter: 'u',
        resource: RLIMIT_NPROC,
        unit: 1,
        name: "process",
    },
    Known {
        letter: 'n',
        resource: RLIMIT_NOFILE,
        unit: 1,
        name: "nofiles",
    },
    Known {
        letter: 'v',
        resource: RLIMIT_AS,
        unit: 1024,
        name: "vmemory(kbytes)",
    },
];

/// Which of the pair an operation reads or sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Soft,
    Hard,
    /// Setting without `-H` or `-S`: both.
    Both,
}

/// A parsed `ulimit` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `-a`: print every limit.
    All(Which),
    /// Print one limit.
    Show(Known, Which),
    /// Set one limit to this many bytes (or seconds, or descriptors);
    /// `RLIM_INFINITY` for `unlimited`.
    Set(Known, Which, u64),
}

/// Parse the arguments after `ulimit`.
pub fn parse(args: &[String]) -> Result<Request, String> {
    let mut which = None;
    let mut all = false;
    let mut what: Option<Known> = None;
    let mut value = None;
    for a in args {
        if let Some(opts) = a.strip_prefix('-').filter(|o| !o.is_empty()) {
            for c in opts.chars() {
                match c {
                    'H' => which = Some(Which::Hard),
                    'S' => which = Some(Which::Soft),
                    'a' => all = true,
                    // dash calls the process limit -p, bash -u: both work.
                    c => match KNOWN
                        .iter()
                        .find(|k| k.letter == if c == 'p' { 'u' } else { c })
                    {
                        Some(k) if what.is_none() => what = Some(*k),
                        Some(_) => return Err(String::from("too many options")),
                        None => return Err(format!("-{c}: unknown option")),
                    },
                }
            }
        } else if value.is_none() {
            value = Some(a.as_str());
        } else {
            return Err(String::from("too many arguments"));
        }
    }
    if all {
        return Ok(Request::All(which.unwrap_or(Which::Soft)));
    }
    let Some(k) = what else {
        return Err(String::from(
            "name a limit: -c, -l, -n, -s, -t, -u, -v or -a",
        ));
    };
    match value {
        None => Ok(Request::Show(k, which.unwrap_or(Which::Soft))),
        Some(v) => Ok(Request::Set(
            k,
            which.unwrap_or(Which::Both),
            read_value(v, k.unit)?,
        )),
    }
}

/// A value in units of `unit` bytes, as the kernel's number (`unlimited`: none).
pub fn read_value(text: &str, unit: u64) -> Result<u64, String> {
    if text == "unlimited" {
        return Ok(RLIM_INFINITY);
    }
    text.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|&n| n != RLIM_INFINITY)
        .ok_or_else(|| format!("{text}: bad number"))
}

/// A kernel value shown in units of `unit` (rounded down, as shells do).
pub fn show_value(v: u64, unit: u64) -> String {
    if v == RLIM_INFINITY {
        String::from("unlimited")
    } else {
        format!("{}", v / unit)
    }
}

/// The new pair after setting `which` of `old` to `v`.
pub fn apply(old: Rlimit, which: Which, v: u64) -> Rlimit {
    match which {
        Which::Soft => Rlimit {
            cur: v,
            max: old.max,
        },
        Which::Hard => Rlimit {
            cur: old.cur.min(v),
            max: v,
        },
        Which::Both => Rlimit { cur: v, max: v },
    }
}

/// `-a`'s lines, from each known limit's pair.
pub fn all_lines(limits: &[(Known, Rlimit)], which: Which) -> Vec<String> {
    limits
        .iter()
        .map(|(k, l)| {
            let v = if which == Which::Hard { l.max } else { l.cur };
            format!("{:<20} {}", k.name, show_value(v, k.unit))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn known(c: char) -> Known {
        *KNOWN.iter().find(|k| k.letter == c).unwrap()
    }

    #[test]
    fn options_name_the_limit_and_the_pair() {
        assert_eq!(
            parse(&args("-c")),
            Ok(Request::Show(known('c'), Which::Soft))
        );
        assert_eq!(
            parse(&args("-Hn")),
            Ok(Request::Show(known('n'), Which::Hard))
        );
        assert_eq!(
            parse(&args("-c unlimited")),
            Ok(Request::Set(known('c'), Which::Both, RLIM_INFINITY))
        );
        assert_eq!(
            parse(&args("-S -s 64")),
            Ok(Request::Set(known('s'), Which::Soft, 64 * 1024))
        );
        assert_eq!(parse(&args("-a -H")), Ok(Request::All(Which::Hard)));
        assert_eq!(
            parse(&args("-u 50")),
            Ok(Request::Set(known('u'), Which::Both, 50))
        );
        assert_eq!(
            parse(&args("-Hp")),
            Ok(Request::Show(known('u'), Which::Hard))
        );
        assert_eq!(
            parse(&args("-Sl 64")),
            Ok(Request::Set(known('l'), Which::Soft, 64 * 1024))
        );
    }

    #[test]
    fn bad_words_are_errors() {
        assert!(parse(&args("-q")).is_err());
        assert!(parse(&args("-c x")).is_err());
        assert!(parse(&args("-c 1 2")).is_err());
        assert!(parse(&args("-c -n")).is_err());
        assert!(parse(&args("")).is_err());
    }

    #[test]
    fn core_counts_blocks_and_set_without_h_or_s_sets_both() {
        assert_eq!(read_value("2", 512), Ok(1024));
        assert_eq!(show_value(1024, 512), "2");
        assert_eq!(show_value(RLIM_INFINITY, 512), "unlimited");
        let old = Rlimit {
            cur: 0,
            max: RLIM_INFINITY,
        };
        assert_eq!(apply(old, Which::Both, 5), Rlimit { cur: 5, max: 5 });
        assert_eq!(
            apply(old, Which::Soft, 5),
            Rlimit {
                cur: 5,
                max: RLIM_INFINITY
            }
        );
        let both = Rlimit { cur: 9, max: 9 };
        assert_eq!(apply(both, Which::Hard, 4), Rlimit { cur: 4, max: 4 });
    }

    #[test]
    fn all_lists_every_known_limit() {
        let l: Vec<(Known, Rlimit)> = KNOWN
            .iter()
            .map(|k| {
                (
                    *k,
                    Rlimit {
                        cur: 0,
                        max: RLIM_INFINITY,
                    },
                )
            })
            .collect();
        let lines = all_lines(&l, Which::Soft);
        assert_eq!(lines.len(), KNOWN.len());
        assert_eq!(lines[2], "coredump(blocks)     0");
        // dash's order and names, with `-l` and `-u` between `-c` and `-n`.
        assert_eq!(lines[3], "locked memory(kbytes) 0");
        assert_eq!(lines[4], "process              0");
        assert!(all_lines(&l, Which::Hard)[2].ends_with("unlimited"));
    }
}
