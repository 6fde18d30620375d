//! The synthetic /proc: /proc/self (and /proc/<own pid>) with exe, cwd, root, fd/, fdinfo/,
//! maps, status, statm, cmdline, environ, stat, mounts, mountinfo; /proc/<pid> with stat,
//! status, cmdline and comm for every other process of the sandbox; plus cpuinfo, meminfo,
//! uptime, loadavg, filesystems, mounts and sys/kernel/{hostname,osrelease,pid_max}.
//! Formats follow proc(5) so that ps, df and libc parse them. `fd/N`, `cwd`, `root` and
//! `exe` are magic links: resolution reaches the object itself.
//!
//! One /proc serves every process of the sandbox (the mount table is shared), so each file
//! finds the kernel of the process reading it ([`current`]: each process's platform value
//! holds its own, [`crate::CurrentKernel`]; a vfork child that has not exec'd yet reads its
//! parent's, whose host process it runs in). What other
//! processes see of a process is its [`ProcView`], which lives in its process-table entry
//! and is updated when its image, name or ids change.

use crate::process::Process;
use crate::{Kernel, LinuxPlatform};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use meridian_core::Error;
use meridian_core::fs::NodeRef;
use meridian_core::fs::synthetic::{DynamicDir, DynamicSymlink, GeneratedFile};
use meridian_core::fs::tmpfs::TmpFs;
use meridian_core::fs::vfs::Resolved;
use meridian_core::fs::{PROC_SUPER_MAGIC, TMPFS_MAGIC};
use meridian_core::time::ClockKind;

fn nul_joined(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        out.extend_from_slice(i);
        out.push(0);
    }
    out
}

/// Page size for statm.
const PAGE_BYTES: u64 = 4096;

/// What other processes see of a process in /proc.
#[derive(Clone, Debug, Default)]
pub struct ProcView {
    /// Thread name (comm).
    pub comm: Vec<u8>,
    /// argv, each followed by a NUL (/proc/<pid>/cmdline).
    pub cmdline: Vec<u8>,
    /// Real, effective, saved and filesystem user ids.
    pub uid: [u32; 4],
    /// Real, effective, saved and filesystem group ids.
    pub gid: [u32; 4],
}

impl<P: LinuxPlatform> Kernel<P> {
    /// Copy what /proc shows of this process to its process-table entry.
    pub fn publish_view(&self) {
        let (comm, cmdline) = {
            let image = self.image.lock();
            (image.comm.clone(), nul_joined(&image.argv))
        };
        let (uid, gid) = {
            let c = self.creds.lock();
            (c.uid, c.gid)
        };
        *self.proc.view.lock() = ProcView {
            comm,
            cmdline,
            uid,
            gid,
        };
    }
}

/// The kernel of the process reading /proc now: each process's platform value holds its own
/// ([`crate::CurrentKernel`]).
fn current<P: LinuxPlatform>(k: &crate::CurrentKernel<P>) -> Result<Arc<Kernel<P>>, Error> {
    k.upgrade().ok_or(Error::NotFound)
}

/// proc(5) state letter and word of process `p`. Whether another process is running or
/// sleeping is not tracked: it shows as sleeping (the reader itself is the one running).
fn state_of(p: &Process, own: bool) -> (char, &'static str) {
    let life = *p.life.lock();
    if life.zombie.is_some() {
        ('Z', "zombie")
    } else if life.stopped.is_some() {
        ('T', "stopped")
    } else if own {
        ('R', "running")
    } else {
        ('S', "sleeping")
    }
}

/// What /proc/<pid>/stat shows beyond the process table.
#[derive(Default)]
struct StatExtra {
    threads: usize,
    vsize: u64,
    brk_start: u64,
    brk: u64,
}

/// /proc/<pid>/stat (proc(5): 52 fields; times in clock ticks, memory in bytes/pages).
fn render_stat(p: &Process, comm: &[u8], own: bool, x: &StatExtra) -> Vec<u8> {
    use core::sync::atomic::Ordering::Acquire;
    let (state, _) = state_of(p, own);
    format!(
        "{pid} ({comm}) {state} {ppid} {pgrp} {sid} 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 {threads} 0 0 {vsize} {rss} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 {brk_start} {brk} 0 0 0 0 0\n",
        pid = p.pid,
        comm = lossy(comm),
        ppid = p.ppid.load(Acquire),
        pgrp = p.pgid.load(Acquire),
        sid = p.sid.load(Acquire),
        threads = x.threads,
        vsize = x.vsize,
        rss = x.vsize / PAGE_BYTES,
        brk_start = x.brk_start,
        brk = x.brk,
    )
    .into_bytes()
}

