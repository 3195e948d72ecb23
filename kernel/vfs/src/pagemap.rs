//! One file's cached pages by page index: a two-level table.
//!
//! The page cache looks a page up on every read of a page and every fault on a
//! mapped file, so this lookup is on the hottest paths of file I/O. An ordered map
//! keyed by page index costs a search of the whole tree each time; here the index is
//! split into a chunk number (an ordered map, with one entry per 16 pages) and a slot
//! within the chunk (an array), so a lookup searches a map sixteen times smaller and
//! then indexes. Order is kept (chunks are ordered, slots within them too), which
//! write-back (pages in file order) and truncation (every page from one on) need.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Pages per chunk.
const CHUNK: u64 = 16;

struct Chunk<T> {
    slots: [Option<T>; CHUNK as usize],
    used: u32,
}

/// Values (a page's slot) by page index.
pub(crate) struct PageMap<T> {
    chunks: BTreeMap<u64, Box<Chunk<T>>>,
}

fn split(index: u64) -> (u64, usize) {
    (index / CHUNK, (index % CHUNK) as usize)
}

impl<T> PageMap<T> {
    pub fn new() -> Self {
        PageMap {
            chunks: BTreeMap::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    pub fn get_mut(&mut self, index: u64) -> Option<&mut T> {
        let (c, s) = split(index);
        self.chunks.get_mut(&c)?.slots[s].as_mut()
    }

    /// Put `value` at `index`; the value that was there.
    pub fn insert(&mut self, index: u64, value: T) -> Option<T> {
        let (c, s) = split(index);
        let chunk = self.chunks.entry(c).or_insert_with(|| {
            Box::new(Chunk {
                slots: core::array::from_fn(|_| None),
                used: 0,
            })
        });
        let old = chunk.slots[s].replace(value);
        if old.is_none() {
            chunk.used += 1;
        }
        old
    }

    pub fn remove(&mut self, index: u64) -> Option<T> {
        let (c, s) = split(index);
        let chunk = self.chunks.get_mut(&c)?;
        let old = chunk.slots[s].take();
        if old.is_some() {
            chunk.used -= 1;
            if chunk.used == 0 {
                self.chunks.remove(&c);
            }
        }
        old
    }

    /// Take out every value at `first` or above, in order.
    pub fn split_off(&mut self, first: u64) -> Vec<(u64, T)> {
        let (c, s) = split(first);
        let mut out = Vec::new();
        if let Some(chunk) = self.chunks.get_mut(&c) {
            for (i, slot) in chunk.slots.iter_mut().enumerate().skip(s) {
                if let Some(v) = slot.take() {
                    chunk.used -= 1;
                    out.push((c * CHUNK + i as u64, v));
                }
            }
            if chunk.used == 0 {
                self.chunks.remove(&c);
            }
        }
        for (k, chunk) in self.chunks.split_off(&(c + 1)) {
            let mut chunk = *chunk;
            for (i, slot) in chunk.slots.iter_mut().enumerate() {
                if let Some(v) = slot.take() {
                    out.push((k * CHUNK + i as u64, v));
                }
            }
        }
        out
    }

    /// Every value with its index, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        self.range(0, u64::MAX)
    }

    /// The values with index in `[first, last]`, in order.
    pub fn range(&self, first: u64, last: u64) -> impl Iterator<Item = (u64, &T)> {
        let (fc, _) = split(first);
        self.chunks
            .range(fc..=last / CHUNK)
            .flat_map(|(&c, chunk)| {
                chunk
                    .slots
                    .iter()
                    .enumerate()
                    .filter_map(move |(i, v)| v.as_ref().map(|v| (c * CHUNK + i as u64, v)))
            })
            .filter(move |&(i, _)| first <= i && i <= last)
    }

    /// Call `f(index, value)` for the values from `first` on while they follow each
    /// other without a gap, up to `last`, until `f` returns false; the index after the
    /// last one `f` accepted (a sequential read: each chunk found once, then indexed).
    pub fn run_mut(
        &mut self,
        first: u64,
        last: u64,
        mut f: impl FnMut(u64, &mut T) -> bool,
    ) -> u64 {
        let mut next = first;
        while next <= last {
            let (c, mut s) = split(next);
            let Some(chunk) = self.chunks.get_mut(&c) else {
                return next;
            };
            while s < CHUNK as usize && next <= last {
                let Some(v) = chunk.slots[s].as_mut() else {
                    return next;
                };
                if !f(next, v) {
                    return next;
                }
                next += 1;
                s += 1;
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::BTreeMap as Model;

    #[test]
    fn behaves_like_an_ordered_map() {
        let mut m = PageMap::new();
        let mut model = Model::new();
        let mut x: u64 = 12345;
        for step in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = x % 200;
            match x % 7 {
                0..=2 => assert_eq!(m.insert(i, step), model.insert(i, step)),
                3 | 4 => assert_eq!(m.remove(i), model.remove(&i)),
                5 => {
                    if let Some(v) = m.get_mut(i) {
                        *v += 1;
                    }
                    if let Some(v) = model.get_mut(&i) {
                        *v += 1;
                    }
                }
                _ if step % 50 == 0 => {
                    let got = m.split_off(i);
                    let want: Vec<(u64, u64)> = model.split_off(&i).into_iter().collect();
                    assert_eq!(got, want);
                }
                _ => {}
            }
            let (a, b) = (x % 211, (x >> 8) % 211);
            let (lo, hi) = (a.min(b), a.max(b));
            let got: Vec<(u64, u64)> = m.range(lo, hi).map(|(i, &v)| (i, v)).collect();
            let want: Vec<(u64, u64)> = model.range(lo..=hi).map(|(&i, &v)| (i, v)).collect();
            assert_eq!(got, want);
        }
        // A run from each index stops at the first gap.
        for start in 0..210u64 {
            let mut seen = Vec::new();
            let end = m.run_mut(start, 205, |i, v| {
                seen.push((i, *v));
                true
            });
            let want: Vec<(u64, u64)> = (start..=205)
                .map_while(|i| model.get(&i).map(|&v| (i, v)))
                .collect();
            assert_eq!(seen, want);
            assert_eq!(end, start + want.len() as u64);
        }
        let all: Vec<(u64, u64)> = m.iter().map(|(i, &v)| (i, v)).collect();
        assert_eq!(all, model.into_iter().collect::<Vec<_>>());
        assert_eq!(m.is_empty(), all.is_empty());
    }
}
