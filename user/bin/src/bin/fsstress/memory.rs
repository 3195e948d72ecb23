//! The memory mode, `fsstress -M MIB`: take MIB MiB of anonymous memory, write every
//! page and read every page back, for the test that the page cache gives memory back
//! to a program that needs it (`xtask/src/storagetest.rs`): with the cache holding
//! most of the machine's free memory, the pages come only from the cache's clean ones.

use ulib::abi::flags::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};
use ulib::{sys, Errno};

const PAGE: usize = 4096;

#[allow(unsafe_code)]
fn poke(addr: usize, v: u64) {
    // SAFETY: a word in a page this module mapped; no Rust object lives there.
    unsafe { core::ptr::write_volatile(addr as *mut u64, v) }
}

#[allow(unsafe_code)]
fn peek(addr: usize) -> u64 {
    // SAFETY: as for `poke`.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

/// Map `mib` MiB, write the index of each page into it, check them all, unmap; the
/// page whose word came back wrong, if one did.
pub fn touch(mib: usize) -> Result<(), Errno> {
    let len = mib << 20;
    let at = sys::mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)?;
    for p in 0..len / PAGE {
        poke(at + p * PAGE, p as u64 ^ 0x5a5a_5a5a);
    }
    let bad = (0..len / PAGE).find(|&p| peek(at + p * PAGE) != p as u64 ^ 0x5a5a_5a5a);
    sys::munmap(at, len)?;
    match bad {
        None => Ok(()),
        Some(_) => Err(Errno::EIO),
    }
}
