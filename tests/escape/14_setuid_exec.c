// Attack: execve a setuid-root binary (/usr/bin/passwd, /usr/bin/su, /bin/mount when present)
// hoping for the host kernel's privilege change.
// Expected containment: no_new_privs is set and the filter allows no execve; the shim does not
// execute a new host image. Each execve fails and the program continues.
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    const char *bins[] = {"/usr/bin/passwd", "/usr/bin/su", "/bin/mount", "/usr/bin/sudo"};
    int tried = 0;
    for (unsigned i = 0; i < sizeof bins / sizeof *bins; i++) {
        struct stat st;
        if (stat(bins[i], &st) != 0) {
            printf("note: %s not present\n", bins[i]);
            continue;
        }
        tried++;
        char *args[] = {(char *)bins[i], "--help", 0};
        char *env[] = {0};
        execve(bins[i], args, env);
        EXPECT(1, "execve(%s) failed: %s", bins[i], strerror(errno));
        long r = raw6(SYS_execveat, AT_FDCWD, (long)bins[i], (long)args, (long)env, 0, 0);
        EXPECT(r < 0, "execveat(%s) = %ld", bins[i], r);
    }
    if (!tried) printf("note: no setuid binary present\n");
    return finish();
}
