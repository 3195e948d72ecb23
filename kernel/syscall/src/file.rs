//! File management: read, write, open, close, seek, dup, stat, directories.

use crate::{me, Args};
use abi::{Errno, Stat};
use proc::files::{self, OpenFile};
use proc::{fsys, uaccess};

/// Transfers up to this size are staged on the kernel stack instead of the heap (kept
/// small: the buffer is zeroed on every call).
const SMALL: usize = 64;

fn fd_file(fd: u64) -> Result<alloc::sync::Arc<OpenFile>, Errno> {
    proc::process::with_current(|p| p.files.lock().get(fd as i32)).ok_or(Errno::ESRCH)?
}

fn path_arg(ptr: u64, len: u64) -> Result<alloc::string::String, Errno> {
    let p = uaccess::read_str(ptr, len)?;
    if p.is_empty() {
        return Err(Errno::ENOENT);
    }
    Ok(p)
}

pub fn read(a: &mut Args) -> Result<usize, Errno> {
    let f = fd_file(a.arg(0))?;
    let (buf, len) = (a.arg(1), a.arg(2) as usize);
    // The whole destination is checked before anything is consumed from a pipe, the
    // terminal or a file offset.
    uaccess::check_buffer(buf, len, true)?;
    if len == 0 {
        return Ok(0);
    }
    // A pipe or terminal gives what it has (one piece); a file gives everything asked
    // for up to its end, in pieces of CHUNK bytes.
    let whole = matches!(f.object, proc::files::Object::Node(_));
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
        let n = match f.read(&mut tmp[..want]) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        uaccess::write_bytes(buf + done as u64, &tmp[..n])?;
        done += n;
        if n < want || !whole {
            break;
        }
    }
    Ok(done)
}

