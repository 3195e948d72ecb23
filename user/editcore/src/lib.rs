//! `editcore`: the pure part of `edit`, the full-screen text editor (chapter 2 section
//! 4: file modification, "text editors to create and modify the contents of files").
//!
//! An [`Editor`] holds the text as lines of characters, the cursor, the scroll offsets
//! and the status line. It is driven by [`Key`]s (decoded from terminal bytes by
//! [`KeyDecoder`]) and answers each with an [`Action`]: nothing for the program to do,
//! save, or quit. What the screen should show comes out as plain strings
//! ([`Editor::screen_lines`], [`Editor::status_line`], [`Editor::cursor_on_screen`]).
//!
//! Design decision: no I/O and no escape sequences here. The program (`edit`) reads
//! keys, writes files and paints the screen; everything that decides what a key does is
//! in this crate and unit-tested on the host by feeding key sequences.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod keys;

use alloc::string::String;
use alloc::vec::Vec;
pub use keys::{Key, KeyDecoder};

/// What the program must do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    None,
    /// Write [`Editor::text`] to the file, then call [`Editor::saved`] (or
    /// [`Editor::set_message`] with the error).
    Save,
    Quit,
}

/// Columns a tab advances to (multiples of this).
pub const TAB: usize = 8;

const HINT: &str = "^S save  ^Q quit  ^F find";

/// The editor's state: text, cursor, view and status.
#[derive(Debug, Clone)]
pub struct Editor {
    lines: Vec<Vec<char>>,
    /// Cursor: line and character index in it.
    cy: usize,
    cx: usize,
    /// The column up/down try to keep.
    want: usize,
    /// First line and first screen column shown.
    top: usize,
    left: usize,
    /// Text rows and columns on screen (the status line is below them).
    rows: usize,
    cols: usize,
    name: String,
    modified: bool,
    quit_armed: bool,
    /// The search being typed on the status line, if one is.
    prompt: Option<String>,
    last_search: String,
    message: String,
}

impl Editor {
    /// An editor for `text` named `name`, on a screen of `rows` x `cols` (the last row
    /// is the status line).
    pub fn new(name: &str, text: &str, rows: usize, cols: usize) -> Editor {
        let mut lines: Vec<Vec<char>> = text.split('\n').map(|l| l.chars().collect()).collect();
        if text.ends_with('\n') {
            lines.pop();
        }
        if lines.is_empty() {
            lines.push(Vec::new());
        }
        Editor {
            lines,
            cy: 0,
            cx: 0,
            want: 0,
            top: 0,
            left: 0,
            rows: rows.max(2) - 1,
            cols: cols.max(10),
            name: name.into(),
            modified: false,
            quit_armed: false,
            prompt: None,
            last_search: String::new(),
            message: HINT.into(),
        }
    }

    /// The text to save: every line ends with a newline (an empty buffer is empty).
    pub fn text(&self) -> String {
        if self.lines.len() == 1 && self.lines[0].is_empty() {
            return String::new();
        }
        let mut s = String::new();
        for l in &self.lines {
            s.extend(l.iter());
            s.push('\n');
        }
        s
    }

    /// Lines as strings (for tests and inspection).
    pub fn lines(&self) -> Vec<String> {
        self.lines.iter().map(|l| l.iter().collect()).collect()
    }

    /// Cursor as (line, column), both from 0.
    pub fn cursor(&self) -> (usize, usize) {
        (self.cy, self.cx)
    }

