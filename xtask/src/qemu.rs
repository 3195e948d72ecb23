//! The QEMU command line, built in one place.
//!
//! The machine is a q35 PC under software emulation (KVM does not work on these hosts,
//! DESIGN.md 3), booted straight into the kernel's PVH entry with `-kernel`. The qboot
//! firmware (shipped with QEMU) is used when present: it hands over in a few
//! milliseconds where SeaBIOS takes far longer. The serial console is this terminal, with
//! QEMU's Ctrl-C handling off so that Ctrl-C reaches dinos; Ctrl-A x quits QEMU.
//! `isa-debug-exit` lets the kernel end QEMU with a status (see kernel/hal/src/power.rs).

use crate::{build, deps, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// QEMU's exit status after dinos wrote EXIT_SUCCESS / EXIT_FAILURE to the debug port.
pub const STATUS_POWEROFF: i32 = (0x10 << 1) | 1;
pub const STATUS_PANIC: i32 = (0x11 << 1) | 1;

/// The most virtual CPUs `--smp` accepts (the kernel's per-CPU tables have this many).
pub const MAX_SMP: u32 = 8;

/// What to boot and how.
#[derive(Clone, Debug)]
pub struct Machine {
    pub kernel: PathBuf,
    /// The root file system image, loaded as the RAM disk (`-initrd`).
    pub initrd: Option<PathBuf>,
    /// A disk image attached as a virtio block device (the persistent root).
    pub disk: Option<PathBuf>,
    /// A blkdebug rules file the disk's requests pass through, to make some of them
    /// fail (tests of what the kernel does with a failing disk).
    pub disk_faults: Option<PathBuf>,
    pub mem_mib: u32,
    pub smp: u32,
    pub append: String,
    /// Guest time follows the instruction count (benchmarks only).
    pub icount: bool,
    /// Exit instead of resetting on a triple fault or `reboot` (tests).
    pub no_reboot: bool,
    pub gdb: bool,
    /// How the screen is shown: `None` no display adapter at all; a framebuffer
    /// (`bochs-display`) with virtio tablet and keyboard, either headless or in a window.
    pub display: Option<Display>,
    /// A QMP socket to drive QEMU from (screendumps, keys, pointer events).
    pub qmp: Option<PathBuf>,
    /// A virtio network card on QEMU's user network (the guest is 10.0.2.15, the
    /// host's loopback is 10.0.2.2), with these TCP ports forwarded from the host's
    /// 127.0.0.1 to the guest: (host port, guest port).
    pub net: bool,
    pub forward: Vec<(u16, u16)>,
    /// Raw Ethernet frames from the host (`frametest.rs`): the card sits on a QEMU hub
    /// with the user network and a `-netdev socket` whose frames are UDP datagrams on
    /// the host's loopback: (the port QEMU reads frames at, the port it sends them to).
    pub inject: Option<(u16, u16)>,
}

/// The screen of a machine with a display (see `shot.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    /// The adapter is there, nothing shows it (screendumps only).
    Headless,
    /// A QEMU window (`run --gui`), shown by this display backend (`gtk`, `sdl`).
    Window(&'static str),
}

/// The first window backend this QEMU has (`-display help` lists the modules that
/// are installed; Debian ships them in `qemu-system-gui`), and a display to open
/// it on.
pub fn window_backend() -> Result<&'static str> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Err("--gui needs a display (DISPLAY or WAYLAND_DISPLAY); without one, `cargo xtask shot OUT.png` shows the screen".into());
    }
    let out = Command::new("qemu-system-x86_64")
        .args(["-display", "help"])
        .output()
        .map_err(|e| format!("cannot run QEMU: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    ["gtk", "sdl"]
        .into_iter()
        .find(|b| text.lines().any(|l| l.trim() == *b))
        .ok_or_else(|| "this QEMU has no window backend (gtk or sdl): apt-get install qemu-system-gui, or use `cargo xtask shot`".into())
}

impl Machine {
    pub fn new(kernel: &Path) -> Self {
        Machine {
            kernel: kernel.to_path_buf(),
            initrd: None,
            disk: None,
            disk_faults: None,
            mem_mib: 256,
            // DINOS_SMP=N runs every test machine with N CPUs (`--smp` still wins).
            smp: std::env::var("DINOS_SMP")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|n| (1..=MAX_SMP).contains(n))
                .unwrap_or(1),
            append: String::new(),
            icount: false,
            no_reboot: false,
            gdb: false,
            display: None,
            qmp: None,
            net: false,
            forward: Vec::new(),
            inject: None,
        }
    }

    /// The full QEMU command.
    pub fn command(&self) -> Command {
        let mut c = Command::new("qemu-system-x86_64");
        c.args(["-machine", "q35", "-nodefaults", "-no-user-config"]);
        match self.display {
            Some(Display::Window(backend)) => c.args(["-display", backend, "-vga", "none"]),
            _ => c.args(["-display", "none", "-vga", "none"]),
        };
        if self.display.is_some() {
            c.args(["-device", "bochs-display"]);
            c.args([
                "-device",
                "virtio-tablet-pci",
                "-device",
                "virtio-keyboard-pci",
            ]);
        }
        if let Some(sock) = &self.qmp {
            let mut spec = std::ffi::OsString::from("unix:");
            spec.push(sock);
            spec.push(",server=on,wait=off");
            c.arg("-qmp").arg(spec);
        }
        // qboot hangs before the kernel when QEMU shows a window (seen with gtk and
        // sdl and the bochs display); SeaBIOS, slower, boots it.
        let window = matches!(self.display, Some(Display::Window(_)));
        if firmware_dir().join("qboot.rom").is_file() && !window {
            c.args(["-bios", "qboot.rom"]);
        }
        c.arg("-m").arg(self.mem_mib.to_string());
        c.arg("-smp").arg(self.smp.to_string());
        if self.smp > 1 && !self.icount {
            // One host thread per virtual CPU (MTTCG), so the CPUs really run in
            // parallel. `-icount` needs the single-threaded emulator, so benchmarks
            // with more than one CPU keep it.
            c.args(["-accel", "tcg,thread=multi"]);
        }
        c.arg("-kernel").arg(&self.kernel);
        if let Some(img) = &self.initrd {
            c.arg("-initrd").arg(img);
        }
        if let Some(disk) = &self.disk {
            // cache=writeback: QEMU writes into the host's page cache and offers the
            // guest a write cache it must flush (VIRTIO_BLK_F_FLUSH), and each flush
            // becomes an fdatasync of the image. (writethrough would hide the flush,
            // unsafe would ignore it.)
            let mut spec = std::ffi::OsString::from("file=");
            if let Some(rules) = &self.disk_faults {
                spec.push("blkdebug:");
                spec.push(rules);
                spec.push(":");
            }
            spec.push(disk);
            spec.push(",if=none,id=disk0,format=raw,cache=writeback");
            c.arg("-drive").arg(spec);
            c.args(["-device", "virtio-blk-pci,drive=disk0"]);
        }
        if let Some((qemu, host)) = self.inject {
            // The card on hub 0, with the user network and the frame socket.
            c.args(["-netdev", "hubport,id=n0,hubid=0"]);
            c.args(["-device", "virtio-net-pci,netdev=n0"]);
            c.args(["-netdev", &self.netdev().replacen("id=n0", "id=u0", 1)]);
            c.args(["-netdev", "hubport,id=hu,hubid=0,netdev=u0"]);
            c.arg("-netdev").arg(format!(
                "socket,id=s0,udp=127.0.0.1:{host},localaddr=127.0.0.1:{qemu}"
            ));
            c.args(["-netdev", "hubport,id=hs,hubid=0,netdev=s0"]);
        } else if self.net || !self.forward.is_empty() {
            c.args(["-netdev", &self.netdev()]);
            c.args(["-device", "virtio-net-pci,netdev=n0"]);
        }
        if !self.append.is_empty() {
            c.arg("-append").arg(&self.append);
        }
        c.args(["-chardev", "stdio,id=con,mux=on,signal=off"]);
        c.args(["-serial", "chardev:con", "-monitor", "none"]);
        c.args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
        if self.icount {
            c.args(["-icount", "shift=0"]);
        }
        if self.no_reboot {
            c.arg("-no-reboot");
        }
        if self.gdb {
            c.args(["-s", "-S"]);
        }
        c
    }
}

