// Checks signalfd with threads and job control: a read blocked in one thread is
// woken by a kill(2) from another thread; a signal sent to one thread is read
// only through that thread (the reader's own pending set); a child's stop,
// continue and death arrive as SIGCHLD records with CLD_STOPPED,
// CLD_CONTINUED and CLD_KILLED and the signal as ssi_status.
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int sfd;
static int readable_by_helper = -1;
static int helper_read_own = -1;

static void *late_kill(void *arg) {
  (void)arg;
  struct timespec d = {0, 30 * 1000000};
  nanosleep(&d, NULL);
  kill(getpid(), SIGUSR1);
  return NULL;
}

static pthread_barrier_t sent, looked;

static void *own_signal(void *arg) {
  (void)arg;
  syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2);
  pthread_barrier_wait(&sent);
  pthread_barrier_wait(&looked);
  struct pollfd p = {.fd = sfd, .events = POLLIN};
  readable_by_helper = poll(&p, 1, 0) == 1;
  struct signalfd_siginfo si;
  helper_read_own = read(sfd, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR2 && si.ssi_code == SI_TKILL;
  return NULL;
}

static const char *code_name(int c) {
  switch (c) {
  case CLD_EXITED: return "CLD_EXITED";
  case CLD_KILLED: return "CLD_KILLED";
  case CLD_STOPPED: return "CLD_STOPPED";
  case CLD_CONTINUED: return "CLD_CONTINUED";
  default: return "other";
  }
}

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  sfd = signalfd(-1, &set, 0);

  pthread_t t;
  pthread_create(&t, NULL, late_kill, NULL);
  struct signalfd_siginfo si;
  ssize_t n = read(sfd, &si, sizeof si);
  printf("blocked read woken: n=%zd SIGUSR1=%d pid==self %d\n", n, si.ssi_signo == SIGUSR1, si.ssi_pid == (unsigned)getpid());
  pthread_join(t, NULL);

  pthread_barrier_init(&sent, NULL, 2);
  pthread_barrier_init(&looked, NULL, 2);
  pthread_create(&t, NULL, own_signal, NULL);
  pthread_barrier_wait(&sent);
  struct pollfd p = {.fd = sfd, .events = POLLIN};
  int main_sees = poll(&p, 1, 0);
  pthread_barrier_wait(&looked);
  pthread_join(t, NULL);
  printf("thread's own signal: readable by main %d, by it %d, read by it %d\n",
         main_sees, readable_by_helper, helper_read_own);

  pid_t child = fork();
  if (child == 0) {
    for (;;)
      pause();
  }
  int sigs[] = {SIGSTOP, SIGCONT, SIGKILL};
  for (int i = 0; i < 3; i++) {
    kill(child, sigs[i]);
    n = read(sfd, &si, sizeof si);
    printf("child after signal %d: SIGCHLD=%d %s status=%d pid==child %d\n", sigs[i],
           si.ssi_signo == SIGCHLD, code_name(si.ssi_code), si.ssi_status, si.ssi_pid == (unsigned)child);
  }
  int st;
  printf("reaped: %d\n", waitpid(child, &st, 0) == child);
  return 0;
}
