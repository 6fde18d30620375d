//! `meridian policy explain`: what a sandbox with the given policy file and options would be
//! given — mounts, identity, environment, limits — and the host system calls Meridian itself
//! could then make, each with its reason and argument constraint.

use crate::{SandboxArgs, resolve};
use anyhow::Result;
use meridian::policy::{MountKind, Policy};
use meridian_platform_linux::filter::{ERRNO_ONLY, Features, allowed_for};

/// In-memory directories of every sandbox (see `meridian_shim::setup::boot`).
const IN_MEMORY_DIRS: &[&str] = &["/tmp", "/root", "/run", "/home", "/var"];

/// The filter features a policy needs.
pub fn features(p: &Policy) -> Features {
    Features {
        host_volumes: p.uses_host_volumes(),
        writable_volumes: p.mounts.iter().any(|m| {
            matches!(
                m.kind,
                MountKind::Host {
                    read_only: false,
                    ..
                }
            )
        }),
        jit: p.jit,
    }
}

fn human_size(n: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for (unit, name) in UNITS {
        if n >= unit && n.is_multiple_of(unit) {
            return format!("{}{name}", n / unit);
        }
    }
    format!("{n} bytes")
}

fn mount_line(kind: &MountKind) -> String {
    match kind {
        MountKind::Host { source, read_only } => format!(
            "host directory {}, {}",
            source.display(),
            if *read_only {
                "read-only"
            } else {
                "read-write"
            }
        ),
        MountKind::Tmpfs { size, inodes } => {
            let mut s = String::from("in memory");
            if let Some(b) = size {
                s.push_str(&format!(", at most {}", human_size(*b)));
            }
            if let Some(n) = inodes {
                s.push_str(&format!(", at most {n} files"));
            }
            s
        }
        MountKind::Image { source } => {
            format!("tar image {}, read-only", source.display())
        }
        MountKind::Overlay { source } => format!(
            "{}, with an in-memory writable layer on top",
            source.display()
        ),
    }
}

