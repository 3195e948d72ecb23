//! The ELF core file format: the bytes a debugger reads to see a dead process
//! (chapter 2's debugging section: "a core dump, a capture of the memory of the
//! process, stored in a file for later analysis").
//!
//! A core file is an ELF file of type `ET_CORE` with no sections, only program
//! headers: one `PT_NOTE` segment whose notes describe the process (registers in
//! Linux's x86_64 `elf_prstatus`, the `elf_prpsinfo` summary, the auxiliary vector,
//! the mapped files, the FPU state, the signal's `siginfo`), then one `PT_LOAD` per
//! memory region, its bytes page-aligned in the file. The layouts are Linux's, byte
//! for byte (`include/uapi/linux/elfcore.h`, `arch/x86/include/asm/user_64.h`), so
//! host `gdb PROGRAM core.PID` reads a dinos core as it reads a Linux one.
//!
//! This file is pure: it lays out and encodes. `coredump.rs` gathers the process's
//! state and writes the file through the VFS.

use alloc::vec::Vec;

/// Note types (`NT_*`).
pub const NT_PRSTATUS: u32 = 1;
pub const NT_PRFPREG: u32 = 2;
pub const NT_PRPSINFO: u32 = 3;
pub const NT_AUXV: u32 = 6;
pub const NT_SIGINFO: u32 = 0x5349_4749;
pub const NT_FILE: u32 = 0x4649_4c45;

/// Segment flags.
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
const PAGE: u64 = 4096;
const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const ET_CORE: u16 = 4;
const EM_X86_64: u16 = 62;

/// Size of `struct elf_prstatus` on x86_64, and of its register set (27 words).
pub const PRSTATUS_SIZE: usize = 336;
pub const NGREG: usize = 27;
/// Size of `struct elf_prpsinfo` on x86_64.
pub const PRPSINFO_SIZE: usize = 136;

/// One note: its type and descriptor (the owner is always "CORE").
pub struct Note {
    pub kind: u32,
    pub desc: Vec<u8>,
}

/// One memory region: where it is, how big, how many of its bytes the file holds
/// (`filesz`: all of it, or 0 for a region left out), and its rights (`PF_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    pub filesz: u64,
    pub flags: u32,
}

