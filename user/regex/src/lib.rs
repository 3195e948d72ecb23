//! `bre`: POSIX basic regular expressions, the subset `grep` needs (chapter 2 section 4:
//! a file-modification utility searches files by pattern).
//!
//! Supported: literal characters; `.` (any byte); `*` (zero or more of the atom before
//! it; literal at the start of the pattern or right after `^`); `^` at the start and `$`
//! at the end as anchors (literal elsewhere); bracket expressions `[abc]`, `[a-z]`,
//! `[^...]` (a `]` first in the list is literal), with the classes `[:alpha:]`,
//! `[:digit:]`, `[:alnum:]`, `[:upper:]`, `[:lower:]`, `[:space:]`, `[:punct:]`; and `\`
//! to make the next character literal; `\(` and `\)` group (up to nine groups, whose
//! spans [`Regex::captures_at`] reports, for `sed`'s `\1`; a group cannot be starred).
//! Matching is on bytes, optionally ignoring ASCII case.
//!
//! Design decision: a pattern compiles to a flat list of pieces (an atom, possibly
//! starred) and is matched by backtracking, Kernighan and Pike's `matchhere` with greedy
//! stars. Without groups or alternation this is small and easy to check; its worst case
//! is polynomial in the number of stars, which is fine for lines of text.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

/// Why a pattern did not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A `[` without its `]`.
    UnmatchedBracket,
    /// A `\` at the very end.
    TrailingBackslash,
    /// `[:name:]` with an unknown name.
    UnknownClass,
    /// A `\(` without its `\)` or the other way round, or more than nine groups.
    UnmatchedGroup,
    /// `*` after a group (not supported).
    StarredGroup,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::UnmatchedBracket => "unmatched [",
            Error::TrailingBackslash => "trailing backslash (\\)",
            Error::UnknownClass => "invalid character class",
            Error::UnmatchedGroup => "unmatched \\( or \\)",
            Error::StarredGroup => "a group cannot be repeated with *",
        })
    }
}

/// A set of bytes, one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1 << (b & 63);
    }
    fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom {
    Byte(u8),
    Any,
    Set {
        set: ByteSet,
        negated: bool,
    },
    /// Zero-width: group `n` starts (`\(`) or ends (`\)`) here.
    Open(u8),
    Close(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    atom: Atom,
    star: bool,
}

/// Where each group matched: index 0 is the whole match, 1 to 9 the groups (`None`
/// for a group that took no part).
pub type Captures = [Option<(usize, usize)>; 10];

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regex {
    pieces: Vec<Piece>,
    groups: u8,
    anchor_start: bool,
    anchor_end: bool,
    ignore_case: bool,
}

fn class_members(name: &[u8]) -> Option<fn(u8) -> bool> {
    Some(match name {
        b"alpha" => |b: u8| b.is_ascii_alphabetic(),
        b"digit" => |b: u8| b.is_ascii_digit(),
        b"alnum" => |b: u8| b.is_ascii_alphanumeric(),
        b"upper" => |b: u8| b.is_ascii_uppercase(),
        b"lower" => |b: u8| b.is_ascii_lowercase(),
        b"space" => |b: u8| b.is_ascii_whitespace() || b == 0x0b,
        b"punct" => |b: u8| b.is_ascii_punctuation(),
        b"xdigit" => |b: u8| b.is_ascii_hexdigit(),
        b"blank" => |b: u8| b == b' ' || b == b'\t',
        _ => return None,
    })
}

/// Parse a bracket expression starting just after `[`: the atom and the index after `]`.
fn parse_bracket(p: &[u8], mut i: usize) -> Result<(Atom, usize), Error> {
    let mut set = ByteSet([0; 4]);
    let negated = p.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let start = i;
    loop {
        let Some(&c) = p.get(i) else {
            return Err(Error::UnmatchedBracket);
        };
        if c == b']' && i > start {
            return Ok((Atom::Set { set, negated }, i + 1));
        }
        if c == b'[' && p.get(i + 1) == Some(&b':') {
            let name_start = i + 2;
            let end = p[name_start..]
                .windows(2)
                .position(|w| w == b":]")
                .ok_or(Error::UnmatchedBracket)?;
            let is = class_members(&p[name_start..name_start + end]).ok_or(Error::UnknownClass)?;
            for b in 0..=255u8 {
                if is(b) {
                    set.insert(b);
                }
            }
            i = name_start + end + 2;
            continue;
        }
        // A range `a-z` (a `-` first or last is literal).
        if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&e| e != b']') {
            let hi = p[i + 2];
            // A reversed range is empty, as in POSIX.
            for b in c..=hi {
                set.insert(b);
            }
            i += 3;
            continue;
        }
        set.insert(c);
        i += 1;
    }
}

impl Regex {
    /// Compile `pattern`, matching case exactly.
    pub fn new(pattern: &str) -> Result<Regex, Error> {
        Regex::with_case(pattern, false)
    }

