// Checks execve(2) from a multithreaded process (fs/exec.c `de_thread`): the other threads
// end wherever they are (blocked in read(2) on a pipe, in a futex wait, in nanosleep, or
// spinning in user code) and the new image starts with one thread, the caller, whose thread
// id is the process id. First a thread other than the main one execs (the main thread is
// in pause(2) then), so it takes over the process id; then the new image's main thread
// execs from among blocked threads again.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static int p[2];
static atomic_int started;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *reader(void *arg) {
  (void)arg;
  char c;
  atomic_fetch_add(&started, 1);
  read(p[0], &c, 1);
  return NULL;
}

static void *waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  atomic_fetch_add(&started, 1);
  pthread_cond_wait(&never, &lock);
  pthread_mutex_unlock(&lock);
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  atomic_fetch_add(&started, 1);
  struct timespec ts = {.tv_sec = 60};
  nanosleep(&ts, NULL);
  return NULL;
}

static volatile unsigned long spins;
static void *spinner(void *arg) {
  (void)arg;
  atomic_fetch_add(&started, 1);
  for (;;) spins++;
  return NULL;
}

static int count_threads(void) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *t = strstr(buf, "\nThreads:");
  return t ? atoi(t + 9) : -1;
}

static char **args;

static void start_blockers(void) {
  void *(*fns[4])(void *) = {reader, waiter, sleeper, spinner};
  pthread_t t[4];
  atomic_store(&started, 0);
  for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, fns[i], NULL) == 0);
  while (atomic_load(&started) < 4) usleep(1000);
  usleep(20000);
}

static void exec_stage(const char *stage) {
  char *nargv[] = {args[0], (char *)stage, NULL};
  fflush(stdout);
  execv("/proc/self/exe", nargv);
  perror("execv");
  exit(1);
}

static void *execer(void *arg) {
  exec_stage(arg);
  return NULL;
}

int main(int argc, char **argv) {
  args = argv;
  if (argc == 2 && strcmp(argv[1], "final") == 0) {
    printf("threads after the main thread's exec: %d\n", count_threads());
    CHECK(syscall(SYS_gettid) == getpid());
    // The new image can make threads of its own.
    pthread_t t;
    atomic_store(&started, 0);
    CHECK(pthread_create(&t, NULL, sleeper, NULL) == 0);
    while (atomic_load(&started) < 1) usleep(1000);
    printf("threads with a new one: %d\n", count_threads());
    printf("%s\n", failures ? "FAILED" : "ok");
    fflush(stdout);
    _exit(failures ? 1 : 0);
  }
  CHECK(pipe(p) == 0);
  if (argc == 2 && strcmp(argv[1], "second") == 0) {
    printf("threads after a non-main thread's exec: %d\n", count_threads());
    CHECK(syscall(SYS_gettid) == getpid());
    start_blockers();
    printf("threads before the main thread's exec: %d\n", count_threads());
    if (failures) return 1;
    exec_stage("final");
  }
  start_blockers();
  printf("threads before a non-main thread's exec: %d\n", count_threads());
  if (failures) return 1;
  pthread_t t;
  CHECK(pthread_create(&t, NULL, execer, "second") == 0);
  for (;;) pause();
}
