//! Loadable kernel modules: the kernel extended while it runs (chapter 2 section 7,
//! the "modules" structure; section 5, linking and loading).
//!
//! A module is a relocatable ELF object (`/lib/modules/NAME.ko`, built by the xtask
//! from a crate under `modules/`). Loading it is linking it into the running kernel:
//!
//! 1. [`object`] parses and checks the object (sections, symbols, relocations);
//! 2. [`link`] lays its sections out in four page-aligned regions, resolves its
//!    undefined symbols against the kernel's [`exports`] table, fills a small GOT and
//!    applies the relocations, all in a byte buffer for the chosen base address;
//! 3. [`loader`] copies the buffer into fresh frames, maps them in the module region
//!    (text read + execute, everything else no-execute), reads the module's
//!    descriptor (`dinos_module_info`: name, init, exit) and calls `init`.
//!
//! What a module registers (character devices, dynamic system calls, file-system
//! types: [`filesystem`]) goes through
//! the same registries the built-in code uses, and is recorded against the module:
//! [`loader::remove`] refuses (EBUSY) while a device is open or a call is running,
//! then calls `exit`, takes away anything the module left registered, frees what it
//! left allocated, unmaps and frees its frames. Any refusal leaves nothing changed
//! and says why. This crate forbids `unsafe`: entering module code and reading what
//! a module points at are the two checked primitives of `hal::module`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

#[cfg(test)]
extern crate std;

pub mod calls;
pub mod device;
pub mod exports;
pub mod filesystem;
pub mod link;
pub mod loader;
pub mod object;
#[cfg(test)]
mod tests;

use abi::Errno;
use alloc::string::String;

/// Why a module was refused: the errno for the caller and a sentence for the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub errno: Errno,
    pub msg: String,
}

impl LoadError {
    pub fn new(errno: Errno, msg: String) -> LoadError {
        LoadError { errno, msg }
    }
}

/// Plug the loader into the system-call layer (`init_module`, `delete_module`,
/// `modules`). Called once at boot.
pub fn init() {
    syscall::ops::module::set_module_ops(&loader::Loader);
}
