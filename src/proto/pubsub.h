/* The two engines behind RFC 29's four socket types, as in libzmq: XSUB (xsub.c) also runs SUB (sub.c), which
 * adds ZMQ_SUBSCRIBE and filtering; XPUB (xpub.c) also runs PUB (pub.c), which never receives.
 *
 * Inside zinc a subscription always travels on a pipe as a one-frame message, 0x01 + topic to subscribe or
 * 0x00 + topic to cancel; the connection turns it into a ZMTP 3.1 SUBSCRIBE/CANCEL command and back
 * (core/conn.c) when the peer speaks 3.1, and leaves it a message for 3.0/2.0 peers and over inproc.
 */
#ifndef ZINC_PUBSUB_H
#define ZINC_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/msg.h"
#include "proto/route/route.h"
#include "proto/route/trie.h"

struct socket;
struct pipe_end;

/* Draft-API options that Debian's libzmq 4.3.4 accepts all the same (zmq.h shows them only to
 * ZMQ_BUILD_DRAFT_API code; the numbers are libzmq's). */
#define PUBSUB_XPUB_MANUAL_LAST_VALUE 98   /* XPUB/PUB: manual, and send only to the last subscriber */
#define PUBSUB_ONLY_FIRST_SUBSCRIBE 108    /* XPUB/PUB/XSUB: only a message's first frame may subscribe */

/* ---- XSUB / SUB ---------------------------------------------------------------------------------------- */
struct xsub {
    struct socket *s;
    struct fq fq;                   /* inbound: published messages */
    struct dist dist;               /* outbound: subscriptions and (XSUB) upstream messages */
    struct trie subs;               /* what we are subscribed to, counted; resent on attach and hiccup */
    bool filter;                    /* SUB: deliver only messages a subscription matches */
    bool only_first_subscribe;      /* ZMQ_ONLY_FIRST_SUBSCRIBE (XSUB) */
    bool more_recv;                 /* the application is mid-message: the rest passes unfiltered */
    bool more_send;                 /* the application is mid-message on send */
    bool process_subscribe;         /* frames of the message being sent may be subscriptions */
    bool has_message;               /* message holds a frame prefetched by has_in (or kept by conflate) */
    struct msg message;
    struct pipe_end **resend;       /* hiccuped while mid-message: resend when the message ends */
    size_t nresend, resend_cap;
};

int xsub_init(void *self, struct socket *s);
void xsub_fini(void *self);
int xsub_attach(void *self, struct pipe_end *e);
void xsub_detach(void *self, struct pipe_end *e);
void xsub_read_activated(void *self, struct pipe_end *e);
void xsub_write_activated(void *self, struct pipe_end *e);
void xsub_hiccup(void *self, struct pipe_end *e);
int xsub_recv(void *self, struct msg *m);
bool xsub_has_in(void *self);
/* Subscribes (true) or cancels one topic as the application asked, sending upstream as libzmq does:
 * every subscribe, and a cancel only when its count reaches zero. 0 or -ENOMEM. */
int xsub_subscription(struct xsub *x, bool subscribe, const void *topic, size_t len);

/* ---- XPUB / PUB ---------------------------------------------------------------------------------------- */
struct xpub_pending;

struct xpub {
    struct socket *s;
    bool is_pub;                    /* PUB: subscriptions only; nothing queued for the application */
    struct dist dist;               /* outbound: published messages */
    struct mtrie subs;              /* topic -> pipes, what matching uses */
    struct mtrie manual_subs;       /* ZMQ_XPUB_MANUAL: what each pipe asked for, cancelled when it leaves */
    struct route_set stalled;       /* pipes left unread because the application's queue is full */
    bool verbose_subs;              /* ZMQ_XPUB_VERBOSE: pass on every subscribe */
    bool verbose_unsubs;            /* ZMQ_XPUB_VERBOSER: pass on every cancel too */
    bool manual;                    /* ZMQ_XPUB_MANUAL */
    bool send_last_pipe;            /* ZMQ_XPUB_MANUAL_LAST_VALUE */
    bool nodrop;                    /* ZMQ_XPUB_NODROP: EAGAIN instead of dropping at the HWM */
    bool only_first_subscribe;      /* ZMQ_ONLY_FIRST_SUBSCRIBE */
    bool more_send;                 /* mid-message on send */
    bool has_welcome;
    struct msg welcome;             /* ZMQ_XPUB_WELCOME_MSG */
    struct pipe_end *last_pipe;     /* manual mode: where the last subscription received came from */
    struct xpub_pending *queue;     /* ring of frames for the application: notifications and upstream data */
    size_t q_head, q_len, q_cap;
    size_t q_data_msgs;             /* whole upstream data messages in the queue (bounded by ZMQ_RCVHWM) */
};

int xpub_init(void *self, struct socket *s);
void xpub_fini(void *self);
int xpub_attach(void *self, struct pipe_end *e);
void xpub_detach(void *self, struct pipe_end *e);
void xpub_read_activated(void *self, struct pipe_end *e);
void xpub_write_activated(void *self, struct pipe_end *e);
int xpub_send(void *self, struct msg *m);
int xpub_recv(void *self, struct msg *m);
bool xpub_has_in(void *self);
bool xpub_has_out(void *self);
int xpub_setopt(void *self, int option, const void *value, size_t len);

#endif
