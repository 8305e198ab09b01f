/* monitor_util.h: reading zmq_socket_monitor events in the public-API tests. An event is two frames
 * (zmq_socket_monitor(3), libzmq 4.3.4): 6 bytes holding a native-order uint16 event id and uint32 value,
 * sent with MORE, then the endpoint. Header-only like testutil.h, on which it builds.
 *
 * expect_event waits up to MONITOR_EVENT_MS for each event: 2 s unless the test defines it before
 * including this header. */
#ifndef ZINC_MONITOR_UTIL_H
#define ZINC_MONITOR_UTIL_H

#include "testutil.h"

#ifndef MONITOR_EVENT_MS
#define MONITOR_EVENT_MS 2000
#endif

struct monitor_event {
    int id;                          /* ZMQ_EVENT_* */
    uint32_t value;                  /* the fd, errno, interval... as the event defines */
    char endpoint[TU_ENDPOINT_LEN];  /* NUL-terminated, empty for MONITOR_STOPPED */
};

static int tu_monitor_seq;

/* Starts monitoring sock for events on a fresh inproc address; returns the PAIR (in ctx) that reads them. */
TU_UNUSED static void *start_monitor(void *ctx, void *sock, int events)
{
    char addr[64];
    snprintf(addr, sizeof addr, "inproc://zinc-monitor-%d-%d", (int)getpid(), ++tu_monitor_seq);
    CHECK_OK(zmq_socket_monitor(sock, addr, events));
    void *mon = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_connect(mon, addr));
    return mon;
}

/* Reads one event within ms; returns 0 if none came. Checks the two-frame format. */
TU_UNUSED static int read_event(void *mon, struct monitor_event *ev, int ms)
{
    unsigned char frame[16];
    int more = 0;
    int n = recv_timeout(mon, frame, sizeof frame, ms, &more);
    if (n < 0)
        return 0;
    CHECK_EQ(n, 6);
    CHECK_EQ(more, 1);
    uint16_t id;
    memcpy(&id, frame, sizeof id);
    memcpy(&ev->value, frame + 2, sizeof ev->value);
    ev->id = id;
    n = recv_timeout(mon, ev->endpoint, sizeof ev->endpoint, 1000, &more);
    CHECK_INT(n, >=, 0);
    CHECK_EQ(more, 0);
    return 1;
}

/* The next event, skipping those in skip_mask, must be `expected`. */
TU_UNUSED static void tu_expect_event(const char *file, int line, void *mon, int expected, int skip_mask,
                                      struct monitor_event *ev)
{
    for (;;) {
        if (!read_event(mon, ev, MONITOR_EVENT_MS))
            tu_fail(file, line, "expected event 0x%x, none came", expected);
        if (ev->id == expected)
            return;
        if (!(ev->id & skip_mask))
            tu_fail(file, line, "expected event 0x%x, got 0x%x (value %u)", expected, ev->id, ev->value);
    }
}
#define expect_event(mon, expected, skip, ev)                                                                \
    tu_expect_event(__FILE__, __LINE__, (mon), (expected), (skip), (ev))

#endif
