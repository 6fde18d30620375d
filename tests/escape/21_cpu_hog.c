// Attack: a CPU-time hog: four threads and the main thread spin forever.
// Expected containment: the test kills meridian from outside with SIGKILL after a second;
// everything ends (no leftover process or thread of the run remains).
#include "escape.h"
#include <pthread.h>

static void *spin(void *arg) {
    volatile unsigned long *counter = arg;
    for (;;) (*counter)++;
    return 0;
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    static volatile unsigned long counters[5];
    pthread_t t;
    for (int i = 0; i < 4; i++) pthread_create(&t, 0, spin, (void *)&counters[i]);
    printf("spinning\n");
    spin((void *)&counters[4]);
    return 0;
}
