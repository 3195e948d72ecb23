//! Threads (calls 132-135): more than one line of execution in one process, the
//! process staying the unit that owns memory, files and credentials (chapter 2's
//! process control; `proc::thread` has the mechanism).
//!
//! A native thread starts at a function with its own stack and one argument; its
//! join word is the futex a joiner sleeps on (ulib's `thread::spawn` and `join`), as
//! Linux's `CLONE_CHILD_CLEARTID` is for `pthread_join`.

use crate::table::{Ctx, SysResult};
use abi::Errno;

/// `thread_spawn(entry, stack, arg, word)`: see `abi::nr::THREAD_SPAWN`.
pub fn thread_spawn(cx: &mut Ctx, entry: u64, stack: u64, arg: u64, word: u64) -> SysResult {
    if entry == 0 || stack == 0 || stack >= hal::user::USER_TOP {
        return Err(Errno::EINVAL);
    }
    let regs = hal::trap::TrapFrame {
        rip: entry,
        rsp: stack,
        rdi: arg,
        cs: cx.frame.cs,
        ss: cx.frame.ss,
        rflags: 0x202,
        vector: cx.frame.vector,
        ..hal::trap::TrapFrame::default()
    };
    let start = proc::thread::ThreadStart {
        regs,
        fpu: hal::user::FpuState::initial(),
        tls: None,
        set_tid: None,
        parent_tid: (word != 0).then_some(word),
        clear_tid: word,
    };
    Ok(proc::thread::spawn(start)? as usize)
}

/// `set_thread_pointer(addr)`: the calling thread's `%fs` base, where a dynamic
/// linker put its thread-local blocks (docs/linking.md "Thread-local storage");
/// EINVAL for an address outside user space.
pub fn set_thread_pointer(_: &mut Ctx, addr: u64) -> SysResult {
    hal::task::set_user_fs_base(addr).map_err(|_| Errno::EINVAL)?;
    Ok(0)
}

/// `thread_pointer()`: the calling thread's `%fs` base (0: none), as
/// [`set_thread_pointer`] or its creator left it.
pub fn thread_pointer(_: &mut Ctx) -> SysResult {
    Ok(hal::task::user_fs_base() as usize)
}

/// `thread_exit(code)`: the calling thread ends; the process too if it was the last.
pub fn thread_exit(_: &mut Ctx, code: i32) -> SysResult {
    proc::thread::exit_thread(abi::signal::wait_status_exited(code as u8))
}

pub fn gettid(cx: &mut Ctx) -> SysResult {
    cx.with_process(|p| proc::thread::gettid(p) as usize)
}

/// `tkill(tid, sig)`: `sig` for that one thread.
pub fn tkill(cx: &mut Ctx, tid: u64, sig: u32) -> SysResult {
    let tid = u32::try_from(tid).map_err(|_| Errno::ESRCH)?;
    let me = cx.with_process(|p| p.pid)?;
    proc::thread::tkill(me, None, tid, sig)?;
    Ok(0)
}
