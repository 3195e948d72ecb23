//! Exclusive use of a device (chapter 2, 3-2 "device management": request and
//! release): which process holds which device.
//!
//! A process can *request* a device for exclusive use and *release* it again
//! ([`request`], [`release`]): a second requester waits, or gets EBUSY if it asked not
//! to wait. A hold is a process's resource like its descriptors, so it lives here, with
//! the processes, and not in the device registry: exit gives back everything a process
//! holds ([`release_all`]), and a holder found gone (or a zombie) counts as none.

use crate::process::Pid;
use abi::Errno;
use alloc::collections::BTreeMap;
use task::{Mutex, WaitQueue};

/// Devices held for exclusive use: device number -> owner.
static OWNERS: Mutex<BTreeMap<u32, Pid>> = task::mutex(BTreeMap::new());
static RELEASED: WaitQueue = WaitQueue::new();

/// Request device `rdev` for exclusive use by `pid`. Waits while another process holds
/// it, or fails with EBUSY when `nonblock`.
pub fn request(rdev: u32, pid: Pid, nonblock: bool) -> Result<(), Errno> {
    loop {
        {
            let mut o = OWNERS.lock();
            match o.get(&rdev) {
                None => {
                    o.insert(rdev, pid);
                    return Ok(());
                }
                Some(&p) if p == pid => return Ok(()),
                Some(&p) if crate::process::get(p).is_none_or(|q| q.is_zombie()) => {
                    o.insert(rdev, pid); // the holder is gone
                    return Ok(());
                }
                Some(_) if nonblock => return Err(Errno::EBUSY),
                Some(_) => {}
            }
        }
        crate::signal::interruptible_wait(&RELEASED, || !OWNERS.lock().contains_key(&rdev))?;
    }
}

/// Give a device back (EPERM if `pid` does not hold it).
pub fn release(rdev: u32, pid: Pid) -> Result<(), Errno> {
    let mut o = OWNERS.lock();
    match o.get(&rdev) {
        Some(&p) if p == pid => {
            o.remove(&rdev);
            drop(o);
            RELEASED.wake_all();
            Ok(())
        }
        _ => Err(Errno::EPERM),
    }
}

/// Release everything `pid` holds (it exited).
pub fn release_all(pid: Pid) {
    let mut o = OWNERS.lock();
    let before = o.len();
    o.retain(|_, p| *p != pid);
    let changed = o.len() != before;
    drop(o);
    if changed {
        RELEASED.wake_all();
    }
}
