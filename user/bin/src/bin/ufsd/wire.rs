//! The ufs wire protocol, version 1, from the server's side: a request's header
//! taken apart, an answer put together. The kernel's side (and the reference) is
//! `kernel/ufs/src/wire.rs`; docs/ufsd.md has the table. The two copies must change
//! together, with the version.

use alloc::vec::Vec;

pub const VERSION: u16 = 1;
pub const REQ_HEADER: usize = 48;
pub const REPLY_HEADER: usize = 16;
/// The most bytes an answer carries after its header (a port message is 4 KiB).
pub const REPLY_DATA_MAX: usize = ulib::port::MSG_MAX - REPLY_HEADER;

pub const LOOKUP: u16 = 1;
pub const GETATTR: u16 = 2;
pub const READ: u16 = 3;
pub const WRITE: u16 = 4;
pub const CREATE: u16 = 5;
pub const MKDIR: u16 = 6;
pub const UNLINK: u16 = 7;
pub const RMDIR: u16 = 8;
pub const RENAME: u16 = 9;
pub const READDIR: u16 = 10;
pub const TRUNCATE: u16 = 11;
pub const SETATTR: u16 = 12;
pub const SYMLINK: u16 = 13;
pub const READLINK: u16 = 14;
pub const LINK: u16 = 15;
pub const STATFS: u16 = 16;
/// Records in front of a request: `len` holds taken / given back on `ino`.
pub const PIN: u16 = 17;
pub const UNPIN: u16 = 18;

pub const SET_MODE: u32 = 1;
pub const SET_UID: u32 = 2;
pub const SET_GID: u32 = 4;
pub const SET_ATIME: u32 = 8;
pub const SET_MTIME: u32 = 16;

/// A request: its header's fields, `name` (the header's `namelen` bytes after it)
/// and `rest` (the bytes after the name: a second name, data, a link's target).
pub struct Request<'a> {
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

impl<'a> Request<'a> {
    /// `None` for bytes that are not a version-1 request.
    pub fn parse(b: &'a [u8]) -> Option<Request<'a>> {
        if b.len() < REQ_HEADER || u16_at(b, 0) != VERSION {
            return None;
        }
        let namelen = u32_at(b, 44) as usize;
        if namelen > b.len() - REQ_HEADER {
            return None;
        }
        let (name, rest) = b[REQ_HEADER..].split_at(namelen);
        Some(Request {
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

/// An answer: `status` 0 (then `value` and `data`) or an errno.
pub fn reply(out: &mut Vec<u8>, status: u32, value: u64, data: &[u8]) {
    out.clear();
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&status.to_le_bytes());
    out.extend_from_slice(&value.to_le_bytes());
    out.extend_from_slice(data);
}

/// The 48-byte attribute block of a `Getattr` answer.
#[allow(clippy::too_many_arguments)]
pub fn attr(mode: u32, nlink: u32, uid: u32, gid: u32, size: u64, times: [i64; 3]) -> [u8; 48] {
    let mut b = [0; 48];
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
