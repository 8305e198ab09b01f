/* Fuzz target: arbitrary command bodies fed to a NULL mechanism. Byte 0 picks our socket type, then each
 * body is a 2-byte big-endian length and that many bytes (cut short at the end of the input). The
 * mechanism's answers and its peer info must stay consistent whatever it is fed. */
#include <string.h>

#include "fuzz.h"
#include "zmtp/zmtp.h"

static void fuzz_check_peer(const struct zmtp_peer_info *peer, int ours)
{
    size_t len;

    FUZZ_CHECK(peer->identity_len <= ZMTP_IDENTITY_MAX && peer->error_reason_len <= ZMTP_ERROR_REASON_MAX);
    FUZZ_CHECK(peer->metadata != NULL);
    FUZZ_CHECK(zmtp_peer_property(peer, "Socket-Type", &len) != NULL);
    FUZZ_CHECK(zmtp_socket_types_compatible(ours, peer->socket_type));
    const uint8_t *id = zmtp_peer_property(peer, "identity", &len);
    FUZZ_CHECK(id == NULL ? peer->identity_len == 0 : len == peer->identity_len);
    (void)zmtp_peer_property(peer, "X-Anything", &len);
}

/* Our own output must always be a command our own parser accepts. */
static void fuzz_next(const struct zmtp_mechanism_ops *mech, void *state)
{
    uint8_t out[ZMTP_MECH_COMMAND_MIN];
    struct zmtp_command cmd;
    int n = mech->next_command(state, out, sizeof out);

    FUZZ_CHECK(n >= 0 && (size_t)n <= sizeof out);
    if (n > 0) {
        FUZZ_CHECK(zmtp_command_parse(out, (size_t)n, &cmd) == 1);
        FUZZ_CHECK(cmd.id == ZMTP_CMD_READY || cmd.id == ZMTP_CMD_ERROR);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct zmtp_mechanism_ops *mech = &zmtp_mech_null;
    struct zmtp_mech_config cfg = {0};
    void *state;

    if (size < 1)
        return 0;
    cfg.socket_type = data[0] % 11;
    cfg.identity = (const uint8_t *)"fuzz";
    cfg.identity_len = (data[0] & 0x80) ? 4 : 0;
    state = malloc(mech->state_size);
    FUZZ_CHECK(state != NULL && mech->init(state, &cfg) == 0);
    size_t pos = 1;
    while (pos < size) {
        size_t len = pos + 2 <= size ? (size_t)data[pos] << 8 | data[pos + 1] : 0;
        pos = pos + 2 <= size ? pos + 2 : size;
        if (len > size - pos)
            len = size - pos;
        uint8_t *body = fuzz_copy(data + pos, len);
        if (data[0] & 0x40)
            fuzz_next(mech, state);
        int rc = mech->process_command(state, body, len);
        free(body);
        pos += len;
        enum zmtp_mech_status st = mech->status(state);
        FUZZ_CHECK(rc <= 0 && (rc == 0) == (st != ZMTP_MECH_ERROR));
        fuzz_next(mech, state);
        if (st == ZMTP_MECH_READY || (rc == 0 && mech->peer(state)->metadata != NULL))
            fuzz_check_peer(mech->peer(state), cfg.socket_type);
    }
    mech->fini(state);
    free(state);
    return 0;
}
