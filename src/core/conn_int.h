/* Private to the connection engine (conn.c, conn_handshake.c, conn_io.c): the conn struct and the
 * functions those files share. Everything here runs on the conn's I/O thread, except conn_direct.c's send
 * and conn_direct_recv.c's receive, which run on the application thread while it holds the pipe's direct
 * token (and the I/O thread waits or has taken the token back). */
#ifndef ZINC_CONN_INT_H
#define ZINC_CONN_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conn.h"
#include "core/msg.h"
#include "core/reactor.h"
#include "transport/socks.h"
#include "core/zap.h"
#include "zmtp/zmtp.h"

#define CONN_IN_CAP REACTOR_BUF_SIZE  /* the reactor's buffer input is read into */
#define CONN_OUT_CAP REACTOR_BUF_SIZE /* the output buffer, lent by the reactor while bytes wait */
#define CONN_BIG_FRAME (8 * 1024)          /* frames this big are written from their own memory */
/* A large inbound frame's memory follows what the peer really sent: it starts at this size (or the frame's,
 * if smaller) and doubles as bytes arrive, so announcing a huge frame costs a peer its bytes, not ours. */
#define CONN_FRAME_FIRST_ALLOC (1024 * 1024)
#define CONN_HANDSHAKE_FRAME_MAX (64 * 1024) /* command frames during the handshake */
#define CONN_READS_PER_EVENT 8
#define CONN_URI_MAX 128                   /* "ipc://" and a 108-byte sun_path; "tcp://[v6%scope]:port" */

enum conn_state {
    CONN_WAIT_RECONNECT,
    CONN_CONNECTING,
    CONN_SOCKS,                      /* ZMQ_SOCKS_PROXY: SOCKS5 handshake with the proxy (conn_socks.c) */
    CONN_GREETING,
    CONN_HANDSHAKE,
    CONN_IDENTITY,
    CONN_ACTIVE,
    CONN_DEAD,
};

struct conn {
    struct conn_params p;
    struct io_handle h;
    enum conn_state state;
    bool connecter;
    bool raw;                        /* STREAM socket: no ZMTP, bytes in both directions */
    struct listener *listener;
    struct conn *l_prev, *l_next;    /* the listener's list */
    struct pipe_end *end;            /* our end of the socket's pipe, or NULL */
    bool ever_ready;
    bool closing;                    /* the socket is done with us */
    bool held;                       /* a connecter the socket may still name: freed by conn_close */
    int linger;
    struct io_timer reconnect_timer, handshake_timer, linger_timer, heartbeat_timer, ttl_timer;
    struct io_timer direct_watch_timer;  /* conn_direct.c: takes back an fd left muted by a receiver gone quiet */
    struct io_deferred defer;        /* its free at the end of the loop turn (conn_terminate) */
    int reconnect_ivl;
    uint32_t jitter_state;           /* reconnect jitter generator */
    uint64_t last_rx_ms, ping_sent_ms;
    uint64_t peer_ttl_ms;

    struct socks_client socks;       /* the SOCKS5 handshake, in state CONN_SOCKS only */

    /* greeting */
    uint8_t greet[ZMTP_GREETING_SIZE];
    size_t greet_len;
    bool sent_major, sent_tail;
    int version;                     /* 2 or 3 */
    int minor;

    /* mechanism */
    const struct zmtp_mechanism_ops *mech;
    void *mech_state;
    struct msg_meta *meta;
    char peer_address[256];
    char local_uri[CONN_URI_MAX];    /* this end of the fd as a uri while connected, else "" (monitor v2) */
    char remote_uri[CONN_URI_MAX];   /* an accepted conn's peer as a uri (a connecter names p.endpoint) */

    /* security (conn_handshake.c, conn_security.c) */
    struct zap_client zap;           /* the ZAP request in flight, if any */
    bool zap_asked;                  /* this handshake's ZAP request was made (or found no handler) */
    int zap_status;                  /* the handler's refusing status code, for HANDSHAKE_FAILED_AUTH */
    uint8_t zap_user_id[256];        /* User-Id from the handler's 200 */
    size_t zap_user_id_len;
    uint8_t *zap_meta;               /* the handler's metadata (validated), until conn_build_meta */
    size_t zap_meta_len;
    int hs_event;                    /* a handshake failure's monitor event and value, when the code */
    uint64_t hs_value;               /*   that reports it cannot say them (0: map the ZMTP_E_ code) */
    bool no_reconnect;               /* refused by the peer's ZAP handler: libzmq does not retry */
    const struct zmtp_transform_ops *xform;  /* CURVE after READY: every frame boxed; NULL: none */

