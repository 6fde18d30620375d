// fork + execve matrix: busybox sh exit codes and deaths by signal through exec, arguments
// and environment passed to the new image, exec failures seen in the child (ENOENT, EACCES
// for a non-executable file and for a directory, ENOEXEC for a script without #!), a #!
// script run through its interpreter, and O_CLOEXEC descriptors closed by exec (the parent
// sees EOF on a close-on-exec pipe once the exec succeeded).
#include "proc_common.h"
#include <sys/stat.h>

static const char *const BB = "/bin/busybox";

/* Runs argv under fork+execve with envp; returns the wait status. A failed exec is reported
 * by the child as exit 100 + errno-index written to the pipe. */
static int run(char *const argv[], char *const envp[], int *exec_errno) {
    int fds[2];
    SYS(pipe2(fds, O_CLOEXEC));
    pid_t pid = xfork();
    if (pid == 0) {
        close(fds[0]);
        execve(argv[0], argv, envp);
        int e = errno;
        write_all(fds[1], &e, sizeof e);
        _exit(127);
    }
    close(fds[1]);
    int e = 0;
    size_t n = read_full(fds[0], &e, sizeof e);
    close(fds[0]);
    *exec_errno = n == sizeof e ? e : 0;
    return reap(pid);
}

static void show(const char *label, char *const argv[], char *const envp[]) {
    int e;
    int status = run(argv, envp, &e);
    char buf[128];
    snprintf(buf, sizeof buf, "%s [exec %s]", label, ename(e));
    describe(buf, status);
}

int main(void) {
    proc_init();
    char *env[] = {"FOO=bar baz", "PATH=/bin:/usr/bin", NULL};
    show("sh exit 0", (char *[]){(char *)BB, "sh", "-c", "exit 0", NULL}, env);
    show("sh exit 7", (char *[]){(char *)BB, "sh", "-c", "exit 7", NULL}, env);
    show("false", (char *[]){(char *)BB, "false", NULL}, env);
    show("sh kills itself TERM", (char *[]){(char *)BB, "sh", "-c", "kill -TERM $$", NULL}, env);
    show("sh kills itself KILL", (char *[]){(char *)BB, "sh", "-c", "kill -KILL $$", NULL}, env);
    show("args and env",
         (char *[]){(char *)BB, "sh", "-c", "echo \"argc=$# 1=$1 2=$2 FOO=$FOO\"", "zero",
                    "one", "two words", NULL},
         env);
    show("empty env", (char *[]){(char *)BB, "sh", "-c", "echo \"FOO=[$FOO]\"", NULL},
         (char *[]){NULL});
    show("missing", (char *[]){"/nonexistent/prog", NULL}, env);
    show("directory", (char *[]){"/bin", NULL}, env);

    char dir[] = "/tmp/proc_exec_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char plain[64], script[64], noshebang[64];
    snprintf(plain, sizeof plain, "%s/plain", dir);
    snprintf(script, sizeof script, "%s/script", dir);
    snprintf(noshebang, sizeof noshebang, "%s/noshebang", dir);
    int fd = SYS(open(plain, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    write_all(fd, "#!/bin/busybox sh\necho plain\n", 29);
    close(fd);
    fd = SYS(open(script, O_WRONLY | O_CREAT | O_TRUNC, 0755));
    const char *text = "#!/bin/busybox sh\necho \"script args: $0 $1\" | sed 's|/tmp/[^ ]*/|DIR/|'\nexit 4\n";
    write_all(fd, text, strlen(text));
    close(fd);
    fd = SYS(open(noshebang, O_WRONLY | O_CREAT | O_TRUNC, 0755));
    write_all(fd, "echo no shebang\n", 16);
    close(fd);
    show("not executable", (char *[]){plain, NULL}, env);
    show("#! script", (char *[]){script, "arg1", NULL}, env);
    show("no #! line", (char *[]){noshebang, NULL}, env);
    unlink(plain);
    unlink(script);
    unlink(noshebang);
    rmdir(dir);
    return 0;
}
