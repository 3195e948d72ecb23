//! Interrupt controllers and the timer: the local APIC, the I/O APIC, and the PIT used
//! once to calibrate them.
//!
//! The legacy 8259 PICs are remapped away from the exception vectors and masked. Device
//! interrupts arrive through the I/O APIC (COM1 is ISA IRQ 4 = GSI 4), each line sent to
//! one CPU, the lines spread over the CPUs online (`x86::apic::irq_cpu`). The local APIC
//! timer runs periodic at [`TIMER_HZ`]; its rate, and the TSC's, are measured against the
//! PIT's fixed 1.193182 MHz clock at boot, over at least 6 ms that overlap the rest of
//! the boot (from [`init`] to [`start_clock`]).
//!
//! Register offsets and the values written to them are named in [`x86::apic`]; this
//! module does the accesses.

use crate::addr::PhysAddr;
use crate::port::Port;
use core::sync::atomic::{AtomicU64, Ordering};

use x86::apic::{lapic, pit, redirection_entry, redirection_register, Trigger};
pub use x86::apic::{
    IOAPIC_PHYS, IRQ_BASE, LAPIC_PHYS, SPURIOUS_VECTOR, TIMER_VECTOR, TLB_VECTOR, WAKE_VECTOR,
};

/// Timer interrupts per second.
pub const TIMER_HZ: u64 = 100;

static TSC_PER_SEC: AtomicU64 = AtomicU64::new(0);
/// The timer's initial count for [`TIMER_HZ`], measured once on the boot CPU and used
/// by every CPU (their APIC timers run from the same bus clock).
static TIMER_COUNT: AtomicU64 = AtomicU64::new(0);
static BOOT_TSC: AtomicU64 = AtomicU64::new(0);

fn lapic_read(reg: u64) -> u32 {
    // SAFETY: the LAPIC page is mapped uncached in the direct map (boot tables, then
    // mm's); `reg` is one of the architectural register offsets above.
    unsafe { core::ptr::read_volatile((LAPIC_PHYS.to_virt().as_u64() + reg) as *const u32) }
}

fn lapic_write(reg: u64, v: u32) {
    // SAFETY: as lapic_read.
    unsafe { core::ptr::write_volatile((LAPIC_PHYS.to_virt().as_u64() + reg) as *mut u32, v) }
}

/// The I/O APIC is reached through an index register and a data register: a write is
/// two stores, and another CPU's (or an interrupt handler's) index store in between
/// would send the data to the wrong line (an unmask landing on another line leaves a
/// device's line masked for good). So every access holds this lock (interrupts off).
static IOAPIC: crate::sync::SpinLock<()> = crate::sync::SpinLock::new(());

fn ioapic_write(reg: u32, v: u32) {
    let base = IOAPIC_PHYS.to_virt().as_u64();
    let _one_at_a_time = IOAPIC.lock();
    // SAFETY: the I/O APIC's index/data registers, mapped uncached in the direct map;
    // the lock keeps the index and the data store together.
    unsafe {
        core::ptr::write_volatile(base as *mut u32, reg);
        core::ptr::write_volatile((base + x86::apic::IOAPIC_DATA_OFFSET) as *mut u32, v);
    }
}

/// The APIC id of the CPU that line `gsi` is delivered to (`x86::apic::irq_cpu`:
/// spread over the CPUs online when it is routed).
fn irq_destination(gsi: u8) -> u32 {
    let cpu = x86::apic::irq_cpu(gsi, crate::percpu::cpus_online());
    let id = if crate::percpu::is_online(cpu) {
        crate::percpu::slot(cpu).apic_id()
    } else {
        crate::percpu::slot(0).apic_id()
    };
    x86::apic::redirection_destination(id)
}

/// The physical MMIO ranges this module needs mapped uncached.
pub fn mmio_ranges() -> [(PhysAddr, u64); 2] {
    [(LAPIC_PHYS, 4096), (IOAPIC_PHYS, 4096)]
}

fn disable_pic() {
    use x86::apic::pic;
    let (cmd1, data1) = (Port::new(pic::PRIMARY.0), Port::new(pic::PRIMARY.1));
    let (cmd2, data2) = (Port::new(pic::SECONDARY.0), Port::new(pic::SECONDARY.1));
    // ICW1..ICW4: move the PICs to vectors 0xf0..0xff, then mask everything.
    cmd1.write8(pic::ICW1_INIT);
    cmd2.write8(pic::ICW1_INIT);
    data1.write8(pic::VECTOR_BASES.0);
    data2.write8(pic::VECTOR_BASES.1);
    data1.write8(pic::CASCADE.0);
    data2.write8(pic::CASCADE.1);
    data1.write8(pic::ICW4_8086);
    data2.write8(pic::ICW4_8086);
    data1.write8(pic::MASK_ALL);
    data2.write8(pic::MASK_ALL);
}

