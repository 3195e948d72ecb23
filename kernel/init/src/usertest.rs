//! In-kernel tests of the user-mode boundary, run before processes exist.
//!
//! They check hal's mechanisms with tiny hand-assembled programs: entering ring 3 in
//! an address space of its own, the `syscall` path and its register convention (number
//! in `rax`, arguments in `rdi, rsi, rdx`, result in `rax`), the copy from user memory
//! that turns a bad pointer into EFAULT, and a user fault that ends only the thread that
//! caused it. The system-call table, processes and signals that build on these come with
//! the user-space work; the two calls here (1 = write, 2 = exit) exist only for the test.

use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use hal::addr::VirtAddr;
use hal::paging::{PageFlags, PageSize, PageTable};
use hal::sync::SpinLock;
use hal::trap::TrapFrame;

type TestResult = Result<(), String>;

const CODE_VA: u64 = 0x40_0000;
const STACK_VA: u64 = 0x7f_f000;
const EFAULT: i64 = 14;

static OUTPUT: SpinLock<String> = SpinLock::new(String::new());
static EXIT_CODE: AtomicI64 = AtomicI64::new(i64::MIN);
static FAULT_ADDR: AtomicU64 = AtomicU64::new(0);
static FAULT_VECTOR: AtomicU64 = AtomicU64::new(u64::MAX);

/// End the calling thread's user program: back to the kernel table, then exit.
fn end_thread() -> ! {
    hal::task::current().set_address_space(None);
    task::exit()
}

fn syscall(frame: &mut TrapFrame) {
    match frame.rax {
        1 => {
            let len = (frame.rdx as usize).min(256);
            let mut buf = [0u8; 256];
            frame.rax = match hal::user::copy_from_user(&mut buf[..len], frame.rsi) {
                Ok(()) => {
                    OUTPUT
                        .lock()
                        .push_str(&String::from_utf8_lossy(&buf[..len]));
                    len as u64
                }
                Err(_) => (-EFAULT) as u64,
            };
        }
        2 => {
            EXIT_CODE.store(frame.rdi as i32 as i64, Ordering::SeqCst);
            end_thread();
        }
        // The kernel's own RFLAGS while it handles the call.
        3 => frame.rax = hal::cpu::rflags(),
        _ => frame.rax = (-38i64) as u64, // ENOSYS
    }
}

fn user_fault(frame: &mut TrapFrame, addr: u64) {
    hal::kprintln!(
        "user fault: vector {} at rip {:#x}, address {addr:#x}: thread ended",
        frame.vector,
        frame.rip
    );
    FAULT_VECTOR.store(frame.vector, Ordering::SeqCst);
    FAULT_ADDR.store(addr, Ordering::SeqCst);
    end_thread();
}

/// How a test program starts.
#[derive(Clone, Copy)]
enum Start {
    /// At the first byte of its code page, registers zero.
    Fresh,
    /// From a trap frame, as a forked child does, at this `rip`.
    Frame { rip: u64 },
}

/// Run `code` in ring 3 in a fresh address space; returns (exit code, fault address).
fn run_user(code: &'static [u8]) -> Result<(i64, u64), String> {
    run_user_at(CODE_VA, code, Start::Fresh)
}

/// Run `code`, placed at the *end* of the code page at `page`, in ring 3.
fn run_user_at(page: u64, code: &'static [u8], start: Start) -> Result<(i64, u64), String> {
    hal::trap::set_user_fault_hook(user_fault);
    EXIT_CODE.store(i64::MIN, Ordering::SeqCst);
    FAULT_ADDR.store(0, Ordering::SeqCst);
    FAULT_VECTOR.store(u64::MAX, Ordering::SeqCst);
    OUTPUT.lock().clear();
    let code_frame = mm::alloc_frame().ok_or("no frame")?;
    let stack_frame = mm::alloc_frame().ok_or("no frame")?;
    // Code at the start of its page by default; at the end when placed by the test.
    let code_va = if page == CODE_VA {
        CODE_VA
    } else {
        page + 4096 - code.len() as u64
    };
    let t = task::spawn_then("user", move || {
        hal::task::current().set_syscall_handler(Some(syscall));
        let mut table = PageTable::new_user().expect("user table");
        // Writable as well as executable only because the test writes the code into it.
        let rwx = PageFlags::USER | PageFlags::WRITABLE;
        table
            .map(VirtAddr(page), code_frame, PageSize::Size4K, rwx)
            .expect("map code");
        let data = rwx | PageFlags::NO_EXECUTE;
        table
            .map(VirtAddr(STACK_VA), stack_frame, PageSize::Size4K, data)
            .expect("map stack");
        hal::task::current().set_address_space(Some(Arc::new(SpinLock::new(table))));
        hal::user::copy_to_user(code_va, code).expect("load code");
        match start {
            Start::Fresh => hal::task::AfterStart::EnterUser {
                rip: code_va,
                rsp: STACK_VA + 4096,
            },
            Start::Frame { rip } => {
                let frame = TrapFrame {
                    rip,
                    rsp: STACK_VA + 4096,
                    rflags: 0x202,
                    ..TrapFrame::default()
                };
                let fpu = hal::user::FpuState::initial();
                hal::task::AfterStart::EnterUserFrame(alloc::boxed::Box::new((frame, fpu)))
            }
        }
    })
    .map_err(|e| alloc::format!("{e:?}"))?;
    t.join();
    task::yield_now(); // the thread's successor frees it (and its page tables)
    mm::free_frame(code_frame);
    mm::free_frame(stack_frame);
    Ok((
        EXIT_CODE.load(Ordering::SeqCst),
        FAULT_ADDR.load(Ordering::SeqCst),
    ))
}

