//! What the loader of kernel modules needs from the machine (chapter 2 section 7,
//! "modules"): entering a module's code, and reading memory a module points at.
//!
//! The in-kernel linker (`kernel/module`, which forbids `unsafe`) places a module's
//! sections in frames it owns and maps them in the module region
//! ([`MODULE_BASE`](crate::addr::MODULE_BASE)), text read + execute and everything else
//! no-execute, through the ordinary page-table API. Two things it cannot do in safe
//! code are here:
//!
//! - [`call`]: jump to an address in a module. Checked: the address must be in the
//!   module region and mapped executable. What the code then does is the module's
//!   responsibility: a loaded module is trusted kernel code (loading needs root), the
//!   trust Linux gives its modules too.
//! - [`read_kernel`]: copy bytes from a kernel address a module handed over (a name, a
//!   table of operations). Each page is translated first, so a bad pointer is an
//!   error, never a fault.

use crate::addr::{VirtAddr, MODULE_BASE, MODULE_SIZE, PAGE_SIZE};
use crate::paging::{translate_active, PageFlags};

/// Is `addr` an executable address of the module region?
pub fn is_module_text(addr: u64) -> bool {
    (MODULE_BASE..MODULE_BASE + MODULE_SIZE).contains(&addr)
        && translate_active(VirtAddr(addr & !(PAGE_SIZE - 1)))
            .is_some_and(|(_, f)| !f.contains(PageFlags::NO_EXECUTE))
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
        // SAFETY: `addr` is mapped executable in the module region (checked), where
        // only the module loader maps code: it is a function of a loaded module, which
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
