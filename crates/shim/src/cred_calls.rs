//! Credentials: user and group ids and their system calls (credentials(7), setresuid(2),
//! setgroups(2)).
//!
//! The guest starts with the ids of [`crate::Config`] (root by default). The capabilities
//! that matter for ids and files follow Linux's rules for a process without file
//! capabilities: `CAP_SETUID`/`CAP_SETGID` are held while the effective uid is 0, and the
//! filesystem capabilities (`CAP_DAC_OVERRIDE`, `CAP_FOWNER`, `CAP_CHOWN`) while the
//! filesystem uid is 0. Once no uid of the process is 0 any more, nothing gives them back,
//! as on Linux where the permitted set is cleared then.

use crate::errno::SysResult;
use crate::{Kernel, LinuxPlatform};
use alloc::vec::Vec;
use meridian_abi::Errno;
use meridian_core::fs::perm::Cred;

/// Most supplementary groups (`NGROUPS_MAX`).
const NGROUPS_MAX: usize = 65536;
/// `-1` as a 32-bit id: "leave unchanged".
const UNCHANGED: u32 = u32::MAX;

/// A process's ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Creds {
    /// Real, effective, saved and filesystem user ids.
    pub uid: [u32; 4],
    /// Real, effective, saved and filesystem group ids.
    pub gid: [u32; 4],
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

const REAL: usize = 0;
const EFFECTIVE: usize = 1;
const SAVED: usize = 2;
const FS: usize = 3;

impl Creds {
    /// Every id `uid`/`gid`, no supplementary groups.
    pub fn new(uid: u32, gid: u32) -> Creds {
        Creds {
            uid: [uid; 4],
            gid: [gid; 4],
            groups: Vec::new(),
        }
    }
    /// The ids file permission checks use.
    pub fn fs(&self) -> Cred {
        Cred {
            uid: self.uid[FS],
            gid: self.gid[FS],
            groups: self.groups.clone(),
        }
    }
    /// The ids access(2) uses: the real ones (with the capabilities a real uid of 0 has).
    pub fn real(&self) -> Cred {
        Cred {
            uid: self.uid[REAL],
            gid: self.gid[REAL],
            groups: self.groups.clone(),
        }
    }
    /// Real, effective and saved uid.
    pub fn uids(&self) -> [u32; 3] {
        [self.uid[REAL], self.uid[EFFECTIVE], self.uid[SAVED]]
    }
    /// Real, effective and saved gid.
    pub fn gids(&self) -> [u32; 3] {
        [self.gid[REAL], self.gid[EFFECTIVE], self.gid[SAVED]]
    }
    fn capable(&self) -> bool {
        self.uid[EFFECTIVE] == 0
    }
}

/// setresuid(2)/setresgid(2) on one id set: without the capability each new id must be one
/// of the current real, effective or saved ids.
fn set_res(ids: &mut [u32; 4], capable: bool, r: u32, e: u32, s: u32) -> Result<(), Errno> {
    let allowed = |v: u32| {
        v == UNCHANGED || capable || v == ids[REAL] || v == ids[EFFECTIVE] || v == ids[SAVED]
    };
    if !(allowed(r) && allowed(e) && allowed(s)) {
        return Err(Errno::EPERM);
    }
    for (slot, v) in [(REAL, r), (EFFECTIVE, e), (SAVED, s)] {
        if v != UNCHANGED {
            ids[slot] = v;
        }
    }
    ids[FS] = ids[EFFECTIVE];
    Ok(())
}

/// setreuid(2)/setregid(2): the saved id becomes the new effective one when the real id is
/// set or the effective one changes to something other than the old real id.
fn set_re(ids: &mut [u32; 4], capable: bool, r: u32, e: u32) -> Result<(), Errno> {
    let old = *ids;
    let r_ok = r == UNCHANGED || capable || r == old[REAL] || r == old[EFFECTIVE];
    let e_ok =
        e == UNCHANGED || capable || e == old[REAL] || e == old[EFFECTIVE] || e == old[SAVED];
    if !(r_ok && e_ok) {
        return Err(Errno::EPERM);
    }
    if r != UNCHANGED {
        ids[REAL] = r;
    }
    if e != UNCHANGED {
        ids[EFFECTIVE] = e;
    }
    if r != UNCHANGED || (e != UNCHANGED && e != old[REAL]) {
        ids[SAVED] = ids[EFFECTIVE];
    }
    ids[FS] = ids[EFFECTIVE];
    Ok(())
}

impl<P: LinuxPlatform> Kernel<P> {
    /// The ids file permission checks use now.
    pub fn fs_cred(&self) -> Cred {
        self.creds.lock().fs()
    }

    /// setuid(2): with the capability all of real, effective and saved; else only the
    /// effective uid, to the real or saved one.
    pub fn sys_setuid(&self, uid: u64) -> SysResult {
        let uid = uid as u32;
        if uid == UNCHANGED {
            return Err(Errno::EINVAL.into());
        }
        let mut c = self.creds.lock();
        if c.capable() {
            c.uid = [uid; 4];
        } else if uid == c.uid[REAL] || uid == c.uid[SAVED] {
            c.uid[EFFECTIVE] = uid;
            c.uid[FS] = uid;
        } else {
            return Err(Errno::EPERM.into());
        }
        drop(c);
        self.publish_view();
        Ok(0)
    }

