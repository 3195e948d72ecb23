//! `parse_executable` on valid images and on one broken rule at a time.

mod common;

use common::*;
use elf::{parse_executable, ElfError, ImageKind, Limits, SegmentFlags, USER_END};

fn parse(b: &Builder) -> Result<elf::ExecImage, ElfError> {
    parse_executable(&b.build(), &Limits::default())
}

fn rejects(b: &Builder, want: ElfError) {
    assert_eq!(parse(b).unwrap_err(), want);
}

#[test]
fn static_executable_is_accepted_with_its_segments() {
    let img = parse(&Builder::static_exe()).unwrap();
    assert_eq!(img.kind, ImageKind::Fixed);
    assert_eq!(img.entry, 0x40_0100);
    assert_eq!(img.segments.len(), 2);
    let text = img.segments[0];
    assert_eq!(
        (text.vaddr, text.memsz, text.filesz, text.offset),
        (0x40_0000, 0x1000, 0x1000, 0)
    );
    assert_eq!(
        text.flags,
        SegmentFlags {
            read: true,
            write: false,
            execute: true
        }
    );
    let data = img.segments[1];
    assert_eq!(
        (data.vaddr, data.memsz, data.filesz),
        (0x40_1000, 0x3000, 0x100)
    );
    assert!(data.flags.write && !data.flags.execute);
    assert_eq!(data.align, 0x1000);
    assert_eq!(img.interp, None);
    assert_eq!(img.tls, None);
    assert!(!img.stack_executable());
    assert_eq!(img.span(), (0x40_0000, 0x40_4000));
    // The header table sits in the first bytes of the text segment.
    assert_eq!(img.phdrs.vaddr, Some(0x40_0040));
    assert_eq!((img.phdrs.count, img.phdrs.entry_size), (3, 56));
}

#[test]
fn pie_with_interpreter_tls_and_phdr_is_accepted() {
    let img = parse(&Builder::pie()).unwrap();
    assert_eq!(img.kind, ImageKind::PositionIndependent);
    assert_eq!(img.interp.as_deref(), Some("/lib/ld.so"));
    let tls = img.tls.unwrap();
    assert_eq!(
        (tls.vaddr, tls.filesz, tls.memsz, tls.align),
        (0x2800, 0x10, 0x40, 16)
    );
    assert_eq!(img.phdrs.vaddr, Some(64));
    assert_eq!(img.segments.len(), 3);
    assert_eq!(img.stack, None);
    assert!(!img.stack_executable());
}

#[test]
fn executable_stack_request_is_reported() {
    let mut b = Builder::static_exe();
    b.phdrs[2].flags = R | W | X;
    b.phdrs[2].memsz = 0x10_0000;
    let img = parse(&b).unwrap();
    assert!(img.stack_executable());
    assert_eq!(img.stack.unwrap().size, 0x10_0000);
}

#[test]
fn segments_are_sorted_by_address() {
    let mut b = Builder::static_exe();
    b.phdrs.swap(0, 1);
    let img = parse(&b).unwrap();
    assert_eq!(img.segments[0].vaddr, 0x40_0000);
    assert_eq!(img.segments[0].index, 1);
}

#[test]
fn zero_sized_load_segment_is_dropped() {
    let mut b = Builder::static_exe();
    b.phdrs.push(Ph::load(R, 0, 0x50_0000, 0, 0));
    assert_eq!(parse(&b).unwrap().segments.len(), 2);
}

#[test]
fn short_file_is_truncated_header() {
    let bytes = Builder::static_exe().build();
    for len in [0, 1, 4, 63] {
        assert_eq!(
            parse_executable(&bytes[..len], &Limits::default()).unwrap_err(),
            ElfError::TruncatedHeader
        );
    }
}

#[test]
fn bad_magic_is_rejected() {
    let mut b = Builder::static_exe();
    b.ident[1] = b'X';
    rejects(&b, ElfError::BadMagic);
}

#[test]
fn elf32_is_rejected() {
    let mut b = Builder::static_exe();
    b.ident[4] = 1;
    rejects(&b, ElfError::NotElf64);
}

#[test]
fn big_endian_is_rejected() {
    let mut b = Builder::static_exe();
    b.ident[5] = 2;
    rejects(&b, ElfError::NotLittleEndian);
}

#[test]
fn unknown_version_is_rejected() {
    let mut b = Builder::static_exe();
    b.version = 2;
    rejects(&b, ElfError::BadVersion);
    let mut b = Builder::static_exe();
    b.ident[6] = 0;
    rejects(&b, ElfError::BadVersion);
}