/// /proc/<pid>/status of another process (proc(5)); `masks` as [`Kernel::signal_masks`].
fn render_status_other(p: &Process, masks: (u64, u64, u64, u64, u64)) -> Vec<u8> {
    use core::sync::atomic::Ordering::Acquire;
    let v = p.view.lock().clone();
    let (letter, word) = state_of(p, false);
    format!(
        "Name:\t{}\nState:\t{letter} ({word})\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\nPPid:\t{}\nTracerPid:\t0\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t64\nThreads:\t1\nSigQ:\t0/0\nSigPnd:\t{:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{:016x}\nSigIgn:\t{:016x}\nSigCgt:\t{:016x}\n",
        lossy(&v.comm),
        p.ppid.load(Acquire),
        v.uid[0], v.uid[1], v.uid[2], v.uid[3],
        v.gid[0], v.gid[1], v.gid[2], v.gid[3],
        masks.0, masks.1, masks.2, masks.3, masks.4,
        pid = p.pid,
    )
    .into_bytes()
}

/// /proc/<pid> of a process other than the reader: stat, status, cmdline, comm, from its
/// process-table entry (gone once it is reaped).
fn other_dir<P: LinuxPlatform>(
    fs: &Arc<TmpFs>,
    kernel: &crate::CurrentKernel<P>,
    pid: u32,
) -> NodeRef {
    let file = |render: fn(&Process) -> Vec<u8>| {
        let k = kernel.clone();
        GeneratedFile::new(
            fs.alloc_ino(),
            Arc::new(move || {
                let k = k.upgrade().ok_or(Error::NotFound)?;
                let p = k.sandbox.get(pid).ok_or(Error::NotFound)?;
                Ok(render(&p))
            }),
        )
    };
    let entries: Vec<(Vec<u8>, NodeRef)> = alloc::vec![
        (
            b"stat".to_vec(),
            file(|p| {
                let comm = p.view.lock().comm.clone();
                let x = StatExtra {
                    threads: 1,
                    ..StatExtra::default()
                };
                render_stat(p, &comm, false, &x)
            })
        ),
        (b"status".to_vec(), {
            let k = kernel.clone();
            GeneratedFile::new(
                fs.alloc_ino(),
                Arc::new(move || {
                    let k = k.upgrade().ok_or(Error::NotFound)?;
                    let p = k.sandbox.get(pid).ok_or(Error::NotFound)?;
                    let masks = p
                        .kernel_of::<P>()
                        .map_or((0, 0, 0, 0, 0), |o| o.signal_masks());
                    Ok(render_status_other(&p, masks))
                }),
            )
        }),
        (
            b"cmdline".to_vec(),
            file(|p| {
                // A zombie has no memory to read its arguments from: empty (proc(5)).
                if p.life.lock().zombie.is_some() {
                    Vec::new()
                } else {
                    p.view.lock().cmdline.clone()
                }
            })
        ),
        (
            b"comm".to_vec(),
            file(|p| {
                let mut c = p.view.lock().comm.clone();
                c.push(b'\n');
                c
            })
        ),
    ];
    let list = Arc::new(entries);
    DynamicDir::new(fs.alloc_ino(), Arc::new(move || Ok(list.as_ref().clone())))
}

/// The filesystem type name of the mount at `path` (for mounts and mountinfo).
fn fs_type<P: LinuxPlatform>(k: &Kernel<P>, path: &[u8]) -> &'static str {
    let magic = k.vfs.resolve(b"/", path, true).and_then(|r| {
        if r.node.metadata()?.dev == meridian_core::fs::synthetic::PROC_DEV {
            return Ok(PROC_SUPER_MAGIC);
        }
        r.node.statfs().map(|s| s.magic)
    });
    match magic {
        Ok(TMPFS_MAGIC) => "tmpfs",
        Ok(PROC_SUPER_MAGIC) => "proc",
        _ => "hostfs",
    }
}

fn lossy(b: &[u8]) -> alloc::string::String {
    alloc::string::String::from_utf8_lossy(b).into_owned()
}

/// /proc/self/mounts (fstab(5) format).
fn render_mounts<P: LinuxPlatform>(k: &Kernel<P>) -> Vec<u8> {
    let mut out = Vec::new();
    for (p, ro) in k.vfs.mounts() {
        let ty = fs_type(k, &p);
        out.extend_from_slice(
            format!(
                "{ty} {} {ty} {} 0 0\n",
                lossy(&p),
                if ro { "ro" } else { "rw" }
            )
            .as_bytes(),
        );
    }
    out
}

