//! `shcore`: the parts of the dinos shell `sh` that are pure logic.
//!
//! Chapter 2 section 2-1 (the command interpreter): besides its language (the
//! `shparse` crate), a shell is a line editor with history and completion, a search of
//! `PATH` for the program file that a command names, a table of jobs, a store of
//! variables (some exported to children), and the translation of a wait status into
//! `$?` and a message such as `Segmentation fault (SIGSEGV)`. None of that needs the
//! kernel, so it lives here and is tested on the host with `cargo test -p shcore`.
//!
//! Design decision: every place where the shell would touch the system is a small
//! trait ([`fsview::FsView`] for "what is in this directory / what is this path",
//! [`lineedit::Completer`] for Tab). The program `sh` implements them with system
//! calls; the tests implement them with an in-memory tree. So the editor is driven by
//! byte sequences and the search by fake directory listings, exactly as on the machine.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod complete;
pub mod fsview;
pub mod history;
pub mod jobs;
pub mod lineedit;
pub mod mode;
pub mod pathsearch;
pub mod printf;
pub mod readsplit;
pub mod status;
pub mod testexpr;
pub mod ulimit;
pub mod vars;

/// The shell language, re-exported so `sh` needs only this crate.
pub use shparse;
