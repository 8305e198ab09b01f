/* zinc_demo: the ZeroMQ patterns over every transport, by changing only the endpoint string.
 * For each of inproc, ipc and tcp it runs PUSH/PULL, REQ/REP, PUB/SUB and DEALER/ROUTER, checks what
 * arrived, and prints one line per pattern. Written against <zmq.h> only: it runs on zinc or on libzmq. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

static int failures;

static void report(const char *pattern, const char *endpoint, int ok, const char *detail)
{
    printf("  %-14s %-40s %s%s%s\n", pattern, endpoint, ok ? "ok" : "FAILED", detail ? ": " : "",
           detail ? detail : "");
    if (!ok)
        failures++;
}

static void *make(void *ctx, int type, const char *endpoint, int bind)
{
    void *s = zmq_socket(ctx, type);
    int timeout = 2000, linger = 0;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (bind ? zmq_bind(s, endpoint) : zmq_connect(s, endpoint)) {
        fprintf(stderr, "%s %s: %s\n", bind ? "bind" : "connect", endpoint, zmq_strerror(zmq_errno()));
        exit(1);
    }
    return s;
}

/* Binds first and returns the endpoint to connect to (tcp "*" ports resolved). */
static void *bind_any(void *ctx, int type, const char *endpoint, char *resolved, size_t cap)
{
    void *s = make(ctx, type, endpoint, 1);
    size_t len = cap;
    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, resolved, &len);
    return s;
}

static void demo_pipeline(void *ctx, const char *endpoint)
{
    char ep[256];
    void *pull = bind_any(ctx, ZMQ_PULL, endpoint, ep, sizeof ep);
    void *push = make(ctx, ZMQ_PUSH, ep, 0);
    int sum = 0, ok = 1;
    for (int i = 1; i <= 100; i++)
        ok &= zmq_send(push, &i, sizeof i, 0) == sizeof i;
    for (int i = 1; i <= 100 && ok; i++) {
        int v = 0;
        ok &= zmq_recv(pull, &v, sizeof v, 0) == sizeof v;
        sum += v;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "100 tasks, sum %d", sum);
    report("PUSH/PULL", ep, ok && sum == 5050, detail);
    zmq_close(push);
    zmq_close(pull);
}

static void demo_reqrep(void *ctx, const char *endpoint)
{
    char ep[256], buf[32];
    void *rep = bind_any(ctx, ZMQ_REP, endpoint, ep, sizeof ep);
    void *req = make(ctx, ZMQ_REQ, ep, 0);
    int ok = 1;
    for (int i = 0; i < 10 && ok; i++) {
        ok &= zmq_send(req, "ping", 4, 0) == 4;
        ok &= zmq_recv(rep, buf, sizeof buf, 0) == 4 && memcmp(buf, "ping", 4) == 0;
        ok &= zmq_send(rep, "pong", 4, 0) == 4;
        ok &= zmq_recv(req, buf, sizeof buf, 0) == 4 && memcmp(buf, "pong", 4) == 0;
    }
    report("REQ/REP", ep, ok, "10 round trips");
    zmq_close(req);
    zmq_close(rep);
}

static void demo_pubsub(void *ctx, const char *endpoint)
{
    char ep[256], buf[32];
    void *pub = bind_any(ctx, ZMQ_PUB, endpoint, ep, sizeof ep);
    void *sub = make(ctx, ZMQ_SUB, ep, 0);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "weather", 7);
    /* Subscriptions travel upstream asynchronously: publish until the first one gets through. */
    int ok = 0;
    for (int i = 0; i < 200 && !ok; i++) {
        zmq_send(pub, "sports ignored", 14, 0);
        zmq_send(pub, "weather sunny", 13, 0);
        ok = zmq_recv(sub, buf, sizeof buf, ZMQ_DONTWAIT) == 13;
        if (!ok)
            usleep(10000);
    }
    ok = ok && memcmp(buf, "weather", 7) == 0;
    report("PUB/SUB", ep, ok, "prefix filter \"weather\"");
    zmq_close(sub);
    zmq_close(pub);
}

static void demo_router(void *ctx, const char *endpoint)
{
    char ep[256], id[64], body[32];
    void *router = bind_any(ctx, ZMQ_ROUTER, endpoint, ep, sizeof ep);
    void *dealer = zmq_socket(ctx, ZMQ_DEALER);
    int timeout = 2000, linger = 0;
    zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "worker-1", 8);
    zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(dealer, ep);
    int ok = zmq_send(dealer, "hello", 5, 0) == 5;
    int idlen = zmq_recv(router, id, sizeof id, 0);
    ok &= idlen == 8 && memcmp(id, "worker-1", 8) == 0;
    ok &= zmq_recv(router, body, sizeof body, 0) == 5;
    ok &= zmq_send(router, id, (size_t)(idlen > 0 ? idlen : 0), ZMQ_SNDMORE) >= 0;
    ok &= zmq_send(router, "world", 5, 0) == 5;
    ok &= zmq_recv(dealer, body, sizeof body, 0) == 5 && memcmp(body, "world", 5) == 0;
    report("DEALER/ROUTER", ep, ok, "routed by id \"worker-1\"");
    zmq_close(dealer);
    zmq_close(router);
}

int main(void)
{
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("ZeroMQ API %d.%d.%d: the same code over three transports\n", major, minor, patch);
    char ipc[3][128];
    for (int i = 0; i < 3; i++)
        snprintf(ipc[i], sizeof ipc[i], "ipc:///tmp/zinc-demo-%d-%d", (int)getpid(), i);
    const char *transports[][4] = {
        {"inproc", "inproc://pipeline", "inproc://reqrep", "inproc://pubsub"},
        {"ipc", ipc[0], ipc[1], ipc[2]},
        {"tcp", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"},
    };
    void *ctx = zmq_ctx_new();
    for (size_t t = 0; t < 3; t++) {
        printf("%s:\n", transports[t][0]);
        demo_pipeline(ctx, transports[t][1]);
        demo_reqrep(ctx, transports[t][2]);
        demo_pubsub(ctx, transports[t][3]);
        char rt[160];
        snprintf(rt, sizeof rt, "%s-router", transports[t][1]);
        demo_router(ctx, strcmp(transports[t][0], "tcp") == 0 ? transports[t][1] : rt);
    }
    zmq_ctx_term(ctx);
    printf(failures ? "%d FAILED\n" : "all patterns ok\n", failures);
    return failures != 0;
}
