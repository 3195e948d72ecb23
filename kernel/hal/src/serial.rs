//! The 16550 UART on COM1: the kernel console.
//!
//! Output is polled (QEMU's UART is never busy for long). Input is interrupt-driven: the
//! receive interrupt (IRQ 4) calls [`drain_rx`], which moves the bytes waiting in the
//! UART into a buffer for the console driver, and stops when that buffer is full. Bytes typed or piped in before
//! the kernel is ready are not lost: QEMU stops feeding the UART while its FIFO is full,
//! so they wait in the host pipe until the driver starts reading.
//! (This is why `init` leaves the FIFO off.)

use crate::port::Port;
use crate::sync::SpinLock;
use core::fmt::{self, Write};

use x86::uart::{self, COM1, LSR_BREAK, LSR_DATA_READY, LSR_THR_EMPTY};

const DATA: Port = Port::new(COM1 + uart::DATA);
const IER: Port = Port::new(COM1 + uart::IER);
const FCR: Port = Port::new(COM1 + uart::FCR);
const LCR: Port = Port::new(COM1 + uart::LCR);
const MCR: Port = Port::new(COM1 + uart::MCR);
const LSR: Port = Port::new(COM1 + uart::LSR);

/// Serialises writers so lines from different threads do not interleave mid-line.
static WRITER: SpinLock<()> = SpinLock::new(());

/// Program the UART: 115200 baud, 8N1, FIFOs off, receive interrupt armed.
pub fn init() {
    IER.write8(0); // interrupts off while configuring
    LCR.write8(uart::LCR_DLAB); // divisor latch
    DATA.write8(1); // divisor 1: 115200 baud
    IER.write8(0);
    LCR.write8(uart::LCR_8N1);
    // FIFOs stay off: QEMU's UART empties its receive FIFO whenever the FIFO-enable bit
    // changes, which would throw away typeahead that arrived during boot. Without the
    // FIFO the UART holds one byte and QEMU waits for us to take it.
    FCR.write8(0);
    MCR.write8(uart::MCR_DTR_RTS_OUT2); // OUT2 gates the IRQ line
    IER.write8(uart::IER_RX); // interrupt when data arrives
}

fn put_byte(b: u8) {
    while LSR.read8() & LSR_THR_EMPTY == 0 {
        core::hint::spin_loop();
    }
    DATA.write8(b);
}

/// Write raw bytes (a newline becomes CR LF, as a terminal expects).
pub fn write_bytes(bytes: &[u8]) {
    let _g = WRITER.lock();
    for &b in bytes {
        if b == b'\n' {
            put_byte(b'\r');
        }
        put_byte(b);
    }
}

/// Read one byte if the UART has one (polling; used before interrupts are set up).
pub fn try_read() -> Option<u8> {
    (LSR.read8() & LSR_DATA_READY != 0).then(|| DATA.read8())
}

/// What the UART received: a byte, or a break (QEMU sends one for `Ctrl-A b` on a
/// multiplexed console, as a terminal's Break key does: Linux's "magic SysRq" prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    Byte(u8),
    Break,
}

/// Move what waits in the UART into `sink` for as long as it returns true ("room
/// for more"). Called from the IRQ 4 handler. A byte left in the UART stays there, and
/// QEMU holds back the rest of the input until it is read: that is flow control.
pub fn drain_rx(mut sink: impl FnMut(Received) -> bool) {
    loop {
        let lsr = LSR.read8();
        if lsr & LSR_DATA_READY == 0 {
            break;
        }
        let b = DATA.read8();
        let r = if lsr & LSR_BREAK != 0 {
            Received::Break
        } else {
            Received::Byte(b)
        };
        if !sink(r) {
            break;
        }
    }
}

/// Arm or disarm the receive interrupt. Disarmed, input waits in the UART (and in
/// QEMU); re-armed with a byte waiting, the UART interrupts at once.
pub fn set_rx_interrupt(on: bool) {
    IER.write8(u8::from(on));
}

struct SerialWriter;

impl Write for SerialWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if b == b'\n' {
                put_byte(b'\r');
            }
            put_byte(b);
        }
        Ok(())
    }
}

/// Formatted output to the console; used by `kprint!`.
pub fn print(args: fmt::Arguments) {
    // If this CPU already holds the writer (a fault while printing), print anyway:
    // a garbled line is better than a hang in the fault reporter.
    let _g = WRITER.try_lock();
    let _ = SerialWriter.write_fmt(args);
}
