// Attack: start 500 threads at once (each waits on a mutex the main thread holds, then exits).
// Expected containment: each pthread_create works or fails with EAGAIN; the program joins what
// it made and ends; the host survives.
#include "escape.h"
#include <pthread.h>

// Held by main while it creates threads: every thread blocks on it (a futex wait), so all 500
// exist at once.
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static void *worker(void *arg) {
    pthread_mutex_lock(&gate);
    pthread_mutex_unlock(&gate);
    return arg;
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    static pthread_t t[500];
    int made = 0, other = 0, eagain = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_mutex_lock(&gate);
    for (int i = 0; i < 500; i++) {
        int r = pthread_create(&t[made], &attr, worker, 0);
        if (r == 0) made++;
        else if (r == EAGAIN) eagain++;
        else other = r;
    }
    pthread_mutex_unlock(&gate);
    for (int i = 0; i < made; i++) pthread_join(t[i], 0);
    printf("threads: %d made, %d EAGAIN\n", made, eagain);
    EXPECT(other == 0, "no error other than EAGAIN (%s)", other ? strerror(other) : "none");
    EXPECT(made > 0, "threads work");
    return finish();
}
