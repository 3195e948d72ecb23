//! The three account files, one record a line, fields separated by `:`.
//!
//! Each record type knows how to read and write its line ([`Record`]); [`Table`] does
//! what every program needs of a whole file: find a record, replace one (editing a
//! password), add one (`useradd`), while every other line -- comments, records this
//! code does not understand -- is kept byte for byte.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// One line of an account file.
pub trait Record: Sized {
    /// The record of `line`, or `None` if it is not one (blank, comment, malformed).
    fn parse(line: &str) -> Option<Self>;
    /// The account or group name: the key of the file.
    fn name(&self) -> &str;
    /// The line (without its newline).
    fn to_line(&self) -> String;
}

/// An `/etc/passwd` line: `name:x:uid:gid:gecos:home:shell` (the password lives in
/// `/etc/shadow`; the `x` says so).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Passwd {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// The user's full name and the like.
    pub gecos: String,
    pub home: String,
    pub shell: String,
}

/// An `/etc/group` line: `name:x:gid:member,member`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub gid: u32,
    /// Users for whom this is a supplementary group.
    pub members: Vec<String>,
}

/// An `/etc/shadow` line: `name:hash:` and the ageing fields, kept as they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shadow {
    pub name: String,
    /// A crypt hash (`$6$...`), or `!`/`*` for an account no password opens.
    pub hash: String,
    /// The fields after the hash (last change, min, max, ...), verbatim.
    pub rest: String,
}

/// The `:`-separated fields of `line`, if there are exactly `n`.
fn fields(line: &str, n: usize) -> Option<Vec<&str>> {
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let f: Vec<&str> = line.split(':').collect();
    (f.len() == n && !f[0].is_empty()).then_some(f)
}

/// May `name` be an account or group name? Letters, digits, `_`, `-`, `.`, not
/// starting with `-`, at most 32 bytes: nothing that could break a line.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

impl Record for Passwd {
    fn parse(line: &str) -> Option<Passwd> {
        let f = fields(line, 7)?;
        Some(Passwd {
            name: f[0].to_string(),
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
            gecos: f[4].to_string(),
            home: f[5].to_string(),
            shell: f[6].to_string(),
        })
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn to_line(&self) -> String {
        alloc::format!(
            "{}:x:{}:{}:{}:{}:{}",
            self.name,
            self.uid,
            self.gid,
            self.gecos,
            self.home,
            self.shell
        )
    }
}

impl Record for Group {
    fn parse(line: &str) -> Option<Group> {
        let f = fields(line, 4)?;
        Some(Group {
            name: f[0].to_string(),
            gid: f[2].parse().ok()?,
            members: f[3]
                .split(',')
                .filter(|m| !m.is_empty())
                .map(String::from)
                .collect(),
        })
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn to_line(&self) -> String {
        alloc::format!("{}:x:{}:{}", self.name, self.gid, self.members.join(","))
    }
}

impl Record for Shadow {
    fn parse(line: &str) -> Option<Shadow> {
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let mut it = line.splitn(3, ':');
        let name = it.next().filter(|n| !n.is_empty())?;
        let hash = it.next()?;
        Some(Shadow {
            name: name.to_string(),
            hash: hash.to_string(),
            rest: it.next().unwrap_or("").to_string(),
        })
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn to_line(&self) -> String {
        alloc::format!("{}:{}:{}", self.name, self.hash, self.rest)
    }
}

/// A whole account file's text.
pub struct Table<'a>(pub &'a str);

impl Table<'_> {
    /// Every record the file holds, in order.
    pub fn records<R: Record>(&self) -> Vec<R> {
        self.0.lines().filter_map(R::parse).collect()
    }

    /// The record named `name`.
    pub fn find<R: Record>(&self, name: &str) -> Option<R> {
        self.0
            .lines()
            .filter_map(R::parse)
            .find(|r| r.name() == name)
    }

    /// The text with the record of `rec`'s name replaced by `rec` (added at the end
    /// if there is none); every other line unchanged.
    pub fn with<R: Record>(&self, rec: &R) -> String {
        let mut out = String::new();
        let mut done = false;
        for line in self.0.lines() {
            if !done && R::parse(line).is_some_and(|r| r.name() == rec.name()) {
                out.push_str(&rec.to_line());
                done = true;
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
        if !done {
            out.push_str(&rec.to_line());
            out.push('\n');
        }
        out
    }
}

/// The uid (or gid) a new account gets: one past the highest at or above 1000
/// (ordinary users start at 1000; lower ids are the system's).
pub fn next_id(taken: impl IntoIterator<Item = u32>) -> u32 {
    taken
        .into_iter()
        .filter(|&id| (1000..60000).contains(&id))
        .max()
        .map_or(1000, |m| m + 1)
}

/// The names of the groups `user` (primary group `gid`) is in, primary first: what
/// `id`, `groups` and `login`'s `setgroups` use.
pub fn groups_of(groups: &[Group], user: &str, gid: u32) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = Vec::new();
    if let Some(g) = groups.iter().find(|g| g.gid == gid) {
        out.push((g.gid, g.name.clone()));
    } else {
        out.push((gid, gid.to_string()));
    }
    for g in groups {
        if g.members.iter().any(|m| m == user) && !out.iter().any(|(id, _)| *id == g.gid) {
            out.push((g.gid, g.name.clone()));
        }
    }
    out
}
