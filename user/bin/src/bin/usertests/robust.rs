//! Robustness: what a hostile program did to bring the kernel down, each case now a test
//! that the kernel refuses it and carries on (issue 8's fuzzing findings).
//!
//! - fork leaked kernel heap on every call (checked with the heap count, not only
//!   frames);
//! - a signal delivered with the stack pointer near address 0 underflowed the frame
//!   arithmetic (a kernel panic): the program must die of SIGSEGV instead;
//! - a program placed in the last page of user space could make the kernel return to
//!   a non-canonical address: that page is no longer loadable, and a `fork` at the end
//!   of the page below it faults in the program, not in the kernel;
//! - `munmap` of a huge range walked every page with interrupts off (minutes with the
//!   whole system frozen); regions had no limit;
//! - orphans of a process that exits while init sleeps in `waitpid` were never reaped;
//! - init could be killed, and any process could join init's process group;
//! - (sysfuzz on two CPUs) `fork` held the parent's limits spinlock while it took the
//!   VFS's sleeping lock; a fork that had to wait there left the limits locked, and
//!   the parent's next timer tick spun on them forever with interrupts off.

use crate::{
    ctx, ensure, expect_signal, fork_child, no_leak_with_heap, settled_usage, usage, wait_for,
    TestResult,
};
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use ulib::abi::flags::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};
use ulib::abi::nr;
use ulib::abi::signal::{SIGKILL, SIGSEGV, SIGTERM, SIGUSR1};
use ulib::process::{self, Command, Handler};
use ulib::{sys, Errno};

pub fn fork_1000_times_leaks_nothing() -> TestResult {
    no_leak_with_heap(1000, || {
        let pid = fork_child(|| 0)?;
        let st = wait_for(pid)?;
        ensure(st.code() == Some(0), || format!("child ended with {st}"))
    })
}

extern "C" fn on_usr1(_sig: u32) {}

/// Make `kill(self, SIGUSR1)` with the stack pointer set to `sp`, so the signal is
/// delivered on return from the call with that stack. Never returns: either the
/// kernel kills the process or the handler runs on a stack that cannot hold it.
#[allow(unsafe_code)]
fn signal_with_stack_at(sp: u64) -> ! {
    let me = process::id() as u64;
    // SAFETY: the process only makes the system call with a stack pointer of its
    // choosing and never touches that stack itself; whatever happens next (it is
    // expected to be killed) does not return into Rust code.
    unsafe {
        core::arch::asm!(
            "mov rsp, {sp}",
            "syscall",
            "ud2",
            sp = in(reg) sp,
            in("rax") nr::KILL,
            in("rdi") me,
            in("rsi") SIGUSR1 as u64,
            options(noreturn)
        )
    }
}

pub fn signal_with_a_stack_near_address_zero_is_sigsegv() -> TestResult {
    // 824..839 made the old frame arithmetic reach 0 and subtract 8 (a kernel panic);
    // the others are below any room for a frame, in the non-canonical hole, or kernel.
    for sp in [
        830u64,
        824,
        839,
        0,
        8,
        700,
        0x0000_8000_0000_0400,
        0xffff_8000_0001_0000,
    ] {
        let pid = fork_child(|| {
            if process::signal(SIGUSR1, Handler::Call(on_usr1)).is_err() {
                return 2;
            }
            signal_with_stack_at(sp)
        })?;
        expect_signal(
            pid,
            SIGSEGV,
            &format!("a signal delivered with rsp {sp:#x}"),
        )?;
    }
    Ok(())
}

