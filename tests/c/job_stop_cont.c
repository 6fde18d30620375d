// Checks job control between processes: SIGSTOP and SIGTSTP stop a child
// (wait4 WUNTRACED and waitid WSTOPPED report it once), SIGCONT continues it
// (WCONTINUED), the parent's SA_SIGINFO SIGCHLD handler sees CLD_STOPPED and
// CLD_CONTINUED with the signal as si_status, SIGKILL ends a stopped child,
// SIGCONT discards a pending (blocked) stop signal, and SA_NOCLDSTOP keeps the
// stop and continue notifications from the parent.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got, last_code, last_status, last_pid_ok;
static pid_t child;

static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  last_code = si->si_code;
  last_status = si->si_status;
  last_pid_ok = si->si_pid == child;
  got++;
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

static const char *sig_name(int s) {
  switch (s) {
  case SIGSTOP: return "SIGSTOP";
  case SIGTSTP: return "SIGTSTP";
  case SIGCONT: return "SIGCONT";
  case SIGKILL: return "SIGKILL";
  default: return "other";
  }
}

// Wait (with SIGCHLD unblocked) until the handler has run `n` times in all.
static void await_chld(int n, sigset_t *unblocked) {
  while (got < n)
    sigsuspend(unblocked);
}

static pid_t spawn_sleeper(void) {
  pid_t p = fork();
  if (p == 0) {
    for (;;)
      pause();
  }
  return p;
}

int main(void) {
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  sigset_t unblocked = old;
  sigdelset(&unblocked, SIGCHLD);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);

  child = spawn_sleeper();
  int st = 0;
  kill(child, SIGSTOP);
  pid_t w = waitpid(child, &st, WUNTRACED);
  printf("stop: waited=%d stopped=%d sig=%s\n", w == child, WIFSTOPPED(st), sig_name(WSTOPSIG(st)));
  await_chld(1, &unblocked);
  printf("  SIGCHLD %s status=%s pid==child %d\n", code_name(last_code), sig_name(last_status), last_pid_ok);
  w = waitpid(child, &st, WUNTRACED | WNOHANG);
  printf("  reported once: %d\n", w);

  kill(child, SIGCONT);
  w = waitpid(child, &st, WCONTINUED);
  printf("cont: waited=%d continued=%d\n", w == child, WIFCONTINUED(st));
  await_chld(2, &unblocked);
  printf("  SIGCHLD %s status=%s\n", code_name(last_code), sig_name(last_status));
  w = waitpid(child, &st, WCONTINUED | WNOHANG);
  printf("  reported once: %d\n", w);

  kill(child, SIGTSTP);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r = waitid(P_PID, child, &si, WSTOPPED);
  printf("tstp: waitid=%d code=%s status=%s pid==child %d\n", r, code_name(si.si_code), sig_name(si.si_status), si.si_pid == child);
  await_chld(3, &unblocked);
  printf("  SIGCHLD %s status=%s\n", code_name(last_code), sig_name(last_status));

  // A stopped child that gets SIGKILL dies.
  kill(child, SIGKILL);
  w = waitpid(child, &st, 0);
  printf("kill while stopped: waited=%d signaled=%d sig=%s\n", w == child, WIFSIGNALED(st), sig_name(WTERMSIG(st)));
  await_chld(4, &unblocked);
  printf("  SIGCHLD %s\n", code_name(last_code));

  // SIGCONT discards a pending stop signal: the child blocks SIGTSTP, gets SIGTSTP then
  // SIGCONT, unblocks SIGTSTP and runs on to exit 0.
  int ready[2], go[2];
  pipe(ready);
  pipe(go);
  child = fork();
  if (child == 0) {
    sigset_t tstp;
    sigemptyset(&tstp);
    sigaddset(&tstp, SIGTSTP);
    sigprocmask(SIG_BLOCK, &tstp, NULL);
    write(ready[1], "r", 1);
    char c;
    read(go[0], &c, 1);
    sigset_t pend;
    sigpending(&pend);
    int pending = sigismember(&pend, SIGTSTP);
    sigprocmask(SIG_UNBLOCK, &tstp, NULL);
    _exit(pending ? 3 : 0);
  }
  char c;
  read(ready[0], &c, 1);
  kill(child, SIGTSTP);
  kill(child, SIGCONT);
  write(go[1], "g", 1);
  w = waitpid(child, &st, WUNTRACED);
  printf("SIGCONT discards pending SIGTSTP: exited=%d code=%d\n", WIFEXITED(st), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  if (WIFSTOPPED(st)) {
    kill(child, SIGKILL);
    waitpid(child, &st, 0);
  }
  await_chld(5, &unblocked);

  // SA_NOCLDSTOP: no SIGCHLD for stops and continues, wait4 still reports them.
  sa.sa_flags |= SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  int before = got;
  child = spawn_sleeper();
  kill(child, SIGSTOP);
  w = waitpid(child, &st, WUNTRACED);
  printf("nocldstop stop: stopped=%d\n", WIFSTOPPED(st));
  kill(child, SIGCONT);
  w = waitpid(child, &st, WCONTINUED);
  printf("nocldstop cont: continued=%d\n", WIFCONTINUED(st));
  struct timespec d = {0, 50 * 1000000};
  nanosleep(&d, NULL);
  sigset_t pend;
  sigpending(&pend);
  printf("nocldstop: SIGCHLD pending=%d handler runs=%d\n", sigismember(&pend, SIGCHLD), got - before);
  kill(child, SIGTERM);
  waitpid(child, &st, 0);
  printf("end: signaled=%d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
  sigpending(&pend);
  printf("exit still notifies: %d\n", sigismember(&pend, SIGCHLD));
  return 0;
}
