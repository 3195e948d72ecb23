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
        _ => frame.rax = (-38i64) as u64, // ENOSYS
    }
}

fn user_fault(frame: &mut TrapFrame, addr: u64) {
    hal::kprintln!(
        "user fault: vector {} at rip {:#x}, address {addr:#x}: thread ended",
        frame.vector,
        frame.rip
    );
    FAULT_ADDR.store(addr, Ordering::SeqCst);
    end_thread();
}

/// Run `code` in ring 3 in a fresh address space; returns (exit code, fault address).
fn run_user(code: &'static [u8]) -> Result<(i64, u64), String> {
    hal::user::set_syscall_handler(syscall);
    hal::trap::set_user_fault_hook(user_fault);
    EXIT_CODE.store(i64::MIN, Ordering::SeqCst);
    FAULT_ADDR.store(0, Ordering::SeqCst);
    OUTPUT.lock().clear();
    let code_frame = mm::alloc_frame().ok_or("no frame")?;
    let stack_frame = mm::alloc_frame().ok_or("no frame")?;
    let t = task::spawn_then("user", move || {
        let mut table = PageTable::new_user().expect("user table");
        // Writable as well as executable only because the test writes the code into it.
        let rwx = PageFlags::USER | PageFlags::WRITABLE;
        table
            .map(VirtAddr(CODE_VA), code_frame, PageSize::Size4K, rwx)
            .expect("map code");
        let data = rwx | PageFlags::NO_EXECUTE;
        table
            .map(VirtAddr(STACK_VA), stack_frame, PageSize::Size4K, data)
            .expect("map stack");
        hal::task::current().set_address_space(Some(Arc::new(SpinLock::new(table))));
        hal::user::copy_to_user(CODE_VA, code).expect("load code");
        hal::task::AfterStart::EnterUser {
            rip: CODE_VA,
            rsp: STACK_VA + 4096,
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
