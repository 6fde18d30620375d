//! `meridian policy explain`: what a sandbox with the given options would be given, and the
//! host system calls Meridian itself could then make, each with its reason.

use crate::{Plan, SandboxArgs, plan};
use anyhow::Result;
use meridian_platform_linux::filter::{FilterSpec, allowed_for};
use meridian_shim::setup::MountSpec;

/// In-memory directories of every sandbox (see `meridian_shim::setup::boot`).
const IN_MEMORY_DIRS: &[&str] = &["/tmp", "/root", "/run", "/home", "/var"];

/// The explanation as text.
pub fn render(args: &SandboxArgs) -> Result<String> {
    let Plan {
        volumes,
        mounts,
        env,
        workdir,
    } = plan(args)?;
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut out = String::from("Filesystem (everything else of the host is invisible):\n");
    for m in &mounts {
        let line = match m {
            MountSpec::Host {
                guest,
                vol,
                read_only,
            } => {
                let host = volumes
                    .get(*vol as usize)
                    .map_or_else(String::new, |p| p.display().to_string());
                format!(
                    "  {:<12} host directory {host}, {}",
                    s(guest),
                    if *read_only {
                        "read-only"
                    } else {
                        "read-write"
                    }
                )
            }
            MountSpec::Symlink { guest, target } => format!(
                "  {:<12} symbolic link to {}, as on the host",
                s(guest),
                s(target)
            ),
            MountSpec::Tmpfs { guest, .. } => format!("  {:<12} in memory", s(guest)),
        };
        out.push_str(&line);
        out.push('\n');
    }
    for d in IN_MEMORY_DIRS {
        out.push_str(&format!("  {d:<12} in memory, private to the sandbox\n"));
    }
    let etc: Vec<String> = crate::etc_files().iter().map(|(n, _)| s(n)).collect();
    out.push_str(&format!("  {:<12} synthetic: {}\n", "/etc", etc.join(", ")));
    out.push_str(&format!(
        "  {:<12} synthetic: null, zero, full, random, urandom (tty when stdin is a terminal)\n",
        "/dev"
    ));
    out.push_str(&format!(
        "  {:<12} synthetic: the sandbox's own processes\n",
        "/proc"
    ));
    out.push_str(&format!(
        "\nWorking directory: {}\nEnvironment:\n",
        s(&workdir)
    ));
    for e in &env {
        out.push_str(&format!("  {}\n", s(e)));
    }
    let spec = FilterSpec {
        text: (0, 0),
        vdso: None,
        host_volumes: !volumes.is_empty(),
        pid: 0,
    };
    let allowed: Vec<_> = allowed_for(&spec).collect();
    out.push_str(&format!(
        "\nHost system calls Meridian itself may make ({}); every system call of the program is served by Meridian:\n",
        allowed.len()
    ));
    for a in allowed {
        let c = a.constraint();
        let constraint = if c.is_empty() {
            String::new()
        } else {
            format!(" [{c}]")
        };
        out.push_str(&format!(
            "  {:<18} {:<13} {}{constraint}\n",
            a.short_name(),
            a.feature.name(),
            a.reason
        ));
    }
    out.push_str(
        "\nUnder the filter (SECURITY.md, \"Defence in depth\"): inherited descriptors closed, no_new_privs, \
         no core dumps, own user/mount/network/IPC/UTS/cgroup namespaces, a filesystem jail holding only the \
         host directories above, Landlock (read-only beneath them, no TCP, signals and abstract sockets scoped); \
         each where the host offers it, with a warning where it does not.\n",
    );
    Ok(out)
}

/// Print the explanation.
pub fn print(args: &SandboxArgs) -> Result<()> {
    print!("{}", render(args)?);
    Ok(())
}
