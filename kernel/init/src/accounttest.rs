//! In-kernel tests of the accounting an address space keeps for `getrusage`: its
//! running count of resident pages must agree with a walk of its page table after
//! faults, a fork and an unmap, the peak must not fall, and faults are told apart
//! (zero-fill and copy-on-write are minor).

use crate::ktest::TestResult;
use mm::{AddressSpace, Prot, VmaKind};

const BASE: u64 = 0x1000_0000;
const PAGE: u64 = 4096;

macro_rules! check {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(alloc::format!($($msg)*));
        }
    };
}

pub fn resident_count_agrees_with_the_page_table_and_faults_are_counted() -> TestResult {
    let mut a = AddressSpace::new().map_err(|e| alloc::format!("{e:?}"))?;
    a.map(BASE, 16 * PAGE, Prot::RW, VmaKind::Mmap)
        .map_err(|e| alloc::format!("map: {e:?}"))?;
    for i in 0..10 {
        a.handle_fault(BASE + i * PAGE, true, false)
            .map_err(|e| alloc::format!("fault {i}: {e:?}"))?;
    }
    let (minor, major) = a.fault_counts();
    check!(
        (minor, major) == (10, 0),
        "10 zero-fill faults counted as ({minor}, {major})"
    );
    check!(
        a.resident_bytes() == 10 * PAGE && a.peak_resident_bytes() == 10 * PAGE,
        "after 10 faults: walk {} bytes, peak {}",
        a.resident_bytes(),
        a.peak_resident_bytes()
    );
    // A fork's child has the same pages; a write there is a copy-on-write (minor).
    let mut child = a.fork().map_err(|e| alloc::format!("fork: {e:?}"))?;
    check!(
        child.peak_resident_bytes() == 10 * PAGE && child.resident_bytes() == 10 * PAGE,
        "the child counts {} bytes (walk {})",
        child.peak_resident_bytes(),
        child.resident_bytes()
    );
    child
        .handle_fault(BASE, true, false)
        .map_err(|e| alloc::format!("cow: {e:?}"))?;
    check!(
        child.fault_counts() == (1, 0),
        "cow counted as {:?}",
        child.fault_counts()
    );
    drop(child);
    // Unmapping four pages lowers the count to what the walk finds; the peak stays.
    a.unmap(BASE, 4 * PAGE)
        .map_err(|e| alloc::format!("unmap: {e:?}"))?;
    a.handle_fault(BASE + 12 * PAGE, false, false)
        .map_err(|e| alloc::format!("fault after unmap: {e:?}"))?;
    check!(
        a.resident_bytes() == 7 * PAGE,
        "after unmapping 4 of 10 and one more fault the walk finds {} bytes",
        a.resident_bytes()
    );
    check!(
        a.peak_resident_bytes() == 10 * PAGE,
        "the peak fell to {}",
        a.peak_resident_bytes()
    );
    // Five more pages make 12 resident: the new peak is 12 only if the unmap was
    // taken off the running count (16 if it was not).
    for page in [10, 11, 13, 14, 15] {
        a.handle_fault(BASE + page * PAGE, true, false)
            .map_err(|e| alloc::format!("fault {page}: {e:?}"))?;
    }
    check!(
        a.peak_resident_bytes() == 12 * PAGE && a.resident_bytes() == 12 * PAGE,
        "12 resident pages: peak {} bytes, walk {}",
        a.peak_resident_bytes(),
        a.resident_bytes()
    );
    Ok(())
}
