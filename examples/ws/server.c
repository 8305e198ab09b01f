/* The server side of the browser example (examples/ws/index.html): a PUB that publishes "tick <n>" every
 * 20 ms and a REP that answers "echo:<x>" with "ECHO:<x>", both on ws:// so that a web page can talk to
 * them with nothing but the browser's WebSocket. It prints its two endpoints on stdout, one per line
 * ("pub ws://127.0.0.1:PORT", "rep ws://127.0.0.1:PORT"), then serves.
 *
 *   ws_server                               serve forever on ephemeral ports
 *   ws_server --port P                      PUB on P, REP on P+1 (to open the page by hand)
 *   ws_server --count N --timeout-ms T      the test: exit 0 once the page reports "done:<got>:<echoes>"
 *                                           with got >= N ticks and echoes >= 3 correct replies, 1 if that
 *                                           report is short or never comes within T ms
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *bound(void *ctx, int type, int port, char *ep, size_t cap)
{
    void *s = zmq_socket(ctx, type);
    char addr[64];
    if (port > 0)
        snprintf(addr, sizeof addr, "ws://127.0.0.1:%d", port);
    else
        snprintf(addr, sizeof addr, "ws://127.0.0.1:*");
    if (!s || zmq_bind(s, addr) != 0) {
        fprintf(stderr, "ws_server: bind %s: %s\n", addr, zmq_strerror(zmq_errno()));
        exit(2);
    }
    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &cap);
    return s;
}

/* Answers one request; returns 1 when the page reported its result (*ok: whether it passed). */
static int serve(void *rep, int count, int *echoes, int *ok)
{
    char req[256], reply[300];
    int n = zmq_recv(rep, req, sizeof req - 1, 0);
    if (n < 0)
        return 0;
    req[n < (int)sizeof req - 1 ? n : (int)sizeof req - 1] = 0;
    int got = -1, page_echoes = -1;
    if (strncmp(req, "echo:", 5) == 0) {
        snprintf(reply, sizeof reply, "ECHO:%s", req + 5);
        (*echoes)++;
    } else if (sscanf(req, "done:%d:%d", &got, &page_echoes) == 2) {
        *ok = got >= count && page_echoes >= 3 && *echoes >= 3;
        printf("page: %d ticks, %d correct echoes (server answered %d): %s\n", got, page_echoes, *echoes,
               *ok ? "PASS" : "FAIL");
        snprintf(reply, sizeof reply, "bye");
    } else {
        snprintf(reply, sizeof reply, "error: unknown request");
    }
    zmq_send(rep, reply, strlen(reply), 0);
    return got >= 0;
}

int main(int argc, char **argv)
{
    int count = -1, port = 0;
    long long timeout_ms = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--count") == 0)
            count = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--timeout-ms") == 0)
            timeout_ms = atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
    }
    void *ctx = zmq_ctx_new();
    char pub_ep[256], rep_ep[256];
    void *pub = bound(ctx, ZMQ_PUB, port, pub_ep, sizeof pub_ep);
    void *rep = bound(ctx, ZMQ_REP, port ? port + 1 : 0, rep_ep, sizeof rep_ep);
    printf("pub %s\nrep %s\n", pub_ep, rep_ep);
    fflush(stdout);

    long long start = now_ms(), next_tick = start;
    int seq = 0, echoes = 0, ok = 0, done = 0;
    while (!done && (timeout_ms < 0 || now_ms() - start < timeout_ms)) {
        if (now_ms() >= next_tick) {
            char tick[32];
            snprintf(tick, sizeof tick, "tick %d", seq++);
            zmq_send(pub, tick, strlen(tick), ZMQ_DONTWAIT);
            next_tick += 20;
        }
        zmq_pollitem_t item = {rep, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 10) > 0)
            done = serve(rep, count, &echoes, &ok);
        fflush(stdout);
    }
    if (!done)
        printf("no result from the page within %lld ms (%d echoes answered)\n", timeout_ms, echoes);
    int linger = 200;
    zmq_setsockopt(rep, ZMQ_LINGER, &linger, sizeof linger);   /* "bye" still leaves */
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(pub);
    zmq_close(rep);
    zmq_ctx_term(ctx);
    return done && ok ? 0 : 1;
}
