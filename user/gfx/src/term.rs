//! A terminal's character grid (the `term` window): bytes in, cells out. It knows
//! enough of ANSI/VT100 for simple programs: printable ASCII, newline, carriage
//! return, backspace, tab, and the escape sequences `ESC[H` / `ESC[row;colH`
//! (cursor position), `ESC[J` / `ESC[2J` (erase display), `ESC[K` (erase line),
//! `ESC[A/B/C/D` (cursor moves); `ESC[...m` (colours) and anything else it does not
//! know are read and ignored. Writing past the last row scrolls.

use crate::{Surface, GLYPH};
use alloc::vec;
use alloc::vec::Vec;

/// Pixel height of one text row (the glyph and two pixels of leading).
pub const ROW: usize = 10;
/// Pixels around the grid.
pub const MARGIN: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Esc {
    None,
    Started,
    /// In a control sequence, with the parameters so far.
    Csi(Vec<u16>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    pub cols: usize,
    pub rows: usize,
    cells: Vec<u8>,
    pub cx: usize,
    pub cy: usize,
    esc: Esc,
}

impl Grid {
    pub fn new(cols: usize, rows: usize) -> Grid {
        Grid {
            cols,
            rows,
            cells: vec![b' '; cols * rows],
            cx: 0,
            cy: 0,
            esc: Esc::None,
        }
    }

    /// Row `y` as text, trailing spaces kept.
    pub fn row(&self, y: usize) -> &[u8] {
        &self.cells[y * self.cols..(y + 1) * self.cols]
    }

    /// The grid as lines, trailing spaces cut (a dump of the screen).
    pub fn dump(&self) -> Vec<alloc::string::String> {
        (0..self.rows)
            .map(|y| {
                let r = self.row(y);
                let end = r.iter().rposition(|&c| c != b' ').map_or(0, |i| i + 1);
                r[..end].iter().map(|&c| c as char).collect()
            })
            .collect()
    }

    fn newline(&mut self) {
        if self.cy + 1 < self.rows {
            self.cy += 1;
        } else {
            self.cells.copy_within(self.cols.., 0);
            let last = (self.rows - 1) * self.cols;
            self.cells[last..].fill(b' ');
        }
    }

    fn put(&mut self, c: u8) {
        if self.cx >= self.cols {
            self.cx = 0;
            self.newline();
        }
        self.cells[self.cy * self.cols + self.cx] = c;
        self.cx += 1;
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.byte(b);
        }
    }

    fn byte(&mut self, b: u8) {
        match core::mem::replace(&mut self.esc, Esc::None) {
            Esc::Started => {
                if b == b'[' {
                    self.esc = Esc::Csi(Vec::new());
                }
                return;
            }
            Esc::Csi(mut params) => {
                match b {
                    b'0'..=b'9' => {
                        if params.is_empty() {
                            params.push(0);
                        }
                        let last = params.last_mut().unwrap();
                        *last = last.saturating_mul(10).saturating_add((b - b'0') as u16);
                        self.esc = Esc::Csi(params);
                    }
                    b';' => {
                        if params.is_empty() {
                            params.push(0);
                        }
                        params.push(0);
                        self.esc = Esc::Csi(params);
                    }
                    b'?' => self.esc = Esc::Csi(params),
                    _ => self.csi(b, &params),
                }
                return;
            }
            Esc::None => {}
        }
        match b {
            0x1b => self.esc = Esc::Started,
            b'\n' => {
                self.cx = 0;
                self.newline();
            }
            b'\r' => self.cx = 0,
            0x08 | 0x7f => self.cx = self.cx.saturating_sub(1),
            b'\t' => {
                let to = ((self.cx / 8) + 1) * 8;
                while self.cx < to.min(self.cols) {
                    self.put(b' ');
                }
            }
            0x20..=0x7e => self.put(b),
            _ => {}
        }
    }

    fn csi(&mut self, cmd: u8, p: &[u16]) {
        let n = |i: usize| p.get(i).copied().filter(|&v| v > 0).unwrap_or(1) as usize;
        match cmd {
            b'H' | b'f' => {
                self.cy = (n(0) - 1).min(self.rows - 1);
                self.cx = (n(1) - 1).min(self.cols - 1);
            }
            b'A' => self.cy = self.cy.saturating_sub(n(0)),
            b'B' => self.cy = (self.cy + n(0)).min(self.rows - 1),
            b'C' => self.cx = (self.cx + n(0)).min(self.cols - 1),
            b'D' => self.cx = self.cx.saturating_sub(n(0)),
            b'J' => {
                let from = match p.first().copied().unwrap_or(0) {
                    0 => self.cy * self.cols + self.cx.min(self.cols),
                    _ => 0,
                };
                self.cells[from..].fill(b' ');
            }
            b'K' => {
                let start = self.cy * self.cols;
                self.cells[start + self.cx.min(self.cols)..start + self.cols].fill(b' ');
            }
            _ => {} // colours and the rest: ignored
        }
    }

    /// Pixels the grid needs.
    pub fn size(&self) -> (usize, usize) {
        (2 * MARGIN + self.cols * GLYPH, 2 * MARGIN + self.rows * ROW)
    }

    /// Draw the grid (and, if `cursor`, a block at the cursor).
    pub fn render(&self, s: &mut Surface, fg: u32, bg: u32, cursor: bool) {
        s.fill(0, 0, s.width, s.height, bg);
        for y in 0..self.rows {
            let text = core::str::from_utf8(self.row(y)).unwrap_or("");
            s.text(MARGIN as i64, (MARGIN + y * ROW) as i64, text, 1, fg);
        }
        if cursor {
            let (x, y) = (
                MARGIN + self.cx.min(self.cols - 1) * GLYPH,
                MARGIN + self.cy * ROW,
            );
            s.fill(x as i64, y as i64, GLYPH, GLYPH, fg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_newlines_and_scrolling() {
        let mut g = Grid::new(10, 3);
        g.feed(b"ab\ncd\r\nxyz");
        assert_eq!(g.dump(), ["ab", "cd", "xyz"]);
        g.feed(b"\nlast");
        assert_eq!(g.dump(), ["cd", "xyz", "last"]);
        g.feed(b"\x08\x08XY");
        assert_eq!(g.dump()[2], "laXY");
    }

    #[test]
    fn long_lines_wrap_and_tabs_align() {
        let mut g = Grid::new(4, 3);
        g.feed(b"abcdef");
        assert_eq!(g.dump(), ["abcd", "ef", ""]);
        let mut t = Grid::new(20, 1);
        t.feed(b"a\tb");
        assert_eq!(t.dump(), ["a       b"]);
    }

    #[test]
    fn escape_sequences_move_and_erase() {
        let mut g = Grid::new(10, 3);
        g.feed(b"hello\nworld\x1b[1;2HE\x1b[K");
        assert_eq!(g.dump(), ["hE", "world", ""]);
        g.feed(b"\x1b[2J\x1b[H\x1b[31mred\x1b[0m");
        assert_eq!(g.dump(), ["red", "", ""]);
        g.feed(b"\x1b[?25l\x1b[3;1Hz\x1b[A\x1b[Cq");
        assert_eq!(g.dump(), ["red", "  q", "z"]);
    }

    #[test]
    fn rendering_draws_each_rows_text() {
        let mut g = Grid::new(5, 2);
        g.feed(b"hi");
        let (w, h) = g.size();
        let mut s = Surface::new(w, h, 0);
        g.render(&mut s, 1, 0, false);
        let mut want = Surface::new(w, h, 0);
        want.text(MARGIN as i64, MARGIN as i64, "hi   ", 1, 1);
        want.text(MARGIN as i64, (MARGIN + ROW) as i64, "     ", 1, 1);
        assert_eq!(s, want);
    }
}
