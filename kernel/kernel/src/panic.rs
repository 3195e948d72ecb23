//! What happens when the kernel panics: the message, where, a backtrace, and a stop
//! that ends QEMU with a failure status (so a test harness never waits on a dead kernel).
//! What the layers above add to a fatal report (the system-call ring) comes from hal's
//! fatal-report hook, which the exception path runs too.

use core::sync::atomic::{AtomicBool, Ordering};

static PANICKING: AtomicBool = AtomicBool::new(false);

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hal::cpu::disable_interrupts();
    if PANICKING.swap(true, Ordering::SeqCst) {
        hal::kprintln!("\n!!! panic while panicking: {}", info.message());
        hal::power::exit_failure();
    }
    // The other CPUs halt (by NMI) before the report, so it is not interleaved with
    // their output and nothing runs on from what the failure may have broken.
    hal::smp::stop_other_cpus();
    let failed = hal::heap::last_failed_request();
    if failed != 0 {
        let h = hal::heap::stats();
        hal::kprintln!(
            "\n!!! kernel heap out of memory: the last failed request was {failed} bytes; \
             heap {} KiB, {} KiB used, {} KiB free (fragmented)",
            h.size / 1024,
            h.used / 1024,
            h.free / 1024
        );
    }
    if hal::percpu::cpus_online() > 1 {
        hal::kprintln!(
            "\n!!! KERNEL PANIC on CPU {} (the others are stopped), in thread {}: {}",
            hal::percpu::cpu_index(),
            hal::task::current_id(),
            info.message()
        );
    } else {
        hal::kprintln!(
            "\n!!! KERNEL PANIC in thread {}: {}",
            hal::task::current_id(),
            info.message()
        );
    }
    if let Some(loc) = info.location() {
        hal::kprintln!("    at {}:{}:{}", loc.file(), loc.line(), loc.column());
    }
    hal::backtrace::print_here();
    hal::trap::run_fatal_report_hook();
    hal::power::exit_failure()
}
