#include "stats.h"

long stats_sum(const long *v, size_t n) {
    long s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

long stats_max(const long *v, size_t n) {
    long m = n ? v[0] : 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

/* Insertion sort: the inputs are small. */
void stats_sort(long *v, size_t n) {
    for (size_t i = 1; i < n; i++) {
        long x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}
