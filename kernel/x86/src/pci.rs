//! PCI configuration mechanism #1: the address a PC writes to port 0xCF8.
//!
//! To reach dword `offset` of function `bus:device.function`'s configuration space, the
//! kernel writes this address to [`CONFIG_ADDRESS`] and then reads or writes
//! [`CONFIG_DATA`] (hal does the port accesses).

pub const CONFIG_ADDRESS: u16 = 0xcf8;
pub const CONFIG_DATA: u16 = 0xcfc;

/// The CONFIG_ADDRESS value for `bus:device.function`, register `offset` (rounded down
/// to a dword): the enable bit, then bus, device (5 bits), function (3 bits), register.
pub const fn config_address(bus: u8, device: u8, function: u8, offset: u8) -> u32 {
    0x8000_0000
        | (bus as u32) << 16
        | ((device & 0x1f) as u32) << 11
        | ((function & 0x7) as u32) << 8
        | (offset as u32 & 0xfc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_land_in_their_bits() {
        assert_eq!(config_address(0, 0, 0, 0), 0x8000_0000);
        assert_eq!(config_address(1, 2, 3, 0x13), 0x8001_1310);
        assert_eq!(
            config_address(0, 0x3f, 0xf, 0),
            0x8000_ff00,
            "device and function masked"
        );
    }
}
