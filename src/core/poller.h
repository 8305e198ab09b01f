/* The poller behind zmq_poller_*: a registration table of sockets and plain fds, kept between waits, so a
 * wait neither rebuilds nor allocates anything. Used by one thread at a time, as in libzmq.
 *
 * Every registered item is waited on through one fd: a socket's readiness fd (its mailbox eventfd, ZMQ_FD,
 * readable whenever socket_events could answer differently; for thread-safe sockets the poller's own fd,
 * which other threads using the socket signal too) or the plain fd itself. Whether a socket is ready is
 * only ever decided by socket_events; the fd only says when to ask again.
 */
#ifndef ZINC_POLLER_H
#define ZINC_POLLER_H

#ifndef ZMQ_BUILD_DRAFT_API
#error "define ZMQ_BUILD_DRAFT_API before including zmq.h and core/poller.h (zmq_poller_event_t is a draft type)"
#endif
#include <zmq.h>

#include <stdint.h>

struct socket;
struct poller;

#define POLLER_TAG 0x504f4c4cu   /* "POLL" */

/* NULL when out of memory. */
struct poller *poller_new(void);
/* Frees the poller; registered sockets and fds are left untouched (nothing of theirs is held). */
void poller_destroy(struct poller *p);
/* The tag of a live poller is POLLER_TAG: catches bad handles at the edge. */
uint32_t poller_tag(const struct poller *p);
int poller_size(const struct poller *p);

/* 0 or -EINVAL (already registered / not registered), -ENOMEM; for a thread-safe socket also -EMFILE,
 * -ENFILE (the poller's fds) or -ENOSPC (epoll's limit). events: ZMQ_POLLIN|OUT|ERR|PRI only. */
int poller_add(struct poller *p, struct socket *s, void *user_data, short events);
int poller_modify(struct poller *p, struct socket *s, short events);
int poller_remove(struct poller *p, struct socket *s);
int poller_add_fd(struct poller *p, int fd, void *user_data, short events);
int poller_modify_fd(struct poller *p, int fd, short events);
int poller_remove_fd(struct poller *p, int fd);

/* Fills up to n_events events; returns how many (never 0), or -EAGAIN (timed out), -EFAULT (nothing that
 * could ever be reported and timeout < 0), -ETERM, -EINTR, -ENOMEM. timeout: -1 forever, 0 no wait. */
int poller_wait(struct poller *p, zmq_poller_event_t *events, int n_events, long timeout_ms);

/* The poller's own pollable fd (zmq_poller_fd): readable when a registered thread-safe socket with events
 * may have become ready; then poller_wait says which. 0, or -EINVAL before the first thread-safe socket
 * was added (from then on it is the same fd until poller_destroy, as libzmq's signaler). */
int poller_fd(struct poller *p, int *fd);

#endif
