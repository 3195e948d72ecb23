//! Robust futexes (Linux's `set_robust_list`): a thread that dies holding a lock
//! must not leave the lock's other users waiting for ever (chapter 2's process
//! control: what the kernel does for a thread at its end).
//!
//! A C library keeps, in the thread's own memory, a list of the robust mutexes the
//! thread holds, and tells the kernel where its head is. The kernel reads it only
//! when the thread ends (here: `thread::exit_thread`, which every thread, the last
//! one too, passes through while the memory is still there): each lock word whose
//! owner field is the dead thread's tid gets `FUTEX_OWNER_DIED`, and a waiter, if
//! the word says there is one, is woken. The next `pthread_mutex_lock` then answers
//! `EOWNERDEAD`. musl walks the list itself on `pthread_exit`; the kernel's walk is
//! what covers `_exit`, a fatal signal and `exit_group` from another thread, and
//! process-shared mutexes of a process that died.
//!
//! The list is the program's memory, so the walk trusts nothing: an unreadable
//! entry ends it, at most [`LIST_LIMIT`] entries are looked at (a cycle ends too),
//! and a word that cannot be written is left alone, as Linux does.

use crate::process::{Pid, Process};

/// `sizeof(struct robust_list_head)` on x86-64: the only length `set_robust_list`
/// accepts.
pub const HEAD_LEN: u64 = 24;

/// Entries looked at, at most (Linux's `ROBUST_LIST_LIMIT`).
pub const LIST_LIMIT: usize = 2048;

const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

fn read_u64(addr: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    crate::uaccess::read_into(addr, &mut b).ok()?;
    Some(u64::from_le_bytes(b))
}

/// Walk the robust list whose head is at `head` for the dead thread `tid` of `p`.
pub fn exit_robust_list(p: &Process, tid: Pid, head: u64) {
    // struct robust_list_head { list.next; long futex_offset; list_op_pending; }
    let (Some(mut entry), Some(offset), Some(pending)) =
        (read_u64(head), read_u64(head + 8), read_u64(head + 16))
    else {
        return;
    };
    // The low bit of an entry pointer marks a PI futex; the address is the rest.
    let pending = pending & !1;
    for _ in 0..LIST_LIMIT {
        entry &= !1;
        if entry == head || entry == 0 {
            break;
        }
        // The next entry is read before this one's word is given away.
        let next = read_u64(entry);
        if entry != pending {
            owner_died(p, tid, entry.wrapping_add(offset));
        }
        match next {
            Some(n) => entry = n,
            None => break,
        }
    }
    if pending != 0 {
        owner_died(p, tid, pending.wrapping_add(offset));
    }
}

/// Linux's `handle_futex_death`: if the lock word at `word` names `tid` as its owner,
/// mark the owner dead (keeping the waiters bit) and wake one waiter.
fn owner_died(p: &Process, tid: Pid, word: u64) {
    if !word.is_multiple_of(4) {
        return;
    }
    let mut b = [0u8; 4];
    if crate::uaccess::read_into(word, &mut b).is_err() {
        return;
    }
    let val = u32::from_le_bytes(b);
    if val & FUTEX_TID_MASK != tid & FUTEX_TID_MASK {
        return;
    }
    let new = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if crate::uaccess::write_bytes(word, &new.to_le_bytes()).is_ok() && val & FUTEX_WAITERS != 0 {
        let _ = crate::futex::wake(p, word, 1);
    }
}
