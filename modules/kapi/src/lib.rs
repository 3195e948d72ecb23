//! The module side of the kernel's exported interface (chapter 2 section 7, "modules";
//! section 5, linkers and loaders).
//!
//! A loadable module is a relocatable object: the calls it makes into the kernel are
//! undefined symbols (`kapi_log`, `kapi_register_chrdev`, ...) that the in-kernel linker
//! (`kernel/module`) resolves against the kernel's export table when the module is
//! loaded. This crate declares those symbols once, with their stable `extern "C"`
//! signatures, and gives modules a safe Rust API over them: a character device is a
//! [`CharDevice`] registered with [`register_chrdev`], a system call a plain function
//! registered with [`register_syscall`], a file-system type a [`FileSystemType`]
//! registered with [`register_fs`] ([`fs`]), and [`module!`] writes the descriptor the
//! loader looks for (`dinos_module_info`).
//!
//! The design decision: like `ulib`'s system-call stubs, this is the one crate on the
//! module side that may use `unsafe` (calling the foreign functions, turning the
//! kernel's raw pointers back into slices); each block says why it is sound. Modules
//! themselves say `#![deny(unsafe_code)]`; the only attribute the lint would see in
//! them is the `#[no_mangle]` of the descriptor, which [`module!`] writes and allows.
//! A module runs in the kernel, with the kernel's rights: loading one needs root, as
//! on Linux.

#![no_std]
#![allow(clippy::missing_safety_doc)]

extern crate alloc;

pub use abi;
pub use abi::Errno;
use core::alloc::{GlobalAlloc, Layout};

pub mod fs;
pub use fs::{register_fs, unregister_fs, FileSystem, FileSystemType};

/// The descriptor's first word: "DNOSMOD1".
pub const MODULE_MAGIC: u64 = u64::from_le_bytes(*b"DNOSMOD1");

/// What the loader reads at the symbol `dinos_module_info` (made by [`module!`]).
#[repr(C)]
pub struct ModuleInfo {
    pub magic: u64,
    pub name: *const u8,
    pub name_len: usize,
    /// `init(args, args_len) -> 0 or -errno`.
    pub init: extern "C" fn(*const u8, usize) -> i64,
    pub exit: extern "C" fn(),
}

// SAFETY: the descriptor is immutable data (a pointer to a string literal and two
// functions), read by the loader only.
unsafe impl Sync for ModuleInfo {}

/// The operations of a character device as the kernel calls them (`kapi_register_chrdev`).
#[repr(C)]
pub struct CharDevOps {
    pub ctx: *const (),
    pub read: extern "C" fn(*const (), u64, *mut u8, usize) -> i64,
    pub write: extern "C" fn(*const (), u64, *const u8, usize) -> i64,
}

/// The exported interface (docs/modules.md lists it with what each does).
mod ffi {
    use super::CharDevOps;
    extern "C" {
        pub fn kapi_log(level: u32, msg: *const u8, len: usize);
        pub fn kapi_alloc(size: usize, align: usize) -> *mut u8;
        pub fn kapi_free(ptr: *mut u8, size: usize, align: usize);
        pub fn kapi_register_chrdev(
            major: u32,
            minor: u32,
            name: *const u8,
            name_len: usize,
            mode: u32,
            ops: *const CharDevOps,
        ) -> i64;
        pub fn kapi_unregister_chrdev(major: u32, minor: u32) -> i64;
        pub fn kapi_register_syscall(
            nr: usize,
            name: *const u8,
            name_len: usize,
            handler: extern "C" fn(u64, u64, u64, u64, u64, u64) -> i64,
        ) -> i64;
        pub fn kapi_unregister_syscall(nr: usize) -> i64;
        pub fn kapi_uptime_ns() -> u64;
        pub fn kapi_register_fs(
            name: *const u8,
            name_len: usize,
            ops: *const crate::fs::FsTypeOps,
        ) -> i64;
        pub fn kapi_unregister_fs(name: *const u8, name_len: usize) -> i64;
        #[allow(dead_code)] // used by the panic handler, built for the machine only
        pub fn kapi_panic(msg: *const u8, len: usize) -> !;
    }
}

