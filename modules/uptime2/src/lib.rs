//! uptime2.ko: a module that adds a system call (chapter 2 section 7, "modules": the
//! call interface extended without rebuilding the kernel). It registers call number
//! `DYNAMIC_FIRST` (0x100), which returns the nanoseconds since boot; `/bin/uptime2`
//! calls it. The call is decoded, traced and dispatched like a built-in one. A second
//! call, `uptime2_null` (0x101), does nothing: `uptime2 -b` times it against the
//! built-in `null` to measure what entering a module's call costs.

#![no_std]
#![deny(unsafe_code)]

use kapi::Errno;

/// The first number of the dynamic range (`abi::nr::DYNAMIC_FIRST`).
const NR: usize = 0x100;

fn uptime(_args: &[u64; 6]) -> Result<u64, Errno> {
    Ok(kapi::uptime_ns())
}

fn null(_args: &[u64; 6]) -> Result<u64, Errno> {
    Ok(0)
}

fn init(args: &str) -> Result<(), Errno> {
    if !args.is_empty() {
        return Err(Errno::EINVAL);
    }
    kapi::register_syscall(NR, "uptime2", uptime)?;
    if let Err(e) = kapi::register_syscall(NR + 1, "uptime2_null", null) {
        let _ = kapi::unregister_syscall(NR);
        return Err(e);
    }
    Ok(())
}

fn exit() {
    let _ = kapi::unregister_syscall(NR + 1);
    let _ = kapi::unregister_syscall(NR);
}

kapi::module!(name: "uptime2", init: init, exit: exit);
