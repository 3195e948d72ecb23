//! How `read NAME...` cuts a line among its variables.
//!
//! Chapter 2 section 2-1 (the command interpreter): `read a b rest` splits the line
//! at the characters of `IFS` like an unquoted expansion, one field per name, except
//! that the last name receives the whole rest of the line (inner separators kept),
//! with the `IFS` white space at both ends removed. Without `-r` a backslash quotes
//! the next character (which then never separates) and backslash-newline joins lines;
//! the caller has already done the joining.

use alloc::string::String;
use alloc::vec::Vec;

fn is_white(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n')
}

/// Splits `line` for `names` variables. `raw` (`read -r`): backslashes are ordinary.
/// Always returns `names` values (missing ones empty).
pub fn split_read(line: &str, ifs: &str, names: usize, raw: bool) -> Vec<String> {
    // Each character with whether it was escaped.
    let mut chars: Vec<(char, bool)> = Vec::new();
    let mut it = line.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' if !raw => {
                if let Some(e) = it.next() {
                    chars.push((e, true));
                }
            }
            c => chars.push((c, false)),
        }
    }
    let is_sep = |&(c, esc): &(char, bool)| !esc && ifs.contains(c);
    let is_ws_sep = |p: &(char, bool)| is_sep(p) && is_white(p.0);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() && is_ws_sep(&chars[i]) {
        i += 1;
    }
    for n in 0..names {
        if n + 1 == names {
            // The last name: the rest, less trailing IFS white space.
            let mut end = chars.len();
            while end > i && is_ws_sep(&chars[end - 1]) {
                end -= 1;
            }
            out.push(chars[i..end].iter().map(|p| p.0).collect());
            break;
        }
        let start = i;
        while i < chars.len() && !is_sep(&chars[i]) {
            i += 1;
        }
        out.push(chars[start..i].iter().map(|p| p.0).collect());
        // Past the separator: white space, at most one other IFS character, white space.
        while i < chars.len() && is_ws_sep(&chars[i]) {
            i += 1;
        }
        if i < chars.len() && is_sep(&chars[i]) && !is_white(chars[i].0) {
            i += 1;
            while i < chars.len() && is_ws_sep(&chars[i]) {
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_name_takes_the_rest() {
        assert_eq!(
            split_read("  a b  c d  ", " \t\n", 2, false),
            ["a", "b  c d"]
        );
        assert_eq!(split_read("one", " \t\n", 3, false), ["one", "", ""]);
        assert_eq!(
            split_read("  keep  inner  ", " \t\n", 1, false),
            ["keep  inner"]
        );
    }

    #[test]
    fn other_separators_and_backslashes() {
        assert_eq!(split_read("a:b:c", ":", 2, false), ["a", "b:c"]);
        assert_eq!(split_read("a::c", ":", 3, false), ["a", "", "c"]);
        assert_eq!(split_read("a\\ b c", " ", 2, false), ["a b", "c"]);
        assert_eq!(split_read("a\\ b c", " ", 2, true), ["a\\", "b c"]);
        assert_eq!(split_read("x y", "", 2, false), ["x y", ""]);
    }
}