fn result(r: i64) -> Result<u64, Errno> {
    if r < 0 {
        Err(Errno::from_code((-r) as i32).unwrap_or(Errno::EINVAL))
    } else {
        Ok(r as u64)
    }
}

fn ret(r: Result<usize, Errno>) -> i64 {
    match r {
        Ok(n) => n as i64,
        Err(e) => -(e.code() as i64),
    }
}

/// Log levels, as the kernel log has them.
#[derive(Clone, Copy)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

/// Write `msg` to the kernel log (`dmesg`), prefixed by the module's name.
pub fn log(level: Level, msg: &str) {
    // SAFETY: the kernel reads `len` bytes at `msg`, a live string.
    unsafe { ffi::kapi_log(level as u32, msg.as_ptr(), msg.len()) }
}

/// `info!("fmt", ...)`: format (on the kernel heap) and log at level info.
#[macro_export]
macro_rules! info {
    ($($t:tt)*) => { $crate::log($crate::Level::Info, &$crate::__format(format_args!($($t)*))) };
}

#[doc(hidden)]
pub fn __format(a: core::fmt::Arguments) -> alloc::string::String {
    alloc::fmt::format(a)
}

/// Nanoseconds since the kernel started.
pub fn uptime_ns() -> u64 {
    // SAFETY: takes no arguments, reads a clock.
    unsafe { ffi::kapi_uptime_ns() }
}

/// A character device a module provides. Offsets are the open file's.
pub trait CharDevice: Sync + 'static {
    fn read(&self, off: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    fn write(&self, _off: u64, _data: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
}

extern "C" fn read_tramp<T: CharDevice>(ctx: *const (), off: u64, buf: *mut u8, len: usize) -> i64 {
    // SAFETY: `ctx` is the `&'static T` given to register_chrdev; the kernel passes a
    // buffer of `len` writable bytes that nothing else uses during the call.
    let (dev, buf) = unsafe {
        (
            &*(ctx as *const T),
            core::slice::from_raw_parts_mut(buf, len),
        )
    };
    ret(dev.read(off, buf))
}

extern "C" fn write_tramp<T: CharDevice>(
    ctx: *const (),
    off: u64,
    data: *const u8,
    len: usize,
) -> i64 {
    // SAFETY: as in read_tramp, for `len` readable bytes.
    let (dev, data) = unsafe { (&*(ctx as *const T), core::slice::from_raw_parts(data, len)) };
    ret(dev.write(off, data))
}

/// Add character device `major:minor` as `/dev/NAME` with permission bits `mode`.
/// The kernel takes it away again when the module is removed, if the module did not.
pub fn register_chrdev<T: CharDevice>(
    major: u32,
    minor: u32,
    name: &str,
    mode: u32,
    dev: &'static T,
) -> Result<(), Errno> {
    let ops = CharDevOps {
        ctx: dev as *const T as *const (),
        read: read_tramp::<T>,
        write: write_tramp::<T>,
    };
    // SAFETY: `name` and `ops` are live for the call; the kernel copies both.
    result(unsafe {
        ffi::kapi_register_chrdev(major, minor, name.as_ptr(), name.len(), mode, &ops)
    })
    .map(|_| ())
}

/// Remove character device `major:minor` (EBUSY while it is open).
pub fn unregister_chrdev(major: u32, minor: u32) -> Result<(), Errno> {
    // SAFETY: plain numbers.
    result(unsafe { ffi::kapi_unregister_chrdev(major, minor) }).map(|_| ())
}

/// A system call a module provides: the six argument registers in, a value or an
/// errno out. Give [`register_syscall`] the function itself (a `fn` item, not a
/// function pointer): each gets its own trampoline, which the kernel calls straight
/// from its dispatcher.
pub trait Syscall: Fn(&[u64; 6]) -> Result<u64, Errno> + Copy + 'static {}
impl<F: Fn(&[u64; 6]) -> Result<u64, Errno> + Copy + 'static> Syscall for F {}

extern "C" fn syscall_tramp<F: Syscall>(
    a0: u64,
    a1: u64,
    a2: u64,
    a3: u64,
    a4: u64,
    a5: u64,
) -> i64 {
    const {
        assert!(
            core::mem::size_of::<F>() == 0,
            "register_syscall takes a fn item"
        )
    };
    // SAFETY: `F` is zero-sized (asserted above): a function item or a closure that
    // captures nothing, whose value has no bytes, so this makes the one value there is.
    let f: F = unsafe { core::mem::zeroed() };
    match f(&[a0, a1, a2, a3, a4, a5]) {
        Ok(v) => v as i64,
        Err(e) => -(e.code() as i64),
    }
}

/// Make `f` system call `nr`, a number of the dynamic range (`abi::nr::DYNAMIC_FIRST`
/// onwards): EINVAL outside it, EEXIST if taken.
pub fn register_syscall<F: Syscall>(nr: usize, name: &'static str, _f: F) -> Result<(), Errno> {
    // SAFETY: `name` is live for the call (the kernel copies it); the trampoline is a
    // function of this module, valid while the module is loaded, and the kernel removes
    // the call (and waits for calls in flight) before the module goes.
    result(unsafe { ffi::kapi_register_syscall(nr, name.as_ptr(), name.len(), syscall_tramp::<F>) })
        .map(|_| ())
}

/// Remove system call `nr`.
pub fn unregister_syscall(nr: usize) -> Result<(), Errno> {
    // SAFETY: a plain number.
    result(unsafe { ffi::kapi_unregister_syscall(nr) }).map(|_| ())
}

/// The module's heap is the kernel's (the kernel frees what is left when it is removed).
pub struct KernelAlloc;

// SAFETY: kapi_alloc returns memory of at least `size` bytes aligned to `align`, or
// null; kapi_free takes back exactly what kapi_alloc gave with the same layout.
unsafe impl GlobalAlloc for KernelAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe { ffi::kapi_alloc(l.size(), l.align()) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: see the impl.
        unsafe { ffi::kapi_free(p, l.size(), l.align()) }
    }
}

