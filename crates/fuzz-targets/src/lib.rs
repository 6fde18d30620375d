//! The bodies of Meridian's fuzz targets: everything that parses guest input.
//!
//! Each function takes arbitrary bytes and must return without panicking (and, for
//! resolution, with its invariants held). `fuzz/` runs them under libFuzzer with cargo-fuzz
//! (`scripts/fuzz.sh TARGET SECONDS`, nightly); the tests of this crate replay every input
//! kept in `fuzz/corpus/<target>/` on stable, so CI checks the corpora without a fuzzer.

use meridian_abi::CpuContext;
use meridian_core::fs::tmpfs::TmpFs;
use meridian_core::fs::vfs::Vfs;
use meridian_core::fs::{FileType, NodeRef};
use meridian_core::platform::Platform;
use meridian_platform_test::TestPlatform;
use meridian_shim::table::{TABLE, dispatch};
use std::sync::Arc;

/// Scratch guest memory the inputs' pointers land in.
const SCRATCH: u64 = 0x10_0000;
const SCRATCH_BYTES: u64 = 0x4000;

/// One platform for the whole fuzzing process (kernels need a `'static` one; leaking one per
/// input would be reported by LeakSanitizer). Each input builds a fresh kernel on it.
fn platform() -> &'static TestPlatform {
    static PLATFORM: std::sync::OnceLock<TestPlatform> = std::sync::OnceLock::new();
    PLATFORM.get_or_init(|| TestPlatform::new(b"fuzz"))
}

fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let n = bytes.len().min(8);
    w[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(w)
}

/// Syscall decode and dispatch: the input is a scratch-memory image followed by calls of 49
/// bytes each (a table index, then six arguments; small values name scratch addresses).
pub fn syscalls(data: &[u8]) {
    let p = platform();
    let Ok((k, t)) = meridian_shim::setup::minimal(p) else {
        return;
    };
    if p.map_anonymous(
        SCRATCH,
        SCRATCH_BYTES,
        meridian_core::platform::Prot::RW,
        false,
    )
    .is_err()
    {
        return;
    }
    let (image, calls) = data.split_at(data.len().min(256));
    let _ = p.write_guest(SCRATCH, image);
    for call in calls.chunks(49) {
        let Some((&which, rest)) = call.split_first() else {
            break;
        };
        let Some(entry) = TABLE.get(usize::from(which) % TABLE.len()) else {
            break;
        };
        if meridian_platform_test::BLOCKING_OR_GROWING.contains(&entry.nr) {
            continue;
        }
        let mut args = [0u64; 6];
        for (i, a) in args.iter_mut().enumerate() {
            let raw = word(rest.get(i * 8..).unwrap_or_default());
            // Half the time a pointer into scratch memory, else the raw value.
            *a = if raw & 1 == 0 {
                SCRATCH + (raw >> 1) % SCRATCH_BYTES
            } else {
                raw >> 1
            };
        }
        let mut ctx = CpuContext::with_syscall_args(args);
        let _ = dispatch(&k, &t, u64::from(entry.nr), &mut ctx, &mut []);
    }
}

/// Largest guest memory a fuzzed ELF may ask the page-map platform for.
const MAX_IMAGE_BYTES: u64 = 64 << 20;

/// The ELF loader: parse any bytes; when they parse and stay small, load them as a program
/// from an in-memory file (mapping, .bss, stack, auxv).
pub fn elf(data: &[u8]) {
    let Ok(info) = meridian_shim::loader::parse_elf(data) else {
        return;
    };
    let span: u64 = info
        .phdrs
        .iter()
        .map(|ph| ph.memsz)
        .fold(0u64, u64::saturating_add);
    if span > MAX_IMAGE_BYTES {
        return;
    }
    let p = platform();
    let Ok((k, _t)) = meridian_shim::setup::minimal(p) else {
        return;
    };
    let Ok(tmp) = k.vfs.resolve(b"/", b"/tmp", true) else {
        return;
    };
    let Ok(file) = TmpFs::add_file(&tmp.node, b"prog", data, 0o755) else {
        return;
    };
    let _ = k.load_program(
        file,
        b"/tmp/prog".to_vec(),
        vec![b"prog".to_vec()],
        vec![b"A=B".to_vec()],
    );
}

/// Path resolution: the input builds a small tree (directories and symbolic links with
/// arbitrary targets) and then resolves arbitrary paths in it. Every success must be a
/// canonical absolute path: no `.` or `..` component, no empty component.
pub fn paths(data: &[u8]) {
    let p = platform();
    let fs = TmpFs::new(
        1,
        Arc::new(move || p.now(meridian_core::time::ClockKind::Realtime)),
    );
    let root = fs.root();
    let vfs = Vfs::new(root.clone());
    let mut parts = data.split(|&b| b == b'\n');
    // Up to 16 lines of set-up: "d NAME" makes a directory in the root, "l NAME TARGET" a link.
    for line in parts.by_ref().take(16) {
        let mut f = line.splitn(3, |&b| b == b' ');
        match (f.next(), f.next(), f.next()) {
            (Some(b"d"), Some(name), _) => {
                let _ = TmpFs::add_dir(&root, name, 0o755);
            }
            (Some(b"l"), Some(name), Some(target)) => {
                let _ = TmpFs::add_symlink(&root, name, target);
            }
            _ => break,
        }
    }
    for path in parts {
        for follow in [true, false] {
            if let Ok(r) = vfs.resolve(b"/", path, follow) {
                assert!(r.path.first() == Some(&b'/'), "not absolute: {:?}", r.path);
                if r.path != b"/" {
                    for c in r.path[1..].split(|&b| b == b'/') {
                        assert!(
                            !c.is_empty() && c != b"." && c != b"..",
                            "not canonical: {:?}",
                            String::from_utf8_lossy(&r.path)
                        );
                    }
                }
                let _: FileType = r.node.file_type();
            }
            let _: Option<NodeRef> = vfs.resolve_parent(b"/", path).ok().map(|(d, _)| d.node);
        }
    }
}

