//! [`Proxy`]: the VFS's [`FileSystem`] calls made into messages to a server in user
//! space, and its answers checked (chapter 2 section 7, "microkernels").
//!
//! Every method but `pin`, `unpin` and `sync` is at most one call on the server's
//! port ([`Link::call`]); `read` is one call per 4080 bytes (an answer is at most a
//! port message), `write` one per 4 KiB. Holds (`pin`, `unpin`) are counted here and
//! go in front of the next call; `read_dir_at` is answered from the last `Readdir`
//! answer's entries while no request could have changed a directory. The proxy keeps
//! the attributes the server gave (every answer that changes a node carries its new
//! attributes, and its directory's), so a path walk's permission checks and the
//! VFS's size checks ask the server nothing; and it knows whole the directories it
//! made and the small files it created (`known.rs`), so a new name's lookup and a
//! small file's read ask nothing either. All of it is exact because the server's
//! tree changes only by the proxy's requests (the trait's own rule for names); an
//! answer that breaks the protocol, or none, empties it.
//!
//! The calls are made with the VFS lock held, but a call whose answer does not come
//! within 2 ms is waited for with the lock let go and its operation run again
//! (`waiting.rs`): a stalled server stops its own mount only. Each call gives up
//! after [`CALL_TIMEOUT_NS`] (EIO), and a server that died fails its calls at once
//! (the port's ECONNRESET, EPIPE: EIO).
//!
//! Inode numbers: the server's own, below 2^40, with the connection's *generation*
//! in the bits above (the root is 1 in every generation). A server started again
//! gets a new generation, so the numbers of the old tree, still held by open files,
//! the name cache and the page cache, name nothing in the new one (EIO) instead of
//! another file; and from the second generation on the VFS no longer trusts its
//! name cache for this mount (`names_are_stable`), asking the server at every step.

use crate::known::Known;
use crate::waiting::{self, fingerprint, OpLog, Pending};
use crate::wire::{self, Op, Reply, Request, ATTR_LEN, REPLY_DATA_MAX, REPLY_HEADER, REQ_HEADER};
use crate::{Link, Sent};
use abi::flags::*;
use abi::{Errno, Stat};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Arc;
use alloc::vec::Vec;
use ipc::Payload;
use proc::signal::ProcessSignals;
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
    /// Attributes by proxy inode number, as the server last gave them (docs/ufsd.md,
    /// "The attribute cache"), for generation `attrs_gen`.
    attrs: BTreeMap<u64, Stat>,
    attrs_gen: u64,
    /// Holds taken (+) and given back (-) since the last call, by server inode, for
    /// generation `attrs_gen`: sent in front of the next call's request.
    holds: BTreeMap<u64, i64>,
    /// The entries of one directory from its last `Readdir` answer: the directory,
    /// and each entry with the position it starts at and the one after it. Dropped by
    /// every request that could change a directory.
    listing: Option<Listing>,
    /// Nodes the server said it freed (an unlink's answer), so that the VFS's check
    /// after a removal ("is it gone?") asks nothing; at most [`GONE_MAX`].
    gone: BTreeSet<u64>,
    /// The answers of the running operation's calls so far, for its next run.
    log: OpLog,
    /// Directories and small files known whole (`known.rs`).
    known: Known,
}

/// A directory and its entries, each with the position it starts at and the one after.
type Listing = (u64, Vec<(u64, u64, DirEntry)>);

/// The most freed nodes remembered (then the set starts again).
const GONE_MAX: usize = 1024;

/// The most hold records one request carries in front of it.
const HOLDS_PER_CALL: usize = 64;

impl Proxy {
    pub(crate) fn new(link: Arc<Link>) -> Proxy {
        Proxy {
            link,
            attrs: BTreeMap::new(),
            attrs_gen: 0,
            holds: BTreeMap::new(),
            listing: None,
            gone: BTreeSet::new(),
            log: OpLog::default(),
            known: Known::default(),
        }
    }

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

    /// The attribute cache of the current generation.
    fn cache(&mut self) -> &mut BTreeMap<u64, Stat> {
        let g = self.link.generation();
        if self
            .link
            .dropped
            .swap(false, core::sync::atomic::Ordering::AcqRel)
        {
            self.attrs.clear();
            self.listing = None;
            self.gone.clear();
        }
        if g != self.attrs_gen {
            self.known.clear();
            self.attrs.clear();
            self.holds.clear();
            self.listing = None;
            self.gone.clear();
            self.attrs_gen = g;
        }
        &mut self.attrs
    }

