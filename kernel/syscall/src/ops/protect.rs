//! Protection and system control (chapter 2, 3-2): identities (everyone is root
//! until login arrives; privileged operations ask `cred::capable`), and power.

use crate::table::{Ctx, SysResult};
use abi::Errno;
use cred::{capable, Capability};

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
        "power off requested: syncing file systems ({} disk interrupts so far)",
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
