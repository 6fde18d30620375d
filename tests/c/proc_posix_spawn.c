// posix_spawn and posix_spawnp: success with argv and envp; file actions adddup2 (stdout to a
// pipe), addclose, addopen (stdout to a /tmp file, read back); posix_spawnp finds busybox on
// PATH; a missing program and a missing file action target make posix_spawn return the error
// (glibc reports it from the child through memory shared with CLONE_VM, so it is the return
// value, not an exit status); POSIX_SPAWN_SETPGROUP and POSIX_SPAWN_SETSIGMASK take effect.
#include "proc_common.h"
#include <spawn.h>

extern char **environ;

static void show(const char *label, int rc, pid_t pid) {
    if (rc != 0) {
        printf("%s: returns %s\n", label, ename(rc));
        return;
    }
    char buf[128];
    snprintf(buf, sizeof buf, "%s: returns 0, child", label);
    describe(buf, reap(pid));
}

int main(void) {
    proc_init();
    char *env[] = {"GREETING=hello", "PATH=/usr/bin:/bin", NULL};
    pid_t pid;
    fflush(stdout);
    int rc = posix_spawn(&pid, "/bin/busybox", NULL, NULL,
                         (char *[]){"sh", "-c", "echo \"$GREETING $0 $1\"; exit 4", "a0", "a1", NULL}, env);
    show("posix_spawn sh", rc, pid);

    int p[2];
    SYS(pipe(p));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    rc = posix_spawn(&pid, "/bin/busybox", &fa, NULL, (char *[]){"echo", "into the pipe", NULL}, env);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    char buf[128] = {0};
    size_t n = read_full(p[0], buf, sizeof buf - 1);
    close(p[0]);
    printf("pipe got: %.*s", (int)n, buf);
    show("posix_spawn with dup2/close", rc, pid);

    char dir[] = "/tmp/proc_spawn_XXXXXX";
    CHECK(mkdtemp(dir));
    char out[64];
    snprintf(out, sizeof out, "%s/out", dir);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    rc = posix_spawnp(&pid, "busybox", &fa, NULL, (char *[]){"busybox", "echo", "into a file", NULL}, env);
    posix_spawn_file_actions_destroy(&fa);
    show("posix_spawnp with addopen", rc, pid);
    int fd = SYS(open(out, O_RDONLY));
    memset(buf, 0, sizeof buf);
    n = read_full(fd, buf, sizeof buf - 1);
    close(fd);
    printf("file got: %.*s", (int)n, buf);
    unlink(out);

    char missing_out[80];
    snprintf(missing_out, sizeof missing_out, "%s/no/such/dir/out", dir);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, missing_out, O_WRONLY | O_CREAT, 0644);
    rc = posix_spawn(&pid, "/bin/busybox", &fa, NULL, (char *[]){"true", NULL}, env);
    posix_spawn_file_actions_destroy(&fa);
    show("posix_spawn with an addopen that fails", rc, pid);
    rmdir(dir);

    rc = posix_spawn(&pid, "/nonexistent/program", NULL, NULL, (char *[]){"x", NULL}, env);
    show("posix_spawn of a missing program", rc, pid);
    rc = posix_spawnp(&pid, "no-such-program-anywhere", NULL, NULL, (char *[]){"x", NULL}, env);
    show("posix_spawnp of a missing program", rc, pid);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    posix_spawnattr_setsigmask(&attr, &mask);
    /* The shell reports its own process group relation and blocked mask through /proc. */
    rc = posix_spawn(&pid, "/bin/busybox", NULL, &attr,
                     (char *[]){"sh", "-c",
                                "grep SigBlk /proc/$$/status | tr -d ' \\t'; "
                                "s=$(cat /proc/$$/stat); set -- ${s##*) }; "
                                "[ \"$3\" = \"$$\" ] && echo own group || echo another group",
                                NULL},
                     env);
    posix_spawnattr_destroy(&attr);
    show("posix_spawn SETPGROUP|SETSIGMASK", rc, pid);
    return 0;
}
