//! Unit tests of the in-memory filesystem.

use super::data::to_usize;
use super::*;
use crate::fs::{AllocMode, Metadata, Owner, SharedPagesRef};
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::AtomicU64;

/// A filesystem whose clock advances by one second on every reading.
fn fs() -> Arc<TmpFs> {
    let t = Arc::new(AtomicU64::new(1));
    TmpFs::new(
        7,
        Arc::new(move || Nanos(t.fetch_add(1_000_000_000, Ordering::Relaxed))),
    )
}

/// Shared pages over a plain buffer, standing in for the platform's memory.
struct BufferPages(Mutex<Vec<u8>>);

impl super::super::SharedPages for BufferPages {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let b = self.0.lock();
        let o = offset as usize;
        buf.copy_from_slice(b.get(o..o + buf.len()).ok_or(Error::Invalid)?);
        Ok(())
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<()> {
        let mut b = self.0.lock();
        let o = offset as usize;
        b.get_mut(o..o + data.len())
            .ok_or(Error::Invalid)?
            .copy_from_slice(data);
        Ok(())
    }
    fn zero(&self, offset: u64, len: u64) -> Result<()> {
        let mut b = self.0.lock();
        let o = offset as usize;
        b.get_mut(o..o + len as usize)
            .ok_or(Error::Invalid)?
            .fill(0);
        Ok(())
    }
    fn capacity(&self) -> u64 {
        self.0.lock().len() as u64
    }
    fn handle(&self) -> u64 {
        1
    }
}

#[test]
#[allow(clippy::unwrap_used)]
fn shared_pages_take_over_the_bytes_of_a_file() {
    let fs = fs();
    let f = TmpFs::add_file(&fs.root(), b"f", b"hello world", 0o644).unwrap();
    let asked = Arc::new(AtomicU64::new(0));
    let seen = asked.clone();
    let alloc = move |cap: u64| -> Result<SharedPagesRef> {
        seen.store(cap, Ordering::Relaxed);
        Ok(Arc::new(BufferPages(Mutex::new(vec![0u8; 3 * PAGE_BYTES]))))
    };
    let pages = f.shared_pages(&alloc).unwrap();
    // The allocator is told the file's size (in pages) and chooses the room to grow.
    assert_eq!(asked.load(Ordering::Relaxed), PAGE_BYTES as u64);
    let mut b = [0u8; 11];
    pages.read(0, &mut b).unwrap();
    assert_eq!(
        &b, b"hello world",
        "existing bytes moved into the shared pages"
    );
    // Stores through the pages are the file's bytes, and writes reach the pages.
    pages.write(0, b"J").unwrap();
    assert_eq!(f.read_at(0, &mut b), Ok(11));
    assert_eq!(&b, b"Jello world");
    assert_eq!(f.write_at(6, b"WORLD"), Ok(5));
    pages.read(6, &mut b[..5]).unwrap();
    assert_eq!(&b[..5], b"WORLD");
    // Asking again gives the same pages; truncating zeroes the tail; growth past the
    // capacity fails.
    assert_eq!(f.shared_pages(&alloc).unwrap().handle(), 1);
    f.truncate(2).unwrap();
    f.truncate(11).unwrap();
    assert_eq!(f.read_at(0, &mut b), Ok(11));
    assert_eq!(&b, b"Je\0\0\0\0\0\0\0\0\0");
    assert_eq!(f.write_at(3 * PAGE_BYTES as u64, b"x"), Err(Error::NoSpace));
    let dir = fs.root();
    assert!(
        dir.shared_pages(&alloc).is_err(),
        "directories have no shared pages"
    );
}

fn meta(node: &NodeRef) -> Metadata {
    node.metadata().unwrap_or_default()
}

fn names(dir: &NodeRef) -> Vec<Vec<u8>> {
    dir.read_dir()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.name)
        .collect()
}

fn read_all(node: &NodeRef) -> Vec<u8> {
    let mut buf = vec![0u8; to_usize(meta(node).size).unwrap_or(0)];
    let n = node.read_at(0, &mut buf).unwrap_or(0);
    buf.truncate(n);
    buf
}

