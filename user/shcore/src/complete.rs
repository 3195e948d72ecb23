//! Tab completion: command names for the first word, paths for the others.
//!
//! Chapter 2 section 2-1 (the command interpreter): because commands are files in the
//! `PATH` directories, completing a command name is listing those directories; and
//! completing an argument is listing the directory named so far. With one candidate
//! the word is finished; with several their longest common prefix is inserted, and if
//! that adds nothing the candidates are listed.
//!
//! Design decision: the word under the cursor is found with the shell's own backslash
//! rule (`a\ b` is one word), and what is inserted is escaped the same way, so a
//! completed name with a space in it reads back as one argument.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::fsview::{FsView, Probe};
use crate::lineedit::Completer;
use crate::pathsearch::path_dirs;

/// Characters that end a word for completion.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '|' | ';' | '&' | '<' | '>' | '(' | ')')
}

/// Where the word ending at `cursor` starts, honouring backslash escapes.
pub fn word_start(line: &[char], cursor: usize) -> usize {
    let mut start = 0;
    let mut i = 0;
    while i < cursor.min(line.len()) {
        match line[i] {
            '\\' => i += 1,
            c if is_separator(c) => start = i + 1,
            _ => {}
        }
        i += 1;
    }
    start.min(cursor)
}

/// Whether a word after `before` is in command position (the start of the line or
/// after `|`, `;`, `&`, `(`, or a keyword that starts a command).
pub fn is_command_position(before: &str) -> bool {
    let t = before.trim_end();
    t.is_empty()
        || t.ends_with(['|', ';', '&', '('])
        || ["then", "do", "else", "{", "if", "while", "until", "!"]
            .iter()
            .any(|k| t == *k || t.ends_with(&alloc::format!(" {k}")))
}

/// `s` with escaping backslashes removed.
pub fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for c in s.chars() {
        if c == '\\' && !esc {
            esc = true;
        } else {
            out.push(c);
            esc = false;
        }
    }
    out
}

/// `s` with characters special to the shell escaped by a backslash.
pub fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if " \t\\'\"$&|;<>()*?[#~`".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The longest prefix all `words` share.
pub fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut len = first.len();
    for w in &words[1..] {
        len = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(len);
    }
    first[..len].to_string()
}

/// The part of a candidate a listing shows: its last component (a directory keeps its
/// trailing `/`).
pub fn display_name(candidate: &str) -> &str {
    let body = candidate.strip_suffix('/').unwrap_or(candidate);
    match body.rfind('/') {
        Some(i) => &candidate[i + 1..],
        None => candidate,
    }
}

