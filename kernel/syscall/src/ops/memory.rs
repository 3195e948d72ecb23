//! Memory management calls: the program break, mappings of memory and of files,
//! their rights, and writing shared file mappings back (chapter 2's process-control
//! family: "allocate and free memory").
//!
//! A file mapping is a region of the caller's address space whose pages are the
//! file's page-cache pages, or a shared-memory segment's frames (see `mm::filemap`); what the caller may do with it
//! follows how the descriptor was opened, as POSIX says: reading needs a descriptor
//! open for reading, a shared writable mapping one open for reading and writing.

use crate::arg::Fd;
use crate::table::{Ctx, SysResult};
use abi::flags::*;
use abi::Errno;

fn vm_errno(e: mm::VmError) -> Errno {
    match e {
        mm::VmError::NoMemory => Errno::ENOMEM,
        mm::VmError::Denied => Errno::EACCES,
        mm::VmError::BeyondEnd => Errno::EIO,
        mm::VmError::BadAddress | mm::VmError::Invalid => Errno::EINVAL,
    }
}

fn prot_of(prot: u32) -> mm::Prot {
    mm::Prot {
        read: prot & PROT_READ != 0 || prot & (PROT_WRITE | PROT_EXEC) != 0,
        write: prot & PROT_WRITE != 0,
        exec: prot & PROT_EXEC != 0,
    }
}

/// The caller's `RLIMIT_AS`: how many bytes all its regions together may span.
fn as_limit(p: &proc::Process) -> u64 {
    p.limits.lock().soft(abi::resource::RLIMIT_AS)
}

/// Move the break; growing past `RLIMIT_AS` leaves it where it is (as Linux does).
pub fn brk(cx: &mut Ctx, end: u64) -> SysResult {
    let p = cx.process()?;
    let limit = as_limit(&p);
    let mut s = p.aspace.lock();
    let s = s.as_mut().ok_or(Errno::EINVAL)?;
    let grow = end.saturating_sub(s.brk().next_multiple_of(hal::addr::PAGE_SIZE));
    if end > s.brk() && s.mapped_bytes().saturating_add(grow) > limit {
        return Ok(s.brk() as usize);
    }
    Ok(s.set_brk(end) as usize)
}

