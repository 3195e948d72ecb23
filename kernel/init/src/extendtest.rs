//! In-kernel tests of the two other ways the kernel grows while it runs (chapter 2
//! section 7, "modules"): a PCI driver registered, bound to the functions it matches,
//! and unbound again; and a system call registered, called through the same dispatcher
//! a program's `syscall` reaches, and taken away. `regtest` does the same for a
//! character device and a file-system type.

use crate::ktest::TestResult;
use abi::Errno;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use drivers::pci::Function;
use drivers::probe::{self, DriverError, Match, PciDriver};
use syscall::table::{Ctx, SysResult};

macro_rules! check {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(alloc::format!($($msg)*));
        }
    };
}

// Every q35 machine has a host bridge (class 06, subclass 00) at 00:00.0, and an ISA
// bridge (06/01) in the ICH9 at 00:1f.0.
const HOST_BRIDGE: Match = Match::Class {
    class: 0x06,
    subclass: 0x00,
};
const ISA_BRIDGE: Match = Match::Class {
    class: 0x06,
    subclass: 0x01,
};

static PROBED: AtomicUsize = AtomicUsize::new(0);
static REMOVED: AtomicUsize = AtomicUsize::new(0);
/// The first removal is refused (a driver whose device is still in use), later ones
/// succeed.
static REFUSED_ONCE: AtomicBool = AtomicBool::new(false);

fn probe_ok(_: Function) -> Result<(), &'static str> {
    PROBED.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

fn remove_after_one_refusal(_: Function) -> Result<(), &'static str> {
    if !REFUSED_ONCE.swap(true, Ordering::SeqCst) {
        return Err("still in use");
    }
    REMOVED.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

fn probe_fails(_: Function) -> Result<(), &'static str> {
    Err("this test driver refuses every device")
}

static TEST_DRIVER: PciDriver = PciDriver {
    name: "ktest-host-bridge",
    matches: HOST_BRIDGE,
    probe: probe_ok,
    remove: Some(remove_after_one_refusal),
};

static FAILING_DRIVER: PciDriver = PciDriver {
    name: "ktest-refuses",
    matches: ISA_BRIDGE,
    probe: probe_fails,
    remove: None,
};

fn held_by(name: &str) -> usize {
    probe::bindings().iter().filter(|(_, d)| *d == name).count()
}

pub fn pci_driver_registered_at_run_time_binds_then_is_removed() -> TestResult {
    let took = probe::register_pci_driver(&TEST_DRIVER).map_err(|e| alloc::format!("{e:?}"))?;
    check!(took >= 1, "the host bridge was not offered to the driver");
    check!(
        PROBED.load(Ordering::SeqCst) == took,
        "probe ran {} times for {took} bindings",
        PROBED.load(Ordering::SeqCst)
    );
    check!(
        held_by(TEST_DRIVER.name) == took,
        "bindings() does not show them"
    );
    check!(
        probe::register_pci_driver(&TEST_DRIVER) == Err(DriverError::Exists),
        "a second driver of the same name was accepted"
    );

    // A probe that fails leaves the function free, and the driver holds nothing.
    let took = probe::register_pci_driver(&FAILING_DRIVER).map_err(|e| alloc::format!("{e:?}"))?;
    check!(took == 0, "a failing probe counted as a binding");
    check!(
        held_by(FAILING_DRIVER.name) == 0,
        "a failing probe bound a function"
    );
    check!(
        probe::unregister_pci_driver(FAILING_DRIVER.name) == Ok(0),
        "the driver that holds nothing was not removed"
    );

    // A removal the driver refuses keeps it registered and bound.
    check!(
        probe::unregister_pci_driver(TEST_DRIVER.name) == Err(DriverError::Busy("still in use")),
        "the refused removal was not reported as busy"
    );
    check!(
        probe::drivers().contains(&TEST_DRIVER.name) && held_by(TEST_DRIVER.name) == took_now(),
        "a refused removal let go of the driver"
    );
    let released =
        probe::unregister_pci_driver(TEST_DRIVER.name).map_err(|e| alloc::format!("{e:?}"))?;
    check!(
        released >= 1 && REMOVED.load(Ordering::SeqCst) == released,
        "remove ran {} times for {released} functions",
        REMOVED.load(Ordering::SeqCst)
    );
    check!(
        held_by(TEST_DRIVER.name) == 0,
        "functions still bound after removal"
    );
    check!(
        !probe::drivers().contains(&TEST_DRIVER.name),
        "the driver is still registered"
    );
    check!(
        probe::unregister_pci_driver(TEST_DRIVER.name) == Err(DriverError::NotFound),
        "removing it twice did not say NotFound"
    );
    Ok(())
}

/// How many functions the test driver was given (all of them are host bridges).
fn took_now() -> usize {
    PROBED.load(Ordering::SeqCst) - REMOVED.load(Ordering::SeqCst)
}

/// The registered call: adds its two integer arguments.
fn add(_: &mut Ctx, a: u64, b: u64) -> SysResult {
    a.checked_add(b).map(|s| s as usize).ok_or(Errno::ERANGE)
}

/// Run call `nr` with two arguments through the personality's dispatcher, as a
/// program's `syscall` instruction would; returns `rax` afterwards.
fn call(nr: usize, a: u64, b: u64) -> u64 {
    let mut frame = hal::trap::TrapFrame {
        rax: nr as u64,
        rdi: a,
        rsi: b,
        ..Default::default()
    };
    syscall::dispatch_dinos(&mut frame);
    frame.rax
}

fn errno(e: Errno) -> u64 {
    e.as_return() as u64
}

pub fn call_registered_at_run_time_is_dispatched_then_removed() -> TestResult {
    use abi::nr::{DYNAMIC_COUNT, DYNAMIC_FIRST};
    use syscall::registry::{lookup, register_call, unregister_call};
    let nr = DYNAMIC_FIRST + 3;
    check!(
        call(nr, 2, 40) == errno(Errno::ENOSYS),
        "an unregistered number answered"
    );
    register_call(nr, syscall::entry!("ktest_add": add(u64, u64)))
        .map_err(|e| alloc::format!("{e:?}"))?;
    check!(
        call(nr, 2, 40) == 42,
        "the registered call did not run: rax {}",
        call(nr, 2, 40) as i64
    );
    check!(
        call(nr, u64::MAX, 1) == errno(Errno::ERANGE),
        "the call's own error did not come back as -errno"
    );
    check!(
        lookup(nr).is_some_and(|e| e.name == "ktest_add" && e.args.len() == 2),
        "the row is not the one registered"
    );
    check!(
        register_call(nr, syscall::entry!("ktest_again": add(u64, u64)))
            == Err(Errno::EEXIST).map(|_: ()| ()),
        "a taken number was given out twice"
    );
    for outside in [
        0,
        abi::nr::READ,
        DYNAMIC_FIRST - 1,
        DYNAMIC_FIRST + DYNAMIC_COUNT,
    ] {
        check!(
            register_call(outside, syscall::entry!("ktest_bad": add(u64, u64)))
                == Err(Errno::EINVAL),
            "number {outside}, outside the dynamic range, was accepted"
        );
    }
    check!(
        call(abi::nr::GETPPID, 0, 0) != 42,
        "built-in calls are unaffected"
    );
    check!(unregister_call(nr).is_ok(), "removal failed");
    check!(
        call(nr, 2, 40) == errno(Errno::ENOSYS),
        "the removed call still answers"
    );
    check!(
        unregister_call(nr).err() == Some(Errno::ENOENT),
        "removing twice did not say ENOENT"
    );
    Ok(())
}
