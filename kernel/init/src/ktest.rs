//! In-kernel tests, run when the command line says `ktest` (the Asterinas ktest idea).
//!
//! They exercise the mechanisms that can only be tested on the machine: frames, the
//! heap, page tables and their permission bits, guard pages, threads, preemption, wait
//! queues, sleep and the mutex, device-register mappings, DMA memory and the disk
//! registry; (`regtest`) the device and file-system-type registries; (`extendtest`)
//! the PCI driver and system-call registries; and
//! (`accounttest`) the resident and fault counts `getrusage` reads; and
//! (`credtest`) that a non-root credential is refused by the permission checks and
//! `capable`, where root is not. Each prints `ktest: NAME ... ok` or `... FAILED: why`
//! over the console (after a `ktest: start NAME` line, so a test that never returns is
//! named); `cargo xtask test` reads those lines. The run ends with QEMU's
//! exit status saying whether all passed.
//!
//! `ktest=pagefault`, `ktest=overflow`, `ktest=oom` and `ktest=panic` instead each do
//! one deliberately fatal thing (and `ktest=bench` runs the in-guest micro-benchmarks), so the harness can check that the kernel reports it
//! (name, address, backtrace) and stops QEMU promptly.

use crate::{accounttest, credtest, extendtest, regtest, usertest};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use hal::addr::{PhysAddr, VirtAddr, PAGE_SIZE};
use hal::kprintln;
use hal::paging::{PageFlags, PageSize, PageTable};

pub type TestResult = Result<(), String>;
type Test = (&'static str, fn() -> TestResult);

macro_rules! check {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(alloc::format!($($msg)*));
        }
    };
}

/// `(name, function)` pairs, the name taken from the function's own.
macro_rules! tests {
    ($($path:path),* $(,)?) => { &[$((last_segment(stringify!($path)), $path)),*] };
}

