// Zombies: a child that exited but is not reaped shows state Z in /proc/<pid>/stat (and
// "Z (zombie)" in /proc/<pid>/status), still answers kill(pid, 0), and is still a member of
// its process group; after waitpid, /proc/<pid> is gone and kill gives ESRCH. The parent
// learns that the child exited without reaping it through waitid(WNOWAIT).
#include "proc_common.h"

static char stat_state(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd == -1)
        return errno == ENOENT ? '-' : '?';
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return '?';
    buf[n] = 0;
    char *rparen = strrchr(buf, ')');
    return rparen && rparen[1] == ' ' ? rparen[2] : '?';
}

static void status_state(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("status: %s\n", ename(errno));
        return;
    }
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "State:", 6) == 0) {
            char *v = line + 6;
            while (*v == ' ' || *v == '\t')
                v++;
            printf("status State: %s", v);
        }
    fclose(f);
}

int main(void) {
    proc_init();
    pid_t pid = xfork();
    if (pid == 0)
        _exit(4);
    siginfo_t si;
    SYS(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    printf("stat state after exit: %c\n", stat_state(pid));
    status_state(pid);
    SHOW("kill(zombie, 0)", kill(pid, 0));
    SHOW("kill(zombie, SIGKILL)", kill(pid, SIGKILL));
    printf("getpgid(zombie) is own group: %s\n", yes(getpgid(pid) == getpgrp()));
    describe("reaped", reap(pid));
    printf("stat after reap: %c\n", stat_state(pid));
    SHOW("kill after reap", kill(pid, 0));
    SHOW("getpgid after reap", getpgid(pid));

    /* Several zombies at once. */
    pid_t kids[5];
    for (int i = 0; i < 5; i++) {
        kids[i] = xfork();
        if (kids[i] == 0)
            _exit(10 + i);
    }
    int zombies = 0;
    for (int i = 0; i < 5; i++) {
        SYS(waitid(P_PID, kids[i], &si, WEXITED | WNOWAIT));
        zombies += stat_state(kids[i]) == 'Z';
    }
    printf("zombies: %d\n", zombies);
    int sum = 0;
    for (int i = 0; i < 5; i++)
        sum += WEXITSTATUS(reap(kids[i]));
    printf("exit codes sum: %d\n", sum);
    return 0;
}
