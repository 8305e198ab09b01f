/* The NULL security mechanism (RFC 23 and RFC 37 "The NULL Security Mechanism"): each side sends READY
 * with its metadata and checks the peer's. No authentication; the only refusal is a socket-type mismatch
 * or bad metadata. Holds a private copy of the peer's property list for zmtp_peer_property.
 *
 * State diagram (struct null_state; the function behind each transition in brackets):
 *
 *        init [null_init]
 *          |
 *          v
 *     HANDSHAKING --- our READY produced [null_next_command] -------------> ready_sent
 *          |     \--- peer's READY accepted [null_process_command/null_ready] -> ready_received
 *          |           (either order; status READY once both are true)
 *          |
 *          +-- peer's READY refused, peer's ERROR, unexpected command [null_fail] --> ERROR
 *                 then null_next_command gives one ERROR command (not when the peer sent ERROR)
 *
 * Invariants:
 *   1. error is 0 or a ZMTP_E_* code; once set it never changes (null_fail) and status is ERROR.
 *   2. ready_received implies peer.socket_type is a type compatible with ours and peer.metadata points at
 *      metadata_copy, a validated property list owned by the state until null_fini.
 *   3. Our READY is produced at most once; a second READY from the peer is an error.
 */
#include <stdlib.h>
#include <string.h>

#include "zmtp/zmtp.h"

struct null_state {
    int socket_type;                        /* ours, libzmq number */
    uint8_t identity[ZMTP_IDENTITY_MAX];    /* ours, sent by REQ, DEALER, ROUTER */
    size_t identity_len;
    bool ready_sent;                        /* our READY went out through next_command */
    bool ready_received;                    /* the peer's READY was accepted */
    bool error_told;                        /* the ERROR command for the peer was produced (or not due) */
    int error;                              /* 0, or the ZMTP_E_* code that ended the handshake */
    uint8_t *metadata_copy;                 /* heap copy of the peer's properties; freed in null_fini */
    struct zmtp_peer_info peer;
};

static int null_init(void *state, const struct zmtp_mech_config *cfg)
{
    struct null_state *s = state;

    memset(s, 0, sizeof *s);
    s->peer.socket_type = -1;
    if (!zmtp2_socket_type_valid(cfg->socket_type))    /* PAIR..XSUB: the types that handshake */
        return ZMTP_E_SOCKET_TYPE;
    if (cfg->identity_len > ZMTP_IDENTITY_MAX)
        return ZMTP_E_METADATA;
    s->socket_type = cfg->socket_type;
    s->identity_len = cfg->identity_len;
    if (cfg->identity_len > 0)
        memcpy(s->identity, cfg->identity, cfg->identity_len);
    return 0;
}

static void null_fini(void *state)
{
    struct null_state *s = state;

    free(s->metadata_copy);
    s->metadata_copy = NULL;
    s->peer.metadata = NULL;
}

static int null_fail(struct null_state *s, int code)
{
    if (s->error == 0) {
        s->error = code;
        s->error_told = code == ZMTP_E_ERROR_CMD;
    }
    return s->error;
}

/* RFC 23 "The Identity Property": "A REQ, DEALER, or ROUTER peer connecting to a ROUTER MAY announce its
 * identity"; libzmq sends it (possibly empty) from those three types only. */
static bool null_sends_identity(int socket_type)
{
    return socket_type == 3 || socket_type == 5 || socket_type == 6;   /* REQ, DEALER, ROUTER */
}

/* ready = command-size %d5 "READY" metadata */
static int null_ready_write(const struct null_state *s, uint8_t *out, size_t cap)
{
    const char *type_name = zmtp_socket_type_name(s->socket_type);
    size_t len = zmtp_command_name_write(out, cap, "READY");
    size_t n;

    if (len == 0)
        return ZMTP_E_TOO_LARGE;
    n = zmtp_metadata_write(out + len, cap - len, "Socket-Type", type_name, strlen(type_name));
    if (n == 0)
        return ZMTP_E_TOO_LARGE;
    len += n;
    if (null_sends_identity(s->socket_type)) {
        n = zmtp_metadata_write(out + len, cap - len, "Identity", s->identity, s->identity_len);
        if (n == 0)
            return ZMTP_E_TOO_LARGE;
        len += n;
    }
    return (int)len;
}

static int null_next_command(void *state, uint8_t *out, size_t cap)
{
    struct null_state *s = state;
    int rc;

    if (s->error != 0) {
        if (s->error_told)
            return 0;
        s->error_told = true;
        return (int)zmtp_error_write(out, cap, zmtp_strerror(s->error));
    }
    if (s->ready_sent)
        return 0;
    rc = null_ready_write(s, out, cap);
    if (rc > 0)
        s->ready_sent = true;
    return rc;
}

