//! File management (chapter 2, 3-2): read, write, open, close, seek, dup, stat,
//! directories, names.
//!
//! These are the operations themselves, written once for every personality: each
//! takes typed arguments (a descriptor, a user buffer, a path already copied in) and
//! knows nothing of which registers they came from.

use crate::arg::Fd;
use crate::table::{Ctx, SysResult};
use crate::user::{UserPtr, UserSlice, UserSliceMut};
use abi::{Errno, Stat};
use alloc::string::String;

use proc::uaccess;

/// Transfers up to this size are staged on the kernel stack instead of the heap (kept
/// small: the buffer is zeroed on every call).
const SMALL: usize = 64;

/// Where a relative path starts.
#[derive(Clone, Copy, Debug)]
pub enum Dir {
    /// The caller's working directory.
    Cwd,
    /// The directory open on this descriptor (the `*at` calls).
    Fd(Fd),
}

/// The node a relative path starts from.
fn base(cx: &Ctx, dir: Dir) -> Result<fsys::NodeRef, Errno> {
    match dir {
        Dir::Cwd => cx.with_process(|p| p.cwd.lock().node()),
        Dir::Fd(fd) => cx.file(fd)?.dir_node(),
    }
}

/// Copy from the object to `dest` in pieces of at most CHUNK bytes: `get(buf, at)`
/// fills `buf` with the bytes `at` bytes into the transfer. A stream (`whole` false:
/// a pipe, the terminal) gives what it has, one piece; a file gives everything asked
/// for up to its end. An error after some bytes ends the transfer with those bytes.
fn copy_out(
    dest: UserSliceMut,
    whole: bool,
    mut get: impl FnMut(&mut [u8], u64) -> Result<usize, Errno>,
) -> SysResult {
    // The whole destination is checked before anything is consumed from a pipe, the
    // terminal or a file offset.
    dest.check()?;
    let len = dest.len();
    if len == 0 {
        return Ok(0);
    }
    // Small transfers (most terminal and pipe traffic) use a buffer on the stack.
    let mut small = [0u8; SMALL];
    let mut big = alloc::vec::Vec::new();
    let tmp: &mut [u8] = if len <= SMALL {
        &mut small[..len]
    } else {
        big.resize(len.min(uaccess::CHUNK), 0);
        &mut big
    };
    let mut done = 0;
    while done < len {
        let want = (len - done).min(tmp.len());
        let n = match get(&mut tmp[..want], done as u64) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        dest.write_at(done, &tmp[..n])?;
        done += n;
        if n < want || !whole {
            break;
        }
    }
    Ok(done)
}

