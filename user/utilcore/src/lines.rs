//! Splitting input into lines, as the line-oriented tools see it: a final line without
//! its newline still counts as a line.

use alloc::vec::Vec;

/// The lines of `data`, without their newlines.
pub fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if data.is_empty() || data.ends_with(b"\n") {
        v.pop();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_line_without_newline_counts() {
        assert_eq!(split(b"a\nb"), [&b"a"[..], b"b"]);
        assert_eq!(split(b"a\nb\n"), [&b"a"[..], b"b"]);
        assert_eq!(split(b"\n\n"), [&b""[..], b""]);
        assert!(split(b"").is_empty());
    }
}
