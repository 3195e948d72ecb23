//! gfx: what the desktop's programs share (chapter 2, 2-2): drawing into a pixel
//! buffer ([`Surface`]), text in an 8x8 bitmap font (the `font8x8` crate's public
//! domain glyphs), the keyboard map from Linux key codes to characters ([`keymap`]) and
//! the window server's protocol ([`proto`]).
//!
//! Pure `no_std + alloc`, tested on the host with `cargo test -p gfx`: a picture
//! drawn here on the host is the same picture drawn in dinos, which is how the
//! screenshot tests compare a window with the text it should show.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod keymap;
pub mod proto;
pub mod term;

use alloc::vec;
use alloc::vec::Vec;

/// Width and height of one character cell.
pub const GLYPH: usize = 8;

/// A picture: `width * height` pixels, `0x00RRGGBB`, row after row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Surface {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u32>,
}

impl Surface {
    pub fn new(width: usize, height: usize, rgb: u32) -> Surface {
        Surface {
            width,
            height,
            pixels: vec![rgb; width * height],
        }
    }

    pub fn get(&self, x: usize, y: usize) -> Option<u32> {
        (x < self.width && y < self.height).then(|| self.pixels[y * self.width + x])
    }

    pub fn put(&mut self, x: i64, y: i64, rgb: u32) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            self.pixels[y as usize * self.width + x as usize] = rgb;
        }
    }

    /// Fill the rectangle, clipped.
    pub fn fill(&mut self, x: i64, y: i64, w: usize, h: usize, rgb: u32) {
        let x0 = x.clamp(0, self.width as i64) as usize;
        let y0 = y.clamp(0, self.height as i64) as usize;
        let x1 = (x + w as i64).clamp(0, self.width as i64) as usize;
        let y1 = (y + h as i64).clamp(0, self.height as i64) as usize;
        for row in y0..y1 {
            self.pixels[row * self.width + x0..row * self.width + x1].fill(rgb);
        }
    }

    /// A one-pixel outline.
    pub fn frame(&mut self, x: i64, y: i64, w: usize, h: usize, rgb: u32) {
        self.fill(x, y, w, 1, rgb);
        self.fill(x, y + h as i64 - 1, w, 1, rgb);
        self.fill(x, y, 1, h, rgb);
        self.fill(x + w as i64 - 1, y, 1, h, rgb);
    }

    /// A line `thick` pixels wide from `a` to `b` (every step of the longer axis).
    pub fn line(&mut self, a: (i64, i64), b: (i64, i64), thick: usize, rgb: u32) {
        let steps = (b.0 - a.0).abs().max((b.1 - a.1).abs()).max(1);
        let half = thick as i64 / 2;
        for i in 0..=steps {
            let x = a.0 + (b.0 - a.0) * i / steps;
            let y = a.1 + (b.1 - a.1) * i / steps;
            self.fill(x - half, y - half, thick, thick, rgb);
        }
    }

    /// Draw `text` with its first cell's top left at `(x, y)`, each glyph `scale`
    /// times its size; bytes outside ASCII show as `?`. Background left as it is.
    pub fn text(&mut self, x: i64, y: i64, text: &str, scale: usize, rgb: u32) {
        for (i, b) in text.bytes().enumerate() {
            let cx = x + (i * GLYPH * scale) as i64;
            self.glyph(cx, y, b, scale, rgb);
        }
    }

    /// One character cell.
    pub fn glyph(&mut self, x: i64, y: i64, ch: u8, scale: usize, rgb: u32) {
        let g = glyph(ch);
        for (row, bits) in g.iter().enumerate() {
            for col in 0..GLYPH {
                if bits >> col & 1 == 1 {
                    let px = x + (col * scale) as i64;
                    let py = y + (row * scale) as i64;
                    self.fill(px, py, scale, scale, rgb);
                }
            }
        }
    }

    /// Copy `src` with its top left at `(x, y)`, clipped.
    pub fn blit(&mut self, x: i64, y: i64, src: &Surface) {
        for sy in 0..src.height {
            let dy = y + sy as i64;
            if dy < 0 || dy >= self.height as i64 {
                continue;
            }
            let sx0 = (-x).max(0) as usize;
            let dx0 = x.max(0) as usize;
            if sx0 >= src.width || dx0 >= self.width {
                continue;
            }
            let n = (src.width - sx0).min(self.width - dx0);
            let d = dy as usize * self.width + dx0;
            let s = sy * src.width + sx0;
            self.pixels[d..d + n].copy_from_slice(&src.pixels[s..s + n]);
        }
    }
}

/// The 8 rows of character `ch` (bit 0 is the leftmost pixel).
pub fn glyph(ch: u8) -> [u8; 8] {
    let i = if ch < 128 { ch } else { b'?' } as usize;
    font8x8::legacy::BASIC_LEGACY[i]
}

