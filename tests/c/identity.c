// Checks process identity calls, printing only derived facts: getpid == gettid
// in the main thread (and != in another thread, where getpid is unchanged);
// getppid > 0; real and effective ids agree and match getresuid/getresgid;
// getgroups count >= 0 and a second call fills the same count; getpgrp/getsid > 0.
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static pid_t main_pid;
static void *thread_ids(void *arg) {
  (void)arg;
  long tid = syscall(SYS_gettid);
  return (void *)(long)(getpid() == main_pid && tid != main_pid && tid > 0);
}

int main(void) {
  main_pid = getpid();
  printf("getpid == gettid in main thread: %d\n", main_pid == (pid_t)syscall(SYS_gettid));
  printf("raw getpid agrees with libc: %d\n", main_pid == (pid_t)syscall(SYS_getpid));
  pthread_t t;
  void *res;
  pthread_create(&t, NULL, thread_ids, NULL);
  pthread_join(t, &res);
  printf("thread: same pid, own tid: %ld\n", (long)res);
  printf("getppid > 0: %d\n", getppid() > 0);
  printf("getpid > 0: %d\n", main_pid > 0);

  uid_t uid = getuid(), euid = geteuid(), ruid, eu, suid;
  gid_t gid = getgid(), egid = getegid(), rgid, eg, sgid;
  printf("getuid == geteuid: %d\n", uid == euid);
  printf("getgid == getegid: %d\n", gid == egid);
  CHECK(getresuid(&ruid, &eu, &suid) == 0 && getresgid(&rgid, &eg, &sgid) == 0);
  printf("getresuid agrees: %d\n", ruid == uid && eu == euid && suid == euid);
  printf("getresgid agrees: %d\n", rgid == gid && eg == egid && sgid == egid);
  printf("raw getuid agrees with libc: %d\n", (uid_t)syscall(SYS_getuid) == uid);

  int n = getgroups(0, NULL);
  printf("getgroups count >= 0: %d\n", n >= 0);
  gid_t groups[256];
  int m = n <= 256 ? getgroups(n, groups) : n;
  printf("getgroups fills the same count: %d\n", m == n);

  printf("getpgrp > 0: %d\n", getpgrp() > 0);
  printf("getsid(0) > 0: %d\n", getsid(0) > 0);
  printf("getpgid(0) == getpgrp: %d\n", getpgid(0) == getpgrp());
  return failures ? 1 : 0;
}