#[test]
fn root_and_create() -> Result<()> {
    let fs = fs();
    let root = fs.root();
    let m = meta(&root);
    assert_eq!(m.mode, 0o040755);
    assert_eq!((m.dev, m.ino, m.nlink), (7, ROOT_INO, 2));
    let f = root.create(b"f", FileType::Regular, 0o644)?;
    assert_eq!(meta(&f).mode, 0o100644);
    assert_eq!(meta(&f).nlink, 1);
    assert_eq!(
        root.create(b"f", FileType::Regular, 0o644).err(),
        Some(Error::Exists)
    );
    assert_eq!(
        root.create(b"f", FileType::Directory, 0o755).err(),
        Some(Error::Exists)
    );
    let d = root.create(b"d", FileType::Directory, 0o700)?;
    assert_eq!(meta(&d).mode, 0o040700);
    assert_eq!(meta(&root).nlink, 3);
    let p = root.create(b"p", FileType::Fifo, 0o600)?;
    assert_eq!(p.file_type(), FileType::Fifo);
    assert_eq!(meta(&p).mode, 0o010600);
    assert!(!p.seekable());
    assert!(Arc::ptr_eq(&p.clone().open(false)?, &p));
    assert_eq!(
        root.create(b"c", FileType::CharDevice, 0o600).err(),
        Some(Error::Perm)
    );
    assert_eq!(
        root.create(b"a/b", FileType::Regular, 0o600).err(),
        Some(Error::Invalid)
    );
    assert_eq!(
        root.create(&[b'x'; 256], FileType::Regular, 0o600).err(),
        Some(Error::NameTooLong)
    );
    assert!(root.create(&[b'x'; 255], FileType::Regular, 0o600).is_ok());
    assert_eq!(
        f.create(b"x", FileType::Regular, 0o600).err(),
        Some(Error::NotDir)
    );
    assert_eq!(f.lookup(b"x").err(), Some(Error::NotDir));
    assert_eq!(root.lookup(b"nope").err(), Some(Error::NotFound));
    assert!(Arc::ptr_eq(&root.lookup(b"d")?, &d));
    // Stable, sorted order; inode numbers distinct.
    assert_eq!(
        names(&root),
        vec![b"d".to_vec(), b"f".to_vec(), b"p".to_vec(), vec![b'x'; 255]]
    );
    let listed = root.read_dir()?;
    assert_eq!(
        listed.first().map(|e| (e.ino, e.file_type)),
        Some((meta(&d).ino, FileType::Directory))
    );
    assert_ne!(meta(&f).ino, meta(&d).ino);
    Ok(())
}

#[test]
fn file_data_sparse_and_truncate() -> Result<()> {
    let fs = fs();
    let f = TmpFs::add_file(&fs.root(), b"f", b"hello", 0o644)?;
    assert_eq!(read_all(&f), b"hello");
    // Sparse write far past the end zero-fills the gap.
    assert_eq!(f.write_at(10_000, b"xy")?, 2);
    assert_eq!(meta(&f).size, 10_002);
    assert_eq!(meta(&f).blocks, 2 * 8);
    assert_eq!(meta(&f).blksize, 4096);
    let all = read_all(&f);
    assert_eq!(all.get(..5), Some(&b"hello"[..]));
    assert!(
        all.get(5..10_000)
            .is_some_and(|gap| gap.iter().all(|&b| b == 0))
    );
    assert_eq!(all.get(10_000..), Some(&b"xy"[..]));
    // Reads past the end return 0; short reads at the end.
    let mut buf = [0u8; 8];
    assert_eq!(f.read_at(20_000, &mut buf)?, 0);
    assert_eq!(f.read_at(10_001, &mut buf)?, 1);
    // A write across a page boundary.
    f.write_at(4094, b"abcd")?;
    let mut four = [0u8; 4];
    f.read_at(4094, &mut four)?;
    assert_eq!(&four, b"abcd");
    // Shrinking drops data; growing again shows zeros, not the old bytes.
    f.truncate(3)?;
    assert_eq!(read_all(&f), b"hel");
    f.truncate(4100)?;
    let all = read_all(&f);
    assert_eq!(all.len(), 4100);
    assert!(
        all.get(3..)
            .is_some_and(|rest| rest.iter().all(|&b| b == 0))
    );
    // A huge sparse size costs nothing; past the Linux limit it is refused.
    f.truncate(1 << 40)?;
    assert_eq!(meta(&f).size, 1 << 40);
    f.truncate(0)?;
    assert_eq!(f.truncate(MAX_FILE_BYTES + 1).err(), Some(Error::TooBig));
    assert_eq!(f.write_at(MAX_FILE_BYTES, b"x").err(), Some(Error::Invalid));
    assert_eq!(f.write_at(u64::MAX, b"x").err(), Some(Error::Invalid));
    let mut one = [0u8; 1];
    assert_eq!(f.read_at(u64::MAX, &mut one)?, 0);
    // Directories and symlinks are not files.
    assert_eq!(fs.root().read_at(0, &mut one).err(), Some(Error::IsDir));
    assert_eq!(fs.root().write_at(0, b"x").err(), Some(Error::IsDir));
    Ok(())
}

