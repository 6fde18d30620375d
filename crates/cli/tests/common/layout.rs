//! The runner's layout as a guest that knows it would use it (issue 10; SECURITY.md's threat
//! model): the first `syscall; ret` in the meridian binary's text and the binary's load
//! address in a process; and the host processes of a sandbox, seen from `/proc`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The bytes of `syscall; ret`.
const SYSCALL_RET: [u8; 3] = [0x0f, 0x05, 0xc3];
const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;

/// Offset from the load address of the first `syscall; ret` in an executable `PT_LOAD`
/// segment of the ELF file `binary` (a static-pie: its first segment is at address 0).
pub fn syscall_ret_offset(binary: &Path) -> u64 {
    let elf = std::fs::read(binary).expect("read the meridian binary");
    assert_eq!(&elf[..4], b"\x7fELF", "{} is an ELF file", binary.display());
    let u16_at = |o: usize| u64::from(u16::from_le_bytes([elf[o], elf[o + 1]]));
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().expect("8 bytes"));
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    for i in 0..phnum {
        let ph = (phoff + i * phentsize) as usize;
        if u32_at(ph) != PT_LOAD || u32_at(ph + 4) & PF_X == 0 {
            continue;
        }
        let (offset, vaddr, filesz) = (u64_at(ph + 8), u64_at(ph + 16), u64_at(ph + 32));
        let text = &elf[offset as usize..(offset + filesz) as usize];
        if let Some(at) = text.windows(3).position(|w| w == SYSCALL_RET) {
            return vaddr + at as u64;
        }
    }
    panic!("no `syscall; ret` in {}", binary.display());
}

/// Where host process `pid` has `binary` mapped from its start (its load address), from
/// `/proc/<pid>/maps`, matched by inode; `None` if it has not mapped it (yet).
pub fn load_address(pid: u32, binary: &Path) -> Option<u64> {
    let inode = std::fs::metadata(binary).ok()?.ino().to_string();
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    maps.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() >= 5 && u64::from_str_radix(f[2], 16) == Ok(0) && f[4] == inode)
            .then(|| u64::from_str_radix(f[0].split('-').next()?, 16).ok())?
    })
}

/// The runner's `syscall; ret` in host process `pid`, if it has the binary mapped.
pub fn gadget_in(pid: u32, binary: &Path) -> Option<u64> {
    Some(load_address(pid, binary)? + syscall_ret_offset(binary))
}

/// The pid namespace of host process `pid` (`pid:[inode]`), if it is alive.
pub fn pid_namespace_of(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok()
}

/// Host processes in pid namespace `ns`.
pub fn processes_in(ns: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&p| pid_namespace_of(p).is_some_and(|n| n == ns))
        .collect()
}

/// The children of host process `pid`, from the `PPid` lines of `/proc/*/status`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let parent = pid.to_string();
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/status")).is_ok_and(|s| {
                s.lines()
                    .any(|l| l.strip_prefix("PPid:").map(str::trim) == Some(parent.as_str()))
            })
        })
        .collect()
}
