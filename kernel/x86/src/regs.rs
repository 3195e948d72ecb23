//! Register numbers and bits: RFLAGS, CR0/CR4, the MSRs dinos programs.
//!
//! Only names for numbers the CPU manuals define; hal reads and writes the registers.

/// RFLAGS bits.
pub mod rflags {
    /// Trap flag: single-step.
    pub const TF: u64 = 1 << 8;
    /// Interrupt enable.
    pub const IF: u64 = 1 << 9;
    /// Direction flag: string instructions run backwards.
    pub const DF: u64 = 1 << 10;
    /// I/O privilege level (two bits).
    pub const IOPL: u64 = 3 << 12;
    /// Nested task: `iretq` with NT set raises #GP.
    pub const NT: u64 = 1 << 14;
    /// Alignment check.
    pub const AC: u64 = 1 << 18;
    /// Bit 1 always reads as one.
    pub const RESERVED_ONE: u64 = 1 << 1;
    /// The arithmetic flags: CF, PF, AF, ZF, SF, OF.
    pub const ARITHMETIC: u64 = 0x8d5;

    /// The flags cleared on every `syscall` entry (`IA32_FMASK`), so that kernel code
    /// never inherits them from user mode: TF (a single-step trap inside the kernel), IF
    /// (interrupts stay off until the entry stub is on the kernel stack), DF, IOPL, NT
    /// and AC (alignment checks in kernel code).
    pub const SYSCALL_CLEARED: u64 = TF | IF | DF | IOPL | NT | AC;
    /// The flags a user program may set for itself and get back unchanged through a
    /// kernel entry: the arithmetic flags, TF, DF, NT and AC (IF is always on, IOPL 0).
    pub const USER: u64 = ARITHMETIC | DF | TF | NT | AC;

    /// The flags to return to user mode with, from what the program had: its own user
    /// flags, interrupts on, IOPL 0.
    pub const fn for_user(flags: u64) -> u64 {
        (flags & USER) | IF | RESERVED_ONE
    }
}

/// CR0 bits.
pub mod cr0 {
    /// Monitor coprocessor: `wait` honours TS.
    pub const MP: u64 = 1 << 1;
    /// Emulation: x87/SSE instructions trap (must be clear for SSE).
    pub const EM: u64 = 1 << 2;
}

/// CR4 bits.
pub mod cr4 {
    /// The OS saves SSE state with `fxsave` (enables SSE).
    pub const OSFXSR: u64 = 1 << 9;
    /// The OS handles SIMD floating-point exceptions (#XM).
    pub const OSXMMEXCPT: u64 = 1 << 10;
}

/// Model-specific registers.
pub mod msr {
    /// Extended features; bit 0 (SCE) enables `syscall`.
    pub const EFER: u32 = 0xc000_0080;
    pub const EFER_SCE: u64 = 1;
    /// Segment selector bases for `syscall` (bits 32-47) and `sysret` (48-63).
    pub const STAR: u32 = 0xc000_0081;
    /// The `syscall` entry point.
    pub const LSTAR: u32 = 0xc000_0082;
    /// RFLAGS bits `syscall` clears.
    pub const FMASK: u32 = 0xc000_0084;
    /// The FS segment's base: a user thread's thread pointer (Linux `arch_prctl`).
    pub const FS_BASE: u32 = 0xc000_0100;
    /// The GS segment's base, and the value `swapgs` exchanges it with.
    pub const GS_BASE: u32 = 0xc000_0101;
    pub const KERNEL_GS_BASE: u32 = 0xc000_0102;
    /// EFER bits the boot code and the CPU trampoline set: long mode, no-execute.
    pub const EFER_LME: u64 = 1 << 8;
    pub const EFER_NXE: u64 = 1 << 11;

    /// The STAR value for kernel code selector `kernel_cs` and user selector base
    /// `user_base` (`sysret` adds 8 for SS and 16 for CS).
    pub const fn star(kernel_cs: u16, user_base: u16) -> u64 {
        (user_base as u64) << 48 | (kernel_cs as u64) << 32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_flags_keep_the_programs_own_and_force_the_rest() {
        assert_eq!(rflags::USER, 0xcd5 | rflags::TF | rflags::NT | rflags::AC);
        assert_eq!(rflags::for_user(0), 0x202);
        assert_eq!(rflags::for_user(rflags::IOPL), 0x202, "IOPL dropped");
        assert_eq!(rflags::for_user(rflags::DF | 1), 0x203 | rflags::DF);
        assert_eq!(rflags::SYSCALL_CLEARED & rflags::IF, rflags::IF);
    }

    #[test]
    fn star_places_the_selector_bases() {
        assert_eq!(msr::star(0x08, 0x10), (0x10u64 << 48) | (0x08u64 << 32));
    }
}