#[test]
fn times_follow_linux() -> Result<()> {
    let fs = fs();
    let root = fs.root();
    let before = meta(&root);
    let f = root.create(b"f", FileType::Regular, 0o644)?;
    let created = meta(&f);
    let after = meta(&root);
    assert!(after.mtime > before.mtime && after.ctime > before.ctime);
    assert_eq!(
        (created.atime, created.mtime),
        (created.ctime, created.ctime)
    );
    f.write_at(0, b"data")?;
    let written = meta(&f);
    assert!(written.mtime > created.mtime && written.ctime == written.mtime);
    assert_eq!(written.atime, created.atime);
    // A zero-length write changes nothing.
    f.write_at(0, b"")?;
    assert_eq!(meta(&f).mtime, written.mtime);
    // relatime: the first read after a write updates atime, the next one does not.
    let mut buf = [0u8; 4];
    f.read_at(0, &mut buf)?;
    let read1 = meta(&f).atime;
    assert!(read1 > written.mtime);
    f.read_at(0, &mut buf)?;
    assert_eq!(meta(&f).atime, read1);
    // chmod changes ctime only.
    f.set_mode(0o600)?;
    let chmodded = meta(&f);
    assert_eq!(chmodded.mode, 0o100600);
    assert!(chmodded.ctime > written.ctime && chmodded.mtime == written.mtime);
    // utimensat sets what it is given, ctime becomes now.
    f.set_times(Some(Nanos(5)), None)?;
    let m = meta(&f);
    assert_eq!((m.atime, m.mtime), (Nanos(5), written.mtime));
    assert!(m.ctime > chmodded.ctime);
    f.set_times(None, Some(Nanos(9)))?;
    assert_eq!((meta(&f).atime, meta(&f).mtime), (Nanos(5), Nanos(9)));
    // unlink changes the parent's mtime and the node's ctime.
    let parent_before = meta(&root).mtime;
    root.link(b"g", &f)?;
    let linked = meta(&f);
    assert_eq!(linked.nlink, 2);
    root.unlink(b"f", false)?;
    let m = meta(&f);
    assert!(meta(&root).mtime > parent_before && m.ctime > linked.ctime);
    assert_eq!(m.nlink, 1);
    Ok(())
}

#[test]
fn unlink_rules() -> Result<()> {
    let fs = fs();
    let root = fs.root();
    let f = root.create(b"f", FileType::Regular, 0o644)?;
    let d = root.create(b"d", FileType::Directory, 0o755)?;
    d.create(b"inner", FileType::Regular, 0o644)?;
    assert_eq!(root.unlink(b"d", false).err(), Some(Error::IsDir));
    assert_eq!(root.unlink(b"f", true).err(), Some(Error::NotDir));
    assert_eq!(root.unlink(b"d", true).err(), Some(Error::NotEmpty));
    assert_eq!(root.unlink(b"none", false).err(), Some(Error::NotFound));
    assert_eq!(root.unlink(b"..", true).err(), Some(Error::Invalid));
    d.unlink(b"inner", false)?;
    assert_eq!(meta(&root).nlink, 3);
    root.unlink(b"d", true)?;
    assert_eq!(meta(&root).nlink, 2);
    assert_eq!(meta(&d).nlink, 0);
    // Nothing can be created in a removed directory.
    assert_eq!(
        d.create(b"x", FileType::Regular, 0o644).err(),
        Some(Error::NotFound)
    );
    assert_eq!(d.read_dir().err(), Some(Error::NotFound));
    // An unlinked open file keeps its data.
    f.write_at(0, b"kept")?;
    root.unlink(b"f", false)?;
    assert_eq!(meta(&f).nlink, 0);
    assert_eq!(read_all(&f), b"kept");
    assert_eq!(root.link(b"again", &f).err(), Some(Error::NotFound));
    assert!(names(&root).is_empty());
    Ok(())
}

