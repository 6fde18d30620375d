// Shared helpers for the escape suite (tests/escape/*.c, run by crates/cli/tests/escape.rs).
//
// Every attack program gets, from the test: argv[1] the host path of a secret file outside
// every mount, argv[2] the host pid of a process the test started (`sleep`), argv[3] the host
// path of a victim file outside every mount. The volume /v (read-only) holds the test's planted
// links and /v/victim.txt. A program prints one line per attempt ("ok: ..." when contained,
// "ESCAPE: ..." when not), prints anything it manages to read (so a leak shows in its output,
// which the test searches for the secret), and ends with "CONTAINED" (exit 0) or
// "NOT CONTAINED" (exit 1). The test checks the verdicts from outside regardless.
#ifndef ESCAPE_H
#define ESCAPE_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// Top of the guest range: nothing the guest sees may point at or above it.
#define GUEST_RANGE_END 0x400000000000UL
// A marker value for forged registers ("LITEBOX" spelled backwards in ASCII, as in LiteBox's
// forgeable seccomp gate).
#define MAGIC 0x584f42204554494cUL

static int escape_failures;

#define EXPECT(cond, ...)                                                                     \
    do {                                                                                      \
        int ok_ = (cond);                                                                     \
        printf(ok_ ? "ok: " : "ESCAPE: ");                                                    \
        printf(__VA_ARGS__);                                                                  \
        printf("\n");                                                                         \
        fflush(stdout);                                                                       \
        if (!ok_) escape_failures++;                                                          \
    } while (0)

static const char *secret_path;
static long host_pid;
static const char *victim_path;

static void escape_args(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s SECRET_PATH HOST_PID VICTIM_PATH\n", argv[0]);
        exit(2);
    }
    secret_path = argv[1];
    host_pid = strtol(argv[2], 0, 10);
    victim_path = argv[3];
    setvbuf(stdout, 0, _IOLBF, 0);
}

// Prints whatever the descriptor yields (so a leak reaches stdout) and closes it.
static void dump_fd(const char *what, int fd) {
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = 0;
        printf("read %s: %s\n", what, buf);
    }
    close(fd);
}

// Tries to open and read `path`; returns 0 if it could be opened, else the errno.
static int try_read(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return errno;
    dump_fd(path, fd);
    return 0;
}

static int finish(void) {
    printf(escape_failures ? "NOT CONTAINED\n" : "CONTAINED\n");
    return escape_failures ? 1 : 0;
}

// A raw `syscall` instruction in the guest's own text.
static long raw6(long nr, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long r10 asm("r10") = d;
    register long r8 asm("r8") = e;
    register long r9 asm("r9") = f;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                 : "rcx", "r11", "memory");
    return ret;
}
#endif
