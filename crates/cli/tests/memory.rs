//! Guest memory as the host sees it: mappings commit host memory only where the guest touches
//! them, as Linux's do. Measured from outside, as the resident memory (`VmRSS`) of the
//! `meridian` process and every process under it, while the guest holds its mappings.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long the guest may take to map and print `ready`, and to exit after its stdin closes.
const RUN_TIMEOUT: Duration = Duration::from_secs(30);
/// Resident memory the run may hold with two 2 GiB private mappings of which a few pages are
/// touched: the runner's own image, heap and stacks take a few tens of MiB; a mapping copied
/// or zeroed up front would take 2 GiB each.
const MAX_RESIDENT_BYTES: u64 = 256 << 20;

/// Host pids of `pid` and all its descendants (from `/proc/*/status` `PPid` lines).
fn process_tree(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|p| {
                    let status = std::fs::read_to_string(format!("/proc/{p}/status")).ok()?;
                    let ppid = status
                        .lines()
                        .find_map(|l| l.strip_prefix("PPid:"))?
                        .trim()
                        .parse()
                        .ok()?;
                    Some((p, ppid))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut tree = vec![pid];
    let mut at = 0;
    while let Some(&parent) = tree.get(at) {
        tree.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        at += 1;
    }
    tree
}

/// `VmRSS` of host process `pid` in bytes (0 if it is gone).
fn resident_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            let kib = s.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
            kib.trim().trim_end_matches("kB").trim().parse::<u64>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

fn build(name: &str) -> PathBuf {
    let gcc = common::find_gcc();
    let dir = common::scratch_dir("memory/bin");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../tests/c/{name}.c"));
    let out = dir.join(name);
    if !common::is_up_to_date(&out, &[&src]) {
        common::compile_c(&gcc, &src, &out, &["-O1", "-static", "-D_GNU_SOURCE"])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

/// `tests/c/mmap_private_lazy.c` maps 2 GiB MAP_PRIVATE of /dev/zero and 2 GiB of a 5-byte
/// file of /tmp, touches a few pages, and waits: the run's resident memory stays small.
#[test]
fn private_file_and_dev_zero_mappings_commit_only_touched_pages() {
    let dir = build("mmap_private_lazy");
    let mut cmd: Command = common::Sandbox::new()
        .mount(&dir, "/t", true)
        .command("/t/mmap_private_lazy", &["hold"]);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the runner");
    let (lines, got) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut output = Vec::new();
    while output.last().is_none_or(|l| l != "ready") {
        match got.recv_timeout(RUN_TIMEOUT) {
            Ok(line) => output.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("the guest did not get ready; it printed {output:#?}");
            }
        }
    }
    let resident: u64 = process_tree(child.id())
        .into_iter()
        .map(resident_bytes)
        .sum();
    drop(child.stdin.take().map(|mut stdin| stdin.write_all(b"x")));
    let status = child.wait().expect("wait for the runner");
    for expected in [
        "/dev/zero private: ok",
        "/dev/zero pages read as zero: 1",
        "file private: ok",
        "file bytes: hello, rest of the page zero: 1",
    ] {
        assert!(
            output.iter().any(|l| l == expected),
            "{expected:?} missing from {output:#?}"
        );
    }
    assert!(
        resident <= MAX_RESIDENT_BYTES,
        "the run holds {} MiB resident with 4 GiB mapped and a few pages touched (at most {} MiB expected)",
        resident >> 20,
        MAX_RESIDENT_BYTES >> 20
    );
    assert!(status.success(), "the guest ended with {status}");
}
