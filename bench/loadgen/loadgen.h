/* bench/loadgen/loadgen.h - the load generator's options, counters and report (loadgen_report.c).
 */
#ifndef ZSOCK_BENCH_LOADGEN_H
#define ZSOCK_BENCH_LOADGEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "histogram.h"

struct lg_options {
    int port;
    unsigned connections, size, depth, threads;
    uint64_t count; /* messages per connection; 0 = run for the duration */
    double duration_s, warmup_s, drain_s, connect_timeout_s;
    pid_t server_pid; /* 0 = do not measure server CPU */
    pid_t pace_pid;   /* 0 = send at once; else wait for this process to sleep before a send */
    const char *label;
};

struct lg_counts {
    uint64_t window_msgs, total_msgs;
    uint64_t mismatched_msgs, mismatched_bytes, extra_bytes;
    uint64_t short_msgs, short_bytes;
    uint64_t dropped, connect_failures;
    uint64_t last_completion_ns;
    uint64_t pace_timeouts; /* --pace-on: sends that went out before the server was seen asleep */
    char first_error[200];
};

/* How evenly the server served the connections: messages each one completed in the window
 * (with --count and no warm-up, over the whole run), fewest, median and most. A fair server keeps
 * them close; one that serves a hot few leaves others waiting, which is where a long latency tail
 * comes from. */
struct lg_spread {
    uint64_t min, p50, max;
    int ok; /* 0: no connection to report */
};

/* CPU time of a process (all its threads), from /proc/PID/stat, in seconds. */
struct lg_cpu {
    double user_s, sys_s;
    int ok;
};

/* Parses the command line into *o (with defaults). Returns 0, or prints why and returns -1. */
int lg_parse_options(int argc, char **argv, struct lg_options *o);
/* Raises RLIMIT_NOFILE so that `need` descriptors fit, when the hard limit allows. */
void lg_raise_nofile(unsigned need);
void lg_sleep_until(uint64_t monotonic_ns);
void lg_read_cpu(pid_t pid, struct lg_cpu *out);
/* Waits until process pid is asleep (state S or D in /proc/PID/stat: blocked in a system call),
 * polling every 20 us, for at most max_ns. Returns 1 when it was seen asleep, 0 on the timeout,
 * -1 when the process is gone. */
int lg_wait_asleep(pid_t pid, uint64_t max_ns);
void lg_counts_add(struct lg_counts *into, const struct lg_counts *from);
/* True when every byte came back right and no connection failed. */
int lg_counts_ok(const struct lg_counts *c);
/* Fills *out from the per-connection message counts msgs[0..n) (sorts them in place). */
void lg_spread_of(uint64_t *msgs, size_t n, struct lg_spread *out);
/* Prints the run as one JSON line on stdout. spread NULL = no per-connection figures; cpu0 NULL =
 * no server CPU figures. */
void lg_print_json(const struct lg_options *o, const struct lg_counts *c, const struct histogram *h,
                   const struct lg_spread *spread, double window_s, const struct lg_cpu *cpu0,
                   const struct lg_cpu *cpu1);

#endif
