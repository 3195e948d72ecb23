//! Why an executable was refused.
//!
//! Chapter 2 section 3-2 (error detection) meets section 5 (loaders): a loader must
//! treat a program file as untrusted input, and the user deserves to know which rule it
//! broke. Design decision: one flat enum with a fixed short message per variant and no
//! payload beyond an index, so the kernel can log `"exec /bin/x: segment 2: file range
//! out of bounds"` and still map every variant to the single errno `ENOEXEC`.

use core::fmt;

/// A reason [`crate::parse_executable`] refused a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// The file is shorter than the 64-byte ELF header.
    TruncatedHeader,
    /// The file does not start with `\x7fELF`.
    BadMagic,
    /// The file is not a 64-bit ELF object.
    NotElf64,
    /// The file is not little-endian.
    NotLittleEndian,
    /// The ELF version is not 1 (`EV_CURRENT`).
    BadVersion,
    /// The file is for a machine other than x86-64.
    WrongMachine,
    /// The file is neither `ET_EXEC` nor `ET_DYN` (a relocatable object or a core dump).
    NotExecutable,
    /// `e_ehsize` or `e_phentsize` does not match the ELF64 record sizes.
    BadHeaderSize,
    /// There is no program header table.
    NoProgramHeaders,
    /// More program headers than [`crate::Limits::max_segments`].
    TooManySegments,
    /// The program header table lies (partly) outside the file.
    ProgramHeadersOutOfBounds,
    /// There is no `PT_LOAD` segment.
    NoLoadableSegments,
    /// Segment `n` (index in the program header table) has `p_filesz > p_memsz`.
    FileSizeExceedsMemSize(usize),
    /// Segment `n` names file bytes past the end of the file.
    SegmentOutOfFile(usize),
    /// Segment `n` has `p_vaddr + p_memsz` overflowing 64 bits.
    AddressOverflow(usize),
    /// Segment `n` reaches into the kernel half or the non-canonical hole, or below the
    /// null guard.
    AddressNotUser(usize),
    /// Segment `n` has a `p_align` that is not a power of two.
    BadAlignment(usize),
    /// Segment `n` has `p_offset` and `p_vaddr` that differ modulo the page size (or
    /// modulo `p_align`), so it cannot be mapped page by page.
    Misaligned(usize),
    /// Loadable segments `a` and `b` occupy some of the same addresses.
    SegmentsOverlap(usize, usize),
    /// The loadable segments add up to more memory than [`crate::Limits::max_total_memsz`].
    TooLarge,
    /// The entry point is not inside an executable loadable segment.
    EntryNotExecutable,
    /// The `PT_INTERP` path is empty, too long, not NUL-terminated or not UTF-8.
    BadInterpreter,
    /// More than one `PT_INTERP`, `PT_TLS`, `PT_PHDR` or `PT_GNU_STACK`.
    DuplicateSegment(usize),
    /// Headers lie past the part of the file given ([`parse_executable_head`]): read
    /// more and ask again.
    ///
    /// [`parse_executable_head`]: crate::parse_executable_head
    PastHead,
}

impl ElfError {
    /// A short human message, without the segment number.
    pub fn message(&self) -> &'static str {
        match self {
            Self::TruncatedHeader => "file too short for an ELF header",
            Self::BadMagic => "not an ELF file (bad magic)",
            Self::NotElf64 => "not a 64-bit ELF file",
            Self::NotLittleEndian => "not little-endian",
            Self::BadVersion => "unknown ELF version",
            Self::WrongMachine => "not an x86-64 program",
            Self::NotExecutable => "not an executable (ET_EXEC or ET_DYN)",
            Self::BadHeaderSize => "bad ELF or program header size",
            Self::NoProgramHeaders => "no program headers",
            Self::TooManySegments => "too many program headers",
            Self::ProgramHeadersOutOfBounds => "program headers outside the file",
            Self::NoLoadableSegments => "no loadable segment",
            Self::FileSizeExceedsMemSize(_) => "file size larger than memory size",
            Self::SegmentOutOfFile(_) => "file range out of bounds",
            Self::AddressOverflow(_) => "address range overflows",
            Self::AddressNotUser(_) => "address outside user space",
            Self::BadAlignment(_) => "alignment not a power of two",
            Self::Misaligned(_) => "offset and address not congruent modulo the page size",
            Self::SegmentsOverlap(_, _) => "loadable segments overlap",
            Self::TooLarge => "program too large",
            Self::EntryNotExecutable => "entry point not in an executable segment",
            Self::BadInterpreter => "bad interpreter path",
            Self::DuplicateSegment(_) => "duplicate program header",
            Self::PastHead => "headers past the part of the file read",
        }
    }

    /// The program header index the error is about, if it is about one.
    pub fn segment(&self) -> Option<usize> {
        match *self {
            Self::FileSizeExceedsMemSize(n)
            | Self::SegmentOutOfFile(n)
            | Self::AddressOverflow(n)
            | Self::AddressNotUser(n)
            | Self::BadAlignment(n)
            | Self::Misaligned(n)
            | Self::DuplicateSegment(n)
            | Self::SegmentsOverlap(_, n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::SegmentsOverlap(a, b) => write!(f, "segments {a} and {b}: {}", self.message()),
            _ => match self.segment() {
                Some(n) => write!(f, "segment {n}: {}", self.message()),
                None => f.write_str(self.message()),
            },
        }
    }
}
