//! The system-call tracer (the `trace` boot option): one line per call, decoded from
//! the same table rows the dispatcher uses, the way `strace` shows Linux calls:
//!
//! ```text
//! [7] open("/tmp/x", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3
//! [7] write(3, "hello\n", 6) = 6
//! [7] open("/nope", O_RDONLY, 0) = -1 ENOENT (no such file or directory)
//! ```
//!
//! Strings and paths are read from the caller's memory before the call (exec replaces
//! that memory); a buffer the call fills is shown after it, with what it got.

use crate::arg::{FlagSet, Kind};
use crate::table::{Entry, Ret};
use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// Bytes of a buffer or string shown before `...`.
const SHOW: usize = 32;
/// Strings of an argument list shown before `...`.
const SHOW_LIST: usize = 8;

/// The arguments as text, taken before the call; the buffers the call fills are
/// left as `None` and shown by [`finish`].
pub struct Pending {
    parts: Vec<Option<String>>,
}

/// Describe the arguments of a call to `e` with registers `raw`.
pub fn start(e: &Entry, raw: &[u64; 6]) -> Pending {
    let mut parts = Vec::new();
    let mut i = 0;
    for &k in e.args {
        let r0 = raw.get(i).copied().unwrap_or(0);
        let r1 = raw.get(i + 1).copied().unwrap_or(0);
        i += k.width();
        parts.push(match k {
            Kind::Implicit => continue,
            Kind::BufOut => None,
            _ => Some(show(k, r0, r1)),
        });
    }
    Pending { parts }
}

/// The whole line: `name(args) = result`.
pub fn finish(p: Pending, e: &Entry, raw: &[u64; 6], result: Result<usize, Errno>) -> String {
    let mut line = String::from(e.name);
    line.push('(');
    let mut out_bufs = e
        .args
        .iter()
        .scan(0usize, |at, &k| {
            let i = *at;
            *at += k.width();
            Some((k, i))
        })
        .filter(|(k, _)| matches!(k, Kind::BufOut))
        .map(|(_, i)| (raw[i.min(5)], raw[(i + 1).min(5)]));
    for (n, part) in p.parts.into_iter().enumerate() {
        if n > 0 {
            line.push_str(", ");
        }
        match part {
            Some(s) => line.push_str(&s),
            None => {
                let (addr, len) = out_bufs.next().unwrap_or((0, 0));
                match result {
                    // What the call put there (a count of bytes for every call that
                    // fills a buffer).
                    Ok(got) => {
                        let _ = write!(line, "{}, {len}", quoted_at(addr, got.min(len as usize)));
                    }
                    Err(_) => {
                        let _ = write!(line, "{addr:#x}, {len}");
                    }
                }
            }
        }
    }
    line.push_str(") = ");
    result_text(&mut line, e.ret, result);
    line
}

/// The line of a call that does not return (exit): printed before it.
pub fn no_return(p: Pending, e: &Entry, raw: &[u64; 6]) -> String {
    let mut line = finish(p, e, raw, Ok(0));
    let cut = line.rfind(" = ").unwrap_or(line.len());
    line.truncate(cut);
    line.push_str(" = ?");
    line
}

fn result_text(line: &mut String, ret: Ret, result: Result<usize, Errno>) {
    let _ = match result {
        Ok(v) if ret == Ret::Hex => write!(line, "{v:#x}"),
        Ok(v) => write!(line, "{v}"),
        Err(e) => write!(line, "-1 {e:?} ({})", e.message()),
    };
}

fn show(k: Kind, r0: u64, r1: u64) -> String {
    let mut s = String::new();
    let _ = match k {
        Kind::Int | Kind::Pid => write!(s, "{}", r0 as i64),
        Kind::Fd => write!(s, "{}", r0 as i32),
        Kind::Uint => write!(s, "{r0}"),
        Kind::Hex => write!(s, "{r0:#x}"),
        // As C writes it: 0644.
        Kind::Mode => match r0 as u32 & 0o7777 {
            0 => write!(s, "0"),
            m => write!(s, "0{m:o}"),
        },
        Kind::Signal => match abi::signal::name(r0 as u32) {
            "" | "?" => write!(s, "{}", r0 as u32),
            name => write!(s, "{name}"),
        },
        Kind::Str | Kind::Path => write!(s, "{}", quoted_at(r0, r1 as usize)),
        Kind::BufIn => write!(s, "{}, {r1}", quoted_at(r0, r1 as usize)),
        Kind::BufOut => write!(s, "{r0:#x}, {r1}"),
        Kind::StrList => write!(s, "{}", list_at(r0, r1)),
        Kind::CPath => write!(s, "{}", cstr_at(r0)),
        Kind::CStrList => write!(s, "{}", clist_at(r0)),
        Kind::Flags(set) => write!(s, "{}", flags(set, r0)),
        Kind::Enum(names) => match names.iter().find(|(v, _)| *v == r0 as u32 as u64) {
            Some((_, n)) => write!(s, "{n}"),
            None => write!(s, "{r0:#x}"),
        },
        Kind::Struct(_) if r0 == 0 => write!(s, "NULL"),
        Kind::Struct(_) => write!(s, "{r0:#x}"),
        Kind::Implicit => Ok(()),
    };
    s
}

