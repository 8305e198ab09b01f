/* The stats server (zinc_ctx_stats_serve, or the ZINC_STATS_ENDPOINT environment variable): a thread of the
 * context that answers requests on an endpoint with the counters of every socket of that context, for
 * `zinc stats` in another process. The protocol is in docs/zinc.md ("stats").
 *
 * Lifetime:
 *   stats_server_start (at most once per context) -> the thread serves on a REP socket of the context ->
 *   zmq_ctx_term stops that socket like any other (ETERM); the thread closes it and ends; ctx_term joins it
 *   (stats_server_join) once every socket is closed, before the context is freed.
 *
 * Invariants:
 *  1. The thread reads other sockets only under the context's lock, and only what any thread may read:
 *     their type name (immutable), counters (core/stats.h invariant 1), monitor slot (held by the socket),
 *     and stats_label (written under the same lock by the socket's thread at bind/connect).
 *  2. ctx->stats_thread_started is set under the context's lock, so two starts never race.
 */
#ifndef ZINC_STATS_SERVER_H
#define ZINC_STATS_SERVER_H

struct ctx;
struct socket;

/* Starts serving on endpoint: 0, -EBUSY (this context serves already), or the bind's -errno. */
int stats_server_start(struct ctx *c, const char *endpoint);
/* socket_new, once a socket exists: starts the server if ZINC_STATS_ENDPOINT is set and it was never tried
 * for this context (a failure to bind is reported on stderr, once). */
void stats_server_autostart(struct ctx *c);
/* ctx_term, after every socket was closed. */
void stats_server_join(struct ctx *c);
/* The socket's thread, after a bind or connect: the label the server shows for s. */
void stats_label_set(struct socket *s, const char *endpoint);

#endif