/// The shortest window the TSC and the APIC timer are measured over: 6 ms of PIT
/// time, so that the PIT's 838 ns tick is at most 1/7,000 of it.
const MIN_TICKS: u16 = (pit::HZ / 1000 * 6) as u16;

/// Where the calibration started: the TSC, and the APIC timer's count, when the PIT
/// began counting down from `u16::MAX` (see [`init`]).
static CAL_START: (AtomicU64, AtomicU64) = (AtomicU64::new(0), AtomicU64::new(0));

/// Start PIT channel 2 counting down from `ticks` (mode 0: its output goes high at
/// zero) and the APIC timer from its largest count; note where the TSC was.
fn start_count(ticks: u16) {
    let gate = Port::new(pit::GATE);
    let ch2 = Port::new(pit::CHANNEL2);
    gate.write8((gate.read8() & !0x02) | 0x01); // gate high, speaker off
    Port::new(pit::COMMAND).write8(pit::CHANNEL2_ONE_SHOT);
    ch2.write8(ticks as u8);
    ch2.write8((ticks >> 8) as u8);
    lapic_write(lapic::TIMER_DIVIDE, lapic::DIVIDE_BY_16);
    lapic_write(lapic::TIMER_INIT, u32::MAX);
    // Restart the count: toggle the gate.
    let g = gate.read8();
    gate.write8(g & !1);
    gate.write8(g | 1);
    CAL_START.0.store(crate::cpu::rdtsc(), Ordering::Relaxed);
    CAL_START
        .1
        .store(lapic_read(lapic::TIMER_CURRENT) as u64, Ordering::Relaxed);
}

/// PIT channel 2's count now (latched, so the two bytes belong together), or `None`
/// once it has reached zero (its output is high: the count has wrapped).
fn pit_count() -> Option<u16> {
    if Port::new(pit::GATE).read8() & pit::GATE_OUTPUT != 0 {
        return None;
    }
    let ch2 = Port::new(pit::CHANNEL2);
    Port::new(pit::COMMAND).write8(pit::CHANNEL2_LATCH);
    let lo = ch2.read8() as u16;
    let hi = ch2.read8() as u16;
    Some(lo | hi << 8)
}

/// The end of a measurement started by [`start_count`] from `from` ticks: wait until
/// at least [`MIN_TICKS`] have passed and the count has just changed (so the TSC is
/// read at the edge of a PIT tick); returns (TSC per second, APIC timer counts per
/// second), or `None` if the count ran out before it was looked at.
fn end_count(from: u16) -> Option<(u64, u64)> {
    let mut last = pit_count()?;
    loop {
        let now = pit_count()?;
        if now != last && from - now >= MIN_TICKS {
            let t1 = crate::cpu::rdtsc();
            let l1 = lapic_read(lapic::TIMER_CURRENT) as u64;
            let ticks = (from - now) as u64;
            let dt = t1 - CAL_START.0.load(Ordering::Relaxed);
            let dl = CAL_START.1.load(Ordering::Relaxed) - l1;
            return Some((dt * pit::HZ / ticks, dl * pit::HZ / ticks));
        }
        last = now;
        core::hint::spin_loop();
    }
}

/// Note the TSC at kernel entry: time zero for [`nanos_since_boot`].
pub fn mark_boot() {
    BOOT_TSC.store(crate::cpu::rdtsc(), Ordering::SeqCst);
}

/// Set up the PIC (off) and the local APIC, and start measuring the TSC's and the
/// APIC timer's rates against the PIT's fixed clock. The measurement runs while the
/// kernel goes on booting (memory, the scheduler), and [`start_clock`] ends it: the
/// boot does not stand still for it.
pub fn init() {
    disable_pic();
    lapic_write(lapic::SVR, lapic::SVR_ENABLE | SPURIOUS_VECTOR as u32);
    lapic_write(lapic::TPR, 0);
    start_count(u16::MAX); // 54.9 ms before it runs out
}

