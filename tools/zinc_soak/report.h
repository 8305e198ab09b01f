/* zinc_soak's reporter: options, samples of the hub's own resources, the periodic rows and the verdict. */
#ifndef ZINC_SOAK_REPORT_H
#define ZINC_SOAK_REPORT_H

#include "soak.h"

#include <signal.h>

struct soak_options {
    int duration;              /* seconds */
    int interval;              /* seconds between rows */
    int rate;                  /* messages per second per lane */
    int mem_check;             /* 1 on, 0 off, -1: on for runs of 300 s or more */
    const char *libzmq_peer;   /* the peer built against libzmq, or NULL */
};

/* The hub's resources at one moment. */
struct soak_sample {
    double t;                  /* seconds since the run started */
    long rss_kb;               /* VmRSS */
    long heap_kb;              /* mallinfo2().uordblks, 0 when the allocator does not say (sanitizers) */
    int fds;                   /* entries in /proc/self/fd */
    int threads;               /* Threads: in /proc/self/status */
};

int soak_parse_options(int argc, char **argv, struct soak_options *o);
void soak_sample_take(struct soak_sample *s);
/* Prints a row every interval until the duration is over or a signal in *stop arrives; 0 normally. */
int soak_report_run(const struct soak_options *o, struct soak_lane *lanes, int n, const sigset_t *stop);
/* Prints the per-lane table and the checks; non-zero if any failed. */
int soak_report_summary(const struct soak_options *o, struct soak_lane *lanes, int n,
                        const struct soak_sample *before, const struct soak_sample *after);

#endif
