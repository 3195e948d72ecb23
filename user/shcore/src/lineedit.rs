//! The interactive line editor: raw key bytes in, an edited line (and echo) out.
//!
//! Chapter 2 section 2-1 (the command interpreter): an interactive shell puts the
//! terminal in raw mode (no echo, no line discipline, `Ctrl-C` delivered as the byte
//! 0x03) and does the editing itself: insertion at the cursor, backspace, arrows,
//! Home/End, history recall, `Ctrl-U`, `Ctrl-C`, `Ctrl-D`, Tab completion. This is the
//! user-facing half of "the command interpreter reads a command and runs it".
//!
//! Design decision: the editor is a state machine fed one byte at a time
//! ([`Editor::feed`]), which returns an [`Event`] and leaves the bytes to echo in a
//! buffer the caller writes out. It never reads or writes a file itself, so it is
//! tested by feeding byte sequences (`"ab\x1b[D\x7f\r"`) and checking the line. Screen
//! updates are minimal for typing at the end of the line (one byte echoed) and a
//! redraw of the line (`\r`, prompt, text, erase-to-end, cursor back) otherwise.

use alloc::string::String;
use alloc::vec::Vec;

use crate::complete::{
    common_prefix, display_name, escape, is_command_position, unescape, word_start,
};
use crate::history::History;

/// Supplies Tab completions.
pub trait Completer {
    /// The complete replacements for `word` (already unescaped), sorted; a directory
    /// ends in `/`. `first` says the word is in command position.
    fn complete(&mut self, word: &str, first: bool) -> Vec<String>;
}

/// A completer that never completes.
pub struct NoCompletion;

impl Completer for NoCompletion {
    fn complete(&mut self, _: &str, _: bool) -> Vec<String> {
        Vec::new()
    }
}

/// What a byte did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Still editing.
    Pending,
    /// Enter: the finished line (without the newline).
    Line(String),
    /// `Ctrl-C`: the line was abandoned (`^C` echoed).
    Interrupt,
    /// `Ctrl-D` on an empty line: end of input.
    Eof,
}

/// Where we are inside an escape sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Esc {
    None,
    /// After ESC.
    Start,
    /// After `ESC [`, with the parameter bytes so far.
    Csi(String),
    /// After `ESC O`.
    Ss3,
}

/// The editor: the line being edited, the cursor, the history.
#[derive(Debug)]
pub struct Editor {
    buf: Vec<char>,
    cursor: usize,
    prompt: String,
    esc: Esc,
    /// Bytes of a UTF-8 character not yet complete.
    utf8: Vec<u8>,
    /// The last byte was `\r`: a following `\n` is the same Enter.
    last_cr: bool,
    out: Vec<u8>,
    /// Lines run before, for the arrows.
    pub history: History,
}

impl Default for Editor {
    fn default() -> Self {
        Editor::new()
    }
}

impl Editor {
    /// An editor with an empty history.
    pub fn new() -> Self {
        Editor {
            buf: Vec::new(),
            cursor: 0,
            prompt: String::new(),
            esc: Esc::None,
            utf8: Vec::new(),
            last_cr: false,
            out: Vec::new(),
            history: History::default(),
        }
    }

    /// Begins a new line: clears it and echoes `prompt`.
    pub fn start(&mut self, prompt: &str) {
        self.buf.clear();
        self.cursor = 0;
        self.esc = Esc::None;
        self.utf8.clear();
        self.prompt = String::from(prompt);
        self.history.reset();
        self.out.extend_from_slice(prompt.as_bytes());
    }

    /// The line as it stands.
    pub fn line(&self) -> String {
        self.buf.iter().collect()
    }

