//! What happens when the kernel panics: the message, where, a backtrace, and a stop
//! that ends QEMU with a failure status (so a test harness never waits on a dead kernel).

use core::sync::atomic::{AtomicBool, Ordering};

static PANICKING: AtomicBool = AtomicBool::new(false);

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hal::cpu::disable_interrupts();
    if PANICKING.swap(true, Ordering::SeqCst) {
        hal::kprintln!("\n!!! panic while panicking: {}", info.message());
        hal::power::exit_failure();
    }
    hal::kprintln!(
        "\n!!! KERNEL PANIC in thread {}: {}",
        hal::task::current_id(),
        info.message()
    );
    if let Some(loc) = info.location() {
        hal::kprintln!("    at {}:{}:{}", loc.file(), loc.line(), loc.column());
    }
    hal::backtrace::print_here();
    hal::power::exit_failure()
}
