/* zinc_soak: a long-running mixed load on the public API (every pattern, every transport, peers killed and
 * restarted, TCP connections cut and stalled by a relay) that checks what each pattern promises and watches
 * the hub process's memory and file descriptors. This header is shared by the hub (main.c), the lane drivers
 * (lanes.c), the peers (peer.c), the fault relay (relay.c) and the message format (wire.c).
 *
 * Invariants:
 *   1. Every soak message is [topic byte][header][payload]; the payload bytes are a function of (inc, seq), so
 *      a receiver checks every byte without keeping a copy (wire.c).
 *   2. A lane's counters are written by its driver thread and read by the reporter: all are atomics.
 *   3. A lane's last_event_ns is the time of the last fault on it (peer killed, connection cut); a sequence
 *      gap is excused only when such an event happened after the message before the gap was sent (less a
 *      grace of SOAK_GRACE_NS); any other gap, any reordering or duplicate, any damaged byte is an error. */
#ifndef ZINC_SOAK_H
#define ZINC_SOAK_H

#include <zmq.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SOAK_MAGIC 0x4b414f53u              /* "SOAK" */
#define SOAK_HDR_LEN 29                     /* topic(1) magic(4) inc(4) seq(8) send_ns(8) len(4) */
#define SOAK_MAX_PAYLOAD (70 * 1024)
#define SOAK_MAX_MSG (SOAK_HDR_LEN + SOAK_MAX_PAYLOAD)
#define SOAK_GRACE_NS 2000000000ull         /* invariant 3 */
#define SOAK_STALL_NS 30000000000ull        /* a lane with no progress this long is an error */
#define SOAK_ROUTING_ID "soak-peer"

/* One decoded message header. */
struct soak_hdr {
    char topic;         /* 'S' (subscribed) or 'X' (published but never subscribed) */
    uint32_t inc;       /* sender incarnation: which peer process or thread made it (pub/sub only) */
    uint64_t seq;       /* 1, 2, 3 ... per sender incarnation */
    uint64_t send_ns;   /* CLOCK_MONOTONIC at the sender; the hub's clock for echoed messages */
    uint32_t len;       /* payload bytes */
};

uint64_t soak_now_ns(void);
size_t soak_payload_len(uint64_t seq);
/* Writes the message for (topic, inc, seq) into buf (SOAK_MAX_MSG bytes); returns its length. */
size_t soak_encode(uint8_t *buf, char topic, uint32_t inc, uint64_t seq, uint64_t send_ns);
/* 0 and *h filled if buf holds an intact message, -1 if any byte is wrong. */
int soak_decode(const uint8_t *buf, size_t n, struct soak_hdr *h);
uint64_t soak_rand(uint64_t *state);      /* xorshift, per thread */

enum soak_lane_kind {
    LANE_REQREP,   /* hub REQ (lazy pirate) -> peer REP, peer binds */
    LANE_PIPE,     /* hub PUSH -> peer PULL, peer PUSH -> hub PULL (peer echoes), hub binds both */
    LANE_PAIR,     /* hub PAIR <-> peer PAIR echo, hub binds */
    LANE_ROUTER,   /* hub ROUTER (mandatory, handover) <-> peer DEALER echo, hub binds */
    LANE_SUB,      /* peer PUB -> hub SUB, hub binds */
    LANE_PROXY,    /* peer PUB -> hub XSUB | zmq_proxy | XPUB -> hub SUB over inproc */
};

/* Patterns the report shows a column for. */
enum soak_pattern { PAT_REQREP, PAT_PIPE, PAT_PAIR, PAT_ROUTER, PAT_SUB, PAT_PROXY, PAT_CURVE, PAT_COUNT };

/* Up to four recent publisher incarnations a SUB lane has heard, with the last sequence of each. */
struct soak_incs {
    uint32_t inc[4];
    uint64_t last_seq[4];
    uint64_t last_send_ns[4];
    unsigned next;      /* slot to reuse */
};

struct soak_lane {
    char name[40];                  /* "pipe/tcp+relay" */
    enum soak_lane_kind kind;
    enum soak_pattern pattern;
    char hub_ep[2][160];            /* what the hub binds (or, for REQREP, connects to) */
    char peer_ep[2][160];           /* what the peer connects to (relay port on relay lanes) or binds */
    const char *peer_bin;           /* NULL: the peer is a thread in the hub (inproc) */
    int curve;                      /* REQREP only: CURVE with the keys below */
    char server_public[41];
    char server_secret[41];
    int relay;                      /* TCP connections go through the fault relay */
    int rate;                       /* messages per second the driver aims at */

    pthread_t driver;
    pthread_t local_peer;           /* inproc peer thread */
    pid_t pid;                      /* external peer process, 0 when not running */
    pid_t dying;                    /* killed, not reaped yet (it may still hold a port): no restart before */
    uint64_t kill_at_ns;
    uint64_t restart_at_ns;

    atomic_ullong sent;
    atomic_ullong received;
    atomic_ullong lost;             /* gaps excused by a kill or a cut */
    atomic_ullong late;             /* from a dead connection, after one from the new connection */
    atomic_ullong retries;          /* REQ lazy-pirate resends */
    atomic_ullong restarts;
    atomic_ullong cuts;
    atomic_ullong incarnations;     /* SUB lanes: publishers heard from */
    atomic_ullong errors;
    atomic_ullong last_event_ns;
    atomic_ullong last_progress_ns;
    atomic_int stalled;
    atomic_int bound;               /* the driver has bound hub_ep (and written back the port it got) */
    char first_error[200];          /* written once, under soak_error_lock */
};

/* Shared state of the hub. */
extern atomic_int soak_stop;
extern void *soak_ctx;

void soak_error(struct soak_lane *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *soak_lane_run(void *lane);             /* the driver thread of one lane */
const char *soak_lane_peer_kind(const struct soak_lane *l);   /* the peer role that serves this lane */
void *soak_local_peer_run(void *lane);       /* the inproc peer thread of one lane */
void *soak_proxy_run(void *arg);             /* XSUB/XPUB proxy thread */
int soak_proxy_setup(void *ctx, char *xsub_ep, size_t cap);
void soak_proxy_stop(void);

/* The peer role: `zinc_soak peer KIND EP1 EP2 SECRET RATE INC`; runs until killed or *stop is set. */
int soak_peer_main(int argc, char **argv);
void soak_peer_loop(void *ctx, const char *kind, const char *ep1, const char *ep2, const char *secret,
                    int rate, uint32_t inc, atomic_int *stop);

/* The fault relay: listens on 127.0.0.1, forwards to target_port, cuts and stalls connections. */
int soak_relay_add(struct soak_lane *l, int target_port);   /* returns the relay's listening port */
int soak_relay_start(void);
void soak_relay_stop(void);

#endif
