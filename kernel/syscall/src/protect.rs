//! Protection and system control: identities (everyone is root until users and
//! permissions arrive), and power.

use crate::{me, Args};
use abi::Errno;

pub fn getuid(_: &mut Args) -> Result<usize, Errno> {
    Ok(me()?.uid as usize)
}

pub fn getgid(_: &mut Args) -> Result<usize, Errno> {
    Ok(me()?.gid as usize)
}

pub fn poweroff(_: &mut Args) -> Result<usize, Errno> {
    if me()?.uid != 0 {
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

pub fn reboot(_: &mut Args) -> Result<usize, Errno> {
    if me()?.uid != 0 {
        return Err(Errno::EPERM);
    }
    if let Err(e) = proc::fsys::shutdown() {
        log::error!("sync before reboot failed: {e}");
    }
    hal::power::reboot()
}
