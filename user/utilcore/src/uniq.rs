//! `uniq`: runs of equal adjacent lines, collapsed to one (`-c` counts them, `-d` keeps
//! only repeated runs, `-u` only lines that are not repeated).

use alloc::vec::Vec;

/// Which runs to print and how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub count: bool,
    pub repeated_only: bool,
    pub unique_only: bool,
    pub ignore_case: bool,
}

/// Each run of equal lines as (its first line, its length), filtered by `-d`/`-u`.
pub fn runs<'a>(lines: &[&'a [u8]], o: &Options) -> Vec<(&'a [u8], usize)> {
    let eq = |a: &[u8], b: &[u8]| {
        if o.ignore_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let mut out: Vec<(&[u8], usize)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut j = i + 1;
        while j < lines.len() && eq(lines[i], lines[j]) {
            j += 1;
        }
        let n = j - i;
        if !(o.repeated_only && n == 1 || o.unique_only && n > 1) {
            out.push((lines[i], n));
        }
        i = j;
    }
    out
}

/// One output line (without its newline): `-c` puts the count first, as `%7d `.
pub fn format(line: &[u8], n: usize, o: &Options) -> Vec<u8> {
    let mut v = Vec::new();
    if o.count {
        v.extend_from_slice(alloc::format!("{n:>7} ").as_bytes());
    }
    v.extend_from_slice(line);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const IN: &[&[u8]] = &[b"a", b"a", b"b", b"c", b"c", b"c", b"a"];

    #[test]
    fn runs_are_counted_and_filtered() {
        let all = runs(IN, &Options::default());
        assert_eq!(all, [(&b"a"[..], 2), (b"b", 1), (b"c", 3), (b"a", 1)]);
        let d = Options {
            repeated_only: true,
            ..Options::default()
        };
        assert_eq!(runs(IN, &d), [(&b"a"[..], 2), (b"c", 3)]);
        let u = Options {
            unique_only: true,
            ..Options::default()
        };
        assert_eq!(runs(IN, &u), [(&b"b"[..], 1), (b"a", 1)]);
        let c = Options {
            count: true,
            ..Options::default()
        };
        assert_eq!(format(b"x", 12, &c), b"     12 x");
    }
}
