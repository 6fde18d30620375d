// nanosleep interrupted by a signal from a child: it fails with EINTR and writes the time
// left, which is more than 0 and not more than the request; SA_RESTART does not restart it
// (signal(7): sleep calls are never restarted); clock_nanosleep returns EINTR as its value
// and fills the remainder for a relative sleep; a TIMER_ABSTIME sleep leaves it untouched.
// The child repeats its signal every 5 ms until told to stop, so it does not matter
// whether the first one arrives before the sleep starts.
#include "proc_common.h"
#include <poll.h>

static volatile sig_atomic_t hits;
static void on_usr1(int sig) {
    (void)sig;
    hits++;
}

static pid_t nagger(int stop) {
    pid_t parent = getpid();
    pid_t pid = xfork();
    if (pid == 0) {
        struct pollfd pf = {stop, POLLIN, 0};
        do
            kill(parent, SIGUSR1);
        while (poll(&pf, 1, 5) == 0);
        _exit(0);
    }
    return pid;
}

static void stop_nagger(pid_t pid, int stop[2]) {
    put_token(stop[1], 's');
    reap(pid);
    get_token(stop[0]);
}

/* The remainder is positive and at most the request: the kernel computes it from the timer's
 * expiry, which includes the timer slack, so it can exceed the request by microseconds when
 * the signal arrives at once. A second of margin covers that and nothing else. */
static int rem_ok(struct timespec rem, long req_sec) {
    return (rem.tv_sec > 0 || rem.tv_nsec > 0) && rem.tv_sec <= req_sec && rem.tv_nsec >= 0 &&
           rem.tv_nsec < 1000000000L;
}

int main(void) {
    proc_init();
    int stop[2];
    SYS(pipe(stop));
    for (int restart = 0; restart < 2; restart++) {
        struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0};
        SYS(sigaction(SIGUSR1, &sa, NULL));
        pid_t pid = nagger(stop[0]);
        struct timespec req = {30, 0}, rem = {-1, -1};
        errno = 0;
        int rc = nanosleep(&req, &rem);
        printf("nanosleep%s: %s, remaining in (0, 30s + slack]: %s\n", restart ? " with SA_RESTART" : "",
               rc == -1 ? ename(errno) : "completed", yes(rem_ok(rem, 30)));
        stop_nagger(pid, stop);
    }
    pid_t pid = nagger(stop[0]);
    struct timespec req = {30, 0}, rem = {-1, -1};
    int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    printf("clock_nanosleep relative: %s, remaining in (0, 30s + slack]: %s\n",
           rc == EINTR ? "EINTR" : rc == 0 ? "completed" : ename(rc), yes(rem_ok(rem, 30)));
    struct timespec now, until;
    clock_gettime(CLOCK_MONOTONIC, &now);
    until = now;
    until.tv_sec += 30;
    rem = (struct timespec){-1, -1};
    rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, &rem);
    printf("clock_nanosleep absolute: %s, remainder untouched: %s\n",
           rc == EINTR ? "EINTR" : rc == 0 ? "completed" : ename(rc),
           yes(rem.tv_sec == -1 && rem.tv_nsec == -1));
    stop_nagger(pid, stop);
    printf("handler ran: %s\n", yes(hits >= 4));
    return 0;
}
