//! What a trap leaves behind: the saved registers, the exception's name, the page-fault
//! error code in words, and the text of a kernel fault report.
//!
//! hal's entry stubs build the [`TrapFrame`] (their push order is its field order) and
//! hal decides what to do with an exception; this module only interprets the numbers, so
//! the report's wording is tested on the host.

use crate::symbols::{Symbol, Symbols};
use core::fmt;

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

/// The general-protection fault vector (also what a bad return to user mode becomes).
pub const GENERAL_PROTECTION: u64 = 13;
/// The page-fault vector: the faulting address is in CR2.
pub const PAGE_FAULT: u64 = 14;
/// The non-maskable interrupt's vector.
pub const NMI: u64 = 2;

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

/// Describe a page-fault error code in words: (access, cause, mode).
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

/// The head of a kernel exception report: the exception, the fault address explained,
/// where it happened and every register. (The backtrace follows it.)
pub struct ExceptionReport<'a> {
    pub frame: &'a TrapFrame,
    /// The faulting address (CR2 at entry) for a page fault, else 0.
    pub fault_addr: u64,
    /// The lowest usable address of the running thread's kernel stack: a fault in the
    /// page below it is a stack overflow.
    pub stack_limit: u64,
    /// CR2 and CR3 as the reporter reads them.
    pub cr2: u64,
    pub cr3: u64,
    pub symbols: Symbols<'a>,
}

impl fmt::Display for ExceptionReport<'_> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let f = self.frame;
        let v = f.vector as usize;
        let (name, mnemonic) = EXCEPTION_NAMES[v % 32];
        writeln!(
            out,
            "\n!!! KERNEL EXCEPTION: {name} ({mnemonic}, vector {v})"
        )?;
        writeln!(out, "    error code: {:#x}", f.error_code)?;
        if f.vector == PAGE_FAULT {
            let (addr, limit) = (self.fault_addr, self.stack_limit);
            let (access, why, mode) = page_fault_cause(f.error_code);
            writeln!(
                out,
                "    faulting address: {addr:#018x} ({access}, {why}, {mode} mode)"
            )?;
            if addr < limit && addr >= limit.saturating_sub(crate::addr::PAGE_SIZE) {
                writeln!(
                    out,
                    "    => kernel stack overflow: the address is the guard page below the stack"
                )?;
            }
        }
        writeln!(out, "    at: {}", Symbol(f.rip, self.symbols))?;
        let rows = [
            [
                ("rax", f.rax),
                ("rbx", f.rbx),
                ("rcx", f.rcx),
                ("rdx", f.rdx),
            ],
            [
                ("rsi", f.rsi),
                ("rdi", f.rdi),
                ("rbp", f.rbp),
                ("rsp", f.rsp),
            ],
            [("r8 ", f.r8), ("r9 ", f.r9), ("r10", f.r10), ("r11", f.r11)],
            [
                ("r12", f.r12),
                ("r13", f.r13),
                ("r14", f.r14),
                ("r15", f.r15),
            ],
        ];
        for row in rows {
            let [a, b, c, d] = row.map(|(n, v)| Reg(n, v));
            writeln!(out, "    {a} {b} {c} {d}")?;
        }
        writeln!(
            out,
            "    rip {:016x} cs {:x} rflags {:x} ss {:x} cr2 {:016x} cr3 {:016x}",
            f.rip, f.cs, f.rflags, f.ss, self.cr2, self.cr3
        )
    }
}

/// One register of the report: its name and value in 16 hex digits.
struct Reg(&'static str, u64);

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:016x}", self.0, self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn the_frame_is_the_22_words_the_stubs_push() {
        assert_eq!(core::mem::size_of::<TrapFrame>(), 22 * 8);
        assert_eq!(core::mem::offset_of!(TrapFrame, vector), 15 * 8);
        assert_eq!(core::mem::offset_of!(TrapFrame, rip), 17 * 8);
    }

    #[test]
    fn page_fault_codes_in_words() {
        assert_eq!(page_fault_cause(0), ("read", "page not present", "kernel"));
        assert_eq!(
            page_fault_cause(7),
            ("write", "protection violation", "user")
        );
        assert_eq!(
            page_fault_cause(0x11),
            ("instruction fetch", "protection violation", "kernel")
        );
    }

    #[test]
    fn report_names_the_exception_and_the_guard_page() {
        let frame = TrapFrame {
            vector: 14,
            error_code: 2,
            rip: 0x1234,
            rax: 0xab,
            r8: 1,
            ..TrapFrame::default()
        };
        let report = ExceptionReport {
            frame: &frame,
            fault_addr: 0x7000,
            stack_limit: 0x8000,
            cr2: 0x7000,
            cr3: 0x1000,
            symbols: Symbols::new(&[]),
        };
        let text = format!("{report}");
        let lines: alloc::vec::Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "");
        assert_eq!(
            lines[1],
            "!!! KERNEL EXCEPTION: Page Fault (#PF, vector 14)"
        );
        assert_eq!(lines[2], "    error code: 0x2");
        assert_eq!(
            lines[3],
            "    faulting address: 0x0000000000007000 (write, page not present, kernel mode)"
        );
        assert!(lines[4].contains("kernel stack overflow"));
        assert_eq!(lines[5], "    at: 0x0000000000001234 ?");
        assert_eq!(
            lines[6],
            "    rax 00000000000000ab rbx 0000000000000000 rcx 0000000000000000 rdx 0000000000000000"
        );
        assert!(lines[8].starts_with("    r8  0000000000000001 r9  "));
        assert_eq!(
            lines[10],
            "    rip 0000000000001234 cs 0 rflags 0 ss 0 cr2 0000000000007000 cr3 0000000000001000"
        );
        assert_eq!(lines.len(), 11);
    }

    #[test]
    fn a_fault_far_from_the_stack_is_not_an_overflow() {
        let frame = TrapFrame {
            vector: 14,
            ..TrapFrame::default()
        };
        let report = ExceptionReport {
            frame: &frame,
            fault_addr: 0x1_0000,
            stack_limit: 0x8000,
            cr2: 0,
            cr3: 0,
            symbols: Symbols::new(&[]),
        };
        assert!(!format!("{report}").contains("overflow"));
    }
}
