/* PUSH -> PULL throughput: the receiver binds a PULL socket and times count messages from the first to the
 * last; the sender connects a PUSH socket and sends them as fast as it can. Each message carries its
 * sequence number, checked on arrival. With -s curve the connection is CURVE-encrypted. The sender uses
 * zmq_send (-S send, the default) or zmq_msg_init_size + zmq_msg_send (-S msg, as libzmq's remote_thr);
 * the receiver always receives into a zmq_msg_t (as libzmq's local_thr).
 * Prints: thr transport=.. size=.. count=.. elapsed_s=.. msgs_s=.. mb_s=..   (MB = 10^6 bytes) */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static int thr_receiver(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    void *pull = zmq_socket(end->ctx, ZMQ_PULL);
    if (!pull)
        bench_check(-1, "zmq_socket PULL");
    bench_secure(pull, args, 1);
    bench_bind_announce(end, pull);

    zmq_msg_t msg;
    zmq_msg_init(&msg);
    uint64_t start = 0;
    for (long i = 0; i < args->count; i++) {
        bench_check(bench_msg_recv(&msg, pull, 0), "zmq_msg_recv");
        if (zmq_msg_size(&msg) != args->size)
            bench_fail("message %ld has %zu bytes, expected %zu", i, zmq_msg_size(&msg), args->size);
        if (!bench_stamp_ok(zmq_msg_data(&msg), args->size, (uint64_t)i))
            bench_fail("message %ld is not the one sent in that place (lost, repeated or reordered)", i);
        if (i == 0) {
            start = bench_now_ns();
            bench_usage_mark(end);
        }
        bench_progress = i + 1;
    }
    uint64_t elapsed = bench_now_ns() - start;
    bench_ctl_write(end->ctl_out, "d", 1); /* the sender may close now */
    zmq_msg_close(&msg);
    bench_close(pull);

    /* The clock starts at the first message, so it covers count - 1 of them. */
    double secs = (double)(elapsed ? elapsed : 1) / 1e9;
    double msgs = (double)(args->count > 1 ? args->count - 1 : 1);
    printf("%s transport=%s%s sender=%s size=%zu count=%ld elapsed_s=%.4f msgs_s=%.0f mb_s=%.2f\n",
           args->prog, args->transport, args->curve ? " security=curve" : "", args->send_msg ? "msg" : "send",
           args->size, args->count, secs, msgs / secs, msgs * (double)args->size / secs / 1e6);
    return 0;
}

/* -S send: one buffer, copied by zmq_send into each message. */
static void thr_send_buffers(void *push, const struct bench_args *args)
{
    char *buf = calloc(1, args->size);
    if (!buf)
        bench_fail("out of memory");
    for (long i = 0; i < args->count; i++) {
        bench_stamp(buf, args->size, (uint64_t)i);
        bench_check(bench_send(push, buf, args->size, 0), "zmq_send");
    }
    free(buf);
}

/* -S msg: a message of the right size from the library, filled in place, handed over by zmq_msg_send. */
static void thr_send_msgs(void *push, const struct bench_args *args)
{
    for (long i = 0; i < args->count; i++) {
        zmq_msg_t msg;
        bench_check(zmq_msg_init_size(&msg, args->size), "zmq_msg_init_size");
        bench_stamp(zmq_msg_data(&msg), args->size, (uint64_t)i);
        bench_check(bench_msg_send(&msg, push, 0), "zmq_msg_send");
    }
}

static int thr_sender(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    char endpoint[256];
    bench_recv_endpoint(end, endpoint, sizeof endpoint);
    void *push = zmq_socket(end->ctx, ZMQ_PUSH);
    if (!push)
        bench_check(-1, "zmq_socket PUSH");
    bench_secure(push, args, 0);
    bench_check(zmq_connect(push, endpoint), "zmq_connect %s", endpoint);

    bench_usage_mark(end);
    if (args->send_msg)
        thr_send_msgs(push, args);
    else
        thr_send_buffers(push, args);
    /* Close only once the receiver has everything: ZMQ_LINGER does not promise delivery (libzmq 4.3.4 over
     * ipc drops the tail of the stream now and then when the socket closes while the peer lags). */
    char done;
    bench_ctl_read(end->ctl_in, &done, 1);
    bench_close(push);
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_args args;
    bench_parse(&args, argc, argv, "PUSH -> PULL throughput; count: messages", NULL, -1);
    return bench_run(&args, thr_receiver, thr_sender, NULL);
}