/// write(1, "hello, ring 3\n", 14); exit(42)
const HELLO: &[u8] = &[
    0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1
    0xbf, 0x01, 0x00, 0x00, 0x00, // mov edi, 1
    0x48, 0x8d, 0x35, 0x15, 0x00, 0x00, 0x00, // lea rsi, [rip + 0x15]  (the message)
    0xba, 0x0e, 0x00, 0x00, 0x00, // mov edx, 14
    0x0f, 0x05, // syscall
    0xb8, 0x02, 0x00, 0x00, 0x00, // mov eax, 2
    0xbf, 0x2a, 0x00, 0x00, 0x00, // mov edi, 42
    0x0f, 0x05, // syscall
    0x0f, 0x0b, // ud2 (never reached)
    b'h', b'e', b'l', b'l', b'o', b',', b' ', b'r', b'i', b'n', b'g', b' ', b'3', b'\n',
];

/// r = write(1, 0xffff800000000000, 10); exit(r)
const KERNEL_POINTER: &[u8] = &[
    0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1
    0xbf, 0x01, 0x00, 0x00, 0x00, // mov edi, 1
    0x48, 0xbe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff, // mov rsi, 0xffff800000000000
    0xba, 0x0a, 0x00, 0x00, 0x00, // mov edx, 10
    0x0f, 0x05, // syscall
    0x89, 0xc7, // mov edi, eax
    0xb8, 0x02, 0x00, 0x00, 0x00, // mov eax, 2
    0x0f, 0x05, // syscall
];

/// mov rax, [0x10]: a read of an unmapped address.
const NULL_READ: &[u8] = &[0x48, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00];

macro_rules! check {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(alloc::format!($($msg)*));
        }
    };
}

pub fn user_mode_runs_and_makes_system_calls() -> TestResult {
    let before = mm::stats().frames.free_frames;
    let (code, _) = run_user(HELLO)?;
    check!(code == 42, "exit code {code}");
    let out = OUTPUT.lock().clone();
    check!(out == "hello, ring 3\n", "output {out:?}");
    let after = mm::stats().frames.free_frames;
    check!(after == before, "frames leaked: {before} -> {after}");
    Ok(())
}

pub fn user_pointer_to_kernel_memory_gets_efault() -> TestResult {
    let (code, fault) = run_user(KERNEL_POINTER)?;
    check!(code == -EFAULT, "write returned {code}, expected -EFAULT");
    check!(
        fault == 0,
        "the kernel pointer caused a fault instead of an error"
    );
    check!(OUTPUT.lock().is_empty(), "kernel memory was copied out");
    Ok(())
}

pub fn user_fault_ends_only_that_thread() -> TestResult {
    let before = mm::stats().frames.free_frames;
    let (code, fault) = run_user(NULL_READ)?;
    check!(fault == 0x10, "fault address {fault:#x}");
    check!(
        code == i64::MIN,
        "the faulting program exited normally ({code})"
    );
    check!(mm::stats().frames.free_frames == before, "frames leaked");
    Ok(())
}

/// Sets NT, DF and AC (`pushfq; or qword [rsp], 0x44400; popfq`), then r = call 3
/// (the kernel's RFLAGS during the call); exit(r >> 8), which keeps the bits from TF
/// up in the low 32 bits of the exit code.
const HOSTILE_FLAGS: &[u8] = &[
    0x9c, // pushfq
    0x48, 0x81, 0x0c, 0x24, 0x00, 0x44, 0x04, 0x00, // or qword [rsp], 0x44400
    0x9d, // popfq
    0xb8, 0x03, 0x00, 0x00, 0x00, // mov eax, 3
    0x0f, 0x05, // syscall
    0xfc, // cld (the program's own business from here)
    0x48, 0x89, 0xc7, // mov rdi, rax
    0x48, 0xc1, 0xef, 0x08, // shr rdi, 8
    0xb8, 0x02, 0x00, 0x00, 0x00, // mov eax, 2
    0x0f, 0x05, // syscall
];