#[test]
fn link_rules() -> Result<()> {
    let fs = fs();
    let other = self::fs();
    let root = fs.root();
    let f = TmpFs::add_file(&root, b"f", b"x", 0o644)?;
    let d = root.create(b"d", FileType::Directory, 0o755)?;
    d.link(b"f2", &f)?;
    assert_eq!(meta(&f).nlink, 2);
    assert_eq!(meta(&d.lookup(b"f2")?).ino, meta(&f).ino);
    assert_eq!(root.link(b"f", &f).err(), Some(Error::Exists));
    assert_eq!(root.link(b"d2", &d).err(), Some(Error::Perm));
    assert_eq!(other.root().link(b"f", &f).err(), Some(Error::CrossDevice));
    let foreign: NodeRef =
        crate::fs::synthetic::DynamicSymlink::new(99, Arc::new(|| Ok(b"x".to_vec())));
    assert_eq!(root.link(b"s", &foreign).err(), Some(Error::CrossDevice));
    // The data is shared.
    d.lookup(b"f2")?.write_at(1, b"y")?;
    assert_eq!(read_all(&f), b"xy");
    Ok(())
}

#[test]
fn rename_matrix() -> Result<()> {
    let fs = fs();
    let root = fs.root();
    let a = root.create(b"a", FileType::Directory, 0o755)?;
    let b = root.create(b"b", FileType::Directory, 0o755)?;
    let f1 = TmpFs::add_file(&a, b"f1", b"one", 0o644)?;
    let f2 = TmpFs::add_file(&b, b"f2", b"two", 0o644)?;
    // File over file (across directories) replaces it.
    a.rename(b"f1", &b, b"f2")?;
    assert_eq!(read_all(&b.lookup(b"f2")?), b"one");
    assert_eq!(meta(&f2).nlink, 0);
    assert_eq!(a.lookup(b"f1").err(), Some(Error::NotFound));
    // Same name in the same directory: nothing happens; a missing source: NotFound.
    b.rename(b"f2", &b, b"f2")?;
    assert!(Arc::ptr_eq(&b.lookup(b"f2")?, &f1));
    assert_eq!(b.rename(b"zz", &b, b"zz").err(), Some(Error::NotFound));
    // Two links to one file: nothing happens.
    b.link(b"f3", &f1)?;
    b.rename(b"f2", &b, b"f3")?;
    assert_eq!(names(&b), vec![b"f2".to_vec(), b"f3".to_vec()]);
    b.unlink(b"f3", false)?;
    // Directory over empty directory moves it and fixes link counts.
    let sub = a.create(b"sub", FileType::Directory, 0o755)?;
    let empty = b.create(b"empty", FileType::Directory, 0o755)?;
    assert_eq!((meta(&a).nlink, meta(&b).nlink), (3, 3));
    a.rename(b"sub", &b, b"empty")?;
    assert_eq!((meta(&a).nlink, meta(&b).nlink), (2, 3));
    assert_eq!(meta(&empty).nlink, 0);
    assert!(Arc::ptr_eq(&b.lookup(b"empty")?, &sub));
    // Directory over non-empty directory, over a file; file over directory.
    sub.create(b"x", FileType::Regular, 0o644)?;
    let d2 = a.create(b"d2", FileType::Directory, 0o755)?;
    assert_eq!(a.rename(b"d2", &b, b"empty").err(), Some(Error::NotEmpty));
    assert_eq!(a.rename(b"d2", &b, b"f2").err(), Some(Error::NotDir));
    assert_eq!(b.rename(b"f2", &a, b"d2").err(), Some(Error::IsDir));
    // A directory into its own subtree, or onto itself as parent.
    assert_eq!(root.rename(b"b", &sub, b"loop").err(), Some(Error::Invalid));
    assert_eq!(
        b.rename(b"empty", &sub, b"loop").err(),
        Some(Error::Invalid)
    );
    // Nothing above changed anything.
    assert_eq!(names(&a), vec![b"d2".to_vec()]);
    assert_eq!(names(&b), vec![b"empty".to_vec(), b"f2".to_vec()]);
    // Moving a directory updates its parent, so the subtree check follows it.
    b.rename(b"empty", &root, b"top")?;
    assert_eq!(meta(&root).nlink, 5);
    root.rename(b"a", &sub, b"a_inside")?;
    assert_eq!(
        sub.lookup(b"a_inside")?
            .lookup(b"d2")
            .map(|n| Arc::ptr_eq(&n, &d2)),
        Ok(true)
    );
    assert_eq!(root.rename(b"top", &d2, b"x").err(), Some(Error::Invalid));
    // Rename within a directory to a new name.
    d2.create(b"old", FileType::Regular, 0o644)?;
    let before = meta(&d2).mtime;
    d2.rename(b"old", &d2, b"new")?;
    assert_eq!(names(&d2), vec![b"new".to_vec()]);
    assert!(meta(&d2).mtime > before);
    // Other filesystems.
    let other = self::fs();
    assert_eq!(
        root.rename(b"top", &other.root(), b"x").err(),
        Some(Error::CrossDevice)
    );
    Ok(())
}

