/* The interop scripts and scenario steps in C, shared by the driver (zmq.h under test) and peer_libzmq
 * (system zmq.h). README.md specifies the scripts; peer_pyzmq.py and PeerJeromq.java mirror this file.
 *
 * A step is one side of one scenario ("stream-send", "sub", ...). Both processes of a test run a step
 * each, over one zmq socket, and meet on the control channel where a scenario needs a handshake the
 * sockets cannot give (a subscriber confirming that its subscription is in effect).
 */
#include "interop.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

const char *interop_who = "?";

int interop_fail(const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: FAIL: %s\n", interop_who, text);
    fflush(stderr);
    return -1;
}

long long interop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- messages ------------------------------------------------------------------------------------- */

void interop_msg_free(struct interop_msg *msg)
{
    for (int f = 0; f < msg->nframes; f++)
        free(msg->data[f]);
    msg->nframes = 0;
}

static unsigned char *msg_add_frame(struct interop_msg *msg, size_t len)
{
    if (msg->nframes == INTEROP_MAX_FRAMES) {
        fprintf(stderr, "%s: script message has too many frames\n", interop_who);
        abort();
    }
    unsigned char *data = NULL;
    if (len > 0) {
        data = malloc(len);
        if (!data) {
            fprintf(stderr, "%s: out of memory for a %zu-byte frame\n", interop_who, len);
            abort();
        }
    }
    msg->len[msg->nframes] = len;
    msg->data[msg->nframes] = data;
    msg->nframes++;
    return data;
}

/* The content rule of every generated frame: byte j of frame f of message id is (id*7 + f*13 + j) % 256. */
static void fill(unsigned char *buf, unsigned long id, unsigned long f, size_t n)
{
    unsigned long start = (id * 7 + f * 13) & 0xff;
    for (size_t j = 0; j < n; j++)
        buf[j] = (unsigned char)((start + j) & 0xff);
}

static void msg_add_fill(struct interop_msg *msg, unsigned long id, unsigned long f, size_t n)
{
    fill(msg_add_frame(msg, n), id, f, n);
}

static void msg_add_bytes(struct interop_msg *msg, const void *bytes, size_t n)
{
    unsigned char *data = msg_add_frame(msg, n);
    if (n > 0)
        memcpy(data, bytes, n);
}

static void msg_add_str(struct interop_msg *msg, const char *s)
{
    msg_add_bytes(msg, s, strlen(s));
}

/* ---- the scripts ------------------------------------------------------------------------------------ */

struct shape {
    int nframes;
    size_t len[8];
};

/* STREAM: these, then STREAM_BULK small messages. Empty frames inside and at the end of a message, the
 * 255/256-byte short/long frame boundary (RFC 23 section 3.3), 5 MB frames. */
static const struct shape stream_shapes[] = {
    {4, {1, 0, 17, 0}},
    {1, {0}},
    {1, {255}},
    {1, {256}},
    {4, {254, 255, 256, 257}},
    {3, {0, 0, 0}},
    {1, {5242880}},
    {2, {1, 5242881}},
};
#define STREAM_FIXED (sizeof stream_shapes / sizeof stream_shapes[0])
#define STREAM_BULK 100000
#define STREAM_COUNT (STREAM_FIXED + STREAM_BULK)

static void stream_msg(unsigned long m, struct interop_msg *msg)
{
    msg->nframes = 0;
    if (m < STREAM_FIXED) {
        for (int f = 0; f < stream_shapes[m].nframes; f++)
            msg_add_fill(msg, m, (unsigned long)f, stream_shapes[m].len[f]);
        return;
    }
    /* Bulk message k: one frame, k as 4 bytes big-endian, then k % 13 fill bytes (frame index 1). */
    unsigned long k = m - STREAM_FIXED;
    size_t extra = k % 13;
    unsigned char *data = msg_add_frame(msg, 4 + extra);
    data[0] = (unsigned char)(k >> 24);
    data[1] = (unsigned char)(k >> 16);
    data[2] = (unsigned char)(k >> 8);
    data[3] = (unsigned char)k;
    fill(data + 4, m, 1, extra);
}

