//! Unit tests of the overlay over an in-memory lower.

use super::*;
use core::sync::atomic::{AtomicU64, Ordering};

/// A clock that advances by one second on every reading.
fn clock() -> crate::fs::tmpfs::Clock {
    let t = Arc::new(AtomicU64::new(1_000_000_000));
    Arc::new(move || Nanos(t.fetch_add(1_000_000_000, Ordering::Relaxed)))
}

/// A lower tree: /etc/{os-release,hosts}, /usr/bin/tool (+ hard link tool2), /usr/lib/
/// {a,b}, /link -> usr/bin/tool, /sparse (1 MiB with one byte at the end).
fn lower() -> Result<(Arc<TmpFs>, NodeRef)> {
    let fs = TmpFs::new(10, clock());
    let root = fs.root();
    let etc = TmpFs::add_dir(&root, b"etc", 0o755)?;
    TmpFs::add_file(&etc, b"os-release", b"NAME=test\n", 0o644)?;
    TmpFs::add_file(&etc, b"hosts", b"127.0.0.1 localhost\n", 0o644)?;
    let usr = TmpFs::add_dir(&root, b"usr", 0o755)?;
    let bin = TmpFs::add_dir(&usr, b"bin", 0o755)?;
    let tool = TmpFs::add_file(&bin, b"tool", b"#!tool", 0o755)?;
    bin.link(b"tool2", &tool)?;
    let lib = TmpFs::add_dir(&usr, b"lib", 0o755)?;
    TmpFs::add_file(&lib, b"a", b"A", 0o644)?;
    TmpFs::add_file(&lib, b"b", b"B", 0o644)?;
    TmpFs::add_symlink(&root, b"link", b"usr/bin/tool")?;
    let sparse = TmpFs::add_file(&root, b"sparse", b"", 0o600)?;
    sparse.write_at((1 << 20) - 1, b"z")?;
    tool.set_times(Some(Nanos(77)), Some(Nanos(88)))?;
    Ok((fs, root))
}

fn setup() -> Result<(NodeRef, NodeRef, Arc<TmpFs>)> {
    let (_fs, lower_root) = lower()?;
    let upper = TmpFs::new(11, clock());
    let root = overlay(42, upper.clone(), lower_root.clone())?;
    Ok((root, lower_root, upper))
}

fn walk(root: &NodeRef, path: &str) -> Result<NodeRef> {
    let mut node = root.clone();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        node = node.lookup(part.as_bytes())?;
    }
    Ok(node)
}

fn names(dir: &NodeRef) -> Result<Vec<Vec<u8>>> {
    Ok(dir.read_dir()?.into_iter().map(|e| e.name).collect())
}

