/* Routing strategies shared by socket types (libzmq's good idea: lb, fq, dist factored out):
 *   lb    load-balance: round-robin each whole outgoing message to the next peer with room (PUSH, DEALER, REQ)
 *   fq    fair-queue: take whole incoming messages from peers in turn (PULL, DEALER, REP, SUB, ...)
 *   dist  distribute: copy each outgoing message to a set of peers, dropping for peers at HWM (PUB, XPUB)
 *
 * Each keeps its pipes in one array split in two: [0, active) may have frames/room, [active, n) are
 * known empty/full and wait for their wake. Slots are recorded in the pipe end (in_slot / out_slot), so
 * activation is O(1).
 */
#ifndef ZINC_ROUTE_H
#define ZINC_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

struct msg;
struct pipe_end;
struct socket;

struct route_set {
    struct pipe_end **pipes;
    size_t n, active, cap;
    size_t current;                 /* next pipe to serve (round-robin) */
    bool out;                       /* true: uses out_slot (lb, dist); false: in_slot (fq) */
};

int route_set_add(struct route_set *rs, struct pipe_end *e, bool active);   /* 0 or -ENOMEM */
void route_set_remove(struct route_set *rs, struct pipe_end *e);
void route_set_activate(struct route_set *rs, struct pipe_end *e);
void route_set_deactivate(struct route_set *rs, struct pipe_end *e);
void route_set_fini(struct route_set *rs);

struct lb {
    struct route_set set;
    struct pipe_end *sending;       /* pipe of the multipart message in progress, if any */
    bool dropping;                  /* its pipe vanished mid-message: drop the remaining frames */
};
void lb_init(struct lb *lb);
int lb_attach(struct lb *lb, struct pipe_end *e);
void lb_detach(struct lb *lb, struct pipe_end *e);
void lb_activated(struct lb *lb, struct pipe_end *e);
/* Sends one frame; a message's first frame picks the pipe. 0 or -EAGAIN. *to gets the pipe, if asked. */
int lb_send(struct lb *lb, struct socket *s, struct msg *m, struct pipe_end **to);
bool lb_has_out(struct lb *lb, struct socket *s);

struct fq {
    struct route_set set;
    struct pipe_end *receiving;     /* pipe of the multipart message in progress, if any */
};
void fq_init(struct fq *fq);
int fq_attach(struct fq *fq, struct pipe_end *e);
void fq_detach(struct fq *fq, struct pipe_end *e);
void fq_activated(struct fq *fq, struct pipe_end *e);
/* Receives one frame; 0 or -EAGAIN. *from gets the pipe it came from, if asked. */
int fq_recv(struct fq *fq, struct socket *s, struct msg *m, struct pipe_end **from);
bool fq_has_in(struct fq *fq, struct socket *s);
/* Receives one whole single-frame message; multipart messages are read to their end and dropped (RFC 41
 * sockets, as libzmq). 0 or -EAGAIN. *from gets the pipe it came from, if asked. */
int fq_recv_single(struct fq *fq, struct socket *s, struct msg *m, struct pipe_end **from);

struct dist {
    struct route_set set;           /* [0, active): pipes with room */
    size_t matching;                /* [0, matching): pipes that get the current message */
    bool more;                      /* in the middle of a multipart message */
    size_t skipped;                 /* pipes matched for this message but at their high-water mark */
};
void dist_init(struct dist *d);
int dist_attach(struct dist *d, struct pipe_end *e);
void dist_detach(struct dist *d, struct pipe_end *e);
void dist_activated(struct dist *d, struct pipe_end *e);
void dist_match(struct dist *d, struct pipe_end *e);   /* add e to the current message's targets */
void dist_match_all(struct dist *d);
void dist_unmatch(struct dist *d);
void dist_reverse_match(struct dist *d);               /* targets := active pipes not matched */
/* Sends one frame to the matching pipes; pipes at HWM are skipped for the whole message. Always 0. */
int dist_send_to_matching(struct dist *d, struct socket *s, struct msg *m);
int dist_send_to_all(struct dist *d, struct socket *s, struct msg *m);
bool dist_has_out(struct dist *d);

#endif
