/* Load-balance, fair-queue and distribute over the socket's pipes (see route.h). */
#include "proto/route/route.h"

#include <errno.h>
#include <stdlib.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "core/socket.h"

/* ---- the partitioned set ------------------------------------------------------------------------------ */
static size_t *slot_of(struct route_set *rs, struct pipe_end *e)
{
    return rs->out ? &e->out_slot : &e->in_slot;
}

static void set_swap(struct route_set *rs, size_t a, size_t b)
{
    if (a == b)
        return;
    struct pipe_end *t = rs->pipes[a];
    rs->pipes[a] = rs->pipes[b];
    rs->pipes[b] = t;
    *slot_of(rs, rs->pipes[a]) = a;
    *slot_of(rs, rs->pipes[b]) = b;
}

int route_set_add(struct route_set *rs, struct pipe_end *e, bool active)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        struct pipe_end **grown = realloc(rs->pipes, cap * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        rs->pipes = grown;
        rs->cap = cap;
    }
    *slot_of(rs, e) = rs->n;
    rs->pipes[rs->n++] = e;
    if (active)
        route_set_activate(rs, e);
    return 0;
}

static bool set_contains(struct route_set *rs, struct pipe_end *e)
{
    size_t i = *slot_of(rs, e);
    return i < rs->n && rs->pipes[i] == e;
}

void route_set_activate(struct route_set *rs, struct pipe_end *e)
{
    if (!set_contains(rs, e))
        return;
    size_t i = *slot_of(rs, e);
    if (i < rs->active)
        return;
    set_swap(rs, i, rs->active);
    rs->active++;
}

void route_set_deactivate(struct route_set *rs, struct pipe_end *e)
{
    if (!set_contains(rs, e))
        return;
    size_t i = *slot_of(rs, e);
    if (i >= rs->active)
        return;
    rs->active--;
    set_swap(rs, i, rs->active);
    if (rs->current >= rs->active)
        rs->current = 0;
}

void route_set_remove(struct route_set *rs, struct pipe_end *e)
{
    if (!set_contains(rs, e))
        return;
    route_set_deactivate(rs, e);
    size_t i = *slot_of(rs, e);
    set_swap(rs, i, rs->n - 1);
    rs->n--;
    *slot_of(rs, e) = (size_t)-1;
}

void route_set_fini(struct route_set *rs)
{
    free(rs->pipes);
    rs->pipes = NULL;
    rs->n = rs->active = rs->cap = rs->current = 0;
}

/* ---- load balance -------------------------------------------------------------------------------------- */
void lb_init(struct lb *lb)
{
    lb->set.out = true;
}

int lb_attach(struct lb *lb, struct pipe_end *e)
{
    return route_set_add(&lb->set, e, true);
}

void lb_detach(struct lb *lb, struct pipe_end *e)
{
    if (lb->sending == e) {
        lb->sending = NULL;
        lb->dropping = true;
    }
    route_set_remove(&lb->set, e);
}

void lb_activated(struct lb *lb, struct pipe_end *e)
{
    route_set_activate(&lb->set, e);
}

/* Picks the next pipe with room for a new message, deactivating full or dead ones on the way. */
static struct pipe_end *lb_pick(struct lb *lb, struct socket *s)
{
    struct route_set *rs = &lb->set;
    while (rs->active > 0) {
        if (rs->current >= rs->active)
            rs->current = 0;
        struct pipe_end *e = rs->pipes[rs->current];
        if (pipe_peer_closed(e)) {
            route_set_deactivate(rs, e);
            if (!pipe_check_read(e))
                socket_pipe_dead(s, e);
            continue;
        }
        if (pipe_check_write(e))
            return e;
        route_set_deactivate(rs, e);
    }
    return NULL;
}

int lb_send(struct lb *lb, struct socket *s, struct msg *m, struct pipe_end **to)
{
    bool more = m->flags & MSGF_MORE;
    if (lb->dropping) {
        /* The pipe of this multipart message went away: swallow the rest of it. */
        lb->dropping = more;
        msg_close(m);
        msg_init(m);
        return 0;
    }
    struct pipe_end *e = lb->sending;
    if (!e) {
        e = lb_pick(lb, s);
        if (!e)
            return -EAGAIN;
    }
    if (pipe_write(e, m) < 0)
        return -ENOMEM;
    if (to)
        *to = e;
    if (more) {
        lb->sending = e;
        return 0;
    }
    lb->sending = NULL;
    pipe_flush(e);
    lb->set.current++;
    return 0;
}