/// /proc/self/mountinfo (proc(5)): IDs, parent, device, root, mount point, options, `-`,
/// type, source, super options.
fn render_mountinfo<P: LinuxPlatform>(k: &Kernel<P>) -> Vec<u8> {
    let mounts = k.vfs.mounts();
    let mut out = Vec::new();
    for (i, (p, ro)) in mounts.iter().enumerate() {
        let id = 20 + i;
        // The parent is the longest earlier mount point that is a prefix.
        let parent = mounts
            .iter()
            .enumerate()
            .filter(|(j, (q, _))| {
                *j != i
                    && (q.as_slice() == b"/" || (p.starts_with(q) && p.get(q.len()) == Some(&b'/')))
            })
            .max_by_key(|(_, (q, _))| q.len())
            .map_or(id, |(j, _)| 20 + j);
        let dev = k
            .vfs
            .resolve(b"/", p, true)
            .and_then(|r| r.node.metadata())
            .map_or(0, |m| m.dev);
        let ty = fs_type(k, p);
        let opt = if *ro { "ro" } else { "rw" };
        out.extend_from_slice(
            format!(
                "{id} {parent} 0:{dev} / {} {opt},relatime - {ty} {ty} {opt}\n",
                lossy(p)
            )
            .as_bytes(),
        );
    }
    out
}

/// The target of `/proc/self/fd/N`: the file's path or its anonymous name.
fn fd_text(f: &meridian_core::file::OpenFile) -> Vec<u8> {
    if f.path.is_empty() {
        f.node
            .anon_name()
            .unwrap_or_else(|| b"anon_inode:[?]".to_vec())
    } else {
        f.path.clone()
    }
}

