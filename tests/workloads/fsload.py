# meridian workloads test: python3 filesystem workloads over the fixture tree (mktree.py), run
# natively against host directories and in the sandbox against its mounts. One process does
# everything (the sandbox cannot start processes yet). Output names paths relative to the
# step's directories only, so native and sandboxed runs print the same.
#
# usage: fsload.py STEP ARGS [STEP ARGS]...
#   walk TOP             os.walk summary of TOP (read-only mounts too)
#   cycle TAR WORK       tarfile extraction into WORK/x, shutil.copytree, shutil.move,
#                        os.rename/os.replace, shutil.rmtree; leaves WORK/x in place
#   copyout SRC WORK     shutil.copytree (copy2) of SRC to WORK/out, summary, rmtree
#   mutate TOP TAR       changes a writable tree that holds the fixture (an overlay in the
#                        sandbox, a plain copy natively): moves, renames, deletes and
#                        re-creates, rewrites, extracts and copies; then empties it
import os
import shutil
import stat
import sys
import tarfile
import zlib

# Times before 2020-01-01 were set by the fixture and kept by the workload, so they must
# match; later ones are "now" at the time of the run.
KEPT_TIMES_BEFORE_SECS = 1_577_836_800


def entry_line(rel, st, path, groups):
    mode = "%o" % stat.S_IMODE(st.st_mode)
    when = ""
    if st.st_mtime < KEPT_TIMES_BEFORE_SECS:
        when = " mtime %d" % st.st_mtime_ns
    if stat.S_ISLNK(st.st_mode):
        return "%s l -> %s%s" % (rel, os.readlink(path), when)
    if stat.S_ISDIR(st.st_mode):
        return "%s/ d %s nlink %d%s" % (rel, mode, st.st_nlink, when)
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            digest = zlib.crc32(f.read())
        link = ""
        if st.st_nlink > 1:
            first = groups.setdefault((st.st_dev, st.st_ino), rel)
            link = " =%s" % first
        return "%s f %s size %d nlink %d crc %08x%s%s" % (
            rel, mode, st.st_size, st.st_nlink, digest, link, when)
    return "%s other %o" % (rel, st.st_mode)


def summary(label, top):
    """Every entry under top (sorted walk), then totals."""
    print("== %s" % label)
    groups = {}
    counts = {"d": 0, "f": 0, "l": 0}
    total = 0
    print(entry_line(".", os.lstat(top), top, groups))
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, top)
            st = os.lstat(path)
            line = entry_line(rel, st, path, groups)
            print(line)
            kind = line.split(" ")[1]
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "f":
                total += st.st_size
    print("totals: %d dirs, %d files, %d links, %d bytes" % (
        counts["d"], counts["f"], counts["l"], total))


def first_file(top):
    return sorted(n for n in os.listdir(top) if os.path.isfile(os.path.join(top, n))
                  and not os.path.islink(os.path.join(top, n)))[0]


def extract(tar, dest):
    with tarfile.open(tar) as t:
        members = t.getmembers()
        t.extractall(dest)
    print("extracted %d members" % len(members))


def cycle(tar, work):
    os.makedirs(work, exist_ok=True)
    x = os.path.join(work, "x")
    extract(tar, x)
    summary("extracted", x)
    c = os.path.join(work, "c")
    shutil.copytree(os.path.join(x, "tree"), c, symlinks=True)
    summary("copytree", c)
    print("move dir ->", shutil.move(os.path.join(c, "d11"), os.path.join(c, "d00", "moved"))
          == os.path.join(c, "d00", "moved"))
    name = first_file(os.path.join(c, "d01"))
    os.rename(os.path.join(c, "d01", name), os.path.join(c, "d02", "renamed"))
    a, b = sorted(os.listdir(os.path.join(c, "d03", "s0", "g0")))[:2]
    os.replace(os.path.join(c, "d03", "s0", "g0", a), os.path.join(c, "d03", "s0", "g0", b))
    m = os.path.join(work, "m")
    shutil.move(c, m)
    summary("moved", m)
    shutil.rmtree(m)
    print("after rmtree:", sorted(os.listdir(work)))


def copyout(src, work):
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, "out")
    shutil.copytree(src, out, symlinks=True)
    summary("copied out", out)
    shutil.rmtree(out)
    print("after rmtree:", sorted(os.listdir(work)))


def mutate(top, tar):
    # Moving a directory of the lower layer: EXDEV from rename(2) on an overlay (as on Linux
    # overlayfs without redirect_dir), so shutil.move copies and deletes.
    moved = shutil.move(os.path.join(top, "d11"), os.path.join(top, "d00", "moved"))
    print("moved dir", os.path.relpath(moved, top))
    d01 = os.path.join(top, "d01")
    name = first_file(d01)
    os.rename(os.path.join(d01, name), os.path.join(top, "renamed"))
    os.unlink(os.path.join(d01, first_file(d01)))
    shutil.rmtree(os.path.join(top, "d04"))
    print("d04 gone:", not os.path.exists(os.path.join(top, "d04")))
    # Re-created after deleting: nothing of the lower directory shows through.
    os.mkdir(os.path.join(top, "d04"), 0o750)
    with open(os.path.join(top, "d04", "new"), "w") as f:
        f.write("new\n")
    print("d04 now:", sorted(os.listdir(os.path.join(top, "d04"))))
    d02 = os.path.join(top, "d02")
    files = sorted(n for n in os.listdir(d02) if os.path.isfile(os.path.join(d02, n)))
    with open(os.path.join(d02, files[0]), "r+b") as f:
        f.seek(3)
        f.write(b"REWRITTEN")
    with open(os.path.join(d02, files[1]), "ab") as f:
        f.write(b"appended\n")
    os.truncate(os.path.join(d02, files[2]), 1)
    os.chmod(os.path.join(d02, files[3]), 0o604)
    os.utime(os.path.join(d02, files[4]), ns=(1_234_567_890_123_456_789, 1_234_567_890_123_456_789))
    extract(tar, os.path.join(top, "new"))
    shutil.copytree(os.path.join(top, "d05"), os.path.join(top, "d05-copy"), symlinks=True)
    summary("mutated", top)
    for name in os.listdir(top):
        path = os.path.join(top, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    print("emptied:", os.listdir(top))


def main(args):
    steps = {"walk": (1, lambda top: summary("walk", top)), "cycle": (2, cycle),
             "copyout": (2, copyout), "mutate": (2, mutate)}
    while args:
        arity, fn = steps[args[0]]
        print("#", args[0])
        fn(*args[1:1 + arity])
        args = args[1 + arity:]


os.umask(0o022)
main(sys.argv[1:])
