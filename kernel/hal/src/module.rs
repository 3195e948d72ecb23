//! What the loader of kernel modules needs from the machine (chapter 2 section 7,
//! "modules"): entering a module's code, and reading memory a module points at.
//!
//! The in-kernel linker (`kernel/module`, which forbids `unsafe`) places a module's
//! sections in frames it owns and maps them in the module region
//! ([`MODULE_BASE`](crate::addr::MODULE_BASE)), text read + execute and everything else
//! no-execute, through the ordinary page-table API. Two things it cannot do in safe
//! code are here:
//!
//! - [`call`]: jump to an address in a module. Checked: the address must be on a page
//!   mapped as module text by [`map_text`] and not yet taken away by [`unmap_text`]
//!   (a bitmap of the region's pages, one bit each: the check is a few instructions,
//!   which matters on the path of a module's system call). What the code then does is
//!   the module's responsibility: a loaded module is trusted kernel code (loading
//!   needs root), the trust Linux gives its modules too.
//! - [`call_entry`]: the same jump for a system call a module added, at the cost of a
//!   built-in call: the address was checked once, when it was bound to its slot
//!   ([`bind_entry`]), and the call is counted by one `inc` of a per-CPU word (no
//!   locked instruction). [`unbind_entry`] empties the slot, makes every CPU pass a
//!   serialising point (a TLB shootdown) and then [`calls_in_flight`] is exact: a call
//!   that saw the slot full has counted itself by then.
//! - [`read_kernel`]: copy bytes from a kernel address a module handed over (a name, a
//!   table of operations). Each page is translated first, so a bad pointer is an
//!   error, never a fault.

use crate::addr::{PhysAddr, VirtAddr, MODULE_BASE, MODULE_SIZE, PAGE_SIZE};
use crate::paging::{translate_active, with_kernel_table, PageFlags, PageSize};
use core::sync::atomic::{AtomicU64, Ordering};

const PAGES: usize = (MODULE_SIZE / PAGE_SIZE) as usize;
/// One bit per page of the module region: mapped as text.
static TEXT: [AtomicU64; PAGES / 64] = [const { AtomicU64::new(0) }; PAGES / 64];

fn page_index(va: u64) -> Option<usize> {
    (MODULE_BASE..MODULE_BASE + MODULE_SIZE)
        .contains(&va)
        .then(|| ((va - MODULE_BASE) / PAGE_SIZE) as usize)
}

/// Is `addr` on a page mapped as module text?
#[inline]
pub fn is_module_text(addr: u64) -> bool {
    page_index(addr).is_some_and(|i| TEXT[i / 64].load(Ordering::Acquire) & (1 << (i % 64)) != 0)
}

/// Map frame `f` at page `va` of the module region as text (read + execute, global),
/// in the kernel's table. False if `va` is not a page of the region or the mapping
/// fails.
pub fn map_text(va: VirtAddr, f: PhysAddr) -> bool {
    let Some(i) = page_index(va.as_u64()).filter(|_| va.as_u64().is_multiple_of(PAGE_SIZE)) else {
        return false;
    };
    let mapped = with_kernel_table(|t| t.map(va, f, PageSize::Size4K, PageFlags::GLOBAL));
    if !matches!(mapped, Some(Ok(()))) {
        return false;
    }
    TEXT[i / 64].fetch_or(1 << (i % 64), Ordering::Release);
    true
}

/// Take the text page at `va` away: first from [`call`]'s bitmap (and any entry
/// slot pointing into it, waiting for calls in flight), then from the page table.
/// Returns the frame it mapped.
pub fn unmap_text(va: VirtAddr) -> Option<PhysAddr> {
    let i = page_index(va.as_u64())?;
    TEXT[i / 64].fetch_and(!(1 << (i % 64)), Ordering::AcqRel);
    let page = va.as_u64() & !(PAGE_SIZE - 1);
    let mut emptied = false;
    for (slot, e) in ENTRIES.iter().enumerate() {
        if e.load(Ordering::Acquire) & !(PAGE_SIZE - 1) == page {
            unbind_entry(slot);
            emptied = true;
        }
    }
    while emptied && calls_in_flight() != 0 {
        core::hint::spin_loop();
    }
    with_kernel_table(|t| t.unmap(va)).and_then(|r| r.ok())
}

/// Call the function at `addr` in a module with the System V convention: six
/// integer arguments (a function taking fewer ignores the rest), one integer result.
/// `None` if `addr` is not executable module text.
pub fn call(addr: u64, args: [u64; 6]) -> Option<u64> {
    if !is_module_text(addr) {
        return None;
    }
    #[cfg(dinos_kernel)]
    {
        type Entry = extern "C" fn(u64, u64, u64, u64, u64, u64) -> u64;
        // SAFETY: `addr` is on a page mapped as module text (checked: the bit is set
        // only by `map_text`, after the mapping, and cleared by `unmap_text` before
        // it goes): it is a function of a loaded module, which
        // the linker resolved against the export table; its callers (the loader and
        // the devices and calls a module registered) pass the arguments its `kapi`
        // signature names.
        let f: Entry = unsafe { core::mem::transmute::<usize, Entry>(addr as usize) };
        Some(f(args[0], args[1], args[2], args[3], args[4], args[5]))
    }
    #[cfg(not(dinos_kernel))]
    {
        let _ = args;
        None
    }
}

