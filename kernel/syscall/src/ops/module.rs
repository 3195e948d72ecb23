//! Loadable kernel modules' calls (chapter 2 section 7, "modules"): `init_module`,
//! `delete_module`, `modules` (the listing `lsmod` prints).
//!
//! The linker and loader are the `module` crate, which sits above this one (it
//! registers devices and system calls, through this crate among others), so it plugs
//! itself in here with [`set_module_ops`] at boot, as `devices` plugs its open into
//! `files`. Before that every call is ENOSYS. Loading and removing need root
//! (`cred::Capability::SysAdmin`, as Linux's `CAP_SYS_MODULE`): a module runs with
//! the kernel's rights. A refusal's reason (an undefined symbol, a bad relocation)
//! is copied into the caller's message buffer, so `insmod` can print it.

use crate::table::{Ctx, SysResult};
use crate::user::{UserSlice, UserSliceMut};
use abi::Errno;
use alloc::string::String;
use hal::sync::SpinLock;

/// A refusal: the errno and the sentence that explains it.
pub type Refusal = (Errno, String);

/// What the module loader provides.
pub trait ModuleOps: Sync {
    /// Link, load and start the module in `image` with the argument string `args`.
    fn load(&self, image: &[u8], args: &str) -> Result<(), Refusal>;
    /// Stop and remove module `name`.
    fn remove(&self, name: &str) -> Result<(), Refusal>;
    /// One line per loaded module: `name size refcount users`.
    fn list(&self) -> String;
}

static OPS: SpinLock<Option<&'static dyn ModuleOps>> = SpinLock::new(None);

/// Install the module loader (once, at boot).
pub fn set_module_ops(ops: &'static dyn ModuleOps) {
    *OPS.lock() = Some(ops);
}

fn ops() -> Result<&'static dyn ModuleOps, Errno> {
    let o = *OPS.lock();
    o.ok_or(Errno::ENOSYS)
}

/// The largest module image accepted.
pub const MAX_IMAGE: usize = 4 << 20;

fn root_only(cx: &Ctx) -> Result<(), Errno> {
    let cred = cx.process()?.cred();
    match cred::capable(&cred, cred::Capability::SysAdmin) {
        true => Ok(()),
        false => Err(Errno::EPERM),
    }
}

/// Report a refusal: its sentence into `msg` (NUL-terminated when it fits), its errno.
fn refuse(msg: UserSliceMut, (e, why): Refusal) -> SysResult {
    if !msg.is_empty() {
        let mut b = why.into_bytes();
        b.push(0);
        let _ = msg.write_prefix(&b);
    }
    Err(e)
}

pub fn init_module(cx: &mut Ctx, image: UserSlice, args: String, msg: UserSliceMut) -> SysResult {
    root_only(cx)?;
    if image.len() > MAX_IMAGE {
        return Err(Errno::EFBIG);
    }
    let ops = ops()?;
    let bytes = image.to_vec()?;
    match ops.load(&bytes, &args) {
        Ok(()) => Ok(0),
        Err(r) => refuse(msg, r),
    }
}

pub fn delete_module(cx: &mut Ctx, name: String, msg: UserSliceMut) -> SysResult {
    root_only(cx)?;
    match ops()?.remove(&name) {
        Ok(()) => Ok(0),
        Err(r) => refuse(msg, r),
    }
}

/// The listing, copied into `dest` (truncated to fit); returns its whole length.
pub fn modules(_: &mut Ctx, dest: UserSliceMut) -> SysResult {
    let text = ops()?.list();
    dest.write_prefix(text.as_bytes())?;
    Ok(text.len())
}
