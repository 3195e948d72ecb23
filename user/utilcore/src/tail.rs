//! `tail`: which part of an input is its tail: the last N lines or bytes, or from the
//! Nth on (`+N`). A final line without its newline is a line.

/// What to print of each input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    pub n: usize,
    pub bytes: bool,
    /// `+N`: from the Nth line (byte) on, rather than the last N.
    pub from_start: bool,
}

/// The part of `data` that `a` selects.
pub fn select(data: &[u8], a: Amount) -> &[u8] {
    if a.bytes {
        return if a.from_start {
            &data[(a.n.max(1) - 1).min(data.len())..]
        } else {
            &data[data.len().saturating_sub(a.n)..]
        };
    }
    // Where each line starts.
    let mut starts = alloc::vec::Vec::new();
    if !data.is_empty() {
        starts.push(0);
    }
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' && i + 1 < data.len() {
            starts.push(i + 1);
        }
    }
    let first = if a.from_start {
        a.n.max(1) - 1
    } else {
        starts.len().saturating_sub(a.n)
    };
    match starts.get(first) {
        Some(&s) => &data[s..],
        None => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(n: usize, bytes: bool, from_start: bool) -> Amount {
        Amount {
            n,
            bytes,
            from_start,
        }
    }

    #[test]
    fn last_and_from_lines_and_bytes() {
        let d = b"1\n2\n3\n4";
        assert_eq!(select(d, a(2, false, false)), b"3\n4");
        assert_eq!(select(d, a(0, false, false)), b"");
        assert_eq!(select(d, a(9, false, false)), d);
        assert_eq!(select(d, a(3, false, true)), b"3\n4");
        assert_eq!(select(d, a(9, false, true)), b"");
        assert_eq!(select(d, a(3, true, false)), b"3\n4");
        assert_eq!(select(d, a(2, true, true)), b"\n2\n3\n4");
        assert_eq!(select(b"x\n", a(1, false, false)), b"x\n");
        assert_eq!(select(b"", a(1, false, false)), b"");
    }
}
