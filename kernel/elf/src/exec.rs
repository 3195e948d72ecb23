//! Checking an executable before `exec` maps it: from bytes to an [`ExecImage`].
//!
//! Chapter 2 section 5 (linkers and loaders): the linker has already laid the program
//! out as segments; the loader's job is to copy each `PT_LOAD` segment to its address,
//! zero the rest of its memory size (the `.bss`), and jump to the entry point. Before
//! it touches an address space, the kernel calls [`parse_executable`], which reads the
//! headers and enforces every rule the loader relies on, so the mapping code can be
//! short and trusting.
//!
//! Design decision: validation is complete and up front. A returned [`ExecImage`]
//! promises that every segment's file range lies inside the file, that `filesz <=
//! memsz`, that loadable segments do not overlap and stay in the lower (user) half
//! below [`USER_END`], that offsets and addresses agree modulo [`PAGE_SIZE`], and that
//! the entry point is in an executable segment. Addresses of a position-independent
//! (`ET_DYN`) image are offsets from a load bias that the loader chooses; the same
//! checks apply to them, so `bias + span` stays in user space for any bias below
//! `USER_END - span`.

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::ElfError;
use crate::raw::{self, FileHeader, ProgramHeader, Reader};

/// The page size the loader maps with.
pub const PAGE_SIZE: u64 = 4096;
/// The end of the user space a program may be loaded into: one page below the start
/// of the non-canonical hole (0x8000_0000_0000). That last page stays unmapped, as on
/// Linux: an instruction ending at the hole would make the kernel return to a
/// non-canonical address.
pub const USER_END: u64 = 0x0000_7fff_ffff_f000;

/// Ceilings that keep a hostile file from making the kernel do absurd amounts of work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most program headers accepted (real programs have about a dozen).
    pub max_segments: usize,
    /// Most memory all loadable segments together may ask for, in bytes.
    pub max_total_memsz: u64,
    /// Lowest address a fixed-address (`ET_EXEC`) segment may use: the null guard that
    /// keeps page 0 unmapped so null pointer dereferences fault.
    pub min_vaddr: u64,
    /// Longest `PT_INTERP` path accepted, without its NUL.
    pub max_interp_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_segments: 128,
            max_total_memsz: 1 << 30,
            min_vaddr: PAGE_SIZE,
            max_interp_len: 255,
        }
    }
}

/// How the image is placed in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    /// `ET_EXEC`: addresses are absolute.
    Fixed,
    /// `ET_DYN`: a position-independent executable (or the dynamic linker itself);
    /// addresses are offsets from a load bias the loader picks.
    PositionIndependent,
}

/// A segment's access rights (`p_flags`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentFlags {
    /// `PF_R`.
    pub read: bool,
    /// `PF_W`.
    pub write: bool,
    /// `PF_X`.
    pub execute: bool,
}

impl SegmentFlags {
    fn from_bits(bits: u32) -> Self {
        Self {
            read: bits & raw::PF_R != 0,
            write: bits & raw::PF_W != 0,
            execute: bits & raw::PF_X != 0,
        }
    }
}

/// One loadable segment: copy `filesz` bytes from `offset` to `vaddr`, then zero up to
/// `memsz`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Index of this segment's program header, for messages.
    pub index: usize,
    /// First virtual address (relative to the load bias for `ET_DYN`).
    pub vaddr: u64,
    /// Bytes of memory, at least `filesz`; the tail past `filesz` is zero-filled.
    pub memsz: u64,
    /// Bytes taken from the file.
    pub filesz: u64,
    /// Where in the file those bytes start.
    pub offset: u64,
    /// Access rights.
    pub flags: SegmentFlags,
    /// Alignment (`p_align`; a power of two, 0 and 1 meaning none).
    pub align: u64,
}

impl Segment {
    /// One past the last byte of memory (cannot overflow: checked by the parser).
    pub fn end(&self) -> u64 {
        self.vaddr + self.memsz
    }

