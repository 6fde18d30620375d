// A directory listed while entries are added and removed: every untouched entry appears exactly
// once; telldir/seekdir return to the same place; rewinddir sees the changes.
#include "fs_common.h"
#include <dirent.h>
int main(void) {
    enter_scratch();
    char name[32];
    for (int i = 0; i < 200; i++) { snprintf(name, sizeof name, "f%03d", i); put(name, ""); }
    DIR *d = opendir(".");
    int seen[200] = {0}, extra = 0, n = 0;
    struct dirent *e;
    long mark = -1; char marked[32] = "";
    while ((e = readdir(d))) {
        int i;
        if (n == 50) {
            for (int k = 0; k < 200; k += 7) { snprintf(name, sizeof name, "f%03d", k); unlink(name); }
            for (int k = 0; k < 50; k++) { snprintf(name, sizeof name, "g%03d", k); put(name, ""); }
        }
        if (n == 20) { mark = telldir(d); }
        if (n == 21) { strcpy(marked, e->d_name); }
        n++;
        if (sscanf(e->d_name, "f%d", &i) == 1 && i >= 0 && i < 200) seen[i]++; else extra++;
    }
    int dup = 0, missing = 0;
    for (int i = 0; i < 200; i++) { if (seen[i] > 1) dup++; if (i % 7 && !seen[i]) missing++; }
    printf("duplicates=%d untouched missing=%d\n", dup, missing);
    seekdir(d, mark);
    e = readdir(d);
    printf("seekdir returns to same entry: %d\n", e && !strcmp(e->d_name, marked));
    rewinddir(d);
    int after = 0; while ((e = readdir(d))) after++;
    printf("after rewind count=%d\n", after);
    closedir(d);
    return finish();
}
