//! What a dynamic linker needs from the start code and the machine: the initial stack
//! it was started with (to hand on to the program), and the three operations that no
//! safe Rust can express (chapter 2 section 5, dynamic linking; docs/linking.md).
//!
//! A dynamic linker writes relocated addresses into memory it has mapped, zeroes the
//! `.bss` tails of the libraries, and finally jumps to the program's entry with the
//! stack the kernel built. Those are [`store_u64`], [`zero`], [`copy`] and
//! [`start_program`]: each an `unsafe fn`, since what makes them sound (the address
//! is inside a mapping the caller made writable and that no Rust object lives in) is
//! the caller's knowledge, and the caller (`/lib/ld-dinos.so`) says why at each use.
//! Everything else a loader does (reading ELF files, finding libraries and symbols) is
//! safe code in the loader.

#![allow(unsafe_code)]

use alloc::vec::Vec;
use spinning_top::Spinlock;

struct Start {
    sp: u64,
    stack: &'static [u8],
    auxv: Vec<(u64, u64)>,
}

static START: Spinlock<Option<Start>> = Spinlock::new(None);

/// Called once by the start code with the initial stack (`rt.rs`).
pub(crate) fn init(sp: u64, stack: &'static [u8], auxv: Vec<(u64, u64)>) {
    *START.lock() = Some(Start { sp, stack, auxv });
}

/// The initial stack pointer (at `argc`), as the kernel left it.
pub fn initial_sp() -> u64 {
    START.lock().as_ref().map_or(0, |s| s.sp)
}

/// The value of auxiliary-vector entry `key` (`abi::auxv::AT_*`), if present.
pub fn auxv(key: u64) -> Option<u64> {
    let s = START.lock();
    s.as_ref()?
        .auxv
        .iter()
        .find(|&&(k, _)| k == key)
        .map(|&(_, v)| v)
}

/// The NUL-terminated string an auxiliary-vector entry points at (`AT_EXECFN`), if it
/// lies in the initial stack.
pub fn auxv_str(key: u64) -> Option<alloc::string::String> {
    let at = auxv(key)?;
    let s = START.lock();
    let s = s.as_ref()?;
    let off = at.checked_sub(s.sp)? as usize;
    let rest = s.stack.get(off..)?;
    let end = rest.iter().position(|&c| c == 0)?;
    core::str::from_utf8(&rest[..end])
        .ok()
        .map(alloc::string::String::from)
}

/// Store `value` at `addr`.
///
/// # Safety
/// `addr` must be 8 bytes of writable memory the caller mapped, holding no Rust object
/// (a relocation target in a loaded image).
pub unsafe fn store_u64(addr: u64, value: u64) {
    // SAFETY: the caller's promise; unaligned stores are allowed on x86-64.
    unsafe { (addr as *mut u64).write_unaligned(value) }
}

/// Zero `len` bytes at `addr`.
///
/// # Safety
/// As for [`store_u64`], for the whole range.
pub unsafe fn zero(addr: u64, len: usize) {
    // SAFETY: the caller's promise.
    unsafe { core::ptr::write_bytes(addr as *mut u8, 0, len) }
}

/// Copy `len` bytes from `from` to `to` (an `R_X86_64_COPY` relocation).
///
/// # Safety
/// `from` readable and `to` writable for `len` bytes, not overlapping, as for
/// [`store_u64`].
pub unsafe fn copy(to: u64, from: u64, len: usize) {
    // SAFETY: the caller's promise.
    unsafe { core::ptr::copy_nonoverlapping(from as *const u8, to as *mut u8, len) }
}

/// Jump to `entry` with the stack pointer at `sp` (the initial stack), never to return:
/// the program starts as if the kernel had started it.
///
/// # Safety
/// `entry` must be the start of a program's code that expects the initial stack at
/// `sp`, and nothing of the caller's is used afterwards.
pub unsafe fn start_program(entry: u64, sp: u64) -> ! {
    crate::io::flush_stdout();
    // SAFETY: the caller's promise; rdx = 0 says "no exit handler to register", as the
    // kernel's start leaves it.
    unsafe {
        core::arch::asm!(
            "mov rsp, {sp}",
            "xor ebp, ebp",
            "xor edx, edx",
            "jmp {entry}",
            sp = in(reg) sp,
            entry = in(reg) entry,
            options(noreturn)
        )
    }
}

// ---- lazy binding: the PLT's resolver stub ------------------------------------------