/// Policy files: the input is TOML text (or bytes that are not UTF-8, which are refused as
/// the runner refuses them). Resolving either fails with a located error or gives a policy
/// whose guest paths are absolute and normalised, with at most one mount per target.
pub fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut p = meridian::policy::default_policy();
    match p.apply_toml(std::path::Path::new("/fuzz/policy.toml"), text) {
        Err(e) => assert!(
            e.location.starts_with("/fuzz/policy.toml"),
            "error without the file: {e}"
        ),
        Ok(()) => {
            assert!(p.workdir.starts_with('/'));
            let mut targets: Vec<&str> = p.mounts.iter().map(|m| m.target.as_str()).collect();
            for t in &targets {
                assert!(t.starts_with('/') && !t.contains("/../") && !t.ends_with("/.."));
            }
            targets.sort_unstable();
            let n = targets.len();
            targets.dedup();
            assert_eq!(n, targets.len(), "two mounts at one target");
        }
    }
}

/// Tar images: the input is an archive (plain or gzip). Loading either fails with an error
/// or gives a tree that builds into an in-memory filesystem, under an overlay, whose every
/// name is a plain one; the overlay then takes a delete of everything at the top.
pub fn tar_image(data: &[u8]) {
    use meridian_core::fs::image::ImageLimits;
    let limits = ImageLimits {
        max_data_bytes: 1 << 20,
        max_entries: 4096,
        max_depth: 64,
    };
    let Ok((tree, _)) = meridian_image::load("fuzz.tar", data, limits) else {
        return;
    };
    let p = platform();
    let clock: meridian_core::fs::tmpfs::Clock =
        Arc::new(move || p.now(meridian_core::time::ClockKind::Realtime));
    let fs = TmpFs::new(1, clock.clone());
    let root = tree.build(&fs).expect("a validated tree builds");
    let mut stack = vec![root.clone()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        for entry in dir.read_dir().expect("a built directory lists") {
            assert!(
                !entry.name.is_empty()
                    && entry.name != b"."
                    && entry.name != b".."
                    && !entry.name.contains(&b'/'),
                "bad name {:?}",
                String::from_utf8_lossy(&entry.name)
            );
            seen += 1;
            if entry.file_type == FileType::Directory {
                stack.push(dir.lookup(&entry.name).expect("listed names resolve"));
            }
        }
    }
    assert!(seen <= limits.max_entries, "{seen} entries");
    let upper = TmpFs::new(2, clock);
    let ov = meridian_core::fs::overlay::overlay(3, upper, root).expect("overlay");
    for entry in ov.read_dir().expect("overlay lists") {
        let _ = ov.unlink(&entry.name, entry.file_type == FileType::Directory);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::PathBuf;

    /// Every input kept in `fuzz/corpus/<target>/` (plus the built-in seeds) runs clean.
    fn replay(target: &str, run: fn(&[u8]), seeds: &[&[u8]]) {
        for s in seeds {
            run(s);
        }
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus")
            .join(target);
        let mut n = 0;
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries {
                let path = e.unwrap().path();
                run(&std::fs::read(&path).unwrap());
                n += 1;
            }
        }
        println!("{target}: {} seeds, {n} corpus inputs", seeds.len());
    }

    #[test]
    fn syscalls_corpus() {
        replay(
            "syscalls",
            super::syscalls,
            &[b"", &[0u8; 300], &[0xffu8; 600]],
        );
    }

    #[test]
    fn elf_corpus() {
        let hello = std::fs::read("/bin/busybox").unwrap_or_default();
        let head = &hello[..hello.len().min(8192)];
        replay("elf", super::elf, &[b"", b"\x7fELF", head]);
    }

    #[test]
    fn policy_corpus() {
        replay(
            "policy",
            super::policy,
            &[
                b"",
                b"\xff\xfe",
                b"[[mount]]\ntype = \"tmpfs\"\ntarget = \"/a/./b//\"\n",
            ],
        );
    }

    #[test]
    fn tar_image_corpus() {
        replay(
            "tar_image",
            super::tar_image,
            &[b"", &[0u8; 1024], b"\x1f\x8b\x08\x00garbage"],
        );
    }

    #[test]
    fn paths_corpus() {
        replay(
            "paths",
            super::paths,
            &[
                b"d a\nl b a/../..\nl c /b/c\n\n/a/../../b\n/c\n//..//a/./",
                b"l x x\n\n/x/y",
            ],
        );
    }
}
