// Checks exit vs exit_group from the other side: the main thread calls
// pthread_exit (a plain SYS_exit of one thread), the process lives on in its
// worker, and when the last thread finishes the process exits with status 0
// (glibc calls exit(0) in the last thread, which flushes stdio).
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static void *worker(void *arg) {
  (void)arg;
  struct timespec d = {0, 50 * 1000000};
  nanosleep(&d, NULL); // the main thread has exited by now
  printf("worker still running after main's pthread_exit\n");
  return NULL;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  printf("main calling pthread_exit\n");
  pthread_exit(NULL);
}
