//! The kernel's start: it wires the layers together, in one visible order.
//!
//! The `kernel` binary is only the entry symbol hal's boot code calls; everything it
//! does is here, in safe code. [`main`] is the boot story in order, one line per layer (STYLE.md 1): the CPU
//! tables are already up (hal did that before calling us), then the log, memory,
//! threads, the timer, the console, and finally the kernel monitor, or the in-kernel
//! tests when the command line says `ktest`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod accounttest;
mod credtest;
mod extendtest;
mod ktest;
mod monitor;
mod regtest;
mod usertest;

use hal::boot::BootInfo;

/// The kernel after hal's boot code: on the boot stack, interrupts off, GDT/IDT/TSS
/// loaded.
pub fn main(boot: &'static BootInfo) -> ! {
    klog::init(boot.cmdline_value("loglevel"));
    log::info!(
        "dinos {} (x86_64), {} memory-map entries, {} boot module(s)",
        env!("CARGO_PKG_VERSION"),
        boot.memory_map().len(),
        boot.modules().len()
    );
    // The lock-order checker, from the first lock on (in the kernel built with it).
    if boot.cmdline_value("lockcheck").is_some() && !hal::lockcheck::enable() {
        log::warn!("`lockcheck`: this kernel was built without the lock-order checker (cargo xtask run --lockcheck)");
    }
    hal::apic::init(); // PIC off, local APIC on, the clock's calibration started
    mm::init(boot); // frames, heap, kernel page table: allocation works from here
    let m = mm::stats();
    log::info!(
        "{} MiB of free frames, {} MiB kernel heap",
        (m.frames.total_frames * 4096) >> 20,
        m.heap.size >> 20
    );
    task::init(); // this code becomes thread `kmain`; the idle thread exists

    // `nosmp` on the command line keeps the machine to this CPU (as on Linux).
    let smp = boot.cmdline_value("nosmp").is_none();
    if smp {
        hal::smp::wake_other_cpus(); // all at once; they set up while the clock is measured
    }
    hal::apic::start_clock(); // calibration ended (>= 6 ms of PIT time), timer set
    hal::trap::set_handler(hal::apic::TIMER_VECTOR, timer_irq);
    start_other_cpus(smp); // online in order, each running the scheduler
    drivers::console::init(); // serial receive interrupt into the console buffer
    drivers::rtc::init(); // wall-clock time, once
    hal::cpu::enable_interrupts();
    log::info!(
        "dinos ready in {} us (cmdline: {:?})",
        hal::apic::nanos_since_boot() / 1000,
        boot.cmdline()
    );
    if let Some(which) = boot.cmdline_value("ktest") {
        ktest::run(which);
    }
    if boot.cmdline_value("monitor").is_none() {
        start_userland(boot);
    }
    monitor::run()
}

/// Put the other CPUs online and say what became of each (nothing is said on one CPU;
/// with `smp` false, `nosmp` on the command line, they are left off).
fn start_other_cpus(smp: bool) {
    use hal::smp::CpuStart;
    if hal::smp::cpus_found() > 1 {
        if !smp {
            log::info!(
                "nosmp: 1 of {} CPUs used, the others left off",
                hal::smp::cpus_found()
            );
            return;
        }
        log::info!("{} CPUs", hal::smp::cpus_found());
    }
    hal::smp::start_other_cpus(|r| match r {
        CpuStart::Up { cpu, apic_id } => log::info!("cpu {cpu} up (APIC id {apic_id})"),
        CpuStart::NoAnswer { apic_id } => {
            log::warn!("the CPU with APIC id {apic_id} did not start; no further CPU is started")
        }
        CpuStart::NoMemory { apic_id } => {
            log::warn!("no memory for the stacks of the CPU with APIC id {apic_id}")
        }
        CpuStart::NoTrampolinePage => {
            log::warn!("the AP trampoline page is not free RAM: running on one CPU")
        }
    });
}

/// Mount the root file system from the boot RAM disk and start `/bin/init`: from here
/// on the machine belongs to processes, and this thread ends. Returns only if there is
/// no root file system (the monitor then runs instead).
fn start_userland(boot: &'static BootInfo) {
    // Disks: the PCI drivers register theirs as disk0, disk1, ... in bus order (the
    // virtio disks, persistent), then the boot RAM disk becomes ram0.
    drivers::probe_pci();
    // The network: loopback, and an interface for each card the probe registered.
    net::init();
    if let Some(mem) = hal::boot::take_module(boot, 0) {
        drivers::block::register(
            "ram0",
            alloc::boxed::Box::new(drivers::ramdisk::RamDisk::new(mem)),
        );
    }
    // The registries: devices (`/dev` is built from it) and file-system types.
    if let Err(e) = tty::register::<proc::signal::ProcessSignals>() {
        log::error!("registering the terminal: {e}");
    }
    if let Err(e) = devices::input::register_inputs::<proc::signal::ProcessSignals>() {
        log::error!("input devices: {e:?}");
    }
    if let Err(e) = devices::register_builtin() {
        log::error!("registering the built-in devices: {e}");
    }
    if let Err(e) = fsys::register_builtin_fs_types() {
        log::error!("registering the built-in file-system types: {e}");
    }
    let root = match boot.cmdline_value("root") {
        Some(r) if !r.is_empty() => alloc::string::String::from(r),
        _ if drivers::block::get("disk0").is_some() => "/dev/disk0".into(),
        _ if drivers::block::get("ram0").is_some() => "/dev/ram0".into(),
        _ => {
            log::warn!(
                "no root file system (no disk, no -initrd image): starting the kernel monitor"
            );
            return;
        }
    };
    if let Err(e) = fsys::mount_root(&root, &devices::registered()) {
        log::error!("cannot mount the root file system {root}: {e}; starting the kernel monitor");
        return;
    }
    if let Err(e) = procfs::init() {
        log::error!("mounting /proc: {e}");
    }
    if let Err(e) = ufs::init() {
        log::error!("registering the ufs file-system type: {e}");
    }
    syscall::init();
    linux::init();
    module::init(); // loadable modules: init_module, delete_module, modules
    syscall::set_watch(
        boot.cmdline_value("trace").is_some(),
        boot.cmdline_value("callring").is_some(),
    );
    hal::trap::set_fatal_report_hook(syscall::print_recent_calls);
    // User faults, delivery on return to user, the console's Ctrl-C.
    proc::signal::init();
    // `login` on the command line: init asks who is there instead of starting a root
    // shell (`cargo xtask run --login`).
    let init_args: &[&str] = match boot.cmdline_value("login") {
        Some(_) => &["login"],
        None => &[],
    };
    match proc::lifecycle::start_init("/bin/init", init_args) {
        Ok(pid) => log::info!("started /bin/init as pid {pid}"),
        Err(e) => {
            log::error!("cannot start /bin/init: {e}; starting the kernel monitor");
            return;
        }
    }
    task::exit()
}

/// The local APIC timer, TIMER_HZ times a second; ten times faster on a CPU running
/// a profiled program, where the interrupts in between only take a sample.
fn timer_irq(frame: &mut hal::trap::TrapFrame) {
    hal::apic::eoi();
    let profiled = proc::watch::sample(frame);
    if !hal::apic::timer_interrupt(profiled) {
        return; // a sample between two ticks
    }
    proc::process::account_tick(frame.from_user());
    hal::watchdog::beat();
    task::on_tick();
    proc::alarm::on_tick();
    task::preempt_point();
}
