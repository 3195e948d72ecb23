//! Host tests of the permission rule, the capability check and the signal rule.

use super::*;
use alloc::vec;

const REG: u32 = 0o100000;
const DIR: u32 = S_IFDIR;

fn alice() -> Credentials {
    let mut c = Credentials::user(1000, 100);
    c.groups = vec![20];
    c
}

#[test]
fn root_is_all_zero_with_umask_022() {
    let r = Credentials::root();
    assert_eq!((r.ruid, r.euid, r.suid), (0, 0, 0));
    assert_eq!((r.rgid, r.egid, r.sgid), (0, 0, 0));
    assert!(r.groups.is_empty());
    assert_eq!(r.umask, 0o022);
    assert_eq!(ROOT, r);
}

#[test]
fn owner_bits_apply_to_the_owner() {
    let a = alice();
    assert!(permits(&a, 1000, 0, REG | 0o600, Access::READ));
    assert!(permits(&a, 1000, 0, REG | 0o600, Access::WRITE));
    assert!(!permits(&a, 1000, 0, REG | 0o600, Access::EXEC));
    assert!(!permits(&a, 1000, 0, REG | 0o400, Access::WRITE));
    // The owner class is the only one that applies: generous "other" bits do not
    // rescue an owner the owner bits refuse.
    assert!(!permits(&a, 1000, 0, REG | 0o077, Access::READ));
}

#[test]
fn group_bits_apply_to_the_effective_and_supplementary_groups() {
    let a = alice();
    assert!(permits(&a, 0, 100, REG | 0o640, Access::READ));
    assert!(!permits(&a, 0, 100, REG | 0o640, Access::WRITE));
    assert!(
        permits(&a, 0, 20, REG | 0o660, Access::WRITE),
        "supplementary"
    );
    assert!(
        !permits(&a, 0, 21, REG | 0o660, Access::READ),
        "not a member"
    );
    assert!(
        !permits(&a, 0, 100, REG | 0o604, Access::READ),
        "group class only"
    );
}

#[test]
fn other_bits_apply_to_everyone_else() {
    let a = alice();
    assert!(!permits(&a, 0, 0, REG | 0o600, Access::READ));
    assert!(permits(&a, 0, 0, REG | 0o644, Access::READ));
    assert!(!permits(&a, 0, 0, REG | 0o644, Access::WRITE));
    assert!(permits(&a, 0, 0, DIR | 0o755, Access::EXEC));
    assert!(!permits(&a, 0, 0, DIR | 0o755, Access::WRITE_EXEC));
    assert!(!permits(&a, 0, 0, DIR | 0o700, Access::EXEC));
    let rw = Access {
        r: true,
        w: true,
        x: false,
    };
    assert!(permits(&a, 0, 0, REG | 0o666, rw));
    assert!(!permits(&a, 0, 0, REG | 0o664, rw), "every wanted right");
    assert!(permits(&a, 0, 0, REG, Access::default()), "nothing asked");
}

#[test]
fn root_overrides_bits_but_executes_only_with_some_x_bit() {
    let r = Credentials::root();
    assert!(permits(&r, 1000, 1000, REG, Access::READ));
    assert!(permits(&r, 1000, 1000, REG, Access::WRITE));
    assert!(!permits(&r, 1000, 1000, REG | 0o666, Access::EXEC));
    assert!(permits(&r, 1000, 1000, REG | 0o001, Access::EXEC));
    assert!(
        permits(&r, 1000, 1000, DIR, Access::WRITE_EXEC),
        "search any dir"
    );
}

#[test]
fn the_effective_uid_decides_not_the_real_one() {
    let mut c = alice();
    c.ruid = 0;
    assert!(!permits(&c, 0, 0, REG | 0o600, Access::READ));
    assert!(!capable(&c, Capability::Mount));
    let mut s = alice();
    s.euid = 0;
    assert!(permits(&s, 0, 0, REG | 0o600, Access::READ));
    assert!(capable(&s, Capability::Mount));
}

#[test]
fn only_root_is_capable() {
    let all = [
        Capability::Mount,
        Capability::PowerOff,
        Capability::Kill,
        Capability::Chown,
        Capability::FileOverride,
        Capability::Fowner,
        Capability::SetId,
        Capability::Mknod,
        Capability::RawDevice,
    ];
    for c in all {
        assert!(capable(&ROOT, c), "{c:?}");
        assert!(!capable(&alice(), c), "{c:?}");
    }
}

#[test]
fn signals_need_a_matching_uid_or_kill() {
    let a = alice();
    let b = Credentials::user(1001, 100);
    assert!(may_signal(&a, &a));
    assert!(!may_signal(&a, &b));
    assert!(!may_signal(&a, &ROOT));
    assert!(may_signal(&ROOT, &b));
    // Sender's real or effective uid against the target's real or saved uid.
    let mut setuid_prog = b.clone();
    setuid_prog.suid = 1000;
    assert!(may_signal(&a, &setuid_prog), "target's saved uid");
    let mut was_a = b.clone();
    was_a.ruid = 1000;
    assert!(may_signal(&was_a, &a), "sender's real uid");
    let mut only_euid = b.clone();
    only_euid.euid = 1000;
    assert!(
        !may_signal(&a, &only_euid),
        "the target's effective uid does not count"
    );
}
