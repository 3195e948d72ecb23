//! Who may write a file that is running: `ETXTBSY` (chapter 2's process control
//! meeting file management: a program's pages are its file's pages).
//!
//! A running program's text is mapped straight from its file's page cache, so a
//! write to the file would change the program under its feet. As Linux does (its
//! inode `i_writecount`), each regular file has one signed count: open descriptors
//! that may write it count up, programs executing it count down, and neither may
//! start while the other is non-zero: `open` for writing of a file some process is
//! executing is `ETXTBSY`, and so is `exec` of a file open for writing. The count is
//! taken by the open (and given back at its last close) and by exec's image pager
//! (and given back when the last mapping of the image goes, at exit or the next exec).

use abi::Errno;
use alloc::collections::BTreeMap;
use task::Mutex;
use vfs::NodeRef;

/// Node -> writers (> 0) or executors (< 0); absent when 0.
static WRITERS: Mutex<BTreeMap<NodeRef, i64>> = task::mutex(BTreeMap::new());

fn change(node: NodeRef, by: i64, refuse: impl Fn(i64) -> bool) -> Result<(), Errno> {
    let mut w = WRITERS.lock();
    let now = w.get(&node).copied().unwrap_or(0);
    if refuse(now) {
        return Err(Errno::ETXTBSY);
    }
    match now + by {
        0 => w.remove(&node),
        n => w.insert(node, n),
    };
    Ok(())
}

/// An open for writing of `node`: `ETXTBSY` while a process executes it.
pub fn get_write_access(node: NodeRef) -> Result<(), Errno> {
    change(node, 1, |n| n < 0)
}

/// That open's last close.
pub fn put_write_access(node: NodeRef) {
    let _ = change(node, -1, |n| n <= 0);
}

/// An exec of `node`: `ETXTBSY` while it is open for writing.
pub fn deny_write_access(node: NodeRef) -> Result<(), Errno> {
    change(node, -1, |n| n > 0)
}

/// That program's image is gone.
pub fn allow_write_access(node: NodeRef) {
    let _ = change(node, 1, |n| n >= 0);
}

/// Is a process executing `node` now?
pub fn is_executing(node: NodeRef) -> bool {
    WRITERS.lock().get(&node).is_some_and(|&n| n < 0)
}
