/* zinc_soak's lane drivers: one thread per lane drives the hub's end of one pattern over one transport and
 * checks what that pattern promises (soak.h invariant 3):
 *   REQREP          every request gets its own reply: lazy pirate (1 s timeout, close, reopen, resend);
 *                   a request that is never answered after SOAK_REQ_TRIES sends is an error.
 *   PIPE PAIR ROUTER the hub numbers what it sends and the peer echoes it; replies must come back intact and
 *                   in order; gaps are allowed only around a kill or a cut (counted as lost); a message from
 *                   a dead connection may arrive after one from the new connection (counted as late).
 *   SUB PROXY       per publisher incarnation, consecutive after the first message heard; nothing on the
 *                   unsubscribed topic; intact.
 * Every lane must make progress: none for SOAK_STALL_NS is an error (the reporter checks that). */
#include "soak.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOAK_WINDOW 100           /* echo lanes: messages in flight */
#define SOAK_PROBE_NS 500000000ull
#define SOAK_REQ_TIMEOUT_MS 1000
#define SOAK_REQ_TRIES 30

/* Sends at most `rate` a second, without catching up more than 100 ms after a pause. */
struct pacer {
    uint64_t next_due;
    uint64_t step;
};

static void pacer_init(struct pacer *p, int rate)
{
    p->next_due = soak_now_ns();
    p->step = 1000000000ull / (uint64_t)(rate > 0 ? rate : 1);
}

/* Milliseconds until the next send is due (0: now). */
static int pacer_wait_ms(const struct pacer *p, uint64_t now)
{
    return now >= p->next_due ? 0 : (int)((p->next_due - now) / 1000000 + 1);
}

static void pacer_sent(struct pacer *p, uint64_t now)
{
    if (p->next_due + 100000000ull < now)
        p->next_due = now - 100000000ull;
    p->next_due += p->step;
}

static void *lane_socket(struct soak_lane *l, int type, int hwm)
{
    void *s = zmq_socket(soak_ctx, type);
    if (!s) {
        soak_error(l, "zmq_socket(%d): %s", type, zmq_strerror(errno));
        return NULL;
    }
    int zero = 0, timeout = SOAK_REQ_TIMEOUT_MS;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    return s;
}

/* Binds ep (one of l->hub_ep) and writes back the endpoint it got, for "tcp://...:*". */
static int lane_bind(struct soak_lane *l, void *s, char *ep)
{
    if (zmq_bind(s, ep) == 0) {
        size_t len = sizeof l->hub_ep[0];
        if (strstr(ep, ":*"))
            zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len);
        return 0;
    }
    soak_error(l, "bind %s: %s", ep, zmq_strerror(errno));
    return -1;
}

/* Sequence rule of invariant 3 for one stream (an echo lane, or one publisher incarnation). */
static void lane_check_seq(struct soak_lane *l, const struct soak_hdr *h, uint64_t *last, uint64_t *last_send_ns)
{
    uint64_t event = atomic_load(&l->last_event_ns);
    if (h->seq <= *last) {
        if (event + SOAK_GRACE_NS >= h->send_ns && h->seq < *last)
            atomic_fetch_add(&l->late, 1);
        else
            soak_error(l, "seq %llu after %llu (duplicate or out of order)", (unsigned long long)h->seq,
                       (unsigned long long)*last);
        return;
    }
    if (h->seq > *last + 1) {
        uint64_t gap = h->seq - *last - 1;
        if (event + SOAK_GRACE_NS >= *last_send_ns)
            atomic_fetch_add(&l->lost, gap);
        else
            soak_error(l, "%llu lost after seq %llu with no kill or cut since", (unsigned long long)gap,
                       (unsigned long long)*last);
    }
    *last = h->seq;
    *last_send_ns = h->send_ns;
    atomic_fetch_add(&l->received, 1);
    atomic_store(&l->last_progress_ns, soak_now_ns());
}

static int lane_decode(struct soak_lane *l, zmq_msg_t *m, struct soak_hdr *h)
{
    if (soak_decode(zmq_msg_data(m), zmq_msg_size(m), h) == 0)
        return 0;
    soak_error(l, "damaged message of %zu bytes", zmq_msg_size(m));
    return -1;
}

/* ---- echo lanes: PIPE, PAIR, ROUTER --------------------------------------------------------------------- */

struct echo {
    void *out;                /* where the hub sends */
    void *in;                 /* where the echo comes back (the same socket but for PIPE) */
    int router;               /* frames carry the routing id */
    uint64_t next_seq;
    uint64_t last_seq;        /* highest sequence echoed back */
    uint64_t last_send_ns;    /* its send time */
    uint64_t last_recv_ns;
    uint64_t last_probe_ns;
    uint8_t *buf;
};