    /// The cursor position, in characters.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Takes the bytes to write to the terminal.
    pub fn take_output(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.out)
    }

    /// Handles one input byte.
    pub fn feed(&mut self, byte: u8, completer: &mut dyn Completer) -> Event {
        let after_cr = core::mem::replace(&mut self.last_cr, false);
        match core::mem::replace(&mut self.esc, Esc::None) {
            Esc::None => {}
            Esc::Start => {
                self.esc = match byte {
                    b'[' => Esc::Csi(String::new()),
                    b'O' => Esc::Ss3,
                    _ => Esc::None,
                };
                return Event::Pending;
            }
            Esc::Csi(mut params) => {
                if byte.is_ascii_digit() || byte == b';' {
                    params.push(byte as char);
                    self.esc = Esc::Csi(params);
                } else {
                    self.csi(&params, byte);
                }
                return Event::Pending;
            }
            Esc::Ss3 => {
                self.csi("", byte);
                return Event::Pending;
            }
        }
        match byte {
            b'\r' | b'\n' => {
                if byte == b'\n' && after_cr {
                    return Event::Pending;
                }
                self.last_cr = byte == b'\r';
                self.out.extend_from_slice(b"\r\n");
                let line = self.line();
                self.buf.clear();
                self.cursor = 0;
                return Event::Line(line);
            }
            0x03 => {
                self.out.extend_from_slice(b"^C\r\n");
                self.buf.clear();
                self.cursor = 0;
                return Event::Interrupt;
            }
            0x04 if self.buf.is_empty() => return Event::Eof,
            0x04 => self.delete_at_cursor(),
            0x7f | 0x08 => self.backspace(),
            0x01 => self.move_to(0),
            0x05 => self.move_to(self.buf.len()),
            0x02 => self.move_to(self.cursor.saturating_sub(1)),
            0x06 => self.move_to((self.cursor + 1).min(self.buf.len())),
            0x0b => {
                self.buf.truncate(self.cursor);
                self.refresh();
            }
            0x15 => {
                self.buf.drain(..self.cursor);
                self.cursor = 0;
                self.refresh();
            }
            0x17 => self.delete_word_back(),
            0x0c => {
                self.out.extend_from_slice(b"\x1b[H\x1b[2J");
                self.refresh();
            }
            b'\t' => self.complete(completer),
            0x1b => self.esc = Esc::Start,
            b if b < 0x20 => {}
            b if b < 0x80 => self.insert(&[b as char]),
            b => {
                self.utf8.push(b);
                match core::str::from_utf8(&self.utf8) {
                    Ok(s) => {
                        let chars: Vec<char> = s.chars().collect();
                        self.utf8.clear();
                        self.insert(&chars);
                    }
                    Err(e) if e.error_len().is_some() || self.utf8.len() >= 4 => self.utf8.clear(),
                    Err(_) => {}
                }
            }
        }
        Event::Pending
    }

    /// The final byte of `ESC [ params X` or `ESC O X`.
    fn csi(&mut self, params: &str, fin: u8) {
        match (fin, params) {
            (b'A', _) => self.recall(true),
            (b'B', _) => self.recall(false),
            (b'C', _) => self.move_to((self.cursor + 1).min(self.buf.len())),
            (b'D', _) => self.move_to(self.cursor.saturating_sub(1)),
            (b'H', _) | (b'~', "1" | "7") => self.move_to(0),
            (b'F', _) | (b'~', "4" | "8") => self.move_to(self.buf.len()),
            (b'~', "3") => self.delete_at_cursor(),
            _ => {}
        }
    }

    fn insert(&mut self, chars: &[char]) {
        for (i, &c) in chars.iter().enumerate() {
            self.buf.insert(self.cursor + i, c);
        }
        self.cursor += chars.len();
        let mut s = String::new();
        chars.iter().for_each(|&c| s.push(c));
        self.out.extend_from_slice(s.as_bytes());
        let tail = self.buf.len() - self.cursor;
        if tail > 0 {
            let rest: String = self.buf[self.cursor..].iter().collect();
            self.out.extend_from_slice(rest.as_bytes());
            self.back(tail);
        }
    }

    fn backspace(&mut self) {
        if self.cursor == 0 {
            return;
        }
        self.cursor -= 1;
        self.buf.remove(self.cursor);
        if self.cursor == self.buf.len() {
            self.out.extend_from_slice(b"\x08 \x08");
        } else {
            self.refresh();
        }
    }

    fn delete_at_cursor(&mut self) {
        if self.cursor < self.buf.len() {
            self.buf.remove(self.cursor);
            self.refresh();
        }
    }

    fn delete_word_back(&mut self) {
        let mut i = self.cursor;
        while i > 0 && self.buf[i - 1] == ' ' {
            i -= 1;
        }
        while i > 0 && self.buf[i - 1] != ' ' {
            i -= 1;
        }
        self.buf.drain(i..self.cursor);
        self.cursor = i;
        self.refresh();
    }

    fn back(&mut self, n: usize) {
        if n > 0 {
            self.out
                .extend_from_slice(alloc::format!("\x1b[{n}D").as_bytes());
        }
    }

    fn move_to(&mut self, pos: usize) {
        if pos < self.cursor {
            self.back(self.cursor - pos);
        } else if pos > self.cursor {
            self.out
                .extend_from_slice(alloc::format!("\x1b[{}C", pos - self.cursor).as_bytes());
        }
        self.cursor = pos;
    }

    /// Redraws the whole line: carriage return, prompt, text, erase the rest, and the
    /// cursor moved back to where it belongs.
    fn refresh(&mut self) {
        let text = self.line();
        self.out.push(b'\r');
        self.out.extend_from_slice(self.prompt.as_bytes());
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(b"\x1b[K");
        let tail = self.buf.len() - self.cursor;
        self.back(tail);
    }

    fn set_line(&mut self, text: &str) {
        self.buf = text.chars().collect();
        self.cursor = self.buf.len();
        self.refresh();
    }

    fn recall(&mut self, up: bool) {
        let current = self.line();
        let got = if up {
            self.history.up(&current).map(String::from)
        } else {
            self.history.down().map(String::from)
        };
        if let Some(text) = got {
            self.set_line(&text);
        }
    }

    fn complete(&mut self, completer: &mut dyn Completer) {
        let start = word_start(&self.buf, self.cursor);
        let raw: String = self.buf[start..self.cursor].iter().collect();
        let before: String = self.buf[..start].iter().collect();
        let word = unescape(&raw);
        let cands = completer.complete(&word, is_command_position(&before));
        let common = common_prefix(&cands);
        if cands.is_empty() || common.len() < word.len() || !common.starts_with(word.as_str()) {
            self.out.push(0x07);
            return;
        }
        if common.len() > word.len() || cands.len() == 1 {
            let mut replacement = escape(&common);
            if cands.len() == 1 && !common.ends_with('/') {
                replacement.push(' ');
            }
            self.buf.drain(start..self.cursor);
            self.cursor = start;
            let chars: Vec<char> = replacement.chars().collect();
            if self.cursor == self.buf.len() {
                // Typing-like echo of only the new part keeps the screen quiet.
                self.buf.extend_from_slice(&chars);
                self.cursor = self.buf.len();
                let old: Vec<char> = raw.chars().collect();
                if chars.starts_with(&old) {
                    let added: String = chars[old.len()..].iter().collect();
                    self.out.extend_from_slice(added.as_bytes());
                } else {
                    self.refresh();
                }
            } else {
                self.insert(&chars);
                self.refresh();
            }
            return;
        }
        // Ambiguous and nothing to add: list the candidates under the line.
        self.out.extend_from_slice(b"\r\n");
        let names: Vec<&str> = cands.iter().map(|c| display_name(c)).collect();
        self.out.extend_from_slice(names.join("  ").as_bytes());
        self.out.extend_from_slice(b"\r\n");
        self.refresh();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::complete::ShellCompleter;
    use crate::fsview::MemFs;
    use alloc::vec;

    /// Feeds `input`; returns the events other than `Pending`.
    fn run(ed: &mut Editor, input: &[u8], c: &mut dyn Completer) -> Vec<Event> {
        input
            .iter()
            .map(|&b| ed.feed(b, c))
            .filter(|e| *e != Event::Pending)
            .collect()
    }

    fn line_of(input: &[u8]) -> Vec<Event> {
        let mut ed = Editor::new();
        ed.start("$ ");
        run(&mut ed, input, &mut NoCompletion)
    }

    fn line(s: &str) -> Event {
        Event::Line(String::from(s))
    }

    #[test]
    fn typing_and_enter_gives_the_line_and_echoes_it() {
        let mut ed = Editor::new();
        ed.start("$ ");
        assert_eq!(run(&mut ed, b"ls -l\r", &mut NoCompletion), [line("ls -l")]);
        assert_eq!(ed.take_output(), b"$ ls -l\r\n");
    }

    #[test]
    fn cr_lf_is_one_enter_and_lf_alone_is_enter() {
        assert_eq!(line_of(b"a\r\nb\n"), [line("a"), line("b")]);
        assert_eq!(line_of(b"\n\n"), [line(""), line("")]);
    }

    #[test]
    fn backspace_with_del_or_ctrl_h_removes_before_the_cursor() {
        assert_eq!(line_of(b"tixx\x7f\x7fcks\r"), [line("ticks")]);
        assert_eq!(line_of(b"ab\x08c\r"), [line("ac")]);
        assert_eq!(line_of(b"\x7fa\r"), [line("a")]);
    }

    #[test]
    fn arrows_move_the_cursor_for_insertion_and_deletion() {
        assert_eq!(line_of(b"ac\x1b[Db\r"), [line("abc")]);
        assert_eq!(line_of(b"abc\x1b[D\x1b[D\x7f\r"), [line("bc")]);
        assert_eq!(line_of(b"ab\x1b[D\x1b[D\x1b[D\x1b[Cx\r"), [line("axb")]);
        assert_eq!(line_of(b"bc\x1b[Ha\x1b[Fd\r"), [line("abcd")]);
        assert_eq!(line_of(b"bc\x1b[1~a\x1b[4~d\r"), [line("abcd")]);
        assert_eq!(line_of(b"bc\x01a\x05d\r"), [line("abcd")]);
        assert_eq!(line_of(b"abc\x01\x1b[3~\r"), [line("bc")]);
    }

    #[test]
    fn ctrl_c_abandons_and_ctrl_d_on_empty_line_is_eof() {
        let mut ed = Editor::new();
        ed.start("$ ");
        assert_eq!(
            run(&mut ed, b"poweroff\x03", &mut NoCompletion),
            [Event::Interrupt]
        );
        assert!(ed.take_output().ends_with(b"^C\r\n"));
        ed.start("$ ");
        assert_eq!(run(&mut ed, b"\x04", &mut NoCompletion), [Event::Eof]);
        ed.start("$ ");
        assert_eq!(
            run(&mut ed, b"ab\x01\x04\r", &mut NoCompletion),
            [line("b")]
        );
    }

    #[test]
    fn ctrl_u_kills_to_start_and_ctrl_w_a_word() {
        assert_eq!(line_of(b"rm -rf /\x15ls\r"), [line("ls")]);
        assert_eq!(line_of(b"echo foo bar\x17baz\r"), [line("echo foo baz")]);
        assert_eq!(line_of(b"abcd\x1b[D\x1b[D\x0b\r"), [line("ab")]);
    }

    #[test]
    fn up_and_down_recall_history_and_the_unfinished_line() {
        let mut ed = Editor::new();
        ed.history.push("first");
        ed.history.push("second");
        ed.start("$ ");
        let mut c = NoCompletion;
        assert_eq!(run(&mut ed, b"x\x1b[A\x1b[A\r", &mut c), [line("first")]);
        ed.start("$ ");
        assert_eq!(run(&mut ed, b"x\x1b[A\x1b[B\r", &mut c), [line("x")]);
        ed.start("$ ");
        assert_eq!(run(&mut ed, b"\x1b[A!\r", &mut c), [line("second!")]);
        ed.start("$ ");
        assert_eq!(run(&mut ed, b"\x1bOA\r", &mut c), [line("second")]);
    }

    #[test]
    fn utf8_characters_are_one_cursor_position() {
        assert_eq!(
            line_of("héllo\x1b[D\x1b[D\x1b[D\x1b[D\x7f\r".as_bytes()),
            [line("éllo")]
        );
    }

    fn tree() -> MemFs {
        let mut fs = MemFs::new();
        fs.file("/bin/cat", true)
            .file("/bin/chmod", true)
            .file("/bin/echo", true)
            .file("/home/notes.txt", false)
            .file("/home/notes.md", false)
            .file("/home/my file", false)
            .dir("/home/src");
        fs.cwd = String::from("/home");
        fs
    }

    fn complete(input: &[u8]) -> (Vec<Event>, String) {
        let fs = tree();
        let mut c = ShellCompleter {
            fs: &fs,
            path: None,
            builtins: &["cd"],
        };
        let mut ed = Editor::new();
        ed.start("$ ");
        let ev = run(&mut ed, input, &mut c);
        (ev, String::from_utf8_lossy(&ed.take_output()).into_owned())
    }

    #[test]
    fn tab_completes_a_unique_command_name_with_a_space() {
        assert_eq!(complete(b"ech\thi\r").0, [line("echo hi")]);
        assert_eq!(complete(b"cha\t\r").0, [line("cha")]);
    }

    #[test]
    fn tab_completes_paths_to_the_common_prefix_and_lists_when_ambiguous() {
        let (ev, out) = complete(b"cat no\t\t\r");
        assert_eq!(ev, [line("cat notes.")]);
        assert!(out.contains("notes.md  notes.txt"), "{out:?}");
        assert_eq!(complete(b"cat s\tx\r").0, [line("cat src/x")]);
        assert_eq!(complete(b"cat my\t\r").0, [line("cat my\\ file ")]);
    }

    #[test]
    fn ambiguous_command_names_are_listed() {
        let (ev, out) = complete(b"c\t\r");
        assert_eq!(ev, vec![line("c")]);
        assert!(out.contains("cat  cd  chmod"), "{out:?}");
    }
}
