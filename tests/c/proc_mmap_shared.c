// Shared memory across fork: MAP_SHARED|MAP_ANONYMOUS written by the child is seen by the
// parent (and back, with handshakes); MAP_SHARED of a /tmp file written through the mapping
// by the child is seen by the parent's read() and by its own mapping, and a write() by the
// parent is seen in the child's mapping; a lock-free counter incremented 100000 times by each
// of two processes with atomics adds up.
#include "proc_common.h"
#include <sys/mman.h>

int main(void) {
    proc_init();
    int tok[2], back[2];
    SYS(pipe(tok));
    SYS(pipe(back));
    volatile int *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED);
    anon[0] = 1;
    pid_t pid = xfork();
    if (pid == 0) {
        anon[1] = anon[0] + 41;
        put_token(back[1], 'a');
        get_token(tok[0]);
        anon[3] = anon[2] * 2;
        _exit(0);
    }
    get_token(back[0]);
    printf("anon: child's write seen: %d\n", anon[1]);
    anon[2] = 50;
    put_token(tok[1], 'b');
    reap(pid);
    printf("anon: child saw the parent's write: %d\n", anon[3]);

    char path[] = "/tmp/proc_mmap_shared_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    SYS(ftruncate(fd, 8192));
    char *file = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(file != MAP_FAILED);
    pid = xfork();
    if (pid == 0) {
        char *mine = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        CHECK(mine != MAP_FAILED);
        memcpy(mine + 4096, "from the child", 15);
        memcpy(file, "inherited map", 14);
        put_token(back[1], 'f');
        get_token(tok[0]);
        char ok = strcmp(mine + 100, "by write()") == 0 ? 'y' : 'n';
        put_token(back[1], ok);
        _exit(0);
    }
    get_token(back[0]);
    char buf[32] = {0};
    SYS(pread(fd, buf, 15, 4096));
    printf("file: parent's read() sees: %s\n", buf);
    printf("file: parent's mapping sees: %s / %s\n", file + 4096, file);
    SYS(pwrite(fd, "by write()", 11, 100));
    put_token(tok[1], 'w');
    printf("file: child's mapping saw write(): %c\n", get_token(back[0]));
    reap(pid);
    printf("file size unchanged: %ld\n", (long)lseek(fd, 0, SEEK_END));

    /* Atomic counter. */
    long *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(counter != MAP_FAILED);
    pid = xfork();
    for (int i = 0; i < 100000; i++)
        __atomic_fetch_add(counter, 1, __ATOMIC_SEQ_CST);
    if (pid == 0)
        _exit(0);
    reap(pid);
    printf("atomic counter: %ld\n", *counter);
    munmap(file, 8192);
    unlink(path);
    return 0;
}
