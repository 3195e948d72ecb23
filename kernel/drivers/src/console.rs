//! The console: the serial port as a character device, with a receive buffer.
//!
//! The UART's receive interrupt moves bytes into a 4 KiB buffer and wakes any thread
//! waiting to read; readers sleep on a wait queue instead of polling. Input that arrives
//! before anyone reads is kept (typeahead). Nothing is dropped when the buffer fills:
//! the driver *throttles*, as a real terminal driver does with RTS/CTS. It stops taking
//! bytes from the UART and disarms the receive interrupt, so the next byte waits in the
//! UART and QEMU holds the rest in the host pipe; when a reader has made room
//! ([`unthrottle`]) the interrupt is re-armed and input flows again. The terminal layer
//! above uses the same mechanism for its own buffers (its input hook says whether it has
//! room).
//!
//! A **break** on the line (QEMU sends one for `Ctrl-A b` on its multiplexed console)
//! makes the next byte a command for the kernel itself rather than input: Linux's
//! "magic SysRq" on a serial console. The command goes to the hook set with
//! [`set_sysrq_hook`] (the process layer's `sysrq`), in interrupt context, so it works
//! when no program, and no kernel thread, can run any more.
//!
//! [`read_line`] is a minimal line discipline for the kernel monitor: echo, backspace,
//! Ctrl-U to erase the line, Ctrl-C to abandon it, CR or LF to end it.

use alloc::collections::VecDeque;
use alloc::string::String;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use hal::sync::SpinLock;
use task::WaitQueue;

/// ISA IRQ of COM1.
const COM1_IRQ: u8 = 4;
const RX_CAPACITY: usize = 4096;

static RX: SpinLock<VecDeque<u8>> = SpinLock::new(VecDeque::new());
static READERS: WaitQueue = WaitQueue::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Is input held back in the UART because a buffer is full?
static THROTTLED: AtomicBool = AtomicBool::new(false);

/// Buffer `b`; returns whether there is room for another byte.
fn push_rx(b: u8) -> bool {
    let mut rx = RX.lock();
    if rx.len() < RX_CAPACITY {
        rx.push_back(b);
    } else {
        // Cannot happen while throttling works: counted, to show if it ever does.
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
    rx.len() < RX_CAPACITY
}

/// A consumer of received bytes: takes one (interrupt context) and says whether it has
/// room for another. It must take the byte it is given.
pub type InputHook = fn(u8) -> bool;

/// Where received bytes go once a terminal layer takes the console over (the process
/// layer's line discipline); until then they are buffered here for the monitor.
static INPUT_HOOK: SpinLock<Option<InputHook>> = SpinLock::new(None);

/// Send every received byte to `hook` (called in interrupt context) from now on. Bytes
/// already buffered are handed over first.
pub fn set_input_hook(hook: InputHook) {
    // Under the hook's lock, so that no byte lands in RX after it was drained and
    // before the hook is in place (nobody would ever read it): `receive` takes the
    // same lock first, on whichever CPU the UART's interrupt arrives.
    let mut slot = INPUT_HOOK.lock();
    let pending: alloc::vec::Vec<u8> = RX.lock().drain(..).collect();
    for b in pending {
        hook(b);
    }
    *slot = Some(hook);
    drop(slot);
    unthrottle();
}

/// A SysRq command's handler (interrupt context).
pub type SysrqHook = fn(u8);

static SYSRQ_HOOK: SpinLock<Option<SysrqHook>> = SpinLock::new(None);

/// A break came: the next byte is a SysRq command.
static SYSRQ_ARMED: AtomicBool = AtomicBool::new(false);

/// Send the byte after each break to `hook`.
pub fn set_sysrq_hook(hook: SysrqHook) {
    *SYSRQ_HOOK.lock() = Some(hook);
}

fn receive(r: hal::serial::Received) -> bool {
    let b = match r {
        hal::serial::Received::Break => {
            SYSRQ_ARMED.store(true, Ordering::SeqCst);
            return true;
        }
        hal::serial::Received::Byte(b) => b,
    };
    if SYSRQ_ARMED.swap(false, Ordering::SeqCst) {
        // Copied out: the command may take a while and print a lot, and another CPU's
        // break must not wait for this lock meanwhile.
        let hook = *SYSRQ_HOOK.lock();
        if let Some(h) = hook {
            h(b);
            return true;
        }
    }
    let hook = INPUT_HOOK.lock();
    let room = match *hook {
        Some(h) => h(b),
        None => push_rx(b),
    };
    drop(hook);
    if !room {
        THROTTLED.store(true, Ordering::SeqCst);
        hal::serial::set_rx_interrupt(false);
    }
    room
}

/// A reader made room: let input flow again if it was held back. Cheap when it was not.
pub fn unthrottle() {
    if THROTTLED.swap(false, Ordering::SeqCst) {
        hal::serial::set_rx_interrupt(true);
    }
}

/// Take what the UART holds, unless input is held back. The check matters: the
/// interrupt that was already on its way when the last byte filled the buffer (QEMU
/// hands the UART its next byte as soon as the last is read, before the receive
/// interrupt is disarmed) still arrives, and a byte read then would have nowhere to
/// go. This is the byte that typeahead during boot used to lose.
fn take_input() {
    if !THROTTLED.load(Ordering::SeqCst) {
        hal::serial::drain_rx(receive);
    }
}

fn irq_handler(_frame: &mut hal::trap::TrapFrame) {
    take_input();
    hal::apic::eoi();
    READERS.wake_all();
    task::preempt_point();
}

/// Route the UART interrupt to the receive buffer.
pub fn init() {
    RX.lock().reserve(RX_CAPACITY);
    hal::trap::set_handler(hal::apic::IRQ_BASE + COM1_IRQ, irq_handler);
    hal::apic::enable_irq(COM1_IRQ);
    // Bytes that arrived before the interrupt was routed are still in the UART.
    take_input();
}

/// Take one byte, sleeping until there is one.
pub fn read_byte() -> u8 {
    loop {
        let b = RX.lock().pop_front();
        if let Some(b) = b {
            unthrottle();
            return b;
        }
        READERS.wait_until(|| !RX.lock().is_empty());
    }
}

/// Write bytes to the console.
pub fn write(bytes: &[u8]) {
    hal::serial::write_bytes(bytes);
}

/// Bytes lost because the receive buffer was full.
pub fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// What ended a [`read_line`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Text(String),
    /// Ctrl-C: the line was abandoned.
    Interrupted,
}

/// Read one line with echo and simple editing.
pub fn read_line() -> Line {
    let mut line = String::new();
    loop {
        match read_byte() {
            b'\r' | b'\n' => {
                write(b"\n");
                // A terminal sends CR; a pipe sends LF; "\r\n" must not make two lines.
                if RX.lock().front() == Some(&b'\n') {
                    RX.lock().pop_front();
                }
                return Line::Text(line);
            }
            0x03 => {
                write(b"^C\n");
                return Line::Interrupted;
            }
            0x7f | 0x08 if line.pop().is_some() => {
                write(b"\x08 \x08");
            }
            0x15 => {
                for _ in 0..line.chars().count() {
                    write(b"\x08 \x08");
                }
                line.clear();
            }
            b if (0x20..0x7f).contains(&b) => {
                line.push(b as char);
                write(&[b]);
            }
            _ => {} // other control characters and escape sequences are ignored
        }
    }
}