impl Machine {
    /// QEMU's user network, forwards bound to the host's loopback only.
    pub fn netdev(&self) -> String {
        let mut spec = String::from("user,id=n0");
        for (host, guest) in &self.forward {
            spec.push_str(&format!(",hostfwd=tcp:127.0.0.1:{host}-:{guest}"));
        }
        spec
    }
}

/// `HOST:GUEST` (or one port for both).
pub fn parse_forward(spec: &str) -> Result<(u16, u16)> {
    let port = |s: &str| {
        s.parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or(format!("--forward {spec}: ports are 1-65535 (HOST:GUEST)"))
    };
    match spec.split_once(':') {
        Some((h, g)) => Ok((port(h)?, port(g)?)),
        None => Ok((port(spec)?, port(spec)?)),
    }
}

fn firmware_dir() -> PathBuf {
    PathBuf::from("/usr/share/qemu")
}

/// Map QEMU's status to ours: power-off is success, a panic is failure.
pub fn exit_code(status: Option<i32>) -> u8 {
    match status {
        Some(0) | Some(STATUS_POWEROFF) => 0,
        Some(STATUS_PANIC) => {
            eprintln!("xtask: the kernel stopped after a fatal error (see above)");
            1
        }
        Some(n) => {
            eprintln!("xtask: QEMU exited with status {n}");
            1
        }
        None => {
            eprintln!("xtask: QEMU was killed by a signal");
            1
        }
    }
}

