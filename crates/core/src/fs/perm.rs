//! Discretionary access control: who may read, write or search a node
//! (path_resolution(7) "Permission checking", credentials(7)).
//!
//! Checks use the filesystem ids ([`Cred::uid`]/[`Cred::gid`] are `fsuid`/`fsgid`) and the
//! supplementary groups. A caller whose filesystem uid is 0 has `CAP_DAC_OVERRIDE`,
//! `CAP_FOWNER` and `CAP_CHOWN`, as Linux gives them to root: the capabilities are cleared
//! when the filesystem uid becomes non-zero and restored when it is 0 again.
//!
//! Depends on `fs` ([`Metadata`]) and `error` only.

use super::{FileType, Metadata};
use crate::error::{Error, Result};
use alloc::vec::Vec;

/// Read permission (`R_OK`, `MAY_READ`).
pub const MAY_READ: u32 = 4;
/// Write permission.
pub const MAY_WRITE: u32 = 2;
/// Execute permission, or search for directories.
pub const MAY_EXEC: u32 = 1;

/// `S_ISUID`.
pub const SET_UID_BIT: u32 = 0o4000;
/// `S_ISGID`.
pub const SET_GID_BIT: u32 = 0o2000;
/// `S_ISVTX`, the sticky bit.
pub const STICKY_BIT: u32 = 0o1000;
/// Group execute permission bit.
const GROUP_EXEC_BIT: u32 = 0o010;
/// Any execute bit.
const ANY_EXEC_BITS: u32 = 0o111;

/// The ids a permission check uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cred {
    /// Filesystem user id.
    pub uid: u32,
    /// Filesystem group id.
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

impl Cred {
    /// Root: every check passes (save execute of files with no execute bit).
    pub fn root() -> Cred {
        Cred::default()
    }
    /// Whether the caller has the DAC-overriding capabilities.
    pub fn is_privileged(&self) -> bool {
        self.uid == 0
    }
    /// Whether `gid` is the caller's group or one of its supplementary groups.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
    /// Whether the caller owns a node with metadata `m` or may act as its owner
    /// (`CAP_FOWNER`): chmod, utimes with explicit times, sticky-directory removal.
    pub fn owns(&self, m: &Metadata) -> bool {
        self.is_privileged() || self.uid == m.uid
    }

    /// Check `mask` (`MAY_*` bits) against node metadata `m`: `Error::Access` if refused.
    pub fn check(&self, m: &Metadata, mask: u32) -> Result<()> {
        if self.permits(m, mask) {
            Ok(())
        } else {
            Err(Error::Access)
        }
    }

    /// Whether `mask` is allowed (generic_permission in fs/namei.c).
    pub fn permits(&self, m: &Metadata, mask: u32) -> bool {
        let is_dir = m.mode & 0o170000 == FileType::Directory.mode_bits();
        if self.is_privileged() {
            // CAP_DAC_OVERRIDE: everything but executing a file no one may execute.
            return mask & MAY_EXEC == 0 || is_dir || m.mode & ANY_EXEC_BITS != 0;
        }
        let bits = if self.uid == m.uid {
            (m.mode >> 6) & 7
        } else if self.in_group(m.gid) {
            (m.mode >> 3) & 7
        } else {
            m.mode & 7
        };
        mask & !bits == 0
    }

    /// Whether the caller may remove or rename entry `child` from directory `dir` given the
    /// sticky bit (the directory write and search checks are separate).
    pub fn may_delete_sticky(&self, dir: &Metadata, child: &Metadata) -> bool {
        dir.mode & STICKY_BIT == 0
            || self.is_privileged()
            || self.uid == child.uid
            || self.uid == dir.uid
    }

    /// The permission bits a chmod(2) by this caller leaves: a non-privileged owner outside
    /// the file's group cannot set the set-group-ID bit (inode(7)).
    pub fn chmod_bits(&self, m: &Metadata, mode: u32) -> u32 {
        let mut mode = mode & 0o7777;
        let is_dir = m.mode & 0o170000 == FileType::Directory.mode_bits();
        if !self.is_privileged() && !is_dir && !self.in_group(m.gid) {
            mode &= !SET_GID_BIT;
        }
        mode
    }
}

/// The permission bits chown(2) leaves on a node of type `file_type` with bits `perm`: it
/// clears set-user-ID, and set-group-ID when group execute is set (a set-group-ID file
/// without group execute marks mandatory locking and stays), on non-directories.
pub fn bits_after_chown(file_type: FileType, perm: u32) -> u32 {
    if file_type == FileType::Directory {
        return perm;
    }
    let mut perm = perm & !SET_UID_BIT;
    if perm & GROUP_EXEC_BIT != 0 {
        perm &= !SET_GID_BIT;
    }
    perm
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(mode: u32, uid: u32, gid: u32) -> Metadata {
        Metadata {
            mode,
            uid,
            gid,
            ..Metadata::default()
        }
    }

    #[test]
    fn owner_group_other_and_root() {
        let user = Cred {
            uid: 1000,
            gid: 100,
            groups: alloc::vec![50],
        };
        let f = meta(0o100640, 1000, 100);
        assert!(user.permits(&f, MAY_READ | MAY_WRITE));
        assert!(!user.permits(&f, MAY_EXEC));
        let g = meta(0o100640, 1, 50);
        assert!(user.permits(&g, MAY_READ) && !user.permits(&g, MAY_WRITE));
        let o = meta(0o100604, 1, 1);
        assert!(user.permits(&o, MAY_READ));
        // Owner bits win even when they give less than the others' bits.
        let mine = meta(0o100077, 1000, 1);
        assert!(!user.permits(&mine, MAY_READ));
        assert_eq!(user.check(&mine, MAY_READ), Err(Error::Access));
        let root = Cred::root();
        assert!(root.permits(&mine, MAY_READ | MAY_WRITE));
        assert!(!root.permits(&meta(0o100600, 1, 1), MAY_EXEC));
        assert!(root.permits(&meta(0o100001, 1, 1), MAY_EXEC));
        assert!(root.permits(&meta(0o040000, 1, 1), MAY_EXEC));
    }

    #[test]
    fn sticky_chmod_and_chown_bits() {
        let user = Cred {
            uid: 1000,
            gid: 100,
            groups: alloc::vec::Vec::new(),
        };
        let tmp = meta(0o041777, 0, 0);
        assert!(!user.may_delete_sticky(&tmp, &meta(0o100644, 1, 1)));
        assert!(user.may_delete_sticky(&tmp, &meta(0o100644, 1000, 1)));
        assert!(user.may_delete_sticky(&meta(0o040777, 0, 0), &meta(0o100644, 1, 1)));
        assert_eq!(
            user.chmod_bits(&meta(0o100644, 1000, 5), 0o2755),
            0o755,
            "not in the group: S_ISGID dropped"
        );
        assert_eq!(user.chmod_bits(&meta(0o100644, 1000, 100), 0o2755), 0o2755);
        assert_eq!(bits_after_chown(FileType::Regular, 0o6755), 0o755);
        assert_eq!(bits_after_chown(FileType::Regular, 0o6745), 0o2745);
        assert_eq!(bits_after_chown(FileType::Directory, 0o2755), 0o2755);
    }
}
