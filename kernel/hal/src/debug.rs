//! Deliberate faults, for tests and for the monitor's `fault` command: seeing a fault
//! report is part of learning what the kernel does with one.

use crate::addr::VirtAddr;

/// Read a byte from `addr`, which must be *unmapped*: the read then raises a page fault
/// (reported, and fatal, in kernel mode). Returns `None` without reading if `addr` is
/// mapped, so this can never read memory that someone else owns.
pub fn fault_read(addr: u64) -> Option<u8> {
    if crate::paging::translate_active(VirtAddr(addr & !0xfff)).is_some() {
        return None;
    }
    // SAFETY: the address is not mapped in the active table (checked just above; on one
    // CPU nothing can map it between the check and the read without this thread being
    // preempted into code that maps a page at exactly this address, which no kernel code
    // does), so the read faults before it can observe any memory.
    Some(unsafe { core::ptr::read_volatile(addr as *const u8) })
}
