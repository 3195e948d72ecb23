//! File management for Linux programs (chapter 2, 3-2): the calls that differ from the
//! native ones only in encoding (C strings, `*at` directory descriptors, Linux's
//! `struct stat` and `dirent64`, `iovec` lists, `fcntl` commands, termios ioctls),
//! each translated onto the same VFS operations the native table uses.

use crate::args::StackPath;
use crate::uapi::{self, *};
use crate::{get, le64, put, start};
use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use files::{Ioctl, IoctlReply};
use syscall::arg::Fd;
use syscall::ops::file::{self as ops, Dir};
use syscall::table::{Ctx, SysResult};
use syscall::user::{UserSlice, UserSliceMut};

/// The node a relative path starts from.
fn base(cx: &Ctx, dir: Dir) -> Result<fsys::NodeRef, Errno> {
    match dir {
        Dir::Cwd => cx.with_process(|p| p.cwd.lock().node()),
        Dir::Fd(fd) => cx.file(fd)?.dir_node(),
    }
}

/// A path from `dir` as an absolute path (for the calls that take two paths, which
/// the VFS resolves from one starting directory).
fn absolute(cx: &Ctx, dir: Dir, path: &str) -> Result<String, Errno> {
    match start(dir, path) {
        Dir::Cwd if path.starts_with('/') => Ok(String::from(path)),
        Dir::Cwd => {
            let cwd = fsys::path_of(base(cx, Dir::Cwd)?)?;
            Ok(alloc::format!("{}/{}", cwd.trim_end_matches('/'), path))
        }
        Dir::Fd(fd) => {
            let d = fsys::path_of(cx.file(fd)?.dir_node()?)?;
            Ok(alloc::format!("{}/{}", d.trim_end_matches('/'), path))
        }
    }
}

pub fn open(cx: &mut Ctx, dir: Dir, path: String, flags: u32, mode: u32) -> SysResult {
    let dir = start(dir, &path);
    ops::open(cx, dir, path, uapi::open_flags(flags), mode)
}

pub fn creat(cx: &mut Ctx, dir: Dir, path: String, mode: u32) -> SysResult {
    open(cx, dir, path, O_CREAT | O_TRUNC | 1, mode)
}

pub(crate) fn stat_path(cx: &Ctx, dir: Dir, path: &str, follow: bool) -> Result<abi::Stat, Errno> {
    let from = base(cx, start(dir, path))?;
    let cred = cx.process()?.cred();
    fsys::stat_path(&cred, from, path, follow)
}

pub fn stat(cx: &mut Ctx, dir: Dir, path: StackPath, out: u64) -> SysResult {
    let s = stat_path(cx, dir, path.as_str()?, true)?;
    put(out, &uapi::stat(&s).0)?;
    Ok(0)
}

pub fn lstat(cx: &mut Ctx, dir: Dir, path: StackPath, out: u64) -> SysResult {
    let s = stat_path(cx, dir, path.as_str()?, false)?;
    put(out, &uapi::stat(&s).0)?;
    Ok(0)
}

pub fn fstat(cx: &mut Ctx, fd: Fd, out: u64) -> SysResult {
    let s = cx.file(fd)?.stat()?;
    put(out, &uapi::stat(&s).0)?;
    Ok(0)
}

/// The `stat` an `*at` call with `flags` asks for (`AT_EMPTY_PATH`: the descriptor
/// itself).
fn stat_at(cx: &Ctx, dir: Dir, path: &str, flags: u32) -> Result<abi::Stat, Errno> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800/* AT_NO_AUTOMOUNT */) != 0 {
        return Err(Errno::EINVAL);
    }
    if path.is_empty() {
        return match dir {
            Dir::Fd(fd) if flags & AT_EMPTY_PATH != 0 => cx.file(fd)?.stat(),
            Dir::Cwd if flags & AT_EMPTY_PATH != 0 => stat_path(cx, dir, ".", true),
            _ => Err(Errno::ENOENT),
        };
    }
    stat_path(cx, dir, path, flags & AT_SYMLINK_NOFOLLOW == 0)
}

