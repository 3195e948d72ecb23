//! Numbers in command-line operands: counts and signed integers as the utilities
//! accept them (an optional sign, decimal digits, nothing else).

/// A non-negative count such as `-n 5`.
pub fn count(s: &str) -> Option<u64> {
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A signed integer.
pub fn integer(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = count(digits)? as i64;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_integers() {
        assert_eq!(count("12"), Some(12));
        assert_eq!(count("+3"), Some(3));
        assert_eq!(count("-3"), None);
        assert_eq!(count("1x"), None);
        assert_eq!(count(""), None);
        assert_eq!(integer("-42"), Some(-42));
        assert_eq!(integer("7"), Some(7));
        assert_eq!(integer("--7"), None);
    }
}