/// Paths starting with `word`: `dir/prefix` lists `dir`; directories end in `/`.
/// Hidden names are offered only when the prefix starts with `.`. With
/// `executables_only`, plain files that cannot be run are left out.
pub fn path_candidates(word: &str, fs: &dyn FsView, executables_only: bool) -> Vec<String> {
    let (dir_part, prefix) = match word.rfind('/') {
        Some(i) => (&word[..=i], &word[i + 1..]),
        None => ("", word),
    };
    let dir = if dir_part.is_empty() { "." } else { dir_part };
    let Some(entries) = fs.list(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .iter()
        .filter(|e| e.name.starts_with(prefix))
        .filter(|e| prefix.starts_with('.') || !e.name.starts_with('.'))
        .filter_map(|e| {
            let full = alloc::format!("{dir_part}{}", e.name);
            if fs.entry_is_dir(dir, e) {
                Some(alloc::format!("{full}/"))
            } else if !executables_only
                || matches!(fs.probe(&full), Probe::File { executable: true })
            {
                Some(full)
            } else {
                None
            }
        })
        .collect();
    out.sort();
    out
}

/// Command names starting with `word`: executables in the `PATH` directories plus
/// `builtins`, sorted, without repeats; a word with `/` completes as a path.
pub fn command_candidates(
    word: &str,
    path: Option<&str>,
    fs: &dyn FsView,
    builtins: &[&str],
) -> Vec<String> {
    if word.contains('/') {
        return path_candidates(word, fs, true);
    }
    let mut out: Vec<String> = builtins
        .iter()
        .filter(|b| b.starts_with(word))
        .map(|b| b.to_string())
        .collect();
    for dir in path_dirs(path) {
        for e in fs.list(dir).unwrap_or_default() {
            if e.name.starts_with(word)
                && matches!(
                    fs.probe(&crate::fsview::join(dir, &e.name)),
                    Probe::File { executable: true }
                )
            {
                out.push(e.name);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The shell's [`Completer`]: commands in command position, paths elsewhere.
pub struct ShellCompleter<'a> {
    /// The file system to list.
    pub fs: &'a dyn FsView,
    /// The value of `PATH`.
    pub path: Option<String>,
    /// Names of the builtins.
    pub builtins: &'a [&'a str],
}

impl Completer for ShellCompleter<'_> {
    fn complete(&mut self, word: &str, first: bool) -> Vec<String> {
        if first {
            command_candidates(word, self.path.as_deref(), self.fs, self.builtins)
        } else {
            path_candidates(word, self.fs, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsview::MemFs;
    use alloc::vec;

    fn tree() -> MemFs {
        let mut fs = MemFs::new();
        fs.file("/bin/cat", true)
            .file("/bin/cp", true)
            .file("/bin/chmod", true)
            .file("/bin/readme", false)
            .file("/home/notes.txt", false)
            .file("/home/notes.md", false)
            .file("/home/.profile", false)
            .file("/home/my file", false)
            .dir("/home/src");
        fs.cwd = String::from("/home");
        fs
    }

    #[test]
    fn word_start_respects_separators_and_escapes() {
        let line: Vec<char> = "echo a\\ b|ca".chars().collect();
        assert_eq!(word_start(&line, line.len()), 10);
        assert_eq!(word_start(&line, 9), 5);
        assert_eq!(word_start(&line, 0), 0);
    }

    #[test]
    fn command_position_is_after_operators_and_keywords() {
        assert!(is_command_position(""));
        assert!(is_command_position("ls | "));
        assert!(is_command_position("true && "));
        assert!(is_command_position("if true; then "));
        assert!(!is_command_position("echo "));
    }

    #[test]
    fn command_names_come_from_path_executables_and_builtins() {
        let fs = tree();
        assert_eq!(
            command_candidates("c", None, &fs, &["cd"]),
            vec!["cat", "cd", "chmod", "cp"]
        );
        assert!(command_candidates("read", None, &fs, &[]).is_empty());
        assert_eq!(
            command_candidates("/bin/ca", None, &fs, &[]),
            vec!["/bin/cat"]
        );
    }

    #[test]
    fn paths_complete_with_slash_for_directories_and_hide_dot_files() {
        let fs = tree();
        assert_eq!(
            path_candidates("no", &fs, false),
            vec!["notes.md", "notes.txt"]
        );
        assert_eq!(path_candidates("s", &fs, false), vec!["src/"]);
        assert_eq!(path_candidates("/ho", &fs, false), vec!["/home/"]);
        assert_eq!(path_candidates(".", &fs, false), vec![".profile"]);
        assert_eq!(path_candidates("", &fs, false).len(), 4);
    }

    #[test]
    fn common_prefix_and_display_names() {
        let words = vec![String::from("notes.md"), String::from("notes.txt")];
        assert_eq!(common_prefix(&words), "notes.");
        assert_eq!(common_prefix(&[]), "");
        assert_eq!(display_name("/home/src/"), "src/");
        assert_eq!(display_name("/bin/cat"), "cat");
        assert_eq!(display_name("cat"), "cat");
    }

    #[test]
    fn escape_and_unescape_are_inverse() {
        assert_eq!(escape("my file"), "my\\ file");
        assert_eq!(unescape("my\\ file"), "my file");
        assert_eq!(unescape(&escape("a$b*c")), "a$b*c");
    }
}
