//! `diff`: the lines two texts differ by, in the normal or the unified (`-u`) format.
//!
//! The edit script is a shortest one, found by Myers' O(ND) algorithm ("An O(ND)
//! Difference Algorithm and Its Variations", 1986): for each number of edits `d`, the
//! furthest point reached on every diagonal `k = x - y`, following runs of equal lines
//! ("snakes") for free; the trace of those frontiers is walked back to recover the
//! path. Then, as GNU diff does, each run of deleted (inserted) lines is slid down as
//! far as equal lines allow, so that `a a b` against `a b` deletes the second `a`.
//!
//! Lines keep their newline, so a last line without one differs from the same text
//! with one, and is printed with GNU's `\ No newline at end of file`.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// The lines of `data`, each with its newline (the last may lack it).
pub fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut v = Vec::new();
    let mut start = 0;
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' {
            v.push(&data[start..=i]);
            start = i + 1;
        }
    }
    if start < data.len() {
        v.push(&data[start..]);
    }
    v
}

/// Which lines of `a` are deleted and which of `b` inserted, by a shortest script.
pub fn changes(a: &[&[u8]], b: &[&[u8]]) -> (Vec<bool>, Vec<bool>) {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let off = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    'search: for d in 0..=max as isize {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let i = (k + off) as usize;
            let mut x = if k == -d || (k != d && v[i - 1] < v[i + 1]) {
                v[i + 1] // down: an insertion
            } else {
                v[i - 1] + 1 // right: a deletion
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[i] = x;
            if x >= n && y >= m {
                trace.push(v.clone());
                break 'search;
            }
            k += 2;
        }
    }
    // Walk back: trace[d] is the frontier after d - 1 edits, from which step d went.
    let mut del = vec![false; a.len()];
    let mut ins = vec![false; b.len()];
    let (mut x, mut y) = (n, m);
    for d in (1..trace.len() as isize - 1).rev() {
        let v = &trace[d as usize];
        let k = x - y;
        let i = (k + off) as usize;
        let prev_k = if k == -d || (k != d && v[i - 1] < v[i + 1]) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = v[(prev_k + off) as usize];
        let prev_y = prev_x - prev_k;
        // The edit from (prev_x, prev_y), then a snake of equal lines to (x, y).
        if prev_k == k + 1 {
            ins[prev_y as usize] = true;
        } else {
            del[prev_x as usize] = true;
        }
        x = prev_x;
        y = prev_y;
    }
    slide(a, &mut del);
    slide(b, &mut ins);
    (del, ins)
}

/// Move each run of changed lines down while the line after it equals its first line.
fn slide(lines: &[&[u8]], changed: &mut [bool]) {
    let mut i = 0;
    while i < lines.len() {
        if !changed[i] {
            i += 1;
            continue;
        }
        let mut start = i;
        let mut end = i;
        while end < lines.len() && changed[end] {
            end += 1;
        }
        while end < lines.len() && !changed[end] && lines[start] == lines[end] {
            changed[start] = false;
            changed[end] = true;
            start += 1;
            end += 1;
            while end < lines.len() && changed[end] {
                end += 1; // joined the next run
            }
        }
        i = end;
    }
}

/// One change: `a[a0..a1]` replaced by `b[b0..b1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub a0: usize,
    pub a1: usize,
    pub b0: usize,
    pub b1: usize,
}

/// The changes, in order.
pub fn script(a: &[&[u8]], b: &[&[u8]]) -> Vec<Change> {
    let (del, ins) = changes(a, b);
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && !del[i] && !ins[j] {
            i += 1;
            j += 1;
            continue;
        }
        let (a0, b0) = (i, j);
        while i < a.len() && del[i] {
            i += 1;
        }
        while j < b.len() && ins[j] {
            j += 1;
        }
        out.push(Change {
            a0,
            a1: i,
            b0,
            b1: j,
        });
    }
    out
}

fn push_line(out: &mut Vec<u8>, prefix: &[u8], line: &[u8]) {
    out.extend_from_slice(prefix);
    out.extend_from_slice(line);
    if !line.ends_with(b"\n") {
        out.extend_from_slice(b"\n\\ No newline at end of file\n");
    }
}

fn range(lo: usize, hi: usize) -> String {
    // 1-based lines lo+1..=hi; an empty range names the line before it.
    if hi <= lo + 1 {
        alloc::format!("{}", if hi == lo { lo } else { hi })
    } else {
        alloc::format!("{},{}", lo + 1, hi)
    }
}

