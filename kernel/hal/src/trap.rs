//! Traps: the interrupt descriptor table, the entry stubs, and exception reports.
//!
//! Two constraints from the prebuilt `core` shape the entry path (DESIGN.md section 3):
//!
//! 1. **The red zone.** `core` and `alloc` were compiled assuming the 128 bytes below
//!    `rsp` are theirs. A CPU that takes an interrupt in kernel mode pushes its frame right
//!    there. So *every* vector enters on an IST stack, where the CPU's pushes are harmless,
//!    and the common stub then moves the frame onto the interrupted thread's own stack,
//!    128 bytes below the interrupted `rsp` (or to the top of the thread's kernel stack when
//!    coming from user mode, after `swapgs` has brought in the kernel's GS, whose per-CPU
//!    data holds that stack's top; the return swaps back before `iretq` to user mode).
//!    Handlers therefore run on the thread's stack and may switch
//!    threads. If there is no room left above the stack's guard page, the stub stays on the
//!    IST stack: that only happens for a kernel stack overflow, which is fatal and reported.
//! 2. **SSE registers.** Kernel Rust code uses XMM registers, so the stub saves the full
//!    FPU/SSE state (`fxsave64`) beside the general registers and restores it on the way
//!    out. The interrupted code, kernel or user, never sees its XMM registers change.
//!
//! Vectors 0-31 are CPU exceptions: in kernel mode they are reported with their name,
//! error code, faulting address, registers and a symbolised backtrace, then the machine
//! stops. Vectors 32-255 are dispatched to handlers registered with [`set_handler`].
//!
//! What the numbers mean (the [`TrapFrame`] layout the stubs push, gate encodings, the
//! exception names, the page-fault code in words and the report's text) is in
//! [`x86::trap`] and [`x86::descriptors`]; this module has the stubs, the IDT and the
//! dispatch.

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use x86::descriptors::IdtEntry;
pub use x86::trap::{page_fault_cause, TrapFrame, EXCEPTION_NAMES};
use x86::trap::{ExceptionReport, NMI, PAGE_FAULT};

/// Room the stub insists on above the guard page before it moves a frame onto a stack:
/// the saved registers, the 512-byte FXSAVE area and the handler's own frames.
const STACK_HEADROOM: u64 = 2048;

#[cfg(dinos_kernel)]
core::arch::global_asm!(
    r#"
    .section .text.trap, "ax"
    .balign 16
    .global hal_vector_table
hal_vector_table:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0                            /* no error code from the CPU: push a zero */
    .endif
    pushq $vec
    jmp hal_trap_common
    .set vec, vec + 1
    .endr

hal_trap_common:
    /* Here: vector, error, rip, cs, rflags, rsp, ss -- maybe on an IST stack. */
    pushq %rax
    pushq %rcx
    /* rax@0 rcx@8 vector@16 error@24 rip@32 cs@40 rflags@48 rsp@56 ss@64 */
    testb $3, 40(%rsp)
    jnz 1f
    movq 56(%rsp), %rax                 /* from kernel: below the red zone */
    subq $128, %rax
    andq $-16, %rax
    movq %rax, %rcx
    subq $(72 + {headroom}), %rcx
    cmpq %gs:{kstack_limit}, %rcx
    jb 3f                               /* no room: stack overflow, stay on IST */
    jmp 2f
1:  swapgs                              /* from user: the kernel's GS (per-CPU data) */
    movq %gs:{kstack_top}, %rax         /* and the top of the thread's kernel stack */
2:  subq $72, %rax
    movq 0(%rsp), %rcx
    movq %rcx, 0(%rax)
    movq 8(%rsp), %rcx
    movq %rcx, 8(%rax)
    movq 16(%rsp), %rcx
    movq %rcx, 16(%rax)
    movq 24(%rsp), %rcx
    movq %rcx, 24(%rax)
    movq 32(%rsp), %rcx
    movq %rcx, 32(%rax)
    movq 40(%rsp), %rcx
    movq %rcx, 40(%rax)
    movq 48(%rsp), %rcx
    movq %rcx, 48(%rax)
    movq 56(%rsp), %rcx
    movq %rcx, 56(%rax)
    movq 64(%rsp), %rcx
    movq %rcx, 64(%rax)
    movq %rax, %rsp
3:  popq %rcx
    popq %rax
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rbx                     /* rbx = &TrapFrame, callee-saved */
    subq $512, %rsp
    andq $-64, %rsp
    fxsave64 (%rsp)
    cld
    movq %rbx, %rdi
    call hal_trap_dispatch
    fxrstor64 (%rsp)
    movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                      /* vector and error code */
    testb $3, 8(%rsp)
    jz 4f
    swapgs                              /* back to user: the user's GS */
4:  iretq
"#,
    headroom = const STACK_HEADROOM,
    kstack_top = const crate::percpu::KSTACK_TOP,
    kstack_limit = const crate::percpu::KSTACK_LIMIT,
    options(att_syntax)
);