/// How many entry slots there are (`abi::nr::DYNAMIC_COUNT`, checked by the registry).
pub const ENTRY_SLOTS: usize = 32;
/// Slot -> a module function bound as a system call (0: none).
static ENTRIES: [AtomicU64; ENTRY_SLOTS] = [const { AtomicU64::new(0) }; ENTRY_SLOTS];

/// Bind slot `slot` to the module function at `addr`, which must be module text
/// (checked here, once): false otherwise.
pub fn bind_entry(slot: usize, addr: u64) -> bool {
    match ENTRIES.get(slot) {
        Some(e) if is_module_text(addr) => {
            e.store(addr, Ordering::Release);
            true
        }
        _ => false,
    }
}

/// Empty slot `slot`, and make every CPU pass a serialising point, so that from the
/// return on [`calls_in_flight`] counts every call that found the slot full.
pub fn unbind_entry(slot: usize) {
    if let Some(e) = ENTRIES.get(slot) {
        e.store(0, Ordering::SeqCst);
    }
    core::sync::atomic::fence(Ordering::SeqCst);
    // Each other CPU reloads CR3 (serialising: its store buffer drains) before it
    // answers, so its `inc` before a load of the slot is visible after this.
    crate::smp::shootdown(0, true);
}

/// Calls through [`call_entry`] running now, on every CPU (a call that moved to
/// another CPU while inside counted up on one and down on the other: the sum is right).
pub fn calls_in_flight() -> u64 {
    crate::percpu::online_slots()
        .map(|c| c.module_calls.load(Ordering::Acquire))
        .fold(0u64, u64::wrapping_add)
}

/// Call the module function bound to `slot` with the six argument registers
/// (`extern "C" fn(u64 x 6) -> i64`); `None` if the slot is empty. The count goes up
/// *before* the slot is read: see [`unbind_entry`].
#[inline(always)]
pub fn call_entry(slot: usize, args: [u64; 6]) -> Option<u64> {
    let e = ENTRIES.get(slot)?;
    #[cfg(dinos_kernel)]
    {
        // SAFETY: increments this CPU's own counter (`gs:` is this CPU's slot, and the
        // one instruction cannot be split by an interrupt or a move to another CPU).
        unsafe {
            core::arch::asm!("inc qword ptr gs:[{o}]", o = const crate::percpu::MODULE_CALLS,
                options(nostack))
        };
        let addr = e.load(Ordering::Acquire);
        let r = if addr == 0 {
            None
        } else {
            type Entry = extern "C" fn(u64, u64, u64, u64, u64, u64) -> u64;
            // SAFETY: a slot holds only an address `bind_entry` checked was module text;
            // it is emptied (and the calls that read it waited for) before that text is
            // unmapped (`unmap_text`, and the loader's unbind before it). The function
            // is a module's `kapi` system-call trampoline of this signature.
            let f: Entry = unsafe { core::mem::transmute::<usize, Entry>(addr as usize) };
            Some(f(args[0], args[1], args[2], args[3], args[4], args[5]))
        };
        // SAFETY: as the `inc` (on whichever CPU this thread now runs).
        unsafe {
            core::arch::asm!("dec qword ptr gs:[{o}]", o = const crate::percpu::MODULE_CALLS,
                options(nostack))
        };
        r
    }
    #[cfg(not(dinos_kernel))]
    {
        let _ = (e, args);
        None
    }
}

/// Copy `buf.len()` bytes from kernel address `addr` into `buf`: false (nothing
/// copied) if any page of the range is not mapped, or is a user page.
pub fn read_kernel(addr: u64, buf: &mut [u8]) -> bool {
    let Some(end) = addr.checked_add(buf.len() as u64) else {
        return false;
    };
    if !VirtAddr(addr).is_kernel() {
        return false;
    }
    let mut page = addr & !(PAGE_SIZE - 1);
    while page < end {
        match translate_active(VirtAddr(page)) {
            Some((_, f)) if !f.contains(PageFlags::USER) => {}
            _ => return false,
        }
        page += PAGE_SIZE;
    }
    // SAFETY: every page of [addr, end) is mapped in the kernel half (checked above),
    // so the reads cannot fault; the bytes are copied, never referenced.
    unsafe { core::ptr::copy_nonoverlapping(addr as *const u8, buf.as_mut_ptr(), buf.len()) };
    true
}

/// The symbols of `runtime.rs` a module may need (the compiler's calls for copies and
/// comparisons, and the unwinding names `alloc` mentions): name and address.
pub fn runtime_symbols() -> alloc::vec::Vec<(&'static str, u64)> {
    #[cfg(dinos_kernel)]
    {
        extern "C" {
            fn memcpy();
            fn memmove();
            fn memset();
            fn memcmp();
            fn bcmp();
            fn _Unwind_Resume();
            fn rust_eh_personality();
        }
        alloc::vec![
            ("memcpy", memcpy as *const () as u64),
            ("memmove", memmove as *const () as u64),
            ("memset", memset as *const () as u64),
            ("memcmp", memcmp as *const () as u64),
            ("bcmp", bcmp as *const () as u64),
            ("_Unwind_Resume", _Unwind_Resume as *const () as u64),
            (
                "rust_eh_personality",
                rust_eh_personality as *const () as u64
            ),
        ]
    }
    #[cfg(not(dinos_kernel))]
    alloc::vec::Vec::new()
}