    /// Keep the attributes of `ino` that an answer carried (48 bytes).
    fn keep(&mut self, ino: u64, b: &[u8]) -> Result<()> {
        let st = match wire::decode_attr(ino, b) {
            // The root is a directory whatever the server says.
            Ok(st) if ino != ROOT || st.mode & S_IFMT == S_IFDIR => st,
            _ => return self.broken(),
        };
        self.cache().insert(ino, st);
        Ok(())
    }

    /// Forget the attributes of the server's node `server_ino` (0: none).
    fn forget(&mut self, server_ino: u64) {
        if let Ok(ino) = self.proxy_ino(server_ino) {
            self.cache().remove(&ino);
        }
    }

    /// One call: the answer's value and bytes, or the server's error. An answer that
    /// breaks the protocol (or none) leaves the server's state unknown: every cached
    /// attribute is dropped. A call that outlives its first moment is waited for
    /// with the VFS let go (`waiting.rs`): it fails here (EIO, for a VFS that looks)
    /// and its operation runs again, the calls of the new run answered from `log`.
    fn call(&mut self, req: Request, name: &[u8], rest: &[u8]) -> Result<(u64, Vec<u8>)> {
        let reads = [
            Op::Lookup,
            Op::Getattr,
            Op::Read,
            Op::Readdir,
            Op::Readlink,
            Op::Statfs,
        ];
        if !reads.iter().any(|&op| op as u16 == req.op) {
            self.listing = None;
        }
        self.cache();
        if fsys::offlock::deferred() {
            // This run's answers will be thrown away: send nothing more.
            return Err(Errno::EIO);
        }
        let fp = fingerprint(&req, name, rest.len());
        let kept = req.op == Op::Lookup as u16 || req.op == Op::Getattr as u16;
        // Before the log is looked at: another operation's call in flight.
        let mine = self.busy()?;
        if let Some(r) = self.log.replay(fp) {
            return r;
        }
        let waited = match mine {
            true => self.take_answer(fp, kept),
            false => None,
        };
        let bytes = match waited {
            Some(answer) => answer,
            None => {
                let msg = self.with_holds(req.encode(name, rest));
                match self.link.call(msg, fsys::offlock::may_defer(), fp) {
                    Sent::Deferred => return Err(Errno::EIO),
                    Sent::Answer(a) => a,
                }
            }
        };
        let answer = bytes.and_then(|bytes| {
            let value = match Reply::parse(bytes.as_slice())? {
                Ok(r) => r.value,
                Err(e) => return Ok(Err(e)),
            };
            // The data without the header: the message's own buffer when it has one
            // (no second copy of the answer), else the few bytes of an inline one.
            let data = match bytes {
                Payload::Heap(mut v) => {
                    v.drain(..REPLY_HEADER);
                    v
                }
                inline => inline.as_slice()[REPLY_HEADER..].to_vec(),
            };
            Ok(Ok((value, data)))
        });
        let r = match answer {
            Ok(r) => r,
            Err(e) => {
                self.attrs.clear();
                self.known.clear();
                self.listing = None;
                Err(e)
            }
        };
        self.log.record(kept, fp, &r);
        r
    }

    /// Is the link's call waited for off the lock this operation's (`Ok(true)`), or
    /// none (`Ok(false)`)? One of another operation makes the mount busy: a deferral
    /// (this operation runs again when it is free, its answers so far forgotten:
    /// the other may change the tree meanwhile), or EIO where the operation cannot
    /// run again; EINTR when a signal is waiting.
    fn busy(&mut self) -> Result<bool> {
        let (op, _) = fsys::offlock::ids();
        match &*self.link.pending.lock() {
            Pending::Idle => return Ok(false),
            Pending::Answered { op: o, .. } if *o == op => return Ok(true),
            _ => {}
        }
        self.log.forget(op);
        if <ProcessSignals as files::Signals>::interrupted() {
            return Err(Errno::EINTR);
        }
        if fsys::offlock::may_defer() {
            fsys::offlock::defer(Arc::new(waiting::Busy(self.link.clone())));
        }
        Err(Errno::EIO)
    }

