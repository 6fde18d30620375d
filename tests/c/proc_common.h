/* Shared helpers of the proc_*.c dual-run tests (issue 4, processes). Each program checks
 * itself and prints only facts that are the same natively and in the sandbox: relations
 * between pids ("pid == child"), never pid numbers, since the sandbox's first process is pid 1
 * and a native run is not. stdout is line-buffered and flushed before every fork so that a
 * child never repeats its parent's buffered output; children leave with _exit. A failed
 * check prints to stderr and exits 99, a failed system call exits 98. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: check failed: %s (errno %d %s)\n", __FILE__, __LINE__,  \
                    #cond, errno, strerror(errno));                                         \
            exit(99);                                                                       \
        }                                                                                   \
    } while (0)

/* Runs a call that returns -1 on error; any error ends the program (status 98). */
#define SYS(expr)                                                                           \
    ({                                                                                      \
        long _r = (long)(expr);                                                             \
        if (_r == -1) {                                                                     \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #expr,            \
                    strerror(errno));                                                       \
            exit(98);                                                                       \
        }                                                                                   \
        _r;                                                                                 \
    })

static inline const char *ename(int e) {
    if (e == 0)
        return "OK";
    const char *name = strerrorname_np(e);
    return name ? name : "E?";
}

/* "label: OK" or "label: EXXX" for a call returning -1 on error. */
#define SHOW(label, expr)                                                                   \
    do {                                                                                    \
        errno = 0;                                                                          \
        long _r = (long)(expr);                                                             \
        printf("%s: %s\n", label, _r == -1 ? ename(errno) : "OK");                          \
    } while (0)

static inline const char *yes(int cond) { return cond ? "yes" : "no"; }

static void proc_init(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

static inline pid_t xfork(void) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    return pid;
}

/* The status of `pid`, reaped. */
static inline int reap(pid_t pid) {
    int status;
    pid_t got;
    do
        got = waitpid(pid, &status, 0);
    while (got == -1 && errno == EINTR);
    CHECK(got == pid);
    return status;
}

/* A wait status in words; the core-dump bit is left out (it depends on the host's
 * RLIMIT_CORE and core_pattern). */
static inline void describe(const char *label, int status) {
    if (WIFEXITED(status))
        printf("%s: exited %d\n", label, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by signal %d (%s)\n", label, WTERMSIG(status),
               sigabbrev_np(WTERMSIG(status)));
    else if (WIFSTOPPED(status))
        printf("%s: stopped by signal %d\n", label, WSTOPSIG(status));
    else if (WIFCONTINUED(status))
        printf("%s: continued\n", label);
    else
        printf("%s: status %#x\n", label, status);
}

static inline void write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n == -1 && errno == EINTR)
            continue;
        CHECK(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

/* Reads exactly `len` bytes, or fewer at EOF; returns how many. */
static inline size_t read_full(int fd, void *buf, size_t len) {
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n == -1 && errno == EINTR)
            continue;
        CHECK(n >= 0);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* One-byte tokens on a pipe: the handshakes that make every test's order deterministic. */
static inline void put_token(int fd, char c) { write_all(fd, &c, 1); }
static inline char get_token(int fd) {
    char c = 0;
    CHECK(read_full(fd, &c, 1) == 1);
    return c;
}

/* Sleeps for `ms` milliseconds, resuming after signals. Used only to give another process a
 * chance to run where the outcome does not depend on whether it did. */
static inline void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}
