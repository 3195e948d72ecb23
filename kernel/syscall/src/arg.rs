//! Argument kinds: how a table row says what its registers mean.
//!
//! A system call's arguments arrive as six untyped registers. Each row of a
//! personality's table names, per argument, a *decoder type* that implements [`Arg`]:
//! it takes one or two registers from a [`Regs`] cursor and gives the handler a typed
//! value (a descriptor, a user buffer, a checked path, a flag set). The same type
//! carries a [`Kind`] that the tracer reads to print the argument (paths quoted, flags
//! by name), so the decoding and its description cannot drift apart.
//!
//! Decoding is plain code that the compiler inlines into each row's handler: a row
//! costs what reading the registers by hand cost.

use crate::user::{PathArg, StrArg, UserSlice, UserSliceMut};
use abi::Errno;
use hal::trap::TrapFrame;

/// The argument registers of one call, read left to right by the decoders.
pub struct Regs {
    v: [u64; 6],
    next: usize,
}

impl Regs {
    /// `rdi, rsi, rdx, r10, r8, r9`: the x86-64 system-call convention both
    /// personalities use.
    #[inline(always)]
    pub fn of(f: &TrapFrame) -> Regs {
        Regs {
            v: [f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9],
            next: 0,
        }
    }

    /// The next register (0 past the sixth: a row never asks for more than six).
    #[inline(always)]
    pub fn take(&mut self) -> u64 {
        let v = self.v.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        v
    }

    /// The raw registers (for the tracer and the call ring).
    pub fn raw(&self) -> &[u64; 6] {
        &self.v
    }
}

/// How the tracer shows an argument, and how many registers it spans.
#[derive(Clone, Copy)]
pub enum Kind {
    /// A signed number.
    Int,
    /// An unsigned number (a count, a length).
    Uint,
    /// An address or an opaque word, in hex.
    Hex,
    /// A permission mode, in octal.
    Mode,
    /// A file descriptor.
    Fd,
    /// A process id (negative: a process group, -1: everyone).
    Pid,
    /// A signal number, shown by name.
    Signal,
    /// A string in user memory (pointer and length): shown quoted.
    Str,
    /// A path in user memory (pointer and length): shown quoted.
    Path,
    /// A list of strings (pointer to `UserStr`s and their count): argv, envp.
    StrList,
    /// A NUL-terminated string or path (one register, the C convention): shown quoted.
    CPath,
    /// A NULL-terminated array of C strings (one register): argv, envp in C.
    CStrList,
    /// Not in a register: a value the personality implies (the working directory as
    /// the start of a relative path). Not shown.
    Implicit,
    /// A buffer the call reads (pointer and length): the first bytes shown quoted.
    BufIn,
    /// A buffer the call fills (pointer and length): after the call, what it got.
    BufOut,
    /// A flag word of a named set, shown `A|B|C`.
    Flags(&'static FlagSet),
    /// One value of a named enumeration.
    Enum(&'static [(u64, &'static str)]),
    /// A pointer to a structure of the named type.
    Struct(&'static str),
}

impl Kind {
    /// Registers this kind spans.
    pub const fn width(self) -> usize {
        match self {
            Kind::Str | Kind::Path | Kind::StrList | Kind::BufIn | Kind::BufOut => 2,
            Kind::Implicit => 0,
            _ => 1,
        }
    }
}

/// A named set of flags, for printing.
pub struct FlagSet {
    /// Bits under this mask form a value, not flags (O_ACCMODE): named by `values`.
    pub value_mask: u64,
    pub values: &'static [(u64, &'static str)],
    pub bits: &'static [(u64, &'static str)],
}

/// A decoder: one argument's encoding in a personality's registers.
pub trait Arg {
    /// What the handler receives.
    type Value;
    /// How the tracer shows it.
    const KIND: Kind;
    /// Take this argument's registers and decode them. Only checks that need no
    /// memory happen here (and path copies, which are the argument's meaning);
    /// buffers are checked when they are copied.
    fn take(r: &mut Regs) -> Result<Self::Value, Errno>;
}

