/* Peer events (draft API): ZMQ_ROUTER_NOTIFY, ZMQ_HELLO_MSG and ZMQ_DISCONNECT_MSG. The two messages are
 * immutable, reference-counted byte strings: the socket holds one per option, and every copy of the
 * socket's settings that a connection or listener keeps (struct conn_params) or that an inproc binding
 * keeps holds its own reference, so no thread ever reads bytes another thread may free.
 *
 * Invariants:
 *  1. A peer_msg never changes after peer_msg_new; only its reference count does (atomically).
 *  2. NULL means "not set" everywhere (an empty option value clears it, as in libzmq).
 *  3. Which socket types act on them (libzmq's documented ones): HELLO_MSG is sent by ROUTER and DEALER,
 *     DISCONNECT_MSG is delivered by ROUTER, ROUTER_NOTIFY by ROUTER; peer_msg_hello_for and
 *     peer_msg_disconnect_for are the one place that says so. */
#ifndef ZINC_PEER_MSG_H
#define ZINC_PEER_MSG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct msg;

struct peer_msg {
    atomic_int refs;
    size_t len;
    uint8_t data[];
};

/* A new string of len bytes (len > 0) with one reference, or NULL on ENOMEM. */
struct peer_msg *peer_msg_new(const void *data, size_t len);
/* Takes a reference (NULL passes through) and returns pm. */
struct peer_msg *peer_msg_ref(struct peer_msg *pm);
/* Drops a reference (NULL: nothing). */
void peer_msg_unref(struct peer_msg *pm);
/* A message with a copy of the bytes: 0 or -ENOMEM. */
int peer_msg_to_msg(const struct peer_msg *pm, struct msg *m);

/* The message a socket of this type sends each new peer (NULL: none), given what ZMQ_HELLO_MSG holds. */
struct peer_msg *peer_msg_hello_for(int type, struct peer_msg *hello);
/* The message a socket of this type delivers when an accepted peer goes (NULL: none). */
struct peer_msg *peer_msg_disconnect_for(int type, struct peer_msg *disconnect);

/* Sets one of the two options from a zmq_setsockopt value: (any, 0) clears it. 0, -EINVAL or -ENOMEM. */
int peer_msg_set(struct peer_msg **slot, const void *value, size_t len);

#endif
