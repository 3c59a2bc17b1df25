/* bench/loadgen/loadgen_report.c - the load generator's command line, server CPU sampling and
 * JSON report. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

static void usage(const char *argv0) {
    printf("usage: %s --port N [options]\n"
           "  --port N             echo server on 127.0.0.1:N (required)\n"
           "  --connections N      connections (default 16)\n"
           "  --size BYTES         message size (default 64)\n"
           "  --depth D            messages in flight per connection (default 1 = ping-pong)\n"
           "  --duration S         measured window in seconds (default 5)\n"
           "  --warmup S           seconds of load before the window (default 0)\n"
           "  --count M            send exactly M messages per connection, then stop\n"
           "  --threads T          load threads (default 1)\n"
           "  --drain S            after the window, give up when no answer came for S seconds "
           "(default 2)\n"
           "  --connect-timeout S  (default 5)\n"
           "  --server-pid PID     also report the server's CPU time per message\n"
           "  --pace-on PID        before each send, wait (up to 100 ms) until process PID is\n"
           "                       asleep, so that a slowed server (valgrind) blocks in its wait\n"
           "                       on every message, as it does at full speed; for counted runs\n"
           "  --label TEXT         copied into the JSON line\n"
           "Prints one JSON line. Exit 0: every byte verified; 1: errors found; 2: bad usage.\n",
           argv0);
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || !end || *end || *s == '-' || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static int parse_secs(const char *s, double *out) {
    char *end = NULL;
    double v = strtod(s, &end);
    if (!end || *end || !(v >= 0) || v > 86400) return -1;
    *out = v;
    return 0;
}

int lg_parse_options(int argc, char **argv, struct lg_options *o) {
    memset(o, 0, sizeof *o);
    o->connections = 16;
    o->size = 64;
    o->depth = 1;
    o->threads = 1;
    o->duration_s = 5;
    o->drain_s = 2;
    o->connect_timeout_s = 5;
    o->label = "";
    int have_port = 0, have_duration = 0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(argv[0]);
            exit(0);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "%s: '%s' needs a value or is unknown (try --help)\n", argv[0], a);
            return -1;
        }
        const char *v = argv[++i];
        uint64_t u = 0;
        int bad = 0;
        if (strcmp(a, "--port") == 0) {
            bad = parse_u64(v, 1, 65535, &u);
            o->port = (int)u;
            have_port = 1;
        } else if (strcmp(a, "--connections") == 0) {
            bad = parse_u64(v, 1, 1000000, &u);
            o->connections = (unsigned)u;
        } else if (strcmp(a, "--size") == 0) {
            bad = parse_u64(v, 1, 64u << 20, &u);
            o->size = (unsigned)u;
        } else if (strcmp(a, "--depth") == 0) {
            bad = parse_u64(v, 1, 4096, &u);
            o->depth = (unsigned)u;
        } else if (strcmp(a, "--threads") == 0) {
            bad = parse_u64(v, 1, 256, &u);
            o->threads = (unsigned)u;
        } else if (strcmp(a, "--count") == 0) {
            bad = parse_u64(v, 1, UINT64_MAX / 2, &o->count);
        } else if (strcmp(a, "--duration") == 0) {
            bad = parse_secs(v, &o->duration_s);
            have_duration = 1;
        } else if (strcmp(a, "--warmup") == 0) {
            bad = parse_secs(v, &o->warmup_s);
        } else if (strcmp(a, "--drain") == 0) {
            bad = parse_secs(v, &o->drain_s);
        } else if (strcmp(a, "--connect-timeout") == 0) {
            bad = parse_secs(v, &o->connect_timeout_s);
        } else if (strcmp(a, "--server-pid") == 0) {
            bad = parse_u64(v, 1, 1u << 30, &u);
            o->server_pid = (pid_t)u;
        } else if (strcmp(a, "--pace-on") == 0) {
            bad = parse_u64(v, 1, 1u << 30, &u);
            o->pace_pid = (pid_t)u;
        } else if (strcmp(a, "--label") == 0) {
            o->label = v;
        } else {
            fprintf(stderr, "%s: unknown option '%s' (try --help)\n", argv[0], a);
            return -1;
        }
        if (bad) {
            fprintf(stderr, "%s: bad value '%s' for %s\n", argv[0], v, a);
            return -1;
        }
    }
    if (!have_port) {
        fprintf(stderr, "%s: --port is required (try --help)\n", argv[0]);
        return -1;
    }
    if (o->count && !have_duration) o->duration_s = 60; /* --count runs stay bounded */
    if (o->threads > o->connections) o->threads = o->connections;
    return 0;
}

void lg_raise_nofile(unsigned need) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need) return;
    rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
    setrlimit(RLIMIT_NOFILE, &rl);
}

