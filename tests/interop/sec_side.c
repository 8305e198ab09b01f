/* One side of a security interop case (PLAIN or CURVE, server or client), shared by the driver
 * (interop_security.c, on zinc or libzmq) and the C peer (sec_peer_libzmq.c, always the system libzmq).
 * Uses only <zmq.h> and libc, so it builds against either library.
 *
 * A server binds a DEALER on tcp://127.0.0.1:*, optionally runs a ZAP handler (admin/secret for PLAIN,
 * one client key for CURVE; User-Id "interop-user") and echoes every message until it receives "STOP".
 * A client connects a DEALER and sends a multipart message, an empty message and a 5 MB patterned
 * message, and checks each echo byte for byte, then sends "STOP". With expect_refused, each side waits
 * for its monitor to report the handshake failing, and checks nothing got through. */
#include "sec_side.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC_BIG (5 * 1024 * 1024)
#define SEC_IO_MS 10000

static int64_t sec_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3))) static void sec_result(struct sec_side *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->result, sizeof s->result, fmt, ap);
    va_end(ap);
}

/* ---- ZAP handler ----------------------------------------------------------------------------------------- */
struct sec_zap {
    void *sock;
    pthread_t thread;
    const struct sec_side *side;
};

static void *sec_zap_run(void *arg)
{
    struct sec_zap *z = arg;
    for (;;) {
        char f[8][256];
        int len[8], n = 0, more = 1;
        while (more && n < 8) {
            len[n] = zmq_recv(z->sock, f[n], sizeof f[n], 0);
            if (len[n] < 0)
                return NULL;   /* the context ended */
            size_t ms = sizeof more;
            zmq_getsockopt(z->sock, ZMQ_RCVMORE, &more, &ms);
            n++;
        }
        int ok = 0;
        if (n == 8 && len[5] == 5 && memcmp(f[5], "PLAIN", 5) == 0)
            ok = len[6] == 5 && memcmp(f[6], "admin", 5) == 0 && len[7] == 6 && memcmp(f[7], "secret", 6) == 0;
        if (n == 7 && len[5] == 5 && memcmp(f[5], "CURVE", 5) == 0 && len[6] == 32) {
            uint8_t allowed[32];
            ok = zmq_z85_decode(allowed, z->side->client_public) && memcmp(allowed, f[6], 32) == 0;
        }
        zmq_send(z->sock, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(z->sock, f[1], (size_t)len[1], ZMQ_SNDMORE);
        zmq_send(z->sock, ok ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send(z->sock, ok ? "OK" : "refused", ok ? 2 : 7, ZMQ_SNDMORE);
        zmq_send(z->sock, ok ? "interop-user" : "", ok ? 12 : 0, ZMQ_SNDMORE);
        zmq_send(z->sock, "", 0, 0);
    }
}

/* ---- monitor ------------------------------------------------------------------------------------------- */
/* Polls the monitor until `until_ms`; records handshake success or failure (first one wins). */
static void sec_watch(void *mon, int64_t until_ms, int *event, uint32_t *value)
{
    while (!*event && sec_now_ms() < until_ms) {
        zmq_pollitem_t item = {mon, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 50) <= 0)
            continue;
        uint8_t frame[6];
        char ep[256];
        if (zmq_recv(mon, frame, sizeof frame, 0) != 6 || zmq_recv(mon, ep, sizeof ep, 0) < 0)
            continue;
        uint16_t id;
        memcpy(&id, frame, 2);
        if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED || id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
            id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            *event = id;
            memcpy(value, frame + 2, 4);
        }
    }
}

static void sec_configure(struct sec_side *s, void *sock)
{
    int one = 1;
    if (s->curve && s->server) {
        zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one);
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, s->server_secret, 40);
    } else if (s->curve) {
        zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, s->server_public, 40);
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, s->client_public, 40);
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, s->client_secret, 40);
    } else if (s->server) {
        zmq_setsockopt(sock, ZMQ_PLAIN_SERVER, &one, sizeof one);
    } else {
        zmq_setsockopt(sock, ZMQ_PLAIN_USERNAME, s->username, strlen(s->username));
        zmq_setsockopt(sock, ZMQ_PLAIN_PASSWORD, s->password, strlen(s->password));
    }
    int linger = 0, io_ms = SEC_IO_MS;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &io_ms, sizeof io_ms);
    zmq_setsockopt(sock, ZMQ_SNDTIMEO, &io_ms, sizeof io_ms);
}

