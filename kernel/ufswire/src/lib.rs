//! The ufs wire protocol, version 1, for both of its sides: what the kernel's proxy
//! (`kernel/ufs`) sends a file server in user space (`ufsd`, user/bin), how the
//! server takes a request apart and puts its answer together, and how the proxy
//! checks what comes back (docs/ufsd.md has the table for server writers).
//!
//! The chapter's microkernel moves a service out of the kernel and talks to it by
//! messages; this crate is the whole contract of that talk, defined once so that
//! the two sides cannot drift apart (it depends on `abi` alone, and an edit here
//! rebuilds the proxy and the server only). A request is a 48-byte header and bytes
//! (names, data); an answer is a 16-byte header and bytes. Every number is
//! little-endian. Nothing a server sends is trusted: [`Reply::parse`] and the
//! `decode_*` functions refuse every answer that is short, of another version,
//! carries an errno the ABI does not know, or a payload of the wrong size, and the
//! proxy turns each refusal into `EIO`. A server is no more trusting:
//! [`Received::parse`] refuses bytes that are not a request.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use abi::{Errno, Stat};
use alloc::vec::Vec;

/// The protocol's version: the first field of every request and answer.
pub const VERSION: u16 = 1;
/// Bytes of a request's header.
pub const REQ_HEADER: usize = 48;
/// Bytes of an answer's header.
pub const REPLY_HEADER: usize = 16;
/// The most bytes an answer may carry after its header (a port message is 4 KiB).
pub const REPLY_DATA_MAX: usize = abi::flags::PORT_MSG_MAX - REPLY_HEADER;
/// Bytes of an encoded attribute block ([`encode_attr`]).
pub const ATTR_LEN: usize = 48;
/// Server inode numbers are below this (the proxy keeps the bits above for the
/// connection's generation).
pub const INO_LIMIT: u64 = 1 << 40;

/// The operations (the header's `op`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Op {
    Lookup = 1,
    Getattr = 2,
    Read = 3,
    Write = 4,
    Create = 5,
    Mkdir = 6,
    Unlink = 7,
    Rmdir = 8,
    Rename = 9,
    Readdir = 10,
    Truncate = 11,
    Setattr = 12,
    Symlink = 13,
    Readlink = 14,
    Link = 15,
    Statfs = 16,
    /// Only in front of another request (no answer): `len` more holds on `ino`.
    Pin = 17,
    /// Only in front of another request: `len` holds on `ino` let go.
    Unpin = 18,
}

/// The operations as the header's numbers (for a server's `match`).
pub const LOOKUP: u16 = Op::Lookup as u16;
pub const GETATTR: u16 = Op::Getattr as u16;
pub const READ: u16 = Op::Read as u16;
pub const WRITE: u16 = Op::Write as u16;
pub const CREATE: u16 = Op::Create as u16;
pub const MKDIR: u16 = Op::Mkdir as u16;
pub const UNLINK: u16 = Op::Unlink as u16;
pub const RMDIR: u16 = Op::Rmdir as u16;
pub const RENAME: u16 = Op::Rename as u16;
pub const READDIR: u16 = Op::Readdir as u16;
pub const TRUNCATE: u16 = Op::Truncate as u16;
pub const SETATTR: u16 = Op::Setattr as u16;
pub const SYMLINK: u16 = Op::Symlink as u16;
pub const READLINK: u16 = Op::Readlink as u16;
pub const LINK: u16 = Op::Link as u16;
pub const STATFS: u16 = Op::Statfs as u16;
pub const PIN: u16 = Op::Pin as u16;
pub const UNPIN: u16 = Op::Unpin as u16;

/// `Setattr`'s `len` bits: which fields to change.
pub const SET_MODE: u32 = 1;
pub const SET_UID: u32 = 2;
pub const SET_GID: u32 = 4;
pub const SET_ATIME: u32 = 8;
pub const SET_MTIME: u32 = 16;

