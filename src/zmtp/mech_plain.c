/* The PLAIN security mechanism (RFC 24): the client sends a username and password in clear text, the
 * server asks its ZAP handler (the engine does that for it, see ZMTP_MECH_ZAP_PENDING), then both sides
 * swap metadata in INITIATE and READY. Pure codec: no I/O.
 *
 * Client (as_server false), the function behind each transition in brackets:
 *   SEND_HELLO --HELLO produced [plain_next_command]--> WAIT_WELCOME --WELCOME [plain_client_command]-->
 *   SEND_INITIATE --INITIATE produced--> WAIT_READY --READY accepted--> DONE
 * Server (as_server true):
 *   WAIT_HELLO --HELLO parsed [plain_server_command]--> (zap: ZAP_PENDING --200 [plain_zap_result]-->)
 *   SEND_WELCOME --WELCOME produced--> WAIT_INITIATE --INITIATE accepted--> SEND_READY --READY--> DONE
 * Either side, any state: a malformed or unexpected command, refused metadata, the peer's ERROR or a ZAP
 * refusal --> ERROR (mech_common.h), then one ERROR command for the peer unless it sent ERROR itself.
 *
 * Invariants (plus mech_common.h's):
 *   1. Every length in HELLO is checked against the command's own size; a HELLO with bytes left over is
 *      malformed (RFC 24 grammar), as is a WELCOME with any data.
 *   2. The password is wiped from the state in plain_fini.
 *
 * libzmq 4.3's PLAIN server writes its ERROR command's name with a C hex escape that swallows the "E"
 * ("\x05ERROR" is 0x5E "RROR"), and its PLAIN client only recognises that form. For libzmq's clients to
 * see a refusal as HANDSHAKE_FAILED_AUTH, our PLAIN server sends ZAP refusals the same way, and our
 * client accepts both forms (PLAIN_LIBZMQ_ERROR).
 */
#include <string.h>

#include "zmtp/mech_common.h"
#include "zmtp/zmtp.h"

enum plain_phase {
    PLAIN_SEND_HELLO,
    PLAIN_WAIT_WELCOME,
    PLAIN_SEND_INITIATE,
    PLAIN_WAIT_READY,
    PLAIN_WAIT_HELLO,
    PLAIN_SEND_WELCOME,
    PLAIN_WAIT_INITIATE,
    PLAIN_SEND_READY,
    PLAIN_DONE,
};

#define PLAIN_CRED_MAX 255
#define PLAIN_LIBZMQ_ERROR "\x5eRROR"   /* 5 bytes; see above */
#define PLAIN_LIBZMQ_ERROR_LEN 5

struct plain_state {
    struct mech_common m;
    enum plain_phase phase;
    uint8_t username[PLAIN_CRED_MAX];
    size_t username_len;
    uint8_t password[PLAIN_CRED_MAX];
    size_t password_len;
};

static int plain_copy_cred(uint8_t *dst, size_t *dst_len, const char *src)
{
    size_t len = src ? strlen(src) : 0;
    if (len > PLAIN_CRED_MAX)
        return ZMTP_E_METADATA;
    if (len)
        memcpy(dst, src, len);
    *dst_len = len;
    return 0;
}

static int plain_init(void *state, const struct zmtp_mech_config *cfg)
{
    struct plain_state *s = state;
    int rc;

    memset(s, 0, sizeof *s);
    if ((rc = mech_common_init(&s->m, cfg)) < 0)
        return rc;
    s->m.quiet = true;
    s->phase = cfg->as_server ? PLAIN_WAIT_HELLO : PLAIN_SEND_HELLO;
    if (cfg->as_server)
        return 0;
    if ((rc = plain_copy_cred(s->username, &s->username_len, cfg->username)) < 0)
        return rc;
    return plain_copy_cred(s->password, &s->password_len, cfg->password);
}

static void plain_fini(void *state)
{
    struct plain_state *s = state;

    mech_wipe(s->password, sizeof s->password);
    mech_common_fini(&s->m);
}