#[test]
fn other_machine_is_rejected() {
    let mut b = Builder::static_exe();
    b.machine = 183; // AArch64
    rejects(&b, ElfError::WrongMachine);
}

#[test]
fn relocatable_object_and_core_dump_are_rejected() {
    for kind in [0, 1, 4] {
        let mut b = Builder::static_exe();
        b.kind = kind;
        rejects(&b, ElfError::NotExecutable);
    }
}

#[test]
fn wrong_record_sizes_are_rejected() {
    let mut b = Builder::static_exe();
    b.phentsize = 32;
    rejects(&b, ElfError::BadHeaderSize);
    let mut b = Builder::static_exe();
    b.ehsize = 52;
    rejects(&b, ElfError::BadHeaderSize);
}

#[test]
fn no_program_headers_is_rejected() {
    let mut b = Builder::static_exe();
    b.phnum = Some(0);
    rejects(&b, ElfError::NoProgramHeaders);
}

#[test]
fn too_many_program_headers_is_rejected() {
    let mut b = Builder::static_exe();
    b.phnum = Some(0xffff);
    rejects(&b, ElfError::TooManySegments);
    let limits = Limits {
        max_segments: 2,
        ..Limits::default()
    };
    let err = parse_executable(&Builder::static_exe().build(), &limits).unwrap_err();
    assert_eq!(err, ElfError::TooManySegments);
}

#[test]
fn program_headers_past_end_of_file_are_rejected() {
    let mut b = Builder::static_exe();
    b.phnum = Some(100);
    rejects(&b, ElfError::ProgramHeadersOutOfBounds);
    let mut b = Builder::static_exe();
    b.phoff = u64::MAX - 10;
    b.phdrs.clear();
    b.phnum = Some(1);
    rejects(&b, ElfError::ProgramHeadersOutOfBounds);
    // Table starting inside the file but ending one byte past it.
    let mut b = Builder::static_exe();
    b.file_len = 64 + 3 * 56 - 1;
    b.phdrs[1].filesz = 0;
    b.phdrs[0].filesz = 0;
    rejects(&b, ElfError::ProgramHeadersOutOfBounds);
}

#[test]
fn no_load_segment_is_rejected() {
    let mut b = Builder::static_exe();
    b.phdrs.truncate(0);
    b.phdrs.push(Ph::other(PT_GNU_STACK, R | W, 0, 0, 0, 16));
    rejects(&b, ElfError::NoLoadableSegments);
}

#[test]
fn filesz_larger_than_memsz_is_rejected() {
    let mut b = Builder::static_exe();
    b.phdrs[1].filesz = 0x3001;
    rejects(&b, ElfError::FileSizeExceedsMemSize(1));
}

#[test]
fn segment_file_range_out_of_bounds_is_rejected() {
    let mut b = Builder::static_exe();
    b.phdrs[1].filesz = 0x101; // one byte past the end of the file
    rejects(&b, ElfError::SegmentOutOfFile(1));
    let mut b = Builder::static_exe();
    b.phdrs[1].offset = u64::MAX - 0xfff; // offset + filesz overflows
    rejects(&b, ElfError::SegmentOutOfFile(1));
}

#[test]
fn overlapping_load_segments_are_rejected() {
    let mut b = Builder::static_exe();
    b.phdrs[1].vaddr = 0x40_0000; // same page as text
    b.phdrs[1].offset = 0x1000;
    rejects(&b, ElfError::SegmentsOverlap(0, 1));
    let mut b = Builder::static_exe();
    b.phdrs[0].memsz = 0x1001; // text's bss runs one byte into data
    rejects(&b, ElfError::SegmentsOverlap(0, 1));
}

#[test]
fn adjacent_segments_sharing_no_byte_are_accepted() {
    let mut b = Builder::static_exe();
    b.phdrs[0].memsz = 0x1000;
    b.phdrs[1].vaddr = 0x40_1000;
    assert!(parse(&b).is_ok());
}

#[test]
fn address_overflow_is_rejected() {
    let mut b = Builder::static_exe();
    b.phdrs[1].vaddr = 0xffff_ffff_ffff_f000;
    rejects(&b, ElfError::AddressOverflow(1));
}

