//! `wc`: counting lines, words and bytes, and laying the counts out in columns as GNU
//! wc does: every number right-aligned to one width, which is the number of digits of
//! the total size of the regular files counted (at least 7 if an input is a pipe or a
//! terminal, whose size is not known beforehand), or 1 when a single count of a single
//! input is printed.

use alloc::string::String;

/// The counts of one input (or the total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub lines: u64,
    pub words: u64,
    pub bytes: u64,
}

/// Counting in pieces: a word may span two pieces.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counter {
    pub counts: Counts,
    in_word: bool,
}

impl Counter {
    pub fn feed(&mut self, data: &[u8]) {
        let c = &mut self.counts;
        c.bytes += data.len() as u64;
        for &b in data {
            if b == b'\n' {
                c.lines += 1;
            }
            let space = b.is_ascii_whitespace() || b == 0x0b;
            if !space && !self.in_word {
                c.words += 1;
            }
            self.in_word = !space;
        }
    }
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.lines += o.lines;
        self.words += o.words;
        self.bytes += o.bytes;
    }
}

/// What is known of an input before counting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A regular file of this size.
    Regular(u64),
    /// A pipe, terminal or device.
    Other,
    /// It could not be opened.
    Failed,
}

/// The column width for `inputs` when `columns` counts are shown.
pub fn width(inputs: &[Input], columns: usize) -> usize {
    if inputs.len() == 1 && columns == 1 || inputs.first().is_none_or(|i| *i == Input::Failed) {
        return 1;
    }
    let mut minimum = 1;
    let mut total: u64 = 0;
    for i in inputs {
        match i {
            Input::Regular(n) => total += n,
            Input::Other => minimum = 7,
            Input::Failed => {}
        }
    }
    let mut w = 1;
    while total >= 10 {
        total /= 10;
        w += 1;
    }
    w.max(minimum)
}

/// One line of output: the chosen counts (lines, words, bytes) and the name, if any.
pub fn format(c: &Counts, show: [bool; 3], width: usize, name: Option<&str>) -> String {
    let mut fields = alloc::vec::Vec::new();
    for (on, v) in show.iter().zip([c.lines, c.words, c.bytes]) {
        if *on {
            fields.push(alloc::format!("{v:>width$}"));
        }
    }
    let mut s = fields.join(" ");
    if let Some(n) = name {
        s.push(' ');
        s.push_str(n);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words_across_pieces() {
        let mut c = Counter::default();
        c.feed(b"one tw");
        c.feed(b"o\nthree\n");
        assert_eq!(
            c.counts,
            Counts {
                lines: 2,
                words: 3,
                bytes: 14
            }
        );
    }

    #[test]
    fn widths_follow_gnu() {
        assert_eq!(width(&[Input::Regular(162)], 3), 3);
        assert_eq!(width(&[Input::Regular(162)], 1), 1);
        assert_eq!(width(&[Input::Other], 3), 7);
        assert_eq!(width(&[Input::Regular(5), Input::Regular(5)], 1), 2);
        assert_eq!(width(&[Input::Failed, Input::Regular(500)], 3), 1);
        let c = Counts {
            lines: 6,
            words: 30,
            bytes: 162,
        };
        assert_eq!(format(&c, [true; 3], 3, Some("text")), "  6  30 162 text");
        assert_eq!(format(&c, [true, false, false], 1, None), "6");
    }
}
