// meridian-test: exit=3
// Checks that exit(3) called by a non-main thread ends the whole process
// (exit_group) with status 3 while the main thread is blocked in pthread_join,
// after running atexit handlers and flushing stdio in that thread.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void at_exit_handler(void) { printf("atexit handler ran\n"); }

static void *worker(void *arg) {
  (void)arg;
  printf("worker calling exit(3)\n");
  exit(3);
}

int main(void) {
  atexit(at_exit_handler);
  pthread_t t;
  printf("main waiting in pthread_join\n");
  pthread_create(&t, NULL, worker, NULL);
  pthread_join(t, NULL);
  printf("FAIL: main thread resumed after exit()\n");
  return 1;
}
