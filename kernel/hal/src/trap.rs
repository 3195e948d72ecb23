//! Traps: the interrupt descriptor table, the entry stubs, and exception reports.
//!
//! Two constraints from the prebuilt `core` shape the entry path (DESIGN.md section 3):
//!
//! 1. **The red zone.** `core` and `alloc` were compiled assuming the 128 bytes below
//!    `rsp` are theirs. A CPU that takes an interrupt in kernel mode pushes its frame right
//!    there. So *every* vector enters on an IST stack, where the CPU's pushes are harmless,
//!    and the common stub then moves the frame onto the interrupted thread's own stack,
//!    128 bytes below the interrupted `rsp` (or to the top of the thread's kernel stack when
//!    coming from user mode). Handlers therefore run on the thread's stack and may switch
//!    threads. If there is no room left above the stack's guard page, the stub stays on the
//!    IST stack: that only happens for a kernel stack overflow, which is fatal and reported.
//! 2. **SSE registers.** Kernel Rust code uses XMM registers, so the stub saves the full
//!    FPU/SSE state (`fxsave64`) beside the general registers and restores it on the way
//!    out. The interrupted code, kernel or user, never sees its XMM registers change.
//!
//! Vectors 0-31 are CPU exceptions: in kernel mode they are reported with their name,
//! error code, faulting address, registers and a symbolised backtrace, then the machine
//! stops. Vectors 32-255 are dispatched to handlers registered with [`set_handler`].

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// The registers saved on entry, in the order the stub pushes them (lowest address first).
#[repr(C)]
#[derive(Debug, Clone, Default)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl TrapFrame {
    /// Did the trap interrupt user mode (ring 3)?
    pub fn from_user(&self) -> bool {
        self.cs & 3 == 3
    }
}

/// Top and lowest usable address of the running thread's kernel stack. The entry stub
/// reads these (see the module comment); `task` updates them on every switch.
#[export_name = "hal_kstack_top"]
pub(crate) static KSTACK_TOP: AtomicU64 = AtomicU64::new(0);
#[export_name = "hal_kstack_limit"]
pub(crate) static KSTACK_LIMIT: AtomicU64 = AtomicU64::new(0);

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
    cmpq hal_kstack_limit(%rip), %rcx
    jb 3f                               /* no room: stack overflow, stay on IST */
    jmp 2f
1:  movq hal_kstack_top(%rip), %rax     /* from user: top of the kernel stack */
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
    iretq
"#,
    headroom = const STACK_HEADROOM,
    options(att_syntax)
);

#[repr(C)]
#[derive(Clone, Copy)]
struct IdtEntry {
    offset_low: u16,
    selector: u16,
    ist: u8,
    flags: u8,
    offset_mid: u16,
    offset_high: u32,
    _zero: u32,
}

static mut IDT: [IdtEntry; 256] = [IdtEntry {
    offset_low: 0,
    selector: 0,
    ist: 0,
    flags: 0,
    offset_mid: 0,
    offset_high: 0,
    _zero: 0,
}; 256];

/// An interrupt handler: runs on the interrupted thread's stack with interrupts off.
pub type Handler = fn(&mut TrapFrame);

static HANDLERS: [AtomicUsize; 256] = [const { AtomicUsize::new(0) }; 256];

/// Exception names, indexed by vector.
pub const EXCEPTION_NAMES: [(&str, &str); 32] = [
    ("Divide Error", "#DE"),
    ("Debug", "#DB"),
    ("Non-Maskable Interrupt", "NMI"),
    ("Breakpoint", "#BP"),
    ("Overflow", "#OF"),
    ("Bound Range Exceeded", "#BR"),
    ("Invalid Opcode", "#UD"),
    ("Device Not Available", "#NM"),
    ("Double Fault", "#DF"),
    ("Coprocessor Segment Overrun", "#MF"),
    ("Invalid TSS", "#TS"),
    ("Segment Not Present", "#NP"),
    ("Stack-Segment Fault", "#SS"),
    ("General Protection Fault", "#GP"),
    ("Page Fault", "#PF"),
    ("Reserved", "-"),
    ("x87 Floating-Point Exception", "#MF"),
    ("Alignment Check", "#AC"),
    ("Machine Check", "#MC"),
    ("SIMD Floating-Point Exception", "#XM"),
    ("Virtualization Exception", "#VE"),
    ("Control Protection Exception", "#CP"),
    ("Reserved", "-"),
    ("Reserved", "-"),
    ("Reserved", "-"),
    ("Reserved", "-"),
    ("Reserved", "-"),
    ("Reserved", "-"),
    ("Hypervisor Injection Exception", "#HV"),
    ("VMM Communication Exception", "#VC"),
    ("Security Exception", "#SX"),
    ("Reserved", "-"),
];

