//! Personalities: which system-call ABI a program speaks (chapter 2, 5 "why
//! applications are operating-system specific").
//!
//! A program is compiled against one system-call interface: its numbers, its way of
//! passing strings, its structures. Each process carries the [`Personality`] it was
//! started with, chosen at exec from the executable; the `syscall` layer registers one
//! dispatcher (one table) per personality with [`install`], and the process's thread
//! is given its personality's dispatcher, so a call goes straight to the right table.
//! Today there is one, dinos; the Linux personality adds the second.

use abi::Errno;
use hal::sync::SpinLock;
use hal::user::SyscallHandler;

/// A system-call ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personality {
    /// The native ABI (`abi::nr`): programs built with `ulib`.
    Dinos,
}

const COUNT: usize = 1;

impl Personality {
    fn index(self) -> usize {
        match self {
            Personality::Dinos => 0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Personality::Dinos => "dinos",
        }
    }

    /// The personality an executable asks for. A dinos program says so with a
    /// `dinos` ELF note (ulib's start code carries it); an executable without one is
    /// run as dinos too while dinos is the only personality (the Linux personality
    /// takes those that look like Linux programs).
    pub fn of_image(image: &elf::ExecImage) -> Personality {
        match image.abi_note {
            Some(elf::AbiNote::Dinos) | None => Personality::Dinos,
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