/// The persistent disk `cargo xtask run` uses unless told otherwise.
pub fn default_disk() -> PathBuf {
    crate::root().join("target").join("disk.img")
}

/// Make `disk` from the root file system image if it is missing or `fresh` is asked;
/// otherwise write the freshly built system directories (`/bin`, `/usr`) onto it and
/// keep everything else (see `diskupdate`).
pub fn prepare_disk(disk: &Path, image: &Path, fresh: bool) -> Result<()> {
    if fresh || !disk.exists() {
        std::fs::copy(image, disk).map_err(|e| format!("cannot create {}: {e}", disk.display()))?;
        eprintln!(
            "xtask: new disk {} from the freshly built programs",
            disk.display()
        );
    } else {
        let staging = crate::root().join("target").join("rootfs");
        let n = crate::diskupdate::update_system(disk, &staging)?;
        eprintln!(
            "xtask: using the disk {} (kept between runs): {n} files of /bin, /usr, /linux and /lib updated, the rest untouched; --fresh starts it again from the image",
            disk.display()
        );
    }
    Ok(())
}

/// What `cargo xtask run` was asked besides the machine.
struct RunOptions {
    fresh: bool,
    ramdisk_only: bool,
    /// `--copy-in HOST:GUEST`, in order.
    copy_in: Vec<String>,
}

fn parse_machine(args: &[String], kernel: &Path) -> Result<(Machine, RunOptions)> {
    let mut m = Machine::new(kernel);
    let mut copy_in = Vec::new();
    let mut fresh = false;
    let mut ramdisk_only = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--mem" => m.mem_mib = value("--mem")?.parse().map_err(|_| "--mem takes MiB")?,
            "--smp" => {
                m.smp = value("--smp")?
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_SMP).contains(n))
                    .ok_or(format!("--smp takes a number of CPUs from 1 to {MAX_SMP}"))?
            }
            "--append" => m.append = value("--append")?,
            "--monitor" => m.append.push_str(" monitor"),
            "--disk" => m.disk = Some(PathBuf::from(value("--disk")?)),
            "--fresh" => fresh = true,
            "--copy-in" => copy_in.push(value("--copy-in")?),
            "--ramdisk" => ramdisk_only = true,
            "--login" => m.append.push_str(" login"),
            "--icount" => m.icount = true,
            // The kernel itself is chosen by `run_cmd`; here only the switch.
            "--lockcheck" => m.append.push_str(" lockcheck"),
            "--gui" => m.display = Some(Display::Window(window_backend()?)),
            "--net" => m.net = true,
            "--forward" => m.forward.push(parse_forward(&value("--forward")?)?),
            other => return Err(format!("unknown option `{other}` (see cargo xtask help)")),
        }
    }
    Ok((
        m,
        RunOptions {
            fresh,
            ramdisk_only,
            copy_in,
        },
    ))
}

