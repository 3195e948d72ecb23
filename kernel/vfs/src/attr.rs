//! Who owns a file and what it permits, changed or asked through a path or an open
//! node: `chown`, `fchown`, `fchmod` and `access`.
//!
//! The questions are the `cred` crate's ([`cred::may_chown`], [`cred::permits`]);
//! this file only finds the node and applies the answer. Two POSIX details a reader
//! should know: a regular file that changes owner or group loses its set-user-id and
//! set-group-id bits (otherwise `chown` of a set-uid program would hand its new owner
//! a privilege nobody gave), and `access` judges the *real* ids, so a set-user-id
//! program can ask whether the user who ran it may open a file.

use abi::Errno;
use cred::{capable, may_chown, Access, Capability, Credentials, S_ISGID, S_ISUID};

use crate::filesystem::{NodeKind, Result};
use crate::mount::{NodeRef, Vfs};
use crate::perm;

impl Vfs {
    /// `chown`: change the owner and/or group (`None` leaves one) of what `path`
    /// names; `follow`: a final symlink is followed (`lchown` does not). Giving a
    /// file away needs [`Capability::Chown`]; the owner may change the group to one
    /// it is in; anything else is `EPERM`.
    pub fn chown(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
        uid: Option<u32>,
        gid: Option<u32>,
        follow: bool,
    ) -> Result<()> {
        let node = self.resolve(cred, cwd, path, follow)?;
        self.chown_node(cred, node, uid, gid)
    }

    /// `fchown`: [`Vfs::chown`] of an open node.
    pub fn chown_node(
        &mut self,
        cred: &Credentials,
        node: NodeRef,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<()> {
        let st = self.stat_node(node)?;
        if !may_chown(cred, st.uid, uid, gid) {
            return Err(Errno::EPERM);
        }
        let fs = self.fs(node)?;
        fs.set_owner(node.ino, uid, gid)?;
        let set_id = st.mode & (S_ISUID | S_ISGID);
        if set_id != 0 && NodeKind::from_stat(&st) == NodeKind::Regular {
            fs.set_mode(node.ino, st.mode & 0o7777 & !set_id)?;
        }
        Ok(())
    }

    /// `fchmod`: set the permission bits of an open node (the rule of
    /// [`Vfs::chmod`]: the owner or [`Capability::Fowner`]).
    pub fn chmod_node(&mut self, cred: &Credentials, node: NodeRef, perm: u32) -> Result<()> {
        let st = self.stat_node(node)?;
        perm::may_own(cred, &st)?;
        let mut perm = perm;
        if !cred.in_group(st.gid) && !capable(cred, Capability::Fowner) {
            perm &= !S_ISGID;
        }
        self.fs(node)?.set_mode(node.ino, perm)
    }

    /// `access`: does `path` exist and may the *real* user and group of `cred` have
    /// access `want` to it (`EACCES` if not)? The walk itself is checked with the
    /// real ids too.
    pub fn access(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
        want: Access,
    ) -> Result<()> {
        let real = cred.as_real();
        let node = self.resolve(&real, cwd, path, true)?;
        let st = self.stat_node(node)?;
        perm::may(&real, &st, want)
    }
}
