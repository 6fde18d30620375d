// mremap of a MAP_SHARED mapping of a file in /tmp: growing it (in place or moved, past the
// file's end and far past it) keeps the file's bytes and gives SIGBUS past the end of the file,
// never other memory; after the file grows the new pages show it; old_size 0 makes a second
// mapping of the same pages; shrinking keeps the rest.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL
#define GIB (1UL << 30)

static sigjmp_buf jb;
static void on_signal(int s) { siglongjmp(jb, s); }

// What a read at p[off] gives: "SIGBUS", "SIGSEGV" or the byte's value.
static void probe(const char *what, volatile unsigned char *p, unsigned long off) {
    int s = sigsetjmp(jb, 1);
    if (s == 0) {
        unsigned char c = p[off];
        printf("%s: byte %u\n", what, c);
    } else {
        printf("%s: %s\n", what, s == SIGBUS ? "SIGBUS" : s == SIGSEGV ? "SIGSEGV" : "signal");
    }
}

// Whether any byte of [from, to) of p reads as non-zero, page by page, stopping at the first
// page that faults.
static void scan(const char *what, volatile unsigned char *p, unsigned long from,
                 unsigned long to) {
    volatile unsigned long at = from;
    int s = sigsetjmp(jb, 1);
    if (s != 0) {
        printf("%s: %s at page %lu of the scan\n", what, s == SIGBUS ? "SIGBUS" : "signal",
               (at - from) / PAGE);
        return;
    }
    for (; at < to; at += 8) {
        if (*(volatile unsigned long *)(p + at) != 0) {
            printf("%s: non-zero byte at %#lx\n", what, at);
            return;
        }
    }
    printf("%s: all zero\n", what);
}

int main(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/mt-mmap_shared_mremap-%d", getpid());
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 100) != 0) return 2;
    unsigned char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 3;
    strcpy((char *)p, "hello");

    // Grow far past the file's end (and past any span a file may have): moves.
    unsigned long big = 2 * GIB;
    unsigned char *q = mremap(p, PAGE, big, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) return 4;
    printf("grown: %s\n", q == p ? "in place" : "moved");
    printf("kept: %s\n", (char *)q);
    scan("rest of the first page", q, 8, PAGE);
    probe("second page", q, PAGE);
    probe("page at 1 GiB - 4 KiB", q, GIB - PAGE);
    probe("page at 1 GiB", q, GIB);
    probe("page at 1 GiB + 4 KiB", q, GIB + PAGE);
    probe("last page", q, big - PAGE);
    q[PAGE - 1] = 9;
    char c = 0;
    pread(fd, &c, 1, PAGE - 1);
    printf("store seen by pread: %d\n", c);

    // The file grows: the grown mapping shows it, stores reach the file.
    printf("ftruncate to 3 pages: %d\n", ftruncate(fd, 3 * PAGE));
    scan("grown file, pages 1-2", q, PAGE, 3 * PAGE);
    q[2 * PAGE + 5] = 42;
    pread(fd, &c, 1, 2 * PAGE + 5);
    printf("store after growth seen by pread: %d\n", c);
    probe("fourth page after growth", q, 3 * PAGE);

    // old_size 0: a second mapping of the same pages.
    unsigned char *r = mremap(q, 0, 8 * PAGE, MREMAP_MAYMOVE);
    printf("second mapping: %s\n", r == MAP_FAILED ? strerror(errno) : "ok");
    if (r != MAP_FAILED) {
        printf("second mapping shows: %s %d\n", (char *)r, r[2 * PAGE + 5]);
        r[1] = 'a';
        printf("store through it seen by the first: %s\n", (char *)q);
        probe("second mapping past the end", r, 3 * PAGE);
        probe("second mapping, last page", r, 7 * PAGE);
        munmap(r, 8 * PAGE);
    }
    printf("old_size 0 without MREMAP_MAYMOVE: %s\n",
           mremap(q, 0, PAGE, 0) == MAP_FAILED ? strerror(errno) : "ok");

    // Shrink, then grow again to a fixed place.
    unsigned char *s = mremap(q, big, 2 * PAGE, 0);
    printf("shrunk: %s\n", s == q ? "in place" : "moved");
    unsigned char *dst = mmap(NULL, 16 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *t = mremap(s, 2 * PAGE, 16 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    printf("moved to a fixed place: %s\n", t == dst ? "yes" : "no");
    printf("it shows: %s %d\n", (char *)t, t[2 * PAGE + 5]);
    probe("fixed place, past the end", t, 3 * PAGE);
    probe("fixed place, last page", t, 15 * PAGE);
    probe("old place", s, 0);
    // Protection still applies to pages mapped on touch.
    mprotect(t, 16 * PAGE, PROT_NONE);
    probe("PROT_NONE, inside the file", t, 0);
    probe("PROT_NONE, past the end", t, 4 * PAGE);
    mprotect(t, 16 * PAGE, PROT_READ);
    printf("ftruncate to 6 pages: %d\n", ftruncate(fd, 6 * PAGE));
    probe("read-only, grown part", t, 5 * PAGE);
    int sig = sigsetjmp(jb, 1);
    if (sig == 0) {
        t[4 * PAGE] = 1;
        printf("store to a read-only grown part: no signal\n");
    } else {
        printf("store to a read-only grown part: %s\n", sig == SIGSEGV ? "SIGSEGV" : "other");
    }
    munmap(t, 16 * PAGE);
    close(fd);
    unlink(path);
    return 0;
}