/// Build /proc for `kernel` (held weakly: /proc must not keep the kernel alive).
pub fn build<P: LinuxPlatform>(
    fs: &Arc<TmpFs>,
    kernel: crate::CurrentKernel<P>,
    cpuinfo: Vec<u8>,
    meminfo: Vec<u8>,
) -> Result<NodeRef, Error> {
    let root = fs.root();
    let k = kernel.clone();
    let generated = |f: Arc<dyn Fn(&Kernel<P>) -> Vec<u8> + Send + Sync>| {
        let k = k.clone();
        GeneratedFile::new(fs.alloc_ino(), Arc::new(move || current(&k).map(|k| f(&k))))
    };
    let self_dir = fs.alloc_ino();
    let entries: Vec<(&[u8], NodeRef)> = alloc::vec![
        (
            b"cmdline",
            generated(Arc::new(|k| nul_joined(&k.image.lock().argv)))
        ),
        (
            b"environ",
            generated(Arc::new(|k| nul_joined(&k.image.lock().envp)))
        ),
        (b"maps", generated(Arc::new(|k| k.mm.lock().render_maps()))),
        (
            b"comm",
            generated(Arc::new(|k| {
                let mut c = k.image.lock().comm.clone();
                c.push(b'\n');
                c
            }))
        ),
        (
            b"status",
            generated(Arc::new(|k| {
                let comm =
                    alloc::string::String::from_utf8_lossy(&k.image.lock().comm).into_owned();
                let threads = k.threads.lock().len();
                let c = k.creds.lock().clone();
                let groups: alloc::string::String =
                    c.groups.iter().map(|g| format!("{g} ")).collect();
                let masks = k.signal_masks();
                format!(
                "Name:\t{comm}\nUmask:\t{:04o}\nState:\tR (running)\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\nPPid:\t{ppid}\nTracerPid:\t0\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t64\nGroups:\t{groups}\nThreads:\t{threads}\nSigQ:\t0/0\nSigPnd:\t{pnd:016x}\nShdPnd:\t{shd:016x}\nSigBlk:\t{blk:016x}\nSigIgn:\t{ign:016x}\nSigCgt:\t{cgt:016x}\n",
                k.umask.load(core::sync::atomic::Ordering::Relaxed),
                c.uid[0], c.uid[1], c.uid[2], c.uid[3],
                c.gid[0], c.gid[1], c.gid[2], c.gid[3],
                pid = k.pid,
                ppid = k.proc.ppid.load(core::sync::atomic::Ordering::Acquire),
                pnd = masks.0,
                shd = masks.1,
                blk = masks.2,
                ign = masks.3,
                cgt = masks.4,
            )
            .into_bytes()
            }))
        ),
        (
            b"stat",
            generated(Arc::new(|k| {
                let comm = k.image.lock().comm.clone();
                let x = {
                    let mm = k.mm.lock();
                    StatExtra {
                        threads: 0,
                        vsize: mm.areas().map(|(s, a)| a.end.saturating_sub(s)).sum(),
                        brk_start: mm.brk_start,
                        brk: mm.brk,
                    }
                };
                let x = StatExtra {
                    threads: k.threads.lock().len(),
                    ..x
                };
                render_stat(&k.proc, &comm, true, &x)
            }))
        ),
        (b"mounts", generated(Arc::new(|k| render_mounts(k)))),
        (b"mountinfo", generated(Arc::new(|k| render_mountinfo(k)))),
        (
            b"statm",
            generated(Arc::new(|k| {
                let pages: u64 =
                    k.mm.lock()
                        .areas()
                        .map(|(s, a)| a.end.saturating_sub(s) / PAGE_BYTES)
                        .sum();
                // size resident shared text lib data dt (pages); residency is not tracked,
                // so every mapped page counts as resident.
                format!("{pages} {pages} 0 0 0 {pages} 0\n").into_bytes()
            }))
        ),
    ];
    // A magic link whose text is a path the kernel knows, and which resolves to it.
    let path_link = |f: Arc<dyn Fn(&Kernel<P>) -> Vec<u8> + Send + Sync>| {
        let (kt, kj, ft) = (kernel.clone(), kernel.clone(), f.clone());
        DynamicSymlink::magic(
            fs.alloc_ino(),
            Arc::new(move || current(&kt).map(|k| ft(&k))),
            Arc::new(move || {
                let k = current(&kj)?;
                let path = f(&k);
                k.vfs.resolve(b"/", &path, true)
            }),
        )
    };
    let exe = path_link(Arc::new(|k| k.image.lock().exe.clone()));
    let cwd = path_link(Arc::new(|k| k.cwd.lock().clone()));
    let root_link = path_link(Arc::new(|_| b"/".to_vec()));
    let kf = kernel.clone();
    let fs_for_fd = fs.clone();
    let fd_dir = DynamicDir::new(
        fs.alloc_ino(),
        Arc::new(move || {
            let k = current(&kf)?;
            let files: Vec<(u32, Arc<meridian_core::file::OpenFile>)> = k
                .fds
                .lock()
                .iter()
                .map(|(n, e)| (n, e.file.clone()))
                .collect();
            Ok(files
                .into_iter()
                .map(|(n, file)| {
                    let weak = Arc::downgrade(&file);
                    let text = fd_text(&file);
                    let node = DynamicSymlink::magic(
                        fs_for_fd.alloc_ino(),
                        Arc::new(move || Ok(text.clone())),
                        Arc::new(move || {
                            let f = weak.upgrade().ok_or(Error::NotFound)?;
                            Ok(Resolved {
                                node: f.node.clone(),
                                path: f.path.clone(),
                                read_only: f.read_only.load(core::sync::atomic::Ordering::Relaxed),
                            })
                        }),
                    );
                    (format!("{n}").into_bytes(), node)
                })
                .collect())
        }),
    );
    let ki = kernel.clone();
    let fs_for_info = fs.clone();
    let fdinfo_dir = DynamicDir::new(
        fs.alloc_ino(),
        Arc::new(move || {
            let k = current(&ki)?;
            let files: Vec<(u32, bool, Arc<meridian_core::file::OpenFile>)> = k
                .fds
                .lock()
                .iter()
                .map(|(n, e)| (n, e.cloexec, e.file.clone()))
                .collect();
            Ok(files
                .into_iter()
                .map(|(n, cloexec, file)| {
                    let node = GeneratedFile::new(
                        fs_for_info.alloc_ino(),
                        Arc::new(move || {
                            // proc(5): pos, flags (octal, with O_CLOEXEC), mnt_id, ino.
                            let acc = match (file.readable, file.writable) {
                                (true, true) => 2,
                                (false, true) => 1,
                                _ => 0,
                            };
                            let flags =
                                (file.status() & !3) | acc | if cloexec { 0o2000000 } else { 0 };
                            let ino = file.node.metadata().map_or(0, |m| m.ino);
                            Ok(format!(
                                "pos:\t{}\nflags:\t0{:o}\nmnt_id:\t20\nino:\t{ino}\n",
                                *file.offset.lock(),
                                flags
                            )
                            .into_bytes())
                        }),
                    );
                    (format!("{n}").into_bytes(), node)
                })
                .collect())
        }),
    );
    let mut list: Vec<(Vec<u8>, NodeRef)> = entries
        .into_iter()
        .map(|(n, node)| (n.to_vec(), node))
        .collect();
    list.push((b"exe".to_vec(), exe));
    list.push((b"cwd".to_vec(), cwd));
    list.push((b"root".to_vec(), root_link));
    list.push((b"fd".to_vec(), fd_dir));
    list.push((b"fdinfo".to_vec(), fdinfo_dir));
    let list = Arc::new(list);
    let selfnode = DynamicDir::new(self_dir, Arc::new(move || Ok(list.as_ref().clone())));
    // /proc/self is a symbolic link to the reader's pid (proc(5)), whose directory is
    // `selfnode` for the reader (see `with_pids`).
    let ks = kernel.clone();
    let self_link = DynamicSymlink::new(
        fs.alloc_ino(),
        Arc::new(move || Ok(format!("{}", current(&ks)?.pid).into_bytes())),
    );
    TmpFs::attach(&root, b"self", self_link)?;
    TmpFs::attach(&root, b"thread-self", selfnode.clone())?;
    TmpFs::add_file(&root, b"cpuinfo", &cpuinfo, 0o444)?;
    TmpFs::add_file(&root, b"meminfo", &meminfo, 0o444)?;
    let ku = kernel.clone();
    TmpFs::attach(
        &root,
        b"uptime",
        GeneratedFile::new(
            fs.alloc_ino(),
            Arc::new(move || {
                let k = ku.upgrade().ok_or(Error::NotFound)?;
                let up = k.p.now(ClockKind::Monotonic).0.saturating_sub(k.started);
                Ok(format!(
                    "{}.{:02} 0.00\n",
                    up / 1_000_000_000,
                    (up / 10_000_000) % 100
                )
                .into_bytes())
            }),
        ),
    )?;
    let kl = kernel.clone();
    TmpFs::attach(
        &root,
        b"loadavg",
        GeneratedFile::new(
            fs.alloc_ino(),
            Arc::new(move || {
                let k = kl.upgrade().ok_or(Error::NotFound)?;
                // proc(5): three load averages, running/total tasks, last pid.
                let threads = k.threads.lock().len();
                Ok(format!("0.00 0.00 0.00 1/{threads} {}\n", k.pid).into_bytes())
            }),
        ),
    )?;
    let km = kernel.clone();
    TmpFs::attach(
        &root,
        b"mounts",
        GeneratedFile::new(
            fs.alloc_ino(),
            Arc::new(move || {
                km.upgrade()
                    .map(|k| render_mounts(&k))
                    .ok_or(Error::NotFound)
            }),
        ),
    )?;
    TmpFs::add_file(
        &root,
        b"filesystems",
        b"nodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\n",
        0o444,
    )?;
    let sys = TmpFs::add_dir(&root, b"sys", 0o555)?;
    let kernel_dir = TmpFs::add_dir(&sys, b"kernel", 0o555)?;
    if let Some(k) = kernel.upgrade() {
        let mut h = k.config.hostname.clone();
        h.push(b'\n');
        TmpFs::add_file(&kernel_dir, b"hostname", &h, 0o444)?;
        let mut r = k.config.release.clone();
        r.push(b'\n');
        TmpFs::add_file(&kernel_dir, b"osrelease", &r, 0o444)?;
    }
    TmpFs::add_file(&kernel_dir, b"pid_max", b"4194304\n", 0o444)?;
    Ok(with_pids(fs, root, kernel, selfnode))
}