/// A request's header fields (the bytes after it are `name` then `rest`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Request {
    pub op: u16,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub ino: u64,
    pub ino2: u64,
    pub off: u64,
    pub len: u32,
}

impl Request {
    pub fn new(op: Op) -> Request {
        Request {
            op: op as u16,
            ..Request::default()
        }
    }

    /// The message: header, `name`, `rest`.
    pub fn encode(&self, name: &[u8], rest: &[u8]) -> Vec<u8> {
        let mut b = Vec::with_capacity(REQ_HEADER + name.len() + rest.len());
        b.extend_from_slice(&VERSION.to_le_bytes());
        b.extend_from_slice(&self.op.to_le_bytes());
        b.extend_from_slice(&self.uid.to_le_bytes());
        b.extend_from_slice(&self.gid.to_le_bytes());
        b.extend_from_slice(&self.mode.to_le_bytes());
        b.extend_from_slice(&self.ino.to_le_bytes());
        b.extend_from_slice(&self.ino2.to_le_bytes());
        b.extend_from_slice(&self.off.to_le_bytes());
        b.extend_from_slice(&self.len.to_le_bytes());
        b.extend_from_slice(&(name.len() as u32).to_le_bytes());
        b.extend_from_slice(name);
        b.extend_from_slice(rest);
        b
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// A request as the server receives it: its header's fields, `name` (the header's
/// `namelen` bytes after it) and `rest` (the bytes after the name: a second name,
/// data, a link's target).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received<'a> {
    pub op: u16,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub ino: u64,
    pub ino2: u64,
    pub off: u64,
    pub len: u32,
    pub name: &'a [u8],
    pub rest: &'a [u8],
}

impl<'a> Received<'a> {
    /// `None` for bytes that are not a version-1 request.
    pub fn parse(b: &'a [u8]) -> Option<Received<'a>> {
        if b.len() < REQ_HEADER || u16_at(b, 0) != VERSION {
            return None;
        }
        let namelen = u32_at(b, 44) as usize;
        if namelen > b.len() - REQ_HEADER {
            return None;
        }
        let (name, rest) = b[REQ_HEADER..].split_at(namelen);
        Some(Received {
            op: u16_at(b, 2),
            uid: u32_at(b, 4),
            gid: u32_at(b, 8),
            mode: u32_at(b, 12),
            ino: u64_at(b, 16),
            ino2: u64_at(b, 24),
            off: u64_at(b, 32),
            len: u32_at(b, 40),
            name,
            rest,
        })
    }
}

/// A checked answer: the server's errno, or its value and bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply<'a> {
    pub value: u64,
    pub data: &'a [u8],
}

impl<'a> Reply<'a> {
    /// Check an answer's header: `Ok(Err(e))` is the server's own error `e`; `Err(EIO)`
    /// an answer that breaks the protocol.
    pub fn parse(b: &'a [u8]) -> Result<Result<Reply<'a>, Errno>, Errno> {
        if b.len() < REPLY_HEADER || u16_at(b, 0) != VERSION || u16_at(b, 2) != 0 {
            return Err(Errno::EIO);
        }
        let status = u32_at(b, 4);
        let value = u64_at(b, 8);
        if status != 0 {
            // Only errors a file system may give, and no payload with one.
            let e = i32::try_from(status)
                .ok()
                .and_then(Errno::from_code)
                .ok_or(Errno::EIO)?;
            if b.len() != REPLY_HEADER || !server_errno(e) {
                return Err(Errno::EIO);
            }
            return Ok(Err(e));
        }
        Ok(Ok(Reply {
            value,
            data: &b[REPLY_HEADER..],
        }))
    }
}

/// The errors a server may answer with: those a file system's calls give. Anything
/// else (EINTR, EAGAIN, ECONNRESET...) would mean something else to the caller.
fn server_errno(e: Errno) -> bool {
    use Errno::*;
    matches!(
        e,
        EPERM
            | ENOENT
            | EIO
            | EACCES
            | EEXIST
            | ENOTDIR
            | EISDIR
            | EINVAL
            | EFBIG
            | ENOSPC
            | EROFS
            | EMLINK
            | ENAMETOOLONG
            | ENOTEMPTY
            | ELOOP
            | EXDEV
            | ENOMEM
    )
}

/// An answer, into `out` (emptied first: a server keeps one buffer): `VERSION`,
/// status (0, then `value` and `data`, or an errno), value, data.
pub fn reply(out: &mut Vec<u8>, status: u32, value: u64, data: &[u8]) {
    out.clear();
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&status.to_le_bytes());
    out.extend_from_slice(&value.to_le_bytes());
    out.extend_from_slice(data);
}

/// An answer's bytes, in a new buffer ([`reply`]).
pub fn encode_reply(status: u32, value: u64, data: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(REPLY_HEADER + data.len());
    reply(&mut b, status, value, data);
    b
}

/// A server's inode number as an answer gives it: not 0, below [`INO_LIMIT`].
pub fn check_ino(ino: u64) -> Result<u64, Errno> {
    if ino == 0 || ino >= INO_LIMIT {
        Err(Errno::EIO)
    } else {
        Ok(ino)
    }
}

/// Attributes in 48 bytes: mode, nlink, uid, gid (u32 each), size, atime, mtime,
/// ctime (64 bits each).
pub fn encode_attr(st: &Stat) -> [u8; ATTR_LEN] {
    let times = [st.atime, st.mtime, st.ctime];
    attr(st.mode, st.nlink, st.uid, st.gid, st.size, times)
}

/// The same from the fields a server keeps: mode, nlink, uid, gid, size, and the
/// access, modification and change times.
pub fn attr(mode: u32, nlink: u32, uid: u32, gid: u32, size: u64, times: [i64; 3]) -> [u8; 48] {
    let mut b = [0; ATTR_LEN];
    b[0..4].copy_from_slice(&mode.to_le_bytes());
    b[4..8].copy_from_slice(&nlink.to_le_bytes());
    b[8..12].copy_from_slice(&uid.to_le_bytes());
    b[12..16].copy_from_slice(&gid.to_le_bytes());
    b[16..24].copy_from_slice(&size.to_le_bytes());
    for (i, t) in times.iter().enumerate() {
        b[24 + i * 8..32 + i * 8].copy_from_slice(&t.to_le_bytes());
    }
    b
}

/// The attributes of a `Getattr` answer, for inode `ino`: exactly [`ATTR_LEN`] bytes,
/// a regular file, directory or symlink (no links: one that is open and has no name
/// left).
pub fn decode_attr(ino: u64, b: &[u8]) -> Result<Stat, Errno> {
    use abi::flags::*;
    if b.len() != ATTR_LEN {
        return Err(Errno::EIO);
    }
    let mode = u32_at(b, 0);
    if mode & !(S_IFMT | 0o7777) != 0 || !matches!(mode & S_IFMT, S_IFREG | S_IFDIR | S_IFLNK) {
        return Err(Errno::EIO);
    }
    let nlink = u32_at(b, 4);
    let size = u64_at(b, 16);
    if size > i64::MAX as u64 {
        return Err(Errno::EIO);
    }
    Ok(Stat {
        dev: 0,
        ino,
        mode,
        nlink,
        uid: u32_at(b, 8),
        gid: u32_at(b, 12),
        rdev: 0,
        size,
        blksize: 4096,
        blocks: size.div_ceil(512),
        atime: u64_at(b, 24) as i64,
        mtime: u64_at(b, 32) as i64,
        ctime: u64_at(b, 40) as i64,
    })
}

/// One decoded directory entry: the position after it, inode, `DT_*` type, name.
pub type Dirent<'a> = (u64, u64, u8, &'a [u8]);

