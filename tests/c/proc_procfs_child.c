// /proc/<pid> of a child: stat's pid, comm (the binary's name, the same on both sides),
// ppid == parent, pgrp and session fields match getpgid/getsid; after the child exec's
// busybox with argv {"cat", "-", "two words"}, /proc/<pid>/cmdline is those strings with NUL
// separators and comm is "busybox"; before the exec the child's cmdline is its parent's;
// /proc/<pid>/status has the matching PPid; /proc/self in the child is the child.
#include "proc_common.h"

static size_t slurp(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY);
    if (fd == -1)
        return 0;
    size_t n = read_full(fd, buf, size - 1);
    close(fd);
    buf[n] = 0;
    return n;
}

/* Fields after the comm: state ppid pgrp session. */
static void stat_fields(pid_t pid, char *comm, pid_t *ppid, pid_t *pgrp, pid_t *sid, pid_t *self) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    CHECK(slurp(path, buf, sizeof buf) > 0);
    char *l = strchr(buf, '('), *r = strrchr(buf, ')');
    CHECK(l && r);
    *self = (pid_t)atoi(buf);
    snprintf(comm, 32, "%.*s", (int)(r - l - 1), l + 1);
    char state;
    int a, b, c;
    CHECK(sscanf(r + 2, "%c %d %d %d", &state, &a, &b, &c) == 4);
    *ppid = a;
    *pgrp = b;
    *sid = c;
}

static void show_cmdline(const char *label, pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    size_t n = slurp(path, buf, sizeof buf);
    printf("%s cmdline (%zu bytes):", label, n);
    for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
        printf(" [%s]", buf + i);
    printf("\n");
}

int main(int argc, char **argv) {
    (void)argc;
    proc_init();
    int gate[2], hold[2], cx[2];
    SYS(pipe(gate));
    SYS(pipe(hold));
    SYS(pipe2(cx, O_CLOEXEC));
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    pid_t pid = xfork();
    if (pid == 0) {
        char buf[64];
        ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        CHECK(atoi(buf) == getpid());
        get_token(gate[0]);
        dup2(hold[0], 0);
        close(hold[1]);
        execl("/bin/busybox", "cat", "-", "two words", (char *)NULL);
        _exit(127);
    }
    close(cx[1]);
    char comm[32];
    pid_t ppid, pgrp, sid, self;
    stat_fields(pid, comm, &ppid, &pgrp, &sid, &self);
    char expect[16];
    snprintf(expect, sizeof expect, "%.15s", base);
    printf("before exec: stat pid==child %s comm is the binary's name %s\n", yes(self == pid),
           yes(strcmp(comm, expect) == 0));
    printf("before exec: ppid==parent %s pgrp==getpgid %s session==getsid %s\n",
           yes(ppid == getpid()), yes(pgrp == getpgid(pid)), yes(sid == getsid(pid)));
    char mine[512], its[512], path[64];
    size_t n1 = slurp("/proc/self/cmdline", mine, sizeof mine);
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    size_t n2 = slurp(path, its, sizeof its);
    printf("before exec: cmdline equals the parent's: %s\n", yes(n1 == n2 && memcmp(mine, its, n1) == 0));
    put_token(gate[1], 'x');
    char c;
    CHECK(read(cx[0], &c, 1) == 0); /* exec done */
    stat_fields(pid, comm, &ppid, &pgrp, &sid, &self);
    printf("after exec: comm %s, ppid==parent %s\n", comm, yes(ppid == getpid()));
    show_cmdline("after exec:", pid);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char status[4096];
    slurp(path, status, sizeof status);
    char *pp = strstr(status, "\nPPid:");
    printf("status PPid == parent: %s\n", yes(pp && atoi(pp + 6) == getpid()));
    char *nm = strstr(status, "Name:");
    printf("status Name: %s\n", nm && strncmp(nm + 5, "\tbusybox\n", 9) == 0 ? "busybox" : "other");
    close(hold[1]);
    describe("cat", reap(pid));
    return 0;
}
