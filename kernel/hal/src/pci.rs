//! PCI configuration space: the one primitive PCI needs from the machine.
//!
//! Every PCI function has 256 bytes of configuration registers (ids, command, BARs,
//! capabilities). A PC reaches them through two I/O ports: write the function's address
//! to 0xCF8, then read or write the dword at 0xCFC (q35's memory-mapped ECAM would do
//! the same job). Everything built on this (bus scan, BAR sizing, capability lists,
//! drivers) is ordinary logic and lives in the `drivers` crate.
//!
//! Writing configuration space can point a device's BARs anywhere and let it reach memory
//! (bus mastering); choosing sensible values is the driver's job, as with [`Port`]
//! (mappings of device registers are checked in [`crate::mmio`]).

use crate::port::Port;

use x86::pci::config_address as address;

const CONFIG_ADDRESS: Port = Port::new(x86::pci::CONFIG_ADDRESS);
const CONFIG_DATA: Port = Port::new(x86::pci::CONFIG_DATA);

/// Read the configuration dword at `offset` (rounded down to a multiple of 4) of
/// `bus:device.function`. An absent function reads as all ones.
pub fn config_read(bus: u8, device: u8, function: u8, offset: u8) -> u32 {
    // The address/data pair must not be interleaved with another access.
    let _g = crate::sync::IrqGuard::new();
    CONFIG_ADDRESS.write32(address(bus, device, function, offset));
    CONFIG_DATA.read32()
}

/// Write the configuration dword at `offset` (rounded down to a multiple of 4).
pub fn config_write(bus: u8, device: u8, function: u8, offset: u8, value: u32) {
    let _g = crate::sync::IrqGuard::new();
    CONFIG_ADDRESS.write32(address(bus, device, function, offset));
    CONFIG_DATA.write32(value);
}