/* RR: requests and replies for REQ/REP and DEALER/ROUTER. Request m has shape m % 10 and id m; reply m
 * has shape (m + 3) % 10 and id m + 1000. Bodies that start with an empty frame check that REP strips
 * only the envelope's delimiter. */
static const struct shape rr_shapes[] = {
    {1, {5}},   {1, {0}},   {4, {1, 0, 17, 0}}, {2, {0, 3}},  {1, {255}},
    {1, {256}}, {2, {255, 256}}, {1, {65536}}, {8, {1, 1, 1, 1, 1, 1, 1, 1}}, {1, {300000}},
};
#define RR_SHAPES (sizeof rr_shapes / sizeof rr_shapes[0])
#define RR_COUNT 200

static void rr_msg(unsigned long id, const struct shape *shape, struct interop_msg *msg)
{
    for (int f = 0; f < shape->nframes; f++)
        msg_add_fill(msg, id, (unsigned long)f, shape->len[f]);
}

static void rr_request(unsigned long m, struct interop_msg *msg)
{
    msg->nframes = 0;
    rr_msg(m, &rr_shapes[m % RR_SHAPES], msg);
}

static void rr_reply(unsigned long m, struct interop_msg *msg)
{
    msg->nframes = 0;
    rr_msg(m + 1000, &rr_shapes[(m + 3) % RR_SHAPES], msg);
}

/* The routing id the dealer sets: not starting with 0x00 (reserved for generated ids), with a 0x00 and
 * a 0xff inside. */
static const unsigned char dealer_routing_id[] = {'d', 'l', 'r', '-', 0x00, 0xff, '-', 'i', 'd'};

/* PUB/SUB: one frame of text, or a fill frame when text is NULL. */
struct frame_spec {
    const char *text;
    unsigned long fill_id;
    unsigned long fill_f;
    size_t fill_len;
};

struct pub_spec {
    int matches;                    /* the subscriber must receive it */
    int nframes;
    struct frame_spec frames[3];
};

/* Phase 1: subscriptions "A" and "BC". */
static const struct pub_spec pub_phase1[] = {
    {1, 1, {{"A", 0, 0, 0}}},
    {1, 1, {{"A-1", 0, 0, 0}}},
    {0, 1, {{"B-no", 0, 0, 0}}},
    {1, 1, {{"BC-2", 0, 0, 0}}},
    {0, 1, {{"X-no", 0, 0, 0}}},
    {0, 1, {{"", 0, 0, 0}}},
    {1, 1, {{"ABC-3", 0, 0, 0}}},
    {0, 1, {{"Bx-no", 0, 0, 0}}},
    {1, 3, {{"A-multi", 0, 0, 0}, {"", 0, 0, 0}, {NULL, 0, 0, 256}}},
    {0, 1, {{"C-no", 0, 0, 0}}},
    {1, 2, {{"BC", 0, 0, 0}, {NULL, 0, 1, 255}}},
    {0, 1, {{"a-no", 0, 0, 0}}},
    {1, 1, {{"A-END", 0, 0, 0}}},
};
/* Phase 2: "A" cancelled, "Z" added, "BC" still there. */
static const struct pub_spec pub_phase2[] = {
    {0, 1, {{"A-gone", 0, 0, 0}}},
    {1, 1, {{"Z-1", 0, 0, 0}}},
    {1, 1, {{"BC-3", 0, 0, 0}}},
    {0, 1, {{"b", 0, 0, 0}}},
    {1, 1, {{"Z-END", 0, 0, 0}}},
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void pub_msg(const struct pub_spec *spec, struct interop_msg *msg)
{
    msg->nframes = 0;
    for (int f = 0; f < spec->nframes; f++) {
        const struct frame_spec *fs = &spec->frames[f];
        if (fs->text)
            msg_add_str(msg, fs->text);
        else
            msg_add_fill(msg, fs->fill_id, fs->fill_f, fs->fill_len);
    }
}

/* ---- send, receive, compare ----------------------------------------------------------------------- */

static int send_msg(void *sock, const struct interop_msg *msg, const char *what, unsigned long m)
{
    for (int f = 0; f < msg->nframes; f++) {
        int flags = f + 1 < msg->nframes ? ZMQ_SNDMORE : 0;
        if (zmq_send(sock, msg->data[f], msg->len[f], flags) != (int)msg->len[f])
            return interop_fail("%s %lu: zmq_send of frame %d (%zu bytes): %s", what, m, f, msg->len[f],
                                zmq_strerror(errno));
    }
    return 0;
}

/* A received message, frames still in their zmq_msg_t. */
struct got_msg {
    int nframes;
    zmq_msg_t frames[INTEROP_MAX_FRAMES];
};

static void got_close(struct got_msg *got)
{
    for (int f = 0; f < got->nframes; f++)
        zmq_msg_close(&got->frames[f]);
    got->nframes = 0;
}

static int recv_msg(void *sock, struct got_msg *got, const char *what, unsigned long m)
{
    got->nframes = 0;
    for (;;) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, sock, 0) < 0) {
            int err = errno;
            zmq_msg_close(&frame);
            got_close(got);
            return interop_fail("%s %lu: zmq_msg_recv of frame %d: %s", what, m, got->nframes,
                                zmq_strerror(err));
        }
        int more = zmq_msg_more(&frame);
        if (got->nframes == INTEROP_MAX_FRAMES) {
            zmq_msg_close(&frame);
            got_close(got);
            return interop_fail("%s %lu: more than %d frames", what, m, INTEROP_MAX_FRAMES);
        }
        got->frames[got->nframes++] = frame;
        if (!more)
            return 0;
    }
}

