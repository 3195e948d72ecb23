//! Raw ELF64 records: the file header and the program header table, decoded from bytes.
//!
//! Chapter 2 section 5 (linkers and loaders): a linker writes an executable as a fixed
//! header that points at a table of *program headers*, each telling the loader "put
//! these file bytes at this address with these permissions". This module only turns
//! those fixed-layout little-endian records into Rust structs; deciding whether they
//! make sense is `exec`'s job.
//!
//! Design decision: every read goes through [`Reader`], which takes an offset and a
//! length and returns `None` rather than indexing past the end, so a malformed file can
//! make parsing fail but can never make it panic. Nothing is transmuted or cast from
//! the byte buffer; fields are assembled with `u64::from_le_bytes`, which also means
//! the input needs no particular alignment.

/// `\x7fELF`, the first four bytes of every ELF file.
pub const MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];
/// `e_ident[EI_CLASS]` for 64-bit objects.
pub const ELFCLASS64: u8 = 2;
/// `e_ident[EI_DATA]` for little-endian objects.
pub const ELFDATA2LSB: u8 = 1;
/// The only ELF version there is (`EV_CURRENT`).
pub const EV_CURRENT: u8 = 1;
/// `e_type`: a fixed-address executable.
pub const ET_EXEC: u16 = 2;
/// `e_type`: a shared object, which is also how position-independent executables come.
pub const ET_DYN: u16 = 3;
/// `e_machine`: AMD x86-64.
pub const EM_X86_64: u16 = 62;

/// Size of the ELF64 file header.
pub const EHDR_SIZE: usize = 64;
/// Size of one ELF64 program header.
pub const PHDR_SIZE: usize = 56;

/// `p_type`: a segment to be mapped into memory.
pub const PT_LOAD: u32 = 1;
/// `p_type`: dynamic linking information.
pub const PT_DYNAMIC: u32 = 2;
/// `p_type`: path of the program interpreter (the dynamic linker).
pub const PT_INTERP: u32 = 3;
/// `p_type`: the program header table itself, as mapped in memory.
pub const PT_PHDR: u32 = 6;
/// `p_type`: notes (vendor information: a build id, an ABI tag).
pub const PT_NOTE: u32 = 4;
/// `p_type`: the thread-local storage template.
pub const PT_TLS: u32 = 7;
/// `p_type`: GNU extension giving the stack's permissions (and sometimes its size).
pub const PT_GNU_STACK: u32 = 0x6474_e551;

/// `p_flags`: executable.
pub const PF_X: u32 = 1;
/// `p_flags`: writable.
pub const PF_W: u32 = 2;
/// `p_flags`: readable.
pub const PF_R: u32 = 4;

/// Bounds-checked little-endian reads from a byte slice.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Wraps `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The `len` bytes at `offset`, or `None` if any of them lies past the end.
    pub fn slice(&self, offset: u64, len: u64) -> Option<&'a [u8]> {
        let start = usize::try_from(offset).ok()?;
        let len = usize::try_from(len).ok()?;
        let end = start.checked_add(len)?;
        self.bytes.get(start..end)
    }

    fn array<const N: usize>(&self, offset: usize) -> Option<[u8; N]> {
        let end = offset.checked_add(N)?;
        self.bytes.get(offset..end)?.try_into().ok()
    }

    /// The byte at `offset`.
    pub fn u8(&self, offset: usize) -> Option<u8> {
        self.bytes.get(offset).copied()
    }

    /// The little-endian `u16` at `offset`.
    pub fn u16(&self, offset: usize) -> Option<u16> {
        self.array(offset).map(u16::from_le_bytes)
    }

    /// The little-endian `u32` at `offset`.
    pub fn u32(&self, offset: usize) -> Option<u32> {
        self.array(offset).map(u32::from_le_bytes)
    }

    /// The little-endian `u64` at `offset`.
    pub fn u64(&self, offset: usize) -> Option<u64> {
        self.array(offset).map(u64::from_le_bytes)
    }
}

/// The fields of the ELF64 file header (`Elf64_Ehdr`) that a loader needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileHeader {
    /// `e_ident[0..4]`.
    pub magic: [u8; 4],
    /// `e_ident[EI_CLASS]`.
    pub class: u8,
    /// `e_ident[EI_DATA]`.
    pub data: u8,
    /// `e_ident[EI_VERSION]`.
    pub ident_version: u8,
    /// `e_ident[EI_OSABI]`: 0 System V, 3 GNU/Linux, others for other systems.
    pub os_abi: u8,
    /// `e_type`.
    pub kind: u16,
    /// `e_machine`.
    pub machine: u16,
    /// `e_version`.
    pub version: u32,
    /// `e_entry`.
    pub entry: u64,
    /// `e_phoff`.
    pub phoff: u64,
    /// `e_ehsize`.
    pub ehsize: u16,
    /// `e_phentsize`.
    pub phentsize: u16,
    /// `e_phnum`.
    pub phnum: u16,
}

impl FileHeader {
    /// Decodes the header at the start of `r`, or `None` if the file is shorter than one.
    pub fn read(r: Reader<'_>) -> Option<Self> {
        // Reading the last field first proves the whole 64-byte header is present.
        r.u16(62)?;
        Some(Self {
            magic: r.array(0)?,
            class: r.u8(4)?,
            data: r.u8(5)?,
            ident_version: r.u8(6)?,
            os_abi: r.u8(7)?,
            kind: r.u16(16)?,
            machine: r.u16(18)?,
            version: r.u32(20)?,
            entry: r.u64(24)?,
            phoff: r.u64(32)?,
            ehsize: r.u16(52)?,
            phentsize: r.u16(54)?,
            phnum: r.u16(56)?,
        })
    }
}

/// One ELF64 program header (`Elf64_Phdr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramHeader {
    /// `p_type`.
    pub kind: u32,
    /// `p_flags`.
    pub flags: u32,
    /// `p_offset`.
    pub offset: u64,
    /// `p_vaddr`.
    pub vaddr: u64,
    /// `p_filesz`.
    pub filesz: u64,
    /// `p_memsz`.
    pub memsz: u64,
    /// `p_align`.
    pub align: u64,
}

impl ProgramHeader {
    /// Decodes the program header that starts at byte `at` of `r`.
    pub fn read(r: Reader<'_>, at: usize) -> Option<Self> {
        let field = |off: usize| at.checked_add(off);
        Some(Self {
            kind: r.u32(field(0)?)?,
            flags: r.u32(field(4)?)?,
            offset: r.u64(field(8)?)?,
            vaddr: r.u64(field(16)?)?,
            // p_paddr (offset 24) is meaningless for user programs and is ignored.
            filesz: r.u64(field(32)?)?,
            memsz: r.u64(field(40)?)?,
            align: r.u64(field(48)?)?,
        })
    }
}
