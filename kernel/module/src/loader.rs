//! The loaded modules: loading (link, map, init), removal (use count, exit, clean-up)
//! and the listing (chapter 2 section 7: a kernel that grows and shrinks while it runs).
//!
//! Load and removal are serialised by one sleeping lock; the table of modules is a
//! spinlock held only to read or change it, never while module code runs. While a
//! module's `init` or `exit` runs it is the *current* module: what it registers or
//! allocates then is recorded against it, so that removal (or a failed init) can
//! take back whatever it left. A module's pages are its own frames, mapped in the
//! module region of the kernel half, which every address space shares.

use crate::device::ModuleDevice;
use crate::filesystem::FsType;
use crate::link::{link, Linked, Plan, Region};
use crate::object::Object;
use crate::{calls, exports, LoadError};
use abi::Errno;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;

use alloc::vec::Vec;
use core::fmt::Write;
use core::ops::Range;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::addr::{PhysAddr, VirtAddr, MODULE_BASE, MODULE_SIZE, PAGE_SIZE};
use hal::paging::{PageFlags, PageSize};
use hal::sync::SpinLock;
use syscall::ops::module::{ModuleOps, Refusal};

/// The descriptor's magic ("DNOSMOD1", `kapi::MODULE_MAGIC`).
pub const MODULE_MAGIC: u64 = u64::from_le_bytes(*b"DNOSMOD1");
/// The symbol of the descriptor `kapi::module!` writes.
pub const INFO_SYMBOL: &str = "dinos_module_info";
const PAGE: usize = PAGE_SIZE as usize;

struct Device {
    major: u32,
    minor: u32,
    name: String,
    dev: Arc<ModuleDevice>,
}

impl Device {
    /// Open files on it (the registry and the loader hold one reference each).
    fn opens(&self) -> usize {
        Arc::strong_count(&self.dev).saturating_sub(2)
    }
}

struct Module {
    id: u64,
    name: String,
    base: u64,
    size: usize,
    frames: Vec<PhysAddr>,
    text: Range<u64>,
    exit: u64,
    devices: Vec<Device>,
    calls: Vec<usize>,
    fs_types: Vec<Arc<FsType>>,
}

impl Module {
    /// Open files on its devices and calls running in them. (A call of its system
    /// calls in flight is not counted per module, which would cost the call path:
    /// removal waits for those instead, `calls::unbind`.)
    fn use_count(&self) -> usize {
        self.devices
            .iter()
            .map(|d| d.opens() + d.dev.running())
            .sum::<usize>()
            + self.fs_types.iter().map(|t| t.mounts()).sum::<usize>()
    }

    fn users(&self) -> String {
        let mut u: Vec<String> = self
            .devices
            .iter()
            .map(|d| format!("/dev/{}", d.name))
            .collect();
        u.extend(self.calls.iter().map(|nr| format!("call:{nr}")));
        u.extend(self.fs_types.iter().map(|t| format!("fs:{}", t.name)));
        match u.is_empty() {
            true => String::from("-"),
            false => u.join(","),
        }
    }
}

static LOAD_LOCK: task::Mutex<()> = task::mutex(());
static MODULES: SpinLock<Vec<Module>> = SpinLock::new(Vec::new());
static CURRENT: AtomicU64 = AtomicU64::new(0);
/// The thread running that init or exit (another thread's calls into the kernel, from
/// a module's device or system call, belong to no module being set up).
static CURRENT_THREAD: AtomicU64 = AtomicU64::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// Heap memory given to modules: address -> (owner, the block).
#[allow(clippy::type_complexity)]
static ALLOCS: SpinLock<BTreeMap<u64, (u64, Box<[u8]>)>> = SpinLock::new(BTreeMap::new());
/// The module region's reservations: start -> length.
static SPACE: SpinLock<BTreeMap<u64, u64>> = SpinLock::new(BTreeMap::new());

fn refusal(errno: Errno, msg: String) -> LoadError {
    LoadError::new(errno, msg)
}

/// Reserve `len` bytes of the module region, with an unmapped guard page after them.
fn reserve(len: u64) -> Option<u64> {
    let mut space = SPACE.lock();
    let mut at = MODULE_BASE;
    for (&start, &l) in space.iter() {
        if start - at >= len + PAGE_SIZE {
            break;
        }
        at = start + l + PAGE_SIZE;
    }
    if at + len + PAGE_SIZE > MODULE_BASE + MODULE_SIZE {
        return None;
    }
    space.insert(at, len);
    Some(at)
}

fn release(base: u64) {
    SPACE.lock().remove(&base);
}

/// The module whose init or exit this thread is running (0: none).
fn running_module() -> u64 {
    let id = CURRENT.load(Ordering::Acquire);
    match id != 0 && CURRENT_THREAD.load(Ordering::Acquire) == task::current().tid {
        true => id,
        false => 0,
    }
}