static int frame_equals(zmq_msg_t *frame, const void *data, size_t len)
{
    return zmq_msg_size(frame) == len && (len == 0 || memcmp(zmq_msg_data(frame), data, len) == 0);
}

/* Compares got from frame `skip` on with want; says where the first difference is. */
static int compare(struct got_msg *got, int skip, const struct interop_msg *want, const char *what,
                   unsigned long m)
{
    if (got->nframes - skip != want->nframes)
        return interop_fail("%s %lu: got %d frames, want %d", what, m, got->nframes - skip, want->nframes);
    for (int f = 0; f < want->nframes; f++) {
        zmq_msg_t *frame = &got->frames[skip + f];
        size_t size = zmq_msg_size(frame);
        if (size != want->len[f])
            return interop_fail("%s %lu frame %d: got %zu bytes, want %zu", what, m, f, size, want->len[f]);
        const unsigned char *data = zmq_msg_data(frame);
        for (size_t j = 0; j < size; j++)
            if (data[j] != want->data[f][j])
                return interop_fail("%s %lu frame %d byte %zu: got 0x%02x, want 0x%02x", what, m, f, j,
                                    data[j], want->data[f][j]);
    }
    return 0;
}

/* Receives one message and checks it against want. */
static int recv_expect(void *sock, const struct interop_msg *want, const char *what, unsigned long m)
{
    struct got_msg got;
    if (recv_msg(sock, &got, what, m) < 0)
        return -1;
    int rc = compare(&got, 0, want, what, m);
    got_close(&got);
    return rc;
}

/* ---- steps ------------------------------------------------------------------------------------------ */

