//! `elf`: reading ELF64 executables for `exec`, the module loader and the dynamic linker.
//!
//! Chapter 2 section 5 (linkers and loaders): a linker combines object files into an
//! executable whose program headers tell a loader what to place where in memory; the
//! loader in `exec` reads them, maps the segments and jumps to the entry point. This
//! crate is the reading half, as pure logic tested on the host: [`parse_executable`]
//! turns untrusted bytes into a checked [`ExecImage`] or an [`ElfError`] (which the
//! kernel reports as `ENOEXEC`).
//!
//! Design decision: the parser is hand-written rather than taken from `xmas-elf`,
//! `goblin` or `object`. An executable's loader needs only two fixed-layout records (the
//! 64-byte file header and 56-byte program headers) and about twenty checks; written
//! out they fit in a few hundred lines a reader can audit against the ELF specification
//! without learning a general object-file API, and every bound check is visible here
//! rather than inside a dependency that was written for trusted, well-formed files.
//! Section headers, symbols and relocations (for modules and the dynamic linker) can be
//! added beside `raw` when those loaders arrive.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod error;
mod exec;
pub mod raw;

pub use error::ElfError;
pub use exec::{
    parse_executable, parse_executable_head, AbiNote, ExecImage, ImageKind, Limits, PhdrTable,
    Segment, SegmentFlags, StackRequest, TlsTemplate, DINOS_NOTE_ABI, OSABI_GNU, OSABI_SYSV,
    PAGE_SIZE, USER_END,
};
