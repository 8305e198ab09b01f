/* The ZeroMQ half of the harness: error checks with zmq_strerror, CURVE set-up, sends and receives that
 * retry on EINTR, closing with linger 0, and the contexts each end of a run gets. Kept apart from bench.c so
 * the raw-socket programs (raw_lat, raw_thr) share the harness without linking any libzmq. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <zmq.h>

void bench_check(int rc, const char *what, ...)
{
    if (rc != -1)
        return;
    int err = zmq_errno();
    char buf[256];
    va_list ap;
    va_start(ap, what);
    vsnprintf(buf, sizeof buf, what, ap);
    va_end(ap);
    bench_fail("%s: %s", buf, zmq_strerror(err));
}

/* Benchmark keys, made once with zmq_curve_keypair; only ever used on loopback. */
static const char bench_server_public[] = "S*&h4[f<G4fIeu/-B/Xi.mOi9tTYGhlO*LA*.*YD";
static const char bench_server_secret[] = "KlEUxFW7^&J3ZV-<mXmHo83-}8u(Whp:6ET:()Zn";
static const char bench_client_public[] = "U@PsjiVyr>pMx]hK){=km=O-Wx:2TF6J.H4nVz2}";
static const char bench_client_secret[] = "ZbgFnE#p!PD)Y>vuX.e-9ulgYF-1[?M:I&e-3@@x";

void bench_secure(void *sock, const struct bench_args *args, int server)
{
    int one = 1;
    if (!args->curve)
        return;
    if (server) {
        bench_check(zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one), "ZMQ_CURVE_SERVER");
        bench_check(zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, bench_server_secret, 40), "ZMQ_CURVE_SECRETKEY");
        return;
    }
    bench_check(zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, bench_server_public, 40), "ZMQ_CURVE_SERVERKEY");
    bench_check(zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, bench_client_public, 40), "ZMQ_CURVE_PUBLICKEY");
    bench_check(zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, bench_client_secret, 40), "ZMQ_CURVE_SECRETKEY");
}

int bench_msg_recv(void *msg, void *socket, int flags)
{
    int rc;
    while ((rc = zmq_msg_recv(msg, socket, flags)) == -1 && zmq_errno() == EINTR)
        ;
    return rc;
}

int bench_msg_send(void *msg, void *socket, int flags)
{
    int rc;
    while ((rc = zmq_msg_send(msg, socket, flags)) == -1 && zmq_errno() == EINTR)
        ;
    return rc;
}

int bench_send(void *socket, const void *buf, size_t len, int flags)
{
    int rc;
    while ((rc = zmq_send(socket, buf, len, flags)) == -1 && zmq_errno() == EINTR)
        ;
    return rc;
}

void bench_close(void *socket)
{
    int linger = 0;
    bench_check(zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger), "setsockopt ZMQ_LINGER");
    bench_check(zmq_close(socket), "zmq_close");
}

void bench_bind_announce(struct bench_end *end, void *socket)
{
    char endpoint[256];
    bench_endpoint(end->args, 0, endpoint, sizeof endpoint);
    bench_check(zmq_bind(socket, endpoint), "zmq_bind %s", endpoint);
    bench_send_endpoint(end, endpoint);
}

static void *bench_zmq_ctx_new(const struct bench_args *args)
{
    void *ctx = zmq_ctx_new();
    if (!ctx)
        bench_check(-1, "zmq_ctx_new");
    if (args->max_sockets > 0)
        bench_check(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, args->max_sockets), "zmq_ctx_set ZMQ_MAX_SOCKETS %d",
                    args->max_sockets);
    return ctx;
}

static void bench_zmq_ctx_term(void *ctx)
{
    int rc;
    while ((rc = zmq_ctx_term(ctx)) == -1 && zmq_errno() == EINTR)
        ;
    bench_check(rc, "zmq_ctx_term");
}

static const struct bench_ctx_ops bench_zmq_ctx_ops = {
    .create = bench_zmq_ctx_new,
    .destroy = bench_zmq_ctx_term,
};

int bench_run(const struct bench_args *args, bench_end_fn parent_fn, bench_end_fn child_fn, void *user)
{
    return bench_run_ends(args, &bench_zmq_ctx_ops, parent_fn, child_fn, user);
}