fn read_all(node: &NodeRef) -> Result<Vec<u8>> {
    let size = usize::try_from(node.metadata()?.size).map_err(|_| Error::Overflow)?;
    let mut buf = vec![0u8; size];
    let n = crate::fs::read_full(node.as_ref(), 0, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

fn v(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

#[test]
fn reads_merge_and_report_the_overlay_device() -> Result<()> {
    let (root, lower, _) = setup()?;
    assert_eq!(names(&root)?, v(&["etc", "link", "sparse", "usr"]));
    let f = walk(&root, "etc/os-release")?;
    assert_eq!(read_all(&f)?, b"NAME=test\n");
    let m = f.metadata()?;
    assert_eq!(m.dev, 42);
    assert_eq!(m.ino, walk(&lower, "etc/os-release")?.metadata()?.ino);
    assert_eq!(walk(&root, "link")?.read_link()?, b"usr/bin/tool");
    // One name is one node while it lives.
    assert!(Arc::ptr_eq(&walk(&root, "etc")?, &walk(&root, "etc")?));
    assert_eq!(walk(&root, "nope").err(), Some(Error::NotFound));
    assert_eq!(walk(&root, "etc/hosts/x").err(), Some(Error::NotDir));
    Ok(())
}

#[test]
fn writes_copy_up_and_leave_the_lower_alone() -> Result<()> {
    let (root, lower, _) = setup()?;
    let tool = walk(&root, "usr/bin/tool")?;
    let before = tool.metadata()?;
    assert_eq!(before.nlink, 2);
    tool.write_at(0, b"#!TOOL-2")?;
    let after = tool.metadata()?;
    assert_eq!(read_all(&tool)?, b"#!TOOL-2");
    // Copy-up keeps the inode number and mode, breaks the lower hard link, and the write
    // moved mtime on from the copied one.
    assert_eq!(
        (after.ino, after.mode, after.nlink),
        (before.ino, 0o100755, 1)
    );
    assert_eq!(after.size, 8);
    assert_eq!(after.atime, Nanos(77));
    assert!(after.mtime > Nanos(88));
    assert_eq!(read_all(&walk(&lower, "usr/bin/tool")?)?, b"#!tool");
    assert_eq!(read_all(&walk(&root, "usr/bin/tool2")?)?, b"#!tool");
    // A looked-up-again node sees the copy.
    assert_eq!(read_all(&walk(&root, "usr/bin/tool")?)?, b"#!TOOL-2");
    // chmod, utimens, truncate copy up too.
    let hosts = walk(&root, "etc/hosts")?;
    hosts.set_mode(0o600)?;
    assert_eq!(hosts.metadata()?.mode, 0o100600);
    assert_eq!(walk(&lower, "etc/hosts")?.metadata()?.mode, 0o100644);
    let os = walk(&root, "etc/os-release")?;
    os.set_times(Some(Nanos(1)), Some(Nanos(2)))?;
    assert_eq!(os.metadata()?.mtime, Nanos(2));
    walk(&root, "usr/lib/a")?.truncate(0)?;
    assert_eq!(walk(&root, "usr/lib/a")?.metadata()?.size, 0);
    assert_eq!(walk(&lower, "usr/lib/a")?.metadata()?.size, 1);
    // Sparse files stay sparse: only the last page was written.
    let sparse = walk(&root, "sparse")?;
    sparse.write_at(0, b"a")?;
    let m = sparse.metadata()?;
    assert_eq!(m.size, 1 << 20);
    let mut last = [0u8; 1];
    sparse.read_at((1 << 20) - 1, &mut last)?;
    assert_eq!(&last, b"z");
    // Opening for writing copies up at once.
    let b = walk(&root, "usr/lib/b")?;
    let opened = b.clone().open(true)?;
    assert!(Arc::ptr_eq(&opened, &b));
    let up = b.as_any().downcast_ref::<OvNode>().and_then(OvNode::upper);
    assert!(up.is_some());
    Ok(())
}

#[test]
fn deleting_lower_files_and_directories_leaves_whiteouts() -> Result<()> {
    let (root, lower, _) = setup()?;
    let etc = walk(&root, "etc")?;
    etc.unlink(b"hosts", false)?;
    assert_eq!(etc.lookup(b"hosts").err(), Some(Error::NotFound));
    assert_eq!(names(&etc)?, v(&["os-release"]));
    assert_eq!(etc.unlink(b"hosts", false).err(), Some(Error::NotFound));
    assert!(walk(&lower, "etc/hosts").is_ok());
    // rmdir needs the merged directory empty.
    let usr = walk(&root, "usr")?;
    assert_eq!(usr.unlink(b"lib", true).err(), Some(Error::NotEmpty));
    assert_eq!(usr.unlink(b"lib", false).err(), Some(Error::IsDir));
    let lib = walk(&root, "usr/lib")?;
    lib.unlink(b"a", false)?;
    lib.unlink(b"b", false)?;
    assert!(names(&lib)?.is_empty());
    usr.unlink(b"lib", true)?;
    assert_eq!(names(&usr)?, v(&["bin"]));
    // mkdir where a lower directory was: opaque, empty.
    let again = usr.create(b"lib", FileType::Directory, 0o700)?;
    assert!(names(&again)?.is_empty());
    assert!(names(&walk(&root, "usr/lib")?)?.is_empty());
    assert_eq!(walk(&root, "usr/lib")?.metadata()?.mode, 0o040700);
    // Recreating a whited-out file shows the new one only.
    TmpFs::add_file(&etc, b"hosts", b"new", 0o644)?;
    assert_eq!(read_all(&walk(&root, "etc/hosts")?)?, b"new");
    etc.unlink(b"hosts", false)?;
    assert_eq!(walk(&root, "etc/hosts").err(), Some(Error::NotFound));
    // Removing a whole tree bottom-up, as rm -r does.
    let bin = walk(&root, "usr/bin")?;
    for name in names(&bin)? {
        bin.unlink(&name, false)?;
    }
    usr.unlink(b"bin", true)?;
    usr.unlink(b"lib", true)?;
    root.unlink(b"usr", true)?;
    assert_eq!(names(&root)?, v(&["etc", "link", "sparse"]));
    assert_eq!(names(&walk(&lower, "usr")?)?, v(&["bin", "lib"]));
    Ok(())
}

#[test]
fn renames_copy_files_up_and_refuse_lower_directories() -> Result<()> {
    let (root, lower, _) = setup()?;
    let etc = walk(&root, "etc")?;
    let usr = walk(&root, "usr")?;
    // A lower file moves (copy-up, then rename) and leaves a whiteout.
    etc.rename(b"hosts", &usr, b"hosts.moved")?;
    assert_eq!(etc.lookup(b"hosts").err(), Some(Error::NotFound));
    assert_eq!(
        read_all(&walk(&root, "usr/hosts.moved")?)?,
        b"127.0.0.1 localhost\n"
    );
    assert_eq!(names(&usr)?, v(&["bin", "hosts.moved", "lib"]));
    // Over an existing lower file: replaces it.
    etc.rename(b"os-release", &usr, b"hosts.moved")?;
    assert_eq!(read_all(&walk(&root, "usr/hosts.moved")?)?, b"NAME=test\n");
    assert!(names(&etc)?.is_empty());
    // Lower directories: EXDEV, so tools fall back to copy and delete.
    assert_eq!(
        usr.rename(b"lib", &root, b"lib2").err(),
        Some(Error::CrossDevice)
    );
    // File over directory and the reverse.
    assert_eq!(
        root.rename(b"sparse", &usr, b"lib").err(),
        Some(Error::IsDir)
    );
    // Directories made in the sandbox move freely, over a lower name too.
    let d = root.create(b"made", FileType::Directory, 0o755)?;
    TmpFs::add_file(&d, b"inside", b"x", 0o644)?;
    root.rename(b"made", &usr, b"made2")?;
    assert_eq!(read_all(&walk(&root, "usr/made2/inside")?)?, b"x");
    assert_eq!(root.lookup(b"made").err(), Some(Error::NotFound));
    let bin = walk(&root, "usr/bin")?;
    for name in names(&bin)? {
        bin.unlink(&name, false)?;
    }
    // Onto an emptied lower directory: the moved one stays as it was (opaque).
    usr.rename(b"made2", &usr, b"bin")?;
    assert_eq!(names(&walk(&root, "usr/bin")?)?, v(&["inside"]));
    // Same name: nothing happens; missing source: NotFound.
    root.rename(b"link", &root, b"link")?;
    assert_eq!(
        root.rename(b"none", &root, b"x").err(),
        Some(Error::NotFound)
    );
    assert_eq!(names(&walk(&lower, "etc")?)?, v(&["hosts", "os-release"]));
    Ok(())
}

#[test]
fn links_symlinks_and_creation() -> Result<()> {
    let (root, _lower, upper) = setup()?;
    let etc = walk(&root, "etc")?;
    let hosts = walk(&root, "etc/hosts")?;
    etc.link(b"hosts.hard", &hosts)?;
    assert_eq!(hosts.metadata()?.nlink, 2);
    walk(&root, "etc/hosts.hard")?.write_at(0, b"X")?;
    assert_eq!(read_all(&walk(&root, "etc/hosts")?)?.first(), Some(&b'X'));
    assert_eq!(etc.link(b"os-release", &hosts).err(), Some(Error::Exists));
    let dir = walk(&root, "usr")?;
    assert_eq!(root.link(b"usr2", &dir).err(), Some(Error::Perm));
    let other = TmpFs::new(12, clock());
    assert_eq!(
        root.link(b"x", &other.root()).err(),
        Some(Error::CrossDevice)
    );
    root.symlink(b"s", b"/etc/hosts")?;
    assert_eq!(walk(&root, "s")?.read_link()?, b"/etc/hosts");
    assert_eq!(root.symlink(b"link", b"x").err(), Some(Error::Exists));
    assert_eq!(
        root.create(b"etc", FileType::Regular, 0o644).err(),
        Some(Error::Exists)
    );
    let f = root.create(b"new", FileType::Regular, 0o600)?;
    f.write_at(0, b"hello")?;
    let m = f.metadata()?;
    assert!(m.ino >= UPPER_INO_BASE);
    assert_eq!((m.dev, m.size, m.nlink), (42, 5, 1));
    // What the guest made is in the upper only.
    assert!(upper.root().lookup(b"new").is_ok());
    // Merged directories report one link.
    assert_eq!(walk(&root, "etc")?.metadata()?.nlink, 1);
    Ok(())
}

#[test]
fn copied_up_files_map_shared() -> Result<()> {
    struct Pages(Mutex<Vec<u8>>);
    impl crate::fs::SharedPages for Pages {
        fn read(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
            let b = self.0.lock();
            let o = usize::try_from(offset).map_err(|_| Error::Overflow)?;
            buf.copy_from_slice(b.get(o..o + buf.len()).ok_or(Error::Invalid)?);
            Ok(())
        }
        fn write(&self, offset: u64, data: &[u8]) -> Result<()> {
            let mut b = self.0.lock();
            let o = usize::try_from(offset).map_err(|_| Error::Overflow)?;
            b.get_mut(o..o + data.len())
                .ok_or(Error::Invalid)?
                .copy_from_slice(data);
            Ok(())
        }
        fn zero(&self, _offset: u64, _len: u64) -> Result<()> {
            Ok(())
        }
        fn capacity(&self) -> u64 {
            self.0.lock().len() as u64
        }
        fn handle(&self) -> u64 {
            7
        }
    }
    let (root, lower, _) = setup()?;
    let f = walk(&root, "etc/os-release")?.open(true)?;
    let alloc =
        |_: u64| -> Result<SharedPagesRef> { Ok(Arc::new(Pages(Mutex::new(vec![0; 8192])))) };
    let pages = f.shared_pages(&alloc)?;
    let mut head = [0u8; 4];
    pages.read(0, &mut head)?;
    assert_eq!(&head, b"NAME");
    pages.write(0, b"name")?;
    assert_eq!(read_all(&f)?, b"name=test\n");
    assert_eq!(read_all(&walk(&lower, "etc/os-release")?)?, b"NAME=test\n");
    Ok(())
}

#[test]
fn copy_up_keeps_the_owner() -> Result<()> {
    let (root, lower_root, _upper) = setup()?;
    let lower_hosts = walk(&lower_root, "etc/hosts")?;
    lower_hosts.set_owner(Some(1000), Some(50))?;
    let hosts = walk(&root, "etc/hosts")?;
    hosts.set_mode(0o600)?; // copies it up
    let m = walk(&root, "etc/hosts")?.metadata()?;
    assert_eq!((m.uid, m.gid, m.mode & 0o7777), (1000, 50, 0o600));
    assert_eq!(
        lower_hosts.metadata()?.mode & 0o7777,
        0o644,
        "lower untouched"
    );
    Ok(())
}

#[test]
fn chown_copies_up_and_leaves_the_lower() -> Result<()> {
    let (root, lower_root, _upper) = setup()?;
    let tool = walk(&root, "usr/bin/tool")?;
    tool.set_owner(Some(5), Some(6))?;
    let m = tool.metadata()?;
    assert_eq!((m.uid, m.gid), (5, 6));
    assert_eq!(read_all(&tool)?, b"#!tool");
    let lower = walk(&lower_root, "usr/bin/tool")?.metadata()?;
    assert_eq!((lower.uid, lower.gid), (0, 0));
    Ok(())
}
