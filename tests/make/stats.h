/* A small library for the make -j2 test project (tests/make): string and number helpers
 * built into libstats.a, used by the program in main.c. */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>

/* vec.c */
long stats_sum(const long *v, size_t n);
long stats_max(const long *v, size_t n);
void stats_sort(long *v, size_t n);

/* text.c */
size_t stats_words(const char *s);
void stats_upper(char *s);
unsigned stats_hash(const char *s);

/* primes.c */
size_t stats_primes_below(long limit, long *out, size_t cap);

#endif
