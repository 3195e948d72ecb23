//! Symbolic permission modes (`u+x,go-w`, `a=r`, `g=u`), as `chmod` and the shell's
//! `umask` take them (chapter 2, 3-2 protection: who may read, write or run a file).
//!
//! One parser for both: [`apply`] turns a mode and a spec into the new mode, POSIX's
//! `chmod` grammar: comma-separated clauses `[ugoa]*` then one or more `[+-=]` each
//! followed by permissions `[rwxXst]*` or one copied class `[ugo]`. An empty who is
//! `a` (the umask does not filter it, as in dash). `X` is `x` when the old mode has
//! any `x` bit (or is a directory: the caller says, `is_dir`). `umask` applies a spec
//! to the permissions its mask leaves and takes the complement
//! ([`apply_to_umask`]); set-id and sticky bits mean nothing there and are dropped.

/// The new mode for `old` after `spec`; `None` when `spec` is malformed. An all-octal
/// spec (`755`, `4755`) is the new mode itself.
pub fn apply(spec: &str, old: u32, is_dir: bool) -> Option<u32> {
    if !spec.is_empty() && spec.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return u32::from_str_radix(spec, 8).ok().filter(|&m| m <= 0o7777);
    }
    let mut mode = old & 0o7777;
    for clause in spec.split(',') {
        let op_at = clause.find(['+', '-', '='])?;
        let mut who = 0;
        for c in clause[..op_at].chars() {
            who |= match c {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                'a' => 0o7777,
                _ => return None,
            };
        }
        if who == 0 {
            who = 0o7777;
        }
        let mut rest = &clause[op_at..];
        while let Some(op) = rest.chars().next() {
            let perms_end = rest[1..]
                .find(['+', '-', '='])
                .map_or(rest.len(), |i| i + 1);
            let perms = &rest[1..perms_end];
            let bits = match perms {
                // A class copied: its rwx bits, spread to every class.
                "u" => spread(mode >> 6 & 7),
                "g" => spread(mode >> 3 & 7),
                "o" => spread(mode & 7),
                _ => {
                    let mut bits = 0;
                    for c in perms.chars() {
                        bits |= match c {
                            'r' => 0o444,
                            'w' => 0o222,
                            'x' => 0o111,
                            'X' if is_dir || mode & 0o111 != 0 => 0o111,
                            'X' => 0,
                            's' => 0o6000,
                            't' => 0o1000,
                            _ => return None,
                        };
                    }
                    bits
                }
            };
            let bits = bits & who;
            match op {
                '+' => mode |= bits,
                '-' => mode &= !bits,
                _ => mode = (mode & !(who & 0o777)) | bits,
            }
            rest = &rest[perms_end..];
        }
    }
    Some(mode)
}

/// `rwx` bits (0-7) as the same bits for owner, group and others.
fn spread(rwx: u32) -> u32 {
    rwx << 6 | rwx << 3 | rwx
}

/// The new file-mode creation mask after `umask SPEC` with mask `mask`: octal sets it,
/// a symbolic spec changes the permissions the mask leaves. `None` when malformed
/// (or octal above 0777).
pub fn apply_to_umask(spec: &str, mask: u32) -> Option<u32> {
    if !spec.is_empty() && spec.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return u32::from_str_radix(spec, 8).ok().filter(|&m| m <= 0o777);
    }
    let perms = apply(spec, !mask & 0o777, true)?;
    Some(!perms & 0o777)
}

#[cfg(test)]
mod tests {
    use super::{apply, apply_to_umask};

    /// Each case: the umask before (027), the spec, the umask dash 0.5.12 leaves
    /// (`dash -c "umask 027; umask SPEC; umask"` on the host).
    #[test]
    fn umask_specs_give_what_dash_gives() {
        for (spec, want) in [
            ("u=rwx,g=rx,o=", Some(0o027)),
            ("g-w", Some(0o027)),
            ("o+r", Some(0o023)),
            ("a=rx", Some(0o222)),
            ("u=rwx,go=", Some(0o077)),
            ("go-rwx", Some(0o077)),
            ("ug+w,o-r", Some(0o007)),
            ("u=rw,g=r,o=r", Some(0o133)),
            ("=rx", Some(0o222)),
            ("+w", Some(0o005)),
            ("u+x-w", Some(0o227)),
            ("g=u", Some(0o007)),
            ("a+X", Some(0o026)),
            ("u+s", Some(0o027)),
            ("u=q", None),
            ("077", Some(0o077)),
            ("1777", None),
        ] {
            assert_eq!(apply_to_umask(spec, 0o027), want, "umask {spec}");
        }
    }

    #[test]
    fn chmod_specs() {
        assert_eq!(apply("u+x,go-w", 0o666, false), Some(0o744));
        assert_eq!(apply("a=r", 0o777, false), Some(0o444));
        assert_eq!(apply("+X", 0o644, false), Some(0o644));
        assert_eq!(apply("+X", 0o644, true), Some(0o755));
        assert_eq!(apply("u+s", 0o755, false), Some(0o4755));
        assert_eq!(apply("4755", 0, false), Some(0o4755));
        assert_eq!(apply("z+r", 0, false), None);
    }
}