/// Where everything goes: the head of the file (ELF header, program headers, notes)
/// and the file offset of each segment's bytes.
pub struct Layout {
    pub head: Vec<u8>,
    pub offsets: Vec<u64>,
    /// The file's full size.
    pub total: u64,
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn pad4(b: &mut Vec<u8>) {
    while !b.len().is_multiple_of(4) {
        b.push(0);
    }
}

fn encode_notes(notes: &[Note]) -> Vec<u8> {
    let mut b = Vec::new();
    for n in notes {
        put32(&mut b, 5); // "CORE\0"
        put32(&mut b, n.desc.len() as u32);
        put32(&mut b, n.kind);
        b.extend_from_slice(b"CORE\0");
        pad4(&mut b);
        b.extend_from_slice(&n.desc);
        pad4(&mut b);
    }
    b
}

/// Lay out a core file of `notes` and `segs`.
pub fn layout(notes: &[Note], segs: &[Segment]) -> Layout {
    let notes = encode_notes(notes);
    let phnum = 1 + segs.len();
    let notes_at = (EHDR_SIZE + phnum * PHDR_SIZE) as u64;
    let mut at = (notes_at + notes.len() as u64).next_multiple_of(PAGE);
    let mut offsets = Vec::with_capacity(segs.len());
    for s in segs {
        offsets.push(at);
        at += s.filesz.next_multiple_of(PAGE);
    }
    let mut h = Vec::with_capacity(notes_at as usize + notes.len());
    // The ELF header: 64-bit, little-endian, version 1, System V ABI.
    h.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    h.extend_from_slice(&[0; 8]);
    put16(&mut h, ET_CORE);
    put16(&mut h, EM_X86_64);
    put32(&mut h, 1);
    put64(&mut h, 0); // entry
    put64(&mut h, EHDR_SIZE as u64); // phoff
    put64(&mut h, 0); // shoff
    put32(&mut h, 0); // flags
    put16(&mut h, EHDR_SIZE as u16);
    put16(&mut h, PHDR_SIZE as u16);
    put16(&mut h, phnum as u16);
    put16(&mut h, 64); // shentsize
    put16(&mut h, 0); // shnum
    put16(&mut h, 0); // shstrndx
                      // PT_NOTE.
    put32(&mut h, PT_NOTE);
    put32(&mut h, 0);
    put64(&mut h, notes_at);
    put64(&mut h, 0);
    put64(&mut h, 0);
    put64(&mut h, notes.len() as u64);
    put64(&mut h, 0);
    put64(&mut h, 4);
    for (s, off) in segs.iter().zip(&offsets) {
        put32(&mut h, PT_LOAD);
        put32(&mut h, s.flags);
        put64(&mut h, *off);
        put64(&mut h, s.vaddr);
        put64(&mut h, 0); // paddr
        put64(&mut h, s.filesz);
        put64(&mut h, s.memsz);
        put64(&mut h, PAGE);
    }
    h.extend_from_slice(&notes);
    let total = offsets
        .last()
        .zip(segs.last())
        .map_or(h.len() as u64, |(o, s)| o + s.filesz);
    Layout {
        head: h,
        offsets,
        total,
    }
}

/// What `elf_prstatus` says about the process besides its registers.
pub struct Status {
    pub signal: u32,
    pub pending: u64,
    pub blocked: u64,
    pub pid: u32,
    pub ppid: u32,
    pub pgrp: u32,
    pub sid: u32,
    /// User, system, children's user, children's system time, in nanoseconds.
    pub times_ns: [u64; 4],
}

/// `struct elf_prstatus` (x86_64): `regs` in `user_regs_struct` order (r15, r14,
/// r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs,
/// eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs).
pub fn prstatus(st: &Status, regs: &[u64; NGREG]) -> Vec<u8> {
    let mut b = Vec::with_capacity(PRSTATUS_SIZE);
    put32(&mut b, st.signal); // pr_info.si_signo
    put32(&mut b, 0); // si_code
    put32(&mut b, 0); // si_errno
    put16(&mut b, st.signal as u16); // pr_cursig
    put16(&mut b, 0);
    put64(&mut b, st.pending);
    put64(&mut b, st.blocked);
    for id in [st.pid, st.ppid, st.pgrp, st.sid] {
        put32(&mut b, id);
    }
    for ns in st.times_ns {
        put64(&mut b, ns / 1_000_000_000); // timeval: seconds, microseconds
        put64(&mut b, ns % 1_000_000_000 / 1000);
    }
    for r in regs {
        put64(&mut b, *r);
    }
    put32(&mut b, 1); // pr_fpvalid: NT_PRFPREG follows
    put32(&mut b, 0);
    debug_assert_eq!(b.len(), PRSTATUS_SIZE);
    b
}

/// `struct elf_prpsinfo` (x86_64).
pub fn prpsinfo(st: &Status, uid: u32, gid: u32, name: &str, args: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(PRPSINFO_SIZE);
    b.extend_from_slice(&[0, b'R', 0, 0]); // state, sname, zomb, nice
    put32(&mut b, 0);
    put64(&mut b, 0); // pr_flag
    put32(&mut b, uid);
    put32(&mut b, gid);
    for id in [st.pid, st.ppid, st.pgrp, st.sid] {
        put32(&mut b, id);
    }
    let mut fixed = |s: &str, n: usize| {
        let mut f = alloc::vec![0u8; n];
        let len = s.len().min(n - 1);
        f[..len].copy_from_slice(&s.as_bytes()[..len]);
        b.extend_from_slice(&f);
    };
    fixed(name, 16);
    fixed(args, 80);
    debug_assert_eq!(b.len(), PRPSINFO_SIZE);
    b
}

/// The auxiliary vector as the program found it (pairs, ending with `AT_NULL`).
pub fn auxv(pairs: &[(u64, u64)]) -> Vec<u8> {
    let mut b = Vec::with_capacity(pairs.len() * 16);
    for &(k, v) in pairs {
        put64(&mut b, k);
        put64(&mut b, v);
    }
    b
}

/// `NT_FILE`: the file-backed regions (start, end, offset in pages) and their names.
pub fn files(maps: &[(u64, u64, u64, &str)]) -> Vec<u8> {
    let mut b = Vec::new();
    put64(&mut b, maps.len() as u64);
    put64(&mut b, PAGE);
    for &(start, end, page_off, _) in maps {
        put64(&mut b, start);
        put64(&mut b, end);
        put64(&mut b, page_off);
    }
    for &(.., name) in maps {
        b.extend_from_slice(name.as_bytes());
        b.push(0);
    }
    b
}

/// `siginfo_t` (128 bytes): the signal, its code, and the faulting address (for
/// SIGSEGV, SIGBUS, SIGILL, SIGFPE) or the sender (for a sent signal).
pub fn siginfo(signal: u32, code: i32, addr_or_sender: u64) -> Vec<u8> {
    let mut b = alloc::vec![0u8; 128];
    b[0..4].copy_from_slice(&signal.to_le_bytes());
    b[8..12].copy_from_slice(&code.to_le_bytes());
    b[16..24].copy_from_slice(&addr_or_sender.to_le_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
    }
    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }
    fn u64_at(b: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
    }

