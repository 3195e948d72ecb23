//! Loading a program: from an ELF file on disk to a fresh address space ready to run
//! (chapter 2 section 5, the loader).
//!
//! The headers (the first page of the file) are checked by the `elf` crate (anything
//! malformed is `ENOEXEC`, never loaded). A dynamically linked program's interpreter
//! is found, checked and mapped beside it, and started instead (`image.rs`). Each loadable segment becomes a region with
//! the segment's rights. A read-only segment with no zero-filled tail (the code, the
//! constants) is *mapped* from the file, privately, so its pages come from the page
//! cache on first touch and are shared by every process running the program: exec
//! costs what the program touches, not its size (demand paging). Any other segment
//! (data and bss) is copied in, the rest zero. The heap starts after the highest
//! segment of the program. The stack is a region just below the top of user space, and on it the
//! loader builds what the program's start code expects -- the third way of passing
//! parameters the chapter names:
//!
//! ```text
//!   high   strings: argv[i], envp[i], the path, "x86_64", 16 random bytes
//!          (padding to 16)
//!          auxv: (AT_PHDR, ..) (AT_PAGESZ, 4096) (AT_ENTRY, ..) ... (AT_NULL, 0)
//!          0, envp[n-1] .. envp[0]
//!          0, argv[argc-1] .. argv[0]
//!   rsp -> argc
//! ```

use abi::auxv::*;
use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use cred::{permits, Access, Credentials};
use fsys::NodeRef;
use mm::{AddressSpace, Prot, VmaKind};

/// Top of the user stack region (its size is the process's `RLIMIT_STACK`, 8 MiB
/// by default: see `limits.rs`).
pub const STACK_TOP: u64 = 0x7fff_ffff_0000;
/// Largest executable accepted.
pub const MAX_IMAGE: u64 = 64 << 20;
/// Total bytes of argument and environment strings.
pub const ARG_MAX: usize = 128 * 1024;

/// A loaded program, not yet running.
pub struct Loaded {
    pub aspace: AddressSpace,
    pub entry: u64,
    pub sp: u64,
    /// The system-call ABI the program speaks.
    pub personality: crate::personality::Personality,
    /// The credentials the program runs with, when they differ from the caller's:
    /// a set-user-id or set-group-id file (see `Credentials::after_exec`).
    pub cred: Option<Credentials>,
    /// What a core dump says about the program: its path, arguments, auxv.
    pub info: crate::coredump::ExecInfo,
}

fn vm_errno(e: mm::VmError) -> Errno {
    match e {
        mm::VmError::NoMemory => Errno::ENOMEM,
        _ => Errno::ENOEXEC,
    }
}

