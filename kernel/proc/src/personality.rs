//! Personalities: which system-call ABI a program speaks (chapter 2, 5 "why
//! applications are operating-system specific").
//!
//! A program is compiled against one system-call interface: its numbers, its way of
//! passing strings, its structures. Each process carries the [`Personality`] it was
//! started with, chosen at exec from the executable; the `syscall` layer registers one
//! dispatcher (one table) per personality with [`install`], and the process's thread
//! is given its personality's dispatcher, so a call goes straight to the right table.
//! There are two: dinos (the native ABI, `abi::nr`) and Linux (the numbers, structures
//! and conventions of Linux on x86-64, served by the `linux` crate's table), so the
//! same disk holds programs of both kinds and each process runs against its own.

use abi::Errno;
use hal::sync::SpinLock;
use hal::user::SyscallHandler;

/// A system-call ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personality {
    /// The native ABI (`abi::nr`): programs built with `ulib`.
    Dinos,
    /// Linux's x86-64 ABI: unmodified static Linux executables (musl, glibc).
    Linux,
}

const COUNT: usize = 2;

impl Personality {
    fn index(self) -> usize {
        match self {
            Personality::Dinos => 0,
            Personality::Linux => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Personality::Dinos => "dinos",
            Personality::Linux => "linux",
        }
    }

    /// The personality an executable asks for. A dinos program says so with a
    /// `dinos` ELF note (ulib's start code carries it). An executable without one whose
    /// `EI_OSABI` is System V or GNU is what Linux toolchains make: it runs as Linux.
    /// Anything else (an executable for FreeBSD, Solaris, ...) has no table here:
    /// `None`, which exec reports as ENOEXEC.
    pub fn of_image(image: &elf::ExecImage) -> Option<Personality> {
        match (image.abi_note, image.os_abi) {
            (Some(elf::AbiNote::Dinos), _) => Some(Personality::Dinos),
            (None, elf::OSABI_SYSV | elf::OSABI_GNU) => Some(Personality::Linux),
            (None, _) => None,
        }
    }
}

static ENTRIES: SpinLock<[Option<SyscallHandler>; COUNT]> = SpinLock::new([None; COUNT]);

/// Register the dispatcher of personality `p` (the system-call layer, at boot).
pub fn install(p: Personality, entry: SyscallHandler) {
    ENTRIES.lock()[p.index()] = Some(entry);
}

/// The dispatcher of `p`; ENOEXEC if no table for it is installed.
pub fn entry(p: Personality) -> Result<SyscallHandler, Errno> {
    ENTRIES.lock()[p.index()].ok_or(Errno::ENOEXEC)
}
