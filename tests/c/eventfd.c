// Checks eventfd: counter semantics (writes add, read returns and resets),
// EFD_SEMAPHORE (read returns 1 and decrements), EFD_NONBLOCK reads of zero ->
// EAGAIN, short buffers and 0xffffffffffffffff -> EINVAL, poll readiness, and
// a reader blocked in read(2) woken by writer threads.
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static int efd;
static void *writer(void *arg) {
  uint64_t v = (uint64_t)(uintptr_t)arg;
  write(efd, &v, sizeof v);
  return NULL;
}

static void *late_writer(void *arg) {
  struct timespec d = {0, 30 * 1000000}; // long enough for main to block in read first
  nanosleep(&d, NULL);
  return writer(arg);
}

int main(void) {
  efd = eventfd(5, EFD_CLOEXEC);
  CHECK(efd >= 0);
  uint64_t v = 3;
  write(efd, &v, sizeof v);
  v = 0;
  read(efd, &v, sizeof v);
  printf("initial 5 + write 3 -> read %llu\n", (unsigned long long)v);

  int ne = eventfd(0, EFD_NONBLOCK);
  errno = 0;
  printf("nonblocking read of zero counter: %s\n", read(ne, &v, sizeof v) < 0 && errno == EAGAIN ? "EAGAIN" : "other");
  struct pollfd pf = {.fd = ne, .events = POLLIN | POLLOUT};
  int n = poll(&pf, 1, 0); // call first: argument evaluation order is unspecified
  printf("poll at zero: n=%d in=%d out=%d\n", n, !!(pf.revents & POLLIN), !!(pf.revents & POLLOUT));
  v = 7;
  write(ne, &v, sizeof v);
  n = poll(&pf, 1, 0);
  printf("poll at 7: n=%d in=%d\n", n, !!(pf.revents & POLLIN));
  char small[4];
  errno = 0;
  printf("read with 4-byte buffer: %s\n", read(ne, small, sizeof small) < 0 && errno == EINVAL ? "EINVAL" : "other");
  v = UINT64_MAX;
  errno = 0;
  printf("write of 2^64-1: %s\n", write(ne, &v, sizeof v) < 0 && errno == EINVAL ? "EINVAL" : "other");
  // Filling the counter to its maximum (2^64-2) makes further writes would-block.
  read(ne, &v, sizeof v);
  v = UINT64_MAX - 1;
  write(ne, &v, sizeof v);
  v = 1;
  errno = 0;
  printf("write past the maximum: %s\n", write(ne, &v, sizeof v) < 0 && errno == EAGAIN ? "EAGAIN" : "other");
  close(ne);

  int se = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
  printf("semaphore reads:");
  for (int i = 0; i < 4; i++) {
    v = 0;
    ssize_t r = read(se, &v, sizeof v);
    if (r < 0) printf(" %s", errno == EAGAIN ? "EAGAIN" : "other");
    else printf(" %llu", (unsigned long long)v);
  }
  printf("\n");
  close(se);

  // Writes from several threads add up.
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, writer, (void *)(uintptr_t)(10 * (i + 1)));
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  v = 0;
  read(efd, &v, sizeof v);
  printf("read after three writer threads: %llu\n", (unsigned long long)v);

  pthread_create(&t[0], NULL, late_writer, (void *)(uintptr_t)42);
  v = 0;
  read(efd, &v, sizeof v); // blocks until the thread writes
  pthread_join(t[0], NULL);
  printf("blocking read woken by a writer thread: %llu\n", (unsigned long long)v);
  close(efd);
  return failures ? 1 : 0;
}
