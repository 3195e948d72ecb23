//! Every AF_UNIX socket, listed (chapter 2, 3-2 "information maintenance": what
//! communication is going on, as `netstat -x` shows it from `/proc/net/unix`).
//!
//! A registry of weak references by number, filled by `Core::new` and emptied by
//! its `Drop`; [`list`] takes strong references under the registry's lock and reads
//! each socket's state after dropping it, so a socket whose last reference goes
//! during the listing drops (and leaves the registry) with no lock of ours held.

use super::{Core, Kind, Name};
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::AtomicU64;
use hal::sync::SpinLock;

pub(super) static NEXT_ID: AtomicU64 = AtomicU64::new(1);
pub(super) static ALL: SpinLock<BTreeMap<u64, Weak<Core>>> = SpinLock::new(BTreeMap::new());

/// One socket as the listing shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixInfo {
    pub id: u64,
    /// References to it: descriptors' open files, a listener's queue, messages in flight.
    pub refs: usize,
    /// Linux's `socket_state`: 1 unconnected, 3 connected, 4 disconnecting (closed,
    /// still referenced).
    pub state: u8,
    pub listening: bool,
    /// The bound name: a path, or `@` and the abstract name.
    pub path: Option<Vec<u8>>,
}

/// Every AF_UNIX socket, by number.
pub fn list() -> Vec<UnixInfo> {
    let cores: Vec<Arc<Core>> = ALL.lock().values().filter_map(Weak::upgrade).collect();
    let infos = cores
        .iter()
        .map(|c| {
            // The references besides ours.
            let refs = Arc::strong_count(c) - 1;
            let st = c.st.lock();
            let path = st.name.as_ref().map(|n| match n {
                Name::Path(p) => p.clone(),
                Name::Abstract(a) => [b"@".as_slice(), a].concat(),
            });
            let (state, listening) = match &st.kind {
                Kind::Fresh => (1, false),
                Kind::Listen { .. } => (1, true),
                Kind::Conn(_) => (3, false),
                Kind::Closed => (4, false),
            };
            UnixInfo {
                id: c.id,
                refs,
                state,
                listening,
                path,
            }
        })
        .collect();
    drop(cores);
    infos
}