/// Load the program at `path` with these arguments and environment, as `cred` may:
/// search permission on the way, execute permission on the file.
pub fn load(
    cred: &Credentials,
    limits: &crate::limits::Limits,
    cwd: NodeRef,
    path: &str,
    argv: &[String],
    envp: &[String],
) -> Result<Loaded, Errno> {
    let total: usize = argv.iter().chain(envp).map(|s| s.len() + 1).sum();
    if total > ARG_MAX {
        return Err(Errno::E2BIG);
    }
    let node = fsys::resolve(cred, cwd, path, true)?;
    // A program must be a regular file the caller may execute (for root: one with
    // some execute bit, see `cred::permits`).
    let st = fsys::stat(node)?;
    if st.mode & abi::flags::S_IFMT != abi::flags::S_IFREG
        || !permits(cred, st.uid, st.gid, st.mode, Access::EXEC)
    {
        return Err(Errno::EACCES);
    }
    if st.size > MAX_IMAGE {
        return Err(Errno::ENOEXEC);
    }
    // Set-user-id and set-group-id files run with their owner's rights, except on a
    // `nosuid` mount; on any exec the saved ids become the effective ones. Most
    // execs change nothing, so nothing is copied then.
    let set_id = st.mode & (cred::S_ISUID | cred::S_ISGID) != 0 && !fsys::is_nosuid(node);
    let mode = if set_id {
        st.mode
    } else {
        st.mode & !(cred::S_ISUID | cred::S_ISGID)
    };
    let new_cred = (set_id || cred.suid != cred.euid || cred.sgid != cred.egid)
        .then(|| cred.after_exec(st.uid, st.gid, mode))
        .filter(|c| c != cred);
    let image = read_headers(node, st.size).map_err(|e| {
        log::debug!("exec {path}: {e}");
        Errno::ENOEXEC
    })?;
    // The program's ABI must have a system-call table before anything is built.
    let Some(personality) = crate::personality::Personality::of_image(&image) else {
        log::warn!(
            "exec {path}: ELF OS ABI {} is none this kernel speaks",
            image.os_abi
        );
        return Err(Errno::ENOEXEC);
    };
    crate::personality::entry(personality)?;
    // A dynamically linked program: its interpreter (the dynamic linker) is found
    // and checked before anything is built (docs/linking.md).
    let interp = match &image.interp {
        Some(ip) => Some(crate::image::open_interpreter(
            cred,
            cwd,
            path,
            ip,
            personality,
        )?),
        None => None,
    };
    // A position-independent program goes at a random base (`image.rs`).
    let bias = crate::image::choose_base(&image, crate::image::PIE_BASE);
    let mut a = AddressSpace::new().map_err(|_| Errno::ENOMEM)?;
    let top = crate::image::map_segments(&mut a, node, &image, bias, path)?;
    let (entry, interp_base) = match &interp {
        Some((inode, iimage)) => {
            let base = match iimage.kind {
                elf::ImageKind::Fixed => 0,
                _ => crate::image::choose_base(iimage, crate::image::INTERP_BASE),
            };
            let name = image.interp.as_deref().unwrap_or(path);
            crate::image::map_segments(&mut a, *inode, iimage, base, name)?;
            // AT_BASE says where the interpreter is: its base, or for one linked at
            // fixed addresses (`ld-dinos`) its lowest page, so that the program's start
            // code can tell an interpreter ran before it (ulib's per-thread TLS).
            let at_base = match iimage.kind {
                elf::ImageKind::Fixed => iimage.segments.first().map_or(0, |s| s.vaddr & !0xfff),
                _ => base,
            };
            (iimage.entry + base, at_base)
        }
        None => (image.entry + bias, 0),
    };
    a.init_heap(top);
    // The stack region is as big as RLIMIT_STACK says; all regions together must fit
    // in RLIMIT_AS.
    let stack_size = limits.stack_size();
    a.map(STACK_TOP - stack_size, stack_size, Prot::RW, VmaKind::Stack)
        .map_err(vm_errno)?;
    if a.mapped_bytes() > limits.soft(abi::resource::RLIMIT_AS) {
        return Err(Errno::ENOMEM);
    }
    // The ids the program runs with (a set-id file's, if it is one).
    let runs_as = new_cred.as_ref().unwrap_or(cred);
    let mut aux = crate::image::placement_aux(&image, bias, interp_base);
    aux.extend([
        (AT_UID, runs_as.ruid as u64),
        (AT_EUID, runs_as.euid as u64),
        (AT_GID, runs_as.rgid as u64),
        (AT_EGID, runs_as.egid as u64),
        // cpuid leaf 1's EDX, as Linux gives it.
        (AT_HWCAP, hal::cpu::cpuid(1).3 as u64),
        (AT_CLKTCK, 100),
        (AT_SECURE, new_cred.is_some() as u64),
    ]);
    let (sp, auxv) = build_stack(&mut a, path, argv, envp, &aux)?;
    Ok(Loaded {
        aspace: a,
        entry,
        sp,
        personality,
        cred: new_cred,
        info: crate::coredump::ExecInfo {
            path: absolute(cwd, path),
            args: argv.join(" "),
            auxv,
        },
    })
}

