//! The memory behind a futex word: which key names it, and where its bytes are.
//!
//! Two processes that share a segment map the same frame at different addresses, so
//! a futex word of *shared* memory (a shared file or segment mapping) is named by its
//! physical place: frame and offset. Any other word is private to its address space,
//! where copy-on-write may give it a new frame at any write (after a `fork`), so it
//! is named as Linux names private futexes: the address space and the virtual address.
//! Either way the word's page is made present first, and the caller reads the word
//! through the frame, so the read cannot fault while the caller holds a spinlock.
//! The address space remembers the last shared page found (a lock's waiters and
//! wakers use the same word over and over), which saves the region lookup and the
//! page-table walk; unmapping or `mprotect` forgets it.

use crate::aspace::{page_down, AddressSpace, VmError};
use alloc::sync::Arc;
use hal::addr::{PhysAddr, VirtAddr};

/// The name of a futex word: equal for two addresses exactly when they are one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WordKey {
    /// Shared memory: the word's physical address.
    Shared(u64),
    /// Private memory: the address space (its page table's identity) and the address.
    Private { space: usize, addr: u64 },
}

/// A futex word found: its key and, to read it, its frame and offset in the frame.
#[derive(Clone, Copy, Debug)]
pub struct Word {
    pub key: WordKey,
    pub frame: PhysAddr,
    pub offset: usize,
}

impl AddressSpace {
    /// The futex word at `addr` (4-byte aligned, in a readable region), its page made
    /// present. BadAddress when the program may not read it.
    pub fn futex_word(&mut self, addr: u64) -> Result<Word, VmError> {
        if !addr.is_multiple_of(4) {
            return Err(VmError::Invalid);
        }
        let page = page_down(addr);
        let offset = (addr - page) as usize;
        // The same page as last time: a page of a shared mapping keeps its frame
        // until it is unmapped or loses its rights, which forget this.
        if let Some((p, frame)) = self.word_page {
            if p == page {
                let key = WordKey::Shared(frame.as_u64() + offset as u64);
                return Ok(Word { key, frame, offset });
            }
        }
        let shared = {
            let vma = self.find(addr).ok_or(VmError::BadAddress)?;
            if !vma.prot.read {
                return Err(VmError::BadAddress);
            }
            vma.file.as_ref().is_some_and(|f| f.shared)
        };
        let present = self.table.lock().translate(VirtAddr(page));
        let frame = match present {
            Some((pa, _)) => pa,
            None => {
                self.prepare(addr, 4, false)?;
                self.table
                    .lock()
                    .translate(VirtAddr(page))
                    .ok_or(VmError::BadAddress)?
                    .0
            }
        };
        let frame = PhysAddr(page_down(frame.as_u64()));
        let key = if shared {
            self.word_page = Some((page, frame));
            WordKey::Shared(frame.as_u64() + offset as u64)
        } else {
            WordKey::Private {
                space: Arc::as_ptr(&self.table) as *const () as usize,
                addr,
            }
        };
        Ok(Word { key, frame, offset })
    }
}

impl Word {
    /// The word's value now (an atomic load: its owner may be writing it).
    pub fn load(&self) -> u32 {
        hal::paging::load_frame_u32(self.frame, self.offset)
    }
}