/* hello = command-size %d5 "HELLO" username password; username/password = OCTET 0*255OCTET */
static int plain_hello_write(const struct plain_state *s, uint8_t *out, size_t cap)
{
    size_t len = zmtp_command_name_write(out, cap, "HELLO");

    if (len == 0 || cap - len < 2 + s->username_len + s->password_len)
        return ZMTP_E_TOO_LARGE;
    out[len++] = (uint8_t)s->username_len;
    memcpy(out + len, s->username, s->username_len);
    len += s->username_len;
    out[len++] = (uint8_t)s->password_len;
    memcpy(out + len, s->password, s->password_len);
    return (int)(len + s->password_len);
}

/* A command whose data is our metadata: INITIATE (client) or READY (server). */
static int plain_metadata_command(const struct plain_state *s, const char *name, uint8_t *out, size_t cap)
{
    size_t len = zmtp_command_name_write(out, cap, name);
    size_t n = len ? mech_metadata_write(&s->m, out + len, cap - len) : 0;

    return n ? (int)(len + n) : ZMTP_E_TOO_LARGE;
}

/* A ZAP refusal from our server, in libzmq 4.3's PLAIN ERROR form: 0x5E "RROR", reason length, code. */
static int plain_libzmq_error(struct plain_state *s, uint8_t *out, size_t cap)
{
    uint8_t standard[16];
    bool failed;
    int n = mech_error_command(&s->m, standard, sizeof standard, &failed);

    if (n <= 6 || cap < (size_t)n - 1)
        return n;
    memcpy(out, PLAIN_LIBZMQ_ERROR, PLAIN_LIBZMQ_ERROR_LEN);
    memcpy(out + PLAIN_LIBZMQ_ERROR_LEN, standard + 6, (size_t)n - 6);
    return n - 1;
}

static int plain_next_command(void *state, uint8_t *out, size_t cap)
{
    struct plain_state *s = state;
    bool failed;
    int rc;

    if (s->m.error != 0 && s->m.zap_status != 0 && s->phase >= PLAIN_WAIT_HELLO)
        return plain_libzmq_error(s, out, cap);
    rc = mech_error_command(&s->m, out, cap, &failed);
    if (failed)
        return rc;
    switch (s->phase) {
    case PLAIN_SEND_HELLO:
        rc = plain_hello_write(s, out, cap);
        if (rc > 0)
            s->phase = PLAIN_WAIT_WELCOME;
        return rc;
    case PLAIN_SEND_INITIATE:
        rc = plain_metadata_command(s, "INITIATE", out, cap);
        if (rc > 0)
            s->phase = PLAIN_WAIT_READY;
        return rc;
    case PLAIN_SEND_WELCOME:
        if (s->m.zap_pending)
            return 0;
        rc = (int)zmtp_command_name_write(out, cap, "WELCOME");
        if (rc == 0)
            return ZMTP_E_TOO_LARGE;
        s->phase = PLAIN_WAIT_INITIATE;
        return rc;
    case PLAIN_SEND_READY:
        rc = plain_metadata_command(s, "READY", out, cap);
        if (rc > 0)
            s->phase = PLAIN_DONE;
        return rc;
    default:
        return 0;
    }
}

/* One credential: a 1-byte length and that many bytes, all inside [*pos, end). */
static bool plain_take_cred(const uint8_t **pos, const uint8_t *end, uint8_t *dst, size_t *dst_len)
{
    size_t left = (size_t)(end - *pos);
    size_t len;

    if (left < 1)
        return false;
    len = (*pos)[0];
    if (len > left - 1)
        return false;
    memcpy(dst, *pos + 1, len);
    *dst_len = len;
    *pos += 1 + len;
    return true;
}

static int plain_hello(struct plain_state *s, const uint8_t *data, size_t len)
{
    const uint8_t *pos = data, *end = data + len;

    if (!plain_take_cred(&pos, end, s->username, &s->username_len) ||
        !plain_take_cred(&pos, end, s->password, &s->password_len) || pos != end)
        return mech_fail(&s->m, ZMTP_E_MALFORMED_HELLO);
    s->phase = PLAIN_SEND_WELCOME;
    s->m.zap_pending = s->m.zap;
    return 0;
}