    /// Compile `pattern`; with `ignore_case`, ASCII letters match either case.
    pub fn with_case(pattern: &str, ignore_case: bool) -> Result<Regex, Error> {
        let p = pattern.as_bytes();
        let mut i = 0;
        let anchor_start = p.first() == Some(&b'^');
        if anchor_start {
            i = 1;
        }
        let mut pieces: Vec<Piece> = Vec::new();
        let mut anchor_end = false;
        let mut groups = 0u8;
        let mut open: Vec<u8> = Vec::new();
        while i < p.len() {
            let c = p[i];
            let atom = match c {
                b'$' if i + 1 == p.len() => {
                    anchor_end = true;
                    i += 1;
                    continue;
                }
                b'*' if matches!(
                    pieces.last(),
                    Some(Piece {
                        atom: Atom::Close(_),
                        ..
                    })
                ) =>
                {
                    return Err(Error::StarredGroup);
                }
                // `*` first in a group is literal, as at the start of the pattern.
                b'*' if matches!(
                    pieces.last(),
                    Some(Piece {
                        atom: Atom::Open(_),
                        ..
                    })
                ) =>
                {
                    i += 1;
                    Atom::Byte(b'*')
                }
                b'*' if !pieces.is_empty() && !pieces[pieces.len() - 1].star => {
                    let last = pieces.len() - 1;
                    pieces[last].star = true;
                    i += 1;
                    continue;
                }
                b'*' if !pieces.is_empty() => {
                    i += 1; // `a**` is `a*`
                    continue;
                }
                b'.' => {
                    i += 1;
                    Atom::Any
                }
                b'[' => {
                    let (a, next) = parse_bracket(p, i + 1)?;
                    i = next;
                    a
                }
                b'\\' => {
                    let &e = p.get(i + 1).ok_or(Error::TrailingBackslash)?;
                    i += 2;
                    match e {
                        b'(' => {
                            groups += 1;
                            if groups > 9 {
                                return Err(Error::UnmatchedGroup);
                            }
                            open.push(groups);
                            Atom::Open(groups)
                        }
                        b')' => Atom::Close(open.pop().ok_or(Error::UnmatchedGroup)?),
                        _ => Atom::Byte(e),
                    }
                }
                _ => {
                    i += 1;
                    Atom::Byte(c)
                }
            };
            pieces.push(Piece { atom, star: false });
        }
        if !open.is_empty() {
            return Err(Error::UnmatchedGroup);
        }
        Ok(Regex {
            pieces,
            groups,
            anchor_start,
            anchor_end,
            ignore_case,
        })
    }

    /// Whether the pattern matches anywhere in `text`.
    pub fn is_match(&self, text: &[u8]) -> bool {
        self.find(text).is_some()
    }

    /// The leftmost match in `text` as a byte range (stars are greedy).
    pub fn find(&self, text: &[u8]) -> Option<(usize, usize)> {
        self.captures_at(text, 0).and_then(|c| c[0])
    }

    /// How many groups the pattern has.
    pub fn groups(&self) -> usize {
        self.groups as usize
    }

    /// The leftmost match starting at or after `start` (`^` still means the start of
    /// `text`), with the spans of its groups.
    pub fn captures_at(&self, text: &[u8], start: usize) -> Option<Captures> {
        let last = if self.anchor_start { 0 } else { text.len() };
        (start..=last).find_map(|s| {
            let mut caps: Captures = [None; 10];
            let e = self.match_here(0, text, s, &mut caps)?;
            caps[0] = Some((s, e));
            Some(caps)
        })
    }

    fn atom_matches(&self, a: &Atom, b: u8) -> bool {
        match *a {
            Atom::Any => true,
            Atom::Byte(c) => c == b || (self.ignore_case && c.eq_ignore_ascii_case(&b)),
            Atom::Open(_) | Atom::Close(_) => false,
            Atom::Set { set, negated } => {
                let hit = set.contains(b)
                    || (self.ignore_case
                        && (set.contains(b.to_ascii_lowercase())
                            || set.contains(b.to_ascii_uppercase())));
                hit != negated
            }
        }
    }

