/* Matching cost against the number of subscribed topics: one SUB subscribes N distinct topics on one PUB,
 * then the PUB publishes count messages, every other one matching one of the N topics and the others
 * matching none. The figure is the publishing rate (all count messages, matched or not, per second) and its
 * inverse, the time per message: with a trie (or radix tree) a message costs O(its topic's length) whatever
 * N is, so the line should stay flat from 1 to 1,000,000 topics.
 *
 * Topics are 'T' and seven digits ("T0000042"), so every topic and every message prefix has the same length
 * at every N and no topic is a prefix of another. A matching message starts with one of a hot set of up to
 * TOPICS_HOT topics spread evenly over the N (k * N / hot, so successive messages take different branches);
 * a message that matches none starts with the same topic with its last digit replaced by 'x', so the walk
 * goes as deep as a match before it fails. Then comes the message's sequence number, checked on arrival.
 * Over tcp the PUB filters (libzmq and zinc send a SUB's subscriptions upstream), so an unmatched message
 * never leaves the publisher; the SUB checks that none arrives and that every matched one does, in order.
 *
 * Subscriptions and probes: the SUB sets SNDHWM 0 (libzmq drops subscriptions over the high-water mark) and
 * subscribes the N topics and then the control prefix "!"; one connection keeps them in order, so once a
 * probe "!P" arrives the PUB has every topic. The subscribing and that wait are outside the clock (setup_s).
 * Flow control as in fanout: both ends set the HWM to 0 and the SUB reports over the control pipe the
 * sequence number it has reached; the PUB stays at most TOPICS_WINDOW messages ahead. End markers "!E" are
 * sent every millisecond until the SUB confirms. The clock runs from the first matched message's arrival to
 * the last's, which covers every message published in between (misses included). The usage line counts both
 * processes from the first data message to the end marker: subscribing and unsubscribing are left out.
 * Prints: topics transport=.. size=.. count=.. topics=.. hot=.. setup_s=.. elapsed_s=.. msgs_s=..
 * ns_per_msg=.. matched=..  (the SUB's size is at least 16: topic and sequence number) */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define TOPICS_LEN      8     /* 'T' + 7 digits */
#define TOPICS_MAX      10000000
#define TOPICS_HOT      64    /* distinct topics the matching messages cycle through */
#define TOPICS_WINDOW   4000  /* messages the publisher may be ahead of the subscriber */
#define TOPICS_ACK_STEP 1000  /* the subscriber reports progress when it has moved this far */

/* Topic i: 'T' and i in seven decimal digits (i < TOPICS_MAX). */
static void topics_name(char *out, long i)
{
    out[0] = 'T';
    for (int d = TOPICS_LEN - 1; d > 0; d--, i /= 10)
        out[d] = (char)('0' + i % 10);
}

/* Topic of message seq (even: a match; odd: the same topic spoilt in its last byte, a miss). */
static void topics_prefix(char *out, long n, uint64_t seq)
{
    long hot = n < TOPICS_HOT ? n : TOPICS_HOT;
    long k = (long)((seq / 2) % (uint64_t)hot);
    topics_name(out, k * n / hot);
    if (seq % 2)
        out[TOPICS_LEN - 1] = 'x';
}

static void topics_set_hwm0(void *sock)
{
    int zero = 0;
    bench_check(zmq_setsockopt(sock, ZMQ_SNDHWM, &zero, sizeof zero), "setsockopt ZMQ_SNDHWM");
    bench_check(zmq_setsockopt(sock, ZMQ_RCVHWM, &zero, sizeof zero), "setsockopt ZMQ_RCVHWM");
}

/* Control messages: '!' and a kind byte, padded to the run's size. */
static void topics_send_control(void *pub, char *buf, size_t size, char kind)
{
    memset(buf, 0, size);
    buf[0] = '!';
    buf[1] = kind;
    bench_check(bench_send(pub, buf, size, 0), "zmq_send control");
}

/* Stay within the window: wait for the subscriber's reports until seq is allowed. */
static void topics_wait_window(struct bench_end *end, uint64_t seq, uint64_t *acked)
{
    while (seq - *acked >= TOPICS_WINDOW) {
        bench_ctl_read(end->ctl_in, acked, sizeof *acked);
        while (bench_ctl_ready(end->ctl_in, 0))
            bench_ctl_read(end->ctl_in, acked, sizeof *acked);
    }
}

static int topics_publisher(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    void *pub = zmq_socket(end->ctx, ZMQ_PUB);
    if (!pub)
        bench_check(-1, "zmq_socket PUB");
    topics_set_hwm0(pub);
    bench_bind_announce(end, pub);

    char *buf = calloc(1, args->size);
    if (!buf)
        bench_fail("out of memory");
    uint64_t reply;
    do /* probes until the SUB has one: then the PUB knows every topic */
        topics_send_control(pub, buf, args->size, 'P');
    while (!bench_ctl_ready(end->ctl_in, 1));
    bench_ctl_read(end->ctl_in, &reply, sizeof reply);

    bench_usage_mark(end);
    memset(buf, 0, args->size);
    uint64_t acked = 0; /* the subscriber has every matched message before this sequence number */
    for (uint64_t seq = 0; seq < (uint64_t)args->count; seq++) {
        topics_wait_window(end, seq, &acked);
        topics_prefix(buf, args->extra, seq);
        bench_stamp(buf + TOPICS_LEN, args->size - TOPICS_LEN, seq);
        bench_check(bench_send(pub, buf, args->size, 0), "zmq_send");
        bench_progress = (long)seq + 1; /* in this process: messages published */
    }
    /* Progress reports may still be in the pipe ahead of the final one, which is UINT64_MAX. */
    do {
        topics_send_control(pub, buf, args->size, 'E');
        while (bench_ctl_ready(end->ctl_in, 1)) {
            bench_ctl_read(end->ctl_in, &reply, sizeof reply);
            if (reply == UINT64_MAX)
                break;
        }
    } while (reply != UINT64_MAX);
    bench_usage_stop(end);
    free(buf);
    bench_close(pub);
    return 0;
}

