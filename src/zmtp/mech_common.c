/* Shared parts of the security mechanisms: metadata in and out, errors, ZAP refusals (see
 * mech_common.h for the invariants). No I/O; the only allocation is the copy of accepted metadata. */
#include "zmtp/mech_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ZINC_HAVE_SODIUM
#include <sodium.h>
#endif

int mech_common_init(struct mech_common *m, const struct zmtp_mech_config *cfg)
{
    memset(m, 0, sizeof *m);
    m->peer.socket_type = -1;
    if (!zmtp_socket_type_handshakes(cfg->socket_type))   /* PAIR..XSUB, SERVER, CLIENT */
        return ZMTP_E_SOCKET_TYPE;
    if (cfg->identity_len > ZMTP_IDENTITY_MAX)
        return ZMTP_E_METADATA;
    m->socket_type = cfg->socket_type;
    m->identity_len = cfg->identity_len;
    if (cfg->identity_len > 0)
        memcpy(m->identity, cfg->identity, cfg->identity_len);
    m->zap = cfg->zap;
    return 0;
}

void mech_common_fini(struct mech_common *m)
{
    free(m->metadata_copy);
    m->metadata_copy = NULL;
    m->peer.metadata = NULL;
    m->peer.metadata_len = 0;
}

int mech_fail(struct mech_common *m, int code)
{
    if (m->error == 0) {
        m->error = code;
        /* never answer an ERROR with an ERROR; PLAIN and CURVE (as libzmq) just close on other failures,
         * which their libzmq peers report as HANDSHAKE_FAILED_NO_DETAIL */
        m->error_told = code == ZMTP_E_ERROR_CMD || m->quiet;
    }
    return m->error;
}

void mech_zap_refused(struct mech_common *m, int status_code)
{
    m->zap_pending = false;
    if (m->error != 0)
        return;
    m->error = ZMTP_E_AUTH;
    m->zap_status = status_code;
    m->error_told = status_code == 300;   /* libzmq closes without ERROR on a temporary failure */
}

void mech_zap_result(struct mech_common *m, int status_code)
{
    if (!m->zap_pending)
        return;
    if (status_code == 200)
        m->zap_pending = false;
    else
        mech_zap_refused(m, status_code);
}

int mech_error_command(struct mech_common *m, uint8_t *out, size_t cap, bool *failed)
{
    *failed = m->error != 0;
    if (!*failed || m->error_told)
        return 0;
    m->error_told = true;
    if (m->zap_status != 0) {
        char code[8];
        snprintf(code, sizeof code, "%d", m->zap_status);
        return (int)zmtp_error_write(out, cap, code);
    }
    return (int)zmtp_error_write(out, cap, zmtp_strerror(m->error));
}

/* RFC 23 "The Identity Property": libzmq sends it (possibly empty) from REQ, DEALER and ROUTER only. */
static bool mech_sends_identity(int socket_type)
{
    return socket_type == 3 || socket_type == 5 || socket_type == 6;   /* REQ, DEALER, ROUTER */
}

size_t mech_metadata_write(const struct mech_common *m, uint8_t *out, size_t cap)
{
    const char *type_name = zmtp_socket_type_name(m->socket_type);
    size_t len = zmtp_metadata_write(out, cap, "Socket-Type", type_name, strlen(type_name));
    if (len == 0)
        return 0;
    if (mech_sends_identity(m->socket_type)) {
        size_t n = zmtp_metadata_write(out + len, cap - len, "Identity", m->identity, m->identity_len);
        if (n == 0)
            return 0;
        len += n;
    }
    return len;
}

/* Socket-Type: present, a name we know, and allowed to talk to us (RFC 23 "The Socket-Type Property"),
 * every time it is listed (libzmq checks each occurrence, so "DEALER" then "PUB" is refused);
 * Identity: at most 255 bytes. */
static int mech_check_properties(struct mech_common *m, const uint8_t *data, size_t len)
{
    struct zmtp_peer_info view = {.metadata = data, .metadata_len = len};
    const uint8_t *pos = data;
    struct zmtp_property prop;
    size_t n;
    int rc;
    bool typed = false;

    while ((rc = zmtp_metadata_next(&pos, data + len, &prop)) == 1) {
        if (!zmtp_property_is(&prop, "Socket-Type"))
            continue;
        int type = zmtp_socket_type_from_name(prop.value, prop.value_len);
        if (!typed)
            m->peer.socket_type = type;   /* the first, recorded even when refused (for the log) */
        typed = true;
        if (!zmtp_socket_types_compatible(m->socket_type, type))
            return ZMTP_E_SOCKET_TYPE;
    }
    if (rc < 0)
        return rc;
    if (!typed)
        return ZMTP_E_SOCKET_TYPE;
    const uint8_t *identity = zmtp_peer_property(&view, "Identity", &n);
    if (identity != NULL) {
        if (n > ZMTP_IDENTITY_MAX)
            return ZMTP_E_METADATA;
        memcpy(m->peer.identity, identity, n);
        m->peer.identity_len = n;
    }
    return 0;
}

/* Validation runs on the peer's bytes before anything is allocated; only accepted metadata is copied. */
int mech_accept_metadata(struct mech_common *m, const uint8_t *data, size_t len)
{
    int rc = mech_check_properties(m, data, len);
    if (rc < 0)
        return mech_fail(m, rc);
    free(m->metadata_copy);
    m->metadata_copy = malloc(len ? len : 1);
    if (m->metadata_copy == NULL)
        return mech_fail(m, ZMTP_E_NOMEM);
    if (len)
        memcpy(m->metadata_copy, data, len);
    m->peer.metadata = m->metadata_copy;
    m->peer.metadata_len = len;
    return 0;
}

/* error = command-size %d5 "ERROR" error-reason. A malformed ERROR is still the peer giving up. */
int mech_peer_error(struct mech_common *m, const uint8_t *data, size_t len)
{
    const uint8_t *reason;
    size_t reason_len;

    if (zmtp_error_parse(data, len, &reason, &reason_len) == 1) {
        memcpy(m->peer.error_reason, reason, reason_len);
        m->peer.error_reason_len = reason_len;
    }
    return mech_fail(m, ZMTP_E_ERROR_CMD);
}

int zmtp_error_status_code(const uint8_t *reason, size_t len)
{
    if (len != 3 || reason[1] != '0' || reason[2] != '0' || reason[0] < '3' || reason[0] > '5')
        return 0;
    return (reason[0] - '0') * 100;
}

void mech_wipe(void *p, size_t n)
{
#ifdef ZINC_HAVE_SODIUM
    sodium_memzero(p, n);
#else
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
#endif
}

enum zmtp_mech_status mech_status(const struct mech_common *m, bool done)
{
    if (m->error != 0)
        return ZMTP_MECH_ERROR;
    if (m->zap_pending)
        return ZMTP_MECH_ZAP_PENDING;
    return done ? ZMTP_MECH_READY : ZMTP_MECH_HANDSHAKING;
}

int mech_zap_request_begin(const struct mech_common *m, struct zmtp_zap_request *req, const char *mechanism)
{
    if (!m->zap_pending || m->error != 0)
        return ZMTP_E_COMMAND;
    memset(req, 0, sizeof *req);
    req->mechanism = mechanism;
    return 0;
}
