//! `utilcore`: what the text utilities in `/bin` compute, apart from reading and writing
//! (chapter 2 section 4, file modification tools). One module per utility; each program
//! in `user/bin/src/bin` is a thin shell that parses its command line, reads its input
//! through ulib and calls the module here. Everything works on bytes, as the C locale
//! does, and is unit-tested on the host.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod awk;
pub mod cmp;
pub mod cut;
pub mod date;
pub mod diff;
pub mod expr;
pub mod lines;
pub mod number;
pub mod od;
pub mod opts;
pub mod path;
pub mod sed;
pub mod seq;
pub mod sort;
pub mod tail;
pub mod tar;
pub mod tr;
pub mod uniq;
pub mod wc;
pub mod xargs;