/* Subscribe topics 0 .. n-1, then the control prefix (last: its probe proves the rest arrived). */
static void topics_subscribe(void *sub, long n)
{
    char topic[TOPICS_LEN];
    for (long i = 0; i < n; i++) {
        topics_name(topic, i);
        bench_check(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topic, TOPICS_LEN), "ZMQ_SUBSCRIBE topic %ld", i);
    }
    bench_check(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "!", 1), "ZMQ_SUBSCRIBE control");
}

/* Receive one message of the run's size into msg; returns its first two bytes' meaning. */
static char topics_recv(void *sub, zmq_msg_t *msg, size_t size)
{
    bench_check(bench_msg_recv(msg, sub, 0), "zmq_msg_recv");
    if (zmq_msg_size(msg) != size)
        bench_fail("message has %zu bytes, expected %zu", zmq_msg_size(msg), size);
    const char *data = zmq_msg_data(msg);
    return data[0] == '!' ? data[1] : data[0];
}

/* A data message must be the next matched one: topic and sequence number. */
static void topics_check(const zmq_msg_t *msg, const struct bench_args *args, uint64_t seq)
{
    char want[TOPICS_LEN];
    const char *data = zmq_msg_data((zmq_msg_t *)msg);
    topics_prefix(want, args->extra, seq);
    if (data[TOPICS_LEN - 1] == 'x')
        bench_fail("received a message that matches no subscription (%.8s)", data);
    if (memcmp(data, want, TOPICS_LEN) != 0 || !bench_stamp_ok(data + TOPICS_LEN, args->size - TOPICS_LEN, seq))
        bench_fail("message %llu is not the one published in that place (lost, repeated or reordered)",
                   (unsigned long long)seq);
}

static int topics_subscriber(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    char endpoint[256];
    bench_recv_endpoint(end, endpoint, sizeof endpoint);
    uint64_t setup = bench_now_ns();
    void *sub = zmq_socket(end->ctx, ZMQ_SUB);
    if (!sub)
        bench_check(-1, "zmq_socket SUB");
    topics_set_hwm0(sub);
    bench_check(zmq_connect(sub, endpoint), "zmq_connect %s", endpoint);
    topics_subscribe(sub, args->extra);

    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (topics_recv(sub, &msg, args->size) != 'P')
        bench_fail("a data message arrived before the first probe");
    uint64_t ready = 0;
    bench_ctl_write(end->ctl_out, &ready, sizeof ready);
    setup = bench_now_ns() - setup;

    uint64_t next = 0, first = 0, last = 0, reported = 0;
    long got = 0;
    bench_progress = 0; /* matched messages received */
    for (;;) {
        char kind = topics_recv(sub, &msg, args->size);
        if (kind == 'P')
            continue; /* probes sent before the publisher saw the reply */
        if (kind == 'E') {
            bench_usage_stop(end);
            break;
        }
        topics_check(&msg, args, next);
        last = bench_now_ns();
        if (!first) {
            first = last;
            bench_usage_mark(end);
        }
        bench_progress = ++got;
        next += 2;
        if (next >= reported + TOPICS_ACK_STEP) {
            reported = next;
            bench_ctl_write(end->ctl_out, &reported, sizeof reported);
        }
    }
    uint64_t finished = UINT64_MAX;
    bench_ctl_write(end->ctl_out, &finished, sizeof finished);
    zmq_msg_close(&msg);
    bench_close(sub);

    long want = (args->count + 1) / 2;
    if (got != want)
        bench_fail("%ld matched messages arrived, expected %ld", got, want);
    /* From the first matched message (seq 0) to the last (seq next - 2): that many published between. */
    double msgs = (double)(next - 2);
    double secs = (double)(last - first) / 1e9;
    if (secs <= 0)
        secs = 1e-9;
    printf("%s transport=%s size=%zu count=%ld topics=%ld hot=%ld setup_s=%.3f elapsed_s=%.4f msgs_s=%.0f "
           "ns_per_msg=%.1f matched=%.3f\n",
           args->prog, args->transport, args->size, args->count, args->extra,
           args->extra < TOPICS_HOT ? args->extra : TOPICS_HOT, (double)setup / 1e9, secs, msgs / secs,
           secs * 1e9 / msgs, (double)got / (double)args->count);
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_args args;
    bench_parse(&args, argc, argv,
                "1 PUB -> 1 SUB with N subscribed topics, half the messages matching one, half none: "
                "publishing rate; count: messages published (at least 5); topics: N (default 1000)",
                "topics", 1000);
    if (args.extra < 1 || args.extra > TOPICS_MAX)
        bench_fail("topics must be 1..%d", TOPICS_MAX);
    if (args.size < TOPICS_LEN + 8)
        bench_fail("size must be at least %d (topic and sequence number)", TOPICS_LEN + 8);
    if (args.count < 5)
        bench_fail("count must be at least 5");
    return bench_run(&args, topics_publisher, topics_subscriber, NULL);
}
