//! The executable parser of `exec` (`kernel/elf`) on fuzzed files.
//!
//! Chapter 2 section 5 (loaders): `exec` hands the first bytes of any file a user
//! names to `elf::parse_executable`, and maps segments on the strength of what it
//! returns. So besides "no panic", an accepted image must keep every promise the
//! mapping code relies on (`kernel/elf/src/exec.rs`'s header): segments inside the
//! file, `filesz <= memsz`, no overlap, below `USER_END`, offsets congruent to
//! addresses modulo the page size, the entry in an executable segment, the program
//! header table inside the file. And the streaming form, `parse_executable_head`
//! given only a prefix, must agree with the whole-file parse whenever it answers.

use elf::{
    parse_executable, parse_executable_head, ElfError, ImageKind, Limits, PAGE_SIZE, USER_END,
};

use crate::Oracle;

/// Runs one input: the whole input is the file.
pub fn check(data: &[u8], _oracle: Oracle) {
    let limits = Limits::default();
    let whole = parse_executable(data, &limits);
    if let Ok(img) = &whole {
        let len = data.len() as u64;
        let mut prev_end = 0u64;
        for (i, s) in img.segments.iter().enumerate() {
            assert!(s.filesz <= s.memsz, "segment {i}: filesz > memsz");
            let fend = s
                .offset
                .checked_add(s.filesz)
                .expect("file range overflows");
            assert!(fend <= len, "segment {i}: file range past the end");
            let end = s
                .vaddr
                .checked_add(s.memsz)
                .expect("memory range overflows");
            assert!(end <= USER_END, "segment {i}: past USER_END");
            assert!(
                s.vaddr % PAGE_SIZE == s.offset % PAGE_SIZE,
                "segment {i}: incongruent"
            );
            assert!(
                s.vaddr >= prev_end || i == 0,
                "segment {i}: overlaps or out of order"
            );
            if img.kind == ImageKind::Fixed {
                assert!(
                    s.vaddr >= limits.min_vaddr,
                    "segment {i}: in the null guard"
                );
            }
            prev_end = end;
        }
        assert!(img.segments.len() <= limits.max_segments);
        let total: u64 = img.segments.iter().map(|s| s.memsz).sum();
        assert!(
            total <= limits.max_total_memsz,
            "more memory than the limit"
        );
        assert!(
            img.segments
                .iter()
                .any(|s| s.flags.execute && s.vaddr <= img.entry && img.entry < s.end()),
            "entry {:#x} outside every executable segment",
            img.entry
        );
        let table = (img.phdrs.count as u64).saturating_mul(img.phdrs.entry_size as u64);
        assert!(
            img.phdrs.offset.saturating_add(table) <= len,
            "program headers past the end"
        );
        if let Some(p) = &img.interp {
            assert!(p.len() <= limits.max_interp_len && !p.contains('\0'));
        }
        let (lo, hi) = img.span();
        assert!(lo <= hi && hi <= USER_END, "span {lo:#x}..{hi:#x}");
    }
    // The same file seen through a prefix of every interesting length.
    for cut in [64usize, 120, 512, 4096, data.len() / 2] {
        if cut >= data.len() {
            continue;
        }
        match parse_executable_head(&data[..cut], data.len(), &limits) {
            Err(ElfError::PastHead) => {}
            Ok(img) => assert_eq!(Ok(&img), whole.as_ref(), "head of {cut} bytes disagrees"),
            Err(e) => assert!(
                whole.is_err(),
                "head of {cut} bytes refused ({e:?}), whole accepted"
            ),
        }
    }
}