/// The explanation as text.
pub fn render(p: &Policy) -> String {
    let mut out = String::new();
    if let Some(f) = &p.file {
        out.push_str(&format!("Policy file: {}\n\n", f.display()));
    }
    out.push_str("Filesystem (everything else of the host is invisible):\n");
    match &p.rootfs {
        Some(r) => out.push_str(&format!(
            "  {:<12} tar image {}, with an in-memory writable layer on top (the image is never modified)\n",
            "/",
            r.display()
        )),
        None => {
            for dir in p.default_root_dirs() {
                let path = std::path::Path::new(dir);
                match std::fs::symlink_metadata(path) {
                    Ok(m) if m.file_type().is_symlink() => {
                        let target = std::fs::read_link(path).unwrap_or_default();
                        out.push_str(&format!(
                            "  {dir:<12} symbolic link to {}, as on the host\n",
                            target.display()
                        ));
                    }
                    Ok(m) if m.is_dir() => out.push_str(&format!(
                        "  {dir:<12} host directory {dir}, read-only\n"
                    )),
                    _ => {}
                }
            }
        }
    }
    for m in &p.mounts {
        out.push_str(&format!(
            "  {:<12} {}  ({})\n",
            m.target,
            mount_line(&m.kind),
            m.origin
        ));
    }
    for d in IN_MEMORY_DIRS.iter().filter(|_| p.rootfs.is_none()) {
        out.push_str(&format!("  {d:<12} in memory, private to the sandbox\n"));
    }
    let etc: Vec<String> = crate::etc_files(p.uid, p.gid, &p.hostname)
        .iter()
        .map(|(n, _)| String::from_utf8_lossy(n).into_owned())
        .collect();
    let etc_note = if p.rootfs.is_some() {
        " (only if the image has no /etc)"
    } else {
        ""
    };
    out.push_str(&format!(
        "  {:<12} synthetic{etc_note}: {}\n",
        "/etc",
        etc.join(", ")
    ));
    out.push_str(&format!(
        "  {:<12} synthetic: null, zero, full, random, urandom (tty when stdin is a terminal)\n",
        "/dev"
    ));
    out.push_str(&format!(
        "  {:<12} synthetic: the sandbox's own processes\n",
        "/proc"
    ));
    out.push_str(&format!(
        "\nWorking directory: {}\nUser: uid {} gid {}\nHost name: {}\nSystem-call log: {}\nWritable+executable memory (JIT): {}\n",
        p.workdir,
        p.uid,
        p.gid,
        p.hostname,
        p.log,
        if p.jit { "allowed" } else { "refused (EACCES)" }
    ));
    out.push_str("Limits:\n");
    let l = &p.limits;
    // Unset, a limit is what `meridian` inherited (and the policy only ever lowers one).
    const INHERITED: &str = "as inherited";
    let or_default = |v: Option<String>, d: &str| v.unwrap_or_else(|| d.to_string());
    let tasks = format!(
        "{} (tasks, threads included; the host allows one more)",
        meridian_shim::process::DEFAULT_MAX_PROCESSES
    );
    for (name, value) in [
        (
            "memory",
            or_default(
                l.memory.map(|b| {
                    format!(
                        "{} (each process's address space; in-memory files together)",
                        human_size(b)
                    )
                }),
                "address space as inherited; in-memory files together at most half of RAM",
            ),
        ),
        (
            "processes",
            or_default(
                l.processes
                    .map(|n| format!("{n} (tasks, threads included; the host allows one more)")),
                &tasks,
            ),
        ),
        (
            "open_files",
            or_default(l.open_files.map(|n| n.to_string()), INHERITED),
        ),
        (
            "cpu_seconds",
            or_default(l.cpu_seconds.map(|n| n.to_string()), INHERITED),
        ),
        (
            "file_size",
            or_default(l.file_size.map(human_size), INHERITED),
        ),
        ("core dumps", "off".to_string()),
    ] {
        out.push_str(&format!("  {name:<12} {value}\n"));
    }
    out.push_str("Environment:\n");
    for e in &p.env {
        out.push_str(&format!("  {e}\n"));
    }
    let features = features(p);
    let allowed: Vec<_> = allowed_for(features).collect();
    out.push_str(&format!(
        "\nHost system calls Meridian itself may make ({}); every system call of the program is served by Meridian:\n",
        allowed.len()
    ));
    for a in allowed {
        let constraint = match a.constraint_for(features) {
            c if c.is_empty() => c,
            c => format!(" [{c}]"),
        };
        out.push_str(&format!(
            "  {:<18} {:<13} {}{constraint}\n",
            a.short_name(),
            a.feature.name(),
            a.reason
        ));
    }
    let errno_only: Vec<&str> = ERRNO_ONLY.iter().map(|(_, n, _)| *n).collect();
    out.push_str(&format!(
        "Answered ENOSYS by the filter, never executed: {}\n",
        errno_only.join(", ")
    ));
    out.push_str(
        "\nUnder the filter (SECURITY.md, \"Defence in depth\"): inherited descriptors closed, no_new_privs, \
         no core dumps, the limits above as host rlimits where the host enforces them, the \
         sandbox's tasks bounded by the host (a pids cgroup, or RLIMIT_NPROC in its own user \
         namespace), own \
         user/mount/network/IPC/UTS/cgroup/pid namespaces (a supervisor with its own filter stays \
         outside the pid namespace), a filesystem jail holding only the host \
         directories above, Landlock (reading beneath them, writing only beneath the read-write \
         ones, no TCP, signals and abstract sockets scoped); each where the host offers it, with a \
         warning where it does not.\n",
    );
    out
}

/// Print the explanation of `args`.
pub fn print(args: &SandboxArgs) -> Result<()> {
    print!("{}", render(&resolve(args)?));
    Ok(())
}