/// Copy from `src` to the object in pieces of at most CHUNK bytes: `put(data, at)`
/// takes the bytes `at` bytes into the transfer and says how many it took. A short
/// put or an error after some bytes ends the transfer with those bytes.
fn copy_in(src: UserSlice, mut put: impl FnMut(&[u8], u64) -> Result<usize, Errno>) -> SysResult {
    let len = src.len();
    // A write of one piece needs no separate check: copying it in checks it, before
    // anything is written. A longer one is checked whole first.
    if len > uaccess::CHUNK {
        src.check()?;
    }
    let mut small = [0u8; SMALL];
    let mut big = alloc::vec::Vec::new();
    let mut done = 0;
    while done < len {
        let n = (len - done).min(uaccess::CHUNK);
        let data: &mut [u8] = if n <= SMALL {
            &mut small[..n]
        } else {
            big.resize(n, 0);
            &mut big
        };
        src.read_at(done, data)?;
        let took = match put(data, done as u64) {
            Ok(p) => p,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += took;
        if took < n {
            break;
        }
    }
    Ok(done)
}

pub fn read(cx: &mut Ctx, fd: Fd, dest: UserSliceMut) -> SysResult {
    let f = cx.file(fd)?;
    let whole = f.has_position();
    if whole {
        // A regular file: one copy, from the page cache to the program.
        dest.check()?;
        if let Some(r) = f.read_pages(dest.len(), &mut { dest }) {
            return r;
        }
    } else {
        // A stream whose bytes are in kernel memory (a pipe): one copy, from there
        // to the program. If the buffer is not all there (a page not yet touched, or
        // a bad address), the object has taken nothing: the staged copy below makes
        // the pages present or gives EFAULT.
        match f.read_stream(&mut { dest }) {
            Some(Err(Errno::EFAULT)) | None => {}
            Some(r) => return r,
        }
    }
    copy_out(dest, whole, |buf, _| f.read(buf))
}

pub fn write(cx: &mut Ctx, fd: Fd, src: UserSlice) -> SysResult {
    let f = cx.file(fd)?;
    // One copy, from the program straight into the object, as for `read`.
    match f.write_stream(&mut { src }) {
        Some(Err(Errno::EFAULT)) | None => {}
        Some(r) => return r,
    }
    copy_in(src, |data, _| f.write(data))
}

pub fn pread(cx: &mut Ctx, fd: Fd, dest: UserSliceMut, off: u64) -> SysResult {
    let f = cx.file(fd)?;
    dest.check()?;
    if let Some(r) = f.pread_pages(off, dest.len(), &mut { dest }) {
        return r;
    }
    copy_out(dest, true, |buf, at| f.pread(buf, off.saturating_add(at)))
}

pub fn pwrite(cx: &mut Ctx, fd: Fd, src: UserSlice, off: u64) -> SysResult {
    let f = cx.file(fd)?;
    copy_in(src, |data, at| f.pwrite(data, off.saturating_add(at)))
}

/// Open `path` (from `dir`) with `flags`; `mode` is the permission of a created file,
/// before the caller's umask.
pub fn open(cx: &mut Ctx, dir: Dir, path: String, flags: u32, mode: u32) -> SysResult {
    let p = cx.process()?;
    let start = base(cx, dir)?;
    let cred = p.cred();
    let mode = mode & !cred.umask;
    let (f, created) = files::open_telling(&cred, start, &path, flags, mode)?;
    // A file this open made is mapped nowhere: no process list to walk.
    if flags & abi::flags::O_TRUNC != 0 && !created {
        if let Some(n) = f.node() {
            drop_mapped_file_tail(n, 0);
        }
    }
    let fd = p
        .files
        .lock()
        .insert(f, flags & abi::flags::O_CLOEXEC != 0)?;
    Ok(fd as usize)
}

pub fn close(cx: &mut Ctx, fd: Fd) -> SysResult {
    cx.with_process(|p| p.files.lock().close(fd.0))??;
    Ok(0)
}

pub fn lseek(cx: &mut Ctx, fd: Fd, off: i64, whence: u32) -> SysResult {
    cx.file(fd)?.seek(off, whence).map(|o| o as usize)
}

pub fn dup(cx: &mut Ctx, fd: Fd) -> SysResult {
    cx.with_process(|p| {
        let mut t = p.files.lock();
        let f = t.get(fd.0)?;
        Ok(t.insert(f, false)? as usize)
    })?
}

pub fn dup2(cx: &mut Ctx, fd: Fd, to: Fd) -> SysResult {
    cx.with_process(|p| {
        let mut t = p.files.lock();
        let f = t.get(fd.0)?;
        if fd != to {
            t.insert_at(to.0, f)?;
        }
        Ok(to.0 as usize)
    })?
}

fn stat_at(cx: &Ctx, dir: Dir, path: &str, follow: bool, out: UserPtr<Stat>) -> SysResult {
    let start = base(cx, dir)?;
    let cred = cx.process()?.cred();
    let s = fsys::stat_path(&cred, start, path, follow)?;
    out.write(&s)?;
    Ok(0)
}

pub fn stat(cx: &mut Ctx, dir: Dir, path: String, out: UserPtr<Stat>) -> SysResult {
    stat_at(cx, dir, &path, true, out)
}

pub fn lstat(cx: &mut Ctx, dir: Dir, path: String, out: UserPtr<Stat>) -> SysResult {
    stat_at(cx, dir, &path, false, out)
}

pub fn fstat(cx: &mut Ctx, fd: Fd, out: UserPtr<Stat>) -> SysResult {
    let s = cx.file(fd)?.stat()?;
    out.write(&s)?;
    Ok(0)
}

pub fn getdents(cx: &mut Ctx, fd: Fd, dest: UserSliceMut) -> SysResult {
    let f = cx.file(fd)?;
    let dir = f.dir_node()?;
    dest.check()?;
    let mut buf = alloc::vec![0u8; dest.len().min(uaccess::CHUNK)];
    let mut pos = f.offset.lock();
    let (n, next) = fsys::getdents(dir, *pos, &mut buf)?;
    dest.write_at(0, &buf[..n])?;
    *pos = next;
    Ok(n)
}

pub fn chdir(cx: &mut Ctx, dir: Dir, path: String) -> SysResult {
    let p = cx.process()?;
    let start = base(cx, dir)?;
    // The new directory is held before the old one is let go (the old hold is
    // dropped outside the VFS lock).
    let new = fsys::Cwd::resolve(&p.cred(), start, &path)?;
    let old = core::mem::replace(&mut *p.cwd.lock(), new);
    drop(old);
    Ok(0)
}

pub fn getcwd(cx: &mut Ctx, dest: UserSliceMut) -> SysResult {
    let cwd = cx.with_process(|p| p.cwd.lock().node())?;
    let path = fsys::path_of(cwd)?;
    if path.len() > dest.len() {
        return Err(Errno::ERANGE);
    }
    dest.write_at(0, path.as_bytes())?;
    Ok(path.len())
}

pub fn sync(_: &mut Ctx) -> SysResult {
    fsys::sync_all()?;
    Ok(0)
}

/// Make the file's data and metadata durable: the file system it lives on is written
/// back and the disk flushed; 0 only once the disk says the data is on stable storage,
/// EIO if a write or the flush failed. (Without a per-file page cache, writing back the
/// file system is the precise unit: its cache holds the file's dirty blocks.)
pub fn fsync(cx: &mut Ctx, fd: Fd) -> SysResult {
    let f = cx.file(fd)?;
    // Pipes, the terminal and character devices have nothing to write back.
    if let Some(n) = f.node() {
        fsys::sync_node(n)?;
    }
    Ok(0)
}

/// Make the file's data durable, with the metadata needed to read it back. The block
/// cache cannot tell a file's data from its timestamps, so this writes what `fsync`
/// writes: the promise is kept, if with a little more work than Linux does.
pub fn fdatasync(cx: &mut Ctx, fd: Fd) -> SysResult {
    fsync(cx, fd)
}

/// Run a name operation on the VFS with the caller's credentials and the starting
/// directory (`f` may run more than once: `fsys::with`).
fn at<R>(
    cx: &Ctx,
    dir: Dir,
    mut f: impl FnMut(&mut vfs::Vfs, &vfs::Credentials, fsys::NodeRef) -> Result<R, Errno>,
) -> Result<R, Errno> {
    let cred = cx.process()?.cred();
    let start = base(cx, dir)?;
    fsys::with(|v| f(v, &cred, start))
}

pub fn mkdir(cx: &mut Ctx, dir: Dir, path: String, mode: u32) -> SysResult {
    at(cx, dir, |v, cred, start| {
        v.mkdir(cred, start, &path, mode & !cred.umask)
    })?;
    Ok(0)
}

pub fn unlink(cx: &mut Ctx, dir: Dir, path: String) -> SysResult {
    at(cx, dir, |v, cred, start| v.unlink(cred, start, &path))?;
    Ok(0)
}

pub fn rmdir(cx: &mut Ctx, dir: Dir, path: String) -> SysResult {
    at(cx, dir, |v, cred, start| v.rmdir(cred, start, &path))?;
    Ok(0)
}

pub fn rename(cx: &mut Ctx, dir: Dir, old: String, new: String) -> SysResult {
    at(cx, dir, |v, cred, start| v.rename(cred, start, &old, &new))?;
    Ok(0)
}

pub fn link(cx: &mut Ctx, dir: Dir, old: String, new: String) -> SysResult {
    at(cx, dir, |v, cred, start| v.link(cred, start, &old, &new))?;
    Ok(0)
}

pub fn symlink(cx: &mut Ctx, target: String, dir: Dir, path: String) -> SysResult {
    at(cx, dir, |v, cred, start| {
        v.symlink(cred, start, &target, &path)
    })?;
    Ok(0)
}

pub fn readlink(cx: &mut Ctx, dir: Dir, path: String, dest: UserSliceMut) -> SysResult {
    let target = at(cx, dir, |v, cred, start| v.readlink(cred, start, &path))?;
    dest.write_prefix(&target)
}

pub fn chmod(cx: &mut Ctx, dir: Dir, path: String, mode: u32) -> SysResult {
    at(cx, dir, |v, cred, start| v.chmod(cred, start, &path, mode))?;
    Ok(0)
}

/// `fchmod`: [`chmod`] of an open file.
pub fn fchmod(cx: &mut Ctx, fd: Fd, mode: u32) -> SysResult {
    let cred = cx.process()?.cred();
    let node = cx.file(fd)?.node().ok_or(Errno::EINVAL)?;
    fsys::with(|v| v.chmod_node(&cred, node, mode))?;
    Ok(0)
}

/// `chown(path, uid, gid)`: `None` leaves an id (see `vfs::Vfs::chown`).
pub fn chown(
    cx: &mut Ctx,
    dir: Dir,
    path: String,
    uid: Option<u32>,
    gid: Option<u32>,
) -> SysResult {
    at(cx, dir, |v, cred, start| {
        v.chown(cred, start, &path, uid, gid, true)
    })?;
    Ok(0)
}

/// `fchown`: [`chown`] of an open file.
pub fn fchown(cx: &mut Ctx, fd: Fd, uid: Option<u32>, gid: Option<u32>) -> SysResult {
    let cred = cx.process()?.cred();
    let node = cx.file(fd)?.node().ok_or(Errno::EINVAL)?;
    fsys::with(|v| v.chown_node(&cred, node, uid, gid))?;
    Ok(0)
}

/// `access(path, R_OK|W_OK|X_OK)`: may the caller's *real* user do that (0: does the
/// path exist)?
pub fn access(cx: &mut Ctx, dir: Dir, path: String, how: u32) -> SysResult {
    use abi::flags::{R_OK, W_OK, X_OK};
    if how & !(R_OK | W_OK | X_OK) != 0 {
        return Err(Errno::EINVAL);
    }
    let want = cred::Access {
        r: how & R_OK != 0,
        w: how & W_OK != 0,
        x: how & X_OK != 0,
    };
    at(cx, dir, |v, cred, start| v.access(cred, start, &path, want))?;
    Ok(0)
}

/// A time argument of `utimes`: a time, "now", or "leave it".
pub fn utimes(cx: &mut Ctx, dir: Dir, path: String, atime: u64, mtime: u64) -> SysResult {
    let now = drivers::rtc::now();
    let t = |v: u64| match v {
        abi::types::UTIME_NOW => Some(now),
        abi::types::UTIME_OMIT => None,
        s => Some(s as i64),
    };
    let (at_, mt) = (t(atime), t(mtime));
    // A time given by the caller (not "now", not "leave") needs ownership.
    let given = |v: u64| v != abi::types::UTIME_NOW && v != abi::types::UTIME_OMIT;
    let explicit = given(atime) || given(mtime);
    at(cx, dir, |v, cred, start| {
        v.set_times(cred, start, &path, at_, mt, explicit)
    })?;
    Ok(0)
}

pub fn statfs(cx: &mut Ctx, dir: Dir, path: String, out: UserPtr<abi::StatFs>) -> SysResult {
    let st = at(cx, dir, |v, cred, start| {
        let node = v.resolve(cred, start, &path, true)?;
        statfs_of(v, node)
    })?;
    out.write(&st)?;
    Ok(0)
}

/// The figures of the file system `node` is on, with its type's name (`statfs`; the
/// Linux personality's `statfs`/`fstatfs` convert the same record).
pub fn statfs_of(v: &mut vfs::Vfs, node: fsys::NodeRef) -> Result<abi::StatFs, Errno> {
    let id = v.mount_id(node);
    let s = v.statfs(id)?;
    let ty = v
        .mounts()
        .into_iter()
        .find(|m| m.id == id)
        .map(|m| m.fs_type)
        .unwrap_or_default();
    let mut fs_type = [0u8; 16];
    let n = ty.len().min(15);
    fs_type[..n].copy_from_slice(&ty.as_bytes()[..n]);
    Ok(abi::types::StatFs {
        block_size: s.block_size as u64,
        blocks: s.blocks,
        free_blocks: s.free_blocks,
        avail_blocks: s.avail_blocks,
        files: s.files,
        free_files: s.free_files,
        name_max: s.name_max as u64,
        fs_type,
    })
}

pub fn truncate(cx: &mut Ctx, dir: Dir, path: String, size: u64) -> SysResult {
    let node = at(cx, dir, |v, cred, start| {
        let node = v.resolve(cred, start, &path, true)?;
        v.truncate(cred, start, &path, size)?;
        Ok(node)
    })?;
    drop_mapped_file_tail(node, size);
    Ok(0)
}

/// A file cut to `size` bytes: its pages past the new end leave every process that
/// maps them, touched or not, private copies too (as Linux's truncate does), so a
/// later touch there faults and finds the page beyond the end: SIGBUS.
pub(crate) fn drop_mapped_file_tail(node: fsys::NodeRef, size: u64) {
    for p in proc::process::all() {
        if let Some(a) = p.aspace.lock().as_mut() {
            a.drop_pages_of_file((node.mount, node.ino), size);
        }
    }
}

pub fn ftruncate(cx: &mut Ctx, fd: Fd, size: u64) -> SysResult {
    let f = cx.file(fd)?;
    match f.node() {
        Some(n) => {
            fsys::with(|v| v.truncate_node(n, size))?;
            drop_mapped_file_tail(n, size);
        }
        // Not a node: an object with a size of its own (a shared-memory segment).
        None => {
            let old = f.stat()?.size;
            f.truncate(size)?;
            if size < old {
                drop_mapped_tail(&f, size);
            }
        }
    }
    Ok(0)
}

/// A segment made smaller: the pages past its new end leave every process that maps
/// them (as Linux does on truncate), so a later touch is SIGBUS and the frames, the
/// segment's share of which `truncate` gave back, are free once the last mapping's
/// share goes here.
fn drop_mapped_tail(f: &files::OpenFile, size: u64) {
    let Ok(m) = f.mmap(0, 0) else {
        return; // not mappable: nothing can hold its pages
    };
    for p in proc::process::all() {
        if let Some(a) = p.aspace.lock().as_mut() {
            a.drop_file_pages(&m.pager, size);
        }
    }
}