bool lb_has_out(struct lb *lb, struct socket *s)
{
    if (lb->sending || lb->dropping)
        return true;
    return lb_pick(lb, s) != NULL;
}

/* ---- fair queue ---------------------------------------------------------------------------------------- */
void fq_init(struct fq *fq)
{
    fq->set.out = false;
}

int fq_attach(struct fq *fq, struct pipe_end *e)
{
    return route_set_add(&fq->set, e, true);
}

void fq_detach(struct fq *fq, struct pipe_end *e)
{
    if (fq->receiving == e)
        fq->receiving = NULL;
    route_set_remove(&fq->set, e);
}

void fq_activated(struct fq *fq, struct pipe_end *e)
{
    route_set_activate(&fq->set, e);
}

/* A conflating pipe_read replaced frames: they count as drops of the socket's (core/stats.h). */
static void fq_count_conflated(struct socket *s, struct pipe_end *e)
{
    socket_drop(s, STATS_CONFLATED, e->conflated);
    e->conflated = 0;
}

int fq_recv(struct fq *fq, struct socket *s, struct msg *m, struct pipe_end **from)
{
    struct route_set *rs = &fq->set;
    /* A message is whole in the pipe once its first frame is visible, so the rest never waits. */
    if (fq->receiving) {
        struct pipe_end *e = fq->receiving;
        if (pipe_read(e, m)) {
            if (from)
                *from = e;
            if (e->conflated)
                fq_count_conflated(s, e);
            if (!(m->flags & MSGF_MORE)) {
                fq->receiving = NULL;
                rs->current++;
            }
            return 0;
        }
        fq->receiving = NULL;
    }
    while (rs->active > 0) {
        if (rs->current >= rs->active)
            rs->current = 0;
        struct pipe_end *e = rs->pipes[rs->current];
        if (pipe_read(e, m)) {
            if (from)
                *from = e;
            if (e->conflated)
                fq_count_conflated(s, e);
            if (m->flags & MSGF_MORE)
                fq->receiving = e;
            else
                rs->current++;
            return 0;
        }
        route_set_deactivate(rs, e);
        if (pipe_peer_closed(e) && !pipe_check_read(e))
            socket_pipe_dead(s, e);
    }
    return -EAGAIN;
}

bool fq_has_in(struct fq *fq, struct socket *s)
{
    struct route_set *rs = &fq->set;
    if (fq->receiving)
        return true;
    while (rs->active > 0) {
        if (rs->current >= rs->active)
            rs->current = 0;
        struct pipe_end *e = rs->pipes[rs->current];
        if (pipe_check_read(e))
            return true;
        route_set_deactivate(rs, e);
        /* Look again once the peer is seen closed: it may have flushed its last messages just before
         * closing, after the look above (a wake for them is on its way). */
        if (pipe_peer_closed(e) && !pipe_check_read(e))
            socket_pipe_dead(s, e);
    }
    return false;
}

/* ---- fair queue of single-frame messages (CLIENT, SERVER) -------------------------------------------- */
int fq_recv_single(struct fq *fq, struct socket *s, struct msg *m, struct pipe_end **from)
{
    for (;;) {
        int rc = fq_recv(fq, s, m, from);
        if (rc < 0 || !(m->flags & MSGF_MORE))
            return rc;
        /* The rest of a message is in the pipe once its first frame is (fq_recv), so this ends. */
        while (rc == 0 && (m->flags & MSGF_MORE)) {
            msg_close(m);
            msg_init(m);
            rc = fq_recv(fq, s, m, NULL);
        }
        if (rc < 0)
            return rc;
        msg_close(m);
        msg_init(m);
    }
}

/* ---- distribute ---------------------------------------------------------------------------------------- */
void dist_init(struct dist *d)
{
    d->set.out = true;
}

int dist_attach(struct dist *d, struct pipe_end *e)
{
    /* Active at once, even mid-message: only [0, matching) get frames, and matching is chosen at a
     * message's first frame, so a pipe joining mid-message waits for the next one all the same. */
    return route_set_add(&d->set, e, true);
}

void dist_detach(struct dist *d, struct pipe_end *e)
{
    struct route_set *rs = &d->set;
    size_t i = e->out_slot;
    if (i < rs->n && rs->pipes[i] == e && i < d->matching) {
        /* keep [0, matching) a prefix of the active pipes */
        d->matching--;
        set_swap(rs, i, d->matching);
    }
    route_set_remove(rs, e);
}

