//! The program's arguments and environment, and its working directory.
//!
//! The start code stores the arguments and the `NAME=value` strings it found on the
//! initial stack here. The environment is an ordinary in-process list: `set_var` and
//! `remove_var` change it, and `process::Command` and `process::exec` hand it to the
//! new program (which is the only way a child sees it; there is no kernel copy).

use crate::{sys, Errno, Result};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use spinning_top::Spinlock;

struct Env {
    args: Vec<String>,
    vars: Vec<String>,
}

static ENV: Spinlock<Env> = Spinlock::new(Env {
    args: Vec::new(),
    vars: Vec::new(),
});

/// Called once by the start code.
pub(crate) fn init(args: Vec<String>, vars: Vec<String>) {
    let mut e = ENV.lock();
    e.args = args;
    e.vars = vars;
}

/// Iterator over the arguments, the program's name first.
pub type Args = alloc::vec::IntoIter<String>;

/// The arguments, `argv[0]` first.
pub fn args() -> Args {
    ENV.lock().args.clone().into_iter()
}

/// The name the program was started as, without its directory (for messages).
pub fn program_name() -> String {
    let mut name = String::new();
    with_program_name(|n| name.push_str(n));
    name
}

/// Call `f` with the program name without allocating (`"?"` when unknown or busy).
pub(crate) fn with_program_name(f: impl FnOnce(&str)) {
    match ENV.try_lock() {
        Some(e) => match e.args.first() {
            Some(a) => f(a.rsplit('/').next().unwrap_or(a)),
            None => f("?"),
        },
        None => f("?"),
    }
}

fn split(entry: &str) -> (&str, &str) {
    entry.split_once('=').unwrap_or((entry, ""))
}

/// Every variable as (name, value).
pub fn vars() -> alloc::vec::IntoIter<(String, String)> {
    let e = ENV.lock();
    let v: Vec<(String, String)> = e
        .vars
        .iter()
        .map(|s| {
            let (k, v) = split(s);
            (k.to_string(), v.to_string())
        })
        .collect();
    v.into_iter()
}

/// The `NAME=value` strings, as handed to a new program.
pub fn environ() -> Vec<String> {
    ENV.lock().vars.clone()
}

/// The value of `name`, if set.
pub fn var(name: &str) -> Option<String> {
    let e = ENV.lock();
    e.vars
        .iter()
        .map(|s| split(s))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Set `name` to `value` (for this program and the programs it starts).
pub fn set_var(name: &str, value: &str) {
    let mut e = ENV.lock();
    let entry = alloc::format!("{name}={value}");
    match e.vars.iter().position(|s| split(s).0 == name) {
        Some(i) => e.vars[i] = entry,
        None => e.vars.push(entry),
    }
}

pub fn remove_var(name: &str) {
    ENV.lock().vars.retain(|s| split(s).0 != name);
}

/// The working directory.
pub fn current_dir() -> Result<String> {
    let mut buf = alloc::vec![0u8; 256];
    loop {
        match sys::getcwd(&mut buf) {
            Ok(n) => {
                // Some kernels count the NUL; drop it if present.
                let n = buf[..n.min(buf.len())]
                    .iter()
                    .position(|&b| b == 0)
                    .unwrap_or(n);
                return Ok(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
            Err(Errno::ERANGE) if buf.len() < 65536 => buf.resize(buf.len() * 4, 0),
            Err(e) => return Err(e),
        }
    }
}

pub fn set_current_dir(path: &str) -> Result<()> {
    sys::chdir(path).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_set_replaced_read_and_removed() {
        init(
            alloc::vec!["/bin/prog".into()],
            alloc::vec!["A=1".into(), "B=x=y".into()],
        );
        assert_eq!(var("B").as_deref(), Some("x=y"));
        set_var("A", "2");
        set_var("C", "");
        assert_eq!(environ(), ["A=2", "B=x=y", "C="]);
        remove_var("B");
        assert_eq!(var("B"), None);
        assert_eq!(program_name(), "prog");
    }
}