/* Walks the whole list once: every property must be well formed, not just the ones we use. */
static int null_metadata_validate(const uint8_t *data, size_t len)
{
    const uint8_t *pos = data;
    struct zmtp_property prop;
    int rc;

    while ((rc = zmtp_metadata_next(&pos, data + len, &prop)) == 1)
        ;
    return rc;
}

/* Socket-Type: present, a name we know, and allowed to talk to us (RFC 23 "The Socket-Type Property"). */
static int null_check_socket_type(struct null_state *s, const struct zmtp_peer_info *peer)
{
    size_t len;
    const uint8_t *name = zmtp_peer_property(peer, "Socket-Type", &len);

    if (name == NULL)
        return ZMTP_E_SOCKET_TYPE;
    s->peer.socket_type = zmtp_socket_type_from_name(name, len);
    if (!zmtp_socket_types_compatible(s->socket_type, s->peer.socket_type))
        return ZMTP_E_SOCKET_TYPE;
    return 0;
}

/* The Identity is recorded whatever the peer's type; what a ROUTER does with it (RFC 37 reserves a
 * leading zero byte) is the socket's business. */
static int null_record_identity(struct null_state *s, const struct zmtp_peer_info *peer)
{
    size_t len;
    const uint8_t *identity = zmtp_peer_property(peer, "Identity", &len);

    if (identity == NULL)
        return 0;
    if (len > ZMTP_IDENTITY_MAX)
        return ZMTP_E_METADATA;
    memcpy(s->peer.identity, identity, len);
    s->peer.identity_len = len;
    return 0;
}

/* Validation runs on the peer's bytes before anything is allocated; only an accepted READY is copied. */
static int null_ready(struct null_state *s, const uint8_t *data, size_t len)
{
    struct zmtp_peer_info view = {.metadata = data, .metadata_len = len};
    int rc = null_metadata_validate(data, len);

    if (rc == 0)
        rc = null_check_socket_type(s, &view);
    if (rc == 0)
        rc = null_record_identity(s, &view);
    if (rc < 0)
        return null_fail(s, rc);
    s->metadata_copy = malloc(len);
    if (s->metadata_copy == NULL)
        return null_fail(s, ZMTP_E_NOMEM);
    memcpy(s->metadata_copy, data, len);
    s->peer.metadata = s->metadata_copy;
    s->peer.metadata_len = len;
    s->ready_received = true;
    return 0;
}

/* error = command-size %d5 "ERROR" error-reason. A malformed ERROR is still the peer giving up. */
static int null_error(struct null_state *s, const uint8_t *data, size_t len)
{
    const uint8_t *reason;
    size_t reason_len;

    if (zmtp_error_parse(data, len, &reason, &reason_len) == 1) {
        memcpy(s->peer.error_reason, reason, reason_len);
        s->peer.error_reason_len = reason_len;
    }
    return null_fail(s, ZMTP_E_ERROR_CMD);
}

static int null_process_command(void *state, const uint8_t *body, size_t len)
{
    struct null_state *s = state;
    struct zmtp_command cmd;

    if (s->error != 0)
        return s->error;
    if (zmtp_command_parse(body, len, &cmd) < 0)
        return null_fail(s, ZMTP_E_MALFORMED);
    if (cmd.id == ZMTP_CMD_READY && !s->ready_received)
        return null_ready(s, cmd.data, cmd.data_len);
    if (cmd.id == ZMTP_CMD_ERROR)
        return null_error(s, cmd.data, cmd.data_len);
    return null_fail(s, ZMTP_E_COMMAND);
}

static enum zmtp_mech_status null_status(const void *state)
{
    const struct null_state *s = state;

    if (s->error != 0)
        return ZMTP_MECH_ERROR;
    if (s->ready_sent && s->ready_received)
        return ZMTP_MECH_READY;
    return ZMTP_MECH_HANDSHAKING;
}

static const struct zmtp_peer_info *null_peer(const void *state)
{
    const struct null_state *s = state;

    return &s->peer;
}

const struct zmtp_mechanism_ops zmtp_mech_null = {
    .name = "NULL",
    .state_size = sizeof(struct null_state),
    .init = null_init,
    .fini = null_fini,
    .next_command = null_next_command,
    .process_command = null_process_command,
    .status = null_status,
    .peer = null_peer,
};
