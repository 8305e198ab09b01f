/* The benchmark harness shared by thr, lat, fanout, router and the raw-socket floors raw_lat and raw_thr:
 * argument parsing, a hard time limit, running the two ends of a benchmark as two processes (each with its
 * own context, like real deployments) or as two threads, and what the run cost (context switches, CPU).
 * bench.c uses no ZeroMQ; bench_zmq.c holds the calls that do, written only against <zmq.h>, so the same
 * source builds against zinc and libzmq. */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

/* What every benchmark program takes on its command line:
 *   prog [-t seconds] [-m fork|thread] [-s null|curve] [-S send|msg] [-p dealer|client] transport size count
 *        [extra]  */
struct bench_args {
    const char *prog;      /* program name, first word of every output line */
    const char *transport; /* "tcp", "ipc" or "inproc" */
    size_t size;           /* message size in bytes, 1 .. 65536 */
    long count;            /* messages, round trips or requests: each program says which */
    long extra;            /* program-specific 4th argument (subscribers, dealers); -1 when absent */
    unsigned timeout;      /* seconds before the run gives up and fails */
    int use_threads;       /* 1: both ends in one process; always so for inproc */
    int curve;             /* -s curve: the connection is CURVE (RFC 26) instead of NULL */
    int send_msg;          /* -S msg: send with zmq_msg_init_size + zmq_msg_send, not zmq_send (thr) */
    int max_sockets;       /* > 0: ZMQ_MAX_SOCKETS for every context the harness creates */
    int wait_poll;         /* -w poll (raw_lat): wait in poll() on the socket and an eventfd before each read,
                            * as a library that must also hear its own commands does; -w block: recv() */
    int client_server;     /* -p client (csthr, cslat): CLIENT/SERVER; -p dealer (default): DEALER/ROUTER */
    int radio_dish;        /* -P radio (fanout): RADIO/DISH with one group instead of PUB/SUB (draft API:
                            * zinc only; a libzmq built without it skips); -P pubsub: PUB/SUB */
};

/* Exit status of a program that cannot run this configuration here (bench_skip); bench/run shows the
 * reason instead of a failure. */
#define BENCH_EXIT_SKIP 77

/* Applies the run's security to a socket: with -s curve, the binding end is the CURVE server and the
 * connecting end its client (fixed benchmark keys). Nothing for NULL. */
void bench_secure(void *sock, const struct bench_args *args, int server);

#define BENCH_MAX_SIZE 65536

/* One end of the benchmark. The parent end binds and passes its endpoint to the child end over the
 * control pipes, which also carry whatever else the two ends need to agree on outside ZeroMQ. */
struct bench_end {
    const struct bench_args *args;
    void *ctx;   /* this end's context (shared by both ends for inproc) */
    int ctl_in;  /* read end of the pipe from the other end */
    int ctl_out; /* write end of the pipe to the other end */
    void *user;  /* the program's own data */
};

typedef int (*bench_end_fn)(struct bench_end *end);

/* Parse argv. about: one line on what the program measures and what count counts; extra_name names the
 * optional 4th argument (NULL when there is none). Prints usage and exits on bad arguments. */
void bench_parse(struct bench_args *args, int argc, char **argv, const char *about, const char *extra_name,
                 long extra_default);

/* How the harness makes and ends each end's context. */
struct bench_ctx_ops {
    void *(*create)(const struct bench_args *args);
    void (*destroy)(void *ctx);
};

/* Run parent_fn and child_fn as the two ends, each with a context from ctx_ops (NULL: none, end->ctx is
 * NULL), then destroy the contexts. Arms the time limit first. When both ends succeed, prints a second line
 *   <prog> usage vcsw=.. ivcsw=.. cpu_s=.. vcsw_per_msg=.. ivcsw_per_msg=.. cpu_us_per_msg=..
 * (getrusage, both processes summed in fork mode, the one process in thread mode; per count unit).
 * Returns the process exit status: 0 when both ends returned 0. */
int bench_run_ends(const struct bench_args *args, const struct bench_ctx_ops *ctx_ops, bench_end_fn parent_fn,
                   bench_end_fn child_fn, void *user);
/* bench_run_ends with ZeroMQ contexts (bench_zmq.c). */
int bench_run(const struct bench_args *args, bench_end_fn parent_fn, bench_end_fn child_fn, void *user);

/* Start this end's usage window now instead of at the start of its function (leaves connection set-up and
 * warm-up out). Fork mode only: in thread mode the one process is counted from start to end. */
void bench_usage_mark(struct bench_end *end);
/* End this end's usage window now instead of at the return of its function (leaves closing out: freeing a
 * million subscriptions is not the cost of a message). Fork mode only, like bench_usage_mark. */
void bench_usage_stop(struct bench_end *end);

/* Raise RLIMIT_NOFILE to its hard limit (programs with thousands of connections); returns the limit now in
 * force, capped at 1,000,000. */
long bench_raise_fd_limit(void);

/* A fresh endpoint to bind on this transport (tcp: a free loopback port; ipc: a path in /tmp). */
void bench_endpoint(const struct bench_args *args, int index, char *buf, size_t len);

/* Control pipe: whole-buffer write and read; a short read (the other end died) is fatal. */
void bench_ctl_write(int fd, const void *buf, size_t len);
void bench_ctl_read(int fd, void *buf, size_t len);
/* 1 when a read on fd would not block, within timeout_ms. */
int bench_ctl_ready(int fd, int timeout_ms);
void bench_send_endpoint(struct bench_end *end, const char *endpoint);
void bench_recv_endpoint(struct bench_end *end, char *buf, size_t len);

/* Fail the whole run: print "error: <what>: <zmq_strerror(errno)>" and exit the process. */
void bench_fail(const char *what, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Print "skip: <why>" and exit BENCH_EXIT_SKIP: this configuration cannot run on this machine. */
void bench_skip(const char *why, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* bench_fail unless rc != -1 (bench_zmq.c). */
void bench_check(int rc, const char *what, ...) __attribute__((format(printf, 2, 3)));

/* Blocking send and receive that retry on EINTR (the harness's SIGCHLD may interrupt them). */
int bench_msg_recv(void *msg, void *socket, int flags);
int bench_msg_send(void *msg, void *socket, int flags);
int bench_send(void *socket, const void *buf, size_t len, int flags);

/* Close a socket with ZMQ_LINGER 0. The ends never count on linger to deliver their last messages (it
 * does not promise that): whoever sends last waits on the control pipe until the other end has them. */
void bench_close(void *socket);

/* Bind socket to the run's endpoint (bench_endpoint index 0) and tell the other end where it is. */
void bench_bind_announce(struct bench_end *end, void *socket);

/* Write seq into the first min(size, 8) bytes of buf; check that data carries it. The receiving ends check
 * every message, so an implementation that loses, repeats or reorders messages fails instead of winning. */
void bench_stamp(void *buf, size_t size, uint64_t seq);
int bench_stamp_ok(const void *data, size_t size, uint64_t seq);

/* How far this end has got (messages, round trips, ...): a timeout prints it. -1: not shown. */
extern volatile long bench_progress;

/* Round trips before a latency benchmark starts its clock: count / 10, within 10 .. 1000. */
long bench_latency_warmup(const struct bench_args *args);
/* Sort count round-trip times (ns) and print the latency result line: median_us, p99_us, mean, min, max. */
void bench_latency_report(const struct bench_args *args, uint64_t *samples);

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);

#endif
