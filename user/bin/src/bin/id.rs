//! `id [-u|-g|-G] [-n] [USER]`: who a process is, as numbers and names (chapter 2
//! 3-2 protection: the identity every permission check uses). Without options:
//! `uid=1000(user) gid=1000(user) groups=1000(user)`, with `euid=`/`egid=` when the
//! effective id differs from the real one (a set-user-id program). Installed also as
//! `whoami` (the effective user's name, `id -un`) and `groups [USER]` (the group
//! names, `id -Gn`): one program, chosen by the name it is run as.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::users::{group_name, user_name};
use ulib::{info, users};

/// The ids to show: real and effective user and group, and all the groups.
struct Ids {
    ruid: u32,
    euid: u32,
    rgid: u32,
    egid: u32,
    groups: Vec<u32>,
}

impl Ids {
    /// This process.
    fn mine() -> Ids {
        let egid = info::getegid();
        let mut groups = alloc::vec![egid];
        groups.extend(info::getgroups().into_iter().filter(|&g| g != egid));
        Ids {
            ruid: info::getuid(),
            euid: info::geteuid(),
            rgid: info::getgid(),
            egid,
            groups,
        }
    }

    /// The account `name` as a login would make it.
    fn of(name: &str) -> Option<Ids> {
        let pw = users::user_by_name(name)?;
        let all = users::records::<users::GroupRecord>(users::GROUP);
        let groups = users::groups_of(&all, &pw.name, pw.gid)
            .into_iter()
            .map(|(g, _)| g)
            .collect();
        Some(Ids {
            ruid: pw.uid,
            euid: pw.uid,
            rgid: pw.gid,
            egid: pw.gid,
            groups,
        })
    }
}

fn named(id: u32, name: String) -> String {
    alloc::format!("{id}({name})")
}

fn join(ids: &[u32], names: bool, name: fn(u32) -> String) -> String {
    let parts: Vec<String> = ids
        .iter()
        .map(|&i| {
            if names {
                name(i)
            } else {
                alloc::format!("{i}")
            }
        })
        .collect();
    parts.join(" ")
}

fn main() -> i32 {
    let prog = ulib::env::program_name();
    let mut args: Vec<String> = ulib::env::args().skip(1).collect();
    let (mut what, mut names) = match prog.as_str() {
        "whoami" => ('u', true),
        "groups" => ('G', true),
        _ => (' ', false),
    };
    while let Some(a) = args.first().filter(|a| a.starts_with('-') && a.len() > 1) {
        for c in a[1..].chars() {
            match c {
                'u' | 'g' | 'G' => what = c,
                'n' => names = true,
                _ => {
                    ulib::eprintln!("usage: id [-u|-g|-G] [-n] [USER]");
                    return 2;
                }
            }
        }
        args.remove(0);
    }
    let ids = match args.first() {
        Some(user) => match Ids::of(user) {
            Some(i) => i,
            None => {
                ulib::eprintln!("{prog}: {user}: no such user");
                return 1;
            }
        },
        None => Ids::mine(),
    };
    let line = match what {
        'u' if names => user_name(ids.euid),
        'u' => alloc::format!("{}", ids.euid),
        'g' if names => group_name(ids.egid),
        'g' => alloc::format!("{}", ids.egid),
        'G' => join(&ids.groups, names, group_name),
        _ => {
            let mut s = alloc::format!(
                "uid={} gid={}",
                named(ids.ruid, user_name(ids.ruid)),
                named(ids.rgid, group_name(ids.rgid))
            );
            if ids.euid != ids.ruid {
                s += &alloc::format!(" euid={}", named(ids.euid, user_name(ids.euid)));
            }
            if ids.egid != ids.rgid {
                s += &alloc::format!(" egid={}", named(ids.egid, group_name(ids.egid)));
            }
            let groups: Vec<String> = ids
                .groups
                .iter()
                .map(|&g| named(g, group_name(g)))
                .collect();
            s + " groups=" + &groups.join(",")
        }
    };
    ulib::println!("{line}");
    0
}
