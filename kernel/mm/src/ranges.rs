//! Turning the loader's memory map into the list of free physical ranges.
//!
//! Usable regions are clipped to whole pages, and what is already in use is cut out:
//! the first MiB (firmware data, the PVH start info), the kernel image, boot modules
//! (the `-initrd` RAM disk). The result is a small fixed array: no heap exists yet.

use hal::addr::{KERNEL_VMA, PAGE_SIZE};
use hal::boot::{BootInfo, MemoryKind};

pub const MAX_RANGES: usize = 64;

/// Free physical ranges `[start, end)`, page-aligned.
pub struct Ranges {
    items: [(u64, u64); MAX_RANGES],
    len: usize,
}

impl Ranges {
    pub fn iter(&self) -> impl Iterator<Item = &(u64, u64)> {
        self.items[..self.len].iter()
    }

    fn push(&mut self, r: (u64, u64)) {
        if r.1 > r.0 && self.len < MAX_RANGES {
            self.items[self.len] = r;
            self.len += 1;
        }
    }

    /// Remove `[s, e)` from every range.
    fn cut(&mut self, s: u64, e: u64) {
        let old = *self;
        self.len = 0;
        for &(a, b) in old.iter() {
            if e <= a || s >= b {
                self.push((a, b));
            } else {
                self.push((a, s.max(a)));
                self.push((e.min(b), b));
            }
        }
    }
}

impl Clone for Ranges {
    fn clone(&self) -> Self {
        *self
    }
}
impl Copy for Ranges {}

/// Usable RAM minus what the boot already uses.
pub fn free_ranges(boot: &BootInfo) -> Ranges {
    let mut r = Ranges {
        items: [(0, 0); MAX_RANGES],
        len: 0,
    };
    for m in boot.memory_map() {
        if m.kind == MemoryKind::Usable {
            let s = m.start.as_u64().div_ceil(PAGE_SIZE) * PAGE_SIZE;
            let e = (m.start.as_u64() + m.len) & !(PAGE_SIZE - 1);
            r.push((s, e));
        }
    }
    r.cut(0, 0x10_0000);
    let image_end = hal::addr::kernel_layout().end.as_u64() - KERNEL_VMA;
    r.cut(0x10_0000, image_end.div_ceil(PAGE_SIZE) * PAGE_SIZE);
    for m in boot.modules() {
        let s = m.start.as_u64() & !(PAGE_SIZE - 1);
        r.cut(
            s,
            (m.start.as_u64() + m.len).div_ceil(PAGE_SIZE) * PAGE_SIZE,
        );
    }
    r
}

/// Take `len` bytes from the start of the largest range; returns the start address.
pub fn take(r: &mut Ranges, len: u64) -> Option<u64> {
    let (i, _) = r.items[..r.len]
        .iter()
        .enumerate()
        .max_by_key(|(_, x)| x.1 - x.0)?;
    let (s, e) = r.items[i];
    if e - s < len {
        return None;
    }
    r.items[i].0 += len;
    Some(s)
}