static mut IDT: [IdtEntry; 256] = [IdtEntry::MISSING; 256];

/// An interrupt handler: runs on the interrupted thread's stack with interrupts off.
pub type Handler = fn(&mut TrapFrame);

static HANDLERS: [AtomicUsize; 256] = [const { AtomicUsize::new(0) }; 256];

/// Build and load the IDT on the boot CPU. Every vector gets an interrupt gate
/// (interrupts off on entry) on an IST stack; #PF, #DF and NMI/#MC have stacks of their
/// own so that a fault in the middle of another entry cannot overwrite the frame being
/// copied. The boot stack is the running thread's stack until tasks exist.
pub fn init() {
    #[cfg(dinos_kernel)]
    {
        use x86::descriptors::{dpl_for_vector, ist_for_vector, KERNEL_CS};
        extern "C" {
            static hal_vector_table: u8;
        }
        let table = (&raw const hal_vector_table) as u64;
        // SAFETY: runs once at boot with interrupts off; the IDT is static and its
        // entries point at the stubs above, which exist for all 256 vectors.
        unsafe {
            let idt = &raw mut IDT;
            for v in 0..=255u8 {
                let stub = table + v as u64 * 16;
                let (ist, dpl) = (ist_for_vector(v), dpl_for_vector(v));
                (*idt)[v as usize] = IdtEntry::interrupt_gate(stub, KERNEL_CS, ist, dpl);
            }
        }
        load_idt();
        crate::task::set_cpu_stack(crate::task::boot_stack());
    }
}

/// Load the IDT (built by [`init`] on the boot CPU; every CPU shares it) on this CPU.
pub(crate) fn load_idt() {
    #[cfg(dinos_kernel)]
    {
        let ptr = x86::descriptors::DescriptorPointer {
            limit: (core::mem::size_of::<[IdtEntry; 256]>() - 1) as u16,
            base: (&raw const IDT) as u64,
        };
        // SAFETY: the IDT was filled by `init` on the boot CPU before any other CPU is
        // started, and is never written again; its gates point at the stubs above.
        unsafe { core::arch::asm!("lidt [{}]", in(reg) &ptr, options(readonly, nostack)) };
    }
}

/// Route vector `vector` (32..=255) to `handler`.
pub fn set_handler(vector: u8, handler: Handler) {
    assert!(vector >= 32, "vectors below 32 are CPU exceptions");
    HANDLERS[vector as usize].store(handler as usize, Ordering::SeqCst);
}

/// A hook the upper layers install to handle exceptions raised in *user* mode (turning
/// them into signals). It returns normally to resume (or switch away from) the thread.
pub type UserFaultHook = fn(&mut TrapFrame, fault_addr: u64);
static USER_FAULT_HOOK: AtomicUsize = AtomicUsize::new(0);

/// Install the user-mode exception hook.
pub fn set_user_fault_hook(hook: UserFaultHook) {
    USER_FAULT_HOOK.store(hook as usize, Ordering::SeqCst);
}

static IN_FATAL: AtomicBool = AtomicBool::new(false);

/// Interrupts and exceptions taken, per CPU and vector (`/proc/interrupts`): one
/// relaxed add on the CPU's own row per trap.
static COUNTS: [[AtomicU64; 256]; crate::percpu::MAX_CPUS] =
    [const { [const { AtomicU64::new(0) }; 256] }; crate::percpu::MAX_CPUS];

/// How many times CPU `cpu` has taken vector `vector` since boot.
pub fn interrupt_count(cpu: usize, vector: u8) -> u64 {
    COUNTS
        .get(cpu)
        .map_or(0, |row| row[vector as usize].load(Ordering::Relaxed))
}

/// Does `vector` have a handler installed (an interrupt someone expects)?
pub fn has_handler(vector: u8) -> bool {
    HANDLERS[vector as usize].load(Ordering::Relaxed) != 0
}

