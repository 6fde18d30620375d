/* Futexes on a mapped host file (volumes.rs, `guest_futex_never_reaches_host_waiters`).
 *
 *   futex_file wait FILE   (host) waits with a shared FUTEX_WAIT on word 0 of a MAP_SHARED
 *                          mapping of FILE; prints "waited RET ERRNO marker M" after it
 *                          returns, M being word 1 (set by `wake` before it wakes).
 *   futex_file steal FILE  (guest) maps FILE read-only MAP_PRIVATE and MAP_SHARED and tries
 *                          FUTEX_CMP_REQUEUE and FUTEX_WAKE (shared, as a process-shared lock
 *                          would) on word 0 through each; prints what each returned. Natively
 *                          the first one moves the host waiter onto a word of this process.
 *   futex_file wake FILE   (host) sets word 1 and wakes word 0; prints how many it woke.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static long futex(volatile uint32_t *addr, int op, uint32_t val, unsigned long val2,
                  volatile uint32_t *addr2, uint32_t val3) {
    return syscall(SYS_futex, addr, op, val, val2, addr2, val3);
}

static volatile uint32_t *map(const char *path, int writable, int flags) {
    int fd = open(path, writable ? O_RDWR : O_RDONLY);
    if (fd < 0) {
        perror("open");
        return NULL;
    }
    void *p = mmap(NULL, 4096, writable ? PROT_READ | PROT_WRITE : PROT_READ, flags, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        perror("mmap");
        return NULL;
    }
    return p;
}

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    const char *mode = argv[1], *path = argv[2];
    if (strcmp(mode, "wait") == 0) {
        volatile uint32_t *w = map(path, 1, MAP_SHARED);
        if (!w)
            return 1;
        long r = futex(w, FUTEX_WAIT, 0, 0, NULL, 0);
        int e = r < 0 ? errno : 0;
        printf("waited %ld %d marker %u\n", r, e, w[1]);
        return 0;
    }
    if (strcmp(mode, "steal") == 0) {
        volatile uint32_t *priv = map(path, 0, MAP_PRIVATE);
        volatile uint32_t *shared = map(path, 0, MAP_SHARED);
        if (!priv || !shared)
            return 1;
        static volatile uint32_t mine;
        const struct {
            const char *name;
            volatile uint32_t *word;
        } maps[] = {{"private", priv}, {"shared", shared}};
        for (int i = 0; i < 2; i++) {
            long r = futex(maps[i].word, FUTEX_CMP_REQUEUE, 0, INT_MAX, &mine, maps[i].word[0]);
            printf("%s cmp_requeue %ld\n", maps[i].name, r);
            r = futex(maps[i].word, FUTEX_WAKE, INT_MAX, 0, NULL, 0);
            printf("%s wake %ld\n", maps[i].name, r);
        }
        return 0;
    }
    if (strcmp(mode, "wake") == 0) {
        volatile uint32_t *w = map(path, 1, MAP_SHARED);
        if (!w)
            return 1;
        w[1] = 1;
        printf("woke %ld\n", futex(w, FUTEX_WAKE, INT_MAX, 0, NULL, 0));
        return 0;
    }
    return 2;
}
