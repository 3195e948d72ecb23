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

/// A comparison fed piece by piece, so that inputs of any size are compared in a
/// fixed amount of memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stream {
    /// Bytes found equal so far, and the line the next byte is on.
    bytes: u64,
    line: u64,
    /// The last equal byte was a newline.
    after_newline: bool,
}

impl Default for Stream {
    fn default() -> Self {
        Stream::new()
    }
}

impl Stream {
    pub fn new() -> Stream {
        Stream {
            bytes: 0,
            line: 1,
            after_newline: false,
        }
    }

    /// Compare the next bytes of both inputs (as many of each as the shorter piece
    /// has); the difference, if these pieces hold the first one.
    pub fn step(&mut self, a: &[u8], b: &[u8]) -> Option<Comparison> {
        for (x, y) in a.iter().zip(b) {
            if x != y {
                return Some(Comparison::Differ {
                    byte: self.bytes + 1,
                    line: self.line,
                });
            }
            self.bytes += 1;
            self.after_newline = *x == b'\n';
            if self.after_newline {
                self.line += 1;
            }
        }
        None
    }

    /// The inputs ended (`a_ended`, `b_ended`: which did) with no difference found.
    pub fn end(&self, a_ended: bool, b_ended: bool) -> Comparison {
        if a_ended && b_ended {
            return Comparison::Same;
        }
        // GNU counts the line of the last byte read: a final newline does not start one.
        let line = if self.after_newline {
            self.line - 1
        } else {
            self.line
        };
        Comparison::Eof {
            shorter: u8::from(!a_ended),
            byte: self.bytes,
            line,
        }
    }
}

/// Compare `a` and `b`.
pub fn compare(a: &[u8], b: &[u8]) -> Comparison {
    let mut s = Stream::new();
    if let Some(d) = s.step(a, b) {
        return d;
    }
    s.end(a.len() <= b.len(), b.len() <= a.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_of_any_size_give_what_the_whole_gives() {
        let a = b"one\ntwo\nthree\nfour\n";
        for b in [&a[..], b"one\ntwo\nthreX\nfour\n", b"one\ntwo\n", b""] {
            for piece in 1..6 {
                let mut s = Stream::new();
                let (mut i, mut j) = (0, 0);
                let got = loop {
                    let (x, y) = (
                        &a[i..a.len().min(i + piece)],
                        &b[j..b.len().min(j + piece + 1)],
                    );
                    if x.is_empty() || y.is_empty() {
                        break s.end(x.is_empty(), y.is_empty());
                    }
                    let n = x.len().min(y.len());
                    if let Some(d) = s.step(&x[..n], &y[..n]) {
                        break d;
                    }
                    i += n;
                    j += n;
                };
                assert_eq!(got, compare(a, b), "piece {piece}");
            }
        }
    }

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
