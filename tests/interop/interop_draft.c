/* The interop steps of libzmq's draft socket types (CLIENT, SERVER, SCATTER, GATHER, CHANNEL, PEER), shared
 * like interop.c by the driver and peer_libzmq. Debian's libzmq 4.3.4 creates these sockets but exports no
 * draft function (zmq_msg_routing_id, zmq_msg_set_routing_id, zmq_connect_peer), so the steps that need
 * one exist only where INTEROP_DRAFT_FUNCS is defined (the driver on zinc); elsewhere they fail at once.
 * Every socket here is thread-safe, which Debian's zmq_poll refuses: only blocking calls with the
 * ZMQ_RCVTIMEO/ZMQ_SNDTIMEO of interop_socket_setup, or ZMQ_DONTWAIT in a loop bounded in time.
 *
 * Scripts (README.md):
 *   SINGLE: single-frame messages of 0, 1, 255, 256, 65536 and 5 MB bytes, then SINGLE_BULK messages k:
 *           k as 4 bytes big-endian then k % 13 fill bytes (any loss or reordering is caught).
 *   CS:     CS_COUNT requests "req-<m>" answered by "rep-<m>" (SERVER replies by the request's routing id).
 *   LB:     SCATTER repeats "lb-sync" until both GATHERs of the other side have one, then sends LB_COUNT
 *           4-byte indices; each index must arrive exactly once, LB_COUNT / 2 at each GATHER.
 *   PEER:   as CS, the connecting PEER sending to the routing id zmq_connect_peer gave it; or SINGLE.
 */
#ifdef INTEROP_DRAFT_FUNCS
#define ZMQ_BUILD_DRAFT_API
#endif
#include "interop.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* The draft socket types, by number, for a zmq.h that hides them (libzmq 4.3 numbering). */
#define DRAFT_SERVER 12
#define DRAFT_CLIENT 13
#define DRAFT_RADIO 14
#define DRAFT_DISH 15
#define DRAFT_GATHER 16
#define DRAFT_SCATTER 17
#define DRAFT_PEER 19
#define DRAFT_CHANNEL 20

#define SINGLE_BULK 20000
#define CS_COUNT 200
#define LB_COUNT 600
#define LB_SYNC_REPEAT_MS 20
#define LB_WAIT_MS 10000

static const size_t single_sizes[] = {0, 1, 255, 256, 65536, 5242880};
#define SINGLE_FIXED (sizeof single_sizes / sizeof single_sizes[0])
#define SINGLE_COUNT (SINGLE_FIXED + SINGLE_BULK)

/* Message m of SINGLE into a malloc'd buffer (*len bytes); byte j of a fixed one is (m*7 + j) % 256. */
static unsigned char *single_msg(unsigned long m, size_t *len)
{
    size_t n = m < SINGLE_FIXED ? single_sizes[m] : 4 + (m - SINGLE_FIXED) % 13;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf)
        abort();
    size_t j = 0;
    if (m >= SINGLE_FIXED) {
        unsigned long k = m - SINGLE_FIXED;
        buf[0] = (unsigned char)(k >> 24);
        buf[1] = (unsigned char)(k >> 16);
        buf[2] = (unsigned char)(k >> 8);
        buf[3] = (unsigned char)k;
        j = 4;
    }
    for (; j < n; j++)
        buf[j] = (unsigned char)((m * 7 + j) & 0xff);
    *len = n;
    return buf;
}

/* Checks frame against message m of SINGLE; says where it differs. */
static int single_check(zmq_msg_t *frame, unsigned long m, const char *what)
{
    size_t len;
    unsigned char *want = single_msg(m, &len);
    size_t size = zmq_msg_size(frame);
    const unsigned char *got = zmq_msg_data(frame);
    int rc = 0;
    if (zmq_msg_more(frame))
        rc = interop_fail("%s %lu: has ZMQ_RCVMORE set on a single-part socket", what, m);
    else if (size != len)
        rc = interop_fail("%s %lu: got %zu bytes, want %zu", what, m, size, len);
    for (size_t j = 0; rc == 0 && j < len; j++)
        if (got[j] != want[j])
            rc = interop_fail("%s %lu byte %zu: got 0x%02x, want 0x%02x", what, m, j, got[j], want[j]);
    free(want);
    return rc;
}

