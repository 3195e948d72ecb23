//! dinos kernel entry (temporary bring-up).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use hal::boot::BootInfo;

#[allow(unsafe_code)] // the one exported symbol: hal's boot code calls it by name
#[no_mangle]
fn dinos_main(boot: &'static BootInfo) -> ! {
    hal::kprintln!("dinos: hello, cmdline {:?}", boot.cmdline());
    for r in boot.memory_map() {
        hal::kprintln!("  {:?}", r);
    }
    hal::power::poweroff()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hal::kprintln!("\n!!! KERNEL PANIC: {info}");
    hal::power::exit_failure()
}
