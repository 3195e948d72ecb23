//! The PCI driver table: which driver takes which device, and the walk that binds them.
//!
//! Each row names a driver, the devices it handles (vendor and device ids, or a class)
//! and its probe function. At boot [`probe_pci`] scans the bus and calls the probe of
//! the first row that matches each function; a probe that fails is logged and the
//! device skipped, so one broken device cannot stop the boot. Adding a PCI driver is
//! one row here and one probe function in the driver's file (see docs/drivers.md).

use crate::pci::Function;

/// Which functions a driver handles.
#[derive(Clone, Copy, Debug)]
pub enum Match {
    /// A vendor and one of its device ids.
    Ids {
        vendor: u16,
        devices: &'static [u16],
    },
    /// A class and subclass (any vendor).
    Class { class: u8, subclass: u8 },
}

impl Match {
    pub fn matches(&self, f: &Function) -> bool {
        match *self {
            Match::Ids { vendor, devices } => {
                f.vendor_id() == vendor && devices.contains(&f.device_id())
            }
            Match::Class { class, subclass } => {
                let (c, s, _) = f.class();
                (c, s) == (class, subclass)
            }
        }
    }
}

/// One row of the table.
pub struct PciDriver {
    pub name: &'static str,
    pub matches: Match,
    /// Set the device up and register what it provides (a disk, ...); `Err` says why
    /// the device was skipped.
    pub probe: fn(Function) -> Result<(), &'static str>,
}

/// Every PCI driver dinos has.
pub static PCI_DRIVERS: &[PciDriver] = &[PciDriver {
    name: "virtio-blk",
    matches: crate::virtio_blk::IDS,
    probe: crate::virtio_blk::probe,
}];

/// Bind every PCI function on the machine to the first driver that matches it, in bus
/// order. Returns how many devices a driver took.
pub fn probe_pci() -> usize {
    let mut bound = 0;
    for f in crate::pci::scan() {
        let Some(d) = PCI_DRIVERS.iter().find(|d| d.matches.matches(&f)) else {
            continue;
        };
        match (d.probe)(f) {
            Ok(()) => bound += 1,
            Err(why) => log::warn!("pci {f}: {} skipped: {why}", d.name),
        }
    }
    bound
}
