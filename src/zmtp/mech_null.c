/* The NULL security mechanism (RFC 23 and RFC 37 "The NULL Security Mechanism"): each side sends READY
 * with its metadata and checks the peer's. No authentication, unless a ZAP domain is set (libzmq): then
 * our READY waits for the handler's 200, and any other code refuses the peer.
 *
 * State diagram (struct null_state; the function behind each transition in brackets):
 *
 *        init [null_init] --(zap)--> ZAP_PENDING --zap_result 200 [null_zap_result]--+
 *          |                              \--zap_result 300/400/500--> ERROR         |
 *          v                                                                          v
 *     HANDSHAKING --- our READY produced [null_next_command] -------------> ready_sent
 *          |     \--- peer's READY accepted [null_process_command] -------> ready_received
 *          |           (either order; status READY once both are true)
 *          +-- peer's READY refused, peer's ERROR, unexpected command [mech_fail] --> ERROR
 *                 then null_next_command gives one ERROR command (not when the peer sent ERROR)
 *
 * Invariants (plus mech_common.h's):
 *   1. Our READY is produced at most once, and never while a ZAP decision is pending.
 *   2. A second READY from the peer is an error.
 */
#include <stdlib.h>
#include <string.h>

#include "zmtp/mech_common.h"
#include "zmtp/zmtp.h"

struct null_state {
    struct mech_common m;
    bool ready_sent;                        /* our READY went out through next_command */
    bool ready_received;                    /* the peer's READY was accepted */
};

static int null_init(void *state, const struct zmtp_mech_config *cfg)
{
    struct null_state *s = state;

    memset(s, 0, sizeof *s);
    int rc = mech_common_init(&s->m, cfg);
    s->m.zap_pending = s->m.zap;
    return rc;
}

static void null_fini(void *state)
{
    struct null_state *s = state;

    mech_common_fini(&s->m);
}

/* ready = command-size %d5 "READY" metadata */
static int null_ready_write(const struct null_state *s, uint8_t *out, size_t cap)
{
    size_t len = zmtp_command_name_write(out, cap, "READY");
    size_t n;

    if (len == 0)
        return ZMTP_E_TOO_LARGE;
    n = mech_metadata_write(&s->m, out + len, cap - len);
    if (n == 0)
        return ZMTP_E_TOO_LARGE;
    return (int)(len + n);
}

static int null_next_command(void *state, uint8_t *out, size_t cap)
{
    struct null_state *s = state;
    bool failed;
    int rc = mech_error_command(&s->m, out, cap, &failed);

    if (failed)
        return rc;
    if (s->ready_sent || s->m.zap_pending)
        return 0;
    rc = null_ready_write(s, out, cap);
    if (rc > 0)
        s->ready_sent = true;
    return rc;
}

static int null_process_command(void *state, const uint8_t *body, size_t len)
{
    struct null_state *s = state;
    struct zmtp_command cmd;

    if (s->m.error != 0)
        return s->m.error;
    if (zmtp_command_parse(body, len, &cmd) < 0)
        return mech_fail(&s->m, ZMTP_E_MALFORMED);
    if (cmd.id == ZMTP_CMD_READY && !s->ready_received) {
        int rc = mech_accept_metadata(&s->m, cmd.data, cmd.data_len);
        if (rc == 0)
            s->ready_received = true;
        return rc;
    }
    if (cmd.id == ZMTP_CMD_ERROR)
        return mech_peer_error(&s->m, cmd.data, cmd.data_len);
    return mech_fail(&s->m, ZMTP_E_COMMAND);
}

static enum zmtp_mech_status null_status(const void *state)
{
    const struct null_state *s = state;

    return mech_status(&s->m, s->ready_sent && s->ready_received);
}

static const struct zmtp_peer_info *null_peer(const void *state)
{
    const struct null_state *s = state;

    return &s->m.peer;
}

static int null_zap_request(const void *state, struct zmtp_zap_request *req)
{
    const struct null_state *s = state;

    return mech_zap_request_begin(&s->m, req, "NULL");
}

static void null_zap_result(void *state, int status_code)
{
    struct null_state *s = state;

    mech_zap_result(&s->m, status_code);
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
    .zap_request = null_zap_request,
    .zap_result = null_zap_result,
};
