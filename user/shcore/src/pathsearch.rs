//! Finding the program file a command names: the `PATH` search.
//!
//! Chapter 2 section 2-1 (the command interpreter): dinos' shell does not contain the
//! commands it runs; `rm` is the file `/bin/rm`, found by trying each directory listed
//! in `PATH` in order. A name containing `/` is a path and is used as it is.
//!
//! Design decision: the search also classifies failures the way a user needs to hear
//! them: nothing anywhere (`command not found`, status 127), a file that is not
//! executable (`permission denied`, 126; remembered while later directories are still
//! tried, as POSIX shells do) or a directory (`is a directory`, 126).

use alloc::string::String;

use crate::fsview::{join, FsView, Probe};

/// The search path when `PATH` is unset.
pub const DEFAULT_PATH: &str = "/bin";

/// Why a command could not be found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchError {
    /// No file by that name (a bare name: `command not found`; a path: `no such file`).
    NotFound,
    /// A file was found but it is not executable; the path found.
    NotExecutable(String),
    /// The path names a directory.
    IsDirectory(String),
}

impl SearchError {
    /// The shell's exit status for this failure (127 not found, 126 otherwise).
    pub fn status(&self) -> i32 {
        match self {
            SearchError::NotFound => 127,
            _ => 126,
        }
    }

    /// The message after `sh: NAME: `.
    pub fn message(&self, name: &str) -> &'static str {
        match self {
            SearchError::NotFound if name.contains('/') => "no such file or directory",
            SearchError::NotFound => "command not found",
            SearchError::NotExecutable(_) => "permission denied",
            SearchError::IsDirectory(_) => "is a directory",
        }
    }
}

/// The directories of a `PATH` value, in order; an empty entry means the current
/// directory.
pub fn path_dirs(path: Option<&str>) -> impl Iterator<Item = &str> {
    path.unwrap_or(DEFAULT_PATH)
        .split(':')
        .map(|d| if d.is_empty() { "." } else { d })
}

/// The file to run for command `name`, searching `path` (the value of `PATH`).
pub fn find_command(
    name: &str,
    path: Option<&str>,
    fs: &dyn FsView,
) -> Result<String, SearchError> {
    if name.is_empty() {
        return Err(SearchError::NotFound);
    }
    if name.contains('/') {
        return match fs.probe(name) {
            Probe::Missing => Err(SearchError::NotFound),
            Probe::Dir => Err(SearchError::IsDirectory(String::from(name))),
            Probe::File { executable: false } => {
                Err(SearchError::NotExecutable(String::from(name)))
            }
            Probe::File { executable: true } | Probe::Other => Ok(String::from(name)),
        };
    }
    let mut denied = None;
    for dir in path_dirs(path) {
        let candidate = join(dir, name);
        match fs.probe(&candidate) {
            Probe::File { executable: true } => return Ok(candidate),
            Probe::File { executable: false } if denied.is_none() => denied = Some(candidate),
            _ => {}
        }
    }
    Err(denied.map_or(SearchError::NotFound, SearchError::NotExecutable))
}

/// The interpreter named by a script's first line: `#!/bin/sh -e` gives
/// `("/bin/sh", Some("-e"))`. The kernel does not read `#!` lines; when it refuses a
/// file with `ENOEXEC`, the shell looks here and runs the interpreter with the script's
/// path as an argument.
pub fn parse_shebang(head: &[u8]) -> Option<(String, Option<String>)> {
    let rest = head.strip_prefix(b"#!")?;
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = core::str::from_utf8(&rest[..end]).ok()?.trim();
    let (interp, arg) = match line.split_once([' ', '\t']) {
        Some((i, a)) => (i, Some(a.trim())),
        None => (line, None),
    };
    if interp.is_empty() {
        return None;
    }
    Some((
        String::from(interp),
        arg.filter(|a| !a.is_empty()).map(String::from),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsview::MemFs;

    fn tree() -> MemFs {
        let mut fs = MemFs::new();
        fs.file("/bin/rm", true)
            .file("/bin/ls", true)
            .file("/usr/bin/ls", true)
            .file("/usr/bin/tool", true)
            .file("/opt/noexec", false)
            .file("/usr/bin/noexec", true)
            .file("/home/run.sh", true)
            .dir("/bin/subdir");
        fs.cwd = String::from("/home");
        fs
    }

    #[test]
    fn rm_is_found_as_bin_rm_with_the_default_path() {
        assert_eq!(find_command("rm", None, &tree()).unwrap(), "/bin/rm");
    }

    #[test]
    fn earlier_path_directories_win() {
        assert_eq!(
            find_command("ls", Some("/usr/bin:/bin"), &tree()).unwrap(),
            "/usr/bin/ls"
        );
        assert_eq!(
            find_command("ls", Some("/bin:/usr/bin"), &tree()).unwrap(),
            "/bin/ls"
        );
        assert_eq!(
            find_command("tool", Some("/bin:/usr/bin"), &tree()).unwrap(),
            "/usr/bin/tool"
        );
    }

    #[test]
    fn unknown_names_are_not_found_with_status_127() {
        let e = find_command("frob", None, &tree()).unwrap_err();
        assert_eq!(e, SearchError::NotFound);
        assert_eq!((e.status(), e.message("frob")), (127, "command not found"));
    }

    #[test]
    fn non_executable_file_is_denied_unless_a_later_directory_has_one() {
        let e = find_command("noexec", Some("/opt"), &tree()).unwrap_err();
        assert_eq!(e, SearchError::NotExecutable("/opt/noexec".into()));
        assert_eq!(
            (e.status(), e.message("noexec")),
            (126, "permission denied")
        );
        assert_eq!(
            find_command("noexec", Some("/opt:/usr/bin"), &tree()).unwrap(),
            "/usr/bin/noexec"
        );
    }

    #[test]
    fn names_with_a_slash_are_paths_and_are_not_searched() {
        assert_eq!(find_command("./run.sh", None, &tree()).unwrap(), "./run.sh");
        let e = find_command("./rm", None, &tree()).unwrap_err();
        assert_eq!(e.message("./rm"), "no such file or directory");
        assert_eq!(
            find_command("/bin/subdir", None, &tree()).unwrap_err(),
            SearchError::IsDirectory("/bin/subdir".into())
        );
    }

    #[test]
    fn empty_path_entry_means_current_directory_and_directories_are_skipped() {
        assert_eq!(
            find_command("run.sh", Some(":/bin"), &tree()).unwrap(),
            "run.sh"
        );
        assert_eq!(
            find_command("subdir", Some("/bin"), &tree()).unwrap_err(),
            SearchError::NotFound
        );
    }

    #[test]
    fn shebang_lines_name_an_interpreter_and_one_argument() {
        assert_eq!(
            parse_shebang(b"#!/bin/sh\necho"),
            Some(("/bin/sh".into(), None))
        );
        assert_eq!(
            parse_shebang(b"#! /bin/sh  -e \n"),
            Some(("/bin/sh".into(), Some("-e".into())))
        );
        assert_eq!(parse_shebang(b"echo hi\n"), None);
        assert_eq!(parse_shebang(b"#!\n"), None);
    }
}
