//! The kernel monitor: a tiny command line on the console, inside the kernel.
//!
//! It is how a person talks to dinos until the user-space shell exists, and it stays as
//! an emergency debug console afterwards. Every command reads kernel state directly;
//! none of them needs a process, a file system or a system call.

use alloc::string::String;
use drivers::console::{self, Line};
use hal::kprintln;

struct Command {
    name: &'static str,
    help: &'static str,
    run: fn(&[&str]),
}

const COMMANDS: &[Command] = &[
    Command {
        name: "help",
        help: "list the commands",
        run: help,
    },
    Command {
        name: "mem",
        help: "physical frames and kernel heap",
        run: mem,
    },
    Command {
        name: "threads",
        help: "kernel threads: id, state, CPU ticks, stack",
        run: threads,
    },
    Command {
        name: "log",
        help: "the kernel log ring buffer",
        run: log_cmd,
    },
    Command {
        name: "ticks",
        help: "timer ticks and uptime",
        run: ticks,
    },
    Command {
        name: "fault",
        help: "touch an unmapped address: see a page-fault report (stops the kernel)",
        run: fault,
    },
    Command {
        name: "reboot",
        help: "reset the machine",
        run: |_| hal::power::reboot(),
    },
    Command {
        name: "poweroff",
        help: "turn the machine off",
        run: |_| hal::power::poweroff(),
    },
];

/// Run the monitor forever.
pub fn run() -> ! {
    kprintln!("dinos kernel monitor. Type `help` for the commands.");
    loop {
        hal::kprint!("dinos> ");
        let line: String = match console::read_line() {
            Line::Text(t) => t,
            Line::Interrupted => continue,
        };
        let words: alloc::vec::Vec<&str> = line.split_whitespace().collect();
        let Some((&name, args)) = words.split_first() else {
            continue;
        };
        match COMMANDS.iter().find(|c| c.name == name) {
            Some(c) => (c.run)(args),
            None => kprintln!("{name}: unknown command (try `help`)"),
        }
    }
}

fn help(_: &[&str]) {
    for c in COMMANDS {
        kprintln!("  {:<10} {}", c.name, c.help);
    }
}

fn mem(_: &[&str]) {
    let s = mm::stats();
    let f = s.frames;
    kprintln!(
        "frames: {} total, {} free, {} used ({} KiB free)",
        f.total_frames,
        f.free_frames,
        f.total_frames - f.free_frames,
        f.free_frames * 4
    );
    hal::kprint!("free blocks by order:");
    for (o, n) in f.free_blocks.iter().enumerate() {
        hal::kprint!(" {o}:{n}");
    }
    kprintln!();
    kprintln!(
        "heap: {} KiB, {} KiB used, {} KiB free, {} live allocations",
        s.heap.size / 1024,
        s.heap.used / 1024,
        s.heap.free / 1024,
        s.heap.allocations
    );
}

fn threads(_: &[&str]) {
    kprintln!("  TID  STATE     TICKS  STACK                                  NAME");
    for t in task::thread_list() {
        kprintln!(
            "{:5}  {:<8} {:6}  {:#x}-{:#x}  {}",
            t.tid,
            alloc::format!("{:?}", t.state),
            t.cpu_ticks,
            t.stack.0,
            t.stack.1,
            t.name
        );
    }
}

fn log_cmd(_: &[&str]) {
    klog::with_contents(|a, b| {
        console::write(a);
        console::write(b);
    });
}

fn ticks(_: &[&str]) {
    let t = task::ticks();
    let ns = hal::apic::nanos_since_boot();
    kprintln!(
        "{t} ticks at {} Hz; up {}.{:03} s",
        hal::apic::TIMER_HZ,
        ns / 1_000_000_000,
        ns / 1_000_000 % 1000
    );
}

fn fault(_: &[&str]) {
    kprintln!("reading address 0x1000, which is not mapped...");
    if hal::debug::fault_read(0x1000).is_some() {
        kprintln!("0x1000 is mapped after all; nothing happened");
    }
}
