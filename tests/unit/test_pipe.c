/* The pipe publishes whole messages only: a flush in the middle of a multipart message holds its frames
 * back, and a rollback drops exactly the unfinished message (complete messages written before it
 * survive). Also: frames cross chunk boundaries intact, the high-water mark counts messages, and the
 * direct token's states (invariant 8) for a receive: no token, no receive; a receive that delivers; a
 * reader that takes the token back from a parked receive, which then finds it gone. */
#include <stdio.h>
#include <string.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "unit.h"

static void put(struct pipe_end *w, const char *text, bool more)
{
    struct msg m;
    msg_init_size(&m, strlen(text));
    memcpy(msg_data(&m), text, strlen(text));
    m.flags = more ? MSGF_MORE : 0;
    CHECK_EQ(pipe_write(w, &m), 0);
}

static void expect(struct pipe_end *r, const char *text)
{
    struct msg m;
    CHECK(pipe_read(r, &m));
    CHECK_MEM(msg_data(&m), msg_size(&m), text, strlen(text));
    msg_close(&m);
}

static void expect_empty(struct pipe_end *r)
{
    struct msg m;
    CHECK(!pipe_read(r, &m));
}

/* ---- direct receive (one thread plays both sides; ends have no mailbox, so wakes are no-ops) ---- */
static struct pipe_end *conn_end;
static int recv_calls;
static bool steal_while_parked;

static int fake_recv(void *arg, int wake_fd, int timeout_ms)
{
    (void)wake_fd;
    (void)timeout_ms;
    CHECK(arg == conn_end);
    recv_calls++;
    pipe_direct_park(conn_end);
    if (steal_while_parked) {
        CHECK(pipe_direct_reclaim(conn_end));   /* the reader takes it from RECV */
        CHECK(!pipe_direct_unpark(conn_end));   /* and the parked receive finds it gone */
        return PIPE_WAIT_WOKEN;
    }
    CHECK(pipe_direct_unpark(conn_end));
    put(conn_end, "direct", false);
    pipe_flush_to_self(conn_end);
    pipe_direct_release(conn_end, true);
    return PIPE_WAIT_DELIVERED;
}

static void noop_send(void *arg)
{
    (void)arg;
}

static int settle_calls;

static void count_settle(void *arg)
{
    (void)arg;
    settle_calls++;
}

static void direct_receive_states(void)
{
    struct pipe *p = pipe_new(0, 0);
    struct pipe_end *sock = &p->end[0];
    conn_end = &p->end[1];
    expect_empty(sock);                                  /* the socket found nothing: asleep */
    CHECK_EQ(pipe_direct_wait(sock, -1, 0, false), PIPE_WAIT_NONE);   /* nothing offered */
    pipe_direct_offer(conn_end, noop_send, NULL, NULL, conn_end);
    CHECK_EQ(pipe_direct_wait(sock, -1, 0, true), PIPE_WAIT_NONE);    /* offered, but no receive */
    CHECK(!pipe_direct_reclaim(conn_end));               /* still IDLE: taken back without a steal */
    pipe_direct_offer(conn_end, noop_send, fake_recv, NULL, conn_end);
    CHECK_EQ(pipe_direct_wait(sock, -1, 0, false), PIPE_WAIT_DELIVERED);
    CHECK_EQ(recv_calls, 1);
    expect(sock, "direct");                              /* published, the reader marked awake */
    expect_empty(sock);
    steal_while_parked = true;                           /* the token is IDLE again (released idle) */
    CHECK_EQ(pipe_direct_wait(sock, -1, 0, false), PIPE_WAIT_WOKEN);
    CHECK_EQ(recv_calls, 2);
    CHECK_EQ(pipe_direct_wait(sock, -1, 0, false), PIPE_WAIT_NONE);   /* the reader has it: IO */
    CHECK(!pipe_direct_reclaim(conn_end));
    pipe_direct_settle(sock);                            /* IO: the reader undid it itself */
    CHECK_EQ(settle_calls, 0);
    pipe_direct_offer(conn_end, noop_send, fake_recv, count_settle, conn_end);
    pipe_direct_settle(sock);                            /* offered: settled, and offered again */
    CHECK_EQ(settle_calls, 1);
    CHECK_EQ(pipe_direct_state(conn_end), PIPE_DIRECT_IDLE);
    CHECK(!pipe_direct_reclaim(conn_end));
    pipe_close(sock);
    pipe_close(conn_end);
}

int main(void)
{
    direct_receive_states();

    struct pipe *p = pipe_new(0, 0);
    struct pipe_end *w = &p->end[0], *r = &p->end[1];

    put(w, "a1", true);
    put(w, "a2", false);
    put(w, "b1", true);
    pipe_flush(w);               /* mid-message: only message a is published */
    expect(r, "a1");
    expect(r, "a2");
    expect_empty(r);
    put(w, "c1", false);         /* completes the message b1 started */
    put(w, "d1", true);
    pipe_rollback(w);            /* drops d1 only: b1 + c1 form a whole message */
    pipe_flush(w);
    expect(r, "b1");
    expect(r, "c1");
    expect_empty(r);
    put(w, "e1", false);
    pipe_flush(w);
    expect(r, "e1");

    /* many messages across chunk boundaries, flushed in batches */
    char buf[16];
    for (int i = 0; i < 3 * PIPE_CHUNK_ITEMS + 7; i++) {
        snprintf(buf, sizeof buf, "m%d", i);
        put(w, buf, false);
        if (i % 100 == 99)
            pipe_flush(w);
    }
    pipe_flush(w);
    for (int i = 0; i < 3 * PIPE_CHUNK_ITEMS + 7; i++) {
        snprintf(buf, sizeof buf, "m%d", i);
        expect(r, buf);
    }
    expect_empty(r);
    pipe_close(w);
    pipe_close(r);

    /* HWM counts whole messages: 2 three-frame messages fill a pipe of hwm 2 */
    p = pipe_new(2, 2);
    w = &p->end[0];
    r = &p->end[1];
    for (int i = 0; i < 2; i++) {
        CHECK(pipe_check_write(w));
        put(w, "x", true);
        put(w, "y", true);
        put(w, "z", false);
        pipe_flush(w);
    }
    CHECK(!pipe_check_write(w));
    expect(r, "x");
    expect(r, "y");
    expect(r, "z");
    expect(r, "x");
    expect(r, "y");
    expect(r, "z");
    CHECK(pipe_check_write(w));
    put(w, "unread", false);     /* freed with the pipe */
    put(w, "partial", true);
    pipe_flush(w);
    pipe_close(w);
    pipe_close(r);
    return unit_summary("test_pipe");
}
