// Checks /proc/<pid> of other processes: stat fields (pid, comm, state, ppid,
// pgrp, session) and status lines (Name, State, Pid, PPid, Tgid, Uid, Gid) of a
// sleeping child, a stopped child (T) and a zombie child (Z, empty cmdline);
// cmdline and comm after the child execs with new arguments; readdir of /proc
// lists the children; a reaped child's directory is gone. Prints relations,
// never raw pids.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int read_file(const char *path, char *buf, size_t n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  int len = 0, r;
  while ((r = read(fd, buf + len, n - 1 - len)) > 0)
    len += r;
  close(fd);
  buf[len] = 0;
  return len;
}

struct stat_fields {
  int pid, ppid, pgrp, session;
  char comm[64];
  char state;
};

static int proc_stat(pid_t pid, struct stat_fields *s) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  if (read_file(path, buf, sizeof buf) < 0)
    return -1;
  char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
  if (!open_paren || !close_paren)
    return -1;
  s->pid = atoi(buf);
  size_t n = close_paren - open_paren - 1;
  if (n >= sizeof s->comm)
    n = sizeof s->comm - 1;
  memcpy(s->comm, open_paren + 1, n);
  s->comm[n] = 0;
  return sscanf(close_paren + 2, "%c %d %d %d", &s->state, &s->ppid, &s->pgrp, &s->session) == 4 ? 0 : -1;
}

// The value of status line `key` of process `pid` (without the tab), or "".
static void status_line(pid_t pid, const char *key, char *out, size_t n) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  out[0] = 0;
  if (read_file(path, buf, sizeof buf) < 0)
    return;
  size_t kl = strlen(key);
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
      char *v = line + kl + 1;
      while (*v == '\t' || *v == ' ')
        v++;
      snprintf(out, n, "%s", v);
      return;
    }
  }
}

static int in_proc_dir(pid_t pid) {
  DIR *d = opendir("/proc");
  if (!d)
    return 0;
  struct dirent *e;
  int found = 0;
  while ((e = readdir(d)))
    if (atoi(e->d_name) == pid && e->d_type == DT_DIR)
      found = 1;
  closedir(d);
  return found;
}

static void nap(void) {
  struct timespec d = {0, 10 * 1000000};
  nanosleep(&d, NULL);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "sleeper") == 0) {
    write(3, "e", 1);
    for (;;)
      pause();
  }
  char self_comm[64];
  read_file("/proc/self/comm", self_comm, sizeof self_comm);
  self_comm[strcspn(self_comm, "\n")] = 0;
  char my_uid[128], my_gid[128];
  status_line(getpid(), "Uid", my_uid, sizeof my_uid);
  status_line(getpid(), "Gid", my_gid, sizeof my_gid);
  pid_t me = getpid();
  pid_t my_sid = getsid(0);

  int ready[2];
  pipe(ready);
  pid_t a = fork();
  if (a == 0) {
    setpgid(0, 0);
    write(ready[1], "r", 1);
    for (;;)
      pause();
  }
  char c;
  read(ready[0], &c, 1);
  struct stat_fields s;
  memset(&s, 0, sizeof s);
  // The child may still be on its way to pause(): give it time to fall asleep.
  for (int i = 0; i < 300; i++) {
    if (proc_stat(a, &s) == 0 && s.state == 'S')
      break;
    nap();
  }
  printf("child stat read: %d\n", proc_stat(a, &s) == 0);
  printf("  pid==child %d comm==mine %d state=%c ppid==me %d pgrp==child %d session==mine %d\n",
         s.pid == a, strcmp(s.comm, self_comm) == 0, s.state, s.ppid == me, s.pgrp == a, s.session == my_sid);
  char v[128];
  status_line(a, "Name", v, sizeof v);
  printf("  status Name==comm %d", strcmp(v, self_comm) == 0);
  status_line(a, "State", v, sizeof v);
  printf(" State=%s", v);
  status_line(a, "Pid", v, sizeof v);
  printf(" Pid==child %d", atoi(v) == a);
  status_line(a, "Tgid", v, sizeof v);
  printf(" Tgid==child %d", atoi(v) == a);
  status_line(a, "PPid", v, sizeof v);
  printf(" PPid==me %d", atoi(v) == me);
  status_line(a, "Uid", v, sizeof v);
  printf(" Uid==mine %d", strcmp(v, my_uid) == 0);
  status_line(a, "Gid", v, sizeof v);
  printf(" Gid==mine %d\n", strcmp(v, my_gid) == 0);
  printf("  in readdir of /proc: child %d self %d\n", in_proc_dir(a), in_proc_dir(me));

  // Stopped: T.
  kill(a, SIGSTOP);
  int st;
  waitpid(a, &st, WUNTRACED);
  proc_stat(a, &s);
  status_line(a, "State", v, sizeof v);
  printf("stopped child: state=%c status State=%s\n", s.state, v);
  kill(a, SIGKILL);
  waitpid(a, &st, 0);
  errno = 0;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", a);
  printf("reaped child: open stat %s, in readdir %d\n", open(path, O_RDONLY) < 0 && errno == ENOENT ? "ENOENT" : "other", in_proc_dir(a));

  // A child that execs with new arguments: cmdline and comm are the new image's.
  char exe[512];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = 0;
  int execd[2];
  pipe(execd);
  pid_t b = fork();
  if (b == 0) {
    dup2(execd[1], 3);
    char *args[] = {"renamed-argv0", "sleeper", "two words", NULL};
    execv(exe, args);
    _exit(99);
  }
  read(execd[0], &c, 1);
  char cmd[512];
  int len = read_file((snprintf(path, sizeof path, "/proc/%d/cmdline", b), path), cmd, sizeof cmd);
  int ok = len == (int)sizeof "renamed-argv0\0sleeper\0two words" &&
           memcmp(cmd, "renamed-argv0\0sleeper\0two words", len) == 0;
  printf("exec'd child cmdline: len=%d matches=%d\n", len, ok);
  char comm[64];
  read_file((snprintf(path, sizeof path, "/proc/%d/comm", b), path), comm, sizeof comm);
  comm[strcspn(comm, "\n")] = 0;
  const char *base = strrchr(exe, '/');
  printf("exec'd child comm==basename of exe %d\n", strcmp(comm, base ? base + 1 : exe) == 0);
  kill(b, SIGKILL);
  waitpid(b, &st, 0);

  // Zombie: Z, empty cmdline, still listed.
  pid_t z = fork();
  if (z == 0)
    _exit(0);
  for (int i = 0; i < 300; i++) {
    if (proc_stat(z, &s) == 0 && s.state == 'Z')
      break;
    nap();
  }
  printf("zombie: state=%c ppid==me %d", s.state, s.ppid == me);
  len = read_file((snprintf(path, sizeof path, "/proc/%d/cmdline", z), path), cmd, sizeof cmd);
  status_line(z, "State", v, sizeof v);
  printf(" cmdline len=%d State=%s listed=%d\n", len, v, in_proc_dir(z));
  waitpid(z, &st, 0);
  printf("zombie reaped: listed=%d\n", in_proc_dir(z));
  return 0;
}
