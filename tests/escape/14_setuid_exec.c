// Attack: execve a set-user-ID binary hoping for the host kernel's privilege change.
// Expected containment: the host kernel never runs an execve (the filter allows none, and
// no_new_privs is set); the shim's execve replaces the image in place and ignores
// set-user-ID and set-group-ID bits, so the new image runs with the ids it had and
// AT_SECURE 0. The program makes a set-user-ID, set-group-ID root copy of itself in /tmp,
// execs it (host setuid binaries such as /usr/bin/passwd load the same way), and checks
// its ids in the new image before finishing.
#include "escape.h"
#include <sys/auxv.h>

static int copy_self(const char *to) {
    int in = open("/proc/self/exe", O_RDONLY);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (in < 0 || out < 0) return -1;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n) return -1;
    close(in);
    close(out);
    return 0;
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    if (argc == 9 && strcmp(argv[4], "stage2") == 0) {
        EXPECT(getuid() == (uid_t)atol(argv[5]) && geteuid() == (uid_t)atol(argv[6]),
               "uid %d euid %d after exec of a set-user-ID root file (before: %s %s)",
               getuid(), geteuid(), argv[5], argv[6]);
        EXPECT(getgid() == (gid_t)atol(argv[7]) && getegid() == (gid_t)atol(argv[8]),
               "gid %d egid %d after exec of a set-group-ID root file (before: %s %s)",
               getgid(), getegid(), argv[7], argv[8]);
        EXPECT(getauxval(AT_SECURE) == 0, "AT_SECURE is %lu", getauxval(AT_SECURE));
        return finish();
    }
    const char *copy = "/tmp/setuid-copy";
    EXPECT(copy_self(copy) == 0, "copied the program to %s", copy);
    if (chown(copy, 0, 0) != 0) printf("note: chown to root: %s\n", strerror(errno));
    EXPECT(chmod(copy, 06755) == 0, "chmod 06755: %s", strerror(errno));
    struct stat st;
    if (stat(copy, &st) == 0)
        printf("note: copy mode %o owner %d\n", st.st_mode & 07777, (int)st.st_uid);
    char ids[4][24];
    snprintf(ids[0], sizeof ids[0], "%d", getuid());
    snprintf(ids[1], sizeof ids[1], "%d", geteuid());
    snprintf(ids[2], sizeof ids[2], "%d", getgid());
    snprintf(ids[3], sizeof ids[3], "%d", getegid());
    char *args[] = {(char *)copy, argv[1], argv[2], argv[3], "stage2", ids[0], ids[1], ids[2], ids[3], 0};
    char *env[] = {0};
    execve(copy, args, env);
    EXPECT(0, "execve(%s) failed: %s", copy, strerror(errno));
    return finish();
}