/// Build and load the IDT. Every vector gets an interrupt gate (interrupts off on entry)
/// on an IST stack; #PF, #DF and NMI/#MC have stacks of their own so that a fault in the
/// middle of another entry cannot overwrite the frame being copied.
pub fn init() {
    #[cfg(dinos_kernel)]
    {
        extern "C" {
            static hal_vector_table: u8;
        }
        let table = (&raw const hal_vector_table) as u64;
        // SAFETY: runs once at boot with interrupts off; the IDT is static and its
        // entries point at the stubs above, which exist for all 256 vectors.
        unsafe {
            let idt = &raw mut IDT;
            for v in 0..256usize {
                let addr = table + v as u64 * 16;
                let ist = match v {
                    14 => crate::cpu::IST_PAGE_FAULT,
                    8 => crate::cpu::IST_DOUBLE_FAULT,
                    2 | 18 => crate::cpu::IST_NMI,
                    _ => crate::cpu::IST_INTERRUPT,
                };
                // Breakpoint and overflow may be raised from user mode with int3/into.
                let dpl = if v == 3 || v == 4 { 3 } else { 0 };
                (*idt)[v] = IdtEntry {
                    offset_low: addr as u16,
                    selector: crate::cpu::KERNEL_CS,
                    ist,
                    flags: 0x8e | (dpl << 5), // present, interrupt gate
                    offset_mid: (addr >> 16) as u16,
                    offset_high: (addr >> 32) as u32,
                    _zero: 0,
                };
            }
            #[repr(C, packed)]
            struct Ptr {
                limit: u16,
                base: u64,
            }
            let ptr = Ptr {
                limit: (core::mem::size_of::<[IdtEntry; 256]>() - 1) as u16,
                base: idt as u64,
            };
            core::arch::asm!("lidt [{}]", in(reg) &ptr, options(readonly, nostack));
        }
        let (bottom, top) = crate::task::boot_stack();
        KSTACK_TOP.store(top, Ordering::SeqCst);
        KSTACK_LIMIT.store(bottom, Ordering::SeqCst);
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

#[cfg_attr(dinos_kernel, no_mangle)]
extern "C" fn hal_trap_dispatch(frame: &mut TrapFrame) {
    let vector = frame.vector as usize;
    if vector < 32 {
        let addr = if vector == 14 {
            crate::cpu::read_cr2()
        } else {
            0
        };
        if frame.from_user() && user_fault(frame, addr) {
            return_to_user(frame);
            crate::user::sanitise_user_frame(frame);
            return;
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

/// Describe a page-fault error code in words.
pub fn page_fault_cause(code: u64) -> (&'static str, &'static str, &'static str) {
    let access = if code & (1 << 4) != 0 {
        "instruction fetch"
    } else if code & 2 != 0 {
        "write"
    } else {
        "read"
    };
    let why = if code & 1 != 0 {
        "protection violation"
    } else {
        "page not present"
    };
    let mode = if code & 4 != 0 { "user" } else { "kernel" };
    (access, why, mode)
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
    let v = f.vector as usize;
    let (name, mnemonic) = EXCEPTION_NAMES[v];
    crate::kprintln!("\n!!! KERNEL EXCEPTION: {name} ({mnemonic}, vector {v})");
    crate::kprintln!("    error code: {:#x}", f.error_code);
    if v == 14 {
        let (access, why, mode) = page_fault_cause(f.error_code);
        crate::kprintln!("    faulting address: {addr:#018x} ({access}, {why}, {mode} mode)");
        let limit = KSTACK_LIMIT.load(Ordering::SeqCst);
        if addr < limit && addr >= limit.saturating_sub(crate::addr::PAGE_SIZE) {
            crate::kprintln!(
                "    => kernel stack overflow: the address is the guard page below the stack"
            );
        }
    }
    crate::kprint!("    at: ");
    crate::backtrace::print_symbol(f.rip);
    crate::kprintln!();
    crate::kprintln!(
        "    rax {:016x} rbx {:016x} rcx {:016x} rdx {:016x}",
        f.rax,
        f.rbx,
        f.rcx,
        f.rdx
    );
    crate::kprintln!(
        "    rsi {:016x} rdi {:016x} rbp {:016x} rsp {:016x}",
        f.rsi,
        f.rdi,
        f.rbp,
        f.rsp
    );
    crate::kprintln!(
        "    r8  {:016x} r9  {:016x} r10 {:016x} r11 {:016x}",
        f.r8,
        f.r9,
        f.r10,
        f.r11
    );
    crate::kprintln!(
        "    r12 {:016x} r13 {:016x} r14 {:016x} r15 {:016x}",
        f.r12,
        f.r13,
        f.r14,
        f.r15
    );
    crate::kprintln!(
        "    rip {:016x} cs {:x} rflags {:x} ss {:x} cr2 {:016x} cr3 {:016x}",
        f.rip,
        f.cs,
        f.rflags,
        f.ss,
        crate::cpu::read_cr2(),
        crate::cpu::read_cr3()
    );
    crate::backtrace::print_from(f.rip, f.rbp);
    run_fatal_report_hook();
    crate::power::exit_failure()
}
