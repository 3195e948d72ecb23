//! Why a signal was sent (chapter 2, 3-2): the sender, or the faulting address, kept
//! with each pending signal for the handlers that ask for it (Linux's `siginfo_t`,
//! built by `linuxframe.rs`). Values are Linux's (include/uapi/asm-generic/siginfo.h).

/// Why a signal was sent: `si_code`, the sender (`si_pid`, `si_uid`) or, for a
/// fault, the address (`si_addr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    pub code: i32,
    pub pid: u32,
    pub uid: u32,
    pub addr: Option<u64>,
}

/// `si_code` values (Linux's, include/uapi/asm-generic/siginfo.h).
pub const SI_USER: i32 = 0;
pub const SI_TKILL: i32 = -6;
pub const SI_KERNEL: i32 = 0x80;
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const FPE_INTDIV: i32 = 1;
pub const ILL_ILLOPN: i32 = 2;
pub const BUS_ADRERR: i32 = 2;

impl SigInfo {
    /// Sent by the kernel itself (a child's end, a broken pipe, the terminal).
    pub const KERNEL: SigInfo = SigInfo {
        code: SI_KERNEL,
        pid: 0,
        uid: 0,
        addr: None,
    };
}