#[cfg_attr(dinos_kernel, no_mangle)]
extern "C" fn hal_trap_dispatch(frame: &mut TrapFrame) {
    let vector = frame.vector as usize;
    if let Some(row) = COUNTS.get(crate::percpu::cpu_index()) {
        row[vector & 0xff].fetch_add(1, Ordering::Relaxed);
    }
    if vector as u64 == NMI && crate::smp::stopping() {
        crate::cpu::halt_forever(); // another CPU failed and stops the machine
    }
    if vector as u64 == NMI && crate::watchdog::on_nmi(frame) {
        return; // the watchdog's report of this CPU, stuck: it goes on as it was
    }
    if vector < 32 {
        let addr = if vector as u64 == PAGE_FAULT {
            crate::cpu::read_cr2()
        } else {
            0
        };
        if frame.from_user() && user_fault(frame, addr) {
            return_to_user(frame);
            crate::user::sanitise_user_frame(frame);
            return;
        }
        if vector as u64 == PAGE_FAULT && !frame.from_user() {
            if let Some(resume) = crate::user::fault_fixup(frame.rip, addr) {
                frame.rip = resume; // a user copy met a bad page: it returns short
                return;
            }
        }
        kernel_exception(frame, addr);
    }
    let h = HANDLERS[vector].load(Ordering::Acquire);
    if h == 0 {
        crate::apic::eoi();
        return; // spurious or unexpected: acknowledged and ignored
    }
    // SAFETY: only `set_handler` stores here, always a `Handler` function pointer.
    let h: Handler = unsafe { core::mem::transmute(h) };
    h(frame);
    if frame.from_user() {
        return_to_user(frame);
        crate::user::sanitise_user_frame(frame);
    }
}

/// Hand an exception raised in user mode to the hook; false if none is installed.
pub(crate) fn user_fault(frame: &mut TrapFrame, addr: u64) -> bool {
    let hook = USER_FAULT_HOOK.load(Ordering::SeqCst);
    if hook == 0 {
        return false;
    }
    // SAFETY: only `set_user_fault_hook` stores here, always a `UserFaultHook`.
    let hook: UserFaultHook = unsafe { core::mem::transmute(hook) };
    hook(frame, addr);
    true
}

/// Work to do on the way back to user mode when the task was notified (signal
/// delivery), installed by the process layer. Runs with interrupts off, on the thread's
/// kernel stack.
pub type ReturnHook = fn(&mut TrapFrame);
static RETURN_HOOK: AtomicUsize = AtomicUsize::new(0);

/// Install the return-to-user hook.
pub fn set_return_to_user_hook(hook: ReturnHook) {
    RETURN_HOOK.store(hook as usize, Ordering::SeqCst);
}

/// Run the return-to-user hook on `frame` (called by the trap and syscall paths) if the
/// running task was notified (`Task::notify`): the common return costs one flag test.
pub(crate) fn return_to_user(frame: &mut TrapFrame) {
    if !crate::task::take_current_notify() {
        return;
    }
    let hook = RETURN_HOOK.load(Ordering::Acquire);
    if hook != 0 {
        // SAFETY: only `set_return_to_user_hook` stores here, always a `ReturnHook`.
        let hook: ReturnHook = unsafe { core::mem::transmute(hook) };
        hook(frame);
    }
}

/// More to print in a fatal report, installed by a layer above hal (the system-call
/// layer's ring of recent calls): hal cannot name it, so it is a registered function.
pub type FatalReportHook = fn();
static FATAL_REPORT_HOOK: AtomicUsize = AtomicUsize::new(0);

/// Install the function every fatal report (kernel exception, panic) ends with.
pub fn set_fatal_report_hook(hook: FatalReportHook) {
    FATAL_REPORT_HOOK.store(hook as usize, Ordering::SeqCst);
}

/// Run the fatal-report hook, if one is installed (at most once: a fault inside the
/// hook must not print it again).
pub fn run_fatal_report_hook() {
    let hook = FATAL_REPORT_HOOK.swap(0, Ordering::SeqCst);
    if hook != 0 {
        // SAFETY: only `set_fatal_report_hook` stores a non-zero value here, always a
        // `FatalReportHook` function pointer.
        let hook: FatalReportHook = unsafe { core::mem::transmute(hook) };
        hook();
    }
}

/// Report an exception taken in kernel mode and stop the machine.
fn kernel_exception(f: &TrapFrame, addr: u64) -> ! {
    if IN_FATAL.swap(true, Ordering::SeqCst) {
        crate::kprintln!("\n!!! nested fault while reporting a fault; stopping");
        crate::power::exit_failure();
    }
    crate::smp::stop_other_cpus();
    if crate::percpu::cpus_online() > 1 {
        crate::kprintln!(
            "\n!!! on CPU {} (the others are stopped)",
            crate::percpu::cpu_index()
        );
    }
    crate::kprint!(
        "{}",
        ExceptionReport {
            frame: f,
            fault_addr: addr,
            stack_limit: crate::percpu::this().kstack_limit.load(Ordering::SeqCst),
            cr2: crate::cpu::read_cr2(),
            cr3: crate::cpu::read_cr3(),
            symbols: crate::symbols::table(),
        }
    );
    crate::backtrace::print_from(f.rip, f.rbp);
    run_fatal_report_hook();
    crate::power::exit_failure()
}