/* Sends msg (and closes it) to routing id `to` unless it is 0. */
static int msg_send_to(void *sock, zmq_msg_t *msg, uint32_t to, const char *what, unsigned long m)
{
    size_t len = zmq_msg_size(msg);
#ifdef INTEROP_DRAFT_FUNCS
    if (to != 0 && zmq_msg_set_routing_id(msg, to) < 0) {
        zmq_msg_close(msg);
        return interop_fail("%s %lu: zmq_msg_set_routing_id: %s", what, m, zmq_strerror(errno));
    }
#else
    if (to != 0) {
        zmq_msg_close(msg);
        return interop_fail("%s %lu: routing ids need the draft API", what, m);
    }
#endif
    if (zmq_msg_send(msg, sock, 0) < 0) {
        int err = errno;
        zmq_msg_close(msg);
        return interop_fail("%s %lu: zmq_msg_send (%zu bytes): %s", what, m, len, zmq_strerror(err));
    }
    return 0;
}

/* Sends message m of SINGLE, to routing id `to` unless it is 0. */
static int single_send(void *sock, unsigned long m, uint32_t to, const char *what)
{
    size_t len;
    unsigned char *data = single_msg(m, &len);
    zmq_msg_t msg;
    zmq_msg_init_size(&msg, len);
    if (len)
        memcpy(zmq_msg_data(&msg), data, len);
    free(data);
    return msg_send_to(sock, &msg, to, what, m);
}

static int recv_frame(void *sock, zmq_msg_t *frame, int flags, const char *what, unsigned long m)
{
    zmq_msg_init(frame);
    if (zmq_msg_recv(frame, sock, flags) >= 0)
        return 0;
    int err = errno;
    zmq_msg_close(frame);
    errno = err;
    if (flags & ZMQ_DONTWAIT && err == EAGAIN)
        return -1;
    return interop_fail("%s %lu: zmq_msg_recv: %s", what, m, zmq_strerror(err));
}

/* ---- SINGLE, one way ------------------------------------------------------------------------------- */

/* The routing id zmq_connect_peer returned to interop_connect (0: none). */
static uint32_t connected_peer_id;

static int single_send_all(void *sock, uint32_t to)
{
    for (unsigned long m = 0; m < SINGLE_COUNT; m++)
        if (single_send(sock, m, to, "single message") < 0)
            return -1;
    return 0;
}

static int step_single_send(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    return single_send_all(sock, 0);
}