/// The mouse cursor, an arrow: `b'#'` outline (black), `b'.'` inside (white).
pub const CURSOR: [&[u8; 11]; 16] = [
    b"#..........",
    b"##.........",
    b"#.#........",
    b"#..#.......",
    b"#...#......",
    b"#....#.....",
    b"#.....#....",
    b"#......#...",
    b"#.......#..",
    b"#........#.",
    b"#.....#####",
    b"#..#..#....",
    b"#.#.#..#...",
    b"##..#..#...",
    b"#....#..#..",
    b".....####..",
];

/// Draw the cursor with its tip at `(x, y)`. The arrow's inside is the cells
/// between its outline on each row.
pub fn draw_cursor(s: &mut Surface, x: i64, y: i64) {
    for (row, line) in CURSOR.iter().enumerate() {
        let first = line.iter().position(|&c| c == b'#');
        let last = line.iter().rposition(|&c| c == b'#');
        for (col, &c) in line.iter().enumerate() {
            let inside = matches!((first, last), (Some(f), Some(l)) if f < col && col < l);
            let rgb = match c {
                b'#' => Some(0x000000),
                _ if inside && row < 11 => Some(0xffffff),
                _ => None,
            };
            if let Some(rgb) = rgb {
                s.put(x + col as i64, y + row as i64, rgb);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_clips_to_the_surface() {
        let mut s = Surface::new(10, 5, 0);
        s.fill(-3, -3, 5, 5, 7);
        assert_eq!(s.pixels.iter().filter(|&&p| p == 7).count(), 4);
        s.fill(8, 3, 100, 100, 9);
        assert_eq!(s.pixels.iter().filter(|&&p| p == 9).count(), 4);
        s.fill(20, 20, 5, 5, 1); // wholly outside: nothing
        assert!(!s.pixels.contains(&1));
    }

    #[test]
    fn a_glyph_draws_the_fonts_bits() {
        let mut s = Surface::new(8, 8, 0);
        s.glyph(0, 0, b'A', 1, 1);
        let g = glyph(b'A');
        for (y, bits) in g.iter().enumerate() {
            for x in 0..8 {
                assert_eq!(s.get(x, y) == Some(1), bits >> x & 1 == 1);
            }
        }
        // 'A' has pixels, a space none, and a scaled glyph four times as many.
        let lit = s.pixels.iter().filter(|&&p| p == 1).count();
        assert!(lit > 10);
        let mut big = Surface::new(16, 16, 0);
        big.glyph(0, 0, b'A', 2, 1);
        assert_eq!(big.pixels.iter().filter(|&&p| p == 1).count(), 4 * lit);
        let mut sp = Surface::new(8, 8, 0);
        sp.glyph(0, 0, b' ', 1, 1);
        assert!(!sp.pixels.contains(&1));
        assert_eq!(glyph(200), glyph(b'?'));
    }

    #[test]
    fn text_advances_one_cell_per_character() {
        let mut a = Surface::new(24, 8, 0);
        a.text(0, 0, "hi!", 1, 5);
        let mut b = Surface::new(24, 8, 0);
        b.glyph(0, 0, b'h', 1, 5);
        b.glyph(8, 0, b'i', 1, 5);
        b.glyph(16, 0, b'!', 1, 5);
        assert_eq!(a, b);
    }

    #[test]
    fn lines_cover_both_ends_and_the_middle() {
        let mut s = Surface::new(50, 50, 0);
        s.line((5, 5), (45, 25), 3, 1);
        for (x, y) in [(5, 5), (25, 15), (45, 25), (4, 4), (46, 26)] {
            assert_eq!(s.get(x, y), Some(1), "({x},{y})");
        }
        assert_eq!(s.get(5, 25), Some(0));
    }

    #[test]
    fn blit_clips_on_every_side() {
        let src = Surface::new(4, 4, 3);
        let mut d = Surface::new(6, 6, 0);
        d.blit(-2, -2, &src);
        d.blit(4, 4, &src);
        d.blit(10, 0, &src);
        assert_eq!(d.pixels.iter().filter(|&&p| p == 3).count(), 8);
        assert_eq!(d.get(0, 0), Some(3));
        assert_eq!(d.get(2, 2), Some(0));
        assert_eq!(d.get(5, 5), Some(3));
    }

    #[test]
    fn the_cursor_has_an_outline_and_an_inside() {
        let mut s = Surface::new(20, 20, 0x123456);
        draw_cursor(&mut s, 2, 2);
        assert_eq!(s.get(2, 2), Some(0));
        assert_eq!(s.get(4, 6), Some(0xffffff));
        assert_eq!(s.get(15, 2), Some(0x123456));
    }
}
