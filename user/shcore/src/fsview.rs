//! The shell's view of the file system, and pathname expansion (`*.txt`) over it.
//!
//! Chapter 2 section 2-1 (the command interpreter): `rm *.o` works because the shell,
//! not `rm`, reads the directory and replaces the pattern by the matching names. This
//! module walks a pattern one path component at a time: a component with `*`, `?` or
//! `[` is matched against a directory listing with `shparse::glob_match_filename`, a
//! plain component is simply appended.
//!
//! Design decision: the file system is the two questions [`FsView`] asks ("what is at
//! this path", "what names are in this directory"), so globbing, `PATH` search and Tab
//! completion are tested on the host over [`MemFs`], and `sh` answers the same two
//! questions with `stat` and `getdents`.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use shparse::{glob_match_filename, is_glob_meta};

/// What a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// Nothing (or it cannot be reached).
    Missing,
    /// A directory.
    Dir,
    /// A regular file; `executable` when any execute bit is set.
    File { executable: bool },
    /// A device, pipe or other special file.
    Other,
}

/// One name in a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The name (never `.` or `..`).
    pub name: String,
    /// Whether it is a directory (`None` when the listing did not say).
    pub is_dir: Option<bool>,
}

/// The two questions the shell asks the file system.
pub trait FsView {
    /// What `path` is.
    fn probe(&self, path: &str) -> Probe;
    /// The names in directory `dir` (excluding `.` and `..`), or `None` if it cannot be
    /// read.
    fn list(&self, dir: &str) -> Option<Vec<Entry>>;

    /// Whether `entry` in `dir` is a directory, asking [`FsView::probe`] when the listing
    /// did not say.
    fn entry_is_dir(&self, dir: &str, entry: &Entry) -> bool {
        entry
            .is_dir
            .unwrap_or_else(|| self.probe(&join(dir, &entry.name)) == Probe::Dir)
    }
}

/// `dir/name`, without doubling a slash; an empty `dir` means the current directory.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_string()
    } else if dir.ends_with('/') {
        alloc::format!("{dir}{name}")
    } else {
        alloc::format!("{dir}/{name}")
    }
}

/// Whether `component` holds a glob character not escaped by a backslash.
fn has_meta(component: &str) -> bool {
    let mut escaped = false;
    for c in component.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if is_glob_meta(c) {
            return true;
        }
    }
    false
}

/// `component` with its escaping backslashes removed.
fn unescape(component: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in component.chars() {
        if c == '\\' && !escaped {
            escaped = true;
        } else {
            out.push(c);
            escaped = false;
        }
    }
    out
}

