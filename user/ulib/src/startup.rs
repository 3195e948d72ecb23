//! Reading a new program's initial stack (chapter 2: parameters passed on the stack).
//!
//! The kernel's `exec` leaves, at the stack pointer, `argc`, then `argc` pointers to
//! NUL-terminated argument strings and a NULL, then the environment pointers and a NULL,
//! then the auxiliary vector: (key, value) pairs of `u64` ending with `AT_NULL`. The
//! strings themselves lie higher up on the same stack.
//!
//! This module is the pure half: it parses that layout from a byte slice `stack` that
//! starts at address `base`, so it is unit-tested on the host with hand-built stacks.
//! The machine half ([`crate::rt`]) only finds how far the area extends and makes the
//! slice. A pointer outside the slice, or a string without its NUL inside it, gives
//! `None` rather than a guess.

use alloc::string::String;
use alloc::vec::Vec;

/// What a program starts with.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InitialStack {
    pub args: Vec<String>,
    pub env: Vec<String>,
    /// The auxiliary vector without its `AT_NULL` end.
    pub auxv: Vec<(u64, u64)>,
}

fn word(stack: &[u8], at: usize) -> Option<u64> {
    let b = stack.get(at..at + 8)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

fn c_string(stack: &[u8], base: u64, addr: u64) -> Option<String> {
    let start = usize::try_from(addr.checked_sub(base)?).ok()?;
    let rest = stack.get(start..)?;
    let len = rest.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(&rest[..len]).into_owned())
}

/// Read a NULL-terminated pointer vector starting at byte `at`; returns the strings
/// and the byte offset just past the NULL.
fn strings(stack: &[u8], base: u64, mut at: usize, limit: usize) -> Option<(Vec<String>, usize)> {
    let mut out = Vec::new();
    loop {
        let p = word(stack, at)?;
        at += 8;
        if p == 0 {
            return Some((out, at));
        }
        if out.len() >= limit {
            return None;
        }
        out.push(c_string(stack, base, p)?);
    }
}

/// Parse the initial stack in `stack`, whose first byte is at address `base` (the
/// stack pointer the program started with).
pub fn parse(stack: &[u8], base: u64) -> Option<InitialStack> {
    let argc = usize::try_from(word(stack, 0)?).ok()?;
    if argc > stack.len() / 8 {
        return None;
    }
    let (args, at) = strings(stack, base, 8, argc)?;
    if args.len() != argc {
        return None;
    }
    let (env, mut at) = strings(stack, base, at, stack.len() / 8)?;
    let mut auxv = Vec::new();
    loop {
        let key = word(stack, at)?;
        if key == abi::auxv::AT_NULL {
            break;
        }
        auxv.push((key, word(stack, at + 8)?));
        at += 16;
    }
    Some(InitialStack { args, env, auxv })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// Build a stack image as the kernel would: vectors first, strings after them.
    fn build(base: u64, args: &[&str], env: &[&str], auxv: &[(u64, u64)]) -> Vec<u8> {
        let words = 1 + args.len() + 1 + env.len() + 1 + 2 * auxv.len() + 2;
        let mut strings = Vec::new();
        let mut ptrs = Vec::new();
        for s in args.iter().chain(env) {
            ptrs.push(base + (words * 8 + strings.len()) as u64);
            strings.extend_from_slice(s.as_bytes());
            strings.push(0);
        }
        let mut out = Vec::new();
        let mut put = |v: u64| out.extend_from_slice(&v.to_le_bytes());
        put(args.len() as u64);
        for p in &ptrs[..args.len()] {
            put(*p);
        }
        put(0);
        for p in &ptrs[args.len()..] {
            put(*p);
        }
        put(0);
        for &(k, v) in auxv {
            put(k);
            put(v);
        }
        put(0);
        put(0);
        out.extend_from_slice(&strings);
        out
    }

    #[test]
    fn arguments_environment_and_auxv_are_read_in_order() {
        let base = 0x7fff_f000;
        let stack = build(
            base,
            &["ls", "-l", "/bin"],
            &["PATH=/bin", "HOME=/"],
            &[(6, 4096), (9, 0x401000)],
        );
        let s = parse(&stack, base).unwrap();
        assert_eq!(s.args, vec!["ls", "-l", "/bin"]);
        assert_eq!(s.env, vec!["PATH=/bin", "HOME=/"]);
        assert_eq!(s.auxv, vec![(6, 4096), (9, 0x401000)]);
    }

    #[test]
    fn empty_vectors_are_fine() {
        let base = 0x1000;
        let stack = build(base, &[], &[], &[]);
        assert_eq!(parse(&stack, base).unwrap(), InitialStack::default());
    }

    #[test]
    fn a_pointer_outside_the_stack_or_a_missing_nul_is_rejected() {
        let base = 0x1000;
        let mut stack = build(base, &["a"], &[], &[]);
        stack[8..16].copy_from_slice(&0x10u64.to_le_bytes()); // below the stack
        assert_eq!(parse(&stack, base), None);
        let mut stack = build(base, &["abc"], &[], &[]);
        stack.pop(); // drop the final NUL
        assert_eq!(parse(&stack, base), None);
        let stack = build(base, &["a"], &[], &[]);
        assert_eq!(parse(&stack[..20], base), None); // cut inside the vectors
    }

    #[test]
    fn an_absurd_argc_is_rejected() {
        let mut stack = build(0x1000, &["a"], &[], &[]);
        stack[0..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(parse(&stack, 0x1000), None);
    }
}
