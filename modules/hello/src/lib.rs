//! hello.ko: the smallest useful loadable module (chapter 2 section 7, "modules"): it
//! adds the character device `/dev/hello` through the kernel's device registry, and
//! reading it gives "hello from a module\n" (or "hello from WHO\n" after
//! `insmod /lib/modules/hello.ko who=WHO`).
//!
//! Everything it does goes through `kapi`, the safe side of the kernel's export table;
//! the in-kernel linker resolves those calls when the module is loaded. Its state is a
//! static: a module's statics are its own data pages, mapped read-write, no-execute.

#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use kapi::{CharDevice, Errno};

/// Linux's first "local/experimental" major number.
const MAJOR: u32 = 240;

/// Who says hello: set by init from the `who=` argument, read by every read.
static WHO: [AtomicU8; 32] = [const { AtomicU8::new(0) }; 32];
static WHO_LEN: AtomicUsize = AtomicUsize::new(0);

struct Hello;

impl CharDevice for Hello {
    fn read(&self, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let n = WHO_LEN.load(Ordering::Acquire);
        let who: alloc::vec::Vec<u8> = WHO[..n].iter().map(|b| b.load(Ordering::Relaxed)).collect();
        let who = core::str::from_utf8(&who).unwrap_or("a module");
        let text = format!("hello from {}\n", if n == 0 { "a module" } else { who });
        let rest = text.as_bytes().get(off as usize..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
}

static DEVICE: Hello = Hello;

fn init(args: &str) -> Result<(), Errno> {
    for arg in args.split_whitespace() {
        match arg.split_once('=') {
            Some(("who", w)) if !w.is_empty() && w.len() <= WHO.len() => {
                for (slot, b) in WHO.iter().zip(w.bytes()) {
                    slot.store(b, Ordering::Relaxed);
                }
                WHO_LEN.store(w.len(), Ordering::Release);
            }
            _ => {
                kapi::info!("unknown argument {arg:?} (try who=NAME)");
                return Err(Errno::EINVAL);
            }
        }
    }
    kapi::register_chrdev(MAJOR, 0, "hello", 0o444, &DEVICE)?;
    kapi::info!("/dev/hello is {MAJOR}:0");
    Ok(())
}

fn exit() {
    let _ = kapi::unregister_chrdev(MAJOR, 0);
}

kapi::module!(name: "hello", init: init, exit: exit);
