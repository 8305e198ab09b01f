/* zinc_socket_stats and zinc_socket_peers: the socket's counters (core/stats.h) and its pipes' queue depths,
 * gathered on the socket's thread. What a socket counts and when is said in stats.h; the queue depths are
 * the ones ZMQ_EVENT_PIPES_STATS reports (pipe_queued_out, pipe_queued_in). */
#include "core/stats.h"

#include <errno.h>
#include <string.h>

#include <zmq.h>

#include "core/monitor.h"
#include "core/pipe.h"
#include "core/socket.h"

const char *stats_reason_name(enum stats_reason r)
{
    static const char *const names[STATS_REASONS] = {"hwm", "no_route", "filtered", "oversize", "conflated"};
    return (unsigned)r < STATS_REASONS ? names[r] : "";
}

/* The counters alone: any thread may call this (stats.h invariant 1). */
void stats_counters(struct socket *s, zinc_socket_stats_t *o)
{
    memset(o, 0, sizeof *o);
    o->msgs_in = stats_read(&s->stats.msgs_in);
    o->bytes_in = stats_read(&s->stats.bytes_in);
    o->msgs_out = stats_read(&s->stats.msgs_out);
    o->bytes_out = stats_read(&s->stats.bytes_out);
    uint64_t *dropped = &o->dropped_hwm;   /* dropped_hwm .. dropped_conflated follow stats_reason */
    for (int r = 0; r < STATS_REASONS; r++)
        dropped[r] = stats_read(&s->stats.dropped[r]) + monitor_io_dropped(s->monitor, r);
}

/* The commands first, so that peers that connected meanwhile are counted and gone ones are not. */
int socket_stats(struct socket *s, zinc_socket_stats_t *o)
{
    (void)socket_process_commands_held(s, 0);   /* ETERM: the counters are still worth reading */
    socket_reap_dead(s);
    monitor_drop_flush(s->monitor);
    stats_counters(s, o);
    o->peers = s->npipes;
    for (size_t i = 0; i < s->npipes; i++) {
        o->queued_in += pipe_queued_in(s->pipes[i]);
        o->queued_out += pipe_queued_out(s->pipes[i]);
    }
    return 0;
}

static void peer_fill(struct pipe_end *e, zinc_peer_stats_t *p)
{
    memset(p, 0, sizeof *p);
    p->queued_in = pipe_queued_in(e);
    p->queued_out = pipe_queued_out(e);
    const char *uri = pipe_end_remote_uri(e);
    size_t n = strlen(uri);
    n = n < sizeof p->endpoint - 1 ? n : sizeof p->endpoint - 1;
    memcpy(p->endpoint, uri, n);
    n = e->peer_id_len < sizeof p->routing_id ? e->peer_id_len : sizeof p->routing_id;
    memcpy(p->routing_id, e->peer_id, n);
    p->routing_id_size = (uint8_t)n;
}

int socket_peers(struct socket *s, zinc_peer_stats_t *peers, int count)
{
    (void)socket_process_commands_held(s, 0);
    socket_reap_dead(s);
    for (size_t i = 0; i < s->npipes && i < (size_t)count; i++)
        peer_fill(s->pipes[i], &peers[i]);
    return s->npipes > 0x7fffffff ? 0x7fffffff : (int)s->npipes;
}

int stats_socket_locked(struct socket *s, zinc_socket_stats_t *o)
{
    socket_safe_lock(&s->safe);
    int rc = socket_stats(s, o);
    socket_safe_unlock(&s->safe);
    return rc;
}

int stats_peers_locked(struct socket *s, zinc_peer_stats_t *peers, int count)
{
    socket_safe_lock(&s->safe);
    int rc = socket_peers(s, peers, count);
    socket_safe_unlock(&s->safe);
    return rc;
}
