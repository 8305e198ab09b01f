/* 1 PUB to N SUBs: the publisher binds a PUB socket; the other end connects N SUB sockets (one context, one
 * thread draining them all) and counts what arrives. The figure is the total delivered rate: N x count
 * messages over the time from the first to the last delivery.
 *
 * PUB drops a subscriber's messages while its queue is at the high-water mark, and a publisher that mostly
 * drops measures nothing useful. A window below the HWM cannot prevent it: how soon a publisher hears that
 * its reader made room is the library's business (libzmq's application thread reads such news at most once
 * a millisecond while sending). So both ends turn the HWM off (0), and flow control is the benchmark's own:
 * the subscribers' end reports over the control pipe how far its slowest subscriber has got, and the
 * publisher stays at most FANOUT_WINDOW messages ahead of it, which also bounds every queue. Nothing is
 * dropped; the delivered share is printed to show it.
 *
 * The first byte of each message says what it is:
 *   'P' probe: sent every millisecond until every SUB has had one, so no subscriber joins late;
 *   'D' data:  the count messages being measured;
 *   'E' end:   sent every millisecond after the data until every SUB has had one.
 * With -P radio the same runs on RADIO and DISH (RFC 48, libzmq's draft API) instead: every message in
 * group "g", every DISH joined to it. Only zinc's build has the draft API here (BENCH_DRAFT_API); the libzmq
 * build skips that mode.
 * Prints: fanout transport=.. size=.. count=.. subs=.. elapsed_s=.. msgs_s=.. mb_s=.. delivered=.. [pattern=radio] */
#ifdef BENCH_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define FANOUT_WINDOW   400 /* data messages the publisher may be ahead of the slowest subscriber */
#define FANOUT_ACK_STEP 100 /* the subscribers report progress when the slowest has moved this far */

#ifdef ZMQ_RADIO
#define FANOUT_RADIO ZMQ_RADIO
#define FANOUT_DISH ZMQ_DISH
#else
#define FANOUT_RADIO -1
#define FANOUT_DISH -1
#endif

/* One message: zmq_send for PUB; for RADIO a message in group "g" (zmq_msg_send). */
static int fanout_send(void *pub, const char *buf, size_t size, const struct bench_args *args)
{
#ifdef ZMQ_RADIO
    if (args->radio_dish) {
        zmq_msg_t m;
        if (zmq_msg_init_size(&m, size) != 0)
            return -1;
        memcpy(zmq_msg_data(&m), buf, size);
        int rc = zmq_msg_set_group(&m, "g");
        if (rc == 0)
            rc = bench_msg_send(&m, pub, 0);
        if (rc < 0)
            zmq_msg_close(&m);
        return rc;
    }
#endif
    (void)args;
    return bench_send(pub, buf, size, 0);
}

/* A subscriber's subscription: everything (SUB) or group "g" (DISH). */
static int fanout_subscribe(void *sub, const struct bench_args *args)
{
#ifdef ZMQ_RADIO
    if (args->radio_dish)
        return zmq_join(sub, "g");
#endif
    (void)args;
    return zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
}

static int fanout_publisher(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    void *pub = zmq_socket(end->ctx, args->radio_dish ? FANOUT_RADIO : ZMQ_PUB);
    if (!pub)
        bench_check(-1, "zmq_socket PUB");
    int no_limit = 0;
    bench_check(zmq_setsockopt(pub, ZMQ_SNDHWM, &no_limit, sizeof no_limit), "setsockopt ZMQ_SNDHWM");
    /* Up to 1,000 SUBs connect at once: a listen queue that holds them all (libzmq's default is 100) keeps
     * their set-up, which is not timed, from waiting on SYN retransmissions for seconds. */
    int backlog = args->extra < 4096 ? (int)args->extra : 4096;
    bench_check(zmq_setsockopt(pub, ZMQ_BACKLOG, &backlog, sizeof backlog), "setsockopt ZMQ_BACKLOG");
    bench_bind_announce(end, pub);

    char *buf = calloc(1, args->size);
    if (!buf)
        bench_fail("out of memory");
    uint64_t reply;
    buf[0] = 'P';
    do
        bench_check(fanout_send(pub, buf, args->size, args), "zmq_send probe");
    while (!bench_ctl_ready(end->ctl_in, 1));
    bench_ctl_read(end->ctl_in, &reply, sizeof reply);

    buf[0] = 'D';
    uint64_t acked = 0; /* data messages every subscriber has had */
    for (long i = 0; i < args->count; i++) {
        while ((uint64_t)i - acked >= FANOUT_WINDOW) {
            bench_ctl_read(end->ctl_in, &acked, sizeof acked);
            while (bench_ctl_ready(end->ctl_in, 0))
                bench_ctl_read(end->ctl_in, &acked, sizeof acked);
        }
        bench_check(fanout_send(pub, buf, args->size, args), "zmq_send");
        bench_progress = i + 1; /* in this process: data messages published */
    }

    /* Progress reports may still be in the pipe ahead of the final one, which is UINT64_MAX. */
    buf[0] = 'E';
    do {
        bench_check(fanout_send(pub, buf, args->size, args), "zmq_send end");
        while (bench_ctl_ready(end->ctl_in, 1)) {
            bench_ctl_read(end->ctl_in, &reply, sizeof reply);
            if (reply == UINT64_MAX)
                break;
        }
    } while (reply != UINT64_MAX);
    free(buf);
    bench_close(pub);
    return 0;
}

struct fanout_sub {
    void *socket;
    int ready; /* has had a probe */
    int done;  /* has had an end marker */
    long got;  /* data messages received */
};

