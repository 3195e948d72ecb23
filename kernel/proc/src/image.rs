//! Placing an ELF image in a new address space: the program's segments, and those of
//! its program interpreter (the dynamic linker), each at its own base (chapter 2
//! section 5, loaders and dynamic linking).
//!
//! A statically linked program is the whole story: `exec` maps it and jumps to its
//! entry. A dynamically linked one names, in `PT_INTERP`, the program that finishes
//! loading it: the kernel maps both, starts the *interpreter*, and tells it through
//! the auxiliary vector where the program is (`AT_PHDR`, `AT_ENTRY`) and where it was
//! put itself (`AT_BASE`). The interpreter then maps the libraries the program needs
//! and relocates everything, all in user space (glibc's and musl's `ld.so` for Linux
//! programs, dinos' own `/lib/ld.so` for native ones: docs/linking.md).
//!
//! Design decision: position-independent images (`ET_DYN`: PIE programs and every
//! interpreter) go at a *random* page-aligned base, address-space layout
//! randomisation as Linux does it: a PIE program in a 4 GiB window from
//! [`PIE_BASE`], an interpreter in one from [`INTERP_BASE`], far from each other, from
//! the heap (after the program) and from `mmap` (which searches upward from 256 MiB).
//! The interpreter is untrusted input like the program: a missing one is `ENOENT`, a
//! malformed one (or one that itself asks for an interpreter, or speaks another ABI)
//! `ENOEXEC`, each with a console line that names it.

use abi::Errno;
use alloc::vec::Vec;
use cred::Credentials;
use fsys::NodeRef;
use mm::{AddressSpace, Prot, VmaKind};

use crate::personality::Personality;

/// Lowest base of a position-independent program (where Linux puts PIE programs).
pub const PIE_BASE: u64 = 0x5555_0000_0000;
/// Lowest base of a program interpreter.
pub const INTERP_BASE: u64 = 0x7f00_0000_0000;
/// Pages of randomness in each base: 2^20 pages, a 4 GiB window.
const RANDOM_PAGES: u64 = 1 << 20;
/// Largest alignment honoured when placing an image (larger `p_align`s are treated
/// as this; the segments are still congruent modulo the page size).
const MAX_ALIGN: u64 = 2 << 20;

/// A random base at or above `floor` for `image`, aligned as its segments ask (0 for
/// a fixed-address image, whose addresses are absolute).
pub fn choose_base(image: &elf::ExecImage, floor: u64) -> u64 {
    if image.kind == elf::ImageKind::Fixed {
        return 0;
    }
    let align = image
        .segments
        .iter()
        .map(|s| s.align)
        .max()
        .unwrap_or(0)
        .clamp(4096, MAX_ALIGN);
    let mut r = [0u8; 8];
    devices::builtin::fill_random(&mut r);
    let offset = (u64::from_le_bytes(r) % RANDOM_PAGES) * 4096;
    (floor + offset) & !(align - 1)
}

fn vm_errno(e: mm::VmError) -> Errno {
    match e {
        mm::VmError::NoMemory => Errno::ENOMEM,
        _ => Errno::ENOEXEC,
    }
}

