//! System calls provided by modules: the dynamic slots of `syscall::registry` bound
//! to module functions (chapter 2 section 7: a module extends the call interface).
//!
//! The registry's rows are plain Rust functions, so each of the `DYNAMIC_COUNT`
//! numbers has one fixed handler here ([`HANDLERS`]), which reads its slot (the
//! module's function and context word, two atomics), counts itself running, and
//! enters the module with the six argument registers. That is the whole extra cost
//! over a built-in call (docs/benchmarks.md measures it).

use abi::nr::{DYNAMIC_COUNT, DYNAMIC_FIRST};
use abi::Errno;
use alloc::collections::BTreeSet;
use alloc::string::String;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use hal::sync::SpinLock;
use syscall::table::{Ctx, Entry, Handler, Ret, SysResult};

struct Slot {
    handler: AtomicU64,
    ctx: AtomicU64,
    busy: AtomicUsize,
}

static SLOTS: [Slot; DYNAMIC_COUNT] = [const {
    Slot {
        handler: AtomicU64::new(0),
        ctx: AtomicU64::new(0),
        busy: AtomicUsize::new(0),
    }
}; DYNAMIC_COUNT];

fn handler<const N: usize>(cx: &mut Ctx) -> SysResult {
    let s = &SLOTS[N];
    s.busy.fetch_add(1, Ordering::AcqRel);
    let f = &cx.frame;
    let args = [f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9];
    let h = s.handler.load(Ordering::Acquire);
    let r = match hal::module::call(
        h,
        [
            s.ctx.load(Ordering::Acquire),
            &args as *const _ as u64,
            0,
            0,
            0,
            0,
        ],
    ) {
        Some(v) if (v as i64) < 0 => {
            Err(Errno::from_code(-(v as i64) as i32).unwrap_or(Errno::EINVAL))
        }
        Some(v) => Ok(v as usize),
        None => Err(Errno::ENOSYS),
    };
    s.busy.fetch_sub(1, Ordering::Release);
    r
}

macro_rules! handlers {
    ($($n:literal)*) => { [$(handler::<$n> as Handler),*] };
}

/// The fixed handler of each dynamic number.
static HANDLERS: [Handler; DYNAMIC_COUNT] = handlers!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
);

/// Call names live as long as the kernel (a row's name is `&'static`): each distinct
/// name is kept once, however often a module is loaded again.
static NAMES: SpinLock<BTreeSet<&'static str>> = SpinLock::new(BTreeSet::new());

fn intern(name: &str) -> &'static str {
    let mut names = NAMES.lock();
    if let Some(n) = names.get(name) {
        return n;
    }
    let n: &'static str = String::from(name).leak();
    names.insert(n);
    n
}

fn slot(nr: usize) -> Result<usize, Errno> {
    nr.checked_sub(DYNAMIC_FIRST)
        .filter(|&i| i < DYNAMIC_COUNT)
        .ok_or(Errno::EINVAL)
}

/// Bind number `nr` to module function `handler` with context `ctx`.
pub fn bind(nr: usize, name: &str, handler: u64, ctx: u64) -> Result<(), Errno> {
    let i = slot(nr)?;
    if name.is_empty() || name.len() > 32 {
        return Err(Errno::EINVAL);
    }
    let entry = Entry {
        name: intern(name),
        args: &[],
        ret: Ret::Int,
        handler: HANDLERS[i],
    };
    // Load and remove are serialised (the loader's lock), so a free number stays free
    // between this check and the registration.
    if syscall::registry::lookup(nr).is_some() {
        return Err(Errno::EEXIST);
    }
    SLOTS[i].ctx.store(ctx, Ordering::Release);
    SLOTS[i].handler.store(handler, Ordering::Release);
    syscall::registry::register_call(nr, entry).inspect_err(|_| {
        SLOTS[i].handler.store(0, Ordering::Release);
    })
}

/// Take number `nr` away and wait until no call of it is running.
pub fn unbind(nr: usize) -> Result<(), Errno> {
    let i = slot(nr)?;
    syscall::registry::unregister_call(nr)?;
    SLOTS[i].handler.store(0, Ordering::SeqCst);
    while SLOTS[i].busy.load(Ordering::Acquire) != 0 {
        task::yield_now();
    }
    Ok(())
}

/// Calls of `nr` running now.
pub fn running(nr: usize) -> usize {
    slot(nr).map_or(0, |i| SLOTS[i].busy.load(Ordering::Acquire))
}
