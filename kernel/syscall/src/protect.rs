//! Protection and system control: identities (everyone is root until login
//! arrives; the checks are `cred::capable`), and power.

use crate::{me, Args};
use abi::Errno;
use cred::{capable, Capability};

pub fn getuid(_: &mut Args) -> Result<usize, Errno> {
    Ok(me()?.cred().ruid as usize)
}

pub fn getgid(_: &mut Args) -> Result<usize, Errno> {
    Ok(me()?.cred().rgid as usize)
}

pub fn poweroff(_: &mut Args) -> Result<usize, Errno> {
    if !capable(&me()?.cred(), Capability::PowerOff) {
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
    if !capable(&me()?.cred(), Capability::PowerOff) {
        return Err(Errno::EPERM);
    }
    if let Err(e) = proc::fsys::shutdown() {
        log::error!("sync before reboot failed: {e}");
    }
    hal::power::reboot()
}
