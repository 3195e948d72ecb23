//! `sysmon`: CPU and memory use over time in a wsd window (chapter 2, 2-2: a desktop
//! program; 3-2, information maintenance: the figures come from `/proc`).
//!
//! Twice a second it reads `/proc/uptime` (time since boot and idle time) and
//! `/proc/meminfo`: CPU use is the share of the last interval not spent idle (over
//! all CPUs, `sysinfo`'s count), memory use is `1 - MemAvailable / MemTotal`. Each
//! figure is one column of a scrolling graph, the newest on the right: green for the
//! CPU above, blue for memory below, each graph `GRAPH_H` pixels for 100%.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::collections::VecDeque;
use core::time::Duration;
use gfx::Surface;
use ulib::abi::Errno;
use ulib::wsclient::Window;

pub const BACK: u32 = 0x0020_2020;
pub const CPU: u32 = 0x0040_e040;
pub const MEM: u32 = 0x0040_80ff;
pub const LABEL: u32 = 0x00e0_e0e0;
/// Columns of history, graph height, and where the two graphs are.
pub const COLUMNS: usize = 256;
pub const GRAPH_H: usize = 50;
pub const LEFT: usize = 8;
pub const CPU_TOP: usize = 20;
pub const MEM_TOP: usize = CPU_TOP + GRAPH_H + 20;

/// Percent of `total` that `part` is, 0..=100.
fn percent(part: u128, total: u128) -> u32 {
    (part * 100).checked_div(total).unwrap_or(0).min(100) as u32
}

fn main() -> i32 {
    let (w, h) = (LEFT * 2 + COLUMNS, MEM_TOP + GRAPH_H + 8);
    let win = match Window::open("sysmon", w, h) {
        Ok(win) => win,
        Err(e) => {
            ulib::cli::error("wsd", e);
            return 1;
        }
    };
    let cpus = ulib::info::sysinfo().map_or(1, |i| i.cpus.max(1)) as u128;
    let mut history: VecDeque<(u32, u32)> = VecDeque::new();
    let mut last = ulib::procfs::uptime().ok();
    let mut s = Surface::new(w, h, BACK);
    loop {
        let deadline = ulib::time::Instant::now() + Duration::from_millis(500);
        loop {
            let left = deadline.duration_since(ulib::time::Instant::now());
            if left.is_zero() {
                break;
            }
            match win.event(Some(left)) {
                Ok(_) | Err(Errno::ETIMEDOUT) | Err(Errno::EAGAIN) | Err(Errno::EINTR) => {}
                Err(_) => return 0, // wsd is gone
            }
        }
        let now = ulib::procfs::uptime().ok();
        let cpu = match (last, now) {
            (Some((up0, idle0)), Some((up1, idle1))) => {
                let span = up1.saturating_sub(up0).as_nanos() * cpus;
                let idle = idle1.saturating_sub(idle0).as_nanos();
                100 - percent(idle, span)
            }
            _ => 0,
        };
        last = now;
        let mem = ulib::procfs::meminfo().map_or(0, |m| {
            percent(m.total.saturating_sub(m.available) as u128, m.total as u128)
        });
        if history.len() == COLUMNS {
            history.pop_front();
        }
        history.push_back((cpu, mem));
        draw(&mut s, &history);
        win.show(&s);
    }
}

/// Both graphs, the newest column at the right edge.
fn draw(s: &mut Surface, history: &VecDeque<(u32, u32)>) {
    s.fill(0, 0, s.width, s.height, BACK);
    let (cpu, mem) = history.back().copied().unwrap_or((0, 0));
    s.text(
        LEFT as i64,
        (CPU_TOP - 12) as i64,
        &alloc::format!("cpu {cpu:3}%"),
        1,
        LABEL,
    );
    s.text(
        LEFT as i64,
        (MEM_TOP - 12) as i64,
        &alloc::format!("mem {mem:3}%"),
        1,
        LABEL,
    );
    let first = COLUMNS - history.len();
    for (i, &(c, m)) in history.iter().enumerate() {
        let x = (LEFT + first + i) as i64;
        for (top, pct, rgb) in [(CPU_TOP, c, CPU), (MEM_TOP, m, MEM)] {
            let bar = pct as usize * GRAPH_H / 100;
            s.fill(x, (top + GRAPH_H - bar) as i64, 1, bar, rgb);
        }
    }
    s.frame(
        (LEFT - 1) as i64,
        (CPU_TOP - 1) as i64,
        COLUMNS + 2,
        GRAPH_H + 2,
        LABEL,
    );
    s.frame(
        (LEFT - 1) as i64,
        (MEM_TOP - 1) as i64,
        COLUMNS + 2,
        GRAPH_H + 2,
        LABEL,
    );
}
