//! Credentials: who a process is, and the two questions the kernel asks about it.
//!
//! Chapter 2's *protection* service: every request a program makes is checked
//! against its identity before the kernel does the work. A process carries one
//! [`Credentials`] value (real, effective and saved user and group ids, the
//! supplementary groups and the umask), inherited on `fork` and `spawn`. The
//! kernel asks of it only two things, each answered in exactly one place:
//!
//! - [`permits`]: may it read, write or search/execute a file with this owner,
//!   group and mode? The POSIX owner/group/other rule, used by the path walk and
//!   every VFS operation.
//! - [`capable`]: may it do this privileged thing ([`Capability`]: mount, power
//!   off, signal anyone, ...)? Today the answer is "only if the effective uid is
//!   0", the classic UNIX superuser; naming the operation at each call site is
//!   what lets a later design split root's powers (as Linux capabilities do)
//!   by changing this one function.
//!
//! The design decision: this crate is pure logic with no kernel dependencies, so
//! the rule that protects every file is unit-tested on the host. The kernel
//! keeps a process's credentials as an immutable, shared value and replaces it
//! whole when an id changes (the copy-on-write scheme of Linux's `struct cred`),
//! so a reader never sees half an update.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

/// Permission bits of a mode (`rwxrwxrwx` plus set-id and sticky).
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
/// The sticky bit: on a directory, only a file's owner (or the directory's)
/// may remove or rename it (`/tmp`).
pub const S_ISVTX: u32 = 0o1000;
const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;

/// The identity of a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// Real user id: who started the process (`getuid`).
    pub ruid: u32,
    /// Effective user id: whose rights it has (file checks, [`capable`]).
    pub euid: u32,
    /// Saved set-user-id: an id it may switch its effective uid back to.
    pub suid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub sgid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// Permission bits taken away from files and directories this process
    /// creates (the conventional 022: group and others cannot write).
    pub umask: u32,
}

/// Root's credentials: every id 0, no supplementary groups, umask 022. What
/// init and every process started by the kernel have.
pub static ROOT: Credentials = Credentials::root();

impl Credentials {
    /// Root's credentials (see [`ROOT`]).
    pub const fn root() -> Credentials {
        Credentials::user(0, 0)
    }

    /// An ordinary user: real, effective and saved ids all `uid` / `gid`.
    pub const fn user(uid: u32, gid: u32) -> Credentials {
        Credentials {
            ruid: uid,
            euid: uid,
            suid: uid,
            rgid: gid,
            egid: gid,
            sgid: gid,
            groups: Vec::new(),
            umask: 0o022,
        }
    }

    /// Is `gid` the effective group or one of the supplementary groups?
    pub fn in_group(&self, gid: u32) -> bool {
        self.egid == gid || self.groups.contains(&gid)
    }

    /// Does this process own a file owned by `uid`? (The test behind `chmod`,
    /// `utimes` with explicit times, and the sticky bit.)
    pub fn owns(&self, uid: u32) -> bool {
        self.euid == uid
    }
}

/// The privileged operations. Each call site names the one it needs, so the
/// list is also the list of things an ordinary user may not do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Attach and detach file systems (`mount`, `umount`).
    Mount,
    /// Power off and reboot the machine.
    PowerOff,
    /// Send a signal to a process of another user (`kill`).
    Kill,
    /// Give a file to another owner, or a group the caller is not in (`chown`).
    Chown,
    /// Read, write and search any file whatever its permission bits (like
    /// Linux's `CAP_DAC_OVERRIDE`); execute needs at least one `x` bit.
    FileOverride,
    /// Act as the owner of any file: `chmod`, `utimes` with explicit times,
    /// removing from a sticky directory (like `CAP_FOWNER`).
    Fowner,
    /// Change user and group ids at will (`setuid`, `setgid`, `setres*id`,
    /// `setgroups`).
    SetId,
    /// Make device nodes (`mknod` of a character or block device).
    Mknod,
    /// Raw access to devices that bypasses a file system (the disks, `/dev/vd*`).
    RawDevice,
    /// Tune the system as a whole: drop the file systems' caches (like the part of
    /// Linux's `CAP_SYS_ADMIN` that writes `/proc/sys/vm/drop_caches`).
    SysAdmin,
    /// Raise a hard resource limit (`setrlimit`, like Linux's `CAP_SYS_RESOURCE`).
    Resource,
    /// Bind a socket to a port below 1024 (like Linux's `CAP_NET_BIND_SERVICE`).
    NetBindService,
}