#[test]
fn kernel_half_and_non_canonical_addresses_are_rejected() {
    for vaddr in [
        0xffff_8000_0000_0000,
        0x0000_8000_0000_0000,
        0x0000_7fff_ffff_f000,
        // Ends at the hole: its last page is the reserved one below it.
        0x0000_7fff_ffff_d000,
    ] {
        let mut b = Builder::static_exe();
        b.phdrs[1].vaddr = vaddr;
        rejects(&b, ElfError::AddressNotUser(1));
    }
    // The highest loadable page is the one below the reserved top page: a segment
    // ending exactly at USER_END is fine.
    let mut b = Builder::static_exe();
    b.phdrs[1].vaddr = 0x0000_7fff_ffff_c000;
    assert!(parse(&b).is_ok());
    assert_eq!(USER_END, 0x0000_7fff_ffff_f000);
}

#[test]
fn fixed_segment_in_null_page_is_rejected() {
    let mut b = Builder::static_exe();
    b.phdrs[0].vaddr = 0;
    b.entry = 0x100;
    rejects(&b, ElfError::AddressNotUser(0));
}

#[test]
fn alignment_not_power_of_two_is_rejected() {
    let mut b = Builder::static_exe();
    b.phdrs[1].align = 0x1800;
    rejects(&b, ElfError::BadAlignment(1));
    let mut b = Builder::pie();
    b.phdrs[5].align = 12;
    rejects(&b, ElfError::BadAlignment(5));
}

#[test]
fn offset_and_address_not_congruent_are_rejected() {
    let mut b = Builder::static_exe();
    b.phdrs[1].vaddr = 0x40_1010;
    rejects(&b, ElfError::Misaligned(1));
    // Congruent modulo the page but not modulo a larger p_align.
    let mut b = Builder::static_exe();
    b.phdrs[1].align = 0x20_0000;
    b.phdrs[1].vaddr = 0x40_2000;
    rejects(&b, ElfError::Misaligned(1));
}

#[test]
fn entry_outside_executable_segment_is_rejected() {
    let mut b = Builder::static_exe();
    b.entry = 0x40_1010; // in data, which is not executable
    rejects(&b, ElfError::EntryNotExecutable);
    let mut b = Builder::static_exe();
    b.entry = 0x40_1000; // one past the end of text
    b.phdrs[1].vaddr = 0x40_2000;
    b.phdrs[1].offset = 0x1000;
    b.phdrs[1].filesz = 0;
    rejects(&b, ElfError::EntryNotExecutable);
    let mut b = Builder::static_exe();
    b.entry = 0;
    rejects(&b, ElfError::EntryNotExecutable);
}

#[test]
fn total_memory_over_limit_is_rejected() {
    let limits = Limits {
        max_total_memsz: 0x3fff,
        ..Limits::default()
    };
    let err = parse_executable(&Builder::static_exe().build(), &limits).unwrap_err();
    assert_eq!(err, ElfError::TooLarge);
    let mut b = Builder::static_exe();
    b.phdrs[1].memsz = 0x7000_0000_0000;
    rejects(&b, ElfError::TooLarge);
}

#[test]
fn bad_interpreter_paths_are_rejected() {
    let cases: [&[u8]; 4] = [b"/lib/ld.so!", b"\0", b"/lib\0ld\0", b"/lib/\xff\xfe\0"];
    for path in cases {
        let mut b = Builder::pie();
        b.blobs[0].1 = path.to_vec();
        b.phdrs[1].filesz = path.len() as u64;
        rejects(&b, ElfError::BadInterpreter);
    }
    let mut b = Builder::pie();
    b.phdrs[1].offset = 0x10_0000;
    rejects(&b, ElfError::BadInterpreter);
    let limits = Limits {
        max_interp_len: 5,
        ..Limits::default()
    };
    let err = parse_executable(&Builder::pie().build(), &limits).unwrap_err();
    assert_eq!(err, ElfError::BadInterpreter);
}

#[test]
fn duplicate_singleton_headers_are_rejected() {
    let mut b = Builder::pie();
    let interp = b.phdrs[1];
    b.phdrs.push(interp);
    rejects(&b, ElfError::DuplicateSegment(6));
    let mut b = Builder::static_exe();
    let stack = b.phdrs[2];
    b.phdrs.push(stack);
    rejects(&b, ElfError::DuplicateSegment(3));
}

#[test]
fn tls_with_filesz_over_memsz_or_out_of_file_is_rejected() {
    let mut b = Builder::pie();
    b.phdrs[5].filesz = 0x41;
    rejects(&b, ElfError::FileSizeExceedsMemSize(5));
    let mut b = Builder::pie();
    b.phdrs[5].offset = 0x18f8;
    rejects(&b, ElfError::SegmentOutOfFile(5));
}