    /// The answer this operation waited for off the lock, if this call (`fp`) is the
    /// one it answers. Another call that only reads (`kept`) is sent and the answer
    /// stays; any other means the new run went another way: the answer is dropped
    /// and what the proxy keeps is no longer known to be right.
    fn take_answer(&mut self, fp: u64, kept: bool) -> Option<core::result::Result<Payload, Errno>> {
        let mut p = self.link.pending.lock();
        let Pending::Answered { fp: f, answer, .. } = &mut *p else {
            return None;
        };
        if *f != fp && kept {
            return None;
        }
        let got = (*f == fp).then(|| core::mem::replace(answer, Err(Errno::EIO)));
        *p = Pending::Idle;
        drop(p);
        self.link.free.wake_all();
        if got.is_none() {
            self.link.unsure();
            self.cache();
        }
        got
    }

    /// `request` with the holds taken and given back since the last call in front of
    /// it, one `Pin` or `Unpin` record each (at most [`HOLDS_PER_CALL`]; the rest go
    /// with the next call). A hold taken and given back in between (a file opened and
    /// closed) sends nothing; the server needs the holds only to keep a nameless
    /// node, and learns of them before any request that could remove a name.
    fn with_holds(&mut self, request: Vec<u8>) -> Vec<u8> {
        self.cache();
        if self.holds.is_empty() {
            return request;
        }
        let mut msg = Vec::with_capacity(HOLDS_PER_CALL * REQ_HEADER + request.len());
        let mut sent = 0;
        while sent < HOLDS_PER_CALL {
            let Some((ino, n)) = self.holds.pop_first() else {
                break;
            };
            let op = if n > 0 { Op::Pin } else { Op::Unpin };
            let mut r = Request::new(op);
            r.ino = ino;
            r.len = n.unsigned_abs().min(u32::MAX as u64) as u32;
            msg.extend_from_slice(&r.encode(b"", b""));
            sent += 1;
        }
        msg.extend_from_slice(&request);
        msg
    }

    /// Count a hold taken (`by` 1) or given back (-1) on `ino`.
    fn hold(&mut self, ino: u64, by: i64) {
        let Ok(s) = self.server_ino(ino) else {
            return;
        };
        self.cache();
        let n = self.holds.entry(s).or_insert(0);
        *n += by;
        if *n == 0 {
            self.holds.remove(&s);
        }
    }

    /// A call whose answer must carry exactly `len` bytes.
    fn call_sized(
        &mut self,
        req: Request,
        name: &[u8],
        rest: &[u8],
        len: usize,
    ) -> Result<(u64, Vec<u8>)> {
        let (v, d) = self.call(req, name, rest)?;
        if d.len() != len {
            self.attrs.clear();
            self.known.clear();
            return Err(Errno::EIO);
        }
        Ok((v, d))
    }

    /// A check of an answer failed after the call: the server's state is unknown.
    fn broken<T>(&mut self) -> Result<T> {
        self.attrs.clear();
        self.known.clear();
        self.listing = None;
        Err(Errno::EIO)
    }

    /// Create, mkdir, symlink: the new node's number; the answer carries its
    /// attributes and then the directory's.
    fn make(&mut self, req: Request, dir: u64, name: &[u8], rest: &[u8]) -> Result<u64> {
        let (v, d) = self.call_sized(req, name, rest, 2 * ATTR_LEN)?;
        let Ok(ino) = self.proxy_ino(v) else {
            return self.broken();
        };
        self.keep(ino, &d[..ATTR_LEN])?;
        self.keep(dir, &d[ATTR_LEN..])?;
        self.known.add_name(dir, name, ino);
        if req.op == Op::Create as u16 {
            self.known.new_file(ino);
        } else if req.op == Op::Mkdir as u16 {
            self.known.new_dir(ino);
        }
        Ok(ino)
    }

    /// Write, truncate, setattr: the value; the answer carries the node's attributes.
    fn changed(&mut self, req: Request, ino: u64, rest: &[u8]) -> Result<u64> {
        let (v, d) = self.call_sized(req, b"", rest, ATTR_LEN)?;
        self.keep(ino, &d)?;
        Ok(v)
    }