static int echo_send(struct soak_lane *l, struct echo *e, uint64_t now)
{
    size_t len = soak_encode(e->buf, 'S', 0, e->next_seq, now);
    if (e->router &&
        zmq_send(e->out, SOAK_ROUTING_ID, strlen(SOAK_ROUTING_ID), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        if (errno != EAGAIN && errno != EHOSTUNREACH && errno != ETERM)
            soak_error(l, "send routing id: %s", zmq_strerror(errno));
        return -1;
    }
    if (zmq_send(e->out, e->buf, len, ZMQ_DONTWAIT) < 0) {
        if (e->router || (errno != EAGAIN && errno != ETERM))
            soak_error(l, "send: %s", zmq_strerror(errno));
        return -1;
    }
    e->next_seq++;
    atomic_fetch_add(&l->sent, 1);
    return 0;
}

static void echo_recv_one(struct soak_lane *l, struct echo *e, zmq_msg_t *m)
{
    if (e->router) {
        size_t n = zmq_msg_size(m);
        if (n != strlen(SOAK_ROUTING_ID) || memcmp(zmq_msg_data(m), SOAK_ROUTING_ID, n) || !zmq_msg_more(m)) {
            soak_error(l, "bad routing frame (%zu bytes)", zmq_msg_size(m));
            return;
        }
        if (zmq_msg_recv(m, e->in, 0) < 0)
            return;
    }
    struct soak_hdr h;
    if (zmq_msg_more(m)) {
        soak_error(l, "unexpected more frames");
        return;
    }
    if (lane_decode(l, m, &h) == 0)
        lane_check_seq(l, &h, &e->last_seq, &e->last_send_ns);
    e->last_recv_ns = soak_now_ns();
}

static void echo_drain(struct soak_lane *l, struct echo *e)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    for (int n = 0; n < 200 && zmq_msg_recv(&m, e->in, ZMQ_DONTWAIT) >= 0; n++)
        echo_recv_one(l, e, &m);
    zmq_msg_close(&m);
}

static void echo_lane(struct soak_lane *l)
{
    struct echo e = {.next_seq = 1, .router = l->kind == LANE_ROUTER};
    e.buf = malloc(SOAK_MAX_MSG);
    int type = l->kind == LANE_PIPE ? ZMQ_PUSH : l->kind == LANE_PAIR ? ZMQ_PAIR : ZMQ_ROUTER;
    e.out = lane_socket(l, type, 1000);
    e.in = l->kind == LANE_PIPE ? lane_socket(l, ZMQ_PULL, 1000) : e.out;
    if (!e.buf || !e.out || !e.in)
        goto out;
    if (e.router) {
        int one = 1;
        zmq_setsockopt(e.out, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
        zmq_setsockopt(e.out, ZMQ_ROUTER_HANDOVER, &one, sizeof one);
    }
    if (lane_bind(l, e.out, l->hub_ep[0]) || (l->kind == LANE_PIPE && lane_bind(l, e.in, l->hub_ep[1])))
        goto out;
    atomic_store(&l->bound, 1);
    struct pacer p;
    pacer_init(&p, l->rate);
    e.last_send_ns = e.last_recv_ns = soak_now_ns();
    while (!atomic_load(&soak_stop)) {
        uint64_t now = soak_now_ns();
        int wait = pacer_wait_ms(&p, now);
        int open = e.next_seq - 1 - e.last_seq < SOAK_WINDOW;
        if (!open && now - e.last_recv_ns > SOAK_PROBE_NS && now - e.last_probe_ns > SOAK_PROBE_NS) {
            open = 1;   /* the window is full of messages a dead peer took with it: probe */
            e.last_probe_ns = now;
        }
        if (open && wait == 0) {
            if (echo_send(l, &e, now) == 0) {
                pacer_sent(&p, now);
                echo_drain(l, &e);
                continue;
            }
            wait = 10;
        } else if (!open || wait > 10) {
            wait = 10;
        }
        zmq_pollitem_t it = {e.in, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, wait) > 0)
            echo_drain(l, &e);
    }
out:
    if (e.in && e.in != e.out)
        zmq_close(e.in);
    if (e.out)
        zmq_close(e.out);
    free(e.buf);
}

/* ---- REQREP: lazy pirate -------------------------------------------------------------------------------- */