static int step_single_recv(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    for (unsigned long m = 0; m < SINGLE_COUNT; m++) {
        zmq_msg_t frame;
        if (recv_frame(sock, &frame, 0, "single message", m) < 0)
            return -1;
        int rc = single_check(&frame, m, "single message");
        zmq_msg_close(&frame);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* PEER: to the peer zmq_connect_peer named (the driver connects with it when its steps have this one). */
static int step_peer_send(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    if (connected_peer_id == 0)
        return interop_fail("peer-send: no routing id from zmq_connect_peer");
    return single_send_all(sock, connected_peer_id);
}

/* ---- CS: CLIENT requests, SERVER replies ------------------------------------------------------------ */

/* Sends text as one frame to routing id `to` unless it is 0. */
static int single_text(void *sock, const char *text, uint32_t to, unsigned long m)
{
    zmq_msg_t msg;
    zmq_msg_init_size(&msg, strlen(text));
    memcpy(zmq_msg_data(&msg), text, strlen(text));
    return msg_send_to(sock, &msg, to, "request", m);
}

static int send_text(void *sock, const char *text, const char *what, unsigned long m)
{
    size_t len = strlen(text);
    if (zmq_send(sock, text, len, 0) != (int)len)
        return interop_fail("%s %lu: zmq_send: %s", what, m, zmq_strerror(errno));
    return 0;
}

static int frame_is(zmq_msg_t *frame, const char *text)
{
    size_t len = strlen(text);
    return zmq_msg_size(frame) == len && memcmp(zmq_msg_data(frame), text, len) == 0 && !zmq_msg_more(frame);
}

static int recv_text(void *sock, const char *text, const char *what, unsigned long m)
{
    zmq_msg_t frame;
    if (recv_frame(sock, &frame, 0, what, m) < 0)
        return -1;
    int ok = frame_is(&frame, text);
    size_t size = zmq_msg_size(&frame);
    zmq_msg_close(&frame);
    if (!ok)
        return interop_fail("%s %lu: got %zu bytes, not \"%s\"", what, m, size, text);
    return 0;
}

/* Requests to routing id `to` (0: none, CLIENT), each answered before the next. */
static int cs_requests(void *sock, uint32_t to)
{
    char text[32];
    for (unsigned long m = 0; m < CS_COUNT; m++) {
        snprintf(text, sizeof text, "req-%lu", m);
        if (single_text(sock, text, to, m) < 0)
            return -1;
        snprintf(text, sizeof text, "rep-%lu", m);
        if (recv_text(sock, text, "reply", m) < 0)
            return -1;
    }
    return 0;
}

static int step_cs_client(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    return cs_requests(sock, 0);
}

/* PEER: the requests go to the peer zmq_connect_peer named. */
static int step_peer_client(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    if (connected_peer_id == 0)
        return interop_fail("peer-client: no routing id from zmq_connect_peer");
    return cs_requests(sock, connected_peer_id);
}

/* Receives request m, replies "rep-m" to its routing id (needs the draft functions: the driver only). */
static int step_cs_server(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
#ifdef INTEROP_DRAFT_FUNCS
    char text[32];
    for (unsigned long m = 0; m < CS_COUNT; m++) {
        zmq_msg_t frame;
        if (recv_frame(sock, &frame, 0, "request", m) < 0)
            return -1;
        snprintf(text, sizeof text, "req-%lu", m);
        int ok = frame_is(&frame, text);
        uint32_t from = zmq_msg_routing_id(&frame);
        zmq_msg_close(&frame);
        if (!ok || from == 0)
            return interop_fail("request %lu: not \"%s\" or routing id %u", m, text, (unsigned)from);
        snprintf(text, sizeof text, "rep-%lu", m);
        zmq_msg_init_size(&frame, strlen(text));
        memcpy(zmq_msg_data(&frame), text, strlen(text));
        if (zmq_msg_set_routing_id(&frame, from) < 0 || zmq_msg_send(&frame, sock, 0) < 0) {
            int err = errno;
            zmq_msg_close(&frame);
            return interop_fail("reply %lu to routing id %u: %s", m, (unsigned)from, zmq_strerror(err));
        }
    }
    return 0;
#else
    (void)sock;
    return interop_fail("cs-server needs the draft API (zmq_msg_routing_id)");
#endif
}

/* ---- LB: one SCATTER load-balancing over two GATHERs ------------------------------------------------ */

static int step_lb_scatter(void *sock, struct interop_ctl *ctl)
{
    long long deadline = interop_now_ms() + LB_WAIT_MS;
    char line[256];
    for (;;) {
        if (interop_now_ms() >= deadline)
            return interop_fail("the gatherers never confirmed \"SYNCED LB\" within %d ms", LB_WAIT_MS);
        if (send_text(sock, "lb-sync", "sync", 0) < 0)
            return -1;
        int rc = interop_ctl_read(ctl, line, sizeof line, LB_SYNC_REPEAT_MS);
        if (rc < 0)
            return interop_fail("control channel closed while waiting for \"SYNCED LB\"");
        if (rc == 1 && strcmp(line, "SYNCED LB") == 0)
            break;
        if (rc == 1)
            return interop_fail("waiting for \"SYNCED LB\", the other side said \"%s\"", line);
    }
    for (unsigned long i = 0; i < LB_COUNT; i++) {
        unsigned char idx[4] = {(unsigned char)(i >> 24), (unsigned char)(i >> 16), (unsigned char)(i >> 8),
                                (unsigned char)i};
        if (zmq_send(sock, idx, 4, 0) != 4)
            return interop_fail("lb message %lu: zmq_send: %s", i, zmq_strerror(errno));
    }
    return 0;
}

struct lb_side {
    void *sock;
    int synced;         /* an "lb-sync" came in */
    unsigned count;     /* indices received */
};

/* One non-blocking read on a gatherer. 1: something was read; 0: nothing; -1: a failure. */
static int lb_poll(struct lb_side *g, unsigned char *seen, unsigned *total, int which)
{
    zmq_msg_t frame;
    if (recv_frame(g->sock, &frame, ZMQ_DONTWAIT, "lb message at gatherer", (unsigned long)which) < 0)
        return errno == EAGAIN ? 0 : -1;
    int rc = 1;
    if (frame_is(&frame, "lb-sync")) {
        if (g->count > 0)   /* each pipe is FIFO: its syncs all come before its indices */
            rc = interop_fail("gatherer %d: lb-sync after its indices began", which);
        g->synced = 1;
    } else if (zmq_msg_size(&frame) != 4 || zmq_msg_more(&frame)) {
        rc = interop_fail("gatherer %d: a %zu-byte message, not a 4-byte index", which, zmq_msg_size(&frame));
    } else {
        const unsigned char *d = zmq_msg_data(&frame);
        unsigned long i = (unsigned long)d[0] << 24 | (unsigned long)d[1] << 16 | (unsigned long)d[2] << 8 | d[3];
        if (i >= LB_COUNT || seen[i])
            rc = interop_fail("gatherer %d: index %lu out of range or seen twice", which, i);
        else {
            seen[i] = 1;
            g->count++;
            (*total)++;
        }
    }
    zmq_msg_close(&frame);
    return rc;
}

/* Both gatherers read until LB_COUNT indices are in, bounded in time. */
static int lb_gather(struct lb_side g[2], struct interop_ctl *ctl)
{
    unsigned char seen[LB_COUNT] = {0};
    unsigned total = 0;
    int confirmed = 0;
    long long deadline = interop_now_ms() + LB_WAIT_MS;
    while (total < LB_COUNT) {
        if (interop_now_ms() >= deadline)
            return interop_fail("after %d ms: %u of %d indices (%u + %u), synced %d/%d", LB_WAIT_MS, total,
                                LB_COUNT, g[0].count, g[1].count, g[0].synced, g[1].synced);
        int a = lb_poll(&g[0], seen, &total, 0);
        int b = lb_poll(&g[1], seen, &total, 1);
        if (a < 0 || b < 0)
            return -1;
        if (!confirmed && g[0].synced && g[1].synced) {
            if (interop_ctl_send(ctl, "SYNCED LB") < 0)
                return -1;
            confirmed = 1;
        }
        if (a == 0 && b == 0) {
            struct timespec nap = {0, 1000000};
            nanosleep(&nap, NULL);
        }
    }
    if (g[0].count != LB_COUNT / 2 || g[1].count != LB_COUNT / 2)
        return interop_fail("indices split %u + %u, not round-robin %d + %d", g[0].count, g[1].count,
                            LB_COUNT / 2, LB_COUNT / 2);
    return 0;
}

/* sock is the first GATHER, connected; the second, in a context of its own, connects where it did. */
static int step_lb_gather(void *sock, struct interop_ctl *ctl)
{
    char endpoint[512];
    size_t len = sizeof endpoint;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, endpoint, &len) < 0 || endpoint[0] == '\0')
        return interop_fail("lb-gather: no ZMQ_LAST_ENDPOINT on the first gatherer");
    int rc = -1;
    void *ctx = zmq_ctx_new();
    void *second = zmq_socket(ctx, DRAFT_GATHER);
    if (!second) {
        interop_fail("lb-gather: zmq_socket(GATHER): %s", zmq_strerror(errno));
        goto term;
    }
    if (zmq_connect(second, endpoint) < 0) {
        interop_fail("lb-gather: zmq_connect(%s): %s", endpoint, zmq_strerror(errno));
        goto close;
    }
    struct lb_side g[2] = {{.sock = sock}, {.sock = second}};
    rc = lb_gather(g, ctl);
close:;
    int linger = 0;
    zmq_setsockopt(second, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(second);
term:
    zmq_ctx_term(ctx);
    return rc;
}

/* ---- the table -------------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*run)(void *sock, struct interop_ctl *ctl);
} draft_steps[] = {
    {"single-send", step_single_send}, {"single-recv", step_single_recv}, {"peer-send", step_peer_send},
    {"cs-client", step_cs_client},     {"cs-server", step_cs_server},     {"peer-client", step_peer_client},
    {"lb-scatter", step_lb_scatter},   {"lb-gather", step_lb_gather},
};

interop_step_fn interop_draft_step(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof draft_steps / sizeof draft_steps[0]; i++)
        if (strlen(draft_steps[i].name) == len && memcmp(draft_steps[i].name, name, len) == 0)
            return draft_steps[i].run;
    return NULL;
}

int interop_draft_socket_type(const char *name)
{
    static const struct {
        const char *name;
        int type;
    } types[] = {
        {"SERVER", DRAFT_SERVER}, {"CLIENT", DRAFT_CLIENT}, {"RADIO", DRAFT_RADIO},  {"DISH", DRAFT_DISH},
        {"GATHER", DRAFT_GATHER}, {"SCATTER", DRAFT_SCATTER}, {"PEER", DRAFT_PEER}, {"CHANNEL", DRAFT_CHANNEL},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, name) == 0)
            return types[i].type;
    return -1;
}

int interop_connect(void *sock, const char *endpoint, const char *steps)
{
    if (!strstr(steps, "peer-send") && !strstr(steps, "peer-client"))
        return zmq_connect(sock, endpoint);
#ifdef INTEROP_DRAFT_FUNCS
    connected_peer_id = zmq_connect_peer(sock, endpoint);
    return connected_peer_id == 0 ? -1 : 0;
#else
    errno = ENOTSUP;
    return -1;
#endif
}