/// End the measurement [`init`] started (waiting, if fewer than 6 ms of it have
/// passed), then set the TSC clock's rate and start the boot CPU's timer. If the
/// PIT ran out first (the boot took more than 54.9 ms: a slow kernel build on a busy
/// host), it is measured again, 6 ms of a fresh 54.9 ms count, so that a host that
/// stops the virtual CPU for a while cannot make it miss the end.
pub fn start_clock() {
    let (tsc_hz, lapic_hz) = loop {
        if let Some(rates) = end_count(u16::MAX) {
            break rates;
        }
        start_count(u16::MAX);
    };
    TSC_PER_SEC.store(tsc_hz.max(1), Ordering::SeqCst);
    TIMER_COUNT.store((lapic_hz / TIMER_HZ).max(1), Ordering::SeqCst);
    start_timer();
}

/// Start this CPU's APIC timer, periodic at [`TIMER_HZ`] (the boot CPU's [`init`] does
/// it for the boot CPU; the scheduler does it on each other CPU once it can take ticks).
pub fn start_timer() {
    lapic_write(lapic::TIMER_DIVIDE, lapic::DIVIDE_BY_16);
    lapic_write(lapic::LVT_TIMER, TIMER_VECTOR as u32 | lapic::LVT_PERIODIC);
    lapic_write(lapic::TIMER_INIT, TIMER_COUNT.load(Ordering::SeqCst) as u32);
}

/// How much faster the timer runs while a profiled program is on the CPU: 10 x
/// [`TIMER_HZ`] = 1 kHz, the profiler's sampling rate.
pub const FAST_TIMER_FACTOR: u32 = 10;

/// Per CPU: the timer's factor now (1 or [`FAST_TIMER_FACTOR`]) and the fast
/// interrupts since the last whole tick.
static FAST: [(core::sync::atomic::AtomicU32, core::sync::atomic::AtomicU32);
    crate::percpu::MAX_CPUS] = [const {
    (
        core::sync::atomic::AtomicU32::new(1),
        core::sync::atomic::AtomicU32::new(0),
    )
}; crate::percpu::MAX_CPUS];

/// Called on each timer interrupt with whether the program on this CPU is being
/// profiled: the timer is switched to [`FAST_TIMER_FACTOR`] x [`TIMER_HZ`] (or back)
/// on this CPU, and the answer says whether this interrupt completes a whole tick
/// (scheduler time, CPU accounting) or only a sample in between. Runs with
/// interrupts off, on the CPU whose timer it changes.
pub fn timer_interrupt(fast: bool) -> bool {
    let (factor, part) = &FAST[crate::percpu::cpu_index()];
    let want = if fast { FAST_TIMER_FACTOR } else { 1 };
    let had = factor.load(Ordering::Relaxed);
    if had != want {
        factor.store(want, Ordering::Relaxed);
        let count = TIMER_COUNT.load(Ordering::Relaxed) / want as u64;
        lapic_write(lapic::TIMER_INIT, count.max(1) as u32);
    }
    if had == 1 {
        part.store(0, Ordering::Relaxed);
        return true; // a whole tick since the last interrupt
    }
    let n = part.load(Ordering::Relaxed) + 1;
    if n >= had {
        part.store(0, Ordering::Relaxed);
        true
    } else {
        part.store(n, Ordering::Relaxed);
        false
    }
}

/// Enable the local APIC of a CPU started after boot (an AP): spurious vector, accept
/// every priority, timer masked until the scheduler starts it ([`start_timer`]).
pub(crate) fn init_this_cpu() {
    lapic_write(lapic::SVR, lapic::SVR_ENABLE | SPURIOUS_VECTOR as u32);
    lapic_write(lapic::TPR, 0);
    lapic_write(lapic::LVT_TIMER, TIMER_VECTOR as u32 | lapic::LVT_MASKED);
}

/// Send the inter-processor interrupt `command` to the CPU with APIC id `apic_id` and
/// wait until this APIC has sent it.
fn send_ipi(apic_id: u8, command: u32) {
    // Interrupts off across the two writes: an interrupt handler that sends an IPI of
    // its own between them (a timer tick waking a sleeper kicks an idle CPU) would
    // rewrite ICR_HIGH, and this IPI would go to the handler's CPU instead.
    let _irq = crate::sync::IrqGuard::new();
    lapic_write(lapic::ICR_HIGH, lapic::icr_destination(apic_id));
    lapic_write(lapic::ICR_LOW, command);
    while lapic_read(lapic::ICR_LOW) & lapic::ICR_PENDING != 0 {
        core::hint::spin_loop();
    }
}

/// A fixed IPI of `vector` to the CPU with APIC id `apic_id`.
pub(crate) fn send_fixed(apic_id: u8, vector: u8) {
    send_ipi(apic_id, lapic::icr_fixed(vector));
}

/// A non-maskable interrupt to the CPU with APIC id `apic_id`.
pub(crate) fn send_nmi(apic_id: u8) {
    send_ipi(apic_id, lapic::ICR_NMI);
}