#[test]
fn symlinks_and_helpers() -> Result<()> {
    let fs = fs();
    let root = fs.root();
    let l = TmpFs::add_symlink(&root, b"l", b"../target")?;
    assert_eq!(l.file_type(), FileType::Symlink);
    assert_eq!(l.read_link()?, b"../target");
    let m = meta(&l);
    assert_eq!((m.mode, m.size), (0o120777, 9));
    assert_eq!(root.symlink(b"e", b"").err(), Some(Error::NotFound));
    assert_eq!(root.symlink(b"l", b"x").err(), Some(Error::Exists));
    assert_eq!(root.read_link().err(), Some(Error::Invalid));
    let d = TmpFs::add_dir(&root, b"d", 0o1777)?;
    assert_eq!(meta(&d).mode, 0o041777);
    let custom = TmpFs::new_with_root_mode(1, Arc::new(|| Nanos(0)), 0o700);
    assert_eq!(meta(&custom.root()).mode, 0o040700);
    Ok(())
}

#[test]
fn concurrent_namespace_changes_do_not_deadlock() -> Result<()> {
    extern crate std;
    let fs = fs();
    let root = fs.root();
    let a = root.create(b"a", FileType::Directory, 0o755)?;
    let b = root.create(b"b", FileType::Directory, 0o755)?;
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let (a, b) = (a.clone(), b.clone());
            std::thread::spawn(move || -> Result<()> {
                let name = [b'f', b'0' + t];
                let sub = [b'd', b'0' + t];
                for i in 0..500u32 {
                    let file = a.create(&name, FileType::Regular, 0o644)?;
                    file.write_at(u64::from(i), b"x")?;
                    a.rename(&name, &b, &name)?;
                    b.rename(&name, &a, &name)?;
                    a.create(&sub, FileType::Directory, 0o755)?;
                    a.rename(&sub, &b, &sub)?;
                    let _ = b.read_dir()?;
                    b.unlink(&sub, true)?;
                    a.unlink(&name, false)?;
                }
                Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| Error::Busy)??;
    }
    assert!(names(&a).is_empty() && names(&b).is_empty());
    assert_eq!((meta(&a).nlink, meta(&b).nlink), (2, 2));
    Ok(())
}

#[test]
fn attach_foreign_nodes() -> Result<()> {
    let fs = fs();
    let root = fs.root();
    let ino = fs.alloc_ino();
    let generated: NodeRef =
        crate::fs::synthetic::GeneratedFile::new(ino, Arc::new(|| Ok(b"gen".to_vec())));
    TmpFs::attach(&root, b"g", generated.clone())?;
    assert_eq!(
        TmpFs::attach(&root, b"g", generated.clone()).err(),
        Some(Error::Exists)
    );
    let listed = root.read_dir()?;
    assert_eq!(
        listed.first().map(|e| (e.ino, e.file_type)),
        Some((ino, FileType::Regular))
    );
    assert!(Arc::ptr_eq(&root.lookup(b"g")?, &generated));
    let dir = root.create(b"d", FileType::Directory, 0o755)?;
    assert_eq!(TmpFs::attach(&root, b"d2", dir).err(), Some(Error::Invalid));
    assert_eq!(
        TmpFs::attach(&generated, b"x", root.clone()).err(),
        Some(Error::NotSupported)
    );
    let dyn_dir: NodeRef =
        crate::fs::synthetic::DynamicDir::new(fs.alloc_ino(), Arc::new(|| Ok(Vec::new())));
    TmpFs::attach(&root, b"dyn", dyn_dir)?;
    assert_eq!(meta(&root).nlink, 4);
    assert_eq!(root.unlink(b"dyn", true).err(), Some(Error::Busy));
    assert_eq!(root.rename(b"dyn", &root, b"dyn2").err(), Some(Error::Busy));
    root.rename(b"g", &root, b"g2")?;
    root.unlink(b"g2", false)?;
    Ok(())
}