/// Expands a glob `pattern` (as in `shparse::Field::pattern`: quoted characters escaped
/// by `\`) to the sorted list of existing paths it matches; empty when none match (the
/// caller then keeps the word as written).
pub fn expand_glob(pattern: &str, fs: &dyn FsView) -> Vec<String> {
    let absolute = pattern.starts_with('/');
    let components: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    // Each candidate is the text so far, ending in '/' unless empty.
    let mut paths: Vec<String> = alloc::vec![String::from(if absolute { "/" } else { "" })];
    let last = components.len().saturating_sub(1);
    let trailing_slash = pattern.ends_with('/') && !components.is_empty();
    for (i, comp) in components.iter().enumerate() {
        let more = i < last;
        let need_dir = more || trailing_slash;
        let mut next = Vec::new();
        for base in &paths {
            let dir = if base.is_empty() { "." } else { base.as_str() };
            if has_meta(comp) {
                let Some(mut entries) = fs.list(dir) else {
                    continue;
                };
                entries.sort_by(|a, b| a.name.cmp(&b.name));
                for e in entries {
                    if !glob_match_filename(comp, &e.name) {
                        continue;
                    }
                    if need_dir && !fs.entry_is_dir(dir, &e) {
                        continue;
                    }
                    let mut p = alloc::format!("{base}{}", e.name);
                    if more {
                        p.push('/');
                    }
                    next.push(p);
                }
            } else {
                let mut p = alloc::format!("{base}{}", unescape(comp));
                if more {
                    p.push('/');
                }
                next.push(p);
            }
        }
        paths = next;
    }
    // Literal components were not checked on the way: keep only what exists.
    let mut out: Vec<String> = paths
        .into_iter()
        .filter(|p| !p.is_empty() && fs.probe(p.trim_end_matches('/')) != Probe::Missing)
        .map(|mut p| {
            if trailing_slash && !p.ends_with('/') {
                p.push('/');
            }
            p
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// An in-memory file tree for tests: absolute paths to what they are.
#[derive(Clone, Debug, Default)]
pub struct MemFs {
    /// Every path, absolute, without a trailing slash; directories implied by their
    /// children are added by [`MemFs::file`] and [`MemFs::dir`].
    pub nodes: BTreeMap<String, Probe>,
    /// The current directory, for relative paths.
    pub cwd: String,
}

impl MemFs {
    /// An empty tree whose current directory is `/`.
    pub fn new() -> Self {
        let mut fs = MemFs {
            nodes: BTreeMap::new(),
            cwd: String::from("/"),
        };
        fs.nodes.insert(String::from("/"), Probe::Dir);
        fs
    }

    fn add(&mut self, path: &str, what: Probe) -> &mut Self {
        let mut at = String::new();
        let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        for (i, p) in parts.iter().enumerate() {
            at.push('/');
            at.push_str(p);
            let kind = if i + 1 == parts.len() {
                what
            } else {
                Probe::Dir
            };
            self.nodes.insert(at.clone(), kind);
        }
        self
    }

    /// Adds a regular file (and its parent directories).
    pub fn file(&mut self, path: &str, executable: bool) -> &mut Self {
        self.add(path, Probe::File { executable })
    }

    /// Adds a directory (and its parents).
    pub fn dir(&mut self, path: &str) -> &mut Self {
        self.add(path, Probe::Dir)
    }

    fn absolute(&self, path: &str) -> String {
        let full = if path.starts_with('/') {
            path.to_string()
        } else {
            join(&self.cwd, path)
        };
        let mut parts: Vec<&str> = Vec::new();
        for c in full.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                c => parts.push(c),
            }
        }
        alloc::format!("/{}", parts.join("/"))
    }
}

impl FsView for MemFs {
    fn probe(&self, path: &str) -> Probe {
        *self
            .nodes
            .get(&self.absolute(path))
            .unwrap_or(&Probe::Missing)
    }

    fn list(&self, dir: &str) -> Option<Vec<Entry>> {
        let dir = self.absolute(dir);
        if self.nodes.get(&dir) != Some(&Probe::Dir) {
            return None;
        }
        let prefix = if dir == "/" {
            dir.clone()
        } else {
            alloc::format!("{dir}/")
        };
        Some(
            self.nodes
                .iter()
                .filter_map(|(p, kind)| {
                    let rest = p.strip_prefix(&prefix)?;
                    (!rest.is_empty() && !rest.contains('/')).then(|| Entry {
                        name: rest.to_string(),
                        is_dir: Some(*kind == Probe::Dir),
                    })
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn tree() -> MemFs {
        let mut fs = MemFs::new();
        fs.file("/bin/ls", true)
            .file("/bin/sh", true)
            .file("/bin/cat", true)
            .file("/home/a.txt", false)
            .file("/home/b.txt", false)
            .file("/home/.hidden.txt", false)
            .file("/home/src/x.rs", false)
            .file("/home/src/y.rs", false)
            .file("/home/doc/z.rs", false)
            .file("/home/*lit", false);
        fs.cwd = String::from("/home");
        fs
    }

    #[test]
    fn star_matches_sorted_names_but_not_hidden_ones() {
        assert_eq!(expand_glob("*.txt", &tree()), vec!["a.txt", "b.txt"]);
        assert_eq!(expand_glob(".*.txt", &tree()), vec![".hidden.txt"]);
    }

    #[test]
    fn absolute_patterns_keep_their_leading_slash() {
        assert_eq!(expand_glob("/bin/?s", &tree()), vec!["/bin/ls"]);
        assert_eq!(
            expand_glob("/bin/*", &tree()),
            vec!["/bin/cat", "/bin/ls", "/bin/sh"]
        );
    }

    #[test]
    fn globs_in_directory_components_walk_every_matching_directory() {
        assert_eq!(
            expand_glob("*/*.rs", &tree()),
            vec!["doc/z.rs", "src/x.rs", "src/y.rs"]
        );
        assert_eq!(expand_glob("src/[x]*", &tree()), vec!["src/x.rs"]);
    }

    #[test]
    fn no_match_gives_nothing_so_the_word_stays_literal() {
        assert!(expand_glob("*.c", &tree()).is_empty());
        assert!(expand_glob("/nope/*", &tree()).is_empty());
    }

    #[test]
    fn escaped_star_matches_only_a_literal_star() {
        assert_eq!(expand_glob("\\*lit", &tree()), vec!["*lit"]);
        assert_eq!(expand_glob("\\**", &tree()), vec!["*lit"]);
    }

    #[test]
    fn trailing_slash_selects_directories() {
        assert_eq!(expand_glob("*/", &tree()), vec!["doc/", "src/"]);
    }
}