    /// Unlink, rmdir: the answer's value is the node whose name went, its bytes the
    /// directory's attributes, then the node's if it still exists (other names, or
    /// held open).
    fn remove(&mut self, op: Op, dir: u64, name: &[u8]) -> Result<()> {
        let r = self.on(op, dir)?;
        let (v, d) = self.call(r, name, b"")?;
        let Ok(node) = self.proxy_ino(v) else {
            return self.broken();
        };
        self.known.remove_name(dir, name);
        match d.len() {
            ATTR_LEN => {
                self.known.drop_file(node);
                self.known.drop_dir(node);
                self.cache().remove(&node);
                if self.gone.len() >= GONE_MAX {
                    self.gone.clear();
                }
                self.gone.insert(node);
            }
            n if n == 2 * ATTR_LEN => self.keep(node, &d[ATTR_LEN..])?,
            _ => return self.broken(),
        }
        self.keep(dir, &d[..ATTR_LEN])
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
        self.cache();
        if let Some(known) = self.known.lookup(dir, name) {
            return known;
        }
        let r = self.on(Op::Lookup, dir)?;
        let (v, _) = self.call_sized(r, name, b"", 0)?;
        match self.proxy_ino(v) {
            Ok(ino) => Ok(ino),
            Err(_) => self.broken(),
        }
    }

