# Changes files and directories of a root filesystem image and prints what it sees.
# Natively it runs on an unpacked copy of the image (ROOT=that directory); in the sandbox
# on the image itself (ROOT empty), where every change goes through the overlay. It prints
# no paths, times or inode numbers, so both outputs must be identical.
import errno
import mmap
import os
import shutil
import stat

ROOT = os.environ.get("ROOT", "")


def p(path):
    return ROOT + path


def show(label, value):
    print(f"{label}: {value}")


def listing(path):
    return sorted(os.listdir(p(path)))


def mode_line(path):
    st = os.lstat(p(path))
    return (stat.filemode(st.st_mode), st.st_nlink, st.st_size)


show("root", [n for n in listing("/") if n not in ("dev", "proc", "tmp")])
with open(p("/etc/os-release")) as f:
    show("os-release", f.read().splitlines())

# Delete a file of the image: gone from stat and from the listing.
os.remove(p("/data/a.txt"))
show("a.txt exists", os.path.exists(p("/data/a.txt")))
show("data", listing("/data"))
try:
    os.stat(p("/data/a.txt"))
except OSError as e:
    show("stat a.txt", errno.errorcode[e.errno])

# Rename a file of the image; its content and mode go with it.
os.rename(p("/data/b.txt"), p("/data/b-renamed.txt"))
with open(p("/data/b-renamed.txt")) as f:
    show("b-renamed", f.read())
show("b-renamed stat", mode_line("/data/b-renamed.txt"))
show("data", listing("/data"))

# Write into a file of the image (copy-up), then change it through a shared mapping.
with open(p("/data/c.txt"), "r+b") as f:
    f.seek(0, os.SEEK_END)
    f.write(b"appended\n")
    f.flush()
    m = mmap.mmap(f.fileno(), 0)
    m[0:5] = b"CHANG"
    m.flush()
    m.close()
with open(p("/data/c.txt"), "rb") as f:
    show("c.txt", f.read())
show("c.txt stat", mode_line("/data/c.txt"))
os.chmod(p("/data/c.txt"), 0o600)
show("c.txt chmod", mode_line("/data/c.txt"))

# Hard links of the image: a write to one copies it up and breaks the link, as overlayfs
# without the index feature does; natively the link holds. So only count what both agree on.
show("hard link stat", mode_line("/data/hard-1"))

# Remove a whole directory tree of the image, then make a directory of the same name.
shutil.rmtree(p("/data/tree"))
show("tree exists", os.path.exists(p("/data/tree")))
os.mkdir(p("/data/tree"))
show("tree again", listing("/data/tree"))
with open(p("/data/tree/new.txt"), "w") as f:
    f.write("new\n")
show("tree again", listing("/data/tree"))

# Move a directory of the image. The overlay refuses to rename a directory of its lower
# with EXDEV, as Linux's overlayfs without redirect_dir does; movers fall back to copy and
# delete, as mv(1) does (here by hand: shutil.move's fallback also copies extended
# attributes, which the sandbox does not serve yet).
def move(src, dst):
    try:
        os.rename(src, dst)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
        print("rename: EXDEV, copying", file=__import__("sys").stderr)
        for top, dirs, files in os.walk(src):
            target = dst + top[len(src):]
            os.mkdir(target, stat.S_IMODE(os.stat(top).st_mode))
            for name in files:
                shutil.copyfile(os.path.join(top, name), os.path.join(target, name))
        shutil.rmtree(src)


move(p("/data/dir"), p("/data/dir-moved"))
show("dir exists", os.path.exists(p("/data/dir")))
show("dir-moved", sorted(os.listdir(p("/data/dir-moved"))))
with open(p("/data/dir-moved/sub/deep.txt")) as f:
    show("deep", f.read())

# A walk over what is left, with types and sizes.
for top, dirs, files in os.walk(p("/data")):
    dirs.sort()
    rel = top[len(ROOT):]
    for name in sorted(files):
        st = os.lstat(os.path.join(top, name))
        show("walk", (rel, name, stat.filemode(st.st_mode), st.st_size))

# Symlinks of the image resolve inside it.
show("link", os.readlink(p("/data/link")))
with open(p("/data/link")) as f:
    show("through link", f.read())
os.unlink(p("/data/link"))
show("link exists", os.path.lexists(p("/data/link")))
