/* The ZAP client (RFC 27): a connection's request to the handler bound at inproc://zeromq.zap.01, and
 * the reply. The I/O thread never waits for the handler: zap_client_start joins a pipe straight to the
 * handler's socket (as an inproc connect would) and writes the request; the handler's reply wakes the
 * connection through that pipe (CMD_PIPE_WAKE on the I/O thread's mailbox), and zap_client_poll reads it.
 *
 * Invariants:
 *   1. At most one request is in flight per client; end is non-NULL exactly while it is.
 *   2. The reply is checked whole (7 frames, version 1.0, our request id, a known status code, user id
 *      at most 255 bytes, metadata well formed and at most ZAP_METADATA_MAX bytes) before it is used.
 */
#ifndef ZINC_ZAP_H
#define ZINC_ZAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zmtp/zmtp.h"

#define ZAP_ENDPOINT "zeromq.zap.01"
#define ZAP_METADATA_MAX (64 * 1024)

struct ctx;
struct mailbox;
struct pipe_end;

struct zap_client {
    struct pipe_end *end;               /* our end of the pipe to the handler, or NULL */
    uint32_t request_id;
};

/* What the handler's reply said, once zap_client_poll returned 1. */
struct zap_reply {
    int status_code;                    /* 200, 300, 400 or 500 */
    uint8_t user_id[256];
    size_t user_id_len;
    uint8_t *metadata;                  /* heap copy (validated property list) or NULL; the caller frees */
    size_t metadata_len;
};

/* The fields of a request besides the mechanism's (RFC 27 "The ZAP Request"). */
struct zap_fields {
    const char *domain;
    const char *address;
    const uint8_t *identity;
    size_t identity_len;
};

/* Sends a request. owner is the connection the reply wakes (through io_mbox). Returns 0, -ENOENT when no
 * handler is bound, or -ENOMEM. */
int zap_client_start(struct zap_client *z, struct ctx *ctx, struct mailbox *io_mbox, void *owner,
                     const struct zap_fields *f, const struct zmtp_zap_request *req);
/* Reads the reply: 0 not there yet, 1 done (*out filled, the pipe closed), or a negative
 * ZMQ_PROTOCOL_ERROR_ZAP_* value (as -value: the reply was malformed), or -EPIPE if the handler went away. */
int64_t zap_client_poll(struct zap_client *z, struct zap_reply *out);
/* Abandons a request in flight (the connection failed or closed). */
void zap_client_close(struct zap_client *z);

#endif
