//! Who a test runs `meridian` as: the test's own user, and `nobody` when the test is root and
//! `setpriv` is there. A run as `nobody` with host files of its own shows that the sandbox,
//! not the host's permissions, keeps the guest in (issue 10).

use std::os::unix::fs::lchown;
use std::path::Path;
use std::process::{Command, Stdio};

use super::{meridian_bin, own_uid};

/// The uid and gid of `nobody`.
pub const NOBODY: u32 = 65534;

/// An identity to run commands as.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Its name in reports: `self` or `nobody`.
    pub name: &'static str,
    /// The command prefix that switches to it (`setpriv … --`); empty for the test's own.
    pub prefix: Vec<String>,
    /// The uid (and gid) switched to; `None` for the test's own.
    pub uid: Option<u32>,
}

impl Identity {
    /// The test's own user.
    pub fn own() -> Identity {
        Identity {
            name: "self",
            prefix: Vec::new(),
            uid: None,
        }
    }

    /// The prefix as string slices, for argv arrays.
    pub fn prefix(&self) -> Vec<&str> {
        self.prefix.iter().map(String::as_str).collect()
    }

    /// `cmd` (program, arguments, environment and directory) run as this identity.
    pub fn command(&self, cmd: &Command) -> Command {
        let mut out = match self.prefix.split_first() {
            Some((first, rest)) => {
                let mut out = Command::new(first);
                out.args(rest).arg(cmd.get_program());
                out
            }
            None => Command::new(cmd.get_program()),
        };
        out.args(cmd.get_args());
        for (key, value) in cmd.get_envs() {
            match value {
                Some(value) => out.env(key, value),
                None => out.env_remove(key),
            };
        }
        if let Some(dir) = cmd.get_current_dir() {
            out.current_dir(dir);
        }
        out
    }

    /// Gives `path` and everything beneath it (links themselves, not their targets) to this
    /// identity, so that only the sandbox stands between its guest and them; nothing for the
    /// test's own.
    pub fn own_tree(&self, path: &Path) {
        let Some(uid) = self.uid else { return };
        lchown(path, Some(uid), Some(uid))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
        let is_dir = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
        if is_dir {
            for entry in std::fs::read_dir(path)
                .expect("list a directory to chown")
                .flatten()
            {
                self.own_tree(&entry.path());
            }
        }
    }
}

/// `nobody`, when the test is root, `setpriv` is there and `nobody` can run the meridian
/// binary; otherwise `None`, with a note saying why.
pub fn nobody() -> Option<Identity> {
    if own_uid() != 0 {
        println!("note: not root, so the runs as nobody were skipped");
        return None;
    }
    let nobody = Identity {
        name: "nobody",
        prefix: vec![
            "setpriv".into(),
            format!("--reuid={NOBODY}"),
            format!("--regid={NOBODY}"),
            "--clear-groups".into(),
            "--".into(),
        ],
        uid: Some(NOBODY),
    };
    let meridian = meridian_bin();
    let mut probe = Command::new("test");
    probe.arg("-x").arg(&meridian);
    let can_run = nobody
        .command(&probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !can_run {
        println!(
            "note: setpriv is missing or nobody cannot run {}; the runs as nobody were skipped",
            meridian.display()
        );
        return None;
    }
    Some(nobody)
}

/// The test's own user, then `nobody` where [`nobody`] gives it.
pub fn identities() -> Vec<Identity> {
    std::iter::once(Identity::own()).chain(nobody()).collect()
}
