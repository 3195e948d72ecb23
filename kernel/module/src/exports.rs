//! The kernel's exported interface: the functions a module may call, by name (chapter
//! 2 section 7: a module sees the kernel only through a small, stable interface).
//!
//! Each export is an `extern "C"` function with a fixed signature, declared on the
//! module side in `modules/kapi` under the same name; [`lookup`] is the table the
//! in-kernel linker resolves a module's undefined symbols against. Pointers arrive as
//! plain addresses and are read with `hal::module::read_kernel` (a bad one is EFAULT,
//! never a fault). A function here returns `0` or a value, or `-errno`.
//!
//! | export | does |
//! |---|---|
//! | `kapi_log(level, msg, len)` | a kernel log line, prefixed with the module's name |
//! | `kapi_alloc(size, align)` / `kapi_free(ptr, size, align)` | kernel heap memory |
//! | `kapi_register_chrdev(major, minor, name, len, mode, ops)` / `kapi_unregister_chrdev(major, minor)` | a character device `/dev/NAME` |
//! | `kapi_register_syscall(nr, name, len, handler)` / `kapi_unregister_syscall(nr)` | a system call in the dynamic range: `handler(a0, .., a5) -> i64` itself is what the call runs |
//! | `kapi_register_fs(name, len, ops)` / `kapi_unregister_fs(name, len)` | a file-system type for `mount -t NAME`; `ops` is `{ctx, mount, unmount, op}` (`kapi::fs::FsTypeOps`) |
//! | `kapi_uptime_ns()` | nanoseconds since boot |
//! | `kapi_panic(msg, len)` | a module's panic: a kernel panic |
//! | `memcpy`, `memmove`, `memset`, `memcmp`, `bcmp` | what the compiler calls for copies |

use crate::loader;
use abi::Errno;
use alloc::string::String;
use alloc::vec;

/// Read `len` bytes of kernel memory at `addr` (EFAULT if unmapped; EINVAL if huge).
pub fn read_bytes(addr: u64, len: usize) -> Result<alloc::vec::Vec<u8>, Errno> {
    if len > 4096 {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; len];
    match hal::module::read_kernel(addr, &mut b) {
        true => Ok(b),
        false => Err(Errno::EFAULT),
    }
}

/// A UTF-8 string handed over by a module.
pub fn read_string(addr: u64, len: usize) -> Result<String, Errno> {
    String::from_utf8(read_bytes(addr, len)?).map_err(|_| Errno::EINVAL)
}

fn ret(r: Result<u64, Errno>) -> i64 {
    match r {
        Ok(v) => v as i64,
        Err(e) => -(e.code() as i64),
    }
}

extern "C" fn kapi_log(level: u32, msg: u64, len: usize) {
    let text = read_bytes(msg, len.min(4096)).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let who = loader::current_name();
    match level {
        1 => log::error!("{who}: {text}"),
        2 => log::warn!("{who}: {text}"),
        4 => log::debug!("{who}: {text}"),
        _ => log::info!("{who}: {text}"),
    }
}

extern "C" fn kapi_alloc(size: usize, align: usize) -> u64 {
    loader::alloc_for_module(size, align).unwrap_or(0)
}

extern "C" fn kapi_free(ptr: u64, size: usize, align: usize) {
    loader::free_for_module(ptr, size, align);
}

extern "C" fn kapi_register_chrdev(
    major: u32,
    minor: u32,
    name: u64,
    name_len: usize,
    mode: u32,
    ops: u64,
) -> i64 {
    ret((|| {
        let name = read_string(name, name_len)?;
        let raw = read_bytes(ops, 24)?;
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&raw[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        loader::register_device(major, minor, &name, mode, word(0), word(1), word(2))?;
        Ok(0)
    })())
}

extern "C" fn kapi_unregister_chrdev(major: u32, minor: u32) -> i64 {
    ret(loader::unregister_device(major, minor).map(|_| 0))
}

extern "C" fn kapi_register_syscall(nr: usize, name: u64, len: usize, handler: u64) -> i64 {
    ret((|| {
        let name = read_string(name, len)?;
        loader::register_call(nr, &name, handler)?;
        Ok(0)
    })())
}

extern "C" fn kapi_unregister_syscall(nr: usize) -> i64 {
    ret(loader::unregister_call(nr).map(|_| 0))
}

extern "C" fn kapi_register_fs(name: u64, name_len: usize, ops: u64) -> i64 {
    ret((|| {
        let name = read_string(name, name_len)?;
        let raw = read_bytes(ops, 32)?;
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&raw[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        loader::register_fs(&name, word(0), word(1), word(2), word(3))?;
        Ok(0)
    })())
}

extern "C" fn kapi_unregister_fs(name: u64, name_len: usize) -> i64 {
    ret((|| {
        loader::unregister_fs(&read_string(name, name_len)?)?;
        Ok(0)
    })())
}

extern "C" fn kapi_uptime_ns() -> u64 {
    hal::apic::nanos_since_boot()
}

extern "C" fn kapi_panic(msg: u64, len: usize) -> ! {
    let text = read_bytes(msg, len.min(4096)).unwrap_or_default();
    panic!(
        "module {} panicked: {}",
        loader::current_name(),
        String::from_utf8_lossy(&text)
    )
}

/// The address of exported symbol `name`, if the kernel exports it.
pub fn lookup(name: &str) -> Option<u64> {
    type F = u64;
    let a: F = match name {
        "kapi_log" => kapi_log as *const () as F,
        "kapi_alloc" => kapi_alloc as *const () as F,
        "kapi_free" => kapi_free as *const () as F,
        "kapi_register_chrdev" => kapi_register_chrdev as *const () as F,
        "kapi_unregister_chrdev" => kapi_unregister_chrdev as *const () as F,
        "kapi_register_syscall" => kapi_register_syscall as *const () as F,
        "kapi_unregister_syscall" => kapi_unregister_syscall as *const () as F,
        "kapi_uptime_ns" => kapi_uptime_ns as *const () as F,
        "kapi_register_fs" => kapi_register_fs as *const () as F,
        "kapi_unregister_fs" => kapi_unregister_fs as *const () as F,
        "kapi_panic" => kapi_panic as *const () as F,
        _ => {
            return hal::module::runtime_symbols()
                .into_iter()
                .find(|(n, _)| *n == name)
                .map(|(_, a)| a)
        }
    };
    Some(a)
}