/// The /proc root: the fixed entries of `fixed`, then one directory per process of the
/// sandbox (the reader's own is `selfnode`).
fn with_pids<P: LinuxPlatform>(
    fs: &Arc<TmpFs>,
    fixed: NodeRef,
    kernel: crate::CurrentKernel<P>,
    selfnode: NodeRef,
) -> NodeRef {
    let others: Arc<spin::Mutex<BTreeMap<u32, NodeRef>>> =
        Arc::new(spin::Mutex::new(BTreeMap::new()));
    let fs_for_pids = fs.clone();
    DynamicDir::new(
        fs.alloc_ino(),
        Arc::new(move || {
            let mut out: Vec<(Vec<u8>, NodeRef)> = Vec::new();
            for e in fixed.read_dir()? {
                if e.name != b"." && e.name != b".." {
                    let node = fixed.lookup(&e.name)?;
                    out.push((e.name, node));
                }
            }
            let k = current(&kernel)?;
            let pids: Vec<u32> = k.sandbox.table.lock().keys().copied().collect();
            let mut cache = others.lock();
            cache.retain(|p, _| pids.binary_search(p).is_ok());
            for pid in pids {
                let node = if pid == k.pid {
                    selfnode.clone()
                } else {
                    cache
                        .entry(pid)
                        .or_insert_with(|| other_dir(&fs_for_pids, &kernel, pid))
                        .clone()
                };
                out.push((format!("{pid}").into_bytes(), node));
            }
            Ok(out)
        }),
    )
}
