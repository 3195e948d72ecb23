//! The 16550 UART's registers: offsets from its base port and the bits dinos uses.

/// The first serial port's base I/O port.
pub const COM1: u16 = 0x3f8;

/// Register offsets from the base port.
pub const DATA: u16 = 0;
/// Interrupt enable (bit 0: data received).
pub const IER: u16 = 1;
pub const IER_RX: u8 = 0x01;
/// FIFO control.
pub const FCR: u16 = 2;
/// Line control: word length, parity, stop bits, and the divisor-latch access bit.
pub const LCR: u16 = 3;
pub const LCR_DLAB: u8 = 0x80;
/// 8 data bits, no parity, one stop bit.
pub const LCR_8N1: u8 = 0x03;
/// Modem control.
pub const MCR: u16 = 4;
/// DTR, RTS and OUT2 (which gates the interrupt line on a PC).
pub const MCR_DTR_RTS_OUT2: u8 = 0x0b;
/// Line status.
pub const LSR: u16 = 5;
pub const LSR_DATA_READY: u8 = 1;
pub const LSR_THR_EMPTY: u8 = 1 << 5;
/// Line status: a break (the line held low for longer than a character) was received;
/// the byte that comes with it is a 0 that stands for the break, not data.
pub const LSR_BREAK: u8 = 1 << 4;
