//! `ulib`: the library every dinos program links, its "libc" (chapter 2 section 3: the
//! API above the system-call interface).
//!
//! A program is a `#![no_std] #![no_main]` binary that names its `main` with
//! [`entry!`]; ulib supplies everything a hosted program gets from its C library and
//! `std`: the start code that turns the initial stack into arguments and environment
//! ([`rt`], [`startup`]), the heap ([`heap`]), printing ([`print!`], [`println!`]) and
//! [`io`], files ([`fs`]), processes and signals ([`process`]), the environment
//! ([`env`]), clocks ([`time`]), system information ([`info`]), message ports
//! ([`port`]), waiting on several descriptors ([`poll`]), shared memory ([`shm`]) with
//! the locks and semaphores that work inside it ([`sync`]), and option parsing for
//! small tools ([`cli`]). Names follow `std` where `std` has one; errors are the kernel's
//! [`Errno`] (with readable messages), and paths are `&str`.
//!
//! The one design decision: `unsafe` lives in two small places, the `syscall`
//! instruction ([`sys`]'s private `raw` module) and the machine plumbing of [`rt`] and
//! [`heap`] (reading the initial stack, the global allocator, `memcpy`), and [`dl`]'s
//! four operations for the dynamic linker (stores into mapped images, the jump to a
//! program's entry). Everything else
//! is safe code over [`sys`], whose wrappers only pass the kernel pointers made from
//! live references.
//!
//! The machine parts (start code, panic handler, allocator, `memcpy`) are left out of
//! `cfg(test)` builds, so the pure parts are unit-tested on the host with `cargo test`.

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]

extern crate alloc;

pub mod cli;
#[cfg(not(test))]
pub mod dl;
pub mod dns;
pub mod env;
pub mod fb;
pub mod fs;
pub mod heap;
pub mod info;
pub mod input;
pub mod io;
pub mod net;
pub mod poll;
pub mod port;
pub mod process;
pub mod procfs;
pub mod pty;
pub mod resource;
pub mod rt;
pub mod shm;
pub mod startup;
pub mod sync;
pub mod sys;
pub mod thread;
pub mod time;
pub mod users;
pub mod wsclient;

pub use abi;
pub use abi::Errno;

/// `io::Result`, `fs::Result` and the rest: a value or the kernel's error.
pub type Result<T> = core::result::Result<T, Errno>;

/// The `alloc` types every program wants, for `use ulib::prelude::*`.
pub mod prelude {
    pub use crate::io::{Read as _, Write as _};
    pub use crate::{eprint, eprintln, print, println};
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

/// Name the program's `fn main() -> i32`: ulib's start code calls it after setting up
/// the arguments, environment and heap, then exits with its return value.
///
/// ```ignore
/// #![no_std]
/// #![no_main]
/// ulib::entry!(main);
/// fn main() -> i32 { ulib::println!("hello"); 0 }
/// ```
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        /// The program's entry, called by ulib's start code (`ulib::rt`).
        #[allow(unsafe_code)] // an exported symbol: the start code calls it by name
        #[no_mangle]
        pub fn __dinos_user_main() -> i32 {
            let main: fn() -> i32 = $main;
            main()
        }
    };
}

/// Print to standard output (buffered: flushed at each newline and at exit).
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::io::_print(format_args!($($arg)*)) };
}

/// [`print!`] with a newline.
#[macro_export]
macro_rules! println {
    () => { $crate::io::_print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::io::_print(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Print to standard error (unbuffered).
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::io::_eprint(format_args!($($arg)*)) };
}

/// [`eprint!`] with a newline.
#[macro_export]
macro_rules! eprintln {
    () => { $crate::io::_eprint(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::io::_eprint(format_args!("{}\n", format_args!($($arg)*))) };
}
