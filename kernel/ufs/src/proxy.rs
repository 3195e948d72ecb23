//! [`Proxy`]: the VFS's [`FileSystem`] calls made into messages to a server in user
//! space, and its answers checked (chapter 2 section 7, "microkernels").
//!
//! Every method but `pin`, `unpin` and `sync` is one call on the server's port
//! ([`Link::call`]); `read` is one call per 4080 bytes (an answer is at most a port
//! message), `write` one per 4 KiB. The calls run under the VFS lock like every file
//! system's (the VFS is one lock), so a server that does not answer would stop every
//! file operation: each call gives up after [`CALL_TIMEOUT_NS`] (EIO), and a server
//! that died fails its calls at once (the port's ECONNRESET, EPIPE: EIO).
//!
//! Inode numbers: the server's own, below 2^40, with the connection's *generation*
//! in the bits above (the root is 1 in every generation). A server started again
//! gets a new generation, so the numbers of the old tree, still held by open files,
//! the name cache and the page cache, name nothing in the new one (EIO) instead of
//! another file; and from the second generation on the VFS no longer trusts its
//! name cache for this mount (`names_are_stable`), asking the server at every step.

use crate::wire::{self, Op, Reply, Request, REPLY_DATA_MAX, REQ_HEADER};
use crate::Link;
use abi::flags::*;
use abi::{Errno, Stat};
use alloc::sync::Arc;
use alloc::vec::Vec;
use vfs::{DirEntry, FileSystem, FsStat, NodeKind, Result};

/// How long one call may wait for its answer: 3 s.
pub const CALL_TIMEOUT_NS: u64 = 3_000_000_000;
/// The root's inode number, on both sides.
const ROOT: u64 = 1;
/// The most bytes one `Write` request carries.
const WRITE_CHUNK: usize = 4096;

/// One ufs mount.
pub struct Proxy {
    pub(crate) link: Arc<Link>,
}

impl Proxy {
    /// The server's number for the proxy's `ino`: EIO for a number of an older
    /// generation (a server that was started again no longer has that node).
    fn server_ino(&self, ino: u64) -> Result<u64> {
        if ino == ROOT {
            return Ok(ROOT);
        }
        if ino >> 40 != self.link.generation() {
            return Err(Errno::EIO);
        }
        Ok(ino & (wire::INO_LIMIT - 1))
    }

    /// The proxy's number for the server's `ino` (checked).
    fn proxy_ino(&self, ino: u64) -> Result<u64> {
        let ino = wire::check_ino(ino)?;
        if ino == ROOT {
            return Ok(ROOT);
        }
        Ok(self.link.generation() << 40 | ino)
    }

    /// One call: the answer's value and bytes, or the server's error.
    fn call<R>(
        &self,
        req: Request,
        name: &[u8],
        rest: &[u8],
        answer: impl FnOnce(Reply) -> Result<R>,
    ) -> Result<R> {
        let bytes = self.link.call(req.encode(name, rest))?;
        match Reply::parse(&bytes)? {
            Ok(r) => answer(r),
            Err(e) => Err(e),
        }
    }

    /// A call answered by an inode number (lookup, create, mkdir, symlink).
    fn call_ino(&self, req: Request, name: &[u8], rest: &[u8]) -> Result<u64> {
        self.call(req, name, rest, |r| {
            if !r.data.is_empty() {
                return Err(Errno::EIO);
            }
            self.proxy_ino(r.value)
        })
    }

    /// A call answered by nothing but success.
    fn call_unit(&self, req: Request, name: &[u8], rest: &[u8]) -> Result<()> {
        self.call(req, name, rest, |r| {
            if r.data.is_empty() && r.value == 0 {
                Ok(())
            } else {
                Err(Errno::EIO)
            }
        })
    }

    fn on(&self, op: Op, ino: u64) -> Result<Request> {
        let mut r = Request::new(op);
        r.ino = self.server_ino(ino)?;
        Ok(r)
    }

