//! The synthetic /proc: /proc/self (and /proc/<pid>) with exe, cwd, fd/, maps, status,
//! cmdline, environ, stat, plus cpuinfo, meminfo, uptime, loadavg, mounts.

use crate::{Kernel, LinuxPlatform};
use alloc::format;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use meridian_core::Error;
use meridian_core::fs::NodeRef;
use meridian_core::fs::synthetic::{DynamicDir, DynamicSymlink, GeneratedFile};
use meridian_core::fs::tmpfs::TmpFs;
use meridian_core::time::ClockKind;

fn nul_joined(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        out.extend_from_slice(i);
        out.push(0);
    }
    out
}

/// Build /proc for `kernel` (held weakly: /proc must not keep the kernel alive).
pub fn build<P: LinuxPlatform>(
    fs: &Arc<TmpFs>,
    kernel: Weak<Kernel<P>>,
    cpuinfo: Vec<u8>,
    meminfo: Vec<u8>,
) -> Result<NodeRef, Error> {
    let root = fs.root();
    let k = kernel.clone();
    let generated = |f: Arc<dyn Fn(&Kernel<P>) -> Vec<u8> + Send + Sync>| {
        let k = k.clone();
        GeneratedFile::new(
            fs.alloc_ino(),
            Arc::new(move || k.upgrade().map(|k| f(&k)).ok_or(Error::NotFound)),
        )
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
                format!(
                "Name:\t{comm}\nUmask:\t{:04o}\nState:\tR (running)\nTgid:\t{pid}\nPid:\t{pid}\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t{threads}\n",
                k.umask.load(core::sync::atomic::Ordering::Relaxed),
                pid = k.pid
            )
            .into_bytes()
            }))
        ),
        (
            b"stat",
            generated(Arc::new(|k| {
                let comm =
                    alloc::string::String::from_utf8_lossy(&k.image.lock().comm).into_owned();
                format!(
                    "{} ({comm}) R 0 {} {} 0 -1 0 0 0 0 0 0 0 0 0 20 0 {} 0 0 0 0\n",
                    k.pid,
                    k.pid,
                    k.pid,
                    k.threads.lock().len()
                )
                .into_bytes()
            }))
        ),
        (
            b"mounts",
            generated(Arc::new(|k| {
                let mut out = Vec::new();
                for (p, ro) in k.vfs.mounts() {
                    out.extend_from_slice(
                        format!(
                            "meridian {} meridian {} 0 0\n",
                            alloc::string::String::from_utf8_lossy(&p),
                            if ro { "ro" } else { "rw" }
                        )
                        .as_bytes(),
                    );
                }
                out
            }))
        ),
    ];
    let ke = kernel.clone();
    let exe = DynamicSymlink::new(
        fs.alloc_ino(),
        Arc::new(move || {
            ke.upgrade()
                .map(|k| k.image.lock().exe.clone())
                .ok_or(Error::NotFound)
        }),
    );
    let kc = kernel.clone();
    let cwd = DynamicSymlink::new(
        fs.alloc_ino(),
        Arc::new(move || {
            kc.upgrade()
                .map(|k| k.cwd.lock().clone())
                .ok_or(Error::NotFound)
        }),
    );
    let fd_ino = fs.alloc_ino();
    let kf = kernel.clone();
    let fs_for_fd = fs.clone();
    let fd_dir = DynamicDir::new(
        fd_ino,
        Arc::new(move || {
            let k = kf.upgrade().ok_or(Error::NotFound)?;
            let fds: Vec<(u32, Vec<u8>)> = k
                .fds
                .lock()
                .iter()
                .map(|(n, e)| {
                    (
                        n,
                        if e.file.path.is_empty() {
                            e.file
                                .node
                                .anon_name()
                                .unwrap_or_else(|| b"anon_inode:[?]".to_vec())
                        } else {
                            e.file.path.clone()
                        },
                    )
                })
                .collect();
            Ok(fds
                .into_iter()
                .map(|(n, target)| {
                    let node = DynamicSymlink::new(
                        fs_for_fd.alloc_ino(),
                        Arc::new(move || Ok(target.clone())),
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
    list.push((b"fd".to_vec(), fd_dir));
    let list = Arc::new(list);
    let selfnode = DynamicDir::new(self_dir, Arc::new(move || Ok(list.as_ref().clone())));
    TmpFs::attach(&root, b"self", selfnode.clone())?;
    TmpFs::attach(&root, b"thread-self", selfnode.clone())?;
    if let Some(k) = kernel.upgrade() {
        TmpFs::attach(&root, format!("{}", k.pid).as_bytes(), selfnode)?;
    }
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
    TmpFs::add_file(&root, b"loadavg", b"0.00 0.00 0.00 1/1 1\n", 0o444)?;
    TmpFs::add_file(&root, b"filesystems", b"nodev\ttmpfs\nnodev\tproc\n", 0o444)?;
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
    Ok(root)
}