/// Build the kernel, the programs and the root file system image.
pub fn build_system() -> Result<(PathBuf, PathBuf)> {
    crate::fuzztest::check_table()?; // every call has a fuzzer row
    let kernel = build::build_kernel()?;
    let bins = crate::userbuild::build_user()?;
    let image = crate::userbuild::make_rootfs(&bins)?;
    Ok((kernel, image))
}

/// `cargo xtask run`
pub fn run_cmd(args: &[String]) -> Result<u8> {
    deps::ensure()?;
    let (mut kernel, image) = build_system()?;
    if args.iter().any(|a| a == "--lockcheck") {
        kernel = build::build_kernel_variant(build::Variant::LockCheck)?;
    }
    let (mut m, o) = parse_machine(args, &kernel)?;
    if !o.ramdisk_only {
        let disk = m.disk.clone().unwrap_or_else(default_disk);
        prepare_disk(&disk, &image, o.fresh)?;
        for spec in &o.copy_in {
            let n = crate::diskupdate::copy_in(&disk, spec)?;
            eprintln!("xtask: --copy-in {spec}: {n} file(s) written");
        }
        m.disk = Some(disk);
    } else if !o.copy_in.is_empty() {
        return Err("--copy-in needs the disk (it cannot go with --ramdisk)".into());
    }
    m.initrd = Some(image);
    let status = m
        .command()
        .status()
        .map_err(|e| format!("cannot start QEMU: {e}"))?;
    Ok(exit_code(status.code()))
}

/// `cargo xtask gdb`
pub fn gdb_cmd(args: &[String]) -> Result<u8> {
    deps::ensure()?;
    let (kernel, image) = build_system()?;
    let (mut m, _) = parse_machine(args, &kernel)?;
    m.initrd = Some(image);
    m.gdb = true;
    eprintln!("QEMU is paused with a gdb stub on localhost:1234. In another terminal:\n");
    eprintln!("    gdb {} -ex 'target remote :1234'\n", kernel.display());
    eprintln!("then `break dinos_main` and `continue`.");
    let status = m
        .command()
        .status()
        .map_err(|e| format!("cannot start QEMU: {e}"))?;
    Ok(exit_code(status.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo xtask run --icount` puts QEMU in instruction-counting mode (and so on
    /// the single-threaded emulator, even with several CPUs); without it, not.
    #[test]
    fn icount_option_gives_qemu_icount_shift_0() {
        let args = |v: &[&str]| -> Vec<String> { v.iter().map(|s| s.to_string()).collect() };
        let qemu_args = |m: &Machine| -> Vec<String> {
            m.command()
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        let (m, _) = parse_machine(&args(&["--icount", "--smp", "2"]), Path::new("k")).unwrap();
        let a = qemu_args(&m);
        assert!(a.windows(2).any(|w| w == ["-icount", "shift=0"]), "{a:?}");
        assert!(!a.iter().any(|x| x.contains("thread=multi")), "{a:?}");
        let (m, _) = parse_machine(&args(&["--smp", "2"]), Path::new("k")).unwrap();
        assert!(!qemu_args(&m).iter().any(|x| x == "-icount"));
        // --net adds the card; --forward binds each forward to the host's loopback.
        let (m, _) =
            parse_machine(&args(&["--net", "--forward", "8080:80"]), Path::new("k")).unwrap();
        let a = qemu_args(&m);
        assert!(a
            .iter()
            .any(|x| x == "user,id=n0,hostfwd=tcp:127.0.0.1:8080-:80"));
        assert!(a.iter().any(|x| x == "virtio-net-pci,netdev=n0"));
        assert!(parse_forward("0:80").is_err() && parse_forward("x").is_err());
        assert_eq!(parse_forward("8080").unwrap(), (8080, 8080));
    }
}