/// May a process with `cred` do the privileged operation `what`? Today: only
/// when its effective uid is 0 (root), for every capability.
#[inline]
pub fn capable(cred: &Credentials, what: Capability) -> bool {
    let _ = what;
    cred.euid == 0
}

/// The kinds of access [`permits`] is asked about. `x` is execute for a file,
/// search (looking a name up) for a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Access {
    pub r: bool,
    pub w: bool,
    pub x: bool,
}

impl Access {
    pub const READ: Access = Access {
        r: true,
        w: false,
        x: false,
    };
    pub const WRITE: Access = Access {
        r: false,
        w: true,
        x: false,
    };
    pub const EXEC: Access = Access {
        r: false,
        w: false,
        x: true,
    };
    /// Write and search: what changing a directory's names needs.
    pub const WRITE_EXEC: Access = Access {
        r: false,
        w: true,
        x: true,
    };

    /// The `rwx` triple as three bits (r = 4, w = 2, x = 1).
    fn bits(self) -> u32 {
        (self.r as u32) << 2 | (self.w as u32) << 1 | self.x as u32
    }
}

/// The one file-permission rule (POSIX): may `cred` have access `want` to a file
/// owned by `owner_uid`/`owner_gid` with mode `mode` (type bits included, as
/// `stat` gives them)?
///
/// Exactly one class of the mode applies: the *owner* bits if the effective uid
/// owns the file, else the *group* bits if the file's group is the effective or
/// a supplementary group, else the *other* bits; every wanted right must be in
/// that class (an owner denied by the owner bits is not rescued by generous
/// `other` bits). A process with [`Capability::FileOverride`] may read and write
/// anything and search any directory, but executes a file only if some `x` bit is
/// set, as Linux does: root cannot run what nobody may run.
pub fn permits(
    cred: &Credentials,
    owner_uid: u32,
    owner_gid: u32,
    mode: u32,
    want: Access,
) -> bool {
    if capable(cred, Capability::FileOverride) {
        let is_dir = mode & S_IFMT == S_IFDIR;
        return !want.x || is_dir || mode & 0o111 != 0;
    }
    let class = if cred.euid == owner_uid {
        mode >> 6
    } else if cred.in_group(owner_gid) {
        mode >> 3
    } else {
        mode
    } & 0o7;
    let want = want.bits();
    class & want == want
}

/// May a process with credentials `sender` send a signal to one with `target`?
/// POSIX: the sender's real or effective uid must be the target's real or saved
/// uid, unless the sender has [`Capability::Kill`]. (The one exception POSIX
/// allows, `SIGCONT` within a session, is the caller's to add: sessions are not
/// credentials.)
pub fn may_signal(sender: &Credentials, target: &Credentials) -> bool {
    capable(sender, Capability::Kill)
        || [sender.ruid, sender.euid]
            .iter()
            .any(|&u| u == target.ruid || u == target.suid)
}

/// Which id slots a `setres*id` call changes (`None`: leave it, the `-1` of POSIX).
pub type IdTriple = (Option<u32>, Option<u32>, Option<u32>);

impl Credentials {
    /// `setuid(uid)` (POSIX): with [`Capability::SetId`] all three user ids become
    /// `uid` (a root login shell becomes the user for good); without it only the
    /// effective uid may change, and only back to the real or the saved uid.
    /// `None`: not allowed (`EPERM`).
    pub fn with_uid(&self, uid: u32) -> Option<Credentials> {
        let mut c = self.clone();
        if capable(self, Capability::SetId) {
            (c.ruid, c.euid, c.suid) = (uid, uid, uid);
        } else if uid == self.ruid || uid == self.suid {
            c.euid = uid;
        } else {
            return None;
        }
        Some(c)
    }