    /// setgid(2), as [`Self::sys_setuid`] for groups (the capability is the uid's).
    pub fn sys_setgid(&self, gid: u64) -> SysResult {
        let gid = gid as u32;
        if gid == UNCHANGED {
            return Err(Errno::EINVAL.into());
        }
        let mut c = self.creds.lock();
        if c.capable() {
            c.gid = [gid; 4];
        } else if gid == c.gid[REAL] || gid == c.gid[SAVED] {
            c.gid[EFFECTIVE] = gid;
            c.gid[FS] = gid;
        } else {
            return Err(Errno::EPERM.into());
        }
        drop(c);
        self.publish_view();
        Ok(0)
    }

    /// setresuid(2) / setresgid(2).
    pub fn sys_setres(&self, group: bool, r: u64, e: u64, s: u64) -> SysResult {
        let mut c = self.creds.lock();
        let capable = c.capable();
        let ids = if group { &mut c.gid } else { &mut c.uid };
        set_res(ids, capable, r as u32, e as u32, s as u32)?;
        drop(c);
        self.publish_view();
        Ok(0)
    }

    /// setreuid(2) / setregid(2).
    pub fn sys_setre(&self, group: bool, r: u64, e: u64) -> SysResult {
        let mut c = self.creds.lock();
        let capable = c.capable();
        let ids = if group { &mut c.gid } else { &mut c.uid };
        set_re(ids, capable, r as u32, e as u32)?;
        drop(c);
        self.publish_view();
        Ok(0)
    }

    /// setfsuid(2) / setfsgid(2): returns the previous id, and changes it only to one of
    /// the real, effective, saved or current filesystem ids unless capable.
    pub fn sys_setfs(&self, group: bool, id: u64) -> SysResult {
        let id = id as u32;
        let mut c = self.creds.lock();
        let capable = c.capable();
        let ids = if group { &mut c.gid } else { &mut c.uid };
        let old = ids[FS];
        if id != UNCHANGED && (capable || ids.contains(&id)) {
            ids[FS] = id;
        }
        drop(c);
        self.publish_view();
        Ok(u64::from(old))
    }

    /// getuid/geteuid/getgid/getegid.
    pub fn sys_getid(&self, group: bool, effective: bool) -> SysResult {
        let c = self.creds.lock();
        let ids = if group { &c.gid } else { &c.uid };
        Ok(u64::from(ids[if effective { EFFECTIVE } else { REAL }]))
    }

    /// getresuid(2) / getresgid(2).
    pub fn sys_getres(&self, group: bool, r: u64, e: u64, s: u64) -> SysResult {
        let ids = {
            let c = self.creds.lock();
            if group { c.gids() } else { c.uids() }
        };
        for (addr, id) in [r, e, s].into_iter().zip(ids) {
            self.write_u32(addr, id)?;
        }
        Ok(0)
    }

    /// getgroups(2).
    pub fn sys_getgroups(&self, size: u64, list: u64) -> SysResult {
        let size = size as i32;
        if size < 0 {
            return Err(Errno::EINVAL.into());
        }
        let groups = self.creds.lock().groups.clone();
        if size == 0 {
            return Ok(groups.len() as u64);
        }
        if (size as usize) < groups.len() {
            return Err(Errno::EINVAL.into());
        }
        let bytes: Vec<u8> = groups.iter().flat_map(|g| g.to_le_bytes()).collect();
        self.write_mem(list, &bytes)?;
        Ok(groups.len() as u64)
    }

    /// setgroups(2): needs `CAP_SETGID`.
    pub fn sys_setgroups(&self, size: u64, list: u64) -> SysResult {
        let size = usize::try_from(size).map_err(|_| Errno::EINVAL)?;
        if size > NGROUPS_MAX {
            return Err(Errno::EINVAL.into());
        }
        if !self.creds.lock().capable() {
            return Err(Errno::EPERM.into());
        }
        let bytes = if size == 0 {
            Vec::new()
        } else {
            self.read_mem(list, size * 4)?
        };
        let mut groups: Vec<u32> = bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        groups.sort_unstable();
        self.creds.lock().groups = groups;
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn res_and_re_rules() {
        let mut ids = [0u32; 4];
        assert_eq!(set_res(&mut ids, true, 1000, 1000, 0), Ok(()));
        assert_eq!(ids, [1000, 1000, 0, 1000]);
        // Back to 0 through the saved id, even without the capability.
        assert_eq!(set_res(&mut ids, false, UNCHANGED, 0, UNCHANGED), Ok(()));
        assert_eq!(ids, [1000, 0, 0, 0]);
        let mut user = [1000u32; 4];
        assert_eq!(
            set_res(&mut user, false, 0, UNCHANGED, UNCHANGED),
            Err(Errno::EPERM)
        );
        let mut ids = [0u32, 0, 0, 0];
        assert_eq!(set_re(&mut ids, true, 1000, 2000), Ok(()));
        assert_eq!(ids, [1000, 2000, 2000, 2000]);
        assert_eq!(set_re(&mut ids, false, UNCHANGED, 1000), Ok(()));
        assert_eq!(ids, [1000, 1000, 2000, 1000]);
        assert_eq!(set_re(&mut ids, false, UNCHANGED, 5), Err(Errno::EPERM));
    }
}