pub fn newfstatat(cx: &mut Ctx, dir: Dir, path: StackPath, out: u64, flags: u32) -> SysResult {
    let s = stat_at(cx, dir, path.as_str()?, flags)?;
    put(out, &uapi::stat(&s).0)?;
    Ok(0)
}

pub fn statx(cx: &mut Ctx, dir: Dir, path: String, flags: u32, _mask: u32, out: u64) -> SysResult {
    // AT_STATX_SYNC_* (0x6000) choose how fresh the answer must be: always fresh here.
    let s = stat_at(cx, dir, &path, flags & !0x6000)?;
    put(out, &uapi::statx(&s).0)?;
    Ok(0)
}

/// `getdents64`: Linux records (with each entry's next position as `d_off`), as many
/// as fit; EINVAL if not even one does.
pub fn getdents64(cx: &mut Ctx, fd: Fd, dest: UserSliceMut) -> SysResult {
    let f = cx.file(fd)?;
    let dir = f.dir_node()?;
    dest.check()?;
    let room = dest.len().min(proc::uaccess::CHUNK);
    let mut out = Vec::new();
    let mut pos = f.offset.lock();
    let mut at = *pos;
    while let Some((e, next)) = fsys::with(|v| v.read_dir_at(dir, at))? {
        if out.len() + dirent64_len(e.name.len()) > room {
            if out.is_empty() {
                return Err(Errno::EINVAL);
            }
            break;
        }
        uapi::dirent64(&mut out, e.ino, next, e.kind.dirent_type(), &e.name);
        at = next;
    }
    dest.write_at(0, &out)?;
    *pos = at;
    Ok(out.len())
}

pub fn faccessat2(cx: &mut Ctx, dir: Dir, path: String, how: u32, flags: u32) -> SysResult {
    // AT_EACCESS (check with the effective ids) is what dinos' access checks already
    // use for root; for others the real ids are the stricter answer.
    if flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let dir = start(dir, &path);
    ops::access(cx, dir, path, how)
}

pub fn faccessat(cx: &mut Ctx, dir: Dir, path: String, how: u32) -> SysResult {
    faccessat2(cx, dir, path, how, 0)
}

pub fn readlinkat(cx: &mut Ctx, dir: Dir, path: String, dest: UserSliceMut) -> SysResult {
    if dest.is_empty() {
        return Err(Errno::EINVAL);
    }
    let dir = start(dir, &path);
    ops::readlink(cx, dir, path, dest)
}

pub fn mkdirat(cx: &mut Ctx, dir: Dir, path: String, mode: u32) -> SysResult {
    let dir = start(dir, &path);
    ops::mkdir(cx, dir, path, mode)
}

pub fn unlinkat(cx: &mut Ctx, dir: Dir, path: String, flags: u32) -> SysResult {
    let dir = start(dir, &path);
    match flags {
        0 => ops::unlink(cx, dir, path),
        AT_REMOVEDIR => ops::rmdir(cx, dir, path),
        _ => Err(Errno::EINVAL),
    }
}

pub fn rmdir(cx: &mut Ctx, dir: Dir, path: String) -> SysResult {
    unlinkat(cx, dir, path, AT_REMOVEDIR)
}

pub fn unlink(cx: &mut Ctx, dir: Dir, path: String) -> SysResult {
    unlinkat(cx, dir, path, 0)
}

pub fn renameat2(
    cx: &mut Ctx,
    old_dir: Dir,
    old: String,
    new_dir: Dir,
    new: String,
    flags: u32,
) -> SysResult {
    if flags != 0 {
        return Err(Errno::EINVAL); // RENAME_NOREPLACE, _EXCHANGE, _WHITEOUT: not supported
    }
    let (old, new) = (absolute(cx, old_dir, &old)?, absolute(cx, new_dir, &new)?);
    ops::rename(cx, Dir::Cwd, old, new)
}