    /// The page-aligned address range the segment touches, `[start, end)`.
    pub fn page_range(&self) -> (u64, u64) {
        (page_down(self.vaddr), page_up(self.end()))
    }
}

/// The thread-local storage template (`PT_TLS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsTemplate {
    /// Address of the initialised part (`.tdata`) in the loaded image.
    pub vaddr: u64,
    /// File offset of the initialised part.
    pub offset: u64,
    /// Bytes of initialised data.
    pub filesz: u64,
    /// Bytes of the whole block (`.tdata` + `.tbss`).
    pub memsz: u64,
    /// Required alignment of each thread's block.
    pub align: u64,
}

/// What `PT_GNU_STACK` asks of the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackRequest {
    /// Requested access rights; `execute` asks for an executable stack.
    pub flags: SegmentFlags,
    /// Requested size in bytes (`p_memsz`), 0 meaning "the default".
    pub size: u64,
}

/// Where the program header table is, for the auxiliary vector (`AT_PHDR`,
/// `AT_PHENT`, `AT_PHNUM`) that a dynamic linker or libc start code reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhdrTable {
    /// File offset of the table.
    pub offset: u64,
    /// Number of entries.
    pub count: usize,
    /// Size of one entry (56).
    pub entry_size: usize,
    /// Its address once loaded: from `PT_PHDR`, else from the loadable segment whose
    /// file bytes contain it; `None` if it is not loaded at all.
    pub vaddr: Option<u64>,
}

/// A checked executable, ready for the loader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecImage {
    /// Fixed or position-independent.
    pub kind: ImageKind,
    /// Entry point (relative to the load bias for `ET_DYN`).
    pub entry: u64,
    /// Loadable segments of non-zero size, sorted by address, not overlapping.
    pub segments: Vec<Segment>,
    /// The program interpreter (`PT_INTERP`), e.g. `/lib/ld.so`, if dynamically linked.
    pub interp: Option<String>,
    /// The thread-local storage template, if any.
    pub tls: Option<TlsTemplate>,
    /// The `PT_GNU_STACK` request, if present.
    pub stack: Option<StackRequest>,
    /// The program header table, for the auxiliary vector.
    pub phdrs: PhdrTable,
    /// The system-call ABI the program declares in a `PT_NOTE` note, if any.
    pub abi_note: Option<AbiNote>,
    /// `e_ident[EI_OSABI]` ([`OSABI_SYSV`], [`OSABI_GNU`], ...): what a program without
    /// a note is taken for.
    pub os_abi: u8,
}

/// `EI_OSABI` of a System V (and most Linux) executable.
pub const OSABI_SYSV: u8 = 0;
/// `EI_OSABI` of a GNU/Linux executable (one that uses GNU extensions such as IFUNC).
pub const OSABI_GNU: u8 = 3;

/// An ABI a program can declare with an ELF note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbiNote {
    /// Owner `dinos`, type [`DINOS_NOTE_ABI`]: a program for the native dinos ABI.
    Dinos,
}

/// The note type of the dinos ABI note (owner name `dinos`).
pub const DINOS_NOTE_ABI: u32 = 1;

impl ExecImage {
    /// The page-aligned range `[start, end)` covering every segment.
    pub fn span(&self) -> (u64, u64) {
        let start = self.segments.first().map_or(0, |s| page_down(s.vaddr));
        let end = self.segments.iter().map(Segment::end).max().unwrap_or(0);
        (start, page_up(end))
    }

    /// Whether the stack should be executable. dinos policy: only when `PT_GNU_STACK`
    /// asks for it explicitly (Linux also makes it executable when the header is missing).
    pub fn stack_executable(&self) -> bool {
        self.stack.is_some_and(|s| s.flags.execute)
    }
}

fn page_down(a: u64) -> u64 {
    a & !(PAGE_SIZE - 1)
}