#[test]
fn limits_give_enospc_and_come_back() -> Result<()> {
    let fs = TmpFs::with_options(
        9,
        Arc::new(|| Nanos(0)),
        0o755,
        TmpFsOptions {
            size_bytes: Some(3 * 4096),
            inodes: Some(3),
            budget: None,
        },
    );
    let root = fs.root();
    let f = root.create(b"f", FileType::Regular, 0o644)?;
    // Two pages fit, a third fits, a fourth does not: the write is short.
    assert_eq!(f.write_at(0, &[1u8; 2 * 4096])?, 2 * 4096);
    assert_eq!(f.write_at(8192, &[1u8; 8192])?, 4096);
    assert_eq!(f.write_at(5 * 4096, b"x").err(), Some(Error::NoSpace));
    let st = fs.stats();
    assert_eq!(
        (st.blocks, st.blocks_free, st.files, st.files_free),
        (3, 0, 3, 1)
    );
    // Inodes: root + f + g; a fourth is refused.
    let g = root.create(b"g", FileType::Directory, 0o755)?;
    assert_eq!(
        root.create(b"h", FileType::Regular, 0o644).err(),
        Some(Error::NoSpace)
    );
    assert_eq!(root.symlink(b"l", b"t").err(), Some(Error::NoSpace));
    // Freed pages and inodes can be used again.
    f.truncate(4096)?;
    assert_eq!(fs.stats().blocks_free, 2);
    f.allocate(AllocMode::PunchHole, 0, 4096)?;
    assert_eq!(fs.stats().blocks_free, 3);
    assert_eq!(meta(&f).size, 4096);
    assert_eq!(meta(&f).blocks, 0);
    root.unlink(b"g", true)?;
    drop(g);
    assert!(root.create(b"h", FileType::Regular, 0o644).is_ok());
    root.unlink(b"f", false)?;
    drop(f);
    assert_eq!(fs.stats().blocks_free, 3);
    Ok(())
}

/// A filesystem charging `budget`, with an optional size of its own.
fn budgeted(dev: u64, budget: &crate::budget::BudgetRef, size_bytes: Option<u64>) -> Arc<TmpFs> {
    TmpFs::with_options(
        dev,
        Arc::new(|| Nanos(0)),
        0o755,
        TmpFsOptions {
            size_bytes,
            inodes: None,
            budget: Some(budget.clone()),
        },
    )
}

#[test]
fn filesystems_of_one_budget_fill_together_and_free_at_unlink() -> Result<()> {
    // Four pages, and room for the two inodes made below.
    let budget = crate::budget::MemoryBudget::new(4 * 4096 + 2 * INODE_CHARGE_BYTES);
    let (a, b) = (
        budgeted(10, &budget, None),
        budgeted(11, &budget, Some(2 * 4096)),
    );
    // statfs: the budget is the size of a filesystem without one, and bounds the other's.
    assert_eq!((a.stats().blocks, a.stats().blocks_free), (4, 4));
    assert_eq!(
        (a.stats().files, a.stats().files_free),
        (18, 17),
        "the root is free"
    );
    assert_eq!((b.stats().blocks, b.stats().blocks_free), (2, 2));
    let f = TmpFs::add_file(&a.root(), b"f", &[1u8; 3 * 4096], 0o644)?;
    assert_eq!(budget.charged_bytes(), 3 * 4096 + INODE_CHARGE_BYTES);
    assert_eq!((b.stats().blocks, b.stats().blocks_free), (2, 1));
    // The other filesystem's write is short, then refused.
    let g = b.root().create(b"g", FileType::Regular, 0o644)?;
    assert_eq!(g.write_at(0, &[2u8; 2 * 4096])?, 4096);
    assert_eq!(g.write_at(4096, b"x").err(), Some(Error::NoSpace));
    assert_eq!(g.truncate(1 << 20), Ok(()), "holes are free");
    assert_eq!(
        g.allocate(AllocMode::Allocate, 4096, 4096).err(),
        Some(Error::NoSpace)
    );
    assert_eq!(
        b.root().create(b"h", FileType::Regular, 0o644).err(),
        Some(Error::NoSpace),
        "inodes are charged too"
    );
    assert_eq!(a.stats().blocks_free, 0);
    // Unlinking the last link of a file no one holds gives its pages back.
    a.root().unlink(b"f", false)?;
    assert_eq!(budget.charged_bytes(), budget.limit_bytes(), "still open");
    drop(f);
    assert_eq!(budget.charged_bytes(), 4096 + INODE_CHARGE_BYTES);
    assert_eq!(g.write_at(4096, &[2u8; 4096])?, 4096);
    g.truncate(0)?;
    assert_eq!(budget.charged_bytes(), INODE_CHARGE_BYTES);
    b.root().unlink(b"g", false)?;
    drop(g);
    assert_eq!(budget.charged_bytes(), 0);
    Ok(())
}