/// Map the segments of `image` (the file `node`, opened as `path`) at `bias`; returns the end of the
/// highest one (page-aligned). A read-only segment with no zero-filled tail, alone in
/// its pages, is mapped from the file (its pages come from the page cache, shared by
/// every process running the file); any other is copied in, the rest zero.
pub fn map_segments(
    a: &mut AddressSpace,
    node: NodeRef,
    image: &elf::ExecImage,
    bias: u64,
    path: &str,
) -> Result<u64, Errno> {
    let pager: alloc::sync::Arc<dyn mm::Pager> = fsys::pages::NodePager::new_image(node, path)?;
    let mut top = 0u64;
    for (i, seg) in image.segments.iter().enumerate() {
        // A segment may begin in the last page of the one before it; that page is
        // already a region (with the earlier segment's rights).
        let start = ((seg.vaddr + bias) & !0xfff).max(top);
        let end = (seg.vaddr + bias + seg.memsz).div_ceil(0x1000) * 0x1000;
        let prot = Prot {
            read: true,
            write: seg.flags.write,
            exec: seg.flags.execute,
        };
        // Mapped from the file: read-only, all of it file bytes, its pages its own
        // (the segment before ends below its first page, the next starts past its
        // last). Segments are sorted by address.
        let next_start = image.segments.get(i + 1).map(|n| (n.vaddr + bias) & !0xfff);
        let mappable = !seg.flags.write
            && seg.filesz == seg.memsz
            && start == (seg.vaddr + bias) & !0xfff
            && next_start.is_none_or(|n| n >= end);
        if mappable {
            let file = mm::FileMap {
                pager: pager.clone(),
                offset: seg.offset & !0xfff,
                shared: false,
                writable_file: false,
            };
            a.map_image_file(start, end - start, prot, file)
                .map_err(vm_errno)?;
        } else {
            if start < end {
                a.map(start, end - start, prot, VmaKind::Image)
                    .map_err(vm_errno)?;
            }
            let data = crate::exec::read_range(node, seg.offset, seg.filesz)?;
            a.write_initial(seg.vaddr + bias, &data).map_err(vm_errno)?;
        }
        top = top.max(end);
    }
    Ok(top)
}

/// The interpreter a program at `path` names: found, checked and parsed, or the
/// errno with a console line saying what is wrong with it.
pub fn open_interpreter(
    cred: &Credentials,
    cwd: NodeRef,
    path: &str,
    interp: &str,
    personality: Personality,
) -> Result<(NodeRef, elf::ExecImage), Errno> {
    let refuse = |why: &dyn core::fmt::Display, e: Errno| {
        log::warn!("exec {path}: interpreter {interp}: {why}");
        e
    };
    let node = match fsys::resolve(cred, cwd, interp, true) {
        Ok(n) => n,
        Err(Errno::ENOENT) => return Err(refuse(&"not found", Errno::ENOENT)),
        Err(e) => return Err(refuse(&e, e)),
    };
    let st = fsys::stat(node)?;
    if st.mode & abi::flags::S_IFMT != abi::flags::S_IFREG {
        return Err(refuse(&"not a regular file", Errno::EACCES));
    }
    if st.size > crate::exec::MAX_IMAGE {
        return Err(refuse(&"too large", Errno::ENOEXEC));
    }
    let image = crate::exec::read_headers(node, st.size).map_err(|e| {
        refuse(
            &alloc::format!("not a valid ELF program ({e})"),
            Errno::ENOEXEC,
        )
    })?;
    if image.interp.is_some() {
        return Err(refuse(&"names an interpreter itself", Errno::ENOEXEC));
    }
    if Personality::of_image(&image) != Some(personality) {
        return Err(refuse(
            &alloc::format!("not a {} interpreter", personality.name()),
            Errno::ENOEXEC,
        ));
    }
    Ok((node, image))
}

/// The auxiliary vector entries that describe where the program and its
/// interpreter are: `(AT_PHDR, AT_PHENT, AT_PHNUM, AT_BASE, AT_ENTRY)`.
pub fn placement_aux(image: &elf::ExecImage, bias: u64, interp_base: u64) -> Vec<(u64, u64)> {
    use abi::auxv::*;
    let phdr = image.phdrs.vaddr.map(|v| v + bias).unwrap_or(0);
    alloc::vec![
        (AT_PHDR, phdr),
        (AT_PHENT, image.phdrs.entry_size as u64),
        (AT_PHNUM, image.phdrs.count as u64),
        (AT_PAGESZ, 4096),
        (AT_BASE, interp_base),
        (AT_FLAGS, 0),
        (AT_ENTRY, image.entry + bias),
    ]
}