const fn last_segment(path: &'static str) -> &'static str {
    let b = path.as_bytes();
    let mut i = b.len();
    while i > 0 && b[i - 1] != b':' && b[i - 1] != b' ' {
        i -= 1;
    }
    let (_, name) = path.split_at(i);
    name
}

const TESTS: &[Test] = tests![
    frames_alloc_free_restores_counts,
    frames_are_distinct_aligned_ram,
    heap_large_and_small_allocations_come_back,
    page_table_map_translate_unmap,
    kernel_mappings_have_exact_permissions,
    kernel_stack_has_unmapped_guard_page,
    threads_run_and_join,
    timer_preempts_busy_threads,
    wait_queue_wakes_a_sleeper,
    sleep_lasts_at_least_the_ticks_asked,
    mutex_excludes_under_contention,
    exited_threads_free_their_memory,
    log_ring_keeps_records,
    symbols_resolve_kernel_functions,
    mmio_refuses_ram_and_dma_buffers_are_checked,
    disks_are_registered_and_removed_at_run_time,
    usertest::user_mode_runs_and_makes_system_calls,
    usertest::user_pointer_to_kernel_memory_gets_efault,
    usertest::user_fault_ends_only_that_thread,
    usertest::syscall_entry_clears_the_flags_user_mode_set,
    usertest::return_to_a_non_canonical_address_is_a_user_fault,
    usertest::forked_child_with_a_non_canonical_rip_gets_a_user_fault,
    accounttest::resident_count_agrees_with_the_page_table_and_faults_are_counted,
    credtest::non_root_cannot_open_a_0600_file_of_roots,
    credtest::non_root_cannot_create_in_a_0755_directory_of_roots,
    credtest::non_root_cannot_call_a_privileged_operation,
    credtest::non_root_cannot_search_a_0700_directory_of_roots,
    extendtest::pci_driver_registered_at_run_time_binds_then_is_removed,
    extendtest::call_registered_at_run_time_is_dispatched_then_removed,
    // Last: they mount a tmpfs root, which no test above expects.
    regtest::chrdev_registered_at_run_time_is_opened_through_dev_then_removed,
    regtest::fs_type_registered_at_run_time_mounts_then_is_removed,
    // Last of all: it leaves a reported inversion behind on purpose.
    lock_order_inversion_is_reported,
];

/// A spinlock taken twice by one CPU: the second wait never ends. With `lockcheck`,
/// the checker must say who waits, for which lock, and who took it (the xtask's test
/// reads that, then stops the machine).
fn take_a_spinlock_twice() -> ! {
    let _first = ORDER_A.lock();
    kprintln!("ktest: taking init::ktest::ORDER_A a second time");
    let _second = ORDER_A.lock();
    unreachable!("a spinlock was taken twice")
}

static ORDER_A: hal::sync::SpinLock<()> = hal::sync::SpinLock::new(());
static ORDER_B: hal::sync::SpinLock<()> = hal::sync::SpinLock::new(());

/// B taken while holding A, then A while holding B: one thread, so nothing waits, but
/// two CPUs doing the two could deadlock, and the checker (on for this boot: the
/// xtask passes `lockcheck`) must say so the second time.
fn lock_order_inversion_is_reported() -> TestResult {
    check!(
        hal::lockcheck::is_on(),
        "the lock-order checker is off (no `lockcheck`)"
    );
    let (before, _, _) = hal::lockcheck::counts();
    {
        let _a = ORDER_A.lock();
        let _b = ORDER_B.lock();
    }
    check!(
        hal::lockcheck::counts().0 == before,
        "A then B alone was reported"
    );
    {
        let _b = ORDER_B.lock();
        let _a = ORDER_A.lock();
    }
    let (after, _, _) = hal::lockcheck::counts();
    check!(
        after == before + 1,
        "B then A: {} inversions reported, expected 1",
        after - before
    );
    // What the rest of the boot and the tests above gave the checker to look at.
    let (classes, orderings) = hal::lockcheck::graph_size();
    kprintln!("lockcheck: {classes} lock classes, {orderings} orderings seen");
    check!(
        classes > 10 && orderings > 10,
        "the checker saw almost nothing"
    );
    Ok(())
}

/// A thread that sleeps until the scheduler wakes it on a CPU other than the boot CPU,
/// then panics there: the report must name that CPU, the others having been stopped.
/// (Its wake-ups come from CPU 0's timer; the wake-up IPI lets an idle CPU take it.)
fn panic_on_another_cpu() -> ! {
    if hal::percpu::cpus_online() < 2 {
        panic!("ktest=panic-elsewhere needs more than one CPU");
    }
    let t = task::spawn("elsewhere", || {
        while hal::percpu::cpu_index() == 0 {
            task::sleep_ms(1);
        }
        panic!("deliberate panic on another CPU (ktest=panic-elsewhere)");
    })
    .expect("no memory for the test thread");
    t.join();
    unreachable!("the panicking thread returned")
}

pub fn run(which: &str) -> ! {
    match which {
        "" | "all" => run_all(),
        "pagefault" => deliberate_page_fault(),
        "overflow" => deliberate_stack_overflow(),
        "oom" => deliberate_heap_exhaustion(),
        "panic" => panic!("deliberate panic requested by ktest=panic"),
        "panic-elsewhere" => panic_on_another_cpu(),
        "lockstuck" => take_a_spinlock_twice(),
        "bench" => {
            match usertest::bench_null_syscall() {
                Ok(n) => kprintln!("kbench: null_syscall {n} ticks per call"),
                Err(e) => kprintln!("kbench: null_syscall failed: {e}"),
            }
            hal::power::poweroff()
        }
        other => {
            kprintln!("ktest: unknown test mode {other:?}");
            hal::power::exit_failure()
        }
    }
}

fn run_all() -> ! {
    kprintln!("ktest: running {} tests", TESTS.len());
    let mut failed = 0;
    for (name, test) in TESTS {
        // The verdict goes on a line of its own, so log output from the test
        // cannot split it; the line before names the test if it never returns.
        kprintln!("ktest: start {name}");
        match test() {
            Ok(()) => kprintln!("ktest: {name} ... ok"),
            Err(why) => {
                failed += 1;
                kprintln!("ktest: {name} ... FAILED: {why}");
            }
        }
    }
    kprintln!(
        "ktest: done: {} passed, {} failed",
        TESTS.len() - failed,
        failed
    );
    if failed == 0 {
        hal::power::poweroff()
    } else {
        hal::power::exit_failure()
    }
}

fn frames_alloc_free_restores_counts() -> TestResult {
    let before = mm::stats().frames;
    let a = mm::alloc_frame().ok_or("no frame")?;
    let b = mm::alloc_frames(4).ok_or("no 16-frame block")?;
    check!(
        mm::stats().frames.free_frames == before.free_frames - 17,
        "free count did not drop by 17"
    );
    mm::free_frame(a);
    mm::free_frames(b, 4);
    check!(
        mm::stats().frames == before,
        "counts differ after freeing: {:?} vs {:?}",
        mm::stats().frames,
        before
    );
    Ok(())
}

fn frames_are_distinct_aligned_ram() -> TestResult {
    let mut got: Vec<PhysAddr> = (0..256).filter_map(|_| mm::alloc_frame()).collect();
    check!(got.len() == 256, "only {} frames", got.len());
    let ok = got
        .iter()
        .all(|f| f.is_page_aligned() && f.as_u64() >= 0x10_0000);
    let mut sorted = got.clone();
    sorted.sort();
    sorted.dedup();
    for f in got.drain(..) {
        mm::free_frame(f);
    }
    check!(ok, "a frame was unaligned or in low memory");
    check!(sorted.len() == 256, "duplicate frames handed out");
    Ok(())
}

fn heap_large_and_small_allocations_come_back() -> TestResult {
    let before = mm::stats().heap;
    {
        let big: Vec<u8> = alloc::vec![0xa5; 1 << 20];
        let small: Vec<Box<u64>> = (0..1000).map(Box::new).collect();
        check!(big.iter().all(|&b| b == 0xa5), "big buffer corrupted");
        check!(
            small.iter().enumerate().all(|(i, b)| **b == i as u64),
            "small boxes corrupted"
        );
    }
    let after = mm::stats().heap;
    check!(
        after.used == before.used,
        "heap used {} -> {}",
        before.used,
        after.used
    );
    Ok(())
}

fn page_table_map_translate_unmap() -> TestResult {
    let before = mm::stats().frames.free_frames;
    {
        let mut t = PageTable::new().map_err(|e| alloc::format!("{e:?}"))?;
        let frame = mm::alloc_frame().ok_or("no frame")?;
        let va = VirtAddr(0x4000_0000);
        let flags = PageFlags::WRITABLE | PageFlags::USER | PageFlags::NO_EXECUTE;
        t.map(va, frame, PageSize::Size4K, flags)
            .map_err(|e| alloc::format!("{e:?}"))?;
        check!(
            t.map(va, frame, PageSize::Size4K, flags) == Err(hal::paging::MapError::AlreadyMapped),
            "double map accepted"
        );
        let (pa, f) = t
            .translate(VirtAddr(va.as_u64() + 0x123))
            .ok_or("not mapped")?;
        check!(
            pa.as_u64() == frame.as_u64() + 0x123,
            "wrong translation {pa:?}"
        );
        check!(f.contains(flags), "flags lost: {f:?}");
        t.protect(va, PageFlags::USER)
            .map_err(|e| alloc::format!("{e:?}"))?;
        let (_, f) = t.translate(va).ok_or("lost after protect")?;
        check!(!f.contains(PageFlags::WRITABLE), "protect kept WRITABLE");
        check!(t.unmap(va) == Ok(frame), "unmap returned the wrong frame");
        check!(t.translate(va).is_none(), "still mapped after unmap");
        check!(
            t.activate().is_err(),
            "a table without the kernel was activated"
        );
        mm::free_frame(frame);
    }
    let after = mm::stats().frames.free_frames;
    check!(
        after == before,
        "page-table frames leaked: {before} -> {after}"
    );
    Ok(())
}

fn kernel_mappings_have_exact_permissions() -> TestResult {
    let l = hal::addr::kernel_layout();
    let flags = |va: VirtAddr| hal::paging::translate_active(va).map(|t| t.1);
    let text = flags(l.text.0).ok_or("text unmapped")?;
    check!(!text.contains(PageFlags::WRITABLE), "text is writable");
    check!(
        !text.contains(PageFlags::NO_EXECUTE),
        "text is not executable"
    );
    let ro = flags(l.rodata.0).ok_or("rodata unmapped")?;
    check!(
        !ro.contains(PageFlags::WRITABLE) && ro.contains(PageFlags::NO_EXECUTE),
        "rodata flags {ro:?}"
    );
    let data = flags(l.data.0).ok_or("data unmapped")?;
    check!(
        data.contains(PageFlags::WRITABLE | PageFlags::NO_EXECUTE),
        "data flags {data:?}"
    );
    let direct = flags(PhysAddr(0x20_0000).to_virt()).ok_or("direct map missing")?;
    check!(
        direct.contains(PageFlags::NO_EXECUTE),
        "direct map is executable"
    );
    for f in [text, ro, data, direct] {
        check!(
            !f.contains(PageFlags::USER),
            "a kernel mapping is user-accessible: {f:?}"
        );
    }
    check!(
        flags(l.boot_stack_guard).is_none(),
        "boot stack guard page is mapped"
    );
    check!(
        flags(VirtAddr(0x10_0000)).is_none(),
        "the boot identity map is still there"
    );
    Ok(())
}

fn kernel_stack_has_unmapped_guard_page() -> TestResult {
    let (bottom, top) = hal::task::current().stack_bounds();
    // The probe stays alive until it has been looked at (an empty body could exit, and
    // leave the list, before the list is read: a timing failure seen under load).
    let looked = Arc::new(AtomicBool::new(false));
    let seen = looked.clone();
    let t = task::spawn("probe", move || {
        while !seen.load(Ordering::SeqCst) {
            task::yield_now();
        }
    })
    .map_err(|e| alloc::format!("{e:?}"))?;
    let listed = task::thread_list()
        .into_iter()
        .find(|i| i.tid == t.tid)
        .map(|i| i.stack);
    looked.store(true, Ordering::SeqCst);
    t.join();
    let (b, tp) = listed.ok_or("spawned thread not listed")?;
    check!(
        tp - b == hal::task::STACK_PAGES * PAGE_SIZE,
        "stack size {}",
        tp - b
    );
    check!(bottom < top, "kmain stack bounds inverted");
    let _ = (b, tp);
    // The stack is gone now that the thread has exited; check a live one instead.
    let flag = Arc::new(AtomicBool::new(false));
    let f2 = flag.clone();
    let probe = task::spawn("guard", move || {
        let (b, _) = hal::task::current().stack_bounds();
        let guard = hal::paging::translate_active(VirtAddr(b - PAGE_SIZE));
        let stack = hal::paging::translate_active(VirtAddr(b));
        f2.store(guard.is_none() && stack.is_some(), Ordering::SeqCst);
    })
    .map_err(|e| alloc::format!("{e:?}"))?;
    probe.join();
    check!(
        flag.load(Ordering::SeqCst),
        "guard page mapped or stack unmapped"
    );
    Ok(())
}

fn threads_run_and_join() -> TestResult {
    let count = Arc::new(AtomicU64::new(0));
    let ts: Vec<_> = (0..8)
        .map(|i| {
            let c = count.clone();
            task::spawn("worker", move || {
                c.fetch_add(i + 1, Ordering::SeqCst);
            })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| alloc::format!("{e:?}"))?;
    for t in &ts {
        t.join();
    }
    check!(
        count.load(Ordering::SeqCst) == 36,
        "sum {}",
        count.load(Ordering::SeqCst)
    );
    Ok(())
}

/// Two threads spin without ever yielding, each waiting to see the other run. Only a
/// timer that preempts can let both finish.
fn timer_preempts_busy_threads() -> TestResult {
    let a_ran = Arc::new(AtomicBool::new(false));
    let b_ran = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let spawn_spinner = |me: Arc<AtomicBool>, other: Arc<AtomicBool>, ok: Arc<AtomicU64>| {
        task::spawn("spinner", move || {
            me.store(true, Ordering::SeqCst);
            let start = task::ticks();
            while !other.load(Ordering::SeqCst) && task::ticks() < start + 300 {
                core::hint::spin_loop();
            }
            if other.load(Ordering::SeqCst) {
                ok.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let a = spawn_spinner(a_ran.clone(), b_ran.clone(), ok.clone())
        .map_err(|e| alloc::format!("{e:?}"))?;
    let b = spawn_spinner(b_ran, a_ran, ok.clone()).map_err(|e| alloc::format!("{e:?}"))?;
    a.join();
    b.join();
    check!(
        ok.load(Ordering::SeqCst) == 2,
        "a spinner never saw the other run"
    );
    check!(
        a.cpu_ticks() > 0 || b.cpu_ticks() > 0,
        "no CPU time was charged"
    );
    Ok(())
}

fn wait_queue_wakes_a_sleeper() -> TestResult {
    static WQ: task::WaitQueue = task::WaitQueue::new();
    static FLAG: AtomicBool = AtomicBool::new(false);
    FLAG.store(false, Ordering::SeqCst);
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let t = task::spawn("waiter", move || {
        WQ.wait_until(|| FLAG.load(Ordering::SeqCst));
        d.store(true, Ordering::SeqCst);
    })
    .map_err(|e| alloc::format!("{e:?}"))?;
    task::sleep_ticks(2);
    check!(
        t.state() == task::State::Blocked,
        "waiter is {:?}, not blocked",
        t.state()
    );
    check!(
        !done.load(Ordering::SeqCst),
        "waiter ran before the flag was set"
    );
    FLAG.store(true, Ordering::SeqCst);
    WQ.wake_all();
    t.join();
    check!(done.load(Ordering::SeqCst), "waiter did not finish");
    Ok(())
}

fn sleep_lasts_at_least_the_ticks_asked() -> TestResult {
    let t0 = task::ticks();
    task::sleep_ticks(5);
    let dt = task::ticks() - t0;
    check!((5..50).contains(&dt), "slept {dt} ticks for 5");
    Ok(())
}

fn mutex_excludes_under_contention() -> TestResult {
    static M: task::Mutex<u64> = task::mutex(0);
    *M.lock() = 0;
    let ts: Vec<_> = (0..4)
        .map(|_| {
            task::spawn("locker", || {
                for _ in 0..200 {
                    let mut g = M.lock();
                    let v = *g;
                    task::yield_now(); // let the others try while we hold it
                    *g = v + 1;
                }
            })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| alloc::format!("{e:?}"))?;
    for t in &ts {
        t.join();
    }
    let v = *M.lock();
    check!(v == 800, "counter is {v}, expected 800: updates were lost");
    Ok(())
}

fn exited_threads_free_their_memory() -> TestResult {
    // One round first, so lazily grown structures (run queue, slot list) are at size.
    task::spawn("warm", || {})
        .map_err(|e| alloc::format!("{e:?}"))?
        .join();
    task::yield_now();
    let before = mm::stats();
    for _ in 0..100 {
        task::spawn("short", || {})
            .map_err(|e| alloc::format!("{e:?}"))?
            .join();
    }
    task::yield_now(); // let the last one be freed by its successor
    let after = mm::stats();
    check!(
        after.frames.free_frames == before.frames.free_frames,
        "frames {} -> {}",
        before.frames.free_frames,
        after.frames.free_frames
    );
    check!(
        after.heap.allocations == before.heap.allocations,
        "heap allocations {} -> {}",
        before.heap.allocations,
        after.heap.allocations
    );
    Ok(())
}

fn log_ring_keeps_records() -> TestResult {
    log::info!("ktest marker 7d3f");
    let found = klog::with_contents(|a, b| {
        let hay: Vec<u8> = [a, b].concat();
        hay.windows(16).any(|w| w == b"ktest marker 7d3")
    });
    check!(found, "the record is not in the ring");
    Ok(())
}

fn symbols_resolve_kernel_functions() -> TestResult {
    let addr = symbols_resolve_kernel_functions as *const () as u64;
    let (name, off) = hal::symbols::lookup(addr + 1).ok_or("no symbol found")?;
    check!(
        name.contains("symbols_resolve_kernel_functions"),
        "resolved to {name}"
    );
    check!(off == 1, "offset {off}");
    Ok(())
}

fn mmio_refuses_ram_and_dma_buffers_are_checked() -> TestResult {
    use hal::mmio::{map, MmioError};
    // RAM (the direct map has it cached), the kernel image, and impossible ranges.
    check!(
        map(PhysAddr(0x20_0000), 4096).err() == Some(MmioError::IsRam),
        "RAM at 2 MiB was mapped as device registers"
    );
    let image = hal::addr::kernel_layout().text.0.as_u64() - hal::addr::KERNEL_VMA;
    check!(
        map(PhysAddr(image), 64).err() == Some(MmioError::IsRam),
        "the kernel image was mapped as device registers"
    );
    check!(
        map(PhysAddr(u64::MAX - 8), 64).err() == Some(MmioError::BadRange),
        "a wrapping range was accepted"
    );
    check!(
        map(PhysAddr(0xfec0_0000), 0).err() == Some(MmioError::BadRange),
        "an empty range was accepted"
    );
    // The I/O APIC's registers (already mapped uncached) can be mapped again; a
    // sub-range must lie inside and be aligned.
    let io = map(PhysAddr(0xfec0_0000), 0x20).map_err(|e| alloc::format!("{e:?}"))?;
    check!(io.slice(0x10, 0x10).is_some(), "slice inside refused");
    check!(
        io.slice(0x10, 0x11).is_none(),
        "slice past the end accepted"
    );
    check!(io.slice(2, 4).is_none(), "misaligned slice accepted");
    // DMA memory: zeroed, page-aligned, typed accesses and copies round-trip, frames
    // back on drop.
    let before = mm::stats().frames.free_frames;
    {
        let b = hal::dma::DmaBuffer::new(5000).ok_or("no DMA memory")?;
        check!(b.len() == 8192, "5000 bytes became {}", b.len());
        check!(b.phys().is_page_aligned(), "not page aligned");
        check!(b.read64(8184) == 0, "not zeroed");
        b.write32(4096, 0xdead_beef);
        b.write16(6, 0x1234);
        check!(b.read32(4096) == 0xdead_beef, "u32 lost");
        check!(b.read8(7) == 0x12, "u16 stored in the wrong order");
        b.copy_in(100, b"virtio");
        let mut out = [0u8; 6];
        b.copy_out(100, &mut out);
        check!(&out == b"virtio", "copy round trip gave {out:?}");
    }
    let after = mm::stats().frames.free_frames;
    check!(after == before, "frames {before} -> {after} after the drop");
    Ok(())
}

fn disks_are_registered_and_removed_at_run_time() -> TestResult {
    use block::BlockDevice;
    use drivers::block::{self as reg, RegistryError};
    let mut image = alloc::vec![0u8; 8 * 512];
    image[512] = 0x5a;
    let name = reg::register_next("ktdisk", Box::new(block::MemDisk::new(image)));
    check!(name == "ktdisk0", "first name was {name}");
    let second = reg::register_next("ktdisk", Box::new(block::MemDisk::new(Vec::new())));
    check!(second == "ktdisk1", "second name was {second}");
    check!(
        reg::names().contains(&name),
        "not listed: {:?}",
        reg::names()
    );
    let disk = reg::claim(&name).map_err(|e| alloc::format!("claim: {e:?}"))?;
    check!(reg::is_mounted(&name), "claimed disk not marked");
    check!(
        reg::claim(&name).err() == Some(RegistryError::Busy),
        "claimed twice"
    );
    check!(
        reg::unregister(&name).err() == Some(RegistryError::Busy),
        "a claimed disk was removed"
    );
    let mut handle = reg::DiskHandle(disk);
    let mut sector = [0u8; 512];
    handle
        .read_sectors(1, &mut sector)
        .map_err(|e| alloc::format!("read: {e:?}"))?;
    check!(sector[0] == 0x5a, "read the wrong sector");
    reg::mark_unmounted(&name);
    reg::unregister(&name).map_err(|e| alloc::format!("unregister: {e:?}"))?;
    reg::unregister(&second).map_err(|e| alloc::format!("unregister: {e:?}"))?;
    check!(reg::get(&name).is_none(), "still reachable after removal");
    check!(
        reg::unregister(&name).err() == Some(RegistryError::NoSuchDisk),
        "removed twice"
    );
    // The freed name is given out again.
    let again = reg::register_next("ktdisk", Box::new(block::MemDisk::new(Vec::new())));
    check!(again == "ktdisk0", "the freed name was not reused: {again}");
    reg::unregister(&again).map_err(|e| alloc::format!("unregister: {e:?}"))?;
    Ok(())
}

#[inline(never)]
fn deliberate_page_fault() -> ! {
    kprintln!("ktest: reading unmapped address 0xdead000");
    let _ = hal::debug::fault_read(0xdead000);
    kprintln!("ktest: the read did not fault");
    hal::power::exit_failure()
}

#[inline(never)]
fn recurse(depth: u64, sink: &AtomicU64) -> u64 {
    let buf = [depth; 64];
    sink.store(buf[(depth % 64) as usize], Ordering::Relaxed);
    if depth == u64::MAX {
        return 0;
    }
    recurse(depth + 1, sink) + core::hint::black_box(buf)[1]
}

fn deliberate_stack_overflow() -> ! {
    kprintln!("ktest: recursing without bound in a kernel thread");
    let t = task::spawn("overflow", || {
        static SINK: AtomicU64 = AtomicU64::new(0);
        recurse(0, &SINK);
    })
    .expect("spawn");
    t.join();
    kprintln!("ktest: the recursion returned");
    hal::power::exit_failure()
}

fn deliberate_heap_exhaustion() -> ! {
    kprintln!("ktest: allocating until the kernel heap is exhausted");
    let mut hoard: Vec<Box<[u8]>> = Vec::new();
    loop {
        hoard.push(alloc::vec![1u8; 1 << 20].into_boxed_slice());
    }
}