    /* input: while conn_input reads, in is a buffer lent by the reactor (in_lent); between reads it holds
     * only the unconsumed bytes (an incomplete frame, or frames waiting for pipe room) in a buffer of their
     * own, or is NULL when there are none */
    uint8_t *in;
    size_t in_pos, in_len;
    bool in_lent;
    struct msg in_frame;             /* a frame being filled straight from the fd, or waiting for room */
    size_t in_frame_have;
    size_t in_frame_size;            /* the frame's announced size (in_frame holds up to that, grown as read) */
    unsigned meta_credit;            /* references on meta taken ahead for received messages (msg_attach_meta) */
    bool in_direct;                  /* reading in_frame's body straight from the fd */
    bool in_pending;                 /* in_frame is complete, waiting for pipe room */
    bool in_paused;                  /* stopped reading: the pipe is at its high-water mark */
    bool in_more;                    /* mid-message on the pipe */

    /* output: lent by the reactor when there is something to write (conn_out_reserve), given back once
     * written out (out_release); NULL when idle */
    uint8_t *out;
    size_t out_pos, out_len;
    struct msg out_big;
    size_t out_big_off;
    bool out_has_big;
    bool out_more;                   /* last frame taken from the pipe had MORE */
    bool out_dropping;               /* skipping the rest of a message cut by a reconnect */
    struct msg out_held;             /* a subscription taken from the pipe that did not fit yet */
    bool out_has_held;
    bool ping_pending;               /* our PING waits for room in the output buffer */
    bool pong_pending;               /* a PONG waits for room: input stops until it is buffered */
    uint8_t pong_ctx[ZMTP_PING_CONTEXT_MAX];
    uint8_t pong_ctx_len;
    bool want_out;
    int out_error;                   /* a write failed mid-handshake (errno): output is off while the
                                      * bytes the peer already sent are decoded (conn_io.c output_lost) */
    bool direct_offered;             /* conn_direct.c: the pipe's direct token is (or was) offered */
    /* Direct receive's muted fd (conn_direct_recv.c). fd_muted and want_watch belong to whoever holds the
     * token; watch_armed is written by the I/O thread before it offers the token, read by the receiver
     * after taking it; direct_recvs is counted by the receiver, looked at by the watch timer. */
    bool fd_muted;                   /* the fd is out of the I/O thread's epoll interest (io_mute) */
    bool want_watch;                 /* a receiver would keep the fd muted: arm the watch */
    bool watch_armed;                /* the watch timer runs, so a receiver may leave the fd muted */
    _Atomic uint32_t direct_recvs;   /* direct receives so far */
    uint32_t watch_seen;             /* direct_recvs at the watch timer's last look */
    const char *direct_fail;         /* a direct receive's read failed (or found no memory): end the */
    int direct_fail_errno;           /*   conn with this reason and errno (conn.c, direct_failed) */
};

#define CONN_OF(ptr, field) ((struct conn *)((char *)(ptr) - offsetof(struct conn, field)))

/* conn.c: lifecycle */
/* A monitor event about this conn: version 1 names p.endpoint; version 2 names local_uri (empty while no fd
 * is connected) and the remote: a connecter's p.endpoint as given, an accepted conn's peer. */
void conn_event(struct conn *c, int event, uint64_t value);
/* A fresh fd (connected or accepted): learns local_uri and remote_uri, for the events that follow. */
void conn_learn_uris(struct conn *c, int fd);
/* Ends the fd with a monitor event: event DISCONNECTED is an I/O failure whose cause is in errno (EPIPE
 * for end of file), reported as HANDSHAKE_FAILED_NO_DETAIL (errno) too before the handshake completed;
 * HANDSHAKE_FAILED_NO_DETAIL takes errno as well. Then the conn retries (connecter) or ends. */
void conn_fail(struct conn *c, int event, const char *reason);
/* A frame the codec refused (ZMTP_E_* code): DISCONNECTED only, as libzmq reports it. */
void conn_fail_frame(struct conn *c, int zmtp_rc);
/* conn_fail with the event's value given (libzmq's ZMQ_PROTOCOL_ERROR_*, a ZAP status, an errno). */
void conn_fail_value(struct conn *c, int event, uint64_t value, const char *reason);
void conn_terminate(struct conn *c);

/* A connect attempt failed before any stream started. fd is already closed (or -1): it is reported
 * CLOSED, as libzmq does, then the conn retries later (or ends, without reconnects). */
void conn_connect_failed(struct conn *c, int fd);
/* The TCP connection (to the peer, or through the proxy) is up: CONNECTED, then the greeting. */
void conn_connect_done(struct conn *c, int fd);

/* A fresh fd (connected or accepted): starts the greeting, or goes ACTIVE at once for STREAM. */
void conn_start_stream(struct conn *c, int fd);

/* conn_notify.c: ZMQ_ROUTER_NOTIFY, ZMQ_HELLO_MSG and ZMQ_DISCONNECT_MSG. conn_notify_ready runs when the
 * conn goes ACTIVE (its pipe made or reused), conn_notify_gone when an ACTIVE conn fails, before its
 * stream is reset. */
