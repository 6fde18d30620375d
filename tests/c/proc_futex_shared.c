// Futexes across processes in shared memory: a child waits with a shared FUTEX_WAIT on a word
// of MAP_SHARED|MAP_ANONYMOUS memory, of a MAP_SHARED /tmp file, and of /dev/zero mapped
// MAP_SHARED; the parent's FUTEX_WAKE reaches it (retried until it finds the waiter), and
// FUTEX_CMP_REQUEUE moves a waiting child onto a second shared word where a wake finds it. A
// process-shared semaphore (glibc: shared futexes) passes a token from parent to child and
// back.
#include "proc_common.h"
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static long futex(volatile uint32_t *addr, int op, uint32_t val, unsigned long val2,
                  volatile uint32_t *addr2, uint32_t val3) {
    return syscall(SYS_futex, addr, op, val, val2, addr2, val3);
}

/* Retry `op` (a wake or requeue returning how many it reached) until it reaches one waiter;
 * the bound only ends a broken run. */
#define UNTIL_ONE(expr)                                                                     \
    ({                                                                                      \
        long _n = 0;                                                                        \
        for (long _i = 0; _i < 200000 && (_n = (expr)) == 0; _i++)                       \
            sched_yield();                                                                  \
        _n;                                                                                 \
    })

/* A wait, repeated after EINTR (the sandbox may report a SIGCHLD it ignores as an interruption;
 * a futex wait may end early anyway); 0 when a wake ended it. */
static int wait_zero(volatile uint32_t *w) {
    long r;
    do
        r = futex(w, FUTEX_WAIT, 0, 0, NULL, 0);
    while (r == -1 && errno == EINTR);
    return r == 0 ? 0 : 1;
}

static void wake_across(const char *label, volatile uint32_t *w) {
    w[0] = 0;
    pid_t pid = xfork();
    if (pid == 0)
        _exit(wait_zero(w));
    long n = UNTIL_ONE(futex(w, FUTEX_WAKE, 1, 0, NULL, 0));
    int st;
    SYS(waitpid(pid, &st, 0));
    printf("%s: wake reached the child: %ld, child's wait returned 0: %s\n", label, n,
           yes(WIFEXITED(st) && WEXITSTATUS(st) == 0));
}

static void requeue_across(const char *label, volatile uint32_t *w) {
    w[0] = 0;
    w[1] = 0;
    pid_t pid = xfork();
    if (pid == 0)
        _exit(wait_zero(w));
    long moved = UNTIL_ONE(futex(w, FUTEX_CMP_REQUEUE, 0, INT_MAX, w + 1, 0));
    long left = futex(w, FUTEX_WAKE, INT_MAX, 0, NULL, 0);
    long woken = futex(w + 1, FUTEX_WAKE, INT_MAX, 0, NULL, 0);
    int st;
    SYS(waitpid(pid, &st, 0));
    // Counted together: a wait that ends early (EINTR) is repeated on the first word.
    printf("%s: requeued %ld, then woken %ld, child ok: %s\n", label, moved, left + woken,
           yes(WIFEXITED(st) && WEXITSTATUS(st) == 0));
}

int main(void) {
    proc_init();
    volatile uint32_t *anon =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED);
    wake_across("anonymous", anon);

    char path[] = "/tmp/proc_futex_shared_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    SYS(ftruncate(fd, 4096));
    volatile uint32_t *file = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(file != MAP_FAILED);
    wake_across("tmp file", file);
    SYS(unlink(path));

    int zero = open("/dev/zero", O_RDWR);
    CHECK(zero >= 0);
    volatile uint32_t *z = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, zero, 0);
    CHECK(z != MAP_FAILED);
    wake_across("/dev/zero", z);

    requeue_across("anonymous", anon);
    requeue_across("tmp file", file);

    sem_t *sems = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sems != MAP_FAILED);
    SYS(sem_init(&sems[0], 1, 0));
    SYS(sem_init(&sems[1], 1, 0));
    pid_t pid = xfork();
    if (pid == 0) {
        while (sem_wait(&sems[0]) == -1)
            CHECK(errno == EINTR);
        SYS(sem_post(&sems[1]));
        _exit(0);
    }
    SYS(sem_post(&sems[0]));
    while (sem_wait(&sems[1]) == -1)
        CHECK(errno == EINTR);
    reap(pid);
    printf("process-shared semaphores: token went there and back\n");
    return 0;
}
