// A blocking FIFO open waits for the other side (a thread opens it).
#include "fs_common.h"
#include <pthread.h>
static void *writer(void *arg) {
    (void)arg;
    usleep(50000);
    int w = open("p", O_WRONLY);
    if (w >= 0) { if (write(w, "late", 4) < 0) {} close(w); }
    return 0;
}
int main(void) {
    enter_scratch();
    mkfifo("p", 0600);
    pthread_t t; pthread_create(&t, 0, writer, 0);
    int r = open("p", O_RDONLY);
    printf("blocking open: %s\n", r >= 0 ? "OK" : ename(errno));
    char buf[8] = {0}; ssize_t n, total = 0;
    while ((n = read(r, buf + total, sizeof buf - 1 - total)) > 0) total += n;
    printf("read %zd %s\n", total, buf);
    pthread_join(t, 0);
    close(r);
    return finish();
}