void conn_notify_ready(struct conn *c);
void conn_notify_gone(struct conn *c);

/* conn_socks.c: the connection to the SOCKS proxy is up; ask it for our endpoint. */
void conn_socks_start(struct conn *c, int fd);
void conn_socks_event(struct conn *c, uint32_t events);

/* conn_handshake.c */
/* Consumes greeting bytes from the input buffer, sending our greeting in stages. 0 or a ZMTP_E_ code. */
int conn_greeting_input(struct conn *c);
/* One complete command frame during the 3.x handshake. 0 or a ZMTP_E_ code. */
int conn_handshake_command(struct conn *c, const uint8_t *body, size_t len);
/* Builds the properties received messages carry (peer may be NULL: only Peer-Address). 0 or -ENOMEM. */
int conn_build_meta(struct conn *c, const struct zmtp_peer_info *peer);
/* The handshake is complete (or the conn is raw): make or reuse the pipe, go ACTIVE. */
void conn_ready(struct conn *c, const uint8_t *peer_id, size_t peer_id_len);
/* STREAM: an empty message on the pipe tells the socket the peer connected or went away. */
void conn_raw_notify(struct conn *c);
/* Ends the mechanism's state (after READY, or on reset). */
void conn_mech_finish(struct conn *c);
/* A handshake failure (a ZMTP_E_ code from the greeting or the mechanism): the monitor event libzmq gives
 * for it, then conn_fail. */
void conn_handshake_fail(struct conn *c, int code);
/* Sends the mechanism's pending commands, runs ZAP, finishes at READY. 0 or a ZMTP_E_ code. */
int conn_mech_advance(struct conn *c);

/* conn_security.c: choosing the mechanism, ZAP, the message transform */
/* The mechanism our options select ("NULL", "PLAIN", "CURVE") and its config. */
const char *conn_mech_name(const struct conn *c);
void conn_mech_config(const struct conn *c, struct zmtp_mech_config *cfg);
/* After each mechanism step: starts the ZAP request the mechanism waits for. 0 or a ZMTP_E_ code (with
 * hs_event/hs_value set). */
int conn_zap_step(struct conn *c);
/* The ZAP pipe woke us: reads the reply and resumes the handshake. */
void conn_zap_wake(struct conn *c);
/* Drops the ZAP state of a handshake that ended (any way). */
void conn_zap_reset(struct conn *c);
/* Frame transform (CURVE): wraps one outbound frame into the output buffer. false: no room / failed. */
bool conn_xform_out(struct conn *c, uint8_t flags, const uint8_t *data, size_t len);

/* conn_io.c */
/* Room for n more bytes in the output buffer (lent now if there was none). false: no room yet, or ENOMEM. */
bool conn_out_reserve(struct conn *c, size_t n);
bool conn_set_events(struct conn *c, uint32_t events);
/* Gives the input and output buffers back (the stream ended: their bytes are dropped). */
void conn_buffers_release(struct conn *c);
/* Greeting bytes into the output buffer. false: no buffer could be had (ENOMEM). */
bool conn_out_append(struct conn *c, const void *data, size_t n);
void conn_send_ping(struct conn *c);
void conn_input(struct conn *c);
void conn_resume_input(struct conn *c);
/* Encodes from the pipe and writes until the fd would block or nothing is left. */
void conn_output(struct conn *c);
void conn_output_last(struct conn *c);   /* one write of what is buffered, failure ignored */
bool conn_drained(struct conn *c);
/* Terminates a closing conn once its output is drained (or at once with linger 0). */
void conn_maybe_finish(struct conn *c);

/* conn_direct.c: sending from the application thread while the conn is idle. Every entry point into the
 * conn on its I/O thread calls conn_direct_reclaim first (before touching the fd or the output state) and
 * may call conn_direct_offer last. */
void conn_direct_offer(struct conn *c);
void conn_direct_reclaim(struct conn *c);
/* How often the I/O thread looks whether a receiver that may leave the fd muted went quiet: a PING from
 * the peer, or its leaving, is heard within two periods while the application is busy elsewhere. */
#define CONN_DIRECT_WATCH_MS 5
void conn_direct_watch_expired(struct conn *c);   /* the direct_watch_timer's callback */
void conn_direct_unmute(struct conn *c);          /* whoever holds the token: the fd back in epoll */
bool conn_direct_quiet(const struct conn *c);   /* may the token be offered? */
/* conn_direct_recv.c: the pipe's recv_fn (pipe_direct_wait), on the application thread; conn_io.c decodes
 * the bytes it leaves in the input buffer, on the I/O thread. */
void conn_input_leftover(struct conn *c);
int conn_direct_recv(void *arg, int wake_fd, int timeout_ms);

#endif