static void *req_open(struct soak_lane *l)
{
    void *s = lane_socket(l, ZMQ_REQ, 1000);
    if (!s)
        return NULL;
    if (l->curve) {
        char pub[41], sec[41];
        zmq_curve_keypair(pub, sec);
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, l->server_public, 40);
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40);
    }
    if (zmq_connect(s, l->hub_ep[0]) != 0) {
        soak_error(l, "connect %s: %s", l->hub_ep[0], zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* One request until its reply comes: 0 answered, -1 stopped. */
static int req_one(struct soak_lane *l, void **req, const uint8_t *buf, size_t len, uint64_t seq)
{
    for (int tries = 1; !atomic_load(&soak_stop); tries++) {
        if (*req && zmq_send(*req, buf, len, 0) == (int)len) {
            zmq_pollitem_t it = {*req, 0, ZMQ_POLLIN, 0};
            if (zmq_poll(&it, 1, SOAK_REQ_TIMEOUT_MS) > 0) {
                zmq_msg_t m;
                zmq_msg_init(&m);
                struct soak_hdr h;
                if (zmq_msg_recv(&m, *req, 0) >= 0 && lane_decode(l, &m, &h) == 0 && h.seq != seq)
                    soak_error(l, "reply %llu to request %llu", (unsigned long long)h.seq,
                               (unsigned long long)seq);
                zmq_msg_close(&m);
                atomic_fetch_add(&l->received, 1);
                atomic_store(&l->last_progress_ns, soak_now_ns());
                return 0;
            }
        } else if (!*req) {
            zmq_poll(NULL, 0, 100);
        }
        atomic_fetch_add(&l->retries, 1);
        if (tries == SOAK_REQ_TRIES)
            soak_error(l, "request %llu unanswered after %d tries", (unsigned long long)seq, tries);
        if (*req)
            zmq_close(*req);
        *req = req_open(l);
    }
    return -1;
}

static void reqrep_lane(struct soak_lane *l)
{
    atomic_store(&l->bound, 1);
    uint8_t *buf = malloc(SOAK_MAX_MSG);
    void *req = req_open(l);
    struct pacer p;
    pacer_init(&p, l->rate);
    for (uint64_t seq = 1; buf && !atomic_load(&soak_stop); seq++) {
        uint64_t now = soak_now_ns();
        int wait = pacer_wait_ms(&p, now);
        if (wait > 0)
            zmq_poll(NULL, 0, wait);
        now = soak_now_ns();
        size_t len = soak_encode(buf, 'S', 0, seq, now);
        atomic_fetch_add(&l->sent, 1);
        if (req_one(l, &req, buf, len, seq) < 0)
            break;
        pacer_sent(&p, now);
    }
    if (req)
        zmq_close(req);
    free(buf);
}

/* ---- SUB and PROXY -------------------------------------------------------------------------------------- */

static void sub_check(struct soak_lane *l, struct soak_incs *incs, const struct soak_hdr *h)
{
    if (h->topic != 'S') {
        soak_error(l, "received topic '%c' it never subscribed to", h->topic);
        return;
    }
    for (unsigned i = 0; i < 4; i++)
        if (incs->inc[i] == h->inc && incs->last_seq[i]) {
            lane_check_seq(l, h, &incs->last_seq[i], &incs->last_send_ns[i]);
            return;
        }
    unsigned i = incs->next++ % 4;   /* a new publisher: its first message may be any (slow joiner) */
    incs->inc[i] = h->inc;
    incs->last_seq[i] = h->seq;
    incs->last_send_ns[i] = h->send_ns;
    atomic_fetch_add(&l->incarnations, 1);
    atomic_fetch_add(&l->received, 1);
    atomic_store(&l->last_progress_ns, soak_now_ns());
}

static void sub_lane(struct soak_lane *l)
{
    struct soak_incs incs;
    memset(&incs, 0, sizeof incs);
    void *sub = lane_socket(l, ZMQ_SUB, 100000);
    if (!sub)
        return;
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "S", 1);
    int rc = l->kind == LANE_SUB ? lane_bind(l, sub, l->hub_ep[0]) : zmq_connect(sub, l->hub_ep[0]);
    atomic_store(&l->bound, 1);
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (rc == 0 && !atomic_load(&soak_stop)) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) <= 0)
            continue;
        for (int n = 0; n < 200 && zmq_msg_recv(&m, sub, ZMQ_DONTWAIT) >= 0; n++) {
            struct soak_hdr h;
            if (lane_decode(l, &m, &h) == 0)
                sub_check(l, &incs, &h);
        }
    }
    zmq_msg_close(&m);
    zmq_close(sub);
}

void *soak_lane_run(void *arg)
{
    struct soak_lane *l = arg;
    atomic_store(&l->last_progress_ns, soak_now_ns());
    switch (l->kind) {
    case LANE_REQREP: reqrep_lane(l); break;
    case LANE_PIPE:
    case LANE_PAIR:
    case LANE_ROUTER: echo_lane(l); break;
    case LANE_SUB:
    case LANE_PROXY: sub_lane(l); break;
    }
    return NULL;
}

const char *soak_lane_peer_kind(const struct soak_lane *l)
{
    static const char *const kinds[] = {
        [LANE_REQREP] = "rep", [LANE_PIPE] = "pipe", [LANE_PAIR] = "pair",
        [LANE_ROUTER] = "dealer", [LANE_SUB] = "pub", [LANE_PROXY] = "pub",
    };
    return kinds[l->kind];
}

void *soak_local_peer_run(void *arg)
{
    struct soak_lane *l = arg;
    soak_peer_loop(soak_ctx, soak_lane_peer_kind(l), l->peer_ep[0], l->peer_ep[1], "-", l->rate, 1, &soak_stop);
    return NULL;
}
