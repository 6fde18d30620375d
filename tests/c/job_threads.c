// Checks that a stop signal stops every thread of a process: a child whose
// second thread keeps counting in shared memory stops counting while stopped
// and counts again after SIGCONT; SIGKILL ends the stopped multi-threaded child.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long *counter;

static void nap_ms(long ms) {
  struct timespec d = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&d, NULL);
}

static void *count(void *arg) {
  (void)arg;
  for (;;) {
    (*counter)++;
    nap_ms(1);
  }
  return NULL;
}

int main(void) {
  counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pid_t child = fork();
  if (child == 0) {
    pthread_t t;
    pthread_create(&t, NULL, count, NULL);
    for (;;)
      pause();
  }
  while (*counter < 5)
    nap_ms(1);
  kill(child, SIGSTOP);
  int st;
  pid_t w = waitpid(child, &st, WUNTRACED);
  printf("stopped: %d\n", w == child && WIFSTOPPED(st));
  nap_ms(50);
  unsigned long c1 = *counter;
  nap_ms(100);
  unsigned long c2 = *counter;
  printf("counter frozen while stopped: %d\n", c1 == c2);
  kill(child, SIGCONT);
  w = waitpid(child, &st, WCONTINUED);
  printf("continued: %d\n", w == child && WIFCONTINUED(st));
  nap_ms(100);
  printf("counting again: %d\n", *counter > c2);
  kill(child, SIGSTOP);
  waitpid(child, &st, WUNTRACED);
  kill(child, SIGKILL);
  w = waitpid(child, &st, 0);
  printf("killed while stopped: %d\n", w == child && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  return 0;
}
