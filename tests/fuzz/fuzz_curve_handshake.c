/* Fuzz target: the CURVE handshake against hostile input. Byte 0 picks the mode:
 *   0  raw command bodies to a server (sizes and order checked before any box is opened)
 *   1  raw command bodies to a client that has sent HELLO
 *   2  a genuine HELLO, then an INITIATE boxed with the right keys whose plaintext (C, vouch, metadata)
 *      is the rest of the input: the fuzzer reaches the code behind the cryptography
 *   3  as 2, but with a genuine C and vouch: only the metadata is the fuzzer's
 * Keys are fixed (seeded) so inputs replay the same way; transient keys come from the mechanism. */
#include <sodium.h>
#include <string.h>

#include "fuzz.h"
#include "zmtp/wire.h"
#include "zmtp/zmtp.h"

static uint8_t server_pk[32], server_sk[32], client_pk[32], client_sk[32];

static void keys_once(void)
{
    static int done;
    uint8_t seed[32];
    if (done)
        return;
    FUZZ_CHECK(sodium_init() >= 0);
    memset(seed, 1, sizeof seed);
    crypto_box_seed_keypair(server_pk, server_sk, seed);
    memset(seed, 2, sizeof seed);
    crypto_box_seed_keypair(client_pk, client_sk, seed);
    done = 1;
}

static void *open_side(const struct zmtp_mechanism_ops *mech, bool server)
{
    struct zmtp_mech_config cfg = {
        .socket_type = server ? 7 : 8,   /* PULL, PUSH */
        .as_server = server,
        .zap = server,
        .secret_key = server ? server_sk : client_sk,
        .server_key = server ? NULL : server_pk,
    };
    void *state = malloc(mech->state_size);
    FUZZ_CHECK(state != NULL && mech->init(state, &cfg) == 0);
    return state;
}

static void feed_raw(const struct zmtp_mechanism_ops *mech, void *state, const uint8_t *data, size_t size)
{
    uint8_t out[2048];
    size_t pos = 0;
    while (pos < size) {
        size_t len = pos + 2 <= size ? (size_t)data[pos] << 8 | data[pos + 1] : 0;
        pos = pos + 2 <= size ? pos + 2 : size;
        if (len > size - pos)
            len = size - pos;
        uint8_t *body = fuzz_copy(data + pos, len);
        int rc = mech->process_command(state, body, len);
        free(body);
        pos += len;
        FUZZ_CHECK(rc <= 0 && (rc == 0) == (mech->status(state) != ZMTP_MECH_ERROR));
        int n = mech->next_command(state, out, sizeof out);
        FUZZ_CHECK(n >= 0);
    }
}

/* Mode 2/3: HELLO from a hand-made client, WELCOME opened, INITIATE boxed around fuzz bytes. */
static void boxed_initiate(const struct zmtp_mechanism_ops *mech, void *server, const uint8_t *data, size_t size,
                           bool genuine_vouch)
{
    uint8_t cn_pk[32], cn_sk[32], nonce[24], zeros[64] = {0}, buf[2048], welcome[128], shared[32];
    crypto_box_keypair(cn_pk, cn_sk);
    memset(buf, 0, 200);
    memcpy(buf, "\x05HELLO\x01\x00", 8);
    memcpy(buf + 80, cn_pk, 32);
    zmtp_put_be64(buf + 112, 1);
    memcpy(nonce, "CurveZMQHELLO---", 16);
    zmtp_put_be64(nonce + 16, 1);
    FUZZ_CHECK(crypto_box_easy(buf + 120, zeros, 64, nonce, server_pk, cn_sk) == 0);
    FUZZ_CHECK(mech->process_command(server, buf, 200) == 0);
    FUZZ_CHECK(mech->next_command(server, buf, sizeof buf) == 168);
    memcpy(nonce, "WELCOME-", 8);
    memcpy(nonce + 8, buf + 8, 16);
    FUZZ_CHECK(crypto_box_open_easy(welcome, buf + 24, 144, nonce, server_pk, cn_sk) == 0);
    FUZZ_CHECK(crypto_box_beforenm(shared, welcome, cn_sk) == 0);

    size_t head = genuine_vouch ? 128 : 0;
    if (size > 1500)
        size = 1500;
    uint8_t plain[128 + 1500];
    if (genuine_vouch) {
        uint8_t vouch[64];
        memcpy(plain, client_pk, 32);
        randombytes_buf(plain + 32, 16);
        memcpy(nonce, "VOUCH---", 8);
        memcpy(nonce + 8, plain + 32, 16);
        memcpy(vouch, cn_pk, 32);
        memcpy(vouch + 32, server_pk, 32);
        FUZZ_CHECK(crypto_box_easy(plain + 48, vouch, 64, nonce, welcome, client_sk) == 0);
    }
    memcpy(plain + head, data, size);
    uint8_t *cmd = malloc(113 + 16 + head + size);
    memcpy(cmd, "\x08INITIATE", 9);
    memcpy(cmd + 9, welcome + 32, 96);
    zmtp_put_be64(cmd + 105, 2);
    memcpy(nonce, "CurveZMQINITIATE", 16);
    zmtp_put_be64(nonce + 16, 2);
    FUZZ_CHECK(crypto_box_easy_afternm(cmd + 113, plain, head + size, nonce, shared) == 0);
    int rc = mech->process_command(server, cmd, 113 + 16 + head + size);
    free(cmd);
    FUZZ_CHECK(rc <= 0);
    if (rc == 0) {
        struct zmtp_zap_request req;
        FUZZ_CHECK(mech->status(server) == ZMTP_MECH_ZAP_PENDING);
        FUZZ_CHECK(mech->zap_request(server, &req) == 0 && req.credential_len[0] == 32);
        mech->zap_result(server, 200);
        FUZZ_CHECK(mech->next_command(server, buf, sizeof buf) > 0);
        FUZZ_CHECK(mech->status(server) == ZMTP_MECH_READY);
        FUZZ_CHECK(mech->peer(server)->metadata != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct zmtp_mechanism_ops *mech = &zmtp_mech_curve;
    uint8_t out[512];

    if (size < 1)
        return 0;
    keys_once();
    int mode = data[0] & 3;
    void *state = open_side(mech, mode != 1);
    if (mode == 1)
        FUZZ_CHECK(mech->next_command(state, out, sizeof out) == 200);   /* HELLO */
    if (mode <= 1)
        feed_raw(mech, state, data + 1, size - 1);
    else
        boxed_initiate(mech, state, data + 1, size - 1, mode == 3);
    mech->fini(state);
    free(state);
    return 0;
}