/// Run `f` (a module's init or exit) as module `id`'s.
fn as_module<R>(id: u64, f: impl FnOnce() -> R) -> R {
    CURRENT_THREAD.store(task::current().tid, Ordering::Release);
    CURRENT.store(id, Ordering::Release);
    let r = f();
    CURRENT.store(0, Ordering::Release);
    CURRENT_THREAD.store(0, Ordering::Release);
    r
}

/// The name of the module whose init or exit is running ("module" otherwise).
pub fn current_name() -> String {
    let id = running_module();
    MODULES
        .lock()
        .iter()
        .find(|m| m.id == id)
        .map_or_else(|| String::from("module"), |m| m.name.clone())
}

fn with_current<R>(f: impl FnOnce(&mut Module) -> Result<R, Errno>) -> Result<R, Errno> {
    let id = running_module();
    if id == 0 {
        return Err(Errno::EPERM);
    }
    let mut mods = MODULES.lock();
    let m = mods.iter_mut().find(|m| m.id == id).ok_or(Errno::EPERM)?;
    f(m)
}

// ---- what the exports do -------------------------------------------------------

/// Heap memory for a module (`kapi_alloc`): at most 1 MiB, aligned to at most a page.
pub fn alloc_for_module(size: usize, align: usize) -> Option<u64> {
    if size == 0 || size > 1 << 20 || !align.is_power_of_two() || align > PAGE {
        return None;
    }
    let mut v = Vec::new();
    v.try_reserve_exact(size + align - 1).ok()?;
    v.resize(size + align - 1, 0u8);
    let block = v.into_boxed_slice();
    let addr = (block.as_ptr() as u64).next_multiple_of(align as u64);
    // The module writes the block through `addr`; the kernel never reads it, and frees
    // it only when the module says so or is gone.
    let owner = running_module();
    ALLOCS.lock().insert(addr, (owner, block));
    Some(addr)
}

/// Give back what [`alloc_for_module`] gave (`kapi_free`); anything else is logged
/// and ignored.
pub fn free_for_module(addr: u64, _size: usize, _align: usize) {
    let block = ALLOCS.lock().remove(&addr);
    if block.is_none() {
        log::error!(
            "module {}: kapi_free of {addr:#x}, which it was not given",
            current_name()
        );
    }
}

/// `kapi_register_chrdev`: only from the current module's init, with functions of its
/// own text.
pub fn register_device(
    major: u32,
    minor: u32,
    name: &str,
    mode: u32,
    ctx: u64,
    read: u64,
    write: u64,
) -> Result<(), Errno> {
    let text = with_current(|m| Ok(m.text.clone()))?;
    if !text.contains(&read) || !text.contains(&write) {
        return Err(Errno::EFAULT);
    }
    let dev = ModuleDevice::new(ctx, read, write);
    devices::register_chrdev(major, minor, name, mode, dev.clone())?;
    with_current(|m| {
        m.devices.push(Device {
            major,
            minor,
            name: String::from(name),
            dev,
        });
        Ok(())
    })
}

/// `kapi_unregister_chrdev` (EBUSY while it is open).
pub fn unregister_device(major: u32, minor: u32) -> Result<(), Errno> {
    let d = with_current(|m| {
        let i = m
            .devices
            .iter()
            .position(|d| d.major == major && d.minor == minor)
            .ok_or(Errno::ENXIO)?;
        if m.devices[i].opens() > 0 {
            return Err(Errno::EBUSY);
        }
        Ok(m.devices.remove(i))
    })?;
    drop_device(d);
    Ok(())
}

fn drop_device(d: Device) {
    let _ = devices::unregister_chrdev(d.major, d.minor);
    d.dev.kill();
    while d.dev.running() != 0 {
        task::yield_now();
    }
}

/// `kapi_register_syscall`.
pub fn register_call(nr: usize, name: &str, handler: u64) -> Result<(), Errno> {
    let text = with_current(|m| Ok(m.text.clone()))?;
    if !text.contains(&handler) {
        return Err(Errno::EFAULT);
    }
    calls::bind(nr, name, handler)?;
    with_current(|m| {
        m.calls.push(nr);
        Ok(())
    })
}

/// `kapi_unregister_syscall`.
pub fn unregister_call(nr: usize) -> Result<(), Errno> {
    with_current(|m| {
        let i = m.calls.iter().position(|&n| n == nr).ok_or(Errno::ENOENT)?;
        m.calls.remove(i);
        Ok(())
    })?;
    calls::unbind(nr)
}

