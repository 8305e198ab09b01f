/* The engine of SERVER (server.c, RFC 41), shared with PEER (peer.c, RFC 51), which libzmq also builds on
 * its server: routing ids given per pipe at attach, fair-queued single-frame receive tagged with the
 * sender's id, send to the pipe a message's routing id names. The hooks are proto_ops slots (proto.h). */
#ifndef ZINC_PROTO_SERVER_H
#define ZINC_PROTO_SERVER_H

#include <stdbool.h>

#include "proto/route/route.h"
#include "proto/route/router_table.h"

struct msg;
struct pipe_end;
struct socket;

struct server {
    struct socket *s;
    struct fq fq;
    struct router_table table;       /* routing id -> peer */
};

int server_init(void *self, struct socket *s);
void server_fini(void *self);
int server_attach(void *self, struct pipe_end *e);
void server_detach(void *self, struct pipe_end *e);
void server_read_activated(void *self, struct pipe_end *e);
void server_write_activated(void *self, struct pipe_end *e);
int server_send(void *self, struct msg *m);
int server_recv(void *self, struct msg *m);
bool server_has_in(void *self);
bool server_has_out(void *self);

#endif
