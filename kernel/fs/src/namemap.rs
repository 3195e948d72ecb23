//! [`NameMap`]: a map from file names to values, ordered by a hash of the name.
//!
//! Directories are looked up by name far more often than they are listed in
//! order, and the names in one directory often share a long prefix (`f00001`,
//! `f00002`, ...), so a tree ordered by the names themselves compares several
//! bytes, through a `memcmp` call, at every step of every search. The design
//! decision: the tree is ordered by a 64-bit FNV-1a hash of the name, so each step
//! compares two integers, and a name's bytes are compared once, at the end, with
//! the few names (almost always one) that share its hash. The order of iteration
//! is therefore the hash order, which no caller may rely on. Used by the ext2
//! directory index, the VFS name cache and tmpfs directories.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// FNV-1a, 64 bits: a few instructions per byte, and good enough spread for
/// names (collisions cost a second comparison, never a wrong answer).
pub fn hash(name: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in name {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The names sharing one hash.
enum Bucket<V> {
    One(Box<[u8]>, V),
    Many(Vec<(Box<[u8]>, V)>),
}

/// A map from names (byte strings) to `V`.
pub struct NameMap<V> {
    map: BTreeMap<u64, Bucket<V>>,
    len: usize,
    /// The hash: [`hash`], except in tests that need names to collide.
    hash: fn(&[u8]) -> u64,
}

impl<V> Default for NameMap<V> {
    fn default() -> Self {
        NameMap::new()
    }
}

impl<V> NameMap<V> {
    pub const fn new() -> NameMap<V> {
        NameMap {
            map: BTreeMap::new(),
            len: 0,
            hash,
        }
    }

    /// Number of names held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of `name`.
    pub fn get(&self, name: &[u8]) -> Option<&V> {
        match self.map.get(&(self.hash)(name))? {
            Bucket::One(n, v) => (**n == *name).then_some(v),
            Bucket::Many(list) => list.iter().find(|(n, _)| **n == *name).map(|(_, v)| v),
        }
    }

    /// The value of `name`, to change.
    pub fn get_mut(&mut self, name: &[u8]) -> Option<&mut V> {
        match self.map.get_mut(&(self.hash)(name))? {
            Bucket::One(n, v) => (**n == *name).then_some(v),
            Bucket::Many(list) => list.iter_mut().find(|(n, _)| **n == *name).map(|(_, v)| v),
        }
    }

    /// True when `name` is held.
    pub fn contains_key(&self, name: &[u8]) -> bool {
        self.get(name).is_some()
    }

    /// Sets the value of `name`; returns the one it replaces. One hash and one
    /// search of the tree, whether the name is new or not.
    pub fn insert(&mut self, name: &[u8], value: V) -> Option<V> {
        use alloc::collections::btree_map::Entry;
        let h = (self.hash)(name);
        match self.map.entry(h) {
            Entry::Vacant(e) => {
                e.insert(Bucket::One(name.into(), value));
            }
            Entry::Occupied(mut e) => {
                let b = e.get_mut();
                match b {
                    Bucket::One(n, v) if **n == *name => return Some(core::mem::replace(v, value)),
                    Bucket::Many(list) => {
                        if let Some((_, v)) = list.iter_mut().find(|(n, _)| **n == *name) {
                            return Some(core::mem::replace(v, value));
                        }
                        list.push((name.into(), value));
                    }
                    Bucket::One(..) => {
                        let old = core::mem::replace(b, Bucket::Many(Vec::with_capacity(2)));
                        if let (Bucket::One(n, v), Bucket::Many(list)) = (old, b) {
                            list.push((n, v));
                            list.push((name.into(), value));
                        }
                    }
                }
            }
        }
        self.len += 1;
        None
    }

    /// Removes `name`; returns its value.
    pub fn remove(&mut self, name: &[u8]) -> Option<V> {
        let h = (self.hash)(name);
        let out = match self.map.get_mut(&h)? {
            Bucket::One(n, _) if **n == *name => match self.map.remove(&h) {
                Some(Bucket::One(_, v)) => Some(v),
                _ => None,
            },
            Bucket::One(..) => None,
            Bucket::Many(list) => {
                let i = list.iter().position(|(n, _)| **n == *name)?;
                let (_, v) = list.swap_remove(i);
                if list.is_empty() {
                    self.map.remove(&h);
                }
                Some(v)
            }
        };
        if out.is_some() {
            self.len -= 1;
        }
        out
    }

    /// Every name and value, in hash order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.map.values().flat_map(|b| {
            let items: &[(Box<[u8]>, V)] = match b {
                Bucket::One(..) => &[],
                Bucket::Many(list) => list,
            };
            let one = match b {
                Bucket::One(n, v) => Some((&**n, v)),
                Bucket::Many(_) => None,
            };
            one.into_iter().chain(items.iter().map(|(n, v)| (&**n, v)))
        })
    }

    /// Keeps only the names for which `keep` says true.
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8], &mut V) -> bool) {
        let mut len = 0;
        self.map.retain(|_, b| match b {
            Bucket::One(n, v) => {
                let k = keep(n, v);
                len += k as usize;
                k
            }
            Bucket::Many(list) => {
                list.retain_mut(|(n, v)| keep(n, v));
                len += list.len();
                !list.is_empty()
            }
        });
        self.len = len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_remove_and_len() {
        let mut m = NameMap::new();
        assert_eq!(m.insert(b"a", 1), None);
        assert_eq!(m.insert(b"b", 2), None);
        assert_eq!(m.insert(b"a", 3), Some(1));
        assert_eq!(
            (m.get(b"a"), m.get(b"b"), m.get(b"c")),
            (Some(&3), Some(&2), None)
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m.remove(b"a"), Some(3));
        assert_eq!(m.remove(b"a"), None);
        assert_eq!(m.len(), 1);
        assert!(m.contains_key(b"b") && !m.contains_key(b"a"));
    }

    #[test]
    fn names_sharing_a_hash_stay_distinct() {
        let mut m = NameMap::new();
        m.hash = |_| 7; // every name collides
        for i in 0..50u32 {
            assert_eq!(m.insert(alloc::format!("n{i}").as_bytes(), i), None);
        }
        assert_eq!(m.insert(b"n3", 300), Some(3));
        for i in (0..50u32).step_by(3) {
            assert!(m.remove(alloc::format!("n{i}").as_bytes()).is_some());
        }
        for i in 0..50u32 {
            let want = (i % 3 != 0).then_some(i);
            assert_eq!(m.get(alloc::format!("n{i}").as_bytes()).copied(), want);
        }
        assert_eq!(m.len(), 33);
        assert_eq!(m.iter().count(), 33);
        m.retain(|n, _| n != b"n1");
        assert_eq!((m.get(b"n1"), m.get(b"n2")), (None, Some(&2)));
        assert_eq!(m.len(), 32);
        m.retain(|_, _| false);
        assert!(m.is_empty() && m.map.is_empty());
    }

    #[test]
    fn many_names_with_the_real_hash() {
        let mut m = NameMap::new();
        for i in 0..20_000u32 {
            m.insert(alloc::format!("f{i:05}").as_bytes(), i);
        }
        for i in (0..20_000u32).step_by(3) {
            assert_eq!(m.remove(alloc::format!("f{i:05}").as_bytes()), Some(i));
        }
        for i in 0..20_000u32 {
            let want = (i % 3 != 0).then_some(i);
            assert_eq!(m.get(alloc::format!("f{i:05}").as_bytes()).copied(), want);
        }
        assert_eq!(m.iter().count(), m.len());
    }
}
