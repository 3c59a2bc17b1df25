/* bench/loadgen/pattern.h - the byte pattern every connection sends and expects back.
 *
 * Byte k of connection c's stream is table[(k + seed(c)) mod P] for a prime P, with a pseudo-random
 * table. Different connections start at different places in the table, so an echo that swaps
 * connections, drops, duplicates, reorders or corrupts bytes no longer matches. The table is stored
 * twice in a row, so any window of up to P bytes starting below P is contiguous: sends and checks
 * need no copy.
 */
#ifndef ZSOCK_BENCH_PATTERN_H
#define ZSOCK_BENCH_PATTERN_H

#include <stddef.h>
#include <stdint.h>

enum { PATTERN_P = 65521 }; /* largest prime below 2^16 */

extern unsigned char pattern_table[2 * PATTERN_P];

static inline void pattern_init(void) {
    uint64_t x = 0x9e3779b97f4a7c15ull; /* xorshift64: fixed seed, same pattern every run */
    for (size_t i = 0; i < PATTERN_P; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pattern_table[i] = pattern_table[i + PATTERN_P] = (unsigned char)(x >> 32);
    }
}

/* The connection's starting point in the table (distinct for the first P connections). */
static inline unsigned pattern_seed(unsigned conn_id) {
    return (unsigned)(((uint64_t)conn_id * 7919u) % PATTERN_P);
}

/* Pointer to stream byte `off` of a connection with `seed`; at least PATTERN_P bytes follow. */
static inline const unsigned char *pattern_at(unsigned seed, uint64_t off) {
    return pattern_table + (size_t)((off + seed) % PATTERN_P);
}

#endif