pub fn renameat(cx: &mut Ctx, od: Dir, old: String, nd: Dir, new: String) -> SysResult {
    renameat2(cx, od, old, nd, new, 0)
}

pub fn rename(cx: &mut Ctx, d: Dir, old: String, new: String) -> SysResult {
    renameat2(cx, d, old, Dir::Cwd, new, 0)
}

pub fn linkat(cx: &mut Ctx, od: Dir, old: String, nd: Dir, new: String, flags: u32) -> SysResult {
    // dinos' link never follows a symbolic link given as the old name (Linux's
    // default); AT_SYMLINK_FOLLOW asks for the other behaviour.
    if flags & !AT_SYMLINK_FOLLOW != 0 {
        return Err(Errno::EINVAL);
    }
    let (old, new) = (absolute(cx, od, &old)?, absolute(cx, nd, &new)?);
    ops::link(cx, Dir::Cwd, old, new)
}

pub fn link(cx: &mut Ctx, d: Dir, old: String, new: String) -> SysResult {
    linkat(cx, d, old, Dir::Cwd, new, 0)
}

pub fn symlinkat(cx: &mut Ctx, target: String, dir: Dir, path: String) -> SysResult {
    let dir = start(dir, &path);
    ops::symlink(cx, target, dir, path)
}

pub fn fchmodat(cx: &mut Ctx, dir: Dir, path: String, mode: u32) -> SysResult {
    let dir = start(dir, &path);
    ops::chmod(cx, dir, path, mode)
}

pub fn fchownat(
    cx: &mut Ctx,
    dir: Dir,
    path: String,
    uid: Option<u32>,
    gid: Option<u32>,
    flags: u32,
) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    if path.is_empty() {
        return match dir {
            Dir::Fd(fd) if flags & AT_EMPTY_PATH != 0 => ops::fchown(cx, fd, uid, gid),
            _ => Err(Errno::ENOENT),
        };
    }
    let cred = cx.process()?.cred();
    let from = base(cx, start(dir, &path))?;
    let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
    fsys::with(|v| v.chown(&cred, from, &path, uid, gid, follow))?;
    Ok(0)
}

pub fn chown(cx: &mut Ctx, d: Dir, path: String, uid: Option<u32>, gid: Option<u32>) -> SysResult {
    fchownat(cx, d, path, uid, gid, 0)
}

pub fn lchown(cx: &mut Ctx, d: Dir, path: String, uid: Option<u32>, gid: Option<u32>) -> SysResult {
    fchownat(cx, d, path, uid, gid, AT_SYMLINK_NOFOLLOW)
}

fn statfs_of(node: fsys::NodeRef) -> Result<abi::StatFs, Errno> {
    fsys::with(|v| syscall::ops::file::statfs_of(v, node))
}

pub fn statfs(cx: &mut Ctx, dir: Dir, path: String, out: u64) -> SysResult {
    let cred = cx.process()?.cred();
    let from = base(cx, start(dir, &path))?;
    let node = fsys::resolve(&cred, from, &path, true)?;
    let s = statfs_of(node)?;
    put(out, &uapi::statfs(&s).0)?;
    Ok(0)
}

pub fn fstatfs(cx: &mut Ctx, fd: Fd, out: u64) -> SysResult {
    let f = cx.file(fd)?;
    let node = f.node().ok_or(Errno::EINVAL)?;
    let s = statfs_of(node)?;
    put(out, &uapi::statfs(&s).0)?;
    Ok(0)
}

/// `getcwd`: the path with its NUL; returns its length with the NUL (the system call,
/// not the C function, which returns the buffer).
pub fn getcwd(cx: &mut Ctx, dest: UserSliceMut) -> SysResult {
    let cwd = cx.with_process(|p| p.cwd.lock().node())?;
    let mut path = fsys::path_of(cwd)?.into_bytes();
    path.push(0);
    if path.len() > dest.len() {
        return Err(Errno::ERANGE);
    }
    dest.write_at(0, &path)?;
    Ok(path.len())
}