/// `kapi_register_fs`: only from the current module's init, with entry points of its
/// own text.
pub fn register_fs(name: &str, ctx: u64, mount: u64, unmount: u64, op: u64) -> Result<(), Errno> {
    let text = with_current(|m| Ok(m.text.clone()))?;
    let ty = FsType::new(name, ctx, mount, unmount, op);
    if !ty.entries().iter().all(|a| text.contains(a)) {
        return Err(Errno::EFAULT);
    }
    ty.register()?;
    with_current(|m| {
        m.fs_types.push(ty);
        Ok(())
    })
}

/// `kapi_unregister_fs` (EBUSY while it is mounted).
pub fn unregister_fs(name: &str) -> Result<(), Errno> {
    let ty = with_current(|m| {
        m.fs_types
            .iter()
            .find(|t| t.name == name)
            .cloned()
            .ok_or(Errno::ENOENT)
    })?;
    ty.retire()?;
    with_current(|m| {
        m.fs_types.retain(|t| !Arc::ptr_eq(t, &ty));
        Ok(())
    })
}

// ---- loading ------------------------------------------------------------------

/// What the descriptor says.
struct Info {
    name: String,
    init: u64,
    exit: u64,
}

fn descriptor(linked: &Linked, text: &Range<u64>) -> Result<Info, LoadError> {
    let bad = |m: &str| refusal(Errno::ENOEXEC, String::from(m));
    let at = *linked.globals.get(INFO_SYMBOL).ok_or_else(|| {
        bad("no dinos_module_info: not a dinos module (declare it with kapi::module!)")
    })?;
    let w = |i: u64| {
        linked
            .word_at(at + 8 * i)
            .ok_or_else(|| bad("dinos_module_info is cut short"))
    };
    if w(0)? != MODULE_MAGIC {
        return Err(bad(
            "dinos_module_info has the wrong magic (built for another kapi?)",
        ));
    }
    let (name_at, len) = (w(1)?, w(2)? as usize);
    let name = (1..=32)
        .contains(&len)
        .then(|| linked.bytes_at(name_at, len))
        .flatten()
        .and_then(|b| core::str::from_utf8(b).ok())
        .filter(|n| {
            n.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        })
        .ok_or_else(|| bad("the module's name is not 1 to 32 letters, digits, - or _"))?;
    let (init, exit) = (w(3)?, w(4)?);
    if !text.contains(&init) || !text.contains(&exit) {
        return Err(bad("the module's init or exit is not in its text"));
    }
    Ok(Info {
        name: String::from(name),
        init,
        exit,
    })
}

/// Copy the linked image into fresh frames and map them with each region's rights.
fn map_image(linked: &Linked, plan: &Plan) -> Result<Vec<PhysAddr>, LoadError> {
    let mut frames = Vec::with_capacity(plan.size / PAGE);
    let undo = |frames: &[PhysAddr]| unmap_image(linked.base, frames);
    for (i, chunk) in linked.image.chunks(PAGE).enumerate() {
        let Some(f) = mm::alloc_frame() else {
            undo(&frames);
            return Err(refusal(
                Errno::ENOMEM,
                String::from("out of memory for the module's pages"),
            ));
        };
        hal::paging::write_frame(f, 0, chunk);
        let g = PageFlags::GLOBAL;
        let va = VirtAddr(linked.base + (i * PAGE) as u64);
        let data = |flags| {
            let m = hal::paging::with_kernel_table(|t| t.map(va, f, PageSize::Size4K, flags));
            matches!(m, Some(Ok(())))
        };
        // Text through hal, which records the page as one `hal::module::call` may enter.
        let mapped = match plan.region_at(i * PAGE) {
            Region::Text => hal::module::map_text(va, f),
            Region::RoData | Region::Got => data(g | PageFlags::NO_EXECUTE),
            Region::Data => data(g | PageFlags::WRITABLE | PageFlags::NO_EXECUTE),
        };
        if !mapped {
            mm::free_frame(f);
            undo(&frames);
            return Err(refusal(
                Errno::ENOMEM,
                String::from("cannot map the module's pages"),
            ));
        }
        frames.push(f);
    }
    Ok(frames)
}

fn unmap_image(base: u64, frames: &[PhysAddr]) {
    for (i, &f) in frames.iter().enumerate() {
        let va = VirtAddr(base + (i * PAGE) as u64);
        if hal::module::unmap_text(va).is_none() {
            let _ = hal::paging::with_kernel_table(|t| t.unmap(va));
        }
        mm::free_frame(f);
    }
}

