/* Peer events on a ZMTP connection (draft API; core/peer_msg.h): what libzmq's engine and session add to
 * the message stream when a peer arrives or goes.
 *
 *   ACTIVE (conn_ready) --> conn_notify_ready: ROUTER with ZMQ_NOTIFY_CONNECT gets an empty message after
 *                           the peer's routing id; ZMQ_HELLO_MSG goes to the peer ahead of anything queued.
 *   ACTIVE --error, EOF, heartbeat timeout (conn_drop)--> conn_notify_gone: the message cut short is rolled
 *                           back, then ROUTER with ZMQ_NOTIFY_DISCONNECT gets an empty message, and a
 *                           ROUTER whose peer it accepted gets ZMQ_DISCONNECT_MSG.
 *
 * Invariants:
 *  1. Only a connection that reached ACTIVE notifies: a failed handshake announces nothing (libzmq's
 *     test_handshake_fail), and a connection the socket itself ended (close, disconnect, unbind) does not
 *     report its own end.
 *  2. The notifications are whole single-frame messages written past the high-water mark (libzmq loses
 *     one that finds the pipe full; here the socket always learns of the event).
 *  3. The hello waits in out_held, which conn_encode takes before the pipe and which a message dropped by
 *     a reconnect (out_dropping) never swallows: it is the first message every connection carries.
 *  4. STREAM and ROUTER_RAW connections have their own raw notifications (conn_raw_notify) and none of
 *     these.
 */
#include "core/conn_int.h"

#include <zmq.h>

#include "core/msg.h"
#include "core/peer_msg.h"
#include "core/pipe.h"

static bool router_notifies(const struct conn *c, int what)
{
    return c->p.opt.type == ZMQ_ROUTER && (c->p.opt.router_notify & what) != 0;
}

/* One single-frame message to the socket (body NULL: an empty one), carrying the peer's properties;
 * dropped only on ENOMEM. */
static void push_to_socket(struct conn *c, const struct peer_msg *body)
{
    struct msg m;
    msg_init(&m);
    if (body && peer_msg_to_msg(body, &m) < 0)
        return;
    if (c->meta)
        msg_set_meta(&m, c->meta);
    if (pipe_write(c->end, &m) < 0)
        msg_close(&m);
}

void conn_notify_ready(struct conn *c)
{
    if (c->raw || !c->end)
        return;
    if (router_notifies(c, OPT_NOTIFY_CONNECT)) {
        push_to_socket(c, NULL);
        pipe_flush(c->end);
    }
    if (c->p.hello && !c->out_has_held) {
        struct msg m;
        if (peer_msg_to_msg(c->p.hello, &m) == 0) {
            msg_move(&c->out_held, &m);
            c->out_has_held = true;
        }
    }
}

void conn_notify_gone(struct conn *c)
{
    if (c->raw || !c->end || c->closing || c->state != CONN_ACTIVE)
        return;
    bool notify = router_notifies(c, OPT_NOTIFY_DISCONNECT);
    struct peer_msg *bye = c->connecter ? NULL : c->p.disconnect;
    if (!notify && !bye)
        return;
    conn_direct_reclaim(c);    /* a direct receive may be the pipe's writer until then */
    pipe_flush(c->end);        /* whole messages already decoded still reach the socket first */
    pipe_rollback(c->end);     /* the one cut short does not */
    c->in_more = false;
    if (notify)
        push_to_socket(c, NULL);
    if (bye)
        push_to_socket(c, bye);
    pipe_flush(c->end);
}