pub fn fchdir(cx: &mut Ctx, fd: Fd) -> SysResult {
    ops::chdir(cx, Dir::Fd(fd), String::from("."))
}

/// `utimensat(dir, path, times[2], flags)`: each time a `timespec` or one of the
/// special `tv_nsec` values UTIME_NOW, UTIME_OMIT; no `times`: both now.
pub fn utimensat(cx: &mut Ctx, dir: Dir, path: u64, times: u64, flags: u32) -> SysResult {
    const NOW: u64 = (1 << 30) - 1;
    const OMIT: u64 = (1 << 30) - 2;
    if flags & !AT_SYMLINK_NOFOLLOW != 0 {
        return Err(Errno::EINVAL);
    }
    if path == 0 {
        // futimens(fd, ...): dinos sets times by name only.
        return Err(Errno::EINVAL);
    }
    let path = syscall::user::read_cstr(path, syscall::user::STR_MAX)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let (atime, mtime) = if times == 0 {
        (abi::types::UTIME_NOW, abi::types::UTIME_NOW)
    } else {
        let t: [u8; 32] = get(times)?;
        let one = |sec: u64, nsec: u64| match nsec {
            NOW => Ok(abi::types::UTIME_NOW),
            OMIT => Ok(abi::types::UTIME_OMIT),
            n if n < 1_000_000_000 && (sec as i64) >= 0 => Ok(sec),
            _ => Err(Errno::EINVAL),
        };
        (
            one(le64(&t, 0), le64(&t, 8))?,
            one(le64(&t, 16), le64(&t, 24))?,
        )
    };
    let dir = start(dir, &path);
    ops::utimes(cx, dir, path, atime, mtime)
}

pub fn dup3(cx: &mut Ctx, fd: Fd, to: Fd, flags: u32) -> SysResult {
    if fd == to || flags & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    ops::dup2(cx, fd, to)?;
    cx.with_process(|p| p.files.lock().set_cloexec(to.0, flags & O_CLOEXEC != 0))??;
    Ok(to.0 as usize)
}

