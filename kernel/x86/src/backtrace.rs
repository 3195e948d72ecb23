//! Frame-pointer backtraces: following the chain and printing it.
//!
//! dinos is built with `-C force-frame-pointers=yes`, so each frame starts with the
//! caller's `rbp` and the return address above it. The walker follows that chain but
//! trusts nothing: each frame pointer must be aligned and pass the caller's `read_frame`
//! (hal's checks that it lies inside a known kernel stack, and the read itself), frames
//! must go up the stack, and the walk stops after [`MAX_FRAMES`]. Frames of the prebuilt
//! `core`, which may not keep frame pointers, are passed over rather than followed.

use crate::symbols::{Symbol, Symbols};
use core::fmt;

pub const MAX_FRAMES: usize = 32;

/// Call `f` with each return address, starting from the frame whose `rbp` is given.
/// `read_frame(rbp)` returns the two words at `rbp` (the caller's `rbp`, the return
/// address), or `None` if they may not be read.
pub fn walk(mut rbp: u64, read_frame: impl Fn(u64) -> Option<(u64, u64)>, mut f: impl FnMut(u64)) {
    for _ in 0..MAX_FRAMES {
        if rbp == 0 || !rbp.is_multiple_of(8) {
            return;
        }
        let Some((next, ret)) = read_frame(rbp) else {
            return;
        };
        if ret == 0 {
            return;
        }
        f(ret);
        if next <= rbp {
            return; // frames must go up the stack
        }
        rbp = next;
    }
}

/// A printable backtrace: `#0` at `rip` if one is given, then the chain at `rbp`,
/// folding runs of the same address (deep recursion) into one line.
pub struct Backtrace<'a, R: Fn(u64) -> Option<(u64, u64)>> {
    pub rip: Option<u64>,
    pub rbp: u64,
    pub read_frame: R,
    pub symbols: Symbols<'a>,
}

impl<R: Fn(u64) -> Option<(u64, u64)>> fmt::Display for Backtrace<'_, R> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(out, "    backtrace:")?;
        let mut n = 0;
        if let Some(rip) = self.rip {
            writeln!(out, "      #0  {}", Symbol(rip, self.symbols))?;
            n = 1;
        }
        let (mut last, mut repeats, mut result) = (0u64, 0usize, Ok(()));
        let fold = |out: &mut fmt::Formatter<'_>, repeats: usize| {
            writeln!(
                out,
                "      ... the frame above repeated {repeats} more times"
            )
        };
        walk(self.rbp, &self.read_frame, |ret| {
            if ret == last {
                repeats += 1;
                return;
            }
            if repeats > 0 {
                result = result.and(fold(out, repeats));
                repeats = 0;
            }
            // A return address points after the call; look up the call itself.
            let at = Symbol(ret - 1, self.symbols);
            result = result.and(writeln!(out, "      #{n:<2} {at}"));
            n += 1;
            last = ret;
        });
        if repeats > 0 {
            result = result.and(fold(out, repeats));
        }
        result?;
        if self.rip.is_some() && !self.symbols.available() {
            writeln!(
                out,
                "      (no symbol table: build the kernel with `cargo xtask build`)"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::{format, vec::Vec};

    /// A fake stack: frame pointer -> (next frame pointer, return address).
    fn reader(frames: &[(u64, u64, u64)]) -> impl Fn(u64) -> Option<(u64, u64)> + '_ {
        move |rbp| {
            frames
                .iter()
                .find(|f| f.0 == rbp)
                .map(|&(_, next, ret)| (next, ret))
        }
    }

    #[test]
    fn walk_follows_the_chain_and_stops_on_bad_links() {
        let frames = [(0x100, 0x200, 1), (0x200, 0x300, 2), (0x300, 0x2f0, 3)];
        let mut seen = Vec::new();
        walk(0x100, reader(&frames), |r| seen.push(r));
        assert_eq!(seen, [1, 2, 3], "stops when the next frame is not higher");
        seen.clear();
        walk(0x104, reader(&frames), |r| seen.push(r));
        assert!(seen.is_empty(), "misaligned");
        walk(0x400, reader(&frames), |r| seen.push(r));
        assert!(seen.is_empty(), "unreadable");
    }

    #[test]
    fn walk_gives_up_after_max_frames() {
        let frames: Vec<_> = (1..100u64).map(|i| (i * 16, i * 16 + 16, i)).collect();
        let mut n = 0;
        walk(16, reader(&frames), |_| n += 1);
        assert_eq!(n, MAX_FRAMES);
    }

    #[test]
    fn recursion_is_folded_and_symbols_named() {
        let blob = crate::symbols::tests::blob(&[(0x1000, 0x100, "f"), (0x2000, 0x100, "g")]);
        let frames = [
            (0x100, 0x110, 0x1011),
            (0x110, 0x120, 0x1011),
            (0x120, 0x130, 0x1011),
            (0x130, 0, 0x2001),
        ];
        let bt = Backtrace {
            rip: Some(0x2050),
            rbp: 0x100,
            read_frame: reader(&frames),
            symbols: Symbols::new(&blob),
        };
        assert_eq!(
            format!("{bt}"),
            "    backtrace:\n\
             \x20     #0  0x0000000000002050 g+0x50\n\
             \x20     #1  0x0000000000001010 f+0x10\n\
             \x20     ... the frame above repeated 2 more times\n\
             \x20     #2  0x0000000000002000 g+0x0\n"
        );
    }

    #[test]
    fn a_missing_symbol_table_is_said() {
        let bt = Backtrace {
            rip: Some(0x10),
            rbp: 0,
            read_frame: |_| None,
            symbols: Symbols::new(&[]),
        };
        assert!(format!("{bt}")
            .ends_with("(no symbol table: build the kernel with `cargo xtask build`)\n"));
    }
}