    fn making(&self, op: Op, dir: u64, perm: u32, uid: u32, gid: u32) -> Result<Request> {
        let mut r = self.on(op, dir)?;
        r.mode = perm & 0o7777;
        r.uid = uid;
        r.gid = gid;
        Ok(r)
    }
}

impl FileSystem for Proxy {
    fn name(&self) -> &str {
        "ufs"
    }

    fn read_only(&self) -> bool {
        false
    }

    fn root(&self) -> u64 {
        ROOT
    }

    fn lookup(&mut self, dir: u64, name: &[u8]) -> Result<u64> {
        let r = self.on(Op::Lookup, dir)?;
        self.call_ino(r, name, b"")
    }

    fn create(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64> {
        vfs_check(name)?;
        let r = self.making(Op::Create, dir, perm, uid, gid)?;
        self.call_ino(r, name, b"")
    }

    fn mkdir(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64> {
        vfs_check(name)?;
        let r = self.making(Op::Mkdir, dir, perm, uid, gid)?;
        self.call_ino(r, name, b"")
    }

    fn symlink(&mut self, dir: u64, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<u64> {
        vfs_check(name)?;
        if target.len() > REPLY_DATA_MAX || target.is_empty() {
            return Err(Errno::ENAMETOOLONG);
        }
        let r = self.making(Op::Symlink, dir, 0o777, uid, gid)?;
        self.call_ino(r, name, target)
    }

    fn link(&mut self, ino: u64, dir: u64, name: &[u8]) -> Result<()> {
        vfs_check(name)?;
        let mut r = self.on(Op::Link, ino)?;
        r.ino2 = self.server_ino(dir)?;
        self.call_unit(r, name, b"")
    }

    fn unlink(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        let r = self.on(Op::Unlink, dir)?;
        self.call_unit(r, name, b"")
    }

    fn rmdir(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        let r = self.on(Op::Rmdir, dir)?;
        self.call_unit(r, name, b"")
    }

    fn rename(&mut self, odir: u64, oname: &[u8], ndir: u64, nname: &[u8]) -> Result<()> {
        vfs_check(nname)?;
        let mut r = self.on(Op::Rename, odir)?;
        r.ino2 = self.server_ino(ndir)?;
        self.call_unit(r, oname, nname)
    }

    fn readlink(&mut self, ino: u64) -> Result<Vec<u8>> {
        let r = self.on(Op::Readlink, ino)?;
        self.call(r, b"", b"", |r| {
            if r.data.is_empty() || r.data.contains(&0) {
                return Err(Errno::EIO);
            }
            Ok(Vec::from(r.data))
        })
    }

    fn read(&mut self, ino: u64, off: u64, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let want = (buf.len() - done).min(REPLY_DATA_MAX);
            let mut r = self.on(Op::Read, ino)?;
            r.off = off + done as u64;
            r.len = want as u32;
            let got = self.call(r, b"", b"", |r| {
                if r.data.len() > want || r.value != r.data.len() as u64 {
                    return Err(Errno::EIO);
                }
                buf[done..done + r.data.len()].copy_from_slice(r.data);
                Ok(r.data.len())
            })?;
            done += got;
            if got < want {
                break; // the end of the file
            }
        }
        Ok(done)
    }

    fn write(&mut self, ino: u64, off: u64, data: &[u8]) -> Result<usize> {
        let mut done = 0;
        while done < data.len() {
            let piece = &data[done..data.len().min(done + WRITE_CHUNK)];
            let mut r = self.on(Op::Write, ino)?;
            r.off = off + done as u64;
            r.len = piece.len() as u32;
            let n = match self.call(r, b"", piece, |r| {
                if !r.data.is_empty() || r.value > piece.len() as u64 {
                    return Err(Errno::EIO);
                }
                Ok(r.value as usize)
            }) {
                Ok(n) => n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break, // what was written stays written
            };
            done += n;
            if n < piece.len() {
                break;
            }
        }
        Ok(done)
    }

    fn truncate(&mut self, ino: u64, size: u64) -> Result<()> {
        let mut r = self.on(Op::Truncate, ino)?;
        r.off = size;
        self.call_unit(r, b"", b"")
    }

    fn stat(&mut self, ino: u64) -> Result<Stat> {
        let r = self.on(Op::Getattr, ino)?;
        self.call(r, b"", b"", |r| {
            if r.value != 0 {
                return Err(Errno::EIO);
            }
            let st = wire::decode_attr(ino, r.data)?;
            // The root is a directory whatever the server says.
            if ino == ROOT && st.mode & S_IFMT != S_IFDIR {
                return Err(Errno::EIO);
            }
            Ok(st)
        })
    }

    fn read_dir_at(&mut self, dir: u64, pos: u64) -> Result<Option<(DirEntry, u64)>> {
        let mut r = self.on(Op::Readdir, dir)?;
        r.off = pos;
        self.call(r, b"", b"", |r| {
            if r.data.is_empty() {
                return if r.value == 0 {
                    Ok(None)
                } else {
                    Err(Errno::EIO)
                };
            }
            let (ino, kind, name) = wire::decode_dirent(r.data)?;
            // Positions only go forward: a server cannot make getdents loop.
            if r.value <= pos {
                return Err(Errno::EIO);
            }
            let kind = match kind {
                DT_DIR => NodeKind::Directory,
                DT_LNK => NodeKind::Symlink,
                _ => NodeKind::Regular,
            };
            let entry = DirEntry {
                ino: self.proxy_ino(ino)?,
                name: Vec::from(name),
                kind,
            };
            Ok(Some((entry, r.value)))
        })
    }

    fn statfs(&mut self) -> FsStat {
        let mut st = FsStat {
            block_size: 4096,
            name_max: 255,
            ..FsStat::default()
        };
        let _ = self.call(Request::new(Op::Statfs), b"", b"", |r| {
            if r.data.len() != 32 {
                return Err(Errno::EIO);
            }
            let w = |i: usize| {
                let mut b = [0; 8];
                b.copy_from_slice(&r.data[i * 8..i * 8 + 8]);
                u64::from_le_bytes(b)
            };
            st.blocks = w(0);
            st.free_blocks = w(1).min(st.blocks);
            st.avail_blocks = st.free_blocks;
            st.files = w(2);
            st.free_files = w(3).min(st.files);
            Ok(())
        });
        st
    }

    /// Every change went to the server when it was made.
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }

    fn pin(&mut self, ino: u64) {
        if let Ok(r) = self.on(Op::Pin, ino) {
            self.link.notify(r.encode(b"", b""));
        }
    }

    fn unpin(&mut self, ino: u64) -> Result<()> {
        if let Ok(r) = self.on(Op::Unpin, ino) {
            self.link.notify(r.encode(b"", b""));
        }
        Ok(())
    }

    fn set_mode(&mut self, ino: u64, perm: u32) -> Result<()> {
        let mut r = self.on(Op::Setattr, ino)?;
        r.len = wire::SET_MODE;
        r.mode = perm & 0o7777;
        self.call_unit(r, b"", b"")
    }

    fn set_times(&mut self, ino: u64, atime: Option<i64>, mtime: Option<i64>) -> Result<()> {
        let mut r = self.on(Op::Setattr, ino)?;
        if let Some(a) = atime {
            r.len |= wire::SET_ATIME;
            r.off = a as u64;
        }
        if let Some(m) = mtime {
            r.len |= wire::SET_MTIME;
            r.ino2 = m as u64;
        }
        self.call_unit(r, b"", b"")
    }

    fn set_owner(&mut self, ino: u64, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        let mut r = self.on(Op::Setattr, ino)?;
        if let Some(u) = uid {
            r.len |= wire::SET_UID;
            r.uid = u;
        }
        if let Some(g) = gid {
            r.len |= wire::SET_GID;
            r.gid = g;
        }
        self.call_unit(r, b"", b"")
    }

    fn names_are_stable(&self) -> bool {
        self.link.generation() == 1
    }
}

/// A request never carries more than a message's worth of name.
fn vfs_check(name: &[u8]) -> Result<()> {
    if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    if name.len() > vfs::NAME_MAX || REQ_HEADER + name.len() > abi::flags::PORT_MSG_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}