static int plain_server_command(struct plain_state *s, const struct zmtp_command *cmd)
{
    if (s->phase == PLAIN_WAIT_HELLO && cmd->id == ZMTP_CMD_HELLO)
        return plain_hello(s, cmd->data, cmd->data_len);
    if (s->phase == PLAIN_WAIT_INITIATE && cmd->id == ZMTP_CMD_INITIATE) {
        int rc = mech_accept_metadata(&s->m, cmd->data, cmd->data_len);
        if (rc == 0)
            s->phase = PLAIN_SEND_READY;
        return rc;
    }
    return mech_fail(&s->m, ZMTP_E_COMMAND);
}

static int plain_client_command(struct plain_state *s, const struct zmtp_command *cmd)
{
    if (s->phase == PLAIN_WAIT_WELCOME && cmd->id == ZMTP_CMD_WELCOME) {
        if (cmd->data_len != 0)
            return mech_fail(&s->m, ZMTP_E_MALFORMED_WELCOME);
        s->phase = PLAIN_SEND_INITIATE;
        return 0;
    }
    if (s->phase == PLAIN_WAIT_READY && cmd->id == ZMTP_CMD_READY) {
        int rc = mech_accept_metadata(&s->m, cmd->data, cmd->data_len);
        if (rc == 0)
            s->phase = PLAIN_DONE;
        return rc;
    }
    return mech_fail(&s->m, ZMTP_E_COMMAND);
}

static int plain_process_command(void *state, const uint8_t *body, size_t len)
{
    struct plain_state *s = state;
    struct zmtp_command cmd;

    if (s->m.error != 0)
        return s->m.error;
    if (s->phase < PLAIN_WAIT_HELLO && len >= PLAIN_LIBZMQ_ERROR_LEN &&
        memcmp(body, PLAIN_LIBZMQ_ERROR, PLAIN_LIBZMQ_ERROR_LEN) == 0)
        return mech_peer_error(&s->m, body + PLAIN_LIBZMQ_ERROR_LEN, len - PLAIN_LIBZMQ_ERROR_LEN);
    if (zmtp_command_parse(body, len, &cmd) < 0)
        return mech_fail(&s->m, ZMTP_E_MALFORMED);
    if (cmd.id == ZMTP_CMD_ERROR)
        return mech_peer_error(&s->m, cmd.data, cmd.data_len);
    if (s->phase >= PLAIN_WAIT_HELLO)
        return plain_server_command(s, &cmd);
    return plain_client_command(s, &cmd);
}

static enum zmtp_mech_status plain_status(const void *state)
{
    const struct plain_state *s = state;

    return mech_status(&s->m, s->phase == PLAIN_DONE);
}

static const struct zmtp_peer_info *plain_peer(const void *state)
{
    const struct plain_state *s = state;

    return &s->m.peer;
}

static int plain_zap_request(const void *state, struct zmtp_zap_request *req)
{
    const struct plain_state *s = state;

    if (mech_zap_request_begin(&s->m, req, "PLAIN") < 0)
        return ZMTP_E_COMMAND;
    req->credential[0] = s->username;
    req->credential_len[0] = s->username_len;
    req->credential[1] = s->password;
    req->credential_len[1] = s->password_len;
    req->credential_count = 2;
    return 0;
}

static void plain_zap_result(void *state, int status_code)
{
    struct plain_state *s = state;

    mech_zap_result(&s->m, status_code);
}

const struct zmtp_mechanism_ops zmtp_mech_plain = {
    .name = "PLAIN",
    .state_size = sizeof(struct plain_state),
    .init = plain_init,
    .fini = plain_fini,
    .next_command = plain_next_command,
    .process_command = plain_process_command,
    .status = plain_status,
    .peer = plain_peer,
    .zap_request = plain_zap_request,
    .zap_result = plain_zap_result,
};
