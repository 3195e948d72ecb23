//! Resource limits and usage, as typed values (`getrlimit`, `setrlimit`,
//! `getrusage`): what the shell's `ulimit` and `time` use.

use crate::{sys, Result};
pub use abi::resource::*;
pub use abi::{Rlimit, Rusage};
use alloc::string::String;

/// This process's limit on `resource`.
pub fn getrlimit(resource: u32) -> Result<Rlimit> {
    let mut old = Rlimit::INFINITE;
    sys::prlimit(0, resource, None, Some(&mut old))?;
    Ok(old)
}

/// Set this process's limit on `resource` (children inherit it).
pub fn setrlimit(resource: u32, lim: Rlimit) -> Result<()> {
    sys::prlimit(0, resource, Some(&lim), None).map(|_| ())
}

/// What this process has used so far.
pub fn usage_self() -> Result<Rusage> {
    let mut r = Rusage::default();
    sys::getrusage(RUSAGE_SELF, &mut r)?;
    Ok(r)
}

/// What this process's waited-for children have used.
pub fn usage_children() -> Result<Rusage> {
    let mut r = Rusage::default();
    sys::getrusage(RUSAGE_CHILDREN, &mut r)?;
    Ok(r)
}

/// The kernel's core-file name pattern.
pub fn core_pattern() -> Result<String> {
    let mut b = [0u8; 256];
    let n = sys::get_core_pattern(&mut b)?.min(b.len());
    Ok(String::from_utf8_lossy(&b[..n]).into_owned())
}
