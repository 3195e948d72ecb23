//! Protection and system control calls (chapter 2 section 3): credentials, users and
//! groups, power off and reboot, mounting, and loading kernel modules (docs/abi.md lists
//! which need root).

use super::raw::{syscall0, syscall1, syscall2, syscall3, syscall4};
use super::{ptr_mut, ret, SysResult};
use abi::{nr, Errno};

// ---- protection and system control ----------------------------------------------------

pub fn getuid() -> SysResult {
    ret(syscall0(nr::GETUID))
}

pub fn getgid() -> SysResult {
    ret(syscall0(nr::GETGID))
}

/// Set the file-mode creation mask; the old one.
pub fn umask(mask: u32) -> SysResult {
    ret(syscall1(nr::UMASK, mask as usize))
}

/// Power the machine off (only returns on failure, e.g. EPERM).
pub fn poweroff() -> SysResult {
    ret(syscall0(nr::POWEROFF))
}

/// Write every file system back and forget its cached blocks; returns how many were
/// dropped (root only).
pub fn drop_caches() -> SysResult {
    ret(syscall0(nr::DROP_CACHES))
}

/// Restart the machine (only returns on failure).
pub fn reboot() -> SysResult {
    ret(syscall0(nr::REBOOT))
}

// ---- users and groups --------------------------------------------------------------------

/// `u32::MAX`: leave this id unchanged (`setresuid`, `chown`).
fn id_arg(id: Option<u32>) -> usize {
    id.unwrap_or(abi::flags::ID_UNCHANGED) as usize
}

/// Set the user ids: all three for root, else the effective one (to the real or saved).
pub fn setuid(uid: u32) -> SysResult {
    ret(syscall1(nr::SETUID, uid as usize))
}

pub fn setgid(gid: u32) -> SysResult {
    ret(syscall1(nr::SETGID, gid as usize))
}

pub fn geteuid() -> SysResult {
    ret(syscall0(nr::GETEUID))
}

pub fn getegid() -> SysResult {
    ret(syscall0(nr::GETEGID))
}

/// Set the real, effective and saved user ids (`None` leaves one).
pub fn setresuid(r: Option<u32>, e: Option<u32>, s: Option<u32>) -> SysResult {
    ret(syscall3(nr::SETRESUID, id_arg(r), id_arg(e), id_arg(s)))
}

pub fn setresgid(r: Option<u32>, e: Option<u32>, s: Option<u32>) -> SysResult {
    ret(syscall3(nr::SETRESGID, id_arg(r), id_arg(e), id_arg(s)))
}

/// Fill `out` with the supplementary groups; returns how many there are (an empty
/// `out` only counts them).
pub fn getgroups(out: &mut [u32]) -> SysResult {
    ret(syscall2(
        nr::GETGROUPS,
        out.as_mut_ptr() as usize,
        out.len() * 4,
    ))
}

/// Replace the supplementary groups (root only).
pub fn setgroups(groups: &[u32]) -> SysResult {
    ret(syscall2(
        nr::SETGROUPS,
        groups.as_ptr() as usize,
        groups.len() * 4,
    ))
}

/// Change the owner and/or group of `path` (`None` leaves one).
pub fn chown(path: &str, uid: Option<u32>, gid: Option<u32>) -> SysResult {
    ret(syscall4(
        nr::CHOWN,
        path.as_ptr() as usize,
        path.len(),
        id_arg(uid),
        id_arg(gid),
    ))
}

pub fn fchown(fd: i32, uid: Option<u32>, gid: Option<u32>) -> SysResult {
    ret(syscall3(nr::FCHOWN, fd as usize, id_arg(uid), id_arg(gid)))
}

/// May the real user access `path` so (`R_OK|W_OK|X_OK`; 0: does it exist)?
pub fn access(path: &str, how: u32) -> SysResult {
    ret(syscall3(
        nr::ACCESS,
        path.as_ptr() as usize,
        path.len(),
        how as usize,
    ))
}

pub fn fchmod(fd: i32, mode: u32) -> SysResult {
    ret(syscall2(nr::FCHMOD, fd as usize, mode as usize))
}

// ---- loadable kernel modules (docs/modules.md) --------------------------------------

/// Load the kernel module in `image` (an ELF relocatable object) with argument string
/// `args`; root only. On refusal the kernel writes its reason into `why` (NUL-ended).
pub fn init_module(image: &[u8], args: &str, why: &mut [u8]) -> SysResult {
    ret(super::raw::syscall6(
        nr::INIT_MODULE,
        image.as_ptr() as usize,
        image.len(),
        args.as_ptr() as usize,
        args.len(),
        ptr_mut(why),
        why.len(),
    ))
}

/// Stop and remove kernel module `name`; root only; the reason of a refusal in `why`.
pub fn delete_module(name: &str, why: &mut [u8]) -> SysResult {
    ret(super::raw::syscall6(
        nr::DELETE_MODULE,
        name.as_ptr() as usize,
        name.len(),
        ptr_mut(why),
        why.len(),
        0,
        0,
    ))
}

/// The loaded modules (`name size refcount users` lines) into `buf`: the listing's
/// whole length.
pub fn modules(buf: &mut [u8]) -> SysResult {
    ret(syscall2(nr::MODULES, ptr_mut(buf), buf.len()))
}

/// Call `nr`, a number of the dynamic range (`nr::DYNAMIC_FIRST` onwards, calls added
/// by kernel modules), with integer arguments; EINVAL for any other number.
pub fn dynamic_call(nr: usize, args: [usize; 6]) -> SysResult {
    if !(nr::DYNAMIC_FIRST..nr::DYNAMIC_FIRST + nr::DYNAMIC_COUNT).contains(&nr) {
        return Err(Errno::EINVAL);
    }
    ret(super::raw::syscall6(
        nr, args[0], args[1], args[2], args[3], args[4], args[5],
    ))
}
