//! Directory listing (chapter 2, file management): the kernel's packed `getdents`
//! records, parsed by the pure [`parse_dirents`] (tested on the host), and the [`ReadDir`]
//! iterator that, like `std`, leaves out `.` and `..`.
//!
//! A listing is often followed by an `lstat` of every entry (`ls -l`), so the
//! per-entry work is kept to the name itself: the entries share one copy of the
//! directory's path (an `Rc`), and [`DirEntry::metadata`] joins path and name in a
//! buffer on the stack instead of a new `String` when they fit.

use super::{symlink_metadata, File, Metadata, OpenOptions};
use crate::{sys, Errno, Result};
use abi::flags::*;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

/// `DirEntry::metadata` joins path and name on the stack up to this length.
const STACK_PATH: usize = 256;

/// One raw directory record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDirent {
    pub ino: u64,
    /// `DT_*`.
    pub kind: u8,
    pub name: String,
}

/// Parse a `getdents` buffer: `u64 ino, u16 reclen, u8 type, u8 namelen, name`, each
/// record padded to 8 bytes. Stops at the first malformed record.
pub fn parse_dirents(buf: &[u8]) -> Vec<RawDirent> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + abi::DIRENT_HEADER <= buf.len() {
        let h = &buf[at..at + abi::DIRENT_HEADER];
        let ino = u64::from_le_bytes(h[0..8].try_into().unwrap_or([0; 8]));
        let reclen = u16::from_le_bytes([h[8], h[9]]) as usize;
        let kind = h[10];
        let namelen = h[11] as usize;
        let name_end = at + abi::DIRENT_HEADER + namelen;
        if reclen < abi::DIRENT_HEADER + namelen || at + reclen > buf.len() {
            break;
        }
        let name = String::from_utf8_lossy(&buf[at + abi::DIRENT_HEADER..name_end]).into_owned();
        out.push(RawDirent { ino, kind, name });
        at += reclen;
    }
    out
}

/// One entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    dir: Rc<str>,
    raw: RawDirent,
}

impl DirEntry {
    pub fn file_name(&self) -> &str {
        &self.raw.name
    }
    /// The directory's path joined with the name.
    pub fn path(&self) -> String {
        join(&self.dir, &self.raw.name)
    }
    pub fn ino(&self) -> u64 {
        self.raw.ino
    }
    /// The `DT_*` type the directory records.
    pub fn file_type(&self) -> u8 {
        self.raw.kind
    }
    /// Status of the entry itself (`lstat`).
    pub fn metadata(&self) -> Result<Metadata> {
        let mut buf = [0u8; STACK_PATH];
        let path = match join_into(&self.dir, &self.raw.name, &mut buf) {
            Some(p) => p,
            None => return symlink_metadata(&self.path()),
        };
        symlink_metadata(path)
    }
}

/// `dir/name`, without doubling a slash.
pub fn join(dir: &str, name: &str) -> String {
    let mut p = String::from(dir);
    if !p.ends_with('/') && !p.is_empty() {
        p.push('/');
    }
    p.push_str(name);
    p
}

/// [`join`] into `buf`, or `None` when it does not fit.
fn join_into<'b>(dir: &str, name: &str, buf: &'b mut [u8]) -> Option<&'b str> {
    let (dir, name) = (dir.as_bytes(), name.as_bytes());
    let slash = !dir.is_empty() && !dir.ends_with(b"/");
    let len = dir.len() + usize::from(slash) + name.len();
    let out = buf.get_mut(..len)?;
    out[..dir.len()].copy_from_slice(dir);
    if slash {
        out[dir.len()] = b'/';
    }
    out[len - name.len()..].copy_from_slice(name);
    // Both halves are UTF-8 and meet at a character boundary: this cannot fail.
    core::str::from_utf8(out).ok()
}

/// Iterator over a directory's entries (without `.` and `..`).
pub struct ReadDir {
    dir: Rc<str>,
    file: File,
    pending: alloc::collections::VecDeque<RawDirent>,
    done: bool,
}

/// List the directory `path`.
pub fn read_dir(path: &str) -> Result<ReadDir> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(O_DIRECTORY)
        .open(path)?;
    Ok(ReadDir {
        dir: Rc::from(path),
        file,
        pending: Default::default(),
        done: false,
    })
}

impl Iterator for ReadDir {
    type Item = Result<DirEntry>;
    fn next(&mut self) -> Option<Result<DirEntry>> {
        loop {
            if let Some(raw) = self.pending.pop_front() {
                if raw.name == "." || raw.name == ".." {
                    continue;
                }
                return Some(Ok(DirEntry {
                    dir: Rc::clone(&self.dir),
                    raw,
                }));
            }
            if self.done {
                return None;
            }
            let mut buf = [0u8; 2048];
            match sys::getdents(self.file.as_raw_fd(), &mut buf) {
                Ok(0) => self.done = true,
                Ok(n) => {
                    let recs = parse_dirents(&buf[..n.min(buf.len())]);
                    if recs.is_empty() {
                        self.done = true; // malformed: stop rather than loop
                    }
                    self.pending.extend(recs);
                }
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ino: u64, kind: u8, name: &str) -> Vec<u8> {
        let len = (abi::DIRENT_HEADER + name.len()).div_ceil(8) * 8;
        let mut r = Vec::new();
        r.extend_from_slice(&ino.to_le_bytes());
        r.extend_from_slice(&(len as u16).to_le_bytes());
        r.push(kind);
        r.push(name.len() as u8);
        r.extend_from_slice(name.as_bytes());
        r.resize(len, 0);
        r
    }

    #[test]
    fn dirent_records_are_parsed_with_their_padding() {
        let mut buf = record(2, DT_DIR, ".");
        buf.extend(record(11, DT_REG, "hello.txt"));
        buf.extend(record(12, DT_LNK, "a-rather-long-name"));
        let names: Vec<_> = parse_dirents(&buf)
            .into_iter()
            .map(|d| (d.ino, d.kind, d.name))
            .collect();
        assert_eq!(
            names,
            [
                (2, DT_DIR, ".".into()),
                (11, DT_REG, "hello.txt".into()),
                (12, DT_LNK, "a-rather-long-name".into())
            ]
        );
    }

    #[test]
    fn a_truncated_record_ends_the_parse() {
        let mut buf = record(5, DT_REG, "ok");
        buf.extend(record(6, DT_REG, "cut-short"));
        buf.truncate(buf.len() - 4);
        assert_eq!(parse_dirents(&buf).len(), 1);
    }

    #[test]
    fn join_into_the_stack_buffer_is_join_or_nothing() {
        let mut buf = [0u8; 8];
        for (d, n) in [
            ("/", "bin"),
            ("/etc", "rc"),
            ("a/", "b"),
            ("", "x"),
            ("/é", "ü"),
        ] {
            assert_eq!(join_into(d, n, &mut buf), Some(join(d, n).as_str()));
        }
        assert_eq!(join_into("/long/dir", "name", &mut buf), None);
    }

    #[test]
    fn join_adds_one_slash() {
        assert_eq!(join("/", "bin"), "/bin");
        assert_eq!(join("/etc", "rc"), "/etc/rc");
        assert_eq!(join("a/", "b"), "a/b");
    }
}