/* ---- the server ------------------------------------------------------------------------------------------ */
static void sec_serve(struct sec_side *s, void *sock)
{
    int64_t until = sec_now_ms() + 20000;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            sec_result(s, "fail:server timed out waiting for STOP");
            return;
        }
        if (s->zap && !s->user_checked) {
            const char *user = zmq_msg_gets(&m, "User-Id");
            if (!user || strcmp(user, "interop-user") != 0) {
                zmq_msg_close(&m);
                sec_result(s, "fail:User-Id is %s", user ? user : "(none)");
                return;
            }
            s->user_checked = 1;
        }
        int more = zmq_msg_more(&m);
        int stop = !more && zmq_msg_size(&m) == 4 && memcmp(zmq_msg_data(&m), "STOP", 4) == 0;
        if (zmq_msg_send(&m, sock, more ? ZMQ_SNDMORE : 0) < 0) {
            zmq_msg_close(&m);
            sec_result(s, "fail:echo failed");
            return;
        }
        if (stop || sec_now_ms() > until)
            break;
    }
    sec_result(s, "ok");
}

/* ---- the client ------------------------------------------------------------------------------------------ */
static int sec_expect(struct sec_side *s, void *sock, const void *data, size_t len, int more, uint8_t *buf)
{
    int n = zmq_recv(sock, buf, SEC_BIG + 1, 0);
    int got_more = 0;
    size_t ml = sizeof got_more;
    zmq_getsockopt(sock, ZMQ_RCVMORE, &got_more, &ml);
    if (n < 0) {
        sec_result(s, "fail:no echo of a %zu-byte frame", len);
        return -1;
    }
    if ((size_t)n != len || memcmp(buf, data, len) != 0 || got_more != more) {
        sec_result(s, "fail:echo differs: got %d bytes (more %d), wanted %zu (more %d)", n, got_more, len, more);
        return -1;
    }
    return 0;
}

static void sec_talk(struct sec_side *s, void *sock)
{
    uint8_t *big = malloc(SEC_BIG), *buf = malloc(SEC_BIG + 1);
    if (!big || !buf) {
        sec_result(s, "fail:out of memory");
        goto out;
    }
    for (size_t i = 0; i < SEC_BIG; i++)
        big[i] = (uint8_t)(i * 7 + (i >> 11));
    zmq_send(sock, "first", 5, ZMQ_SNDMORE);
    zmq_send(sock, "", 0, ZMQ_SNDMORE);
    zmq_send(sock, "last", 4, 0);
    zmq_send(sock, "", 0, 0);
    zmq_send(sock, big, SEC_BIG, 0);
    if (sec_expect(s, sock, "first", 5, 1, buf) || sec_expect(s, sock, "", 0, 1, buf) ||
        sec_expect(s, sock, "last", 4, 0, buf) || sec_expect(s, sock, "", 0, 0, buf) ||
        sec_expect(s, sock, big, SEC_BIG, 0, buf))
        goto out;
    zmq_send(sock, "STOP", 4, 0);
    if (sec_expect(s, sock, "STOP", 4, 0, buf))
        goto out;
    sec_result(s, "ok");
out:
    free(big);
    free(buf);
}

/* ---- one side ------------------------------------------------------------------------------------------ */
void sec_run(struct sec_side *s, void (*on_endpoint)(const char *endpoint, void *arg), void *arg)
{
    void *ctx = zmq_ctx_new();
    struct sec_zap zap = {.side = s};
    if (s->server && s->zap) {
        zap.sock = zmq_socket(ctx, ZMQ_REP);
        zmq_bind(zap.sock, "inproc://zeromq.zap.01");
        pthread_create(&zap.thread, NULL, sec_zap_run, &zap);
    }
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    sec_configure(s, sock);
    zmq_socket_monitor(sock, "inproc://sec-side-monitor", ZMQ_EVENT_ALL);
    void *mon = zmq_socket(ctx, ZMQ_PAIR);
    zmq_connect(mon, "inproc://sec-side-monitor");
    if (s->server) {
        char ep[256];
        size_t len = sizeof ep;
        zmq_bind(sock, "tcp://127.0.0.1:*");
        zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &len);
        on_endpoint(ep, arg);
    } else {
        zmq_connect(sock, s->endpoint);
    }
    int event = 0;
    uint32_t value = 0;
    sec_watch(mon, sec_now_ms() + 10000, &event, &value);
    if (s->expect_refused) {
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED || event == 0)
            sec_result(s, "fail:expected a refusal, got event 0x%x (value %u)", event, value);
        else
            sec_result(s, "refused:%d:%u", event, value);
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) > 0)
            sec_result(s, "fail:a message got through a refused handshake");
    } else if (event != ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        sec_result(s, "fail:handshake: event 0x%x value %u", event, value);
    } else if (s->server) {
        sec_serve(s, sock);
    } else {
        sec_talk(s, sock);
    }
    zmq_close(sock);   /* ends the monitor too (stopping it first could block libzmq on a full PAIR) */
    zmq_close(mon);
    zmq_ctx_shutdown(ctx);   /* the handler's recv returns ETERM */
    if (zap.sock) {
        pthread_join(zap.thread, NULL);
        zmq_close(zap.sock);
    }
    zmq_ctx_term(ctx);
}
