//! The wrappers of the limit and accounting calls (`abi::nr` 65-68): `prlimit`,
//! `getrusage`, and the core-file name pattern.

use super::raw::{syscall2, syscall4};
use super::{ptr, ptr_mut, ret, SysResult};
use abi::{nr, Pod, Rlimit, Rusage};

/// `prlimit(pid, resource, new, old)`: pid 0 is this process; `new` (if given)
/// replaces the limit, `old` (if given) receives the limit as it was.
pub fn prlimit(
    pid: u32,
    resource: u32,
    new: Option<&Rlimit>,
    old: Option<&mut Rlimit>,
) -> SysResult {
    let mut nb = [0u8; Rlimit::SIZE];
    let mut ob = [0u8; Rlimit::SIZE];
    let np = match new {
        Some(n) => {
            n.to_bytes(&mut nb);
            ptr(&nb)
        }
        None => 0,
    };
    let op = if old.is_some() { ptr_mut(&mut ob) } else { 0 };
    let r = ret(syscall4(
        nr::PRLIMIT,
        pid as usize,
        resource as usize,
        np,
        op,
    ))?;
    if let Some(o) = old {
        *o = Rlimit::from_bytes(&ob);
    }
    Ok(r)
}

/// `getrusage(who, out)`: `RUSAGE_SELF` or `RUSAGE_CHILDREN`.
pub fn getrusage(who: i32, out: &mut Rusage) -> SysResult {
    let mut b = [0u8; Rusage::SIZE];
    let r = ret(syscall2(
        nr::GETRUSAGE,
        who as i64 as usize,
        ptr_mut(&mut b),
    ))?;
    *out = Rusage::from_bytes(&b);
    Ok(r)
}

/// Copy the core-file pattern into `buf`; returns its full length.
pub fn get_core_pattern(buf: &mut [u8]) -> SysResult {
    ret(syscall2(nr::GET_CORE_PATTERN, ptr_mut(buf), buf.len()))
}

/// Set the core-file pattern (root only).
pub fn set_core_pattern(pattern: &str) -> SysResult {
    ret(syscall2(
        nr::SET_CORE_PATTERN,
        pattern.as_ptr() as usize,
        pattern.len(),
    ))
}
