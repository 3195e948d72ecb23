//! Extended attributes (`getxattr`, `listxattr`, `setxattr`, `removexattr` and their
//! `l`/`f` forms) for Linux programs: dinos' file systems keep none.
//!
//! Chapter 2 section 6 again: a program written for one OS asks questions the other
//! OS may have no answer to, and the honest reply is the one its own OS gives for a
//! file system without the feature. GNU `ls -l` asks every file for its access
//! control list (`security.selinux`, `system.posix_acl_access`); Linux answers
//! `EOPNOTSUPP` on a file system mounted without extended attributes, and the C
//! library and coreutils take that to mean "no ACL, no security label". So each call
//! first finds the file (a missing one is `ENOENT`, a bad descriptor `EBADF`, as on
//! Linux), then says the file system does not support them.

use abi::Errno;
use alloc::string::String;
use syscall::arg::Fd;
use syscall::ops::file::Dir;
use syscall::table::{Ctx, SysResult};

/// The file must exist (followed or not): then, no attributes here.
fn unsupported_at(cx: &Ctx, path: &str, follow: bool) -> SysResult {
    crate::file::stat_path(cx, Dir::Cwd, path, follow)?;
    Err(Errno::EOPNOTSUPP)
}

fn unsupported_fd(cx: &Ctx, fd: Fd) -> SysResult {
    cx.file(fd)?;
    Err(Errno::EOPNOTSUPP)
}

pub fn getxattr(cx: &mut Ctx, path: String, _name: String, _val: u64, _size: u64) -> SysResult {
    unsupported_at(cx, &path, true)
}

pub fn lgetxattr(cx: &mut Ctx, path: String, _name: String, _val: u64, _size: u64) -> SysResult {
    unsupported_at(cx, &path, false)
}

pub fn fgetxattr(cx: &mut Ctx, fd: Fd, _name: String, _val: u64, _size: u64) -> SysResult {
    unsupported_fd(cx, fd)
}

pub fn listxattr(cx: &mut Ctx, path: String, _list: u64, _size: u64) -> SysResult {
    unsupported_at(cx, &path, true)
}

pub fn llistxattr(cx: &mut Ctx, path: String, _list: u64, _size: u64) -> SysResult {
    unsupported_at(cx, &path, false)
}

pub fn flistxattr(cx: &mut Ctx, fd: Fd, _list: u64, _size: u64) -> SysResult {
    unsupported_fd(cx, fd)
}

pub fn setxattr(
    cx: &mut Ctx,
    path: String,
    _name: String,
    _val: u64,
    _size: u64,
    _flags: u32,
) -> SysResult {
    unsupported_at(cx, &path, true)
}

pub fn lsetxattr(
    cx: &mut Ctx,
    path: String,
    _name: String,
    _val: u64,
    _size: u64,
    _flags: u32,
) -> SysResult {
    unsupported_at(cx, &path, false)
}

pub fn fsetxattr(
    cx: &mut Ctx,
    fd: Fd,
    _name: String,
    _val: u64,
    _size: u64,
    _flags: u32,
) -> SysResult {
    unsupported_fd(cx, fd)
}

pub fn removexattr(cx: &mut Ctx, path: String, _name: String) -> SysResult {
    unsupported_at(cx, &path, true)
}

pub fn lremovexattr(cx: &mut Ctx, path: String, _name: String) -> SysResult {
    unsupported_at(cx, &path, false)
}

pub fn fremovexattr(cx: &mut Ctx, fd: Fd, _name: String) -> SysResult {
    unsupported_fd(cx, fd)
}