/// Link, map and start a module.
pub fn load(image: &[u8], args: &str) -> Result<(), LoadError> {
    let _serial = LOAD_LOCK.lock();
    let obj = Object::parse(image)?;
    let plan = Plan::new(&obj)?;
    let base = reserve(plan.size as u64)
        .ok_or_else(|| refusal(Errno::ENOMEM, String::from("the module region is full")))?;
    let text = base + plan.text.start as u64..base + plan.text.end as u64;
    let prepared = link(&obj, &plan, base, &exports::lookup).and_then(|l| {
        let info = descriptor(&l, &text)?;
        if MODULES.lock().iter().any(|m| m.name == info.name) {
            return Err(refusal(
                Errno::EEXIST,
                format!("module {} is already loaded", info.name),
            ));
        }
        Ok((l, info))
    });
    let (linked, info) = prepared.inspect_err(|_| release(base))?;
    let frames = map_image(&linked, &plan).inspect_err(|_| release(base))?;
    drop(linked);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    MODULES.lock().push(Module {
        id,
        name: info.name.clone(),
        base,
        size: plan.size,
        frames,
        text,
        exit: info.exit,
        devices: Vec::new(),
        calls: Vec::new(),
        fs_types: Vec::new(),
    });
    let r = as_module(id, || {
        hal::module::call(
            info.init,
            [args.as_ptr() as u64, args.len() as u64, 0, 0, 0, 0],
        )
    });
    match r.map(|v| v as i64) {
        Some(0) => {
            log::info!(
                "module {} loaded at {base:#x} ({} bytes)",
                info.name,
                plan.size
            );
            Ok(())
        }
        other => {
            teardown(id);
            let e = match other {
                Some(v) if v < 0 => Errno::from_code(-v as i32).unwrap_or(Errno::EINVAL),
                _ => Errno::EINVAL,
            };
            Err(refusal(
                e,
                format!("{}: init failed ({})", info.name, e.message()),
            ))
        }
    }
}

/// Take back everything of module `id` and forget it.
fn teardown(id: u64) {
    let m = {
        let mut mods = MODULES.lock();
        let Some(i) = mods.iter().position(|m| m.id == id) else {
            return;
        };
        mods.remove(i)
    };
    for t in &m.fs_types {
        log::warn!(
            "module {} left file-system type {} registered: removed",
            m.name,
            t.name
        );
        if t.retire().is_err() {
            // Mounted after all (during a failed init): its code must stay. Leaked.
            log::error!(
                "module {}: {} is mounted; its pages are kept",
                m.name,
                t.name
            );
            return;
        }
    }
    for d in m.devices {
        log::warn!("module {} left /dev/{} registered: removed", m.name, d.name);
        drop_device(d);
    }
    for nr in m.calls {
        log::warn!(
            "module {} left system call {nr} registered: removed",
            m.name
        );
        let _ = calls::unbind(nr);
    }
    let left: Vec<(u64, Box<[u8]>)> = {
        let mut allocs = ALLOCS.lock();
        let mine: Vec<u64> = allocs
            .iter()
            .filter(|(_, (o, _))| *o == id)
            .map(|(&a, _)| a)
            .collect();
        mine.into_iter().filter_map(|a| allocs.remove(&a)).collect()
    };
    if !left.is_empty() {
        log::warn!("module {} left {} allocations: freed", m.name, left.len());
    }
    drop(left);
    unmap_image(m.base, &m.frames);
    release(m.base);
}

/// Stop and remove module `name`.
pub fn remove(name: &str) -> Result<(), LoadError> {
    let _serial = LOAD_LOCK.lock();
    let (id, exit, busy, users) = {
        let mods = MODULES.lock();
        let m = mods
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| refusal(Errno::ENOENT, format!("no module named {name} is loaded")))?;
        (m.id, m.exit, m.use_count(), m.users())
    };
    let in_use = |busy: usize| {
        refusal(
            Errno::EBUSY,
            format!("module {name} is in use ({busy} users of {users})"),
        )
    };
    if busy > 0 {
        return Err(in_use(busy));
    }
    // No new mount of its file systems from here (one that got in is seen: refused).
    let types: Vec<Arc<FsType>> = MODULES
        .lock()
        .iter()
        .find(|m| m.id == id)
        .map(|m| m.fs_types.clone())
        .unwrap_or_default();
    for (i, t) in types.iter().enumerate() {
        if t.retire().is_err() {
            types[..i].iter().for_each(|t| t.revive());
            return Err(in_use(t.mounts().max(1)));
        }
    }
    as_module(id, || hal::module::call(exit, [0; 6]));
    teardown(id);
    log::info!("module {name} removed");
    Ok(())
}

/// `name size refcount users`, one line per module, in load order.
pub fn list() -> String {
    let mut s = String::new();
    for m in MODULES.lock().iter() {
        let _ = writeln!(s, "{} {} {} {}", m.name, m.size, m.use_count(), m.users());
    }
    s
}

/// The loader as the system-call layer sees it.
pub struct Loader;

impl ModuleOps for Loader {
    fn load(&self, image: &[u8], args: &str) -> Result<(), Refusal> {
        load(image, args).map_err(|e| (e.errno, e.msg))
    }
    fn remove(&self, name: &str) -> Result<(), Refusal> {
        remove(name).map_err(|e| (e.errno, e.msg))
    }
    fn list(&self) -> String {
        list()
    }
}
