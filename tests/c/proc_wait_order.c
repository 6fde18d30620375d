// Many children released one at a time: waitpid(-1) returns them in the order they were
// released (the parent releases the next only after reaping the previous), with their exit
// codes; wait() (no options) does the same; 64 children exiting at once are all reaped with
// the right codes whatever the order; the sum of rusage is not printed (host dependent).
#include "proc_common.h"

int main(void) {
    proc_init();
    enum { N = 8 };
    int gates[N][2];
    pid_t kids[N];
    for (int i = 0; i < N; i++) {
        SYS(pipe(gates[i]));
        kids[i] = xfork();
        if (kids[i] == 0) {
            get_token(gates[i][0]);
            _exit(100 + i);
        }
    }
    static const int order[N] = {5, 2, 7, 0, 3, 6, 1, 4};
    printf("released and reaped:");
    for (int k = 0; k < N; k++) {
        int i = order[k];
        put_token(gates[i][1], 'g');
        int st;
        pid_t got = k % 2 ? wait(&st) : waitpid(-1, &st, 0);
        int which = -1;
        for (int j = 0; j < N; j++)
            if (kids[j] == got)
                which = j;
        printf(" %d:%d", which, WEXITSTATUS(st));
    }
    printf("\n");

    enum { M = 64 };
    pid_t many[M];
    for (int i = 0; i < M; i++) {
        many[i] = xfork();
        if (many[i] == 0)
            _exit(i);
    }
    int ok = 0;
    for (int k = 0; k < M; k++) {
        int st;
        pid_t got = wait(&st);
        for (int j = 0; j < M; j++)
            if (many[j] == got && WIFEXITED(st) && WEXITSTATUS(st) == j) {
                ok++;
                many[j] = 0;
            }
    }
    printf("64 children reaped with their own codes: %d\n", ok);
    SHOW("wait with none left", wait(NULL));
    return 0;
}