/// Rounds up to a page; saturates at the top page, which is far above `USER_END`.
fn page_up(a: u64) -> u64 {
    a.checked_add(PAGE_SIZE - 1)
        .map_or(!(PAGE_SIZE - 1), page_down)
}

/// Reads and checks the headers of the executable `bytes`.
///
/// On success every invariant listed in the module comment holds; on failure the
/// [`ElfError`] says which rule was broken. Never panics, whatever the input.
pub fn parse_executable(bytes: &[u8], limits: &Limits) -> Result<ExecImage, ElfError> {
    parse_executable_head(bytes, bytes.len(), limits)
}

/// As [`parse_executable`], given only the first bytes of a file of `file_len` bytes
/// (`head`, at most `file_len` of them): what a loader that maps the segments from the
/// file, instead of reading it whole, checks them with. Segment ranges are checked
/// against `file_len`. Headers the checks must read (program headers, the
/// interpreter path, notes) that lie past `head` but inside the file give
/// [`ElfError::PastHead`]: the caller reads more and asks again.
pub fn parse_executable_head(
    head: &[u8],
    file_len: usize,
    limits: &Limits,
) -> Result<ExecImage, ElfError> {
    let bytes = head;
    let past_head = |off: u64, len: u64| {
        off.checked_add(len)
            .is_some_and(|end| end > head.len() as u64 && end <= file_len as u64)
    };
    let r = Reader::new(bytes);
    let header = FileHeader::read(r).ok_or(ElfError::TruncatedHeader)?;
    let kind = check_file_header(&header)?;
    let table_len = u64::from(header.phnum).saturating_mul(raw::PHDR_SIZE as u64);
    if past_head(header.phoff, table_len) {
        return Err(ElfError::PastHead);
    }
    let phdrs = read_program_headers(r, &header, limits)?;

    let mut image = ExecImage {
        kind,
        entry: header.entry,
        segments: Vec::new(),
        interp: None,
        tls: None,
        stack: None,
        phdrs: PhdrTable {
            offset: header.phoff,
            count: phdrs.len(),
            entry_size: raw::PHDR_SIZE,
            vaddr: None,
        },
        abi_note: None,
        os_abi: header.os_abi,
    };
    let mut total_memsz: u64 = 0;
    for (index, ph) in phdrs.iter().enumerate() {
        match ph.kind {
            raw::PT_LOAD => {
                let seg = check_load(index, ph, file_len, kind, limits)?;
                total_memsz = total_memsz
                    .checked_add(seg.memsz)
                    .filter(|&t| t <= limits.max_total_memsz)
                    .ok_or(ElfError::TooLarge)?;
                if seg.memsz != 0 {
                    image.segments.push(seg);
                }
            }
            raw::PT_INTERP | raw::PT_NOTE if past_head(ph.offset, ph.filesz) => {
                return Err(ElfError::PastHead);
            }
            raw::PT_INTERP => {
                let path = check_interp(r, ph, limits)?;
                set_once(&mut image.interp, path, index)?;
            }
            raw::PT_TLS => {
                let tls = check_tls(index, ph, file_len)?;
                set_once(&mut image.tls, tls, index)?;
            }
            raw::PT_GNU_STACK => {
                let stack = StackRequest {
                    flags: SegmentFlags::from_bits(ph.flags),
                    size: ph.memsz,
                };
                set_once(&mut image.stack, stack, index)?;
            }
            raw::PT_PHDR => set_once(&mut image.phdrs.vaddr, ph.vaddr, index)?,
            raw::PT_NOTE => {
                if let Some(abi) = r.slice(ph.offset, ph.filesz).and_then(abi_note) {
                    image.abi_note = Some(abi);
                }
            }
            _ => {} // PT_DYNAMIC, PT_GNU_RELRO, ...: not the loader's business.
        }
    }
    if image.segments.is_empty() {
        return Err(ElfError::NoLoadableSegments);
    }

    image.segments.sort_by_key(|s| s.vaddr);
    for pair in image.segments.windows(2) {
        if pair[0].end() > pair[1].vaddr {
            let (a, b) = (
                pair[0].index.min(pair[1].index),
                pair[0].index.max(pair[1].index),
            );
            return Err(ElfError::SegmentsOverlap(a, b));
        }
    }

    let entry = image.entry;
    if !image
        .segments
        .iter()
        .any(|s| s.flags.execute && s.vaddr <= entry && entry < s.end())
    {
        return Err(ElfError::EntryNotExecutable);
    }

    if image.phdrs.vaddr.is_none() {
        image.phdrs.vaddr = loaded_address_of(&image.segments, header.phoff);
    }
    Ok(image)
}