#[test]
fn hard_links_past_the_first_are_charged() -> Result<()> {
    let budget = crate::budget::MemoryBudget::new(3 * INODE_CHARGE_BYTES);
    let fs = budgeted(13, &budget, None);
    let root = fs.root();
    let f = root.create(b"f", FileType::Regular, 0o644)?;
    root.link(b"g", &f)?;
    root.link(b"h", &f)?;
    assert_eq!(root.link(b"i", &f).err(), Some(Error::NoSpace));
    assert_eq!(root.lookup(b"i").err(), Some(Error::NotFound));
    // Unlinks and a rename over a link give the charges back.
    root.unlink(b"g", false)?;
    assert_eq!(budget.charged_bytes(), 2 * INODE_CHARGE_BYTES);
    root.create(b"x", FileType::Regular, 0o644)?;
    root.rename(b"x", &root, b"h")?;
    assert_eq!(budget.charged_bytes(), 2 * INODE_CHARGE_BYTES);
    root.unlink(b"f", false)?;
    drop(f);
    root.unlink(b"h", false)?;
    assert_eq!(budget.charged_bytes(), 0);
    Ok(())
}

#[test]
#[allow(clippy::unwrap_used)]
fn shared_files_count_their_size() {
    let budget = crate::budget::MemoryBudget::new(4 * 4096 + INODE_CHARGE_BYTES);
    let fs = budgeted(12, &budget, None);
    let f = TmpFs::add_file(&fs.root(), b"f", &[1u8; 100], 0o644).unwrap();
    f.truncate(2 * 4096 + 1).unwrap();
    let pages = || (budget.charged_bytes() - INODE_CHARGE_BYTES) / 4096;
    assert_eq!(pages(), 1, "one page written");
    let alloc = |_cap: u64| -> Result<SharedPagesRef> {
        Ok(Arc::new(BufferPages(Mutex::new(vec![0u8; 8 * PAGE_BYTES]))))
    };
    f.shared_pages(&alloc).unwrap();
    assert_eq!(pages(), 3, "mapped: its size");
    assert_eq!(f.write_at(5 * 4096, b"x"), Err(Error::NoSpace));
    assert_eq!(f.write_at(3 * 4096, b"x"), Ok(1));
    assert_eq!(pages(), 4);
    assert_eq!(f.truncate(6 * 4096), Err(Error::NoSpace));
    f.truncate(4096).unwrap();
    assert_eq!(pages(), 1);
    fs.root().unlink(b"f", false).unwrap();
    drop(f);
    assert_eq!(budget.charged_bytes(), 0);
}