/// The normal format: `2c2`, `< old`, `---`, `> new`.
pub fn normal(a: &[&[u8]], b: &[&[u8]], changes: &[Change]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in changes {
        let op = match (c.a0 == c.a1, c.b0 == c.b1) {
            (true, _) => 'a',
            (_, true) => 'd',
            _ => 'c',
        };
        out.extend_from_slice(
            alloc::format!("{}{op}{}\n", range(c.a0, c.a1), range(c.b0, c.b1)).as_bytes(),
        );
        for l in &a[c.a0..c.a1] {
            push_line(&mut out, b"< ", l);
        }
        if op == 'c' {
            out.extend_from_slice(b"---\n");
        }
        for l in &b[c.b0..c.b1] {
            push_line(&mut out, b"> ", l);
        }
    }
    out
}

fn unified_range(start: usize, len: usize) -> String {
    match len {
        0 => alloc::format!("{start},0"),
        1 => alloc::format!("{}", start + 1),
        _ => alloc::format!("{},{len}", start + 1),
    }
}

/// The unified format's hunks (the `---`/`+++` header is the caller's), with
/// `context` lines around each change; changes closer than twice that share a hunk.
pub fn unified(a: &[&[u8]], b: &[&[u8]], changes: &[Change], context: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < changes.len() {
        let mut last = k;
        while last + 1 < changes.len() && changes[last + 1].a0 - changes[last].a1 <= 2 * context {
            last += 1;
        }
        let first = changes[k];
        let end = changes[last];
        let a_start = first.a0.saturating_sub(context);
        let b_start = first.b0 - (first.a0 - a_start);
        let a_end = (end.a1 + context).min(a.len());
        let b_end = end.b1 + (a_end - end.a1);
        out.extend_from_slice(
            alloc::format!(
                "@@ -{} +{} @@\n",
                unified_range(a_start, a_end - a_start),
                unified_range(b_start, b_end - b_start)
            )
            .as_bytes(),
        );
        let mut i = a_start;
        for c in &changes[k..=last] {
            for l in &a[i..c.a0] {
                push_line(&mut out, b" ", l);
            }
            for l in &a[c.a0..c.a1] {
                push_line(&mut out, b"-", l);
            }
            for l in &b[c.b0..c.b1] {
                push_line(&mut out, b"+", l);
            }
            i = c.a1;
        }
        for l in &a[i..a_end] {
            push_line(&mut out, b" ", l);
        }
        k = last + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff_u(a: &str, b: &str) -> String {
        let (la, lb) = (lines(a.as_bytes()), lines(b.as_bytes()));
        let s = script(&la, &lb);
        String::from_utf8(unified(&la, &lb, &s, 3)).unwrap()
    }

    fn diff_n(a: &str, b: &str) -> String {
        let (la, lb) = (lines(a.as_bytes()), lines(b.as_bytes()));
        let s = script(&la, &lb);
        String::from_utf8(normal(&la, &lb, &s)).unwrap()
    }

    #[test]
    fn a_shortest_script_is_found() {
        let a = lines(b"a\nb\nc\na\nb\nb\na\n");
        let b = lines(b"c\nb\na\nb\na\nc\n");
        let (del, ins) = changes(&a, &b);
        let edits = del.iter().chain(&ins).filter(|x| **x).count();
        assert_eq!(edits, 5); // Myers' own example: D = 5
        assert!(script(&a, &a).is_empty());
    }

    #[test]
    fn normal_format() {
        assert_eq!(diff_n("a\nb\nc\n", "a\nB\nc\n"), "2c2\n< b\n---\n> B\n");
        assert_eq!(diff_n("a\nb\n", "a\n"), "2d1\n< b\n");
        assert_eq!(diff_n("a\n", "a\nb\nc\n"), "1a2,3\n> b\n> c\n");
        assert_eq!(diff_n("a\na\nb\n", "a\nb\n"), "2d1\n< a\n");
        assert_eq!(
            diff_n("x", "x\n"),
            "1c1\n< x\n\\ No newline at end of file\n---\n> x\n"
        );
    }

    #[test]
    fn unified_hunks_with_context() {
        assert_eq!(
            diff_u("1\n2\n3\n4\n5\n", "1\n2\nthree\n4\n5\n"),
            "@@ -1,5 +1,5 @@\n 1\n 2\n-3\n+three\n 4\n 5\n"
        );
        assert_eq!(diff_u("", "a\n"), "@@ -0,0 +1 @@\n+a\n");
        let a: String = (1..=20).map(|i| alloc::format!("{i}\n")).collect();
        let b = a.replacen("2\n", "two\n", 1).replace("19\n", "nineteen\n");
        let u = diff_u(&a, &b);
        assert!(u.starts_with("@@ -1,5 +1,5 @@\n"));
        assert!(u.contains("@@ -16,5 +16,5 @@\n"));
    }
}
