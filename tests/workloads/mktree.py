# meridian workloads test: makes the fixture, a deterministic tree of 10,000 regular files
# (nested directories, mixed sizes, empty files, a few modes, symbolic links, hard links and
# old modification times), and a ustar archive of it.
#
# usage: mktree.py DEST TAR ROOTFS_TAR
#   DEST/tree (must not exist) receives the tree; TAR is written from it; ROOTFS_TAR is a root
#   filesystem image holding the tree at /tree, an empty /usr (for a host /usr mounted
#   read-only) and /bin, /lib, /lib64 as links into it, as on a merged-/usr system.
import os
import random
import sys
import tarfile

FILES = 10_000
# 2001-09-09: every time in the tree is before 2020, which the tests use to tell times the
# workload preserved from times it set to "now".
BASE_TIME = 1_000_000_000
DIR_MODES = (0o755, 0o755, 0o755, 0o750, 0o700)
FILE_MODES = (0o644,) * 12 + (0o600, 0o755, 0o640, 0o444, 0o700)

dest, tar_path, rootfs_path = sys.argv[1:4]
rng = random.Random(20240603)
root = os.path.join(dest, "tree")
os.makedirs(root)
os.umask(0o022)

# 3 levels: 12 top directories, each with 4 children, each with 3 grandchildren.
dirs = [""]
for a in range(12):
    top = "d%02d" % a
    dirs.append(top)
    for b in range(4):
        mid = "%s/s%d" % (top, b)
        dirs.append(mid)
        for c in range(3):
            dirs.append("%s/g%d" % (mid, c))
for d in dirs[1:]:
    os.mkdir(os.path.join(root, d))


def size():
    roll = rng.random()
    if roll < 0.08:
        return 0
    if roll < 0.80:
        return rng.randint(1, 1500)
    if roll < 0.99:
        return rng.randint(1500, 12000)
    return rng.randint(12000, 120000)


files = []
for i in range(FILES):
    d = rng.choice(dirs)
    name = "f%05d%s" % (i, rng.choice((".txt", ".dat", "", ".py", ".c")))
    rel = os.path.join(d, name)
    n = size()
    with open(os.path.join(root, rel), "wb") as f:
        if rel.endswith(".txt"):
            line = ("line of %s\n" % rel).encode()
            f.write((line * (n // len(line) + 1))[:n])
        else:
            f.write(rng.randbytes(n))
    os.chmod(os.path.join(root, rel), rng.choice(FILE_MODES))
    files.append(rel)

# Hard links: a second name for 25 files, in another directory; none in or to d11, which the
# workloads move as a whole (on an overlay that is a copy, which would split the links).
def outside_d11(rel):
    return not rel.startswith("d11")


linked = [f for f in files if outside_d11(f)]
for i in range(25):
    target = linked[i * 397 % len(linked)]
    where = rng.choice([d for d in dirs if outside_d11(d)])
    os.link(os.path.join(root, target), os.path.join(root, where, "hard%02d" % i))
# Symbolic links: to files (relative), to directories, dangling, absolute.
for i in range(25):
    d = rng.choice(dirs[1:])
    depth = d.count("/") + 1
    kind = i % 5
    if kind in (0, 1):
        target = "../" * depth + files[i * 131 % FILES]
    elif kind == 2:
        target = "../" * depth + rng.choice(dirs[1:])
    elif kind == 3:
        target = "missing-%d" % i
    else:
        target = "/etc/hostname"
    os.symlink(target, os.path.join(root, d, "link%02d" % i))
# Deeper, and with a long name (still within ustar's 100+155 bytes).
deep = os.path.join(root, "d00/s0/g0", *("deep%d" % i for i in range(8)))
os.makedirs(deep)
with open(os.path.join(deep, "n" * 90), "w") as f:
    f.write("deep\n")

# Old times, files first, then directories deepest first (setting a directory's time after
# its contents keeps it).
all_dirs = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    all_dirs.append(dirpath)
    for name in sorted(filenames):
        p = os.path.join(dirpath, name)
        t = BASE_TIME + rng.randint(0, 500_000_000)
        os.utime(p, (t, t), follow_symlinks=False)
for d in sorted(all_dirs, key=len, reverse=True):
    os.chmod(d, rng.choice(DIR_MODES) if d != root else 0o755)
    t = BASE_TIME + rng.randint(0, 500_000_000)
    os.utime(d, (t, t))


def normalize(info):
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


with tarfile.open(tar_path, "w", format=tarfile.USTAR_FORMAT) as tar:
    tar.add(root, arcname="tree", filter=normalize)

with tarfile.open(rootfs_path, "w", format=tarfile.USTAR_FORMAT) as tar:
    usr = tarfile.TarInfo("usr")
    usr.type, usr.mode, usr.mtime = tarfile.DIRTYPE, 0o755, BASE_TIME
    tar.addfile(usr)
    for name in ("bin", "lib", "lib64"):
        link = tarfile.TarInfo(name)
        link.type, link.linkname, link.mode, link.mtime = tarfile.SYMTYPE, "usr/" + name, 0o777, BASE_TIME
        tar.addfile(link)
    tar.add(root, arcname="tree", filter=normalize)
