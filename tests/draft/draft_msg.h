/* draft_msg.h: single-frame send and receive with routing ids, and a rebind that waits out EADDRINUSE,
 * shared by the RFC clause tests of the thread-safe types (test_spec_rfc41.c, rfc49, rfc51). Include after
 * testutil.h. */
#ifndef ZINC_TEST_DRAFT_MSG_H
#define ZINC_TEST_DRAFT_MSG_H

#include <stdint.h>
#include <string.h>

#include <zmq.h>

/* Sends len bytes with routing id rid (0: none) by zmq_msg_send; returns its result with errno kept. */
TU_UNUSED static int send_rid(void *sock, uint32_t rid, const void *data, size_t len, int flags)
{
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init_size(&m, len));
    if (len)
        memcpy(zmq_msg_data(&m), data, len);
    if (rid)
        CHECK_OK(zmq_msg_set_routing_id(&m, rid));
    int rc = zmq_msg_send(&m, sock, flags);
    int err = errno;
    if (rc < 0)
        zmq_msg_close(&m);
    errno = err;
    return rc;
}

/* Receives one message within ms into buf (NUL-terminated when it fits); returns its length, or -1 if none
 * came. *rid, if given, receives its routing id. */
TU_UNUSED static int recv_rid(void *sock, void *buf, size_t cap, int ms, uint32_t *rid)
{
    int64_t deadline = now_ms() + ms;
    zmq_msg_t m;
    zmq_msg_init(&m);
    int rc;
    do {
        int64_t left = deadline - now_ms();
        if (!poll_in(sock, left > 0 ? (int)left : 0)) {
            zmq_msg_close(&m);
            return -1;
        }
        rc = zmq_msg_recv(&m, sock, ZMQ_DONTWAIT);
    } while (rc < 0 && errno == EAGAIN);
    CHECK(rc >= 0 && (size_t)rc < cap);
    memcpy(buf, zmq_msg_data(&m), (size_t)rc);
    ((char *)buf)[rc] = '\0';
    CHECK_EQ(zmq_msg_more(&m), 0);
    if (rid)
        *rid = zmq_msg_routing_id(&m);
    zmq_msg_close(&m);
    return rc;
}

/* The next message on sock is text; returns its routing id. */
TU_UNUSED static uint32_t expect_text(void *sock, const char *text)
{
    char buf[256];
    uint32_t rid = 0;
    CHECK_EQ(recv_rid(sock, buf, sizeof buf, 2000, &rid), (int)strlen(text));
    CHECK_STR(buf, text);
    return rid;
}

/* Binds sock to ep again, retrying for up to 5 s while the old listener on that address is going. */
TU_UNUSED static void rebind(void *sock, const char *ep)
{
    int64_t deadline = now_ms() + 5000;
    while (zmq_bind(sock, ep) != 0) {
        CHECK_EQ(errno, EADDRINUSE);
        CHECK(now_ms() < deadline);
        msleep(10);
    }
}

#endif
