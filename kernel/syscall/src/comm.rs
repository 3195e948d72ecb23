//! Communication: pipes (message passing). Message ports and shared memory follow.

use crate::{me, Args};
use abi::Errno;
use proc::uaccess;

pub fn pipe(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    // Check the destination first so a bad pointer leaks no descriptors.
    uaccess::write_bytes(a.arg(0), &[0u8; 8])?;
    let (r, w) = proc::files::new_pipe()?;
    let mut t = p.files.lock();
    let rfd = t.insert(r, false)?;
    let wfd = match t.insert(w, false) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = t.close(rfd);
            return Err(e);
        }
    };
    drop(t);
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&rfd.to_le_bytes());
    out[4..].copy_from_slice(&wfd.to_le_bytes());
    uaccess::write_bytes(a.arg(0), &out)?;
    Ok(0)
}