/// A program may set any flag it likes, but the kernel must not run with TF, DF, NT or
/// AC inherited from it: with NT set, the `iretq` back to the program raised #GP in
/// ring 0 and the whole machine stopped.
pub fn syscall_entry_clears_the_flags_user_mode_set() -> TestResult {
    let (code, fault) = run_user(HOSTILE_FLAGS)?;
    check!(fault == 0, "the program faulted at {fault:#x}");
    check!(code != i64::MIN, "the program did not exit");
    let kernel_flags = (code as u64 & 0xffff_ffff) << 8;
    let leaked = kernel_flags & hal::user::SYSCALL_FLAGS_CLEARED & !(1 << 9);
    check!(
        leaked == 0,
        "the kernel ran with user flags {leaked:#x} (RFLAGS {kernel_flags:#x})"
    );
    Ok(())
}

/// `xor eax, eax; syscall` in the last four bytes of the page below the non-canonical
/// hole: the return address is 0x8000_0000_0000.
const CALL_AT_THE_TOP: &[u8] = &[0x31, 0xc0, 0x0f, 0x05];
const TOP_PAGE: u64 = hal::user::USER_TOP - 4096;

/// Returning to a non-canonical address must be the program's fault (a #GP handed to
/// the user-fault hook, with the address), never a #GP taken by the kernel's `iretq`.
pub fn return_to_a_non_canonical_address_is_a_user_fault() -> TestResult {
    let (code, fault) = run_user_at(TOP_PAGE, CALL_AT_THE_TOP, Start::Fresh)?;
    let vector = FAULT_VECTOR.load(Ordering::SeqCst);
    check!(code == i64::MIN, "the program exited ({code})");
    check!(
        vector == 13 && fault == hal::user::USER_TOP,
        "fault vector {vector}, address {fault:#x}; expected #GP at {:#x}",
        hal::user::USER_TOP
    );
    Ok(())
}

/// The same for a forked child's first entry, which starts from a copy of the parent's
/// frame: a non-canonical rip there used to trip an assertion (a kernel panic).
pub fn forked_child_with_a_non_canonical_rip_gets_a_user_fault() -> TestResult {
    let before = mm::stats().frames.free_frames;
    let start = Start::Frame {
        rip: hal::user::USER_TOP,
    };
    let (code, fault) = run_user_at(TOP_PAGE, CALL_AT_THE_TOP, start)?;
    let vector = FAULT_VECTOR.load(Ordering::SeqCst);
    check!(code == i64::MIN, "the program exited ({code})");
    check!(
        vector == 13 && fault == hal::user::USER_TOP,
        "fault vector {vector}, address {fault:#x}"
    );
    check!(mm::stats().frames.free_frames == before, "frames leaked");
    Ok(())
}

/// Timing loop: t0 = rdtsc; 10000 x { eax = 0; syscall }; exit(rdtsc - t0).
const NULL_CALL_LOOP: &[u8] = &[
    0x0f, 0x31, // rdtsc
    0x48, 0xc1, 0xe2, 0x20, // shl rdx, 32
    0x48, 0x09, 0xd0, // or rax, rdx
    0x49, 0x89, 0xc4, // mov r12, rax
    0x41, 0xbd, 0x10, 0x27, 0x00, 0x00, // mov r13d, 10000
    0x31, 0xc0, // loop: xor eax, eax   (call 0: no such call, the null path)
    0x0f, 0x05, // syscall
    0x41, 0xff, 0xcd, // dec r13d
    0x75, 0xf7, // jnz loop
    0x0f, 0x31, // rdtsc
    0x48, 0xc1, 0xe2, 0x20, // shl rdx, 32
    0x48, 0x09, 0xd0, // or rax, rdx
    0x4c, 0x29, 0xe0, // sub rax, r12
    0x89, 0xc7, // mov edi, eax
    0xb8, 0x02, 0x00, 0x00, 0x00, // mov eax, 2
    0x0f, 0x05, // syscall
];
const NULL_CALLS: u64 = 10_000;

/// Guest TSC ticks per null system call round trip, loop overhead (3 instructions)
/// included. Under `-icount shift=0` a TSC tick is one guest instruction.
pub fn bench_null_syscall() -> Result<u64, String> {
    let (ticks, fault) = run_user(NULL_CALL_LOOP)?;
    if fault != 0 || ticks <= 0 {
        return Err(alloc::format!(
            "benchmark program failed (exit {ticks}, fault {fault:#x})"
        ));
    }
    Ok(ticks as u64 / NULL_CALLS)
}
