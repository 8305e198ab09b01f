/* Fuzz target: arbitrary command bodies fed to a PLAIN mechanism. Byte 0: bit 0 server, bit 1 ZAP on,
 * bits 2-3 the ZAP answer (200, 300, 400, 500), bits 4-7 our socket type. Then each body is a 2-byte
 * big-endian length and that many bytes. The mechanism's own commands must always parse (or be a ZAP
 * refusal in libzmq's PLAIN ERROR form), its status and
 * return codes agree, and what it hands ZAP must lie inside its state. */
#include <string.h>

#include "fuzz.h"
#include "zmtp/zmtp.h"

static void fuzz_next(const struct zmtp_mechanism_ops *mech, void *state)
{
    uint8_t out[ZMTP_MECH_COMMAND_MIN];
    struct zmtp_command cmd;
    int n = mech->next_command(state, out, sizeof out);

    FUZZ_CHECK(n >= 0 && (size_t)n <= sizeof out);
    if (n > 5 && memcmp(out, "\x5eRROR", 5) == 0)   /* a ZAP refusal in libzmq 4.3's PLAIN ERROR form */
        return;
    if (n > 0)
        FUZZ_CHECK(zmtp_command_parse(out, (size_t)n, &cmd) == 1 && cmd.id != ZMTP_CMD_UNKNOWN);
}

static void fuzz_zap(const struct zmtp_mechanism_ops *mech, void *state, int code)
{
    struct zmtp_zap_request req;
    if (mech->status(state) != ZMTP_MECH_ZAP_PENDING)
        return;
    FUZZ_CHECK(mech->zap_request(state, &req) == 0);
    FUZZ_CHECK(req.credential_count == 2 && req.credential_len[0] <= 255 && req.credential_len[1] <= 255);
    volatile uint8_t sink = 0;
    for (int i = 0; i < 2; i++)
        for (size_t j = 0; j < req.credential_len[i]; j++)
            sink ^= req.credential[i][j];
    (void)sink;
    mech->zap_result(state, code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct zmtp_mechanism_ops *mech = &zmtp_mech_plain;
    static const int codes[] = {200, 300, 400, 500};
    struct zmtp_mech_config cfg = {0};

    if (size < 1)
        return 0;
    cfg.as_server = data[0] & 1;
    cfg.zap = data[0] & 2;
    cfg.socket_type = (data[0] >> 4) % 11;
    cfg.username = "user";
    cfg.password = "password";
    void *state = malloc(mech->state_size);
    FUZZ_CHECK(state != NULL && mech->init(state, &cfg) == 0);
    fuzz_next(mech, state);
    size_t pos = 1;
    while (pos < size) {
        size_t len = pos + 2 <= size ? (size_t)data[pos] << 8 | data[pos + 1] : 0;
        pos = pos + 2 <= size ? pos + 2 : size;
        if (len > size - pos)
            len = size - pos;
        uint8_t *body = fuzz_copy(data + pos, len);
        int rc = mech->process_command(state, body, len);
        free(body);
        pos += len;
        enum zmtp_mech_status st = mech->status(state);
        FUZZ_CHECK(rc <= 0 && (rc == 0) == (st != ZMTP_MECH_ERROR));
        fuzz_zap(mech, state, codes[(data[0] >> 2) & 3]);
        fuzz_next(mech, state);
        if (mech->status(state) == ZMTP_MECH_READY)
            FUZZ_CHECK(mech->peer(state)->metadata != NULL);
    }
    mech->fini(state);
    free(state);
    return 0;
}
