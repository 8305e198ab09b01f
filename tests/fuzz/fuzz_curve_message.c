/* Fuzz target: CURVE MESSAGE decoding after a genuine handshake (made once, kept across inputs). Byte 0
 * picks the mode:
 *   0  the rest of the input is a MESSAGE body as received: it must be refused (no key, no nonce fits)
 *      unless it happens to be a box we made, and never read outside its bytes
 *   1  the rest is a plaintext frame: the peer boxes it, we open it, it must come back unchanged with its
 *      flags; then the same box again must be refused as a replay
 *   2  as 1, but one byte of the box (chosen by byte 1) is flipped first: it must be refused
 *   3  differential: bytes 1-32 a key, 33-48 a nonce prefix, 49-56 a counter, the rest a plaintext;
 *      curve_box must seal it to libsodium's crypto_box_detached_afternm box, open that box back to the
 *      plaintext, and refuse it (unchanged) with one byte flipped, as libsodium does */
#include <sodium.h>
#include <string.h>

#include "fuzz.h"
#include "zmtp/curve_box.h"
#include "zmtp/zmtp.h"

static const struct zmtp_mechanism_ops *mech = &zmtp_mech_curve;
static void *client, *server;

static void handshake_once(void)
{
    uint8_t spk[32], ssk[32], cpk[32], csk[32], buf[2048];
    if (client)
        return;
    FUZZ_CHECK(sodium_init() >= 0);
    crypto_box_keypair(spk, ssk);
    crypto_box_keypair(cpk, csk);
    struct zmtp_mech_config cc = {.socket_type = 5, .secret_key = csk, .server_key = spk};
    struct zmtp_mech_config sc = {.socket_type = 5, .as_server = true, .secret_key = ssk};
    client = malloc(mech->state_size);
    server = malloc(mech->state_size);
    FUZZ_CHECK(mech->init(client, &cc) == 0 && mech->init(server, &sc) == 0);
    for (int i = 0; i < 4; i++) {
        void *from = i % 2 ? server : client, *to = i % 2 ? client : server;
        int n = mech->next_command(from, buf, sizeof buf);
        FUZZ_CHECK(n > 0 && mech->process_command(to, buf, (size_t)n) == 0);
    }
    FUZZ_CHECK(mech->status(client) == ZMTP_MECH_READY && mech->status(server) == ZMTP_MECH_READY);
}

/* Mode 3: curve_box against libsodium on the same key, nonce and plaintext. */
static void differential(const uint8_t *data, size_t size)
{
    enum { HEAD = 32 + 16 + 8 };
    if (size < HEAD)
        return;
    const uint8_t *key = data, *counter = data + 48, *m = data + HEAD;
    size_t len = size - HEAD;
    uint8_t nonce[24], want_mac[CURVE_BOX_MAC], mac[CURVE_BOX_MAC];
    memcpy(nonce, data + 32, 24);
    struct curve_box_key k;
    curve_box_key_init(&k, key, data + 32);
    uint8_t *want = malloc(len + 1), *buf = malloc(CURVE_BOX_SCRATCH + len);
    FUZZ_CHECK(want && buf && crypto_box_detached_afternm(want, want_mac, m, len, nonce, key) == 0);
    memcpy(buf + CURVE_BOX_SCRATCH, m, len);
    curve_box_seal(&k, counter, buf, len, mac);
    FUZZ_CHECK(memcmp(mac, want_mac, sizeof mac) == 0);
    FUZZ_CHECK(len == 0 || memcmp(buf + CURVE_BOX_SCRATCH, want, len) == 0);
    uint8_t *c = fuzz_copy(want, len);
    if (len) {
        size_t at = m[0] % len;
        c[at] ^= 0x80;
        FUZZ_CHECK(curve_box_open(&k, counter, c, len, want_mac) == -1 && c[at] == (want[at] ^ 0x80));
        c[at] ^= 0x80;
    }
    FUZZ_CHECK(curve_box_open(&k, counter, c, len, want_mac) == 0 && (len == 0 || memcmp(c, m, len) == 0));
    curve_box_key_wipe(&k);
    free(c);
    free(want);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct zmtp_transform_ops *t = mech->transform;
    uint8_t *out, flags, inner;
    size_t out_len;

    if (size < 2)
        return 0;
    handshake_once();
    int mode = data[0] % 4;
    if (mode == 3) {
        differential(data + 1, size - 1);
        return 0;
    }
    if (mode == 0) {
        uint8_t *body = fuzz_copy(data + 1, size - 1);
        int rc = t->unwrap(server, body, size - 1, &out, &out_len, &inner);
        FUZZ_CHECK(rc < 0);
        free(body);
        return 0;
    }
    flags = data[1] & (ZMTP_FLAG_MORE | ZMTP_FLAG_COMMAND);
    size_t len = size - 2;
    size_t boxed_len = t->wrap_size(len);
    uint8_t *box = malloc(boxed_len);
    FUZZ_CHECK(box != NULL && t->wrap(client, flags, data + 2, len, box) == (int)boxed_len);
    uint8_t *copy = fuzz_copy(box, boxed_len);
    if (mode == 2) {
        copy[data[1] % boxed_len] ^= (uint8_t)(1 + (data[1] >> 5));
        FUZZ_CHECK(t->unwrap(server, copy, boxed_len, &out, &out_len, &inner) < 0);
    } else {
        FUZZ_CHECK(t->unwrap(server, copy, boxed_len, &out, &out_len, &inner) == 0);
        FUZZ_CHECK(out_len == len && inner == flags && (len == 0 || memcmp(out, data + 2, len) == 0));
        memcpy(copy, box, boxed_len);
        FUZZ_CHECK(t->unwrap(server, copy, boxed_len, &out, &out_len, &inner) == ZMTP_E_SEQUENCE);
    }
    free(copy);
    free(box);
    return 0;
}
