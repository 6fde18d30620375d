// A file in /tmp that a child maps MAP_SHARED first (the library OS makes its shared pages in
// the child): the parent then reads it with read(2) and maps it too, and sees the child's
// writes; its own writes through the mapping reach a second child.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* Per run: the native runs of the static and dynamic builds share the host's /tmp. */
static char path[64];

static int run_child(const char *msg, size_t at) {
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        int fd = open(path, O_RDWR);
        char *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) _exit(2);
        printf("child sees: %s\n", m);
        fflush(stdout);
        memcpy(m + at, msg, strlen(msg) + 1);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

int main(void) {
    snprintf(path, sizeof path, "/tmp/proc_mmap_child_first.%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 4096) != 0) return 1;
    printf("first child: %d\n", run_child("written by the first child", 0));
    char buf[64] = {0};
    printf("pread: %zd %s\n", pread(fd, buf, sizeof buf - 1, 0), buf);
    char *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) return 3;
    printf("parent map: %s\n", m);
    strcpy(m, "parent's words");
    printf("second child: %d\n", run_child("", 100));
    unlink(path);
    return 0;
}