/// Checks the identification and type fields of the file header.
fn check_file_header(h: &FileHeader) -> Result<ImageKind, ElfError> {
    if h.magic != raw::MAGIC {
        return Err(ElfError::BadMagic);
    }
    if h.class != raw::ELFCLASS64 {
        return Err(ElfError::NotElf64);
    }
    if h.data != raw::ELFDATA2LSB {
        return Err(ElfError::NotLittleEndian);
    }
    if h.ident_version != raw::EV_CURRENT || h.version != u32::from(raw::EV_CURRENT) {
        return Err(ElfError::BadVersion);
    }
    if h.machine != raw::EM_X86_64 {
        return Err(ElfError::WrongMachine);
    }
    let kind = match h.kind {
        raw::ET_EXEC => ImageKind::Fixed,
        raw::ET_DYN => ImageKind::PositionIndependent,
        _ => return Err(ElfError::NotExecutable),
    };
    if usize::from(h.ehsize) != raw::EHDR_SIZE || usize::from(h.phentsize) != raw::PHDR_SIZE {
        return Err(ElfError::BadHeaderSize);
    }
    Ok(kind)
}

/// Reads the whole program header table after checking its count and bounds.
fn read_program_headers(
    r: Reader<'_>,
    h: &FileHeader,
    limits: &Limits,
) -> Result<Vec<ProgramHeader>, ElfError> {
    let count = usize::from(h.phnum);
    if count == 0 {
        return Err(ElfError::NoProgramHeaders);
    }
    if count > limits.max_segments {
        return Err(ElfError::TooManySegments);
    }
    let table_len = (count * raw::PHDR_SIZE) as u64; // at most 65535 * 56: no overflow
    let start = r
        .slice(h.phoff, table_len)
        .map(|_| h.phoff as usize) // in bounds, so it fits in usize
        .ok_or(ElfError::ProgramHeadersOutOfBounds)?;
    (0..count)
        .map(|i| {
            ProgramHeader::read(r, start + i * raw::PHDR_SIZE)
                .ok_or(ElfError::ProgramHeadersOutOfBounds)
        })
        .collect()
}

/// Checks that `[offset, offset + filesz)` lies inside a file of `file_len` bytes.
fn check_file_range(index: usize, ph: &ProgramHeader, file_len: usize) -> Result<(), ElfError> {
    match ph.offset.checked_add(ph.filesz) {
        Some(end) if end <= file_len as u64 => Ok(()),
        _ => Err(ElfError::SegmentOutOfFile(index)),
    }
}

/// Checks that `align` is 0, 1 or a power of two.
fn check_align(index: usize, align: u64) -> Result<(), ElfError> {
    if align <= 1 || align.is_power_of_two() {
        Ok(())
    } else {
        Err(ElfError::BadAlignment(index))
    }
}

