//! The kernel's operations, one module per family of calls (the chapter's six
//! categories). They are personality-neutral: a table row decodes its ABI's registers
//! into typed values and calls one of these, so a second ABI is only a second table.

pub mod comm;
pub mod cpu;
pub mod device;
pub mod file;
pub mod info;
pub mod memory;
pub mod module;
pub mod net;
pub mod port;
pub mod process;
pub mod protect;
pub mod resource;
pub mod thread;
pub mod unix;
pub mod watch;