/// `A|B|C` for a flag word; bits without a name are shown in hex at the end.
fn flags(set: &FlagSet, word: u64) -> String {
    let word = word as u32 as u64;
    let mut parts: Vec<String> = Vec::new();
    let name_of = |v: u64| set.values.iter().find(|(x, _)| *x == v).map(|(_, n)| *n);
    if set.value_mask != 0 {
        let value = word & set.value_mask;
        parts.push(name_of(value).map_or_else(|| alloc::format!("{value:#x}"), String::from));
    } else if word == 0 {
        return String::from(name_of(0).unwrap_or("0"));
    }
    let mut rest = word & !set.value_mask;
    for &(bit, name) in set.bits {
        if bit != 0 && rest & bit == bit {
            parts.push(String::from(name));
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(alloc::format!("{rest:#x}"));
    }
    if parts.is_empty() {
        return String::from("0");
    }
    parts.join("|")
}

/// A string in user memory, quoted and escaped, cut at [`SHOW`] bytes.
fn quoted_at(addr: u64, len: usize) -> String {
    let n = len.min(SHOW);
    match proc::uaccess::read_bytes(addr, n) {
        Ok(b) => {
            let mut s = quote(&b);
            if len > n {
                s.push_str("...");
            }
            s
        }
        Err(_) => alloc::format!("{addr:#x}"),
    }
}

fn quote(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        let _ = match c {
            b'"' => write!(s, "\\\""),
            b'\\' => write!(s, "\\\\"),
            b'\n' => write!(s, "\\n"),
            b'\t' => write!(s, "\\t"),
            b'\r' => write!(s, "\\r"),
            0x20..=0x7e => write!(s, "{}", c as char),
            _ => write!(s, "\\x{c:02x}"),
        };
    }
    s.push('"');
    s
}

/// A NUL-terminated string in user memory, quoted, cut at [`SHOW`] bytes.
fn cstr_at(addr: u64) -> String {
    match crate::user::read_cstr(addr, crate::user::STR_MAX) {
        Ok(t) if t.len() > SHOW => {
            let mut s = quote(&t.as_bytes()[..SHOW]);
            s.push_str("...");
            s
        }
        Ok(t) => quote(t.as_bytes()),
        Err(_) => alloc::format!("{addr:#x}"),
    }
}

/// `["a", "b", ...]` for a NULL-terminated array of C strings at `ptr`.
fn clist_at(ptr: u64) -> String {
    let Ok(list) = crate::user::read_cstr_list(ptr, proc::exec::ARG_MAX) else {
        return alloc::format!("{ptr:#x}");
    };
    let mut s = String::from("[");
    for (i, a) in list.iter().take(SHOW_LIST).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&quote(a.as_bytes()));
    }
    if list.len() > SHOW_LIST {
        s.push_str(", ...");
    }
    s.push(']');
    s
}

/// `["a", "b", ...]` for an array of `count` [`abi::UserStr`] at `ptr`.
fn list_at(ptr: u64, count: u64) -> String {
    use abi::types::Pod;
    let shown = count.min(SHOW_LIST as u64);
    let Ok(raw) = proc::uaccess::read_bytes(ptr, shown as usize * abi::UserStr::SIZE) else {
        return alloc::format!("{ptr:#x}");
    };
    let mut s = String::from("[");
    for (i, c) in raw.chunks(abi::UserStr::SIZE).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let u = abi::UserStr::from_bytes(c);
        s.push_str(&quoted_at(u.ptr, u.len as usize));
    }
    if count > shown {
        s.push_str(", ...");
    }
    s.push(']');
    s
}