#[test]
fn fallocate_modes() -> Result<()> {
    let fs = fs();
    let f = TmpFs::add_file(&fs.root(), b"f", &[7u8; 10_000], 0o644)?;
    f.allocate(AllocMode::KeepSize, 0, 40_000)?;
    let m = meta(&f);
    assert_eq!((m.size, m.blocks), (10_000, 10 * 8));
    f.allocate(AllocMode::Allocate, 0, 20_000)?;
    assert_eq!(meta(&f).size, 20_000);
    f.allocate(AllocMode::PunchHole, 100, 9000)?;
    let all = read_all(&f);
    assert!(all.get(..100).is_some_and(|b| b.iter().all(|&x| x == 7)));
    assert!(
        all.get(100..9100)
            .is_some_and(|b| b.iter().all(|&x| x == 0))
    );
    assert!(
        all.get(9100..10_000)
            .is_some_and(|b| b.iter().all(|&x| x == 7))
    );
    assert_eq!(meta(&f).size, 20_000);
    assert_eq!(
        fs.root().allocate(AllocMode::Allocate, 0, 1).err(),
        Some(Error::IsDir)
    );
    Ok(())
}

#[test]
fn owners_unnamed_files_and_exchange() -> Result<()> {
    let fs = fs();
    let root = fs.root();
    let owner = Owner {
        uid: 1000,
        gid: 100,
    };
    let f = root.create_as(b"f", FileType::Regular, 0o6755, owner)?;
    assert_eq!((meta(&f).uid, meta(&f).gid), (1000, 100));
    f.set_owner(Some(5), None)?;
    assert_eq!(
        (meta(&f).uid, meta(&f).gid, meta(&f).mode),
        (5, 100, 0o100755)
    );
    root.symlink_as(b"l", b"f", owner)?;
    assert_eq!(meta(&root.lookup(b"l")?).uid, 1000);
    // O_TMPFILE: no name, link count 0, then linked once.
    let t = root.create_unnamed(0o600, owner)?;
    assert_eq!(meta(&t).nlink, 0);
    root.link(b"named", &t)?;
    assert_eq!(meta(&t).nlink, 1);
    // Exchange a file and a directory across directories.
    let a = root.create(b"a", FileType::Directory, 0o755)?;
    let b = root.create(b"b", FileType::Directory, 0o755)?;
    let sub = a.create(b"sub", FileType::Directory, 0o755)?;
    let x = b.create(b"x", FileType::Regular, 0o644)?;
    a.exchange(b"sub", &b, b"x")?;
    assert!(Arc::ptr_eq(&a.lookup(b"sub")?, &x));
    assert!(Arc::ptr_eq(&b.lookup(b"x")?, &sub));
    assert_eq!((meta(&a).nlink, meta(&b).nlink), (2, 3));
    assert_eq!(a.exchange(b"nope", &b, b"x").err(), Some(Error::NotFound));
    // A directory cannot be exchanged into its own subtree.
    assert_eq!(root.exchange(b"b", &sub, b"y").err(), Some(Error::NotFound));
    sub.create(b"y", FileType::Regular, 0o644)?;
    assert_eq!(root.exchange(b"b", &sub, b"y").err(), Some(Error::Invalid));
    Ok(())
}

#[test]
fn fifos_open_their_pipe() -> Result<()> {
    let fs = fs();
    let p = fs.root().create(b"p", FileType::Fifo, 0o644)?;
    assert_eq!(p.open_fifo(false, true, true).err(), Some(Error::NoDevice));
    let r = p.open_fifo(true, false, true)?;
    let w = p.open_fifo(false, true, true)?;
    assert_eq!(w.write_at(0, b"hi")?, 2);
    let mut buf = [0u8; 4];
    assert_eq!(r.read_at(0, &mut buf)?, 2);
    assert_eq!(meta(&r).mode, 0o010644);
    w.release();
    assert_eq!(r.read_at(0, &mut buf)?, 0);
    Ok(())
}

#[test]
fn directories_and_short_links_hold_no_blocks() -> Result<()> {
    let fs = fs();
    let root = fs.root();
    let dir = TmpFs::add_dir(&root, b"d", 0o755)?;
    TmpFs::add_file(&dir, b"f", b"x", 0o644)?;
    assert_eq!((meta(&dir).size, meta(&dir).blocks), (3 * 20, 0));
    // A target of 127 bytes and its NUL fit shmem's inode; 128 take a page.
    TmpFs::add_symlink(&root, b"short", &[b'x'; 127])?;
    TmpFs::add_symlink(&root, b"long", &[b'x'; 128])?;
    let blocks = |name: &[u8]| root.lookup(name).map(|n| meta(&n).blocks);
    assert_eq!((blocks(b"short")?, blocks(b"long")?), (0, 8));
    Ok(())
}
