// Checks directory listing: mkdir a directory in /tmp, create files, a
// subdirectory and a symlink, list it with opendir/readdir (getdents64
// underneath) and print the sorted names with their types; rewinddir lists the
// same again; raw getdents64 with a tiny buffer needs several calls; a
// too-small buffer -> EINVAL; getdents64 on a regular file -> ENOTDIR.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char *type_name(const char *dir, struct dirent *e) {
  unsigned char t = e->d_type;
  if (t == DT_UNKNOWN) { // some filesystems do not fill d_type: ask lstat
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    lstat(p, &st);
    t = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
  }
  return t == DT_DIR ? "dir" : t == DT_REG ? "file" : t == DT_LNK ? "symlink" : "other";
}

static int list(const char *dir, DIR *d, int print) {
  char *names[32];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 32) {
    char line[300];
    snprintf(line, sizeof line, "%s (%s)", e->d_name, type_name(dir, e));
    names[n++] = strdup(line);
  }
  qsort(names, n, sizeof names[0], cmp);
  for (int i = 0; i < n; i++) {
    if (print) printf("  %s\n", names[i]);
    free(names[i]);
  }
  return n;
}

int main(void) {
  char dir[64], p[128];
  snprintf(dir, sizeof dir, "/tmp/mt-dir_listing-%d", (int)getpid());
  CHECK(mkdir(dir, 0755) == 0);
  const char *files[] = {"zeta", "alpha", "mid.txt", ".hidden"};
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    close(open(p, O_CREAT | O_WRONLY, 0644));
  }
  snprintf(p, sizeof p, "%s/subdir", dir);
  CHECK(mkdir(p, 0755) == 0);
  snprintf(p, sizeof p, "%s/link", dir);
  CHECK(symlink("alpha", p) == 0);

  DIR *d = opendir(dir);
  CHECK(d != NULL);
  printf("entries:\n");
  int n1 = list(dir, d, 1);
  rewinddir(d);
  int n2 = list(dir, d, 0);
  printf("count %d, same after rewinddir: %d\n", n1, n1 == n2);
  closedir(d);

  // Raw getdents64 with a buffer that holds only a couple of entries.
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  char buf[64];
  int calls = 0, entries = 0;
  long r;
  while ((r = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
    calls++;
    for (long off = 0; off < r;) {
      unsigned short reclen = *(unsigned short *)(buf + off + 16); // d_reclen after d_ino, d_off
      entries++;
      off += reclen;
    }
  }
  printf("getdents64 small buffer: entries=%d, needed several calls: %d, ends with 0: %d\n", entries, calls > 1, r == 0);
  lseek(fd, 0, SEEK_SET);
  errno = 0;
  r = syscall(SYS_getdents64, fd, buf, 8);
  printf("buffer too small for one entry: %s\n", r < 0 && errno == EINVAL ? "EINVAL" : "other");
  close(fd);

  snprintf(p, sizeof p, "%s/alpha", dir);
  fd = open(p, O_RDONLY);
  errno = 0;
  r = syscall(SYS_getdents64, fd, buf, sizeof buf);
  printf("getdents64 on a file: %s\n", r < 0 && errno == ENOTDIR ? "ENOTDIR" : "other");
  close(fd);
  errno = 0;
  printf("opendir of a file: %s\n", opendir(p) == NULL && errno == ENOTDIR ? "ENOTDIR" : "other");

  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    unlink(p);
  }
  snprintf(p, sizeof p, "%s/link", dir);
  unlink(p);
  snprintf(p, sizeof p, "%s/subdir", dir);
  rmdir(p);
  CHECK(rmdir(dir) == 0);
  return failures ? 1 : 0;
}
