/* zmq_poll over zinc sockets and plain file descriptors. */
#ifndef ZINC_POLL_H
#define ZINC_POLL_H

#include <zmq.h>

/* Returns the number of items with events, or -errno (-ETERM, -EINTR, -EFAULT, -ENOTSOCK, -ENOMEM). */
int poll_items(zmq_pollitem_t *items, int nitems, long timeout_ms);

#endif
