//! The one contract between the dinos kernel and its programs (the native ABI).
//!
//! Chapter 2 section 3: programs reach the kernel through a numbered system-call
//! interface, and the user library (`ulib`, the API) hides it. Both sides compile this
//! crate, so the numbers, error values, flags and structure layouts cannot drift apart
//! (the Redox habit).
//!
//! The calling convention (see `docs/abi.md`): `syscall` with the call number in `rax`
//! and up to six arguments in `rdi, rsi, rdx, r10, r8, r9`; the result comes back in
//! `rax`, a negative value `-errno` meaning failure. The three ways of passing parameters
//! the chapter names are all used: registers (most calls), a parameter block in memory
//! (`spawn` takes a pointer to a [`SpawnArgs`]), and the stack (a new program finds
//! `argc`, `argv`, `envp` and the auxiliary vector on its initial stack, [`auxv`]).
//!
//! Strings cross the boundary as (pointer, length) pairs, never NUL-terminated, so the
//! kernel never scans user memory for a terminator; lists of strings are arrays of
//! [`UserStr`].

#![no_std]
#![forbid(unsafe_code)]

pub mod errno;
pub mod flags;
pub mod net;
pub mod nr;
pub mod resource;
pub mod signal;
pub mod types;

pub use errno::Errno;
pub use resource::{Rlimit, Rusage};
pub use types::*;

/// The auxiliary vector keys placed after `envp` on a new program's stack.
pub mod auxv {
    pub const AT_NULL: u64 = 0;
    pub const AT_PHDR: u64 = 3;
    pub const AT_PHENT: u64 = 4;
    pub const AT_PHNUM: u64 = 5;
    pub const AT_PAGESZ: u64 = 6;
    /// Where the program interpreter (the dynamic linker) was loaded.
    pub const AT_BASE: u64 = 7;
    pub const AT_FLAGS: u64 = 8;
    pub const AT_ENTRY: u64 = 9;
    pub const AT_UID: u64 = 11;
    pub const AT_EUID: u64 = 12;
    pub const AT_GID: u64 = 13;
    pub const AT_EGID: u64 = 14;
    pub const AT_PLATFORM: u64 = 15;
    pub const AT_HWCAP: u64 = 16;
    pub const AT_CLKTCK: u64 = 17;
    pub const AT_SECURE: u64 = 23;
    pub const AT_RANDOM: u64 = 25;
    pub const AT_EXECFN: u64 = 31;
}
