//! Permission checks: the VFS end of chapter 2's protection service.
//!
//! Every question is answered by the one rule in the `cred` crate
//! ([`cred::permits`], [`cred::capable`]); this file only says *which* question
//! each operation asks, in the POSIX way:
//!
//! | operation                              | needs                                        |
//! |----------------------------------------|----------------------------------------------|
//! | every name looked up in a directory    | search (`x`) on that directory               |
//! | open                                   | `r` and/or `w` by `O_ACCMODE`; `O_TRUNC`: `w` |
//! | create, link, remove, rename a name    | `w` and `x` on the directory holding it      |
//! | remove or rename in a sticky directory | also: own the file or the directory          |
//! | move a directory to another parent     | also: `w` on it (its `..` changes)           |
//! | chmod, utimes with explicit times      | own the file, or [`Capability::Fowner`]      |
//! | utimes to "now", truncate by path      | `w` (or own it, for utimes)                  |
//! | chown, fchown (`attr.rs`)              | [`Capability::Chown`]; owner: own groups only |
//! | access (`attr.rs`)                     | as asked, judged by the *real* ids           |
//! | mount, umount                          | [`Capability::Mount`]                        |
//!
//! A refused permission bit is `EACCES`; a refused ownership or privilege is
//! `EPERM`, as POSIX distinguishes them.

use abi::{Errno, Stat};
use cred::{capable, permits, Access, Capability, Credentials, S_ISVTX};

use crate::filesystem::Result;
use crate::mount::{NodeRef, Vfs};

/// `EACCES` unless `cred` has access `want` to the node `st` describes.
pub(crate) fn may(cred: &Credentials, st: &Stat, want: Access) -> Result<()> {
    if permits(cred, st.uid, st.gid, st.mode, want) {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// `EPERM` unless `cred` owns the node `st` describes or may act as its owner.
pub(crate) fn may_own(cred: &Credentials, st: &Stat) -> Result<()> {
    if cred.owns(st.uid) || capable(cred, Capability::Fowner) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// `EPERM` unless `cred` may do the privileged operation `what`.
pub(crate) fn require(cred: &Credentials, what: Capability) -> Result<()> {
    if capable(cred, what) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

impl Vfs {
    /// `EACCES` unless `cred` has access `want` to `node`.
    pub(crate) fn may_access(
        &mut self,
        cred: &Credentials,
        node: NodeRef,
        want: Access,
    ) -> Result<()> {
        let st = self.fs(node)?.stat(node.ino)?;
        may(cred, &st, want)
    }

    /// May `cred` add a name to directory `dir`? (`w` and `x` on it.)
    pub(crate) fn may_create(&mut self, cred: &Credentials, dir: NodeRef) -> Result<()> {
        self.may_access(cred, dir, Access::WRITE_EXEC)
    }

    /// May `cred` remove (or rename away) the name of `victim` from `dir`? `w` and
    /// `x` on the directory; in a sticky directory, also owning the file or the
    /// directory (`EPERM`).
    pub(crate) fn may_delete(
        &mut self,
        cred: &Credentials,
        dir: NodeRef,
        victim: NodeRef,
    ) -> Result<()> {
        let dst = self.fs(dir)?.stat(dir.ino)?;
        may(cred, &dst, Access::WRITE_EXEC)?;
        if dst.mode & S_ISVTX != 0 {
            let vst = self.fs(victim)?.stat(victim.ino)?;
            if !cred.owns(vst.uid) && !cred.owns(dst.uid) && !capable(cred, Capability::Fowner) {
                return Err(Errno::EPERM);
            }
        }
        Ok(())
    }
}