/// `path` as an absolute path (relative ones start at `cwd`, whose path the file
/// tree knows; a file's own path it does not).
fn absolute(cwd: NodeRef, path: &str) -> String {
    if path.starts_with('/') {
        return String::from(path);
    }
    match fsys::path_of(cwd) {
        Ok(dir) if dir.ends_with('/') => alloc::format!("{dir}{path}"),
        Ok(dir) => alloc::format!("{dir}/{path}"),
        Err(_) => String::from(path),
    }
}

/// Bytes of a program read to check its headers: they sit in the first page.
const HEAD: u64 = 4096;

/// Check the headers of the program in `node` (`size` bytes): from its first page,
/// or, for the rare file whose headers lie further in, from the whole file.
pub(crate) fn read_headers(node: NodeRef, size: u64) -> Result<elf::ExecImage, elf::ElfError> {
    let limits = elf::Limits::default();
    let head = read_range(node, 0, size.min(HEAD)).map_err(|_| elf::ElfError::TruncatedHeader)?;
    match elf::parse_executable_head(&head, size as usize, &limits) {
        Err(elf::ElfError::PastHead) => {
            let whole =
                fsys::read_all(node, MAX_IMAGE).map_err(|_| elf::ElfError::TruncatedHeader)?;
            elf::parse_executable(&whole, &limits)
        }
        r => r,
    }
}

/// `len` bytes of `node` from `off` (the headers have checked they are in the file).
pub(crate) fn read_range(node: NodeRef, off: u64, len: u64) -> Result<Vec<u8>, Errno> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len as usize)
        .map_err(|_| Errno::ENOMEM)?;
    buf.resize(len as usize, 0);
    let n = fsys::read(node, off, &mut buf)?;
    if n < buf.len() {
        return Err(Errno::ENOEXEC); // the file shrank under us
    }
    Ok(buf)
}

/// Build the initial stack; returns the stack pointer (at `argc`) and the auxiliary
/// vector as placed (with `AT_RANDOM` and `AT_NULL`).
fn build_stack(
    a: &mut AddressSpace,
    execfn: &str,
    argv: &[String],
    envp: &[String],
    aux: &[(u64, u64)],
) -> Result<(u64, Vec<(u64, u64)>), Errno> {
    let mut sp = STACK_TOP;
    let mut push_bytes = |a: &mut AddressSpace, b: &[u8]| -> Result<u64, Errno> {
        sp -= b.len() as u64;
        a.write_initial(sp, b).map_err(vm_errno)?;
        Ok(sp)
    };
    let mut argp = Vec::new();
    for s in argv {
        let mut b = Vec::from(s.as_bytes());
        b.push(0);
        argp.push(push_bytes(a, &b)?);
    }
    let mut envp_ptrs = Vec::new();
    for s in envp {
        let mut b = Vec::from(s.as_bytes());
        b.push(0);
        envp_ptrs.push(push_bytes(a, &b)?);
    }
    let mut b = Vec::from(execfn.as_bytes());
    b.push(0);
    let execfn_at = push_bytes(a, &b)?;
    let platform_at = push_bytes(a, b"x86_64\0")?;
    // 16 bytes for the program's own use (C libraries seed stack canaries and
    // pointer guards with them).
    let mut random = [0u8; 16];
    devices::builtin::fill_random(&mut random);
    let random_at = push_bytes(a, &random)?;
    let mut words: Vec<u64> = Vec::new();
    words.push(argv.len() as u64);
    words.extend(&argp);
    words.push(0);
    words.extend(&envp_ptrs);
    words.push(0);
    let mut auxv = Vec::from(aux);
    auxv.extend([
        (AT_RANDOM, random_at),
        (AT_EXECFN, execfn_at),
        (AT_PLATFORM, platform_at),
        (AT_NULL, 0),
    ]);
    for &(k, v) in &auxv {
        words.push(k);
        words.push(v);
    }
    let mut at = (sp - words.len() as u64 * 8) & !15;
    let start = at;
    for w in words {
        a.write_initial(at, &w.to_le_bytes()).map_err(vm_errno)?;
        at += 8;
    }
    Ok((start, auxv))
}