void dist_activated(struct dist *d, struct pipe_end *e)
{
    /* Safe mid-message for the reason given in dist_attach; skipping it then would lose the wake for good. */
    route_set_activate(&d->set, e);
}

void dist_match(struct dist *d, struct pipe_end *e)
{
    struct route_set *rs = &d->set;
    size_t i = e->out_slot;
    if (i >= rs->n || rs->pipes[i] != e || i < d->matching)
        return;
    if (i >= rs->active) {   /* inactive: at its high-water mark (or its peer gone, which reaps it) */
        d->skipped += !pipe_peer_closed(e);
        return;
    }
    set_swap(rs, i, d->matching);
    d->matching++;
}

void dist_match_all(struct dist *d)
{
    struct route_set *rs = &d->set;
    d->matching = rs->active;
    for (size_t i = rs->active; i < rs->n; i++)   /* inactive pipes: see dist_match */
        d->skipped += !pipe_peer_closed(rs->pipes[i]);
}

void dist_unmatch(struct dist *d)
{
    d->matching = 0;
    d->skipped = 0;
}

void dist_reverse_match(struct dist *d)
{
    /* Swap the matched prefix with the unmatched tail of the active range, pair by pair from both ends. */
    struct route_set *rs = &d->set;
    size_t unmatched = rs->active - d->matching;
    d->skipped = 0;   /* inverted: which inactive pipes would have matched is not known (not counted) */
    for (size_t i = 0; i < d->matching && i < unmatched; i++)
        set_swap(rs, i, rs->active - 1 - i);
    d->matching = unmatched;
}

/* Drops pipe i out of the active (and matching) range. */
static void dist_deactivate_at(struct dist *d, size_t i)
{
    struct route_set *rs = &d->set;
    d->matching--;
    set_swap(rs, i, d->matching);
    rs->active--;
    set_swap(rs, d->matching, rs->active);
}

/* The last frame went to every matching pipe: publish them all, one fence, then wake the sleeping readers
 * (pipe_publish). */
static void dist_flush_matching(struct dist *d)
{
    struct route_set *rs = &d->set;
    if (d->matching == 1) {   /* one serialising store costs less than a store and a fence */
        pipe_flush(rs->pipes[0]);
        return;
    }
    bool any = false;
    for (size_t i = 0; i < d->matching; i++)
        any |= pipe_publish(rs->pipes[i]);
    if (!any)
        return;
    pipe_publish_fence();
    for (size_t i = 0; i < d->matching; i++)
        pipe_wake_after_publish(rs->pipes[i]);
}

int dist_send_to_matching(struct dist *d, struct socket *s, struct msg *m)
{
    struct route_set *rs = &d->set;
    bool more = m->flags & MSGF_MORE;
    /* First frame: pipes without room for a whole new message are skipped (PUB drops, never blocks). */
    if (!d->more) {
        for (size_t i = 0; i < d->matching;) {
            struct pipe_end *e = rs->pipes[i];
            if (pipe_peer_closed(e) || !pipe_check_write(e)) {
                if (!pipe_peer_closed(e))
                    d->skipped++;
                else if (!pipe_check_read(e))
                    socket_pipe_dead(s, e);
                dist_deactivate_at(d, i);
                continue;
            }
            i++;
        }
        if (d->skipped) {
            socket_drop(s, STATS_HWM, d->skipped);
            d->skipped = 0;
        }
    }
    if (d->matching == 0) {
        msg_close(m);
    } else {
        /* One atomic reference count update for all the copies, not one per pipe: the I/O threads drop
         * theirs on the same cache line while we copy. */
        msg_share_n(m, (int)d->matching - 1);
        for (size_t i = 0; i + 1 < d->matching; i++) {
            struct msg copy;
            msg_copy_shared(&copy, m);
            if (pipe_write(rs->pipes[i], &copy) < 0)
                msg_close(&copy);
        }
        if (pipe_write(rs->pipes[d->matching - 1], m) < 0)
            msg_close(m);
        if (!more)
            dist_flush_matching(d);
    }
    msg_init(m);
    d->more = more;
    if (!more)
        d->matching = 0;
    return 0;
}

int dist_send_to_all(struct dist *d, struct socket *s, struct msg *m)
{
    if (!d->more)
        dist_match_all(d);
    return dist_send_to_matching(d, s, m);
}

bool dist_has_out(struct dist *d)
{
    (void)d;
    return true;
}
