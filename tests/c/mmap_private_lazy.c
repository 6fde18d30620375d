// MAP_PRIVATE mappings of /dev/zero and of a small file in /tmp, each 2 GiB long: both succeed
// at once and read as zeros (the file's bytes first), stores stay private, and only touched
// pages are committed (crates/cli/tests/memory.rs runs this with `hold` and measures the
// runner's resident memory from outside). MAP_SHARED of /dev/zero is memory shared with a
// child; the other memory devices cannot be mapped (ENODEV).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define LEN (2UL << 30)

// Touch a few pages spread over the mapping: read (must be zero), then write.
static int touch_spread(volatile unsigned char *p, unsigned long from) {
    int zero = 1;
    for (unsigned long off = from; off < LEN; off += LEN / 8) {
        if (p[off] != 0) zero = 0;
        p[off] = (unsigned char)(off >> 20);
    }
    if (p[LEN - 1] != 0) zero = 0;
    p[LEN - 1] = 1;
    return zero;
}

int main(int argc, char **argv) {
    int hold = argc > 1 && strcmp(argv[1], "hold") == 0;
    int zfd = open("/dev/zero", O_RDONLY);
    if (zfd < 0) return 2;
    unsigned char *z = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, zfd, 0);
    printf("/dev/zero private: %s\n", z == MAP_FAILED ? strerror(errno) : "ok");
    if (z == MAP_FAILED) return 3;
    printf("/dev/zero pages read as zero: %d\n", touch_spread(z, 0));
    printf("/dev/zero store kept: %d\n", z[LEN / 8 * 3] == (unsigned char)((LEN / 8 * 3) >> 20));

    char path[64];
    snprintf(path, sizeof path, "/tmp/mt-mmap_private_lazy-%d", getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "hello", 5) != 5) return 4;
    unsigned char *f = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("file private: %s\n", f == MAP_FAILED ? strerror(errno) : "ok");
    if (f == MAP_FAILED) return 5;
    int rest_zero = 1;
    for (unsigned long i = 5; i < PAGE; i++)
        if (f[i] != 0) rest_zero = 0;
    printf("file bytes: %.5s, rest of the page zero: %d\n", (char *)f, rest_zero);
    f[0] = 'J';
    char b[6] = {0};
    pread(fd, b, 5, 0);
    printf("store stays private: mapping %.5s, file %s\n", (char *)f, b);

    // Shared /dev/zero: the same pages in a child.
    unsigned char *s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, open("/dev/zero", O_RDWR), 0);
    printf("/dev/zero shared: %s\n", s == MAP_FAILED ? strerror(errno) : "ok");
    if (s != MAP_FAILED) {
        pid_t pid = fork();
        if (pid == 0) {
            s[100] = 77;
            _exit(0);
        }
        waitpid(pid, NULL, 0);
        printf("child's store seen: %d\n", s[100]);
    }
    void *w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, zfd, 0);
    printf("/dev/zero shared writable on a read-only descriptor: %s\n",
           w == MAP_FAILED ? strerror(errno) : "ok");
    const char *others[] = {"/dev/null", "/dev/full", "/dev/urandom"};
    for (int i = 0; i < 3; i++) {
        int dfd = open(others[i], O_RDONLY);
        void *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dfd, 0);
        printf("%s: %s\n", others[i], p == MAP_FAILED ? strerror(errno) : "mapped");
        close(dfd);
    }
    if (hold) {
        printf("ready\n");
        fflush(stdout);
        char c;
        read(0, &c, 1);
    }
    munmap(z, LEN);
    munmap(f, LEN);
    close(fd);
    unlink(path);
    return 0;
}