static int step_stream_send(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    struct interop_msg msg = {0};
    for (unsigned long m = 0; m < STREAM_COUNT; m++) {
        stream_msg(m, &msg);
        int rc = send_msg(sock, &msg, "stream message", m);
        interop_msg_free(&msg);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int step_stream_recv(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    struct interop_msg want = {0};
    for (unsigned long m = 0; m < STREAM_COUNT; m++) {
        stream_msg(m, &want);
        int rc = recv_expect(sock, &want, "stream message", m);
        interop_msg_free(&want);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int step_req(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    struct interop_msg msg = {0};
    for (unsigned long m = 0; m < RR_COUNT; m++) {
        rr_request(m, &msg);
        int rc = send_msg(sock, &msg, "request", m);
        interop_msg_free(&msg);
        if (rc < 0)
            return -1;
        rr_reply(m, &msg);
        rc = recv_expect(sock, &msg, "reply", m);
        interop_msg_free(&msg);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int step_rep(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    struct interop_msg msg = {0};
    for (unsigned long m = 0; m < RR_COUNT; m++) {
        rr_request(m, &msg);
        int rc = recv_expect(sock, &msg, "request", m);
        interop_msg_free(&msg);
        if (rc < 0)
            return -1;
        rr_reply(m, &msg);
        rc = send_msg(sock, &msg, "reply", m);
        interop_msg_free(&msg);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The dealer pipelines all requests, then reads the replies: [routing id the router saw, reply m...]. */
static int step_dealer(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    struct interop_msg msg = {0};
    for (unsigned long m = 0; m < RR_COUNT; m++) {
        rr_request(m, &msg);
        int rc = send_msg(sock, &msg, "request", m);
        interop_msg_free(&msg);
        if (rc < 0)
            return -1;
    }
    for (unsigned long m = 0; m < RR_COUNT; m++) {
        msg.nframes = 0;
        msg_add_bytes(&msg, dealer_routing_id, sizeof dealer_routing_id);
        rr_msg(m + 1000, &rr_shapes[(m + 3) % RR_SHAPES], &msg);
        int rc = recv_expect(sock, &msg, "reply (routing id echo + reply)", m);
        interop_msg_free(&msg);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The router checks that frame 0 is the dealer's ZMQ_ROUTING_ID and answers [id, id, reply m...]. */
static int step_router(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    struct interop_msg msg = {0};
    for (unsigned long m = 0; m < RR_COUNT; m++) {
        struct got_msg got;
        if (recv_msg(sock, &got, "request", m) < 0)
            return -1;
        if (got.nframes < 1 || !frame_equals(&got.frames[0], dealer_routing_id, sizeof dealer_routing_id)) {
            size_t size = got.nframes < 1 ? 0 : zmq_msg_size(&got.frames[0]);
            got_close(&got);
            return interop_fail("request %lu: routing id frame is %zu bytes, not the dealer's "
                                "ZMQ_ROUTING_ID \"dlr-\\x00\\xff-id\"", m, size);
        }
        rr_request(m, &msg);
        int rc = compare(&got, 1, &msg, "request", m);
        got_close(&got);
        interop_msg_free(&msg);
        if (rc < 0)
            return -1;
        msg_add_bytes(&msg, dealer_routing_id, sizeof dealer_routing_id);
        msg_add_bytes(&msg, dealer_routing_id, sizeof dealer_routing_id);
        rr_msg(m + 1000, &rr_shapes[(m + 3) % RR_SHAPES], &msg);
        rc = send_msg(sock, &msg, "reply", m);
        interop_msg_free(&msg);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int send_str(void *sock, const char *s, const char *what)
{
    size_t len = strlen(s);
    if (zmq_send(sock, s, len, 0) != (int)len)
        return interop_fail("%s: zmq_send(\"%s\"): %s", what, s, zmq_strerror(errno));
    return 0;
}

/* Publisher half of the slow-joiner handshake: repeat sync_text until the subscriber says confirm on the
 * control channel, bounded in time. */
static int pub_sync(void *sock, struct interop_ctl *ctl, const char *sync_text, const char *confirm)
{
    long long deadline = interop_now_ms() + INTEROP_SYNC_TIMEOUT_MS;
    char line[256];
    while (interop_now_ms() < deadline) {
        if (send_str(sock, sync_text, "sync") < 0)
            return -1;
        int rc = interop_ctl_read(ctl, line, sizeof line, INTEROP_SYNC_REPEAT_MS);
        if (rc < 0)
            return interop_fail("control channel closed while waiting for \"%s\"", confirm);
        if (rc == 1) {
            if (strcmp(line, confirm) == 0)
                return 0;
            return interop_fail("waiting for \"%s\", the other side said \"%s\"", confirm, line);
        }
    }
    return interop_fail("subscriber never confirmed \"%s\" within %d ms", confirm, INTEROP_SYNC_TIMEOUT_MS);
}

static int got_is_str(struct got_msg *got, const char *s)
{
    return got->nframes == 1 && frame_equals(&got->frames[0], s, strlen(s));
}

/* Subscriber half: wait for sync_text, confirm, then read the expected messages of the phase, skipping
 * sync messages that were still in flight. */
static int sub_phase(void *sock, struct interop_ctl *ctl, const char *sync_text, const char *confirm,
                     const struct pub_spec *specs, size_t nspecs)
{
    struct got_msg got;
    if (recv_msg(sock, &got, "waiting for sync message", 0) < 0)
        return -1;
    int is_sync = got_is_str(&got, sync_text);
    got_close(&got);
    if (!is_sync)
        return interop_fail("waiting for \"%s\", got another message", sync_text);
    if (interop_ctl_send(ctl, "%s", confirm) < 0)
        return -1;
    struct interop_msg want = {0};
    int first = 1;
    for (size_t i = 0; i < nspecs; i++) {
        if (!specs[i].matches)
            continue;
        for (;;) {
            if (recv_msg(sock, &got, "published message", (unsigned long)i) < 0)
                return -1;
            if (first && got_is_str(&got, sync_text)) {
                got_close(&got);
                continue;
            }
            break;
        }
        first = 0;
        pub_msg(&specs[i], &want);
        int rc = compare(&got, 0, &want, "published message (index in the publisher's list)",
                         (unsigned long)i);
        got_close(&got);
        interop_msg_free(&want);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int pub_phase(void *sock, const struct pub_spec *specs, size_t nspecs)
{
    struct interop_msg msg = {0};
    for (size_t i = 0; i < nspecs; i++) {
        pub_msg(&specs[i], &msg);
        int rc = send_msg(sock, &msg, "published message", (unsigned long)i);
        interop_msg_free(&msg);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int step_pub(void *sock, struct interop_ctl *ctl)
{
    if (pub_sync(sock, ctl, "A-sync", "SYNCED A") < 0 || pub_phase(sock, pub_phase1, COUNT(pub_phase1)) < 0)
        return -1;
    if (pub_sync(sock, ctl, "Z-sync", "SYNCED Z") < 0 || pub_phase(sock, pub_phase2, COUNT(pub_phase2)) < 0)
        return -1;
    return 0;
}

static int set_sub(void *sock, int option, const char *topic)
{
    if (zmq_setsockopt(sock, option, topic, strlen(topic)) < 0)
        return interop_fail("zmq_setsockopt(%s \"%s\"): %s",
                            option == ZMQ_SUBSCRIBE ? "ZMQ_SUBSCRIBE" : "ZMQ_UNSUBSCRIBE", topic,
                            zmq_strerror(errno));
    return 0;
}

/* The publisher syncs on "A-sync" (it repeats it until we confirm), which proves only that "A" arrived: "BC"
 * goes first, so it is in effect whenever "A" is (a publisher applies one connection's subscriptions in
 * order). The other way round, a libzmq PUB, which looks at incoming subscriptions at most once a
 * millisecond while sending, could publish "BC-2" before taking "BC" in. */
static int step_sub(void *sock, struct interop_ctl *ctl)
{
    if (set_sub(sock, ZMQ_SUBSCRIBE, "BC") < 0 || set_sub(sock, ZMQ_SUBSCRIBE, "A") < 0)
        return -1;
    if (sub_phase(sock, ctl, "A-sync", "SYNCED A", pub_phase1, COUNT(pub_phase1)) < 0)
        return -1;
    if (set_sub(sock, ZMQ_UNSUBSCRIBE, "A") < 0 || set_sub(sock, ZMQ_SUBSCRIBE, "Z") < 0)
        return -1;
    return sub_phase(sock, ctl, "Z-sync", "SYNCED Z", pub_phase2, COUNT(pub_phase2));
}

static int send_bytes(void *sock, const void *data, size_t len, int flags, const char *what)
{
    if (zmq_send(sock, data, len, flags) != (int)len)
        return interop_fail("%s: zmq_send: %s", what, zmq_strerror(errno));
    return 0;
}

static int recv_expect_str(void *sock, const char *s, const char *what)
{
    struct interop_msg want = {0};
    msg_add_str(&want, s);
    int rc = recv_expect(sock, &want, what, 0);
    interop_msg_free(&want);
    return rc;
}

static int recv_expect_bytes(void *sock, const void *data, size_t len, const char *what)
{
    struct interop_msg want = {0};
    msg_add_bytes(&want, data, len);
    int rc = recv_expect(sock, &want, what, 0);
    interop_msg_free(&want);
    return rc;
}

/* XSUB: subscribe "AB" by message, read what matches, cancel "AB", subscribe to everything. */
static int step_xsub(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    struct interop_msg want = {0};
    if (send_bytes(sock, "\x01" "AB", 3, 0, "subscribe AB") < 0)
        return -1;
    if (recv_expect_str(sock, "AB-1", "first message on AB") < 0)
        return -1;
    msg_add_str(&want, "ABC-2");
    msg_add_str(&want, "");
    int rc = recv_expect(sock, &want, "second message on AB (ZZ-x must have been filtered)", 0);
    interop_msg_free(&want);
    if (rc < 0)
        return -1;
    if (send_bytes(sock, "\x00" "AB", 3, 0, "cancel AB") < 0 || send_bytes(sock, "\x01", 1, 0, "subscribe all") < 0)
        return -1;
    return recv_expect_str(sock, "ZZ-y", "message after subscribing to everything");
}

static int step_xpub(void *sock, struct interop_ctl *ctl)
{
    (void)ctl;
    if (recv_expect_bytes(sock, "\x01" "AB", 3, "subscription message \\x01AB at XPUB") < 0)
        return -1;
    if (send_bytes(sock, "AB-1", 4, 0, "AB-1") < 0 || send_bytes(sock, "ZZ-x", 4, 0, "ZZ-x") < 0 ||
        send_bytes(sock, "ABC-2", 5, ZMQ_SNDMORE, "ABC-2") < 0 || send_bytes(sock, "", 0, 0, "ABC-2 part 2") < 0)
        return -1;
    if (recv_expect_bytes(sock, "\x00" "AB", 3, "cancel message \\x00AB at XPUB") < 0)
        return -1;
    if (recv_expect_bytes(sock, "\x01", 1, "subscribe-all message \\x01 at XPUB") < 0)
        return -1;
    return send_bytes(sock, "ZZ-y", 4, 0, "ZZ-y");
}

struct step {
    const char *name;
    int (*run)(void *sock, struct interop_ctl *ctl);
};

static const struct step steps_table[] = {
    {"stream-send", step_stream_send},
    {"stream-recv", step_stream_recv},
    {"req", step_req},
    {"rep", step_rep},
    {"dealer", step_dealer},
    {"router", step_router},
    {"pub", step_pub},
    {"sub", step_sub},
    {"xpub", step_xpub},
    {"xsub", step_xsub},
};

static const struct step *find_step(const char *name, size_t len)
{
    for (size_t i = 0; i < COUNT(steps_table); i++)
        if (strlen(steps_table[i].name) == len && memcmp(steps_table[i].name, name, len) == 0)
            return &steps_table[i];
    return NULL;
}

static int has_step(const char *steps, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = steps; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && memcmp(p, name, len) == 0)
            return 1;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

int interop_run_steps(void *sock, struct interop_ctl *ctl, const char *steps)
{
    for (const char *p = steps; *p;) {
        size_t n = strcspn(p, ",");
        const struct step *step = find_step(p, n);
        interop_step_fn run = step ? step->run : interop_draft_step(p, n);
        if (!run)
            return interop_fail("unknown step \"%.*s\"", (int)n, p);
        if (run(sock, ctl) < 0)
            return interop_fail("step %.*s failed", (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

int interop_socket_setup(void *sock, const char *steps)
{
    int timeout = INTEROP_IO_TIMEOUT_MS;
    if (zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
        zmq_setsockopt(sock, ZMQ_SNDTIMEO, &timeout, sizeof timeout) < 0)
        return interop_fail("setting timeouts: %s", zmq_strerror(errno));
    if (has_step(steps, "dealer") &&
        zmq_setsockopt(sock, ZMQ_ROUTING_ID, dealer_routing_id, sizeof dealer_routing_id) < 0)
        return interop_fail("ZMQ_ROUTING_ID: %s", zmq_strerror(errno));
    return 0;
}

int interop_socket_type(const char *name)
{
    static const struct {
        const char *name;
        int type;
    } types[] = {
        {"PAIR", ZMQ_PAIR}, {"PUB", ZMQ_PUB},       {"SUB", ZMQ_SUB},       {"REQ", ZMQ_REQ},
        {"REP", ZMQ_REP},   {"DEALER", ZMQ_DEALER}, {"ROUTER", ZMQ_ROUTER}, {"PULL", ZMQ_PULL},
        {"PUSH", ZMQ_PUSH}, {"XPUB", ZMQ_XPUB},     {"XSUB", ZMQ_XSUB},
    };
    for (size_t i = 0; i < COUNT(types); i++)
        if (strcmp(types[i].name, name) == 0)
            return types[i].type;
    return interop_draft_socket_type(name);
}

/* ---- control channel ------------------------------------------------------------------------------ */

int interop_ctl_send(struct interop_ctl *ctl, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line - 1)
        return interop_fail("control line too long");
    line[n++] = '\n';
    for (int off = 0; off < n;) {
        ssize_t w = write(ctl->wfd, line + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return interop_fail("writing to the control channel: %s", strerror(errno));
        off += (int)w;
    }
    return 0;
}

int interop_ctl_read(struct interop_ctl *ctl, char *line, size_t cap, int timeout_ms)
{
    long long deadline = timeout_ms < 0 ? -1 : interop_now_ms() + timeout_ms;
    for (;;) {
        char *nl = memchr(ctl->buf, '\n', ctl->len);
        if (nl) {
            size_t n = (size_t)(nl - ctl->buf);
            size_t copy = n < cap - 1 ? n : cap - 1;
            memcpy(line, ctl->buf, copy);
            line[copy] = '\0';
            memmove(ctl->buf, nl + 1, ctl->len - n - 1);
            ctl->len -= n + 1;
            return 1;
        }
        if (ctl->len == sizeof ctl->buf)
            return interop_fail("control line longer than %zu bytes", sizeof ctl->buf);
        int wait = -1;
        if (deadline >= 0) {
            long long left = deadline - interop_now_ms();
            if (left <= 0)
                return 0;
            wait = (int)left;
        }
        struct pollfd pfd = {.fd = ctl->rfd, .events = POLLIN};
        int rc = poll(&pfd, 1, wait);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;
        ssize_t r = read(ctl->rfd, ctl->buf + ctl->len, sizeof ctl->buf - ctl->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ctl->len += (size_t)r;
    }
}

int interop_ctl_expect(struct interop_ctl *ctl, const char *want, int timeout_ms)
{
    char line[1024];
    int rc = interop_ctl_read(ctl, line, sizeof line, timeout_ms);
    if (rc == 0)
        return interop_fail("no \"%s\" on the control channel within %d ms", want, timeout_ms);
    if (rc < 0)
        return interop_fail("control channel closed while waiting for \"%s\"", want);
    if (strncmp(line, "FAIL", 4) == 0)
        return interop_fail("waiting for \"%s\", the other side reported \"%s\"", want, line);
    if (strcmp(line, want) != 0)
        return interop_fail("waiting for \"%s\", got \"%s\"", want, line);
    return 0;
}