/// A minimal static dinos executable: one read+execute PT_LOAD of one page at `page`,
/// mapped from file offset 0, with `code` at the end of the page and the entry point on
/// it, and the dinos ABI note (a PT_NOTE) that makes it a dinos program, not a Linux one.
fn one_page_elf(page: u64, code: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 4096];
    let entry = page + 4096 - code.len() as u64;
    f[0..4].copy_from_slice(b"\x7fELF");
    f[4] = 2; // 64-bit
    f[5] = 1; // little-endian
    f[6] = 1; // version
    f[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[24..32].copy_from_slice(&entry.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    f[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    f[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    f[56..58].copy_from_slice(&2u16.to_le_bytes()); // e_phnum
    let ph = &mut f[64..120];
    ph[0..4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    ph[4..8].copy_from_slice(&5u32.to_le_bytes()); // R + X
    ph[8..16].copy_from_slice(&0u64.to_le_bytes()); // p_offset
    ph[16..24].copy_from_slice(&page.to_le_bytes()); // p_vaddr
    ph[24..32].copy_from_slice(&page.to_le_bytes()); // p_paddr
    ph[32..40].copy_from_slice(&4096u64.to_le_bytes()); // p_filesz
    ph[40..48].copy_from_slice(&4096u64.to_le_bytes()); // p_memsz
    ph[48..56].copy_from_slice(&4096u64.to_le_bytes()); // p_align
                                                        // The note: namesz 6, descsz 4, type 1, "dinos\0" padded to 8, ABI version 1.
    let note: [u8; 24] = [
        6, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, b'd', b'i', b'n', b'o', b's', 0, 0, 0, 1, 0, 0, 0,
    ];
    f[176..200].copy_from_slice(&note);
    let ph = &mut f[120..176];
    ph[0..4].copy_from_slice(&4u32.to_le_bytes()); // PT_NOTE
    ph[4..8].copy_from_slice(&4u32.to_le_bytes()); // R
    ph[8..16].copy_from_slice(&176u64.to_le_bytes()); // p_offset
    ph[16..24].copy_from_slice(&(page + 176).to_le_bytes()); // p_vaddr
    ph[32..40].copy_from_slice(&24u64.to_le_bytes()); // p_filesz
    ph[40..48].copy_from_slice(&24u64.to_le_bytes()); // p_memsz
    ph[48..56].copy_from_slice(&4u64.to_le_bytes()); // p_align
    let at = 4096 - code.len();
    f[at..].copy_from_slice(code);
    f
}

/// `mov eax, FORK; syscall`: the return address is the byte after the page.
const FORK_AT_THE_END: [u8; 7] = [0xb8, nr::FORK as u8, 0, 0, 0, 0x0f, 0x05];

fn write_program(path: &str, bytes: &[u8]) -> TestResult {
    let _ = ulib::fs::remove_file(path);
    let mut f = ctx(
        ulib::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .mode(0o755)
            .open(path),
        &format!("create {path}"),
    )?;
    ctx(
        ulib::io::Write::write_all(&mut f, bytes),
        "write the program",
    )
}

pub fn programs_cannot_reach_the_top_of_user_space() -> TestResult {
    // In the very last page the fork's return address would be non-canonical: refused.
    let top = one_page_elf(0x7fff_ffff_f000, &FORK_AT_THE_END);
    write_program("/tmp/ut_top", &top)?;
    let r = Command::new("/tmp/ut_top").status();
    let _ = ulib::fs::remove_file("/tmp/ut_top");
    match r {
        Err(Errno::ENOEXEC) => {}
        other => {
            return Err(format!(
                "a program in the last user page: {other:?}, expected ENOEXEC"
            ))
        }
    }
    // One page lower it loads; parent and child both return to the (unmapped) page
    // above and die of SIGSEGV, and nothing else happens.
    let below = one_page_elf(0x7fff_ffff_e000, &FORK_AT_THE_END);
    write_program("/tmp/ut_below", &below)?;
    let before = usage()?;
    let r = Command::new("/tmp/ut_below").status();
    let _ = ulib::fs::remove_file("/tmp/ut_below");
    let st = ctx(r, "spawn a program in the page below the top")?;
    ensure(st.signal() == Some(SIGSEGV), || {
        format!("the program forking at the end of its page ended with {st}, expected SIGSEGV")
    })?;
    // Its child was handed to init, which reaps it: the process count comes back.
    for _ in 0..100 {
        if usage()?.procs == before.procs {
            return Ok(());
        }
        ulib::time::sleep(ulib::time::Duration::from_millis(10));
    }
    Err(format!(
        "processes {} -> {}: the forked child was not reaped",
        before.procs,
        usage()?.procs
    ))
}

#[allow(unsafe_code)]
fn raw(call: usize, a: [usize; 6]) -> sys::SysResult {
    // SAFETY: memory calls on ranges this test mapped itself (no Rust object lives in
    // them) or on ranges nothing is mapped in.
    Errno::decode(unsafe { sys::syscall6(call, a) })
}

#[allow(unsafe_code)]
fn poke(addr: usize) {
    // SAFETY: `addr` is in a page this test mapped read-write; nothing else uses it.
    unsafe { core::ptr::write_volatile(addr as *mut u8, 1) }
}

/// Nearly all of user space unmapped in one call, after touching a few pages: the walk
/// follows the page tables, so this returns at once (page by page it took about 15
/// minutes of guest time, with the machine frozen). The range runs from the mmap area
/// to just below the stack, leaving the program's code and stack in place.
pub fn munmap_of_all_user_space_is_prompt_and_frees_everything() -> TestResult {
    let before = settled_usage()?;
    let pid = fork_child(|| {
        let rw = (PROT_READ | PROT_WRITE) as usize;
        let anon = (MAP_PRIVATE | MAP_ANONYMOUS) as usize;
        let Ok(a) = raw(nr::MMAP, [0, 16 * 4096, rw, anon, 0, 0]) else {
            return 2;
        };
        for i in 0..16 {
            poke(a + i * 4096);
        }
        // A huge range with nothing in it.
        if raw(nr::MUNMAP, [0x1000_0000_0000, 16 << 40, 0, 0, 0, 0]).is_err() {
            return 3;
        }
        // From the mmap area (which holds the pages just touched) to below the stack.
        let (from, to) = (0x1000_0000usize, 0x7fff_0000_0000usize);
        if a < from || a >= to || raw(nr::MUNMAP, [from, to - from, 0, 0, 0, 0]).is_err() {
            return 4;
        }
        7
    })?;
    let st = wait_for(pid)?;
    ensure(st.code() == Some(7), || {
        format!("the child ended with {st}, expected exit status 7")
    })?;
    let after = settled_usage()?;
    ensure(after.free_frames == before.free_frames, || {
        format!(
            "free frames {} -> {}",
            before.free_frames, after.free_frames
        )
    })
}

/// Map single pages with gaps between them until the kernel says ENOMEM: it must do so
/// at its region limit, and everything must come back afterwards.
pub fn mapping_regions_without_end_gives_enomem() -> TestResult {
    let before = settled_usage()?;
    let pid = fork_child(|| {
        let base = 0x2000_0000usize;
        let mut n = 0;
        loop {
            let hint = base + n * 2 * 4096;
            match raw(
                nr::MMAP,
                [
                    hint,
                    4096,
                    (PROT_READ | PROT_WRITE) as usize,
                    (MAP_PRIVATE | MAP_ANONYMOUS) as usize,
                    0,
                    0,
                ],
            ) {
                Ok(_) => n += 1,
                Err(Errno::ENOMEM) => break,
                Err(_) => return 2,
            }
            if n > 100_000 {
                return 3; // no limit
            }
        }
        if n < 1000 {
            return 4; // the limit is far too low for real programs
        }
        0
    })?;
    let st = wait_for(pid)?;
    ensure(st.code() == Some(0), || {
        format!("the region hog ended with {st}")
    })?;
    let after = settled_usage()?;
    ensure(after.free_frames == before.free_frames, || {
        format!(
            "free frames {} -> {}",
            before.free_frames, after.free_frames
        )
    })
}

fn zombies_of_init() -> Result<usize, alloc::string::String> {
    let ps = ctx(ulib::info::processes(), "proclist")?;
    Ok(ps.iter().filter(|p| p.ppid == 1 && p.state == 'Z').count())
}

/// A child forks grandchildren and exits at once; they go to init (asleep in
/// `waitpid` for the shell) and exit a little later. init must reap every one.
pub fn orphans_are_reaped_by_init() -> TestResult {
    let before = usage()?.procs;
    let pid = fork_child(|| {
        for _ in 0..20 {
            match process::fork() {
                Ok(process::Fork::Child) => {
                    ulib::time::sleep(ulib::time::Duration::from_millis(30));
                    process::exit(0)
                }
                Ok(process::Fork::Parent(_)) => {}
                Err(_) => return 2,
            }
        }
        0
    })?;
    let st = wait_for(pid)?;
    ensure(st.code() == Some(0), || {
        format!("the parent ended with {st}")
    })?;
    for _ in 0..200 {
        if usage()?.procs == before && zombies_of_init()? == 0 {
            return Ok(());
        }
        ulib::time::sleep(ulib::time::Duration::from_millis(10));
    }
    Err(format!(
        "{} processes left over, {} of them zombies of init",
        usage()?.procs as i64 - before as i64,
        zombies_of_init()?
    ))
}

pub fn init_survives_signals_and_keeps_its_group() -> TestResult {
    // init has no handler for these: as on Linux, they are not delivered to it.
    for sig in [SIGKILL, SIGTERM, SIGSEGV] {
        ctx(process::kill(1, sig), &format!("kill(1, {sig})"))?;
    }
    ulib::time::sleep(ulib::time::Duration::from_millis(50));
    let ps = ctx(ulib::info::processes(), "proclist")?;
    let init = ps.iter().find(|p| p.pid == 1).ok_or("init is gone")?;
    ensure(init.state != 'Z', || "init was killed".into())?;
    // Nobody outside init's session joins its group (which would let kill(0, ..) reach
    // init), neither by setpgid nor when spawned.
    ensure(process::setpgid(0, 1) == Err(Errno::EPERM), || {
        format!(
            "setpgid(0, 1) = {:?}, expected EPERM",
            process::setpgid(0, 1)
        )
    })?;
    let pid = fork_child(|| match process::setpgid(0, 1) {
        Err(Errno::EPERM) => 0,
        Ok(()) => 1,
        Err(_) => 2,
    })?;
    crate::expect_exit(pid, 0, "a child asking to join init's group")?;
    let r = Command::new("/bin/true").process_group(1).status();
    ensure(r == Err(Errno::EPERM), || {
        format!("spawn into init's group: {r:?}, expected EPERM")
    })
}

/// The fork that slept holding a spinlock: a helper process keeps the VFS busy (its
/// lock contended), a thread of this process spins in user mode (the timer charges
/// its ticks to this process, checking `RLIMIT_CPU` under the limits lock), and the
/// main thread forks in a loop. Before the fix the machine froze (on one CPU) or lost
/// a CPU (on two) within a few hundred forks; now every fork returns.
pub fn fork_while_the_vfs_is_busy_and_a_thread_ticks() -> TestResult {
    const FORKS: u32 = 400;
    let busy = fork_child(|| {
        let mut st = ulib::abi::Stat::default();
        loop {
            for p in ["/", "/bin", "/tmp", "/dev", "/etc"] {
                let _ = sys::stat(p, &mut st);
            }
        }
    })?;
    let stop = alloc::sync::Arc::new(core::sync::atomic::AtomicBool::new(false));
    let s = stop.clone();
    let spinner = ulib::thread::spawn(move || {
        let mut x = 1u64;
        while !s.load(core::sync::atomic::Ordering::Relaxed) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        core::hint::black_box(x);
    })
    .map_err(|e| format!("thread: {e}"))?;
    let mut result = Ok(());
    for i in 0..FORKS {
        match fork_child(|| 0).and_then(wait_for) {
            Ok(st) if st.code() == Some(0) => {}
            Ok(st) => {
                result = Err(format!("fork {i}: child ended with {st}"));
                break;
            }
            Err(e) => {
                result = Err(format!("fork {i}: {e}"));
                break;
            }
        }
    }
    stop.store(true, core::sync::atomic::Ordering::Relaxed);
    spinner.join();
    let _ = sys::kill(i64::from(busy), SIGKILL);
    let _ = wait_for(busy);
    result
}
