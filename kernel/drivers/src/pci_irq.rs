//! The one interrupt vector every PCI device's line leads to, shared by the virtio
//! drivers (chapter 2, 3-2 "device management": interrupts as events).
//!
//! On q35 the PCI interrupt lines (PIRQ A-H = GSI 16-23) are level-triggered and
//! shared, and all are routed to [`VECTOR`]. The handler cannot know which device
//! raised its line, so it masks the lines, counts the interrupt and wakes everyone
//! who waits for one; each driver's waiter then acknowledges *its* device (which
//! lowers that device's line), looks at its queues and unmasks the lines again
//! ([`unmask`]). A line still held by a device nobody has acknowledged yet fires once
//! more as soon as it is unmasked, and is masked again: no interrupt is lost, and
//! none can storm.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use task::WaitQueue;

/// The vector all PCI interrupt lines are routed to.
pub const VECTOR: u8 = 0x30;
/// q35's PCI interrupt lines in APIC mode.
const GSIS: core::ops::RangeInclusive<u8> = 16..=23;

static INTERRUPTS: AtomicU64 = AtomicU64::new(0);
static WAITERS: WaitQueue = WaitQueue::new();
static ROUTED: AtomicBool = AtomicBool::new(false);

fn irq_handler(_frame: &mut hal::trap::TrapFrame) {
    for gsi in GSIS {
        hal::apic::set_gsi_masked(gsi, VECTOR, true);
    }
    INTERRUPTS.fetch_add(1, Ordering::SeqCst);
    hal::apic::eoi();
    WAITERS.wake_all();
    task::preempt_point();
}

/// Install the handler and route the lines (once; later calls do nothing).
pub fn route() {
    if !ROUTED.swap(true, Ordering::SeqCst) {
        hal::trap::set_handler(VECTOR, irq_handler);
        for gsi in GSIS {
            hal::apic::route_pci_gsi(gsi, VECTOR);
        }
    }
}

/// PCI interrupts taken since boot.
pub fn count() -> u64 {
    INTERRUPTS.load(Ordering::SeqCst)
}

/// The queue woken (`wake_all`) at every PCI interrupt.
pub fn waiters() -> &'static WaitQueue {
    &WAITERS
}

/// Let the lines interrupt again (after acknowledging the caller's device).
pub fn unmask() {
    for gsi in GSIS {
        hal::apic::set_gsi_masked(gsi, VECTOR, false);
    }
}