/// Map `len` bytes: anonymous memory (`MAP_ANONYMOUS`, `fd` and `off` unused), or the
/// file open as `fd` from offset `off` (a multiple of the page size), `MAP_SHARED` or
/// `MAP_PRIVATE`. `MAP_FIXED` maps exactly at `hint`, replacing what was there.
pub fn mmap(
    cx: &mut Ctx,
    hint: u64,
    len: u64,
    prot: u32,
    flags: u32,
    fd: u64,
    off: u64,
) -> SysResult {
    if len == 0 || len > (1 << 40) {
        return Err(Errno::EINVAL);
    }
    let shared = flags & MAP_SHARED != 0;
    let file = if flags & MAP_ANONYMOUS != 0 {
        if shared {
            return Err(Errno::EOPNOTSUPP); // shared anonymous memory: not yet
        }
        None
    } else {
        if shared == (flags & MAP_PRIVATE != 0) {
            return Err(Errno::EINVAL); // exactly one of the two
        }
        if !off.is_multiple_of(hal::addr::PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let fd = i32::try_from(fd).map_err(|_| Errno::EBADF)?;
        let f = cx.file(Fd(fd))?;
        let acc = f.flags() & O_ACCMODE;
        let pager: alloc::sync::Arc<dyn mm::Pager> = match f.node() {
            Some(node) => {
                if fsys::stat(node)?.mode & S_IFMT != S_IFREG {
                    return Err(Errno::ENODEV);
                }
                if acc == O_WRONLY {
                    return Err(Errno::EACCES);
                }
                fsys::pages::NodePager::new_named(node, mapped_name(&f))?
            }
            // Not a node: an object that maps itself (a shared-memory segment).
            None => {
                let m = f.mmap(off, len)?;
                if acc == O_WRONLY {
                    return Err(Errno::EACCES);
                }
                m.pager
            }
        };
        Some(mm::FileMap {
            pager,
            offset: off,
            shared,
            writable_file: acc == O_RDWR,
        })
    };
    let p = cx.process()?;
    let limit = as_limit(&p);
    let mut s = p.aspace.lock();
    let s = s.as_mut().ok_or(Errno::EINVAL)?;
    // RLIMIT_AS counts every region (a MAP_FIXED that replaces pages is counted as
    // if it added them: the check is made before anything is unmapped).
    if s.mapped_bytes().saturating_add(len) > limit {
        return Err(Errno::ENOMEM);
    }
    let at = if flags & MAP_FIXED != 0 {
        if !hint.is_multiple_of(hal::addr::PAGE_SIZE) || hint == 0 {
            return Err(Errno::EINVAL);
        }
        s.unmap(hint, len).map_err(vm_errno)?;
        hint
    } else {
        s.find_free(hint, len).ok_or(Errno::ENOMEM)?
    };
    let prot = prot_of(prot);
    match file {
        Some(f) => s.map_file(at, len, prot, f),
        None => s.map(at, len, prot, mm::VmaKind::Mmap),
    }
    .map_err(vm_errno)?;
    Ok(at as usize)
}

pub fn munmap(cx: &mut Ctx, addr: u64, len: u64) -> SysResult {
    let p = cx.process()?;
    let mut s = p.aspace.lock();
    let s = s.as_mut().ok_or(Errno::EINVAL)?;
    s.unmap(addr, len).map_err(|_| Errno::EINVAL)?;
    Ok(0)
}

/// Give the pages of `[addr, addr+len)` the rights `prot` (ENOMEM if some page is
/// not mapped, EACCES to make a shared mapping of a read-only descriptor writable).
pub fn mprotect(cx: &mut Ctx, addr: u64, len: u64, prot: u32) -> SysResult {
    let p = cx.process()?;
    let mut s = p.aspace.lock();
    let s = s.as_mut().ok_or(Errno::EINVAL)?;
    let prot = if prot == 0 {
        mm::Prot {
            read: false,
            write: false,
            exec: false,
        }
    } else {
        prot_of(prot)
    };
    s.protect(addr, len, prot).map_err(vm_errno)?;
    Ok(0)
}

/// Write the shared file mappings in `[addr, addr+len)` back to their files; with
/// `MS_SYNC` or `MS_ASYNC` alike the call returns once the data is written to the
/// file system (there is no separate asynchronous path).
pub fn msync(cx: &mut Ctx, addr: u64, len: u64, flags: u32) -> SysResult {
    if flags & !(MS_ASYNC | MS_SYNC | MS_INVALIDATE) != 0
        || flags & (MS_ASYNC | MS_SYNC) == MS_ASYNC | MS_SYNC
    {
        return Err(Errno::EINVAL);
    }
    let p = cx.process()?;
    // The write-back takes the VFS: done without the address space's lock held
    // for longer than collecting the files.
    let s = p.aspace.lock();
    let s = s.as_ref().ok_or(Errno::EINVAL)?;
    s.sync_range(addr, len).map_err(vm_errno)?;
    Ok(0)
}

/// The path a mapped file is named by in `/proc/PID/maps`: the one it was opened by,
/// made absolute from the directory it started at.
fn mapped_name(f: &files::OpenFile) -> Option<alloc::string::String> {
    let o = f.origin()?;
    let path = alloc::string::String::from_utf8_lossy(&o.path);
    if path.starts_with('/') {
        return Some(path.into_owned());
    }
    let dir = fsys::tree::path_of(o.cwd).ok()?;
    Some(alloc::format!("{}/{path}", dir.trim_end_matches('/')))
}