pub fn write(a: &mut Args) -> Result<usize, Errno> {
    let f = fd_file(a.arg(0))?;
    let (buf, len) = (a.arg(1), a.arg(2) as usize);
    // A write of one piece needs no separate check: copying it in checks it, before
    // anything is written. A longer one is checked whole first.
    if len > uaccess::CHUNK {
        uaccess::check_buffer(buf, len, false)?;
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
        uaccess::read_into(buf + done as u64, data)?;
        let put = match f.write(data) {
            Ok(p) => p,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += put;
        if put < n {
            break;
        }
    }
    Ok(done)
}

pub fn pread(a: &mut Args) -> Result<usize, Errno> {
    let f = fd_file(a.arg(0))?;
    let (buf, len, off) = (a.arg(1), a.arg(2) as usize, a.arg(3));
    uaccess::check_buffer(buf, len, true)?;
    let mut tmp = alloc::vec![0u8; len.min(uaccess::CHUNK)];
    let mut done = 0;
    while done < len {
        let want = (len - done).min(tmp.len());
        let n = f.pread(&mut tmp[..want], off + done as u64)?;
        uaccess::write_bytes(buf + done as u64, &tmp[..n])?;
        done += n;
        if n < want {
            break;
        }
    }
    Ok(done)
}

pub fn pwrite(a: &mut Args) -> Result<usize, Errno> {
    let f = fd_file(a.arg(0))?;
    let (buf, len, off) = (a.arg(1), a.arg(2) as usize, a.arg(3));
    uaccess::check_buffer(buf, len, false)?;
    let mut done = 0;
    while done < len {
        let n = (len - done).min(uaccess::CHUNK);
        let data = uaccess::read_bytes(buf + done as u64, n)?;
        let put = match f.pwrite(&data, off + done as u64) {
            Ok(p) => p,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += put;
        if put < n {
            break;
        }
    }
    Ok(done)
}

pub fn open(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    let path = path_arg(a.arg(0), a.arg(1))?;
    let flags = a.arg(2) as u32;
    let cwd = p.cwd.lock().node();
    let cred = p.cred();
    let mode = a.arg(3) as u32 & 0o7777 & !cred.umask;
    let f = files::open(&cred, cwd, &path, flags, mode)?;
    let fd = p
        .files
        .lock()
        .insert(f, flags & abi::flags::O_CLOEXEC != 0)?;
    Ok(fd as usize)
}

pub fn close(a: &mut Args) -> Result<usize, Errno> {
    me()?.files.lock().close(a.arg(0) as i32)?;
    Ok(0)
}

pub fn lseek(a: &mut Args) -> Result<usize, Errno> {
    let f = fd_file(a.arg(0))?;
    f.seek(a.arg(1) as i64, a.arg(2) as u32).map(|o| o as usize)
}

pub fn dup(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    let mut t = p.files.lock();
    let f = t.get(a.arg(0) as i32)?;
    Ok(t.insert(f, false)? as usize)
}

pub fn dup2(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    let mut t = p.files.lock();
    let f = t.get(a.arg(0) as i32)?;
    if a.arg(0) != a.arg(1) {
        t.insert_at(a.arg(1) as i32, f)?;
    }
    Ok(a.arg(1) as usize)
}

fn put_stat(addr: u64, s: &Stat) -> Result<usize, Errno> {
    uaccess::write_pod(addr, s)?;
    Ok(0)
}

fn stat_path(a: &Args, follow: bool) -> Result<Stat, Errno> {
    let p = me()?;
    let path = path_arg(a.arg(0), a.arg(1))?;
    let cwd = p.cwd.lock().node();
    fsys::stat(fsys::resolve(&p.cred(), cwd, &path, follow)?)
}

pub fn stat(a: &mut Args) -> Result<usize, Errno> {
    let s = stat_path(a, true)?;
    put_stat(a.arg(2), &s)
}

pub fn lstat(a: &mut Args) -> Result<usize, Errno> {
    let s = stat_path(a, false)?;
    put_stat(a.arg(2), &s)
}

pub fn fstat(a: &mut Args) -> Result<usize, Errno> {
    let s = fd_file(a.arg(0))?.stat()?;
    put_stat(a.arg(1), &s)
}

pub fn getdents(a: &mut Args) -> Result<usize, Errno> {
    let f = fd_file(a.arg(0))?;
    let dir = f.dir_node()?;
    uaccess::check_buffer(a.arg(1), a.arg(2) as usize, true)?;
    let mut buf = alloc::vec![0u8; (a.arg(2) as usize).min(uaccess::CHUNK)];
    let mut pos = f.offset.lock();
    let (n, next) = fsys::getdents(dir, *pos, &mut buf)?;
    uaccess::write_bytes(a.arg(1), &buf[..n])?;
    *pos = next;
    Ok(n)
}

pub fn chdir(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    let path = path_arg(a.arg(0), a.arg(1))?;
    let cwd = p.cwd.lock().node();
    // The new directory is held before the old one is let go (the old hold is
    // dropped outside the VFS lock).
    let new = fsys::Cwd::resolve(&p.cred(), cwd, &path)?;
    let old = core::mem::replace(&mut *p.cwd.lock(), new);
    drop(old);
    Ok(0)
}

pub fn getcwd(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    let cwd = p.cwd.lock().node();
    let path = fsys::path_of(cwd)?;
    if path.len() > a.arg(1) as usize {
        return Err(Errno::ERANGE);
    }
    uaccess::write_bytes(a.arg(0), path.as_bytes())?;
    Ok(path.len())
}

pub fn sync(_: &mut Args) -> Result<usize, Errno> {
    fsys::sync_all()?;
    Ok(0)
}

/// Run a name operation with the caller's credentials, working directory and the
/// path argument.
fn at_path<R>(
    ptr: u64,
    len: u64,
    f: impl FnOnce(&mut vfs::Vfs, &vfs::Credentials, fsys::NodeRef, &str) -> Result<R, Errno>,
) -> Result<R, Errno> {
    let p = me()?;
    let path = path_arg(ptr, len)?;
    let cwd = p.cwd.lock().node();
    let cred = p.cred();
    fsys::with(|v| f(v, &cred, cwd, &path))
}

pub fn mkdir(a: &mut Args) -> Result<usize, Errno> {
    let umask = me()?.cred().umask;
    let mode = a.arg(2) as u32 & 0o7777 & !umask;
    at_path(a.arg(0), a.arg(1), |v, cred, cwd, path| {
        v.mkdir(cred, cwd, path, mode)
    })?;
    Ok(0)
}

pub fn unlink(a: &mut Args) -> Result<usize, Errno> {
    at_path(a.arg(0), a.arg(1), |v, cred, cwd, path| {
        v.unlink(cred, cwd, path)
    })?;
    Ok(0)
}

pub fn rmdir(a: &mut Args) -> Result<usize, Errno> {
    at_path(a.arg(0), a.arg(1), |v, cred, cwd, path| {
        v.rmdir(cred, cwd, path)
    })?;
    Ok(0)
}

pub fn rename(a: &mut Args) -> Result<usize, Errno> {
    let new = path_arg(a.arg(2), a.arg(3))?;
    at_path(a.arg(0), a.arg(1), |v, cred, cwd, old| {
        v.rename(cred, cwd, old, &new)
    })?;
    Ok(0)
}

pub fn link(a: &mut Args) -> Result<usize, Errno> {
    let new = path_arg(a.arg(2), a.arg(3))?;
    at_path(a.arg(0), a.arg(1), |v, cred, cwd, old| {
        v.link(cred, cwd, old, &new)
    })?;
    Ok(0)
}

pub fn symlink(a: &mut Args) -> Result<usize, Errno> {
    let target = uaccess::read_str(a.arg(0), a.arg(1))?;
    at_path(a.arg(2), a.arg(3), |v, cred, cwd, path| {
        v.symlink(cred, cwd, &target, path)
    })?;
    Ok(0)
}

pub fn readlink(a: &mut Args) -> Result<usize, Errno> {
    let target = at_path(a.arg(0), a.arg(1), |v, cred, cwd, path| {
        v.readlink(cred, cwd, path)
    })?;
    let n = target.len().min(a.arg(3) as usize);
    uaccess::write_bytes(a.arg(2), &target[..n])?;
    Ok(n)
}

pub fn chmod(a: &mut Args) -> Result<usize, Errno> {
    let mode = a.arg(2) as u32 & 0o7777;
    at_path(a.arg(0), a.arg(1), |v, cred, cwd, path| {
        v.chmod(cred, cwd, path, mode)
    })?;
    Ok(0)
}

pub fn utimes(a: &mut Args) -> Result<usize, Errno> {
    let now = drivers::rtc::now();
    let t = |v: u64| match v {
        abi::types::UTIME_NOW => Some(now),
        abi::types::UTIME_OMIT => None,
        s => Some(s as i64),
    };
    let (at, mt) = (t(a.arg(2)), t(a.arg(3)));
    // A time given by the caller (not "now", not "leave") needs ownership.
    let given = |v: u64| v != abi::types::UTIME_NOW && v != abi::types::UTIME_OMIT;
    let explicit = given(a.arg(2)) || given(a.arg(3));
    at_path(a.arg(0), a.arg(1), |v, cred, cwd, path| {
        v.set_times(cred, cwd, path, at, mt, explicit)
    })?;
    Ok(0)
}

pub fn statfs(a: &mut Args) -> Result<usize, Errno> {
    let out = a.arg(2);
    let st = at_path(a.arg(0), a.arg(1), |v, cred, cwd, path| {
        let node = v.resolve(cred, cwd, path, true)?;
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
    })?;
    uaccess::write_pod(out, &st)?;
    Ok(0)
}

pub fn truncate(a: &mut Args) -> Result<usize, Errno> {
    let size = a.arg(2);
    at_path(a.arg(0), a.arg(1), |v, cred, cwd, path| {
        v.truncate(cred, cwd, path, size)
    })?;
    Ok(0)
}

pub fn ftruncate(a: &mut Args) -> Result<usize, Errno> {
    let f = fd_file(a.arg(0))?;
    match f.object {
        proc::files::Object::Node(n) => fsys::with(|v| v.truncate_node(n, a.arg(1)))?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

pub fn fsync(a: &mut Args) -> Result<usize, Errno> {
    fd_file(a.arg(0))?;
    Ok(0)
}
