//! A tiny ELF64 writer for tests: enough header fields to build valid executables and
//! then break exactly one rule at a time.
#![allow(dead_code)]

pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PT_TLS: u32 = 7;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const R: u32 = 4;
pub const W: u32 = 2;
pub const X: u32 = 1;

#[derive(Clone, Copy, Debug)]
pub struct Ph {
    pub kind: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

impl Ph {
    pub fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Self {
        Self {
            kind: PT_LOAD,
            flags,
            offset,
            vaddr,
            filesz,
            memsz,
            align: 0x1000,
        }
    }

    pub fn other(kind: u32, flags: u32, offset: u64, vaddr: u64, size: u64, align: u64) -> Self {
        Self {
            kind,
            flags,
            offset,
            vaddr,
            filesz: size,
            memsz: size,
            align,
        }
    }
}

/// Field values for the file header plus the program headers and extra file bytes.
#[derive(Clone, Debug)]
pub struct Builder {
    pub ident: [u8; 16],
    pub kind: u16,
    pub machine: u16,
    pub version: u32,
    pub entry: u64,
    pub phoff: u64,
    pub ehsize: u16,
    pub phentsize: u16,
    /// Overrides the program header count written to the header.
    pub phnum: Option<u16>,
    pub phdrs: Vec<Ph>,
    /// Total file length (at least the headers); the rest is zero.
    pub file_len: usize,
    /// Bytes written at a file offset after the headers.
    pub blobs: Vec<(usize, Vec<u8>)>,
}

impl Builder {
    fn new(kind: u16, entry: u64, phdrs: Vec<Ph>, file_len: usize) -> Self {
        let mut ident = [0u8; 16];
        ident[..4].copy_from_slice(b"\x7fELF");
        ident[4] = 2; // ELFCLASS64
        ident[5] = 1; // little-endian
        ident[6] = 1; // EV_CURRENT
        Self {
            ident,
            kind,
            machine: 62,
            version: 1,
            entry,
            phoff: 64,
            ehsize: 64,
            phentsize: 56,
            phnum: None,
            phdrs,
            file_len,
            blobs: Vec::new(),
        }
    }

    /// A static executable at 0x400000: text (R+X), data+bss (R+W), a non-executable stack.
    pub fn static_exe() -> Self {
        Self::new(
            2,
            0x40_0100,
            vec![
                Ph::load(R | X, 0, 0x40_0000, 0x1000, 0x1000),
                Ph::load(R | W, 0x1000, 0x40_1000, 0x100, 0x3000),
                Ph::other(PT_GNU_STACK, R | W, 0, 0, 0, 16),
            ],
            0x1100,
        )
    }

    /// A position-independent executable with an interpreter, PT_PHDR and TLS.
    pub fn pie() -> Self {
        let mut b = Self::new(
            3,
            0x1200,
            vec![
                Ph::other(PT_PHDR, R, 64, 64, 6 * 56, 8),
                Ph::other(PT_INTERP, R, 0x200, 0x200, 11, 1),
                Ph::load(R, 0, 0, 0x1000, 0x1000),
                Ph::load(R | X, 0x1000, 0x1000, 0x800, 0x800),
                Ph::load(R | W, 0x1800, 0x2800, 0x100, 0x200),
                Ph::other(PT_TLS, R, 0x1800, 0x2800, 0x10, 16),
            ],
            0x1900,
        );
        b.phdrs[5].memsz = 0x40;
        b.blobs.push((0x200, b"/lib/ld.so\0".to_vec()));
        b
    }

    pub fn build(&self) -> Vec<u8> {
        // Headers are written even past `file_len` and then cut off, unless `phoff` is
        // absurd, in which case the table is not written at all.
        let table_end = (self.phoff as usize).saturating_add(self.phdrs.len() * 56);
        let write_table = table_end < 1 << 24;
        let mut f = vec![
            0u8;
            self.file_len
                .max(64)
                .max(if write_table { table_end } else { 0 })
        ];
        f[..16].copy_from_slice(&self.ident);
        f[16..18].copy_from_slice(&self.kind.to_le_bytes());
        f[18..20].copy_from_slice(&self.machine.to_le_bytes());
        f[20..24].copy_from_slice(&self.version.to_le_bytes());
        f[24..32].copy_from_slice(&self.entry.to_le_bytes());
        f[32..40].copy_from_slice(&self.phoff.to_le_bytes());
        f[52..54].copy_from_slice(&self.ehsize.to_le_bytes());
        f[54..56].copy_from_slice(&self.phentsize.to_le_bytes());
        let phnum = self.phnum.unwrap_or(self.phdrs.len() as u16);
        f[56..58].copy_from_slice(&phnum.to_le_bytes());
        for (i, ph) in self.phdrs.iter().enumerate().filter(|_| write_table) {
            let at = self.phoff as usize + i * 56;
            let p = &mut f[at..at + 56];
            p[0..4].copy_from_slice(&ph.kind.to_le_bytes());
            p[4..8].copy_from_slice(&ph.flags.to_le_bytes());
            p[8..16].copy_from_slice(&ph.offset.to_le_bytes());
            p[16..24].copy_from_slice(&ph.vaddr.to_le_bytes());
            p[24..32].copy_from_slice(&ph.vaddr.to_le_bytes());
            p[32..40].copy_from_slice(&ph.filesz.to_le_bytes());
            p[40..48].copy_from_slice(&ph.memsz.to_le_bytes());
            p[48..56].copy_from_slice(&ph.align.to_le_bytes());
        }
        for (at, bytes) in &self.blobs {
            f[*at..*at + bytes.len()].copy_from_slice(bytes);
        }
        f.truncate(self.file_len.max(64));
        f
    }
}
