//! Command history: the lines typed before, recalled with the up and down arrows.
//!
//! Chapter 2 section 2-1 (the command interpreter): an interactive shell remembers
//! what was typed so it can be run again. Recall works like bash's: up walks back,
//! down walks forward, and walking past the newest entry gives back the line that was
//! being typed before recall started.
//!
//! Design decision: a bounded list (oldest dropped first), no duplicates of the
//! previous entry, no blank lines; the recall position lives here, not in the editor,
//! so it can be tested by itself.

use alloc::collections::VecDeque;
use alloc::string::String;

/// How many lines are kept by default.
pub const DEFAULT_CAPACITY: usize = 500;

/// The history list and the recall position.
#[derive(Clone, Debug)]
pub struct History {
    entries: VecDeque<String>,
    capacity: usize,
    /// Index being shown while recalling, `None` when editing a new line.
    pos: Option<usize>,
    /// The new line as it was when recall started.
    saved: String,
}

impl Default for History {
    fn default() -> Self {
        History::new(DEFAULT_CAPACITY)
    }
}

impl History {
    /// An empty history keeping at most `capacity` lines.
    pub fn new(capacity: usize) -> Self {
        History {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            pos: None,
            saved: String::new(),
        }
    }

    /// Adds a line that was run; ends any recall.
    pub fn push(&mut self, line: &str) {
        self.reset();
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() || self.entries.back().is_some_and(|l| l == line) {
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(String::from(line));
    }

    /// Forgets the recall position (a new line is being edited).
    pub fn reset(&mut self) {
        self.pos = None;
        self.saved.clear();
    }

    /// The entries, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(String::as_str)
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Up arrow: the previous entry, given the line currently shown; `None` at the
    /// oldest (the line stays as it is).
    pub fn up(&mut self, current: &str) -> Option<&str> {
        let next = match self.pos {
            None if self.entries.is_empty() => return None,
            None => {
                self.saved = String::from(current);
                self.entries.len() - 1
            }
            Some(0) => return None,
            Some(p) => p - 1,
        };
        self.pos = Some(next);
        self.entries.get(next).map(String::as_str)
    }

    /// Down arrow: the next entry, or the saved new line after the newest; `None` when
    /// not recalling.
    pub fn down(&mut self) -> Option<&str> {
        let p = self.pos?;
        if p + 1 < self.entries.len() {
            self.pos = Some(p + 1);
            self.entries.get(p + 1).map(String::as_str)
        } else {
            self.pos = None;
            Some(self.saved.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn up_walks_back_and_down_returns_to_the_unfinished_line() {
        let mut h = History::default();
        h.push("ls");
        h.push("echo hi");
        assert_eq!(h.up("ca"), Some("echo hi"));
        assert_eq!(h.up("echo hi"), Some("ls"));
        assert_eq!(h.up("ls"), None);
        assert_eq!(h.down(), Some("echo hi"));
        assert_eq!(h.down(), Some("ca"));
        assert_eq!(h.down(), None);
    }

    #[test]
    fn blank_lines_and_repeats_are_not_stored() {
        let mut h = History::default();
        h.push("ls\n");
        h.push("ls");
        h.push("   ");
        h.push("pwd");
        h.push("ls");
        assert_eq!(h.iter().collect::<Vec<_>>(), ["ls", "pwd", "ls"]);
    }

    #[test]
    fn oldest_entries_are_dropped_at_capacity() {
        let mut h = History::new(2);
        for l in ["a", "b", "c"] {
            h.push(l);
        }
        assert_eq!(h.iter().collect::<Vec<_>>(), ["b", "c"]);
    }

    #[test]
    fn empty_history_recalls_nothing() {
        let mut h = History::default();
        assert_eq!(h.up("x"), None);
        assert_eq!(h.down(), None);
    }
}