/// The function the stub calls to bind one PLT slot: `(GOT[1], relocation index) ->
/// the symbol's address` (0 until [`set_lazy_resolver`]).
static RESOLVER: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Say which function binds a PLT slot on its first call: it gets the object's word
/// (what the linker put in its `GOT[1]`) and the slot's index in the object's
/// `DT_JMPREL` table, stores the symbol's address in the slot and returns it.
pub fn set_lazy_resolver(f: extern "C" fn(u64, u64) -> u64) {
    RESOLVER.store(f as usize, core::sync::atomic::Ordering::Release);
}

/// The address a linker puts in an object's `GOT[2]` for lazy binding: the stub the
/// PLT's first entry jumps to.
pub fn lazy_stub() -> u64 {
    extern "C" {
        fn ulib_dl_lazy_stub();
    }
    ulib_dl_lazy_stub as *const () as usize as u64
}

/// Called by the stub with the two words the PLT pushed.
extern "C" fn lazy_bind(object: u64, index: u64) -> u64 {
    let f = RESOLVER.load(core::sync::atomic::Ordering::Acquire);
    if f == 0 {
        crate::process::exit(127);
    }
    // SAFETY: the only non-zero value stored in RESOLVER is a function of this type
    // (`set_lazy_resolver`).
    let f: extern "C" fn(u64, u64) -> u64 = unsafe { core::mem::transmute(f) };
    f(object, index)
}

// The stub. A PLT entry pushed its relocation index and jumped to PLT0, which pushed
// GOT[1] and jumped here: [rsp] = GOT[1], [rsp+8] = index, [rsp+16] = the caller's
// return address, and rsp is 8 modulo 16. Every register that may hold an argument
// (rdi, rsi, rdx, rcx, r8, r9, rax for varargs, xmm0-7) is kept across the Rust call,
// whose stack is aligned to 16; then the two pushed words are dropped and the stub
// jumps to the bound function as if the caller had called it directly.
core::arch::global_asm!(
    ".pushsection .text.ulib_dl_lazy_stub, \"ax\", @progbits",
    ".globl ulib_dl_lazy_stub",
    ".type ulib_dl_lazy_stub, @function",
    "ulib_dl_lazy_stub:",
    "push rax",
    "push rdi",
    "push rsi",
    "push rdx",
    "push rcx",
    "push r8",
    "push r9",
    "push r10",
    "sub rsp, 136",
    "movdqu [rsp], xmm0",
    "movdqu [rsp + 16], xmm1",
    "movdqu [rsp + 32], xmm2",
    "movdqu [rsp + 48], xmm3",
    "movdqu [rsp + 64], xmm4",
    "movdqu [rsp + 80], xmm5",
    "movdqu [rsp + 96], xmm6",
    "movdqu [rsp + 112], xmm7",
    "mov rdi, [rsp + 200]",
    "mov rsi, [rsp + 208]",
    "call {bind}",
    "mov r11, rax",
    "movdqu xmm0, [rsp]",
    "movdqu xmm1, [rsp + 16]",
    "movdqu xmm2, [rsp + 32]",
    "movdqu xmm3, [rsp + 48]",
    "movdqu xmm4, [rsp + 64]",
    "movdqu xmm5, [rsp + 80]",
    "movdqu xmm6, [rsp + 96]",
    "movdqu xmm7, [rsp + 112]",
    "add rsp, 136",
    "pop r10",
    "pop r9",
    "pop r8",
    "pop rcx",
    "pop rdx",
    "pop rsi",
    "pop rdi",
    "pop rax",
    "add rsp, 16",
    "jmp r11",
    ".size ulib_dl_lazy_stub, . - ulib_dl_lazy_stub",
    ".popsection",
    bind = sym lazy_bind,
);

// ---- thread-local storage -----------------------------------------------------------

/// The most modules with a thread-local block a process can have (ids 1 to this).
pub const TLS_MODULES: usize = 16;

/// For each module id (less 1), how far below the thread pointer its block starts.
static TLS_BLOCKS: [core::sync::atomic::AtomicU64; TLS_MODULES] =
    [const { core::sync::atomic::AtomicU64::new(0) }; TLS_MODULES];

/// Record that module `id` (1-based, as `R_X86_64_DTPMOD64` stores it) has its block
/// `below` bytes under the thread pointer; false if the id is out of range.
pub fn set_tls_block(id: u64, below: u64) -> bool {
    let Some(slot) = (id as usize).checked_sub(1).and_then(|i| TLS_BLOCKS.get(i)) else {
        return false;
    };
    slot.store(below, core::sync::atomic::Ordering::Release);
    true
}

/// The address a linker binds `__tls_get_addr` to: the general-dynamic model's
/// `(module, offset)` pair to the address of that byte of the calling thread's block.
pub fn tls_get_addr_fn() -> u64 {
    tls_get_addr as *const () as usize as u64
}