    pub fn is_modified(&self) -> bool {
        self.modified
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The program saved the text: clear the modified flag and say so.
    pub fn saved(&mut self, message: &str) {
        self.modified = false;
        self.message = message.into();
    }

    pub fn set_message(&mut self, message: &str) {
        self.message = message.into();
    }

    /// Whether the status line holds a prompt (the cursor is there).
    pub fn prompting(&self) -> bool {
        self.prompt.is_some()
    }

    /// Act on one key.
    pub fn handle(&mut self, key: Key) -> Action {
        if self.prompt.is_some() {
            self.prompt_key(key);
            self.scroll();
            return Action::None;
        }
        let quit_armed = core::mem::take(&mut self.quit_armed);
        match key {
            Key::Ctrl('q') => {
                if !self.modified || quit_armed {
                    return Action::Quit;
                }
                self.quit_armed = true;
                self.message = "unsaved changes: ^Q again to quit without saving".into();
            }
            Key::Ctrl('s') => return Action::Save,
            Key::Ctrl('f') => {
                self.prompt = Some(String::new());
            }
            Key::Char(c) => self.insert(c),
            Key::Enter => self.split_line(),
            Key::Backspace => self.backspace(),
            Key::Delete => self.delete(),
            Key::Left => self.left_key(),
            Key::Right => self.right_key(),
            Key::Up => self.vertical(-1),
            Key::Down => self.vertical(1),
            Key::PageUp => self.vertical(-(self.rows as isize)),
            Key::PageDown => self.vertical(self.rows as isize),
            Key::Home => self.set_x(0),
            Key::End => self.set_x(self.lines[self.cy].len()),
            Key::Escape | Key::Ctrl(_) => {}
        }
        self.scroll();
        Action::None
    }

    /// Act on every key in turn; the first action that is not `None` ends the run.
    pub fn handle_all(&mut self, keys: &[Key]) -> Action {
        for &k in keys {
            let a = self.handle(k);
            if a != Action::None {
                return a;
            }
        }
        Action::None
    }

    // ---- editing ------------------------------------------------------------------

    fn edited(&mut self) {
        self.modified = true;
        self.want = self.cx;
    }

    fn insert(&mut self, c: char) {
        self.lines[self.cy].insert(self.cx, c);
        self.cx += 1;
        self.edited();
    }

    fn split_line(&mut self) {
        let rest = self.lines[self.cy].split_off(self.cx);
        self.lines.insert(self.cy + 1, rest);
        self.cy += 1;
        self.cx = 0;
        self.edited();
    }

    fn backspace(&mut self) {
        if self.cx > 0 {
            self.cx -= 1;
            self.lines[self.cy].remove(self.cx);
        } else if self.cy > 0 {
            let line = self.lines.remove(self.cy);
            self.cy -= 1;
            self.cx = self.lines[self.cy].len();
            self.lines[self.cy].extend(line);
        } else {
            return;
        }
        self.edited();
    }

    fn delete(&mut self) {
        if self.cx < self.lines[self.cy].len() {
            self.lines[self.cy].remove(self.cx);
        } else if self.cy + 1 < self.lines.len() {
            let next = self.lines.remove(self.cy + 1);
            self.lines[self.cy].extend(next);
        } else {
            return;
        }
        self.edited();
    }

    // ---- movement -----------------------------------------------------------------

    fn set_x(&mut self, x: usize) {
        self.cx = x;
        self.want = x;
    }

    fn left_key(&mut self) {
        if self.cx > 0 {
            self.set_x(self.cx - 1);
        } else if self.cy > 0 {
            self.cy -= 1;
            self.set_x(self.lines[self.cy].len());
        }
    }

    fn right_key(&mut self) {
        if self.cx < self.lines[self.cy].len() {
            self.set_x(self.cx + 1);
        } else if self.cy + 1 < self.lines.len() {
            self.cy += 1;
            self.set_x(0);
        }
    }

    /// Move `by` lines (clamped), keeping the wanted column where the line allows.
    fn vertical(&mut self, by: isize) {
        let last = self.lines.len() - 1;
        self.cy = self.cy.saturating_add_signed(by).min(last);
        self.cx = self.want.min(self.lines[self.cy].len());
    }

    // ---- search -------------------------------------------------------------------

    fn prompt_key(&mut self, key: Key) {
        let Some(p) = self.prompt.as_mut() else {
            return;
        };
        match key {
            Key::Char(c) => p.push(c),
            Key::Backspace => {
                p.pop();
            }
            Key::Escape | Key::Ctrl('c') | Key::Ctrl('g') | Key::Ctrl('q') => {
                self.prompt = None;
                self.message = "search cancelled".into();
            }
            Key::Enter => {
                let typed = self.prompt.take().unwrap_or_default();
                if !typed.is_empty() {
                    self.last_search = typed;
                }
                let query = self.last_search.clone();
                self.search(&query);
            }
            _ => {}
        }
    }

    /// Find `query` after the cursor, wrapping around at the end; moves the cursor to
    /// the match.
    pub fn search(&mut self, query: &str) -> bool {
        let q: Vec<char> = query.chars().collect();
        if q.is_empty() {
            self.message = "nothing to search for".into();
            return false;
        }
        let n = self.lines.len();
        for step in 0..=n {
            let y = (self.cy + step) % n;
            let line = &self.lines[y];
            let from = if step == 0 { self.cx + 1 } else { 0 };
            let upto = if step == n {
                self.cx + 1
            } else {
                line.len() + 1
            };
            let found = (from..upto.min(line.len() + 1))
                .find(|&x| x + q.len() <= line.len() && line[x..x + q.len()] == q[..]);
            if let Some(x) = found {
                let wrapped = step == n || y < self.cy;
                self.cy = y;
                self.set_x(x);
                self.message = if wrapped {
                    alloc::format!("found \"{query}\" (wrapped)")
                } else {
                    alloc::format!("found \"{query}\"")
                };
                return true;
            }
        }
        self.message = alloc::format!("not found: {query}");
        false
    }

    // ---- the view -----------------------------------------------------------------

    /// The screen column where character `x` of line `y` starts (tabs expanded).
    fn screen_col(&self, y: usize, x: usize) -> usize {
        self.lines[y][..x].iter().fold(0, |col, &c| {
            if c == '\t' {
                (col / TAB + 1) * TAB
            } else {
                col + 1
            }
        })
    }

    /// Scroll so the cursor is on screen.
    fn scroll(&mut self) {
        if self.cy < self.top {
            self.top = self.cy;
        } else if self.cy >= self.top + self.rows {
            self.top = self.cy + 1 - self.rows;
        }
        let col = self.screen_col(self.cy, self.cx);
        if col < self.left {
            self.left = col;
        } else if col >= self.left + self.cols {
            self.left = col + 1 - self.cols;
        }
    }

    /// The text rows as they should appear: tabs expanded, cut to the screen width,
    /// `~` for rows past the end.
    pub fn screen_lines(&self) -> Vec<String> {
        (self.top..self.top + self.rows)
            .map(|y| {
                let Some(line) = self.lines.get(y) else {
                    return String::from("~");
                };
                let mut out = String::new();
                let mut col = 0;
                for &c in line {
                    let width = if c == '\t' { TAB - col % TAB } else { 1 };
                    for _ in 0..width {
                        if col >= self.left && col < self.left + self.cols {
                            out.push(if c == '\t' || c.is_control() { ' ' } else { c });
                        }
                        col += 1;
                    }
                }
                out
            })
            .collect()
    }

    /// The status line, exactly `cols` characters: name, modified flag, the message or
    /// the search prompt, and `line:col`.
    pub fn status_line(&self) -> String {
        let left = match &self.prompt {
            Some(p) => alloc::format!(" Search: {p}"),
            None => {
                let flag = if self.modified { " [modified]" } else { "" };
                alloc::format!(" {}{flag}  {}", self.name, self.message)
            }
        };
        let right = alloc::format!("{}:{} ", self.cy + 1, self.cx + 1);
        let mut s: String = left
            .chars()
            .take(self.cols.saturating_sub(right.len() + 1))
            .collect();
        let pad = self.cols.saturating_sub(s.chars().count() + right.len());
        s.extend(core::iter::repeat_n(' ', pad));
        s.push_str(&right);
        s
    }

    /// Where the terminal's cursor goes, as (row, column) from 0: in the text, or at
    /// the end of the search prompt on the status line.
    pub fn cursor_on_screen(&self) -> (usize, usize) {
        match &self.prompt {
            Some(p) => (
                self.rows,
                (" Search: ".len() + p.chars().count()).min(self.cols - 1),
            ),
            None => (
                self.cy - self.top,
                self.screen_col(self.cy, self.cx) - self.left,
            ),
        }
    }
}

#[cfg(test)]
mod tests;