/// A `Readdir` answer: `count` entries (the answer's value), each the position after
/// it (u64), inode (u64), `DT_*` type (u8), name length (u8) and name, and nothing
/// after the last. Positions must grow from `pos` on (a server cannot make `getdents`
/// loop); names must be one component (`.` and `..` allowed), types a regular file,
/// directory or symlink. Each entry as (position after it, inode, type, name).
pub fn decode_dirents(pos: u64, count: u64, b: &[u8]) -> Result<Vec<Dirent<'_>>, Errno> {
    use abi::flags::*;
    let mut out = Vec::new();
    let mut at = 0;
    let mut last = pos;
    while at < b.len() {
        if b.len() - at < 18 {
            return Err(Errno::EIO);
        }
        let next = u64_at(b, at);
        let ino = check_ino(u64_at(b, at + 8))?;
        let kind = b[at + 16];
        let len = b[at + 17] as usize;
        let name = b.get(at + 18..at + 18 + len).ok_or(Errno::EIO)?;
        if next <= last
            || !matches!(kind, DT_REG | DT_DIR | DT_LNK)
            || !(vfs_name_ok(name) || name == b"." || name == b"..")
        {
            return Err(Errno::EIO);
        }
        out.push((next, ino, kind, name));
        last = next;
        at += 18 + len;
    }
    if out.len() as u64 != count {
        return Err(Errno::EIO);
    }
    Ok(out)
}

