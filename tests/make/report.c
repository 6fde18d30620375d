#include <stdio.h>

void report(const char *label, long value) { printf("%s: %ld\n", label, value); }