    /// `setgid(gid)`: as [`Credentials::with_uid`], for the group ids.
    pub fn with_gid(&self, gid: u32) -> Option<Credentials> {
        let mut c = self.clone();
        if capable(self, Capability::SetId) {
            (c.rgid, c.egid, c.sgid) = (gid, gid, gid);
        } else if gid == self.rgid || gid == self.sgid {
            c.egid = gid;
        } else {
            return None;
        }
        Some(c)
    }

    /// `setresuid(r, e, s)`: each id given becomes the new real, effective or saved
    /// uid. Without [`Capability::SetId`] each must be one of the three uids the
    /// process has now (so `seteuid` can swap between real and saved).
    pub fn with_resuid(&self, ids: IdTriple) -> Option<Credentials> {
        let now = [self.ruid, self.euid, self.suid];
        if !capable(self, Capability::SetId) && !triple_within(ids, now) {
            return None;
        }
        let mut c = self.clone();
        (c.ruid, c.euid, c.suid) = (
            ids.0.unwrap_or(c.ruid),
            ids.1.unwrap_or(c.euid),
            ids.2.unwrap_or(c.suid),
        );
        Some(c)
    }

    /// `setresgid(r, e, s)`: as [`Credentials::with_resuid`], for the group ids.
    pub fn with_resgid(&self, ids: IdTriple) -> Option<Credentials> {
        let now = [self.rgid, self.egid, self.sgid];
        if !capable(self, Capability::SetId) && !triple_within(ids, now) {
            return None;
        }
        let mut c = self.clone();
        (c.rgid, c.egid, c.sgid) = (
            ids.0.unwrap_or(c.rgid),
            ids.1.unwrap_or(c.egid),
            ids.2.unwrap_or(c.sgid),
        );
        Some(c)
    }

    /// `setgroups(list)`: only with [`Capability::SetId`].
    pub fn with_groups(&self, groups: &[u32]) -> Option<Credentials> {
        if !capable(self, Capability::SetId) {
            return None;
        }
        let mut c = self.clone();
        c.groups = groups.to_vec();
        Some(c)
    }

    /// The credentials a program starts with when `exec` loads a file with this
    /// owner and mode: a set-user-id file makes its owner the effective uid, a
    /// set-group-id file its group the effective gid; then the saved ids copy the
    /// effective ones (POSIX), so the program can drop and regain the privilege.
    pub fn after_exec(&self, owner_uid: u32, owner_gid: u32, mode: u32) -> Credentials {
        let mut c = self.clone();
        if mode & S_ISUID != 0 {
            c.euid = owner_uid;
        }
        if mode & S_ISGID != 0 {
            c.egid = owner_gid;
        }
        c.suid = c.euid;
        c.sgid = c.egid;
        c
    }

    /// The same process judged by its *real* ids (`access`): "may the user who
    /// ran this set-user-id program open that file?"
    pub fn as_real(&self) -> Credentials {
        let mut c = self.clone();
        c.euid = c.ruid;
        c.egid = c.rgid;
        c
    }
}

/// Is every id given in `ids` one of `now`?
fn triple_within(ids: IdTriple, now: [u32; 3]) -> bool {
    [ids.0, ids.1, ids.2]
        .iter()
        .flatten()
        .all(|id| now.contains(id))
}

/// May `cred` change the owner of a file owned by `owner_uid` to `uid` and its
/// group to `gid` (`None`: unchanged)? POSIX with `_POSIX_CHOWN_RESTRICTED`: only
/// [`Capability::Chown`] gives a file away; the owner may change its group to a
/// group it is in.
pub fn may_chown(cred: &Credentials, owner_uid: u32, uid: Option<u32>, gid: Option<u32>) -> bool {
    if capable(cred, Capability::Chown) {
        return true;
    }
    cred.owns(owner_uid)
        && uid.is_none_or(|u| u == owner_uid)
        && gid.is_none_or(|g| cred.in_group(g))
}

#[cfg(test)]
mod tests;
