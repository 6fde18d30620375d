// MAP_PRIVATE copy-on-write across fork: anonymous private memory, the heap, the stack and a
// private file mapping are copied; writes in the child are not seen by the parent and writes
// in the parent after fork are not seen by the child; a private file mapping not yet written
// does see later writes to the file (until it is written, then it is a private copy);
// madvise(MADV_DONTFORK) leaves a hole in the child, MADV_WIPEONFORK zeroes the child's copy.
#include "proc_common.h"
#include <setjmp.h>
#include <sys/mman.h>

static sigjmp_buf jump;
static void on_segv(int sig) {
    (void)sig;
    siglongjmp(jump, 1);
}

int main(void) {
    proc_init();
    int tok[2], back[2];
    SYS(pipe(tok));
    SYS(pipe(back));
    char *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED);
    strcpy(anon, "original");
    char *heap = malloc(64);
    strcpy(heap, "heap original");
    char stack[32] = "stack original";

    char path[] = "/tmp/proc_mmap_cow_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    write_all(fd, "file original", 14);
    SYS(ftruncate(fd, 8192));
    char *priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(priv != MAP_FAILED);
    /* page 1 stays unwritten by anyone before the file changes */

    pid_t pid = xfork();
    if (pid == 0) {
        strcpy(anon, "child");
        strcpy(heap, "heap child");
        strcpy(stack, "stack child");
        strcpy(priv, "priv child");
        put_token(back[1], 'c');
        get_token(tok[0]);
        char report[128];
        int n = snprintf(report, sizeof report, "%s,%s,%s,%s,%s", anon, heap, stack, priv,
                         priv + 4096);
        write_all(back[1], report, (size_t)n + 1);
        _exit(0);
    }
    get_token(back[0]);
    printf("parent after the child's writes: %s, %s, %s, %s\n", anon, heap, stack, priv);
    strcpy(anon, "parent");
    strcpy(heap, "heap parent");
    strcpy(stack, "stack parent");
    SYS(pwrite(fd, "file page 1", 12, 4096));
    put_token(tok[1], 'p');
    char report[128] = {0};
    for (size_t i = 0; i < sizeof report - 1; i++) {
        report[i] = get_token(back[0]);
        if (!report[i])
            break;
    }
    printf("child after the parent's writes: %s\n", report);
    reap(pid);
    printf("parent's unwritten private page sees the file: %s\n", priv + 4096);

    char *keep = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *wipe = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(keep != MAP_FAILED && wipe != MAP_FAILED);
    strcpy(keep, "not forked");
    strcpy(wipe, "wiped");
    SYS(madvise(keep, 4096, MADV_DONTFORK));
    SHOW("madvise MADV_WIPEONFORK", madvise(wipe, 4096, MADV_WIPEONFORK));
    pid = xfork();
    if (pid == 0) {
        signal(SIGSEGV, on_segv);
        char r[2] = {'?', wipe[0] == 0 ? 'z' : 'k'};
        if (sigsetjmp(jump, 1) == 0) {
            volatile char c = keep[0];
            (void)c;
            r[0] = 'm';
        } else {
            r[0] = 'f';
        }
        write_all(back[1], r, 2);
        _exit(0);
    }
    char r[2];
    CHECK(read_full(back[0], r, 2) == 2);
    printf("MADV_DONTFORK page in the child: %s\n", r[0] == 'f' ? "faults" : "mapped");
    printf("MADV_WIPEONFORK page in the child: %s\n", r[1] == 'z' ? "zero" : "kept");
    reap(pid);
    printf("parent keeps both: %s, %s\n", keep, wipe);
    unlink(path);
    return 0;
}