extern "C" fn tls_get_addr(pair: *const [u64; 2]) -> u64 {
    // SAFETY: compiled code passes the address of a `tls_index` pair in its GOT, which
    // the linker filled (DTPMOD64, DTPOFF64).
    let [module, offset] = unsafe { pair.read_unaligned() };
    let below = (module as usize)
        .checked_sub(1)
        .and_then(|i| TLS_BLOCKS.get(i))
        .map_or(0, |b| b.load(core::sync::atomic::Ordering::Acquire));
    let tp: u64;
    // SAFETY: reads the word at `%fs:0`: a library calls this only from code of a
    // module with a TLS block, and the linker set `%fs` to a control block whose first
    // word is its own address before any such code ran.
    unsafe {
        core::arch::asm!("mov {}, fs:0", out(reg) tp, options(nostack, readonly, preserves_flags))
    };
    tp.wrapping_sub(below).wrapping_add(offset)
}

// ---- a thread-local area for each thread ----------------------------------------------

/// What a dynamic linker writes in the control block it points the first thread's
/// `%fs` at, after the self pointer, so that the program's thread start can make each
/// new thread an area of its own (`ld-dinos`: `dynload::setup_tls`). Word 1 is
/// [`TCB_MAGIC`], word 2 the bytes of TLS blocks below the thread pointer, word 3
/// their alignment, word 4 the address of a copy of the blocks as they were before the
/// program ran (every module's template), which each new thread starts from.
pub const TCB_MAGIC: u64 = u64::from_le_bytes(*b"dinosTLS");
/// The control block's size: its first word points at itself (`%fs:0`).
pub const TCB_SIZE: usize = 256;

/// The first thread's control block, as the dynamic linker left it: (blocks, align,
/// initial image), noted at start ([`note_loader_tls`]); none in a static program.
static LOADER_TLS: Spinlock<Option<(usize, usize, u64)>> = Spinlock::new(None);

/// Called by the start code of a program an interpreter started (`AT_BASE` set),
/// before any code of the program ran: if the linker set a thread pointer, read the
/// layout it recorded in the control block.
pub(crate) fn note_loader_tls() {
    let Ok(tp) = crate::sys::thread_pointer() else {
        return;
    };
    if tp == 0 {
        return;
    }
    let tp = tp as u64;
    let mut words = [0u64; 5];
    for (i, w) in words.iter_mut().enumerate() {
        // SAFETY: the thread pointer was set by the dynamic linker (nothing of the
        // program has run yet) to a control block of `TCB_SIZE` mapped, readable
        // bytes (`dynload::setup_tls`); only its first five words are read.
        *w = unsafe { ((tp + 8 * i as u64) as *const u64).read() };
    }
    let [me, magic, blocks, align, image] = words;
    if me == tp && magic == TCB_MAGIC && align.is_power_of_two() && blocks < 1 << 20 {
        *LOADER_TLS.lock() = Some((blocks as usize, align as usize, image));
    }
}

/// A new thread's thread-local area: its own copy of every module's block and a
/// control block, in memory this owns (freed when it is dropped: after the thread
/// has ended).
pub struct ThreadArea {
    _mem: Vec<u8>,
    /// What the thread's `%fs` is set to.
    pub tp: u64,
}

/// A thread-local area for a new thread, laid out as the first thread's (the blocks
/// copied from the image the dynamic linker kept, then a control block); None when
/// the program has no thread-local storage (static, or no module with `PT_TLS`).
pub fn thread_area() -> Option<ThreadArea> {
    let (blocks, align, image) = (*LOADER_TLS.lock())?;
    let align = align.max(16);
    let mut mem = alloc::vec![0u8; blocks + TCB_SIZE + align];
    let start = mem.as_ptr() as usize;
    let tp = (start + blocks).next_multiple_of(align);
    let off = tp - blocks - start;
    // SAFETY: `image` is the dynamic linker's copy of the first thread's blocks,
    // `blocks` bytes it mapped and never unmaps or writes again (`dynload::setup_tls`).
    let from = unsafe { core::slice::from_raw_parts(image as *const u8, blocks) };
    mem[off..off + blocks].copy_from_slice(from);
    let tcb = off + blocks;
    for (i, w) in [tp as u64, TCB_MAGIC, blocks as u64, align as u64, image]
        .iter()
        .enumerate()
    {
        mem[tcb + 8 * i..tcb + 8 * i + 8].copy_from_slice(&w.to_le_bytes());
    }
    Some(ThreadArea {
        _mem: mem,
        tp: tp as u64,
    })
}