fn check_load(
    index: usize,
    ph: &ProgramHeader,
    file_len: usize,
    kind: ImageKind,
    limits: &Limits,
) -> Result<Segment, ElfError> {
    if ph.filesz > ph.memsz {
        return Err(ElfError::FileSizeExceedsMemSize(index));
    }
    check_file_range(index, ph, file_len)?;
    check_align(index, ph.align)?;
    let modulus = ph.align.max(PAGE_SIZE);
    if ph.vaddr % modulus != ph.offset % modulus {
        return Err(ElfError::Misaligned(index));
    }
    let end = ph
        .vaddr
        .checked_add(ph.memsz)
        .ok_or(ElfError::AddressOverflow(index))?;
    let floor = match kind {
        ImageKind::Fixed => limits.min_vaddr,
        ImageKind::PositionIndependent => 0,
    };
    if end > USER_END || ph.vaddr < floor {
        return Err(ElfError::AddressNotUser(index));
    }
    Ok(Segment {
        index,
        vaddr: ph.vaddr,
        memsz: ph.memsz,
        filesz: ph.filesz,
        offset: ph.offset,
        flags: SegmentFlags::from_bits(ph.flags),
        align: ph.align,
    })
}

/// The ABI note among the notes in `bytes` (a `PT_NOTE` segment's contents): each
/// note is `namesz, descsz, type` (u32 each), then the name and the descriptor, each
/// padded to 4 bytes. Notes the loader does not know are skipped; a malformed list
/// ends the scan (notes are advice, not part of what must load).
fn abi_note(bytes: &[u8]) -> Option<AbiNote> {
    let r = Reader::new(bytes);
    let mut at = 0usize;
    while at + 12 <= bytes.len() {
        let namesz = r.u32(at)? as usize;
        let descsz = r.u32(at + 4)? as usize;
        let kind = r.u32(at + 8)?;
        let name = r.slice(at as u64 + 12, namesz as u64)?;
        if name == b"dinos\0" && kind == DINOS_NOTE_ABI {
            return Some(AbiNote::Dinos);
        }
        at = at
            .checked_add(12)?
            .checked_add(namesz.checked_add(3)? & !3)?
            .checked_add(descsz.checked_add(3)? & !3)?;
    }
    None
}

fn check_interp(r: Reader<'_>, ph: &ProgramHeader, limits: &Limits) -> Result<String, ElfError> {
    let bytes = r
        .slice(ph.offset, ph.filesz)
        .ok_or(ElfError::BadInterpreter)?;
    let (last, path) = bytes.split_last().ok_or(ElfError::BadInterpreter)?;
    if *last != 0 || path.is_empty() || path.len() > limits.max_interp_len || path.contains(&0) {
        return Err(ElfError::BadInterpreter);
    }
    core::str::from_utf8(path)
        .map(String::from)
        .map_err(|_| ElfError::BadInterpreter)
}

fn check_tls(index: usize, ph: &ProgramHeader, file_len: usize) -> Result<TlsTemplate, ElfError> {
    if ph.filesz > ph.memsz {
        return Err(ElfError::FileSizeExceedsMemSize(index));
    }
    check_file_range(index, ph, file_len)?;
    check_align(index, ph.align)?;
    if ph.vaddr.checked_add(ph.memsz).is_none() {
        return Err(ElfError::AddressOverflow(index));
    }
    Ok(TlsTemplate {
        vaddr: ph.vaddr,
        offset: ph.offset,
        filesz: ph.filesz,
        memsz: ph.memsz,
        align: ph.align,
    })
}

/// Stores `value` in `slot`, refusing a second one.
fn set_once<T>(slot: &mut Option<T>, value: T, index: usize) -> Result<(), ElfError> {
    if slot.is_some() {
        return Err(ElfError::DuplicateSegment(index));
    }
    *slot = Some(value);
    Ok(())
}

/// The address at which file offset `offset` ends up, if a segment loads it.
fn loaded_address_of(segments: &[Segment], offset: u64) -> Option<u64> {
    segments
        .iter()
        .find(|s| s.offset <= offset && offset - s.offset < s.filesz)
        .map(|s| s.vaddr + (offset - s.offset))
}