macro_rules! int_arg {
    ($t:ty, $kind:expr) => {
        impl Arg for $t {
            type Value = $t;
            const KIND: Kind = $kind;
            #[inline(always)]
            fn take(r: &mut Regs) -> Result<$t, Errno> {
                Ok(r.take() as $t)
            }
        }
    };
}

int_arg!(u64, Kind::Uint);
int_arg!(usize, Kind::Uint);
int_arg!(u32, Kind::Uint);
int_arg!(i64, Kind::Int);
int_arg!(i32, Kind::Int);

/// An address in the caller's address space (brk, mmap): shown in hex.
pub struct Addr;

impl Arg for Addr {
    type Value = u64;
    const KIND: Kind = Kind::Hex;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<u64, Errno> {
        Ok(r.take())
    }
}

/// A file descriptor (the low 32 bits of the register, as C's `int`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fd(pub i32);

impl Arg for Fd {
    type Value = Fd;
    const KIND: Kind = Kind::Fd;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<Fd, Errno> {
        Ok(Fd(r.take() as i32))
    }
}

/// A process selector as `kill` and `waitpid` take it: `> 0` a process, `0` the
/// caller's group, `-1` every process, `< -1` the group `-pid`.
#[derive(Clone, Copy, Debug)]
pub struct PidArg(pub i64);

impl Arg for PidArg {
    type Value = i64;
    const KIND: Kind = Kind::Pid;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<i64, Errno> {
        Ok(r.take() as i64)
    }
}

/// A signal number.
pub struct Signal;

impl Arg for Signal {
    type Value = u32;
    const KIND: Kind = Kind::Signal;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<u32, Errno> {
        Ok(r.take() as u32)
    }
}

/// Permission bits (`0o7777` of the register; the umask is the operation's business).
pub struct Mode;

impl Arg for Mode {
    type Value = u32;
    const KIND: Kind = Kind::Mode;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<u32, Errno> {
        Ok(r.take() as u32 & 0o7777)
    }
}

/// A user or group id; `u32::MAX` (`-1`, [`abi::flags::ID_UNCHANGED`]) is `None`:
/// "leave this one" for `setres*id` and `chown`.
pub struct Id;

impl Arg for Id {
    type Value = Option<u32>;
    const KIND: Kind = Kind::Uint;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<Option<u32>, Errno> {
        let v = r.take();
        if v as u32 == abi::flags::ID_UNCHANGED {
            Ok(None)
        } else if v > u32::MAX as u64 {
            Err(Errno::EINVAL)
        } else {
            Ok(Some(v as u32))
        }
    }
}

/// A flag word of the set `S` names (its low 32 bits).
pub struct Flags<S: Named>(core::marker::PhantomData<S>);

/// A flag set or enumeration's printable names.
pub trait Named {
    const KIND: Kind;
}

impl<S: Named> Arg for Flags<S> {
    type Value = u32;
    const KIND: Kind = S::KIND;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<u32, Errno> {
        Ok(r.take() as u32)
    }
}

impl Arg for UserSlice {
    type Value = UserSlice;
    const KIND: Kind = Kind::BufIn;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<UserSlice, Errno> {
        let addr = r.take();
        Ok(UserSlice::new(addr, r.take() as usize))
    }
}

impl Arg for UserSliceMut {
    type Value = UserSliceMut;
    const KIND: Kind = Kind::BufOut;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<UserSliceMut, Errno> {
        let addr = r.take();
        Ok(UserSliceMut::new(addr, r.take() as usize))
    }
}

impl Arg for PathArg {
    type Value = alloc::string::String;
    const KIND: Kind = Kind::Path;
    fn take(r: &mut Regs) -> Result<Self::Value, Errno> {
        let addr = r.take();
        crate::user::read_path(addr, r.take())
    }
}

impl Arg for StrArg {
    type Value = alloc::string::String;
    const KIND: Kind = Kind::Str;
    fn take(r: &mut Regs) -> Result<Self::Value, Errno> {
        let addr = r.take();
        crate::user::read_str(addr, r.take())
    }
}