/// `fcntl`: descriptor duplication and flags. F_SETFL changes O_APPEND and
/// O_NONBLOCK of the open file (shared by every descriptor dup'd or inherited from
/// it, as in Linux) and ignores the other bits; record locks are not supported
/// (EINVAL).
pub fn fcntl(cx: &mut Ctx, fd: Fd, cmd: u32, arg: u64) -> SysResult {
    let f = cx.file(fd)?;
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let min = i32::try_from(arg).map_err(|_| Errno::EINVAL)?;
            let fd = cx.with_process(|p| {
                p.files
                    .lock()
                    .insert_from(min, f.clone(), cmd == F_DUPFD_CLOEXEC)
            })??;
            Ok(fd as usize)
        }
        F_GETFD => Ok(cx.with_process(|p| p.files.lock().cloexec(fd.0))?? as usize),
        F_SETFD => {
            cx.with_process(|p| p.files.lock().set_cloexec(fd.0, arg & FD_CLOEXEC != 0))??;
            Ok(0)
        }
        F_GETFL => {
            Ok((f.flags() & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC)) as usize)
        }
        F_SETFL => {
            f.set_status_flags(arg as u32);
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `ioctl` on terminals: termios (as much of it as the dinos terminal has: echo,
/// canonical mode, signals), window size, foreground group; FIONREAD on pipes and
/// the terminal; FIONBIO on any descriptor.
pub fn ioctl(cx: &mut Ctx, fd: Fd, request: u32, arg: u64) -> SysResult {
    let int_arg = || get::<4>(arg).map(u32::from_le_bytes);
    let req = match request {
        FIONBIO => {
            let f = cx.file(fd)?;
            let on = int_arg()? != 0;
            let flags = f.flags() & !O_NONBLOCK;
            f.set_status_flags(if on { flags | O_NONBLOCK } else { flags });
            return Ok(0);
        }
        TIOCSWINSZ => {
            let w: [u8; 8] = get(arg)?;
            let at = |i: usize| u16::from_le_bytes([w[i], w[i + 1]]);
            Ioctl::SetWinSize(abi::WinSize {
                rows: at(0),
                cols: at(2),
                xpixel: at(4),
                ypixel: at(6),
            })
        }
        FIONREAD => {
            // A regular file: the size less the position, as Linux's VFS computes it
            // (an int, so negative past the end).
            let f = cx.file(fd)?;
            let st = f.stat()?;
            if f.has_position() && st.mode & abi::flags::S_IFMT == abi::flags::S_IFREG {
                let left = st.size.wrapping_sub(*f.offset.lock()) as i32;
                put(arg, &left.to_le_bytes())?;
                return Ok(0);
            }
            Ioctl::BytesReady
        }
        TCGETS => Ioctl::GetTermMode,
        TCSETS | TCSETSW | TCSETSF => {
            let t: [u8; TERMIOS_SIZE] = get(arg)?;
            Ioctl::SetTermMode(uapi::mode_of_termios(&t))
        }
        TIOCGWINSZ => Ioctl::GetWinSize,
        TIOCGPGRP => Ioctl::GetForeground,
        TIOCSPGRP => Ioctl::SetForeground(int_arg()?),
        TIOCSCTTY => Ioctl::SetControlling,
        TIOCGPTN => Ioctl::GetPtyNumber,
        TIOCSPTLCK => Ioctl::SetPtyLock(int_arg()? != 0),
        _ => Ioctl::Unknown,
    };
    match syscall::ops::device::ioctl(cx, fd, req)? {
        IoctlReply::None => {}
        IoctlReply::U32(v) if request == TCGETS => put(arg, &uapi::termios_of_mode(v))?,
        IoctlReply::U32(v) => put(arg, &v.to_le_bytes())?,
        IoctlReply::U64(v) => put(arg, &v.to_le_bytes())?,
        IoctlReply::WinSize(w) => {
            let mut b = uapi::Bytes::default();
            b.u16(w.rows).u16(w.cols).u16(w.xpixel).u16(w.ypixel);
            put(arg, &b.0)?
        }
        // Never asked for in the Linux numbering (Linux's fbdev structures differ).
        IoctlReply::FbMode(_) => return Err(Errno::ENOTTY),
    }
    Ok(0)
}

pub fn pipe2(cx: &mut Ctx, out: u64, flags: u32) -> SysResult {
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        // O_DIRECT (packet mode): not supported.
        return Err(Errno::EINVAL);
    }
    syscall::ops::comm::pipe(cx, syscall::user::UserPtr::new(out))?;
    if flags != 0 {
        let fds: [u8; 8] = get(out)?;
        let r = i32::from_le_bytes([fds[0], fds[1], fds[2], fds[3]]);
        let w = i32::from_le_bytes([fds[4], fds[5], fds[6], fds[7]]);
        if flags & O_NONBLOCK != 0 {
            for fd in [r, w] {
                let f = cx.file(Fd(fd))?;
                f.set_status_flags(f.flags() | O_NONBLOCK);
            }
        }
        if flags & O_CLOEXEC != 0 {
            cx.with_process(|p| {
                let mut t = p.files.lock();
                t.set_cloexec(r, true)?;
                t.set_cloexec(w, true)
            })??;
        }
    }
    Ok(0)
}

pub fn pipe(cx: &mut Ctx, out: u64) -> SysResult {
    pipe2(cx, out, 0)
}

/// A timeout in milliseconds (negative: forever) as the native poll's nanoseconds.
pub fn poll(cx: &mut Ctx, fds: u64, nfds: u64, timeout_ms: i32) -> SysResult {
    let ns = if timeout_ms < 0 {
        abi::flags::TIMEOUT_FOREVER
    } else {
        timeout_ms as u64 * 1_000_000
    };
    let nfds = usize::try_from(nfds).map_err(|_| Errno::EINVAL)?;
    syscall::ops::port::poll(cx, syscall::user::UserPtr::new(fds), nfds, ns)
}

pub fn ppoll(cx: &mut Ctx, fds: u64, nfds: u64, tsp: u64, sigmask: u64) -> SysResult {
    if sigmask != 0 {
        // Changing the mask for the wait only: not supported.
        return Err(Errno::EINVAL);
    }
    let ns = match tsp {
        0 => abi::flags::TIMEOUT_FOREVER,
        p => crate::info::timespec_ns(p)?,
    };
    let nfds = usize::try_from(nfds).map_err(|_| Errno::EINVAL)?;
    syscall::ops::port::poll(cx, syscall::user::UserPtr::new(fds), nfds, ns)
}

/// The `(base, len)` pairs of an `iovec` array (at most IOV_MAX, 1024).
fn iovecs(iov: u64, count: u64) -> Result<Vec<(u64, usize)>, Errno> {
    if count > 1024 {
        return Err(Errno::EINVAL);
    }
    let raw = proc::uaccess::read_bytes(iov, count as usize * 16)?;
    let mut total = 0usize;
    let mut out = Vec::with_capacity(count as usize);
    for c in raw.chunks_exact(16) {
        let (base, len) = (le64(c, 0), le64(c, 8));
        total = total
            .checked_add(len as usize)
            .filter(|&t| t <= isize::MAX as usize)
            .ok_or(Errno::EINVAL)?;
        out.push((base, len as usize));
    }
    Ok(out)
}

pub fn readv(cx: &mut Ctx, fd: Fd, iov: u64, count: u64) -> SysResult {
    let mut done = 0;
    for (base, len) in iovecs(iov, count)? {
        let n = match ops::read(cx, fd, UserSliceMut::new(base, len)) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += n;
        if n < len {
            break;
        }
    }
    Ok(done)
}

pub fn writev(cx: &mut Ctx, fd: Fd, iov: u64, count: u64) -> SysResult {
    let mut done = 0;
    for (base, len) in iovecs(iov, count)? {
        if len == 0 {
            continue;
        }
        let n = match ops::write(cx, fd, UserSlice::new(base, len)) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += n;
        if n < len {
            break;
        }
    }
    Ok(done)
}

/// `sendfile(out, in, offset, count)`: copy through a kernel buffer, from `in`'s
/// position (or from `*offset`, which is then advanced, leaving the position alone).
pub fn sendfile(cx: &mut Ctx, out: Fd, inp: Fd, offp: u64, count: u64) -> SysResult {
    let (src, dst) = (cx.file(inp)?, cx.file(out)?);
    let mut off = match offp {
        0 => None,
        p => Some(u64::from_le_bytes(get::<8>(p)?)),
    };
    let count = count.min(0x7fff_f000) as usize;
    let mut buf = alloc::vec![0u8; count.clamp(1, proc::uaccess::CHUNK)];
    let mut done = 0;
    while done < count {
        let want = (count - done).min(buf.len());
        let got = match off {
            Some(o) => src.pread(&mut buf[..want], o),
            None => src.read(&mut buf[..want]),
        };
        let n = match got {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        let mut put_n = 0;
        while put_n < n {
            match dst.write(&buf[put_n..n]) {
                Ok(0) => break,
                Ok(w) => put_n += w,
                Err(e) if done + put_n == 0 => return Err(e),
                Err(_) => break,
            }
        }
        done += put_n;
        if let Some(o) = off.as_mut() {
            *o += put_n as u64;
        }
        if put_n < n {
            break;
        }
    }
    if let (Some(o), p) = (off, offp) {
        put(p, &o.to_le_bytes())?;
    }
    Ok(done)
}

/// The bytes of an `fd_set` for `nfds` descriptors (whole 64-bit words, as the kernel
/// reads them), or none for a null pointer.
fn fd_set(at: u64, nfds: usize) -> Result<Option<Vec<u8>>, Errno> {
    if at == 0 {
        return Ok(None);
    }
    proc::uaccess::read_bytes(at, nfds.div_ceil(64) * 8).map(Some)
}

fn is_set(set: &Option<Vec<u8>>, fd: usize) -> bool {
    set.as_ref()
        .is_some_and(|s| s[fd / 8] & (1 << (fd % 8)) != 0)
}

/// `select` over the native poll: each descriptor in the read or write set becomes a
/// `pollfd`; the sets are rewritten with the ready ones. There are no exceptional
/// conditions on dinos' files, so the except set comes back empty. `timeout` is in
/// nanoseconds.
fn select_ns(cx: &mut Ctx, nfds: i32, r: u64, w: u64, e: u64, timeout: u64) -> SysResult {
    use abi::flags::{POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT};
    let nfds = usize::try_from(nfds).map_err(|_| Errno::EINVAL)?;
    if nfds > files::MAX_FDS.max(1024) {
        return Err(Errno::EINVAL);
    }
    let (rs, ws, es) = (fd_set(r, nfds)?, fd_set(w, nfds)?, fd_set(e, nfds)?);
    let mut want = Vec::new();
    for fd in 0..nfds {
        let events =
            if is_set(&rs, fd) { POLLIN } else { 0 } | if is_set(&ws, fd) { POLLOUT } else { 0 };
        if events != 0 || is_set(&es, fd) {
            want.push(abi::PollFd {
                fd: fd as i32,
                events,
                revents: 0,
            });
        }
    }
    syscall::ops::port::poll_fds(cx, &mut want, timeout)?;
    let mut out_r = rs.as_ref().map(|s| alloc::vec![0u8; s.len()]);
    let mut out_w = ws.as_ref().map(|s| alloc::vec![0u8; s.len()]);
    let mut n = 0;
    for p in &want {
        if p.revents & POLLNVAL != 0 {
            return Err(Errno::EBADF);
        }
        let fd = p.fd as usize;
        let mark = |set: &mut Option<Vec<u8>>| {
            if let Some(s) = set {
                s[fd / 8] |= 1 << (fd % 8);
            }
        };
        if p.events & POLLIN != 0 && p.revents & (POLLIN | POLLHUP | POLLERR) != 0 {
            mark(&mut out_r);
            n += 1;
        }
        if p.events & POLLOUT != 0 && p.revents & (POLLOUT | POLLERR) != 0 {
            mark(&mut out_w);
            n += 1;
        }
    }
    for (at, set) in [
        (r, out_r),
        (w, out_w),
        (e, es.map(|s| alloc::vec![0u8; s.len()])),
    ] {
        if let Some(s) = set {
            put(at, &s)?;
        }
    }
    Ok(n)
}

pub fn select(cx: &mut Ctx, nfds: i32, r: u64, w: u64, e: u64, tv: u64) -> SysResult {
    let ns = match tv {
        0 => abi::flags::TIMEOUT_FOREVER,
        p => crate::info::timeval_ns(&get::<16>(p)?, 0)?,
    };
    select_ns(cx, nfds, r, w, e, ns)
}

pub fn pselect6(cx: &mut Ctx, nfds: i32, r: u64, w: u64, e: u64, ts: u64, sig: u64) -> SysResult {
    if sig != 0 {
        // The sigmask block: { const sigset_t *ss; size_t ss_len }; a mask for the
        // wait alone is not supported.
        let b: [u8; 16] = get(sig)?;
        if le64(&b, 0) != 0 {
            return Err(Errno::EINVAL);
        }
    }
    let ns = match ts {
        0 => abi::flags::TIMEOUT_FOREVER,
        p => crate::info::timespec_ns(p)?,
    };
    select_ns(cx, nfds, r, w, e, ns)
}
