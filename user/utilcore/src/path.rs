//! `basename` and `dirname`: the last component of a path and the rest, as POSIX
//! defines them (trailing slashes do not count; `/` is its own base and directory).

use alloc::string::String;

/// The last component of `path`, without `suffix` if it ends with it (and is not all
/// of it).
pub fn basename(path: &str, suffix: Option<&str>) -> String {
    if path.is_empty() {
        return String::new();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return String::from("/");
    }
    let base = match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    };
    match suffix {
        Some(s) if !s.is_empty() && base.len() > s.len() && base.ends_with(s) => {
            String::from(&base[..base.len() - s.len()])
        }
        _ => String::from(base),
    }
}

/// Everything before the last component of `path` (`.` if there is nothing).
pub fn dirname(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return String::from(if path.starts_with('/') { "/" } else { "." });
    }
    match trimmed.rfind('/') {
        None => String::from("."),
        Some(i) => {
            let dir = trimmed[..i].trim_end_matches('/');
            String::from(if dir.is_empty() { "/" } else { dir })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basenames() {
        assert_eq!(basename("/usr/lib/libc.so", None), "libc.so");
        assert_eq!(basename("/usr/lib/", None), "lib");
        assert_eq!(basename("///", None), "/");
        assert_eq!(basename("a.c", Some(".c")), "a");
        assert_eq!(basename(".c", Some(".c")), ".c");
        assert_eq!(basename("", None), "");
    }

    #[test]
    fn dirnames() {
        assert_eq!(dirname("/usr/lib/libc.so"), "/usr/lib");
        assert_eq!(dirname("/usr//lib//"), "/usr");
        assert_eq!(dirname("file"), ".");
        assert_eq!(dirname("/file"), "/");
        assert_eq!(dirname("//"), "/");
        assert_eq!(dirname(""), ".");
        assert_eq!(dirname("a/b"), "a");
    }
}