static int fanout_subscribers(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    long n = args->extra;
    char endpoint[256];
    bench_recv_endpoint(end, endpoint, sizeof endpoint);
    struct fanout_sub *subs = calloc((size_t)n, sizeof *subs);
    zmq_pollitem_t *items = calloc((size_t)n, sizeof *items);
    if (!subs || !items)
        bench_fail("out of memory");
    for (long i = 0; i < n; i++) {
        subs[i].socket = zmq_socket(end->ctx, args->radio_dish ? FANOUT_DISH : ZMQ_SUB);
        if (!subs[i].socket)
            bench_check(-1, "zmq_socket SUB %ld", i);
        int no_limit = 0;
        bench_check(zmq_setsockopt(subs[i].socket, ZMQ_RCVHWM, &no_limit, sizeof no_limit),
                    "setsockopt ZMQ_RCVHWM");
        bench_check(fanout_subscribe(subs[i].socket, args), "subscribe");
        bench_check(zmq_connect(subs[i].socket, endpoint), "zmq_connect %s", endpoint);
    }

    zmq_msg_t msg;
    zmq_msg_init(&msg);
    bench_progress = 0; /* data messages delivered, all subscribers together */
    long ready = 0, done = 0;
    uint64_t first = 0, last = 0;
    uint64_t reported = 0; /* progress of the slowest subscriber last told to the publisher */
    while (done < n) {
        long progress = 0;
        int data_seen = 0; /* a data message arrived in this pass (timed once per pass, not per message) */
        uint64_t pass_start = first ? 0 : bench_now_ns(); /* until the first data message: its pass start */
        /* Drain each subscriber in turn, a batch at a time, so none starves the others. */
        for (long i = 0; i < n; i++) {
            struct fanout_sub *sub = &subs[i];
            for (int batch = 0; !sub->done && batch < 256; batch++) {
                if (zmq_msg_recv(&msg, sub->socket, ZMQ_DONTWAIT) == -1) {
                    if (zmq_errno() == EINTR)
                        continue;
                    if (zmq_errno() == EAGAIN)
                        break;
                    bench_check(-1, "zmq_msg_recv");
                }
                progress++;
                if (zmq_msg_size(&msg) != args->size)
                    bench_fail("message has %zu bytes, expected %zu", zmq_msg_size(&msg), args->size);
                char kind = *(const char *)zmq_msg_data(&msg);
                if (kind == 'D') {
                    data_seen = 1;
                    sub->got++;
                    bench_progress++;
                } else if (kind == 'P' && !sub->ready) {
                    sub->ready = 1;
                    if (++ready == n) {
                        uint64_t all_ready = 0;
                        bench_ctl_write(end->ctl_out, &all_ready, sizeof all_ready);
                    }
                } else if (kind == 'E') {
                    sub->done = 1;
                    done++;
                }
            }
        }
        if (data_seen) {
            last = bench_now_ns();
            if (!first)
                first = pass_start;
        }
        if (progress) {
            uint64_t slowest = UINT64_MAX;
            for (long i = 0; i < n; i++)
                if ((uint64_t)subs[i].got < slowest)
                    slowest = (uint64_t)subs[i].got;
            if (slowest >= reported + FANOUT_ACK_STEP && done < n) {
                reported = slowest;
                bench_ctl_write(end->ctl_out, &reported, sizeof reported);
            }
            continue;
        }
        int nitems = 0;
        for (long i = 0; i < n; i++)
            if (!subs[i].done)
                items[nitems++] = (zmq_pollitem_t){.socket = subs[i].socket, .events = ZMQ_POLLIN};
        if (zmq_poll(items, nitems, 100) == -1 && zmq_errno() != EINTR)
            bench_check(-1, "zmq_poll");
    }
    uint64_t finished = UINT64_MAX;
    bench_ctl_write(end->ctl_out, &finished, sizeof finished);
    zmq_msg_close(&msg);

    long delivered = 0;
    for (long i = 0; i < n; i++) {
        delivered += subs[i].got;
        bench_close(subs[i].socket);
    }
    if (delivered < 2)
        bench_fail("only %ld messages delivered", delivered);
    double secs = (double)(last - first) / 1e9;
    if (secs <= 0)
        secs = 1e-9;
    printf(
        "%s transport=%s size=%zu count=%ld subs=%ld elapsed_s=%.4f msgs_s=%.0f mb_s=%.2f delivered=%.3f%s\n",
        args->prog, args->transport, args->size, args->count, n, secs, (double)delivered / secs,
        (double)delivered * (double)args->size / secs / 1e6,
        (double)delivered / ((double)args->count * (double)n), args->radio_dish ? " pattern=radio" : "");
    free(items);
    free(subs);
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_args args;
    bench_parse(
        &args, argc, argv,
        "1 PUB -> N SUBs, total delivered rate; count: messages published; subscribers: N (default 1)",
        "subscribers", 1);
    if (args.extra < 1 || args.extra > 1000)
        bench_fail("subscribers must be 1..1000");
    /* Each SUB costs its process a connection (and, in libzmq, a mailbox), the PUB's one connection: 1,000
     * of them pass the usual soft limit of 1,024 descriptors, and libzmq's default of 1,023 sockets. */
    long need = 2 * args.extra + 64;
    if (bench_raise_fd_limit() < need)
        bench_skip("%ld SUBs need about %ld file descriptors; the hard limit (ulimit -Hn) is lower", args.extra,
                   need);
    if (args.radio_dish && FANOUT_RADIO < 0)
        bench_skip("RADIO/DISH need libzmq's draft API, which this build of libzmq does not have");
    args.max_sockets = (int)(args.extra + 16);
    return bench_run(&args, fanout_publisher, fanout_subscribers, NULL);
}
