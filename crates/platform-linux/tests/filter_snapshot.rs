//! Snapshots of the compiled host filter: any change to what the host kernel allows shows up
//! as a diff of a checked-in listing (regenerate with `MERIDIAN_BLESS=1 cargo test -p
//! meridian-platform-linux --test filter_snapshot` and review the diff like code).
//!
//! The filter's address ranges depend on where the runner and the vDSO are loaded, so the
//! snapshots use fixed ranges; the allowlist and the program's shape are what they pin.

use meridian_platform_linux::bpf::disassemble;
use meridian_platform_linux::filter::{Features, FilterSpec, allowed_for, build};
use std::path::PathBuf;

fn spec(features: Features) -> FilterSpec {
    FilterSpec {
        text: (0x7f00_0010_0000, 0x7f00_0020_0000),
        vdso: Some((0x7fff_f7fc_1000, 0x7fff_f7fc_3000)),
        features,
        pid: 4242,
        own_pid_namespace: false,
    }
}

/// The calls that change host files: only with a read-write volume.
const WRITE_CALLS: &[&str] = &[
    "SYS_pwrite64",
    "SYS_ftruncate",
    "SYS_fsync",
    "SYS_fallocate",
    "SYS_fchmod",
    "SYS_fchmodat2",
    "SYS_utimensat",
    "SYS_mkdirat",
    "SYS_symlinkat",
    "SYS_unlinkat",
    "SYS_renameat2",
    "SYS_linkat",
];

fn check(name: &str, spec: &FilterSpec) {
    let prog = build(spec).expect("the filter assembles");
    let mut listing = String::from("# allowed from the runner's text:\n");
    for a in allowed_for(spec.features) {
        let c = match a.constraint_for(spec.features) {
            c if c.is_empty() => c,
            c => format!(" [{c}]"),
        };
        listing.push_str(&format!(
            "#   {} ({}){c}\n",
            a.name.trim_start_matches("SYS_"),
            a.feature.name()
        ));
    }
    listing.push_str(&format!("# {} instructions\n", prog.len()));
    listing.push_str(&disassemble(&prog));
    compare(name, &listing);
}

/// Compare `listing` with the snapshot `name`, or write it with `MERIDIAN_BLESS=1`.
fn compare(name: &str, listing: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != *listing {
        if std::env::var_os("MERIDIAN_BLESS").is_some() {
            std::fs::write(&path, listing).unwrap();
        } else {
            panic!(
                "the compiled filter {name} changed; if that is intended, run \
                 `MERIDIAN_BLESS=1 cargo test -p meridian-platform-linux --test filter_snapshot` \
                 and review the diff of {}",
                path.display()
            );
        }
    }
}

/// The default policy: the default root mounts host /usr, /lib, … as volumes, read-only.
#[test]
fn default_policy_filter() {
    check("filter-default", &spec(Features::DEFAULT_POLICY));
    for name in WRITE_CALLS {
        assert!(
            allowed_for(Features::DEFAULT_POLICY).all(|a| a.name != *name),
            "{name} without a read-write volume"
        );
    }
}

/// Every policy feature on: the widest filter Meridian ever installs.
#[test]
fn every_feature_filter() {
    check("filter-all-features", &spec(Features::ALL));
}

/// A read-write volume (`--mount DIR:/out:rw`): the calls that change files, each relative to
/// an open volume directory, with their flags constrained.
#[test]
fn read_write_volume_filter() {
    let rw = Features {
        writable_volumes: true,
        ..Features::DEFAULT_POLICY
    };
    check("filter-rw-volume", &spec(rw));
    for name in WRITE_CALLS {
        assert!(
            allowed_for(rw).any(|a| a.name == *name),
            "{name} with a read-write volume"
        );
    }
    // No path-based call that follows links or takes absolute host paths by design.
    for name in [
        "SYS_chmod",
        "SYS_fchmodat",
        "SYS_truncate",
        "SYS_rename",
        "SYS_link",
    ] {
        assert!(allowed_for(rw).all(|a| a.name != name), "{name}");
    }
    // Writable without any volume is no volume at all.
    let none = Features {
        writable_volumes: true,
        ..Features::default()
    };
    assert!(allowed_for(none).all(|a| !WRITE_CALLS.contains(&a.name)));
}

/// No host volumes: no path-based host calls at all.
#[test]
fn no_volumes_filter() {
    check("filter-no-volumes", &spec(Features::default()));
    let none = Features::default();
    for name in [
        "SYS_openat2",
        "SYS_getdents64",
        "SYS_readlinkat",
        "SYS_pread64",
    ] {
        assert!(
            allowed_for(none).all(|a| a.name != name),
            "{name} without volumes"
        );
    }
}

/// The supervisor's filter (crates/platform-linux/src/supervisor.rs), for a child with pid
/// 4321 and a supervisor with pid 77, holding its pids and memory cgroups' directories on
/// descriptors 5 and 6 and the memory cgroup's OOM count on 7: eight calls, the pids,
/// descriptors and constants they may take.
#[test]
fn supervisor_filter() {
    use meridian_platform_linux::supervisor;
    let prog =
        supervisor::filter(4321, 77, &[5, 6], Some(7)).expect("the supervisor's filter assembles");
    let mut listing = String::from("# the supervisor's calls:\n");
    for c in supervisor::ALLOWLIST {
        listing.push_str(&format!("#   {} [{:?}]\n", c.name, c.arg0));
    }
    listing.push_str(&format!("# {} instructions\n", prog.len()));
    listing.push_str(&disassemble(&prog));
    compare("filter-supervisor", &listing);
}
