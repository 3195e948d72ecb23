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

#[test]
fn root_setuid_changes_all_three_ids_for_good() {
    let c = ROOT.with_uid(1000).unwrap();
    assert_eq!((c.ruid, c.euid, c.suid), (1000, 1000, 1000));
    assert!(c.with_uid(0).is_none(), "no way back");
    let g = ROOT.with_gid(1000).unwrap();
    assert_eq!((g.rgid, g.egid, g.sgid), (1000, 1000, 1000));
}

#[test]
fn a_user_may_setuid_only_to_its_real_or_saved_uid() {
    let a = alice();
    assert!(a.with_uid(1001).is_none());
    assert!(a.with_uid(0).is_none());
    assert_eq!(a.with_uid(1000).unwrap(), a);
    assert!(a.with_gid(0).is_none());
    // A set-user-id-root program run by alice: real 1000, effective and saved 0.
    let s = a.after_exec(0, 0, REG | S_ISUID | 0o755);
    assert_eq!((s.ruid, s.euid, s.suid), (1000, 0, 0));
    assert_eq!(s.egid, 100, "no set-group-id bit");
    // It drops to the user, then regains root through the saved uid.
    let dropped = s.with_resuid((None, Some(1000), None)).unwrap();
    assert_eq!((dropped.ruid, dropped.euid, dropped.suid), (1000, 1000, 0));
    let back = dropped.with_uid(0).unwrap();
    assert_eq!(back.euid, 0);
    assert!(dropped.with_resuid((Some(1001), None, None)).is_none());
}

#[test]
fn exec_of_an_ordinary_file_copies_effective_to_saved() {
    let mut a = alice();
    a.euid = 1000;
    a.suid = 7;
    let c = a.after_exec(0, 0, REG | 0o755);
    assert_eq!((c.ruid, c.euid, c.suid), (1000, 1000, 1000));
    let g = a.after_exec(0, 50, REG | S_ISGID | 0o755);
    assert_eq!((g.rgid, g.egid, g.sgid), (100, 50, 50));
}

#[test]
fn setgroups_needs_setid_and_access_uses_the_real_ids() {
    assert!(alice().with_groups(&[0]).is_none());
    assert_eq!(ROOT.with_groups(&[5, 6]).unwrap().groups, vec![5, 6]);
    let s = alice().after_exec(0, 0, REG | S_ISUID | 0o755);
    let real = s.as_real();
    assert_eq!((real.euid, real.egid), (1000, 100));
    assert!(!permits(&real, 0, 0, REG | 0o600, Access::READ));
    assert!(permits(&s, 0, 0, REG | 0o600, Access::READ));
}

#[test]
fn chown_gives_away_only_with_chown_and_chgrp_only_to_own_groups() {
    let a = alice();
    assert!(may_chown(&ROOT, 1000, Some(0), Some(0)));
    assert!(!may_chown(&a, 1000, Some(1001), None), "give away");
    assert!(may_chown(&a, 1000, Some(1000), Some(20)), "own group");
    assert!(may_chown(&a, 1000, None, Some(100)), "effective group");
    assert!(!may_chown(&a, 1000, None, Some(0)), "not a member");
    assert!(!may_chown(&a, 0, None, Some(100)), "not the owner");
}
