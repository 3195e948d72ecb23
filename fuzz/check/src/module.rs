//! The module linker (`kernel/module`: object parsing, layout, relocations) on fuzzed
//! relocatable objects.
//!
//! Chapter 2 section 5 (linking and loading), and section 7 (modules): `insmod` hands
//! the kernel a file, which `object::Object::parse` checks, `link::Plan::new` lays
//! out and `link::link` relocates into a buffer, all before a byte of it is mapped.
//! A hostile object must be refused with a reason; the checks here are that nothing
//! panics or overflows on the way (the host build has overflow checks on), that the
//! layout stays within the module size limit, and that a linked image is exactly the
//! plan's size.

use module::link::{link, Plan};
use module::object::Object;

use crate::Oracle;

/// Where the loader puts modules (the module region) and the one export offered.
const BASE: u64 = 0xffff_ffff_c000_0000;
const KAPI_LOG: u64 = 0xffff_ffff_8010_1000;

fn exports(name: &str) -> Option<u64> {
    match name {
        "kapi_log" | "kapi_register_device" | "kapi_alloc" => Some(KAPI_LOG),
        _ => None,
    }
}

/// Runs one input: the whole input is the object file.
pub fn check(data: &[u8], _oracle: Oracle) {
    let Ok(obj) = Object::parse(data) else {
        return;
    };
    let Ok(plan) = Plan::new(&obj) else {
        return;
    };
    assert!(
        plan.size % 4096 == 0 && plan.size >= 4096,
        "plan size {}",
        plan.size
    );
    assert!(plan.text.end <= plan.rodata.start || plan.rodata.is_empty());
    assert!(plan.got.end <= plan.data.start || plan.data.is_empty());
    for (&i, &off) in &plan.placed {
        let s = &obj.sections[i];
        assert!(
            off + s.size <= plan.size,
            "section {i} placed past the image"
        );
    }
    let Ok(linked) = link(&obj, &plan, BASE, &exports) else {
        return;
    };
    assert_eq!(linked.image.len(), plan.size);
    assert_eq!(linked.base, BASE);
    let _ = linked.bytes_at(BASE, 16);
    let _ = linked.word_at(BASE + plan.got.start as u64);
}
