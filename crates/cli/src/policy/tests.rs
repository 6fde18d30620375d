//! Unit tests of the policy: sizes, a full file, located errors with hints, flags.

use super::*;

fn load(text: &str) -> Result<Policy, PolicyError> {
    let mut p = default_policy();
    p.apply_toml(Path::new("/policy/sandbox.toml"), text)?;
    Ok(p)
}

#[test]
fn sizes() {
    assert_eq!(parse_size("512"), Some(512));
    assert_eq!(parse_size("64K"), Some(64 << 10));
    assert_eq!(parse_size("64M"), Some(64 << 20));
    assert_eq!(parse_size("2GiB"), Some(2 << 30));
    assert_eq!(parse_size("1T"), Some(1 << 40));
    assert_eq!(parse_size("1.5G"), None);
    assert_eq!(parse_size("G"), None);
    assert_eq!(parse_size(""), None);
    assert_eq!(parse_size("99999999999T"), None);
}

#[test]
fn a_full_policy_resolves() {
    let p = load(
        r#"
workdir = "/work/./x/"
uid = 1000
gid = 100
hostname = "box"
log = "trace"
jit = true

[env]
LANG = "C.UTF-8"
PATH = "/bin"

[[mount]]
type = "tmpfs"
target = "/scratch"
size = "64M"
inodes = 100

[limits]
memory = "1G"
processes = 16
open_files = 256
cpu_seconds = 30
file_size = 1048576
"#,
    )
    .unwrap();
    assert_eq!(p.workdir, "/work/x");
    assert_eq!((p.uid, p.gid), (1000, 100));
    assert_eq!(p.hostname, "box");
    assert_eq!(p.log, LogLevel::Trace);
    assert!(p.jit);
    assert!(p.env.contains(&"LANG=C.UTF-8".to_string()));
    assert!(p.env.contains(&"PATH=/bin".to_string()));
    assert_eq!(p.env.iter().filter(|e| e.starts_with("PATH=")).count(), 1);
    assert_eq!(
        p.mounts[0].kind,
        MountKind::Tmpfs {
            size: Some(64 << 20),
            inodes: Some(100)
        }
    );
    assert_eq!(p.mounts[0].origin, "/policy/sandbox.toml:13:1");
    assert_eq!(
        p.limits,
        Limits {
            memory: Some(1 << 30),
            processes: Some(16),
            open_files: Some(256),
            cpu_seconds: Some(30),
            file_size: Some(1 << 20),
        }
    );
}

#[test]
fn errors_name_the_line_and_give_a_hint() {
    let e = load("memory = \"1G\"\n").unwrap_err();
    assert_eq!(
        e.hint.as_deref(),
        Some("`memory` is a limit: put it under [limits]")
    );

    let e = load("workdir = \"/w\"\n\nworkdri = \"/x\"\n").unwrap_err();
    assert_eq!(e.location, "/policy/sandbox.toml:3:1");
    assert!(e.message.contains("unknown field `workdri`"), "{e}");
    assert!(e.hint.is_some());

    let e = load("[[mount]]\ntype = \"tmpfs\"\ntarget = \"relative\"\n").unwrap_err();
    assert_eq!(e.location, "/policy/sandbox.toml:3:10");
    assert!(e.message.contains("absolute"), "{e}");

    let e = load(
        "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/a\"\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/a/\"\n",
    )
    .unwrap_err();
    assert!(e.message.contains("mounted twice"), "{e}");
    assert!(e.message.contains(":1:1"), "{e}");
    assert!(e.location.ends_with(":4:1"), "{e}");

    let e =
        load("[[mount]]\ntype = \"host\"\nsource = \"/nonexistent/meridian\"\ntarget = \"/x\"\n")
            .unwrap_err();
    assert!(e.message.contains("does not exist"), "{e}");
    assert!(e.location.ends_with(":3:10"), "{e}");

    for (text, what) in [
        (
            "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/proc/x\"\n",
            "synthetic",
        ),
        ("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/a/../b\"\n", ".."),
        (
            "[[mount]]\ntype = \"nfs\"\ntarget = \"/a\"\n",
            "unknown variant",
        ),
        (
            "[[mount]]\ntype = \"host\"\ntarget = \"/a\"\n",
            "needs `source`",
        ),
        (
            "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/a\"\nread_only = true\n",
            "only to host",
        ),
        ("[limits]\nmemory = \"lots\"\n", "not a size"),
        ("[limits]\nopen_files = 1\n", "between 3"),
        ("[limits]\nmemory = 4096\n", "at least 16M"),
        ("[limits]\nswap = 1\n", "unknown field `swap`"),
        ("log = \"loud\"\n", "unknown variant"),
        ("uid = -1\n", "invalid value"),
        ("hostname = \"a/b\"\n", "not a valid host name"),
        ("rootfs = \"/nonexistent.tar\"\n", "rootfs"),
        ("workdir = [1]\n", "invalid type"),
        ("= broken", "keys cannot be empty"),
    ] {
        let e = load(text).unwrap_err();
        assert!(e.message.contains(what), "{text:?}: {e}");
        assert!(e.location.starts_with("/policy/sandbox.toml"), "{e}");
    }
}

#[test]
fn flags() {
    let m = parse_mount_flag("/tmp:/data:ro").unwrap();
    assert_eq!(m.target, "/data");
    assert!(matches!(
        m.kind,
        MountKind::Host {
            read_only: true,
            ..
        }
    ));
    let m = parse_mount_flag("/tmp:/data").unwrap();
    assert!(matches!(
        m.kind,
        MountKind::Host {
            read_only: false,
            ..
        }
    ));
    assert!(parse_mount_flag("/tmp").is_err());
    assert!(parse_mount_flag("/tmp:data").is_err());
    assert!(parse_mount_flag("/nonexistent/meridian:/d").is_err());
    assert!(parse_mount_flag("/tmp:/dev").is_err());

    let t = parse_tmpfs_flag("/scratch:8M").unwrap();
    assert_eq!(
        t.kind,
        MountKind::Tmpfs {
            size: Some(8 << 20),
            inodes: None
        }
    );
    assert!(parse_tmpfs_flag("/proc").is_err());
    assert!(parse_tmpfs_flag("/x:big").is_err());

    let mut p = default_policy();
    apply_limit_flag(&mut p, "memory=512M").unwrap();
    apply_limit_flag(&mut p, "open_files=64").unwrap();
    assert_eq!(p.limits.memory, Some(512 << 20));
    assert_eq!(p.limits.open_files, Some(64));
    assert!(apply_limit_flag(&mut p, "bogus=1").is_err());
    assert!(apply_limit_flag(&mut p, "memory").is_err());
    assert!(apply_limit_flag(&mut p, "processes=-3").is_err());
}

#[test]
fn command_line_mounts_replace_file_mounts_at_the_same_target() {
    let mut p = load("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/data\"\n").unwrap();
    p.add_mount(parse_mount_flag("/tmp:/data:ro").unwrap());
    assert_eq!(p.mounts.len(), 1);
    assert!(matches!(p.mounts[0].kind, MountKind::Host { .. }));
}
