//! Host tests: the file formats, and the hashes against the SHA-crypt specification's
//! published test vectors (Drepper, "Unix crypt using SHA-256 and SHA-512").

use super::*;
use alloc::string::String;
use alloc::vec;

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n# a comment\nuser:x:1000:1000:A User:/home/user:/bin/sh\nbroken line\n";
const GROUP: &str = "root:x:0:\nwheel:x:10:user,other\nuser:x:1000:\n";

#[test]
fn passwd_lines_parse_and_print_back() {
    let t = Table(PASSWD);
    let all: alloc::vec::Vec<Passwd> = t.records();
    assert_eq!(all.len(), 2, "comment and broken line skipped");
    let u: Passwd = t.find("user").unwrap();
    assert_eq!((u.uid, u.gid), (1000, 1000));
    assert_eq!(
        (u.home.as_str(), u.shell.as_str()),
        ("/home/user", "/bin/sh")
    );
    assert_eq!(u.to_line(), "user:x:1000:1000:A User:/home/user:/bin/sh");
    assert!(t.find::<Passwd>("nobody").is_none());
    assert!(Passwd::parse("x:x:notanumber:0:::").is_none());
}

#[test]
fn groups_list_the_primary_group_first_then_memberships() {
    let groups: alloc::vec::Vec<Group> = Table(GROUP).records();
    assert_eq!(groups[1].members, vec!["user", "other"]);
    assert_eq!(groups[1].to_line(), "wheel:x:10:user,other");
    let g = groups_of(&groups, "user", 1000);
    assert_eq!(
        g,
        vec![(1000, String::from("user")), (10, String::from("wheel"))]
    );
    assert_eq!(
        groups_of(&groups, "root", 0),
        vec![(0, String::from("root"))]
    );
    assert_eq!(groups_of(&groups, "x", 77)[0], (77, String::from("77")));
}

#[test]
fn replacing_a_record_keeps_every_other_line() {
    let shadow = "root:$6$a$b:19000:0:99999:7:::\n#keep\nuser:!:19000:0:99999:7:::\n";
    let t = Table(shadow);
    let mut u: Shadow = t.find("user").unwrap();
    assert_eq!(u.hash, "!");
    assert_eq!(u.rest, "19000:0:99999:7:::");
    u.hash = String::from("$6$new$hash");
    let edited = t.with(&u);
    assert_eq!(
        edited,
        "root:$6$a$b:19000:0:99999:7:::\n#keep\nuser:$6$new$hash:19000:0:99999:7:::\n"
    );
    let added = Table(&edited).with(&Shadow {
        name: String::from("new"),
        hash: String::from("!"),
        rest: String::from("::::::"),
    });
    assert!(added.ends_with("new:!:::::::\n"));
}

#[test]
fn new_accounts_get_the_next_uid_from_1000_and_sane_names() {
    assert_eq!(next_id([0, 1, 65534]), 1000);
    assert_eq!(next_id([0, 1000, 1003, 65534]), 1004);
    assert!(valid_name("user2"));
    assert!(!valid_name("a:b"));
    assert!(!valid_name("-x"));
    assert!(!valid_name(""));
}

#[test]
fn hashes_match_the_specifications_test_vectors() {
    // From the SHA-crypt specification (rounds omitted: 5,000).
    assert!(verify_password(
        "Hello world!",
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
    ));
    assert!(verify_password(
        "Hello world!",
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."
    ));
    assert!(!verify_password(
        "Hello world?",
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
    ));
    assert!(!verify_password("", "!"), "a locked account");
    assert!(!verify_password("", ""), "an empty field opens nothing");
}

#[test]
fn a_made_hash_verifies_and_depends_on_the_salt() {
    let h = hash_password("user", &salt_from_bytes(b"0123456789ab"));
    assert!(h.starts_with("$6$"), "{h}");
    assert!(verify_password("user", &h));
    assert!(!verify_password("User", &h));
    let h2 = hash_password("user", &salt_from_bytes(b"0123456789ac"));
    assert_ne!(h, h2);
    assert!(verify_password("user", &h2));
}