    fn create(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64> {
        vfs_check(name)?;
        let r = self.making(Op::Create, dir, perm, uid, gid)?;
        self.make(r, dir, name, b"")
    }

    fn mkdir(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64> {
        vfs_check(name)?;
        let r = self.making(Op::Mkdir, dir, perm, uid, gid)?;
        self.make(r, dir, name, b"")
    }

    fn symlink(&mut self, dir: u64, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<u64> {
        vfs_check(name)?;
        if target.len() > REPLY_DATA_MAX || target.is_empty() {
            return Err(Errno::ENAMETOOLONG);
        }
        let r = self.making(Op::Symlink, dir, 0o777, uid, gid)?;
        self.make(r, dir, name, target)
    }

    fn link(&mut self, ino: u64, dir: u64, name: &[u8]) -> Result<()> {
        vfs_check(name)?;
        let mut r = self.on(Op::Link, ino)?;
        r.ino2 = self.server_ino(dir)?;
        let (_, d) = self.call_sized(r, name, b"", 2 * ATTR_LEN)?;
        self.keep(ino, &d[..ATTR_LEN])?;
        self.keep(dir, &d[ATTR_LEN..])?;
        self.known.add_name(dir, name, ino);
        Ok(())
    }

    fn unlink(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        self.remove(Op::Unlink, dir, name)
    }

    fn rmdir(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        self.remove(Op::Rmdir, dir, name)
    }

    fn rename(&mut self, odir: u64, oname: &[u8], ndir: u64, nname: &[u8]) -> Result<()> {
        vfs_check(nname)?;
        let mut r = self.on(Op::Rename, odir)?;
        r.ino2 = self.server_ino(ndir)?;
        // The node moved; its attributes, both directories', and the node replaced
        // (or 0).
        let (v, d) = self.call_sized(r, oname, nname, 3 * ATTR_LEN + 8)?;
        let Ok(moved) = self.proxy_ino(v) else {
            return self.broken();
        };
        let mut replaced = [0; 8];
        replaced.copy_from_slice(&d[3 * ATTR_LEN..]);
        let replaced = u64::from_le_bytes(replaced);
        self.forget(replaced);
        match self.proxy_ino(replaced) {
            // Two names of one node: POSIX's rename does nothing; forget both.
            Ok(r) if r == moved => {
                self.known.drop_dir(odir);
                self.known.drop_dir(ndir);
            }
            r => {
                if let Ok(r) = r {
                    self.known.drop_file(r);
                    self.known.drop_dir(r);
                }
                self.known.remove_name(odir, oname);
                self.known.add_name(ndir, nname, moved);
            }
        }
        self.keep(moved, &d[..ATTR_LEN])?;
        self.keep(odir, &d[ATTR_LEN..2 * ATTR_LEN])?;
        self.keep(ndir, &d[2 * ATTR_LEN..3 * ATTR_LEN])
    }

    fn readlink(&mut self, ino: u64) -> Result<Vec<u8>> {
        let r = self.on(Op::Readlink, ino)?;
        let (_, d) = self.call(r, b"", b"")?;
        if d.is_empty() || d.contains(&0) {
            return self.broken();
        }
        Ok(d)
    }

    fn read(&mut self, ino: u64, off: u64, buf: &mut [u8]) -> Result<usize> {
        self.cache();
        if let Some(n) = self.known.read(ino, off, buf) {
            return Ok(n);
        }
        let mut done = 0;
        while done < buf.len() {
            let want = (buf.len() - done).min(REPLY_DATA_MAX);
            let mut r = self.on(Op::Read, ino)?;
            r.off = off + done as u64;
            r.len = want as u32;
            let (v, d) = self.call(r, b"", b"")?;
            if d.len() > want || v != d.len() as u64 {
                return self.broken();
            }
            buf[done..done + d.len()].copy_from_slice(&d);
            done += d.len();
            if d.len() < want {
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
            let n = match self.changed(r, ino, piece) {
                Ok(n) if n <= piece.len() as u64 => n as usize,
                Ok(_) => return self.broken(),
                Err(e) if done == 0 => return Err(e),
                Err(_) => break, // what was written stays written
            };
            let size = self.attrs.get(&ino).map_or(u64::MAX, |st| st.size);
            self.known.wrote(ino, r.off, &piece[..n], size);
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
        self.changed(r, ino, b"")?;
        self.known.truncated(ino, size);
        Ok(())
    }

    fn stat(&mut self, ino: u64) -> Result<Stat> {
        if let Some(st) = self.cache().get(&ino) {
            return Ok(*st);
        }
        if self.gone.contains(&ino) {
            return Err(Errno::ENOENT);
        }
        let r = self.on(Op::Getattr, ino)?;
        let (_, d) = self.call_sized(r, b"", b"", ATTR_LEN)?;
        self.keep(ino, &d)?;
        self.cache().get(&ino).copied().ok_or(Errno::EIO)
    }

    /// From the last answer's entries when they cover `pos`, else one `Readdir`
    /// call, whose answer carries as many entries as fit in a message.
    fn read_dir_at(&mut self, dir: u64, pos: u64) -> Result<Option<(DirEntry, u64)>> {
        self.cache();
        if let Some((d, entries)) = &self.listing {
            if *d == dir {
                if let Some((_, next, e)) = entries.iter().find(|(start, _, _)| *start == pos) {
                    return Ok(Some((e.clone(), *next)));
                }
            }
        }
        let mut r = self.on(Op::Readdir, dir)?;
        r.off = pos;
        let (count, data) = self.call(r, b"", b"")?;
        if data.is_empty() {
            return if count == 0 { Ok(None) } else { self.broken() };
        }
        let Ok(decoded) = wire::decode_dirents(pos, count, &data) else {
            return self.broken();
        };
        let mut entries = Vec::with_capacity(decoded.len());
        let mut start = pos;
        for (next, ino, kind, name) in decoded {
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
            entries.push((start, next, entry));
            start = next;
        }
        let (_, next, first) = entries[0].clone();
        self.listing = Some((dir, entries));
        Ok(Some((first, next)))
    }

    fn statfs(&mut self) -> FsStat {
        let mut st = FsStat {
            block_size: 4096,
            name_max: 255,
            ..FsStat::default()
        };
        if let Ok((_, d)) = self.call_sized(Request::new(Op::Statfs), b"", b"", 32) {
            let w = |i: usize| {
                let mut b = [0; 8];
                b.copy_from_slice(&d[i * 8..i * 8 + 8]);
                u64::from_le_bytes(b)
            };
            st.blocks = w(0);
            st.free_blocks = w(1).min(st.blocks);
            st.avail_blocks = st.free_blocks;
            st.files = w(2);
            st.free_files = w(3).min(st.files);
        }
        st
    }

    /// Every change went to the server when it was made.
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }

    fn pin(&mut self, ino: u64) {
        self.hold(ino, 1);
    }

    /// A nameless node whose last hold this was is freed by the server when the
    /// record reaches it, with the next call.
    fn unpin(&mut self, ino: u64) -> Result<()> {
        self.hold(ino, -1);
        Ok(())
    }

    fn set_mode(&mut self, ino: u64, perm: u32) -> Result<()> {
        let mut r = self.on(Op::Setattr, ino)?;
        r.len = wire::SET_MODE;
        r.mode = perm & 0o7777;
        self.changed(r, ino, b"").map(drop)
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
        self.changed(r, ino, b"").map(drop)
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
        self.changed(r, ino, b"").map(drop)
    }

    fn names_are_stable(&self) -> bool {
        self.link.generation() == 1
            && !self
                .link
                .names_unsure
                .load(core::sync::atomic::Ordering::Acquire)
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
