//! `cmp`: where two byte strings first differ, counted as `cmp` reports it (bytes and
//! lines from 1).

/// The result of comparing two inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Same,
    /// They differ at byte `byte` (1-based), on line `line`.
    Differ {
        byte: u64,
        line: u64,
    },
    /// One is a prefix of the other: the shorter (0 = the first, 1 = the second) ends
    /// after `byte` bytes, in line `line`.
    Eof {
        shorter: u8,
        byte: u64,
        line: u64,
    },
}

/// Compare `a` and `b`.
pub fn compare(a: &[u8], b: &[u8]) -> Comparison {
    let mut line = 1;
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            return Comparison::Differ {
                byte: i as u64 + 1,
                line,
            };
        }
        if *x == b'\n' {
            line += 1;
        }
    }
    let n = a.len().min(b.len()) as u64;
    if a.len() == b.len() {
        Comparison::Same
    } else {
        // GNU counts the line of the last byte read: a final newline does not start one.
        let line = if n > 0 && a[n as usize - 1] == b'\n' {
            line - 1
        } else {
            line
        };
        Comparison::Eof {
            shorter: u8::from(b.len() < a.len()),
            byte: n,
            line,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_and_eof() {
        assert_eq!(compare(b"abc", b"abc"), Comparison::Same);
        assert_eq!(
            compare(b"ab\ncd", b"ab\nce"),
            Comparison::Differ { byte: 5, line: 2 }
        );
        assert_eq!(
            compare(b"ab", b"abc"),
            Comparison::Eof {
                shorter: 0,
                byte: 2,
                line: 1
            }
        );
        assert_eq!(
            compare(b"a\nb\n", b"a\n"),
            Comparison::Eof {
                shorter: 1,
                byte: 2,
                line: 1
            }
        );
    }
}