void lg_sleep_until(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

/* Reads /proc/PID/stat into buf; returns the fields after the command name (from field 3, the
 * state), or NULL when the process is gone. The name may hold spaces and parentheses, so the
 * fields restart after the last ')'. */
static const char *proc_stat_fields(pid_t pid, char *buf, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p + 2 : NULL;
}

/* The state letter of a process (field 3 of /proc/PID/stat), or 0 when it cannot be read. */
static char process_state(pid_t pid) {
    char buf[512];
    const char *fields = proc_stat_fields(pid, buf, sizeof buf);
    return fields ? fields[0] : 0;
}

int lg_wait_asleep(pid_t pid, uint64_t max_ns) {
    struct timespec start, now, pause = {0, 20000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        char st = process_state(pid);
        if (st == 0) return -1;
        if (st == 'S' || st == 'D') return 1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t spent = (uint64_t)(now.tv_sec - start.tv_sec) * 1000000000ull +
                         (uint64_t)(now.tv_nsec - start.tv_nsec);
        if (spent >= max_ns) return 0;
        nanosleep(&pause, NULL);
    }
}

void lg_read_cpu(pid_t pid, struct lg_cpu *out) {
    memset(out, 0, sizeof *out);
    char buf[1024];
    const char *fields = proc_stat_fields(pid, buf, sizeof buf);
    if (!fields) return;
    unsigned long long utime = 0, stime = 0;
    /* fields 3..13 skipped, then 14 utime and 15 stime */
    if (sscanf(fields, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) !=
        2)
        return;
    double hz = (double)sysconf(_SC_CLK_TCK);
    out->user_s = (double)utime / hz;
    out->sys_s = (double)stime / hz;
    out->ok = 1;
}

void lg_counts_add(struct lg_counts *a, const struct lg_counts *b) {
    a->window_msgs += b->window_msgs;
    a->total_msgs += b->total_msgs;
    a->mismatched_msgs += b->mismatched_msgs;
    a->mismatched_bytes += b->mismatched_bytes;
    a->extra_bytes += b->extra_bytes;
    a->short_msgs += b->short_msgs;
    a->short_bytes += b->short_bytes;
    a->dropped += b->dropped;
    a->connect_failures += b->connect_failures;
    a->pace_timeouts += b->pace_timeouts;
    if (b->last_completion_ns > a->last_completion_ns)
        a->last_completion_ns = b->last_completion_ns;
    if (!a->first_error[0] && b->first_error[0])
        memcpy(a->first_error, b->first_error, sizeof a->first_error);
}

int lg_counts_ok(const struct lg_counts *c) {
    return !c->mismatched_bytes && !c->extra_bytes && !c->short_msgs && !c->dropped &&
           !c->connect_failures && c->total_msgs > 0;
}

static void json_string(const char *s) {
    putchar('"');
    for (; *s; ++s) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void lg_spread_of(uint64_t *msgs, size_t n, struct lg_spread *out) {
    memset(out, 0, sizeof *out);
    if (n == 0) return;
    qsort(msgs, n, sizeof *msgs, cmp_u64);
    out->min = msgs[0];
    out->p50 = msgs[n / 2];
    out->max = msgs[n - 1];
    out->ok = 1;
}

void lg_print_json(const struct lg_options *o, const struct lg_counts *c, const struct histogram *h,
                   const struct lg_spread *spread, double window_s, const struct lg_cpu *cpu0,
                   const struct lg_cpu *cpu1) {
    double rate = window_s > 0 ? (double)c->window_msgs / window_s : 0;
    printf("{\"label\":");
    json_string(o->label);
    printf(",\"connections\":%u,\"size\":%u,\"depth\":%u,\"threads\":%u,\"count\":%" PRIu64
           ",\"window_s\":%.6f,\"messages\":%" PRIu64 ",\"total_messages\":%" PRIu64
           ",\"msgs_per_s\":%.1f,\"mbytes_per_s\":%.3f",
           o->connections, o->size, o->depth, o->threads, o->count, window_s, c->window_msgs,
           c->total_msgs, rate, rate * o->size / 1e6);
    printf(",\"latency_us\":{\"p50\":%.2f,\"p99\":%.2f,\"p999\":%.2f,\"max\":%.2f}",
           hist_quantile(h, 0.50) / 1e3, hist_quantile(h, 0.99) / 1e3,
           hist_quantile(h, 0.999) / 1e3, h->max / 1e3);
    if (spread && spread->ok)
        printf(",\"per_connection_msgs\":{\"min\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"max\":%" PRIu64
               "}",
               spread->min, spread->p50, spread->max);
    if (cpu0 && cpu0->ok && cpu1->ok) {
        double user = cpu1->user_s - cpu0->user_s, sys = cpu1->sys_s - cpu0->sys_s;
        double per = c->window_msgs ? (user + sys) / (double)c->window_msgs * 1e6 : 0;
        printf(",\"server_cpu\":{\"user_s\":%.3f,\"sys_s\":%.3f,\"us_per_msg\":%.4f,"
               "\"utilisation\":%.3f}",
               user, sys, per, window_s > 0 ? (user + sys) / window_s : 0);
    }
    printf(",\"errors\":{\"mismatched_messages\":%" PRIu64 ",\"mismatched_bytes\":%" PRIu64
           ",\"extra_bytes\":%" PRIu64 ",\"short_answers\":%" PRIu64 ",\"missing_bytes\":%" PRIu64
           ",\"dropped_connections\":%" PRIu64 ",\"connect_failures\":%" PRIu64 "}",
           c->mismatched_msgs, c->mismatched_bytes, c->extra_bytes, c->short_msgs, c->short_bytes,
           c->dropped, c->connect_failures);
    if (o->pace_pid > 0) printf(",\"pace_timeouts\":%" PRIu64, c->pace_timeouts);
    printf(",\"ok\":%s,\"first_error\":", lg_counts_ok(c) ? "true" : "false");
    json_string(c->first_error);
    printf("}\n");
    fflush(stdout);
}
