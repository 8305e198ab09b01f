/* The ws:// relay (ws_relay.c): runs the WebSocket side of a ws:// connection on the I/O thread and hands
 * the ZMTP engine (core/conn.c) a plain ZMTP byte stream on a socketpair. */
#ifndef ZINC_WS_RELAY_H
#define ZINC_WS_RELAY_H

#include <stdbool.h>

struct options;
struct reactor;

/* (io) Takes net_fd (a connected or accepted TCP socket) and returns the fd the conn runs ZMTP on, or
 * -errno (net_fd is then closed). client: we connected, addr is "host:port[/path]". */
int ws_relay_start(struct reactor *io, int net_fd, bool client, const char *addr, const struct options *o);

#endif
