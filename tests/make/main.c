/* The program of the make -j2 test project: prints facts computed by libstats.a and by
 * report.c, all deterministic. */
#include <stdio.h>
#include <string.h>

#include "stats.h"

void report(const char *label, long value);

int main(void) {
    long v[] = {42, 7, 19, 3, 88, 21, 5};
    size_t n = sizeof v / sizeof v[0];
    report("sum", stats_sum(v, n));
    report("max", stats_max(v, n));
    stats_sort(v, n);
    printf("sorted:");
    for (size_t i = 0; i < n; i++)
        printf(" %ld", v[i]);
    printf("\n");
    char text[] = "the quick brown fox jumps over the lazy dog";
    report("words", (long)stats_words(text));
    report("hash", (long)stats_hash(text));
    stats_upper(text);
    printf("upper: %s\n", text);
    long primes[200];
    size_t np = stats_primes_below(1000, primes, 200);
    report("primes below 1000", (long)np);
    report("largest", primes[np - 1]);
    return 0;
}
