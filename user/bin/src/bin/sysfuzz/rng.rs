//! The fuzzer's randomness: splitmix64, so every run is a pure function of its seed.
//!
//! splitmix64 is tiny, has no bad seeds (0 included) and mixes well enough that the
//! seeds of chunks and forked children can be derived by simply hashing the parent's
//! seed with a counter ([`mix`]). Nothing here reads the clock: a run with the same
//! seed makes the same choices (what differs from run to run is only what the kernel
//! answers, and the order in which processes run).

/// A splitmix64 generator.
pub struct Rng(u64);

/// Hash two values into a seed (for chunk and child seeds).
pub fn mix(a: u64, b: u64) -> u64 {
    let mut r = Rng(a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    r.next()
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `true` with probability `1/n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    /// One element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }

    /// A "boundary" integer: the values where off-by-one and overflow bugs live.
    pub fn boundary(&mut self) -> u64 {
        const B: &[u64] = &[
            0,
            1,
            2,
            3,
            7,
            8,
            63,
            64,
            255,
            256,
            4095,
            4096,
            4097,
            65535,
            65536,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x1_0000_0000,
            1 << 40,
            1 << 47,
            0x7fff_ffff_ffff_ffff,
            0x8000_0000_0000_0000,
            u64::MAX - 4095,
            u64::MAX - 1,
            u64::MAX,
        ];
        self.pick(B)
    }

    /// An integer of any shape: boundary, small, random bits, or a random power of two
    /// plus or minus one.
    pub fn int(&mut self) -> u64 {
        match self.below(5) {
            0 => self.boundary(),
            1 => self.below(16),
            2 => self.below(4096),
            3 => (1u64 << self.below(64))
                .wrapping_add(self.below(3))
                .wrapping_sub(1),
            _ => self.next(),
        }
    }

    /// A flag word: a few random bits (most calls check flags bit by bit).
    pub fn flags(&mut self) -> u64 {
        match self.below(4) {
            0 => 0,
            1 => 1 << self.below(32),
            2 => self.next() & 0xffff_ffff,
            _ => (1 << self.below(24)) | (1 << self.below(24)),
        }
    }
}
