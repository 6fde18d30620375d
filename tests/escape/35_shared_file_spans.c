// Attack: exhaust the kernel heap's address space with the spans of in-memory files mapped
// MAP_SHARED (each such file's pages are reserved in the kernel heap): map up to 1000 sparse
// 1 GiB files of /tmp until mmap fails, then make the library OS allocate: write 512 MiB to a
// file of /tmp and read it back, fork a child, and map, unmap and delete 300 small files one
// after the other (once the first ones are unmapped).
// Expected containment: spans are charged to a per-sandbox budget well below the kernel heap's
// size, so mmap fails with ENOMEM first (or the memory budget with ENOSPC), the ordinary work afterwards succeeds, and the runner
// never aborts (exit 125). Unmapped, deleted files give their span back.
#include "escape.h"
#include <sys/mman.h>
#include <sys/wait.h>

#define GIB (1UL << 30)
#define MIB (1UL << 20)
#define MAX_FILES 1000

int main(int argc, char **argv) {
    escape_args(argc, argv);
    static char *maps[MAX_FILES];
    char path[64];
    int mapped = 0, err = 0;
    for (int i = 0; i < MAX_FILES; i++) {
        snprintf(path, sizeof path, "/tmp/span-%d", i);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || ftruncate(fd, GIB) != 0) {
            err = errno;
            break;
        }
        char *p = mmap(0, GIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        unlink(path);
        if (p == MAP_FAILED) {
            err = errno;
            break;
        }
        p[i] = 1;
        maps[mapped++] = p;
    }
    printf("mapped %d files of 1 GiB (%s)\n", mapped, strerror(err));
    // Two limits can end the loop: the spans' budget (ENOMEM from mmap) or, on a host with less
    // than 256 GiB of RAM, the sandbox's memory budget first (a mapped file is charged by its
    // size; ENOSPC from ftruncate or mmap, docs/decisions.md D17).
    EXPECT(mapped < MAX_FILES && (err == ENOMEM || err == ENOSPC),
           "mapping stops with ENOMEM or ENOSPC after %d files", mapped);
    EXPECT(mapped >= 8, "at least 8 shared files can be mapped (%d)", mapped);
    // Give two files' memory back (unmapped and deleted), so the write below fits whichever
    // budget stopped the loop.
    for (int i = 0; i < 2 && mapped > 0; i++) munmap(maps[--mapped], GIB);

    // A large write and read back: the kernel heap still has room.
    int fd = open("/tmp/big", O_RDWR | O_CREAT | O_TRUNC, 0600);
    char *buf = malloc(MIB);
    unsigned long written = 0;
    for (unsigned long i = 0; fd >= 0 && buf && i < 512; i++) {
        memset(buf, (int)(i & 0xff), MIB);
        if (write(fd, buf, MIB) != (ssize_t)MIB) break;
        written += MIB;
    }
    EXPECT(written == 512 * MIB, "wrote %lu MiB to /tmp/big", written / MIB);
    int same = 1;
    for (unsigned long i = 0; fd >= 0 && buf && i < 512 && same; i += 97) {
        if (pread(fd, buf, MIB, i * MIB) != (ssize_t)MIB || buf[0] != (char)(i & 0xff) ||
            buf[MIB - 1] != (char)(i & 0xff))
            same = 0;
    }
    EXPECT(same, "read back what was written");
    close(fd);
    unlink("/tmp/big");

    // A child process.
    pid_t pid = fork();
    if (pid == 0) _exit(7);
    int status = 0;
    EXPECT(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
               WEXITSTATUS(status) == 7,
           "a forked child ran and exited 7");

    // Files mapped one after the other give their span back once unmapped and deleted.
    for (int i = 0; i < mapped; i++) munmap(maps[i], GIB);
    int cycles = 0;
    for (int i = 0; i < 300; i++) {
        fd = open("/tmp/cycle", O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || ftruncate(fd, 4096) != 0) break;
        char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        unlink("/tmp/cycle");
        if (p == MAP_FAILED) break;
        p[0] = 1;
        munmap(p, 4096);
        cycles++;
    }
    EXPECT(cycles == 300, "mapped, unmapped and deleted a small file %d times", cycles);
    return finish();
}
