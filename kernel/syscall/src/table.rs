//! What a system-call table is made of: rows that say, for each call, its number, its
//! name, the kind of each argument and the handler (chapter 2, 3: "the system-call
//! interface ... a table indexed by number").
//!
//! A row is written with [`calls!`]:
//!
//! ```text
//! nr::READ => "read": ops::file::read(Fd, UserSliceMut);
//! ```
//!
//! which generates a small function that decodes the registers with the listed
//! decoder types ([`crate::arg::Arg`]) and calls the handler with typed values, and
//! records the decoders' [`Kind`]s for the tracer. A personality is one such table;
//! the handlers (`ops`) are shared by all of them.

use crate::arg::Kind;
use abi::Errno;
use alloc::sync::Arc;
use hal::trap::TrapFrame;

/// A handler's result: a non-negative value, or the error that becomes `-errno`.
pub type SysResult = Result<usize, Errno>;

/// What every handler gets besides its arguments: the caller's saved registers (fork,
/// exec and sigreturn use the whole frame) and ways to reach the calling process.
pub struct Ctx<'a> {
    pub frame: &'a mut TrapFrame,
}

impl Ctx<'_> {
    /// The calling process (every system call has one).
    #[inline]
    pub fn process(&self) -> Result<Arc<proc::Process>, Errno> {
        proc::current().ok_or(Errno::ESRCH)
    }

    /// Run `f` on the calling process without a reference count (the fast path).
    #[inline]
    pub fn with_process<R>(&self, f: impl FnOnce(&proc::Process) -> R) -> Result<R, Errno> {
        proc::process::with_current(f).ok_or(Errno::ESRCH)
    }

    /// The open file behind descriptor `fd` of the caller.
    #[inline]
    pub fn file(&self, fd: crate::arg::Fd) -> Result<Arc<files::OpenFile>, Errno> {
        self.with_process(|p| p.files.lock().get(fd.0))?
    }
}

/// The decoding wrapper a row generates around its handler.
pub type Handler = fn(&mut Ctx) -> SysResult;

/// How the tracer shows the result.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ret {
    /// A number (a count, a status, 0).
    Int,
    /// A new file descriptor.
    Fd,
    /// An address.
    Hex,
    /// The call does not return on success (exit, a successful exec's old program).
    Never,
}

/// One row.
#[derive(Clone, Copy)]
pub struct Entry {
    pub name: &'static str,
    pub args: &'static [Kind],
    pub ret: Ret,
    pub handler: Handler,
}

/// A personality's table, indexed by call number.
pub type Table = [Option<Entry>; abi::nr::COUNT];

/// One row's [`Entry`]: `"name" [-> Ret]: handler(Decoder, ...)`. The table's rows
/// are made with it, and so is a call registered at run time
/// ([`crate::registry::register_call`]).
#[macro_export]
macro_rules! entry {
    ($name:literal $(-> $ret:ident)? : $($f:ident)::+ ( $($ty:ty),* $(,)? )) => {
        $crate::table::Entry {
            name: $name,
            args: &[$(<$ty as $crate::arg::Arg>::KIND),*],
            ret: $crate::entry!(@ret $($ret)?),
            handler: {
                #[allow(unused_mut, unused_variables)]
                fn call(cx: &mut $crate::table::Ctx<'_>) -> $crate::table::SysResult {
                    let mut r = $crate::arg::Regs::of(cx.frame);
                    $($f)::+(cx, $(<$ty as $crate::arg::Arg>::take(&mut r)?),*)
                }
                call
            },
        }
    };
    (@ret) => { $crate::table::Ret::Int };
    (@ret $r:ident) => { $crate::table::Ret::$r };
}

/// Fill rows of a table: `NUMBER => "name" [-> Ret]: handler(Decoder, ...);`.
macro_rules! calls {
    ($t:ident; $( $nr:expr => $name:literal $(-> $ret:ident)? : $($f:ident)::+ ( $($ty:ty),* $(,)? ); )* ) => {
        $(
            $t[$nr] = Some($crate::entry!($name $(-> $ret)? : $($f)::+ ( $($ty),* )));
        )*
    };
}
pub(crate) use calls;