#[test]
fn errors_have_short_messages_naming_the_segment() {
    assert_eq!(
        ElfError::BadMagic.to_string(),
        "not an ELF file (bad magic)"
    );
    assert_eq!(
        ElfError::SegmentOutOfFile(2).to_string(),
        "segment 2: file range out of bounds"
    );
    assert_eq!(
        ElfError::SegmentsOverlap(0, 1).to_string(),
        "segments 0 and 1: loadable segments overlap"
    );
}

/// A note record: sizes, type, the name and descriptor padded to 4 bytes.
fn note(name: &[u8], kind: u32, desc: &[u8]) -> Vec<u8> {
    let mut n = Vec::new();
    n.extend_from_slice(&(name.len() as u32).to_le_bytes());
    n.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    n.extend_from_slice(&kind.to_le_bytes());
    n.extend_from_slice(name);
    n.resize(n.len().div_ceil(4) * 4, 0);
    n.extend_from_slice(desc);
    n.resize(n.len().div_ceil(4) * 4, 0);
    n
}

/// `static_exe` with a PT_NOTE segment over `notes` (placed at file offset 0x1000).
fn with_notes(notes: Vec<u8>, filesz: u64) -> Builder {
    let mut b = Builder::static_exe();
    b.phdrs.push(Ph::other(4, R, 0x1000, 0x40_1000, filesz, 4));
    b.blobs.push((0x1000, notes));
    b
}

#[test]
fn the_dinos_abi_note_is_found_among_other_notes() {
    let mut notes = note(b"GNU\0", 3, &[0xab; 20]); // a build id comes first
    notes.extend(note(b"dinos\0", elf::DINOS_NOTE_ABI, &1u32.to_le_bytes()));
    let len = notes.len() as u64;
    let img = parse(&with_notes(notes, len)).unwrap();
    assert_eq!(img.abi_note, Some(elf::AbiNote::Dinos));
    // Without the note, or with the right owner and another type: none.
    assert_eq!(parse(&Builder::static_exe()).unwrap().abi_note, None);
    let other = note(b"dinos\0", 7, &[]);
    let len = other.len() as u64;
    assert_eq!(parse(&with_notes(other, len)).unwrap().abi_note, None);
}

#[test]
fn malformed_notes_are_ignored_not_fatal() {
    // A name size running past the segment, a size that overflows when padded, and a
    // segment past the end of the file: the image still loads, with no ABI note.
    let mut huge = note(b"dinos\0", elf::DINOS_NOTE_ABI, &[]);
    huge[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
    let len = huge.len() as u64;
    assert_eq!(parse(&with_notes(huge, len)).unwrap().abi_note, None);
    let mut wrap = note(b"x\0", 1, &[]);
    wrap[4..8].copy_from_slice(&(u32::MAX - 1).to_le_bytes());
    let len = wrap.len() as u64 + 32;
    assert_eq!(parse(&with_notes(wrap, len)).unwrap().abi_note, None);
    let good = note(b"dinos\0", elf::DINOS_NOTE_ABI, &[]);
    assert_eq!(parse(&with_notes(good, 1 << 40)).unwrap().abi_note, None);
}

#[test]
fn the_head_of_a_file_gives_what_the_whole_file_gives() {
    for b in [Builder::static_exe(), Builder::pie()] {
        let whole = b.build();
        let full = parse_executable(&whole, &Limits::default()).unwrap();
        // The first page holds every header these images have.
        let head = &whole[..whole.len().min(4096)];
        let part = elf::parse_executable_head(head, whole.len(), &Limits::default()).unwrap();
        assert_eq!(part, full);
    }
}

#[test]
fn headers_past_the_head_ask_for_more() {
    let whole = Builder::pie().build();
    // 100 bytes hold the ELF header but not the program headers after it.
    let r = elf::parse_executable_head(&whole[..100], whole.len(), &Limits::default());
    assert_eq!(r.unwrap_err(), ElfError::PastHead);
    // A segment past the end of the whole file is still out of the file.
    let mut b = Builder::static_exe();
    b.phdrs[0].filesz = 1 << 20;
    b.phdrs[0].memsz = 1 << 20;
    let bad = b.build();
    let r = elf::parse_executable_head(&bad[..bad.len().min(4096)], bad.len(), &Limits::default());
    assert_eq!(r.unwrap_err(), ElfError::SegmentOutOfFile(0));
}
