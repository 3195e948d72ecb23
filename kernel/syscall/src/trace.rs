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
//! that memory); a buffer or structure the call fills is shown after it, with what it
//! got (a structure in a few fields: `{mode=S_IFREG|0644, size=6, ino=12}`).
//!
//! The decoder knows nothing of any one ABI: it reads only a row's name, its argument
//! [`Kind`]s and its result kind, so a second personality's table is traced by the
//! same code. Two consumers: the `trace` boot option logs every call of every process
//! to the console, and a process traced by the `trace` program ([`record`]) sends
//! its own calls' lines to the tracer's pipe.

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

/// One argument as the line will show it: text made before the call, or a buffer
/// or structure the call fills, shown after it from what it holds then.
enum Part {
    Now(String),
    After(Kind, u64, u64),
}

/// The arguments as text, taken before the call; the buffers and structures the call
/// fills are shown by [`finish`].
pub struct Pending {
    parts: Vec<Part>,
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
            Kind::BufOut => Part::After(k, r0, r1),
            Kind::Struct(name) if r0 != 0 && !struct_is_input(name) => Part::After(k, r0, r1),
            _ => Part::Now(show(k, r0, r1)),
        });
    }
    Pending { parts }
}

/// The whole line: `name(args) = result`.
pub fn finish(p: Pending, e: &Entry, _raw: &[u64; 6], result: Result<usize, Errno>) -> String {
    let mut line = String::from(e.name);
    line.push('(');
    for (n, part) in p.parts.into_iter().enumerate() {
        if n > 0 {
            line.push_str(", ");
        }
        match part {
            Part::Now(s) => line.push_str(&s),
            Part::After(Kind::BufOut, addr, len) => match result {
                // What the call put there (a count of bytes for every call that
                // fills a buffer).
                Ok(got) => {
                    let _ = write!(line, "{}, {len}", quoted_at(addr, got.min(len as usize)));
                }
                Err(_) => {
                    let _ = write!(line, "{addr:#x}, {len}");
                }
            },
            Part::After(Kind::Struct(name), addr, _) if result.is_ok() => {
                line.push_str(&summary(name, addr));
            }
            Part::After(_, addr, _) => {
                let _ = write!(line, "{addr:#x}");
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
        Kind::Struct(name) => write!(s, "{}", summary(name, r0)),
        Kind::Implicit => Ok(()),
    };
    s
}

/// Structures the call only reads: summarised before it (the rest after it, from
/// what the call wrote).
fn struct_is_input(name: &str) -> bool {
    matches!(
        name,
        "struct spawn_args" | "struct sigaction" | "struct pollfd" | "struct port_msg"
    )
}

/// A structure in user memory in a few fields (`{size=6, mode=S_IFREG|0644}`), by its
/// row's name; its address in hex for the ones without a summary or unreadable.
fn summary(name: &str, addr: u64) -> String {
    use abi::types::Pod;
    let read = |n: usize| proc::uaccess::read_bytes(addr, n).ok();
    let fallback = || alloc::format!("{addr:#x}");
    let text = match name {
        "struct stat" => read(abi::Stat::SIZE).map(|b| {
            let st = abi::Stat::from_bytes(&b);
            alloc::format!(
                "{{mode={}|0{:o}, size={}, ino={}}}",
                file_type(st.mode),
                st.mode & 0o7777,
                st.size,
                st.ino
            )
        }),
        "struct timespec" => read(abi::Timespec::SIZE).map(|b| {
            let t = abi::Timespec::from_bytes(&b);
            alloc::format!("{{sec={}, nsec={}}}", t.sec, t.nsec)
        }),
        "struct tms" => read(abi::Tms::SIZE).map(|b| {
            let t = abi::Tms::from_bytes(&b);
            alloc::format!("{{user_ns={}, sys_ns={}}}", t.user_ns, t.sys_ns)
        }),
        "struct spawn_args" => read(abi::SpawnArgs::SIZE).map(|b| {
            let a = abi::SpawnArgs::from_bytes(&b);
            alloc::format!(
                "{{path={}, argv={}, fds={:?}}}",
                quoted_at(a.path.ptr, a.path.len as usize),
                list_at(a.argv, a.argc),
                a.fds
            )
        }),
        "struct sigaction" => read(abi::SigAction::SIZE).map(|b| {
            let a = abi::SigAction::from_bytes(&b);
            let h = match a.handler {
                abi::signal::SIG_DFL => String::from("SIG_DFL"),
                abi::signal::SIG_IGN => String::from("SIG_IGN"),
                h => alloc::format!("{h:#x}"),
            };
            alloc::format!("{{handler={h}, mask={:#x}}}", a.mask)
        }),
        "int[2]" => read(8).map(|b| {
            let a = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let c = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
            alloc::format!("[{a}, {c}]")
        }),
        "u32" => {
            read(4).map(|b| alloc::format!("[{}]", u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        }
        "u64" => read(8).map(|b| {
            alloc::format!(
                "[{:#x}]",
                u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]))
            )
        }),
        _ => None,
    };
    text.unwrap_or_else(fallback)
}

fn file_type(mode: u32) -> &'static str {
    use abi::flags::*;
    match mode & S_IFMT {
        S_IFREG => "S_IFREG",
        S_IFDIR => "S_IFDIR",
        S_IFCHR => "S_IFCHR",
        S_IFIFO => "S_IFIFO",
        S_IFLNK => "S_IFLNK",
        _ => "?",
    }
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

/// A traced process's record of one call, written into its tracer's pipe:
/// `PID NANOSECONDS LINE\n` (the time the call took, from the TSC). The process
/// writes it itself, so a full pipe makes it wait for the tracer (a signal ends the
/// wait, and the record is then cut). A tracer that has gone (no reader, before or
/// during the write) ends the trace, with no SIGPIPE.
pub fn record(sink: &proc::watch::TraceSink, pid: u32, ns: u64, line: &str) {
    if sink.out.poll().hangup {
        let _ = proc::process::with_current(|p| p.watch.set_trace(None));
        return;
    }
    let mut rec = String::with_capacity(line.len() + 24);
    let _ = writeln!(rec, "{pid} {ns} {line}");
    type Writer = files::pipe::PipeWriter<proc::signal::ProcessSignals>;
    let out = sink.out.as_any().and_then(|a| a.downcast_ref::<Writer>());
    let written = out.map_or(Err(Errno::EPIPE), |w| w.write_quiet(rec.as_bytes()));
    if let Err(Errno::EPIPE) = written {
        let _ = proc::process::with_current(|p| p.watch.set_trace(None));
    }
}