/// One entry of a `Readdir` answer (what a server sends; the host tests use it).
pub fn encode_dirent(out: &mut Vec<u8>, next: u64, ino: u64, kind: u8, name: &[u8]) {
    out.extend_from_slice(&next.to_le_bytes());
    out.extend_from_slice(&ino.to_le_bytes());
    out.push(kind);
    out.push(name.len() as u8);
    out.extend_from_slice(name);
}

/// A new name's rules (`vfs::check_name`): 1-255 bytes, no `/` or NUL, not a dot name.
fn vfs_name_ok(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.contains(&b'/')
        && !name.contains(&0)
        && name != b"."
        && name != b".."
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::flags::*;

    #[test]
    fn a_good_answer_and_a_server_error_parse() {
        let ok = encode_reply(0, 7, b"abc");
        assert_eq!(
            Reply::parse(&ok),
            Ok(Ok(Reply {
                value: 7,
                data: b"abc"
            }))
        );
        let err = encode_reply(Errno::ENOENT.code() as u32, 0, b"");
        assert_eq!(Reply::parse(&err), Ok(Err(Errno::ENOENT)));
    }

    #[test]
    fn broken_answers_are_refused() {
        // Short, another version, an unknown errno, an errno a file system never
        // gives, an error with bytes after it, a non-zero pad.
        assert_eq!(Reply::parse(b"short"), Err(Errno::EIO));
        let mut v2 = encode_reply(0, 0, b"");
        v2[0] = 2;
        assert_eq!(Reply::parse(&v2), Err(Errno::EIO));
        assert_eq!(Reply::parse(&encode_reply(9999, 0, b"")), Err(Errno::EIO));
        let eintr = encode_reply(Errno::EINTR.code() as u32, 0, b"");
        assert_eq!(Reply::parse(&eintr), Err(Errno::EIO));
        let tail = encode_reply(Errno::ENOENT.code() as u32, 0, b"x");
        assert_eq!(Reply::parse(&tail), Err(Errno::EIO));
        let mut pad = encode_reply(0, 0, b"");
        pad[3] = 1;
        assert_eq!(Reply::parse(&pad), Err(Errno::EIO));
    }

    #[test]
    fn attributes_round_trip_and_bad_ones_are_refused() {
        let st = Stat {
            dev: 0,
            ino: 5,
            mode: S_IFREG | 0o644,
            nlink: 1,
            uid: 3,
            gid: 4,
            rdev: 0,
            size: 1000,
            blksize: 4096,
            blocks: 2,
            atime: 10,
            mtime: 11,
            ctime: 12,
        };
        assert_eq!(decode_attr(5, &encode_attr(&st)), Ok(st));
        let mut dev = st;
        dev.mode = S_IFCHR | 0o666;
        assert_eq!(decode_attr(5, &encode_attr(&dev)), Err(Errno::EIO));
        let mut bits = st;
        bits.mode = S_IFREG | 0o644 | 0o100_0000;
        assert_eq!(decode_attr(5, &encode_attr(&bits)), Err(Errno::EIO));
        assert_eq!(decode_attr(5, &encode_attr(&st)[..40]), Err(Errno::EIO));
    }

    #[test]
    fn directory_entries_must_be_one_component_and_move_forward() {
        let mut e = Vec::new();
        encode_dirent(&mut e, 3, 9, DT_REG, b"name");
        encode_dirent(&mut e, 5, 10, DT_DIR, b"sub");
        assert_eq!(
            decode_dirents(2, 2, &e),
            Ok(alloc::vec![
                (3, 9, DT_REG, &b"name"[..]),
                (5, 10, DT_DIR, &b"sub"[..])
            ])
        );
        // The wrong count, a position that does not move on, a truncated entry.
        assert_eq!(decode_dirents(2, 1, &e), Err(Errno::EIO));
        assert_eq!(decode_dirents(3, 2, &e), Err(Errno::EIO));
        assert_eq!(decode_dirents(2, 2, &e[..e.len() - 1]), Err(Errno::EIO));
        for bad in [&b"a/b"[..], b"", b"a\0"] {
            let mut b = Vec::new();
            encode_dirent(&mut b, 3, 9, DT_REG, bad);
            assert_eq!(decode_dirents(2, 1, &b), Err(Errno::EIO));
        }
        let mut zero = Vec::new();
        encode_dirent(&mut zero, 3, 0, DT_REG, b"a");
        assert_eq!(decode_dirents(2, 1, &zero), Err(Errno::EIO));
        let mut dev = Vec::new();
        encode_dirent(&mut dev, 3, 9, DT_CHR, b"a");
        assert_eq!(decode_dirents(2, 1, &dev), Err(Errno::EIO));
    }

    #[test]
    fn requests_have_the_documented_layout() {
        let mut r = Request::new(Op::Rename);
        r.ino = 2;
        r.ino2 = 3;
        let b = r.encode(b"old", b"new");
        assert_eq!(b.len(), REQ_HEADER + 6);
        assert_eq!(u16_at(&b, 0), VERSION);
        assert_eq!(u16_at(&b, 2), Op::Rename as u16);
        assert_eq!(u64_at(&b, 16), 2);
        assert_eq!(u64_at(&b, 24), 3);
        assert_eq!(u32_at(&b, 44), 3);
        assert_eq!(&b[REQ_HEADER..], b"oldnew");
    }

    #[test]
    fn the_server_reads_what_the_proxy_writes() {
        let mut r = Request::new(Op::Create);
        r.ino = 7;
        r.mode = 0o644;
        r.uid = 1000;
        r.gid = 100;
        let b = r.encode(b"new", b"data");
        let got = Received::parse(&b).expect("a request");
        assert_eq!((got.op, got.ino, got.mode), (CREATE, 7, 0o644));
        assert_eq!((got.uid, got.gid), (1000, 100));
        assert_eq!((got.name, got.rest), (&b"new"[..], &b"data"[..]));
        // Short, another version, a name longer than the bytes.
        assert_eq!(Received::parse(&b[..REQ_HEADER - 1]), None);
        let mut v2 = b.clone();
        v2[0] = 2;
        assert_eq!(Received::parse(&v2), None);
        let mut long = b.clone();
        long[44] = 200;
        assert_eq!(Received::parse(&long), None);
        // The server's answer buffer is reused: each answer starts it again.
        let mut out = alloc::vec![1, 2, 3];
        reply(&mut out, 0, 9, b"x");
        assert_eq!(out, encode_reply(0, 9, b"x"));
    }
}
