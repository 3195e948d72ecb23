//! `cargo xtask`: the one tool that builds, runs, tests and measures dinos.
//!
//! Every flag, image and QEMU argument lives here, in code, so nobody needs to remember
//! one (the Hubris habit). Subcommands:
//!
//! - `build`  build the kernel (and, later, user programs and the disk image)
//! - `run`    build and boot under QEMU with the serial console on this terminal
//! - `test`   host unit tests, then QEMU tests; ends with `N passed, N failed`
//! - `bench`  benchmarks (see docs/benchmarks.md)
//! - `soak`   10^6 fuzzed system calls in one boot, checked after every round
//! - `gdb`    boot paused with QEMU's gdb stub and print how to attach
//! - `core`   copy a core file out of the disk image and open it in host gdb
//! - `lines`  kernel source lines, and the share in `forbid(unsafe_code)` crates
//! - `fuzz`   the host fuzz targets under libFuzzer (nightly), crashes kept as regressions

mod accounts;
mod bench;
mod build;
mod corecmd;
mod coretest;
mod deps;
mod diskupdate;
mod dnstest;
mod dyntest;
mod floodtest;
mod frametest;
mod fstest;
mod fuzztest;
mod guitest;
mod hostfuzz;
mod iotest;
mod journaltest;
mod json;
mod layers;
mod limitstest;
mod linuxtest;
mod logintest;
mod modbuild;
mod modtest;
mod netbench;
mod nettest;
mod porttest;
mod proctest;
mod progtest;
mod ptytest;
mod qemu;
mod session;
mod shcompare;
mod shelltest;
mod shmtest;
mod shot;
mod smptest;
mod soakmix;
mod storagetest;
mod test;
mod threadtest;
mod tracetest;
mod ufsdtest;
mod unixtest;
mod userbuild;
mod utiltest;
mod vslinuxtest;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command> [options]

commands:
  build                 build the kernel, the programs and the root file system image
  run [options]         build and boot dinos; the serial console is this terminal
      --mem MIB         guest memory (default 256)
      --smp N           virtual CPUs, 1 to 8 (default 1; more than 1 uses MTTCG)
      --append ARGS     extra kernel command line (e.g. `trace`, `loglevel=debug`)
      --monitor         stay in the kernel monitor instead of starting /bin/init
      --disk PATH       the persistent root disk (default target/disk.img; made when missing)
      --fresh           rebuild the disk from the image (otherwise /bin, /usr, /linux, /lib
                        are updated on it and everything else is kept)
      --copy-in HOST:/GUEST  put a host file or directory on the disk before booting
      --ramdisk         no disk: boot from the in-memory root image (changes are lost)
      --login           boot to a `login:` prompt (init runs getty) instead of a root shell
      --icount          run the guest under `-icount shift=0`: one guest instruction is one
                        nanosecond of guest time, so `time` in the shell counts instructions
      --lockcheck       boot the kernel built with the lock-order checker, switched on: a
                        spinlock order that could deadlock two CPUs is reported on the console
      --gui             a display (bochs-display, virtio tablet and keyboard) in a QEMU
                        window; the serial console stays on this terminal
  shot OUT.png [steps]  boot headless with the display, do the steps in order, save the
                        screen as PNG a second after the last
      --run CMD         type CMD at the shell first (e.g. `fbtest`)
      --keys TEXT       type TEXT on the virtio keyboard
      --click X,Y       press and release the tablet (touch) at pixel X,Y
      --drag X,Y:X,Y    press at the first point, move in steps to the second, release
      --wait SECONDS    wait (e.g. for windows to open)
      --net             a virtio network card on QEMU's user network (DHCP gives 10.0.2.15;
                        the host's 127.0.0.1 is 10.0.2.2 from inside)
      --forward HOST:GUEST  forward TCP port HOST on the host's 127.0.0.1 to GUEST in dinos
  test [FILTER]         host unit tests, then QEMU tests (only those matching FILTER)
  bench [NAME]          benchmarks: boot, syscall, programs, fs, smp, trace, net, ufsd, gui, --vs-linux (default: all);
                        `bench fs --ramdisk`: the fs rows on a RAM disk (no disk waits)
  soak [CALLS] [--mix SECS]  sysfuzz rounds of 50,000 calls in one boot (default 10^6 calls),
                        each checked: kernel alive, frames and heap back, disk clean; then
                        fsstress, sysfuzz, forks and pipes together for SECS (default 300;
                        0: none), with a report of any counter that did not come back
  soak-smp [RUNS] [CPUS]  usertests in RUNS fresh boots with CPUS CPUs (default 20, 4)
  soak-net [ROUNDS]     300 connections at httpd's forwarded port per boot (~200 s each):
                        httpd still serves, the socket table returns to its size
  soak-journal [CUTS]   the journal's power-cut rig for 200 cuts (or CUTS): e2fsck clean
                        and every synced file there after each replay
  gdb                   boot paused with a gdb stub on :1234
  core PID|PATH         copy /core.PID (or PATH) out of the disk image and open it in gdb
      --disk PATH       the image to read (default target/disk.img)
      --copy-out HOST   where to put the core file (default target/core.PID)
      --no-gdb          only copy it out
  lines                 kernel source lines per crate; the share in forbid(unsafe) crates
  fuzz [TARGET]         the host fuzz targets (fuzz/) under libFuzzer, each for a fixed time;
      --time SECS       new crashes are copied into fuzz/regressions/TARGET (default 60 s each)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match cmd.as_str() {
        "build" => qemu::build_system().map(|(k, img)| {
            println!(
                "kernel: {}\nroot file system: {}",
                k.display(),
                img.display()
            );
            0
        }),
        "run" => qemu::run_cmd(rest),
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "gdb" => qemu::gdb_cmd(rest),
        "core" => corecmd::core_cmd(rest),
        "soak" => fuzztest::soak(rest),
        "shot" => shot::shot_cmd(rest),
        "soak-smp" => progtest::soak_smp(rest),
        "soak-net" => floodtest::soak(rest),
        "soak-journal" => journaltest::soak(rest),
        "lines" => layers::lines_cmd(),
        "fuzz" => hostfuzz::fuzz_cmd(rest),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(0)
        }
        other => {
            eprintln!("xtask: unknown command `{other}`\n\n{USAGE}");
            Ok(2)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Errors are messages that say what to do next.
pub type Result<T> = std::result::Result<T, String>;

/// The workspace root (the parent of this crate).
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}