/// INIT to every other CPU at once (the "all excluding self" shorthand).
pub(crate) fn broadcast_init() {
    send_ipi(0, lapic::ICR_INIT | lapic::ICR_ALL_BUT_SELF);
}

/// Start-up IPI to every other CPU at once: each starts in real mode at `page * 4096`
/// (a CPU that is not waiting for one, having started already, ignores it).
pub(crate) fn broadcast_startup(page: u8) {
    send_ipi(0, lapic::icr_startup(page) | lapic::ICR_ALL_BUT_SELF);
}

/// Spin for at least `us` microseconds, also before the TSC's rate is known: TSC time
/// once [`start_clock`] has measured it; before that PIT channel 2's count, which
/// [`init`] started for the calibration and which this only reads (a latched read
/// changes nothing); if neither (the count ran out), `us` reads of port 0x80, the PC's
/// classic delay (about 1 us each on real hardware, far less under QEMU: a delay there
/// is only ever a courtesy to real CPUs).
pub(crate) fn delay_micros(us: u64) {
    if tsc_hz() != 0 {
        let end = nanos_since_boot() + us * 1000;
        while nanos_since_boot() < end {
            core::hint::spin_loop();
        }
        return;
    }
    let ticks = (us * pit::HZ).div_ceil(1_000_000);
    if let Some(start) = pit_count() {
        while let Some(now) = pit_count() {
            if u64::from(start - now) >= ticks {
                return;
            }
            core::hint::spin_loop();
        }
        return; // the count ran out: more than enough time has passed
    }
    let port80 = Port::new(0x80);
    for _ in 0..us {
        port80.read8();
    }
}

/// Route ISA interrupt `irq` to vector `IRQ_BASE + irq`, on the CPU `irq_cpu` gives it.
pub fn enable_irq(irq: u8) {
    let reg = redirection_register(irq);
    ioapic_write(reg + 1, irq_destination(irq));
    ioapic_write(
        reg,
        redirection_entry(IRQ_BASE + irq, Trigger::IsaEdge, false),
    );
}

/// Route global system interrupt `gsi` (a PCI interrupt: level-triggered, active
/// low) to `vector`, unmasked, on the CPU `irq_cpu` gives it (lines are spread over
/// the CPUs: not every device interrupt lands on CPU 0).
pub fn route_pci_gsi(gsi: u8, vector: u8) {
    let reg = redirection_register(gsi);
    ioapic_write(reg + 1, irq_destination(gsi));
    ioapic_write(reg, redirection_entry(vector, Trigger::PciLevel, false));
}

/// Mask or unmask a level-triggered PCI interrupt line (its handler masks it until the
/// device has been acknowledged, or it would fire again at once).
pub fn set_gsi_masked(gsi: u8, vector: u8, masked: bool) {
    let entry = redirection_entry(vector, Trigger::PciLevel, masked);
    ioapic_write(redirection_register(gsi), entry);
}

/// Acknowledge the interrupt being handled.
pub fn eoi() {
    lapic_write(lapic::EOI, 0);
}

/// TSC ticks per second, as measured at boot.
pub fn tsc_hz() -> u64 {
    TSC_PER_SEC.load(Ordering::Relaxed)
}

/// Nanoseconds since kernel entry ([`mark_boot`]), from the TSC (0 until calibrated).
pub fn nanos_since_boot() -> u64 {
    let d = crate::cpu::rdtsc().wrapping_sub(BOOT_TSC.load(Ordering::Relaxed));
    x86::apic::ticks_to_nanos(d, tsc_hz())
}

/// Give the emulator a timer deadline `ticks` PIT ticks (838 ns each) from now, on PIT
/// channel 0, which dinos does not otherwise use (its line is masked at the PIC and
/// never routed at the I/O APIC, so it raises nothing). Why: under QEMU's `-icount`
/// one-thread emulator the guest clock jumps to the next timer deadline when CPUs
/// just sent their start-up IPI first run, and the only deadline pending at that point
/// of the boot was channel 0's square wave left by the firmware (an edge every 27.5
/// ms): four CPUs were "ready" 21 ms of guest time later than one, none of it work
/// (measured, docs/smp.md). Harmless on real hardware: one more timer that expires
/// unseen.
pub(crate) fn pit0_deadline(ticks: u16) {
    Port::new(pit::COMMAND).write8(pit::CHANNEL0_ONE_SHOT);
    Port::new(pit::CHANNEL0).write8(ticks as u8);
    Port::new(pit::CHANNEL0).write8((ticks >> 8) as u8);
}
