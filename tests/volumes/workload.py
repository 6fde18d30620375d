# meridian volumes test: a python3 workload on the directory argv[1] (a read-write volume in
# the sandbox, a host directory natively). Prints only what must match: relative paths, sizes,
# modes, contents.
import os
import shutil
import stat
import sys

root = sys.argv[1]
os.chdir(root)
os.umask(0o022)

os.makedirs("src/a/b/c")
for i in range(40):
    d = ("src", "src/a", "src/a/b", "src/a/b/c")[i % 4]
    with open(os.path.join(d, "f%02d.txt" % i), "w") as f:
        f.write("line %d\n" % i * (i + 1))
os.chmod("src/a/f01.txt", 0o600)
os.symlink("f01.txt", "src/a/link")
os.link("src/f00.txt", "src/a/hard")
with open("src/bin.dat", "wb") as f:
    f.write(bytes(range(256)) * 64)
    f.flush()
    os.fsync(f.fileno())

shutil.copytree("src", "copy", symlinks=True)
shutil.copy2("src/bin.dat", "copy/bin2.dat")
os.rename("copy/a/b", "copy/moved")
os.replace("copy/f04.txt", "copy/f08.txt")

def walk(top):
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        print("dir", dirpath, len(dirnames), "subdirs")
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            kind = "link" if stat.S_ISLNK(st.st_mode) else "file"
            extra = os.readlink(p) if kind == "link" else st.st_size
            print(" ", kind, name, oct(stat.S_IMODE(st.st_mode)), extra)

walk("copy")
with open("copy/moved/c/f03.txt") as f:
    print("content", f.read().splitlines()[:2])
with open("copy/bin2.dat", "rb") as f:
    print("binary equal", f.read() == bytes(range(256)) * 64)

with open("log.txt", "a") as f:
    for i in range(100):
        f.write("entry %d\n" % i)
with open("log.txt", "r+") as f:
    f.seek(6)
    f.write("X")
    f.truncate(50)
print("log", open("log.txt").read().splitlines())

shutil.rmtree("src")
print("after rmtree", sorted(os.listdir(".")))
try:
    os.rmdir("copy")
except OSError as e:
    print("rmdir copy:", type(e).__name__, e.errno)
try:
    os.open("copy/f08.txt", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
except FileExistsError as e:
    print("O_EXCL:", e.errno)
