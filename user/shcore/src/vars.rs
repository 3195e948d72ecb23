//! Shell variables, and which of them are exported to the programs the shell runs.
//!
//! Chapter 2 section 2-1 (the command interpreter): `x=1` sets a variable of the shell
//! only; `export x` puts it into the environment every later child receives;
//! `x=1 prog` puts it into `prog`'s environment alone. The environment is passed to a
//! child as a list of `NAME=value` strings (the `envp` of `spawn`/`exec`).
//!
//! Design decision: one map from name to (value, exported) instead of two maps, so a
//! variable cannot be both "shell" and "environment" with different values; the
//! environment list is built afresh for each child, sorted, overrides applied.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// One variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    /// Its value.
    pub value: String,
    /// Whether children receive it.
    pub exported: bool,
}

/// All variables of a shell.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    map: BTreeMap<String, Var>,
}

impl Vars {
    /// No variables.
    pub fn new() -> Self {
        Vars::default()
    }

    /// Imports an environment (`NAME=value` strings): every variable exported.
    pub fn import<'a>(&mut self, envp: impl IntoIterator<Item = &'a str>) {
        for entry in envp {
            if let Some((name, value)) = entry.split_once('=') {
                if shparse::is_name(name) {
                    self.map.insert(
                        String::from(name),
                        Var {
                            value: String::from(value),
                            exported: true,
                        },
                    );
                }
            }
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(|v| v.value.as_str())
    }

    /// Sets `name` (keeping its exported flag if it existed).
    pub fn set(&mut self, name: &str, value: &str) {
        match self.map.get_mut(name) {
            Some(v) => v.value = String::from(value),
            None => {
                self.map.insert(
                    String::from(name),
                    Var {
                        value: String::from(value),
                        exported: false,
                    },
                );
            }
        }
    }

    /// `export name[=value]`: marks it exported; an unset `name` is created empty
    /// (simpler than POSIX, which exports it only once it is set).
    pub fn export(&mut self, name: &str, value: Option<&str>) {
        let v = self.map.entry(String::from(name)).or_insert(Var {
            value: String::new(),
            exported: true,
        });
        v.exported = true;
        if let Some(value) = value {
            v.value = String::from(value);
        }
    }

    /// Removes `name`.
    pub fn unset(&mut self, name: &str) {
        self.map.remove(name);
    }

    /// All variables, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Var)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The environment for a child: exported variables, then `overrides` (from
    /// `NAME=value cmd`) replacing or adding entries, as `NAME=value` strings sorted by
    /// name.
    pub fn environ(&self, overrides: &[(String, String)]) -> Vec<String> {
        let mut env: BTreeMap<&str, &str> = self
            .map
            .iter()
            .filter(|(_, v)| v.exported)
            .map(|(k, v)| (k.as_str(), v.value.as_str()))
            .collect();
        for (k, v) in overrides {
            env.insert(k, v);
        }
        env.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
    }
}

/// `value` quoted so that the shell would read it back unchanged (for `set` and
/// `export` listings): bare when it is only safe characters, else in single quotes.
pub fn quote(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,=@%".contains(c));
    if safe {
        return String::from(value);
    }
    format!("'{}'", value.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exported_variables_reach_the_environment() {
        let mut v = Vars::new();
        v.import(["HOME=/root", "PATH=/bin", "bad-name=x", "noequals"]);
        v.set("local", "1");
        assert_eq!(v.environ(&[]), ["HOME=/root", "PATH=/bin"]);
        v.export("local", None);
        assert_eq!(v.environ(&[]), ["HOME=/root", "PATH=/bin", "local=1"]);
    }

    #[test]
    fn setting_an_exported_variable_keeps_it_exported() {
        let mut v = Vars::new();
        v.export("X", Some("1"));
        v.set("X", "2");
        assert_eq!(v.environ(&[]), ["X=2"]);
    }

    #[test]
    fn overrides_apply_to_one_child_only() {
        let mut v = Vars::new();
        v.import(["A=1"]);
        let env = v.environ(&[("A".into(), "9".into()), ("B".into(), "2".into())]);
        assert_eq!(env, ["A=9", "B=2"]);
        assert_eq!(v.get("A"), Some("1"));
        assert_eq!(v.get("B"), None);
    }

    #[test]
    fn unset_removes_and_quote_round_trips() {
        let mut v = Vars::new();
        v.set("x", "1");
        v.unset("x");
        assert_eq!(v.get("x"), None);
        assert_eq!(quote("/bin"), "/bin");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
    }
}
