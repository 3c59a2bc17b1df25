/* bench/loadgen/histogram.h - a fixed-size latency histogram (HDR-style: log buckets, each split
 * into 64 linear sub-buckets, so every recorded value keeps about 1.5% precision from 1 ns to
 * hours). Recording is two shifts and an increment; per-thread histograms merge by addition.
 */
#ifndef ZSOCK_BENCH_HISTOGRAM_H
#define ZSOCK_BENCH_HISTOGRAM_H

#include <stdint.h>
#include <string.h>

enum { HIST_SUB = 64, HIST_BUCKETS = 64 * HIST_SUB };

struct histogram {
    uint64_t counts[HIST_BUCKETS];
    uint64_t total;
    uint64_t max;
};

static inline unsigned hist_index(uint64_t v) {
    if (v < 2 * HIST_SUB) return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned e = msb - 6u; /* v >> e lands in [64, 128) */
    return e * HIST_SUB + (unsigned)(v >> e);
}

/* The lowest value that maps to bucket idx. */
static inline uint64_t hist_value(unsigned idx) {
    if (idx < 2 * HIST_SUB) return idx;
    unsigned e = idx / HIST_SUB - 1u;
    uint64_t m = idx - e * HIST_SUB; /* in [64, 128) */
    return m << e;
}

static inline void hist_record(struct histogram *h, uint64_t v) {
    unsigned i = hist_index(v);
    if (i >= HIST_BUCKETS) i = HIST_BUCKETS - 1;
    ++h->counts[i];
    ++h->total;
    if (v > h->max) h->max = v;
}

static inline void hist_merge(struct histogram *into, const struct histogram *from) {
    for (unsigned i = 0; i < HIST_BUCKETS; ++i)
        into->counts[i] += from->counts[i];
    into->total += from->total;
    if (from->max > into->max) into->max = from->max;
}

/* The value at quantile q (0..1): the middle of the bucket holding that rank, 0 when empty. */
static inline uint64_t hist_quantile(const struct histogram *h, double q) {
    if (!h->total) return 0;
    uint64_t rank = (uint64_t)(q * (double)h->total);
    if (rank >= h->total) rank = h->total - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; ++i) {
        seen += h->counts[i];
        if (seen > rank) {
            uint64_t lo = hist_value(i), hi = hist_value(i + 1);
            uint64_t mid = lo + (hi - lo) / 2;
            return mid > h->max ? h->max : mid;
        }
    }
    return h->max;
}

#endif
