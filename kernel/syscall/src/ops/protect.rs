//! Protection and system control (chapter 2, 3-2): identities (the user and group
//! ids and how they change; privileged operations ask `cred::capable`), and power.
//!
//! Every change of ids is decided by the `cred` crate (`Credentials::with_uid` and
//! friends, the POSIX rules with the saved id) and installed whole with
//! `Process::set_cred`; a refusal is `EPERM`.

use crate::table::{Ctx, SysResult};
use crate::user::{UserSlice, UserSliceMut};
use abi::Errno;
use alloc::vec::Vec;
use cred::{capable, Capability, Credentials, IdTriple};

/// Replace the caller's credentials by what `change` makes of them (`EPERM` if it
/// refuses).
fn change_ids(cx: &mut Ctx, change: impl FnOnce(&Credentials) -> Option<Credentials>) -> SysResult {
    let p = cx.process()?;
    let new = change(&p.cred()).ok_or(Errno::EPERM)?;
    p.set_cred(new);
    Ok(0)
}

pub fn setuid(cx: &mut Ctx, uid: Option<u32>) -> SysResult {
    let uid = uid.ok_or(Errno::EINVAL)?;
    change_ids(cx, |c| c.with_uid(uid))
}

pub fn setgid(cx: &mut Ctx, gid: Option<u32>) -> SysResult {
    let gid = gid.ok_or(Errno::EINVAL)?;
    change_ids(cx, |c| c.with_gid(gid))
}

pub fn setresuid(cx: &mut Ctx, r: Option<u32>, e: Option<u32>, s: Option<u32>) -> SysResult {
    let ids: IdTriple = (r, e, s);
    change_ids(cx, |c| c.with_resuid(ids))
}

pub fn setresgid(cx: &mut Ctx, r: Option<u32>, e: Option<u32>, s: Option<u32>) -> SysResult {
    let ids: IdTriple = (r, e, s);
    change_ids(cx, |c| c.with_resgid(ids))
}

pub fn geteuid(cx: &mut Ctx) -> SysResult {
    Ok(cx.process()?.cred().euid as usize)
}

pub fn getegid(cx: &mut Ctx) -> SysResult {
    Ok(cx.process()?.cred().egid as usize)
}

/// `getgroups(buf)`: the supplementary groups as `u32`s; returns how many there are.
/// An empty buffer only counts them; one too small for them all is `EINVAL`.
pub fn getgroups(cx: &mut Ctx, buf: UserSliceMut) -> SysResult {
    let cred = cx.process()?.cred();
    let n = cred.groups.len();
    if buf.is_empty() {
        return Ok(n);
    }
    if buf.len() < n * 4 {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = cred.groups.iter().flat_map(|g| g.to_le_bytes()).collect();
    buf.write_at(0, &bytes)?;
    Ok(n)
}

/// `setgroups(list)`: replace the supplementary groups (a list of `u32`s, at most
/// `NGROUPS_MAX`); privileged.
pub fn setgroups(cx: &mut Ctx, list: UserSlice) -> SysResult {
    if !list.len().is_multiple_of(4) || list.len() / 4 > abi::flags::NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let bytes = list.to_vec()?;
    let groups: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    change_ids(cx, |c| c.with_groups(&groups))
}

pub fn getuid(cx: &mut Ctx) -> SysResult {
    Ok(cx.process()?.cred().ruid as usize)
}

pub fn getgid(cx: &mut Ctx) -> SysResult {
    Ok(cx.process()?.cred().rgid as usize)
}

/// `umask(mask)`: the permission bits that files and directories the process creates
/// from now on will not have (`0o022`: no write for group and others); returns the
/// old mask. Part of the credentials, so `fork` and `spawn` pass it on and `exec`
/// keeps it.
pub fn umask(cx: &mut Ctx, mask: u32) -> SysResult {
    let p = cx.process()?;
    let mut cred = (*p.cred()).clone();
    let old = cred.umask;
    cred.umask = mask & 0o777;
    p.set_cred(cred);
    Ok(old as usize)
}

/// Write every file system back and forget its cached blocks: returns how many were
/// dropped (privileged: `Capability::SysAdmin`).
pub fn drop_caches(cx: &mut Ctx) -> SysResult {
    fsys::drop_caches(&cx.process()?.cred())
}

pub fn poweroff(cx: &mut Ctx) -> SysResult {
    if !capable(&cx.process()?.cred(), Capability::PowerOff) {
        return Err(Errno::EPERM);
    }
    log::info!(
        "power off requested: syncing file systems ({} PCI interrupts so far)",
        drivers::virtio_blk::interrupts()
    );
    if let Err(e) = fsys::shutdown() {
        log::error!("sync before power-off failed: {e}");
    }
    hal::power::poweroff()
}

pub fn reboot(cx: &mut Ctx) -> SysResult {
    if !capable(&cx.process()?.cred(), Capability::PowerOff) {
        return Err(Errno::EPERM);
    }
    if let Err(e) = fsys::shutdown() {
        log::error!("sync before reboot failed: {e}");
    }
    hal::power::reboot()
}