    /// Match pieces `k..` at `text[at..]`: where the match ends. A group's span is
    /// written into `caps` on the way back from a successful match, so only the
    /// spans of the match found are left there.
    fn match_here(&self, k: usize, text: &[u8], at: usize, caps: &mut Captures) -> Option<usize> {
        let Some(piece) = self.pieces.get(k) else {
            return (!self.anchor_end || at == text.len()).then_some(at);
        };
        match piece.atom {
            Atom::Open(n) => {
                let end = self.match_here(k + 1, text, at, caps)?;
                let close = caps[n as usize].map_or(at, |(_, e)| e);
                caps[n as usize] = Some((at, close));
                return Some(end);
            }
            Atom::Close(n) => {
                let end = self.match_here(k + 1, text, at, caps)?;
                caps[n as usize] = Some((at, at));
                return Some(end);
            }
            _ => {}
        }
        if piece.star {
            let mut n = 0;
            while at + n < text.len() && self.atom_matches(&piece.atom, text[at + n]) {
                n += 1;
            }
            // Greedy: the longest run first, then shorter ones.
            return (0..=n)
                .rev()
                .find_map(|m| self.match_here(k + 1, text, at + m, caps));
        }
        if at < text.len() && self.atom_matches(&piece.atom, text[at]) {
            self.match_here(k + 1, text, at + 1, caps)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Regex::new(p).unwrap().is_match(t.as_bytes())
    }

    #[test]
    fn literals_match_anywhere_in_the_line() {
        assert!(m("cat", "concatenate"));
        assert!(!m("dog", "concatenate"));
        assert!(m("", "anything"));
    }

    #[test]
    fn dot_matches_any_byte_but_needs_one() {
        assert!(m("c.t", "cut"));
        assert!(!m("c.t", "ct"));
    }

    #[test]
    fn star_repeats_the_atom_before_it_greedily() {
        assert!(m("ab*c", "ac"));
        assert!(m("ab*c", "abbbc"));
        assert!(!m("ab*c", "abxc"));
        assert_eq!(Regex::new("b*").unwrap().find(b"abbb"), Some((0, 0)));
        assert_eq!(Regex::new("ab*").unwrap().find(b"xabbbc"), Some((1, 5)));
        assert_eq!(Regex::new("a.*z").unwrap().find(b"_a1z2z_"), Some((1, 6)));
    }

    #[test]
    fn anchors_pin_the_start_and_end() {
        assert!(m("^ab", "abc"));
        assert!(!m("^ab", "cab"));
        assert!(m("bc$", "abc"));
        assert!(!m("bc$", "bca"));
        assert!(m("^$", ""));
        assert!(!m("^$", "x"));
        assert!(m("^a.*c$", "abbbc"));
    }

    #[test]
    fn anchor_characters_elsewhere_are_literal() {
        assert!(m("a^b", "a^b"));
        assert!(m("a$b", "a$b"));
        assert!(m("^*a", "*a"));
        assert!(m("*a", "x*a"));
    }

    #[test]
    fn bracket_expressions_ranges_negation_and_classes() {
        assert!(m("[abc]x", "bx"));
        assert!(!m("[abc]x", "dx"));
        assert!(m("^[0-9][0-9]*$", "2024"));
        assert!(!m("^[0-9][0-9]*$", "20a4"));
        assert!(m("[^a-z]", "abc1"));
        assert!(!m("[^a-z]", "abc"));
        assert!(m("[]]", "]"));
        assert!(m("[a-]", "-"));
        assert!(m("^[[:upper:]][[:digit:]]*$", "A123"));
        assert!(!m("^[[:upper:]]", "a123"));
    }

    #[test]
    fn backslash_makes_the_next_character_literal() {
        assert!(m("a\\.b", "a.b"));
        assert!(!m("a\\.b", "axb"));
        assert!(m("\\*", "*"));
        assert!(m("\\[x\\]", "[x]"));
        assert!(m("\\\\", "a\\b"));
        assert!(m("x\\$", "x$y"));
    }

    #[test]
    fn ignoring_case_covers_literals_and_sets() {
        let r = Regex::with_case("HeLLo [a-c]", true).unwrap();
        assert!(r.is_match(b"say hello B"));
        assert!(!Regex::new("HeLLo").unwrap().is_match(b"hello"));
        assert!(Regex::with_case("[^A-Z]", true).unwrap().is_match(b"1"));
        assert!(!Regex::with_case("^[^A-Z]*$", true).unwrap().is_match(b"q"));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert_eq!(Regex::new("[abc"), Err(Error::UnmatchedBracket));
        assert_eq!(Regex::new("ab\\"), Err(Error::TrailingBackslash));
        assert_eq!(Regex::new("[[:nope:]]"), Err(Error::UnknownClass));
    }

    #[test]
    fn groups_report_their_spans() {
        let r = Regex::new("\\([a-z]*\\)=\\([0-9]*\\)").unwrap();
        let c = r.captures_at(b"  key=42;", 0).unwrap();
        assert_eq!(
            (c[0], c[1], c[2], c[3]),
            (Some((2, 8)), Some((2, 5)), Some((6, 8)), None)
        );
        assert_eq!(r.groups(), 2);
        let nested = Regex::new("\\(a\\(b\\)\\)c").unwrap();
        let c = nested.captures_at(b"xabc", 0).unwrap();
        assert_eq!((c[1], c[2]), (Some((1, 3)), Some((2, 3))));
        assert_eq!(
            Regex::new("b").unwrap().captures_at(b"abab", 2).unwrap()[0],
            Some((3, 4))
        );
        assert_eq!(Regex::new("\\(a"), Err(Error::UnmatchedGroup));
        assert_eq!(Regex::new("a\\)"), Err(Error::UnmatchedGroup));
        assert_eq!(Regex::new("\\(a\\)*"), Err(Error::StarredGroup));
        assert!(m("\\(*a\\)", "*a"));
    }

    #[test]
    fn many_stars_still_finish() {
        let r = Regex::new("a*a*a*a*a*b").unwrap();
        assert!(!r.is_match(&[b'a'; 24]));
    }
}