#[cfg(dinos_module)]
#[global_allocator]
static ALLOC: KernelAlloc = KernelAlloc;

#[cfg(dinos_module)]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let msg = alloc::format!("{info}");
    // SAFETY: the kernel reads the message and panics (a module bug is a kernel bug).
    unsafe { ffi::kapi_panic(msg.as_ptr(), msg.len()) }
}

/// Called only by the `init` wrapper [`module!`] writes, with the argument string the
/// loader passes (its pointer is the kernel's, not a module's).
#[doc(hidden)]
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn __run_init(args: *const u8, len: usize, init: fn(&str) -> Result<(), Errno>) -> i64 {
    // SAFETY: the loader passes `len` bytes of UTF-8 (checked by the kernel) that live
    // during init.
    let args = unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(args, len)) };
    ret(init(args).map(|_| 0))
}

/// Declare the module: `kapi::module!(name: "hello", init: init, exit: exit);` with
/// `fn init(args: &str) -> Result<(), Errno>` and `fn exit()`.
#[macro_export]
macro_rules! module {
    (name: $name:literal, init: $init:path, exit: $exit:path $(,)?) => {
        extern "C" fn __dinos_module_init(args: *const u8, len: usize) -> i64 {
            $crate::__run_init(args, len, $init)
        }
        extern "C" fn __dinos_module_exit() {
            $exit()
        }
        #[allow(unsafe_code, non_upper_case_globals)]
        #[no_mangle]
        pub static dinos_module_info: $crate::ModuleInfo = $crate::ModuleInfo {
            magic: $crate::MODULE_MAGIC,
            name: $name.as_ptr(),
            name_len: $name.len(),
            init: __dinos_module_init,
            exit: __dinos_module_exit,
        };
    };
}
