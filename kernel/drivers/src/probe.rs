//! The PCI driver registry: which driver takes which device, and the walk that binds
//! them (Linux's `pci_register_driver`, chapter 2 section 7 "modules").
//!
//! A driver says which functions it handles (vendor and device ids, or a class), how
//! to set one up (`probe`) and, if it can let go of one, how to undo that (`remove`).
//! [`register_pci_driver`] adds a driver and at once offers it every function no
//! driver holds yet; [`unregister_pci_driver`] removes it from each function it holds
//! and then from the registry. At boot [`probe_pci`] registers the built-in drivers
//! ([`BUILTIN`]), so a loadable module registering its driver later goes through the
//! very same path. A probe that fails is logged and the function stays free, so one
//! broken device cannot stop the boot.
//!
//! One sleeping lock orders all of it: a probe may sleep (a device reset, a first
//! request), and two registrations must not both bind one function.

use crate::pci::Function;
use alloc::vec::Vec;
use task::Mutex;

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

/// What a driver's probe and remove do with one function: `Err` says why not.
pub type BindFn = fn(Function) -> Result<(), &'static str>;

/// A PCI driver.
pub struct PciDriver {
    pub name: &'static str,
    pub matches: Match,
    /// Set the function up and register what it provides (a disk, ...); `Err` says
    /// why the function was skipped.
    pub probe: BindFn,
    /// Let go of a function `probe` took (stop the device, unregister what it
    /// provided); `Err` says why it cannot now (a disk still mounted). `None`: the
    /// driver cannot be unbound while it holds a function.
    pub remove: Option<BindFn>,
}

/// The drivers dinos is built with.
pub static BUILTIN: &[&PciDriver] = &[
    &crate::virtio_blk::PCI_DRIVER,
    &crate::bochs_display::PCI_DRIVER,
    &crate::virtio_input::PCI_DRIVER,
    &crate::virtio_net::PCI_DRIVER,
];

/// Why a registration or removal was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriverError {
    /// A driver of that name is registered already.
    Exists,
    /// No driver of that name is registered.
    NotFound,
    /// The driver holds a function it cannot let go of now (the reason).
    Busy(&'static str),
}

struct Registry {
    drivers: Vec<&'static PciDriver>,
    /// Each bound function and the driver holding it.
    bound: Vec<(Function, &'static PciDriver)>,
}

static REGISTRY: Mutex<Registry> = task::mutex(Registry {
    drivers: Vec::new(),
    bound: Vec::new(),
});

/// Add `driver` and bind it to every free function it matches, in bus order. Returns
/// how many it took.
pub fn register_pci_driver(driver: &'static PciDriver) -> Result<usize, DriverError> {
    let mut r = REGISTRY.lock();
    if r.drivers.iter().any(|d| d.name == driver.name) {
        return Err(DriverError::Exists);
    }
    r.drivers.push(driver);
    let mut took = 0;
    for f in crate::pci::scan() {
        if r.bound.iter().any(|(b, _)| *b == f) || !driver.matches.matches(&f) {
            continue;
        }
        match (driver.probe)(f) {
            Ok(()) => {
                r.bound.push((f, driver));
                took += 1;
            }
            Err(why) => log::warn!("pci {f}: {} skipped: {why}", driver.name),
        }
    }
    Ok(took)
}

/// Unbind the driver called `name` from every function it holds, then remove it.
/// If one function cannot be let go of, the driver stays registered, holding that one
/// and any not yet tried; those already removed stay removed. Returns how many
/// functions were let go of.
pub fn unregister_pci_driver(name: &str) -> Result<usize, DriverError> {
    let mut r = REGISTRY.lock();
    let at = r
        .drivers
        .iter()
        .position(|d| d.name == name)
        .ok_or(DriverError::NotFound)?;
    let driver = r.drivers[at];
    let mut released = 0;
    while let Some(i) = r.bound.iter().position(|(_, d)| d.name == name) {
        let f = r.bound[i].0;
        let remove = driver
            .remove
            .ok_or(DriverError::Busy("the driver cannot be unbound"))?;
        remove(f).map_err(DriverError::Busy)?;
        r.bound.remove(i);
        released += 1;
    }
    r.drivers.remove(at);
    Ok(released)
}

/// Each bound function with its driver's name, in bus order.
pub fn bindings() -> Vec<(Function, &'static str)> {
    let mut v: Vec<_> = REGISTRY
        .lock()
        .bound
        .iter()
        .map(|(f, d)| (*f, d.name))
        .collect();
    v.sort_by_key(|(f, _)| *f);
    v
}

/// The names of the registered drivers, in registration order.
pub fn drivers() -> Vec<&'static str> {
    REGISTRY.lock().drivers.iter().map(|d| d.name).collect()
}

/// At boot: register the built-in drivers, each binding what it finds. Returns how
/// many functions a driver took.
pub fn probe_pci() -> usize {
    let mut bound = 0;
    for d in BUILTIN {
        match register_pci_driver(d) {
            Ok(n) => bound += n,
            Err(e) => log::error!("built-in PCI driver {}: {e:?}", d.name),
        }
    }
    bound
}
