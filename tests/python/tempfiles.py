"""tempfile: NamedTemporaryFile and TemporaryDirectory in /tmp; names are random, so only
contents and outcomes are printed."""

import os
import tempfile

with tempfile.NamedTemporaryFile(mode="w+b", dir="/tmp", prefix="meridian-", suffix=".bin") as f:
    f.write(b"0123456789" * 1000)
    f.flush()
    print("size:", os.fstat(f.fileno()).st_size)
    f.seek(5000)
    print("read at 5000:", f.read(15))
    f.seek(0, os.SEEK_END)
    print("end:", f.tell())
    print("in /tmp:", os.path.dirname(f.name) == "/tmp", os.path.basename(f.name).startswith("meridian-"))
    name = f.name
print("deleted on close:", not os.path.exists(name))

with tempfile.TemporaryDirectory(dir="/tmp", prefix="meridian-") as d:
    os.makedirs(os.path.join(d, "a", "b"))
    for rel in ["one.txt", "a/two.txt", "a/b/three.txt"]:
        with open(os.path.join(d, rel), "w") as out:
            out.write(rel * 3)
    os.rename(os.path.join(d, "one.txt"), os.path.join(d, "uno.txt"))
    os.symlink("a/two.txt", os.path.join(d, "link"))
    for root, _dirs, files in sorted(os.walk(d)):
        rel_root = os.path.relpath(root, d)
        for name in sorted(files):
            full = os.path.join(root, name)
            print(rel_root, name, os.path.getsize(full), os.path.islink(full))
    print("readlink:", os.readlink(os.path.join(d, "link")))
    with open(os.path.join(d, "link")) as via_link:
        print("via link:", via_link.read())
    kept = d
print("directory removed:", not os.path.exists(kept))

fd, path = tempfile.mkstemp(dir="/tmp")
os.write(fd, b"mkstemp")
os.close(fd)
print("mkstemp mode:", oct(os.stat(path).st_mode & 0o777))
os.unlink(path)
