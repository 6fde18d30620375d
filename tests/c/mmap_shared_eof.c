// MAP_SHARED of a file in /tmp: stores reach read(2) at once; pages past the end of the file
// give SIGBUS (also after mprotect); after the file grows they map the file again.
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jb;
static void on_signal(int s) { siglongjmp(jb, s); }

int main(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/mt-mmap_shared_eof-%d", getpid());
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGBUS, &sa, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 100) != 0) return 2;
    char *p = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 3;
    printf("mprotect to read-write: %d\n", mprotect(p, 3 * 4096, PROT_READ | PROT_WRITE));
    strcpy(p, "hello");
    char b[6] = {0};
    pread(fd, b, 5, 0);
    printf("store seen by pread: %s\n", b);
    volatile char *q = p;
    int s = sigsetjmp(jb, 1);
    if (s == 0) {
        q[5000] = 1;
        printf("store past EOF: no signal\n");
    } else {
        printf("store past EOF: %s\n", s == SIGBUS ? "SIGBUS" : "other signal");
    }
    printf("ftruncate to 3 pages: %d\n", ftruncate(fd, 3 * 4096));
    q[5000] = 7;
    char c = 0;
    pread(fd, &c, 1, 5000);
    printf("store after growth seen by pread: %d\n", c);
    pwrite(fd, "Z", 1, 9000);
    printf("pwrite seen through the mapping: %c\n", q[9000]);
    munmap(p, 3 * 4096);
    close(fd);
    unlink(path);
    return 0;
}