    fn status() -> Status {
        Status {
            signal: 11,
            pending: 0,
            blocked: 0,
            pid: 7,
            ppid: 5,
            pgrp: 7,
            sid: 5,
            times_ns: [1_500_000_000, 0, 0, 0],
        }
    }

    #[test]
    fn header_says_core_for_x86_64_with_a_note_and_the_loads() {
        let notes = [Note {
            kind: NT_PRSTATUS,
            desc: prstatus(&status(), &[0; NGREG]),
        }];
        let segs = [
            Segment {
                vaddr: 0x40_0000,
                memsz: 0x3000,
                filesz: 0x3000,
                flags: PF_R | PF_W,
            },
            Segment {
                vaddr: 0x7fff_0000_0000,
                memsz: 0x1000,
                filesz: 0,
                flags: PF_R,
            },
        ];
        let l = layout(&notes, &segs);
        let h = &l.head;
        assert_eq!(&h[..4], b"\x7fELF");
        assert_eq!(u16_at(h, 16), ET_CORE);
        assert_eq!(u16_at(h, 18), EM_X86_64);
        assert_eq!(u16_at(h, 56), 3); // phnum
                                      // The note segment points at the notes, which end the head.
        assert_eq!(u32_at(h, 64), PT_NOTE);
        let (off, size) = (u64_at(h, 64 + 8), u64_at(h, 64 + 32));
        assert_eq!(off + size, h.len() as u64);
        // The note: "CORE", NT_PRSTATUS, 336 bytes.
        let n = off as usize;
        assert_eq!(
            (u32_at(h, n), u32_at(h, n + 4), u32_at(h, n + 8)),
            (5, 336, 1)
        );
        assert_eq!(&h[n + 12..n + 17], b"CORE\0");
        // Loads are page-aligned in the file, one after the other.
        assert_eq!(l.offsets[0] % PAGE, 0);
        assert!(l.offsets[0] >= h.len() as u64);
        assert_eq!(l.offsets[1], l.offsets[0] + 0x3000);
        assert_eq!(l.total, l.offsets[1]);
        let p1 = 64 + 56;
        assert_eq!(u32_at(h, p1), PT_LOAD);
        assert_eq!(u64_at(h, p1 + 16), 0x40_0000);
        assert_eq!(u64_at(h, p1 + 32), 0x3000);
    }

    #[test]
    fn prstatus_places_pid_times_and_registers_as_linux_does() {
        let mut regs = [0u64; NGREG];
        regs[16] = 0x40_1234; // rip
        let b = prstatus(&status(), &regs);
        assert_eq!(b.len(), PRSTATUS_SIZE);
        assert_eq!(u16_at(&b, 12), 11); // pr_cursig
        assert_eq!(u32_at(&b, 32), 7); // pr_pid
        assert_eq!(u64_at(&b, 48), 1); // pr_utime.tv_sec
        assert_eq!(u64_at(&b, 56), 500_000); // pr_utime.tv_usec
        assert_eq!(u64_at(&b, 112 + 16 * 8), 0x40_1234); // pr_reg.rip
        assert_eq!(u32_at(&b, 328), 1); // pr_fpvalid
    }

    #[test]
    fn prpsinfo_and_nt_file_have_their_linux_sizes() {
        let b = prpsinfo(&status(), 1000, 1000, "crash", "crash null");
        assert_eq!(b.len(), PRPSINFO_SIZE);
        assert_eq!(&b[40..45], b"crash");
        assert_eq!(&b[56..66], b"crash null");
        let f = files(&[(0x40_0000, 0x40_2000, 0, "/bin/crash")]);
        assert_eq!(u64_at(&f, 0), 1);
        assert_eq!(&f[16 + 24..], b"/bin/crash\0");
    }
}
