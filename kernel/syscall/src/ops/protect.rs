//! Protection and system control (chapter 2, 3-2): identities and power.

use crate::table::{Ctx, SysResult};
use abi::Errno;

pub fn getuid(cx: &mut Ctx) -> SysResult {
    cx.with_process(|p| p.uid as usize)
}

pub fn getgid(cx: &mut Ctx) -> SysResult {
    cx.with_process(|p| p.gid as usize)
}

pub fn poweroff(cx: &mut Ctx) -> SysResult {
    if cx.with_process(|p| p.uid)? != 0 {
        return Err(Errno::EPERM);
    }
    log::info!(
        "power off requested: syncing file systems ({} disk interrupts so far)",
        drivers::virtio_blk::interrupts()
    );
    if let Err(e) = proc::fsys::shutdown() {
        log::error!("sync before power-off failed: {e}");
    }
    hal::power::poweroff()
}

pub fn reboot(cx: &mut Ctx) -> SysResult {
    if cx.with_process(|p| p.uid)? != 0 {
        return Err(Errno::EPERM);
    }
    if let Err(e) = proc::fsys::shutdown() {
        log::error!("sync before reboot failed: {e}");
    }
    hal::power::reboot()
}
