/* Unit tests for src/zmtp/curve_box.c: every box it seals must be byte for byte the box libsodium's
 * crypto_box_detached_afternm makes for the same key, 24-byte nonce (16-byte prefix + 8-byte counter) and
 * plaintext, and it must open exactly what crypto_box_open_detached_afternm opens: all lengths 0..1100
 * and some large ones, random keys, prefixes and counters, the MAC inside the scratch bytes as curve_wrap
 * places it, and every single-bit tampering of a short box refused with the ciphertext left unchanged.
 * Ciphertexts up to a page end right before a PROT_NONE page, so a read past the end crashes. */
#include "unit.h"

#ifdef ZINC_HAVE_SODIUM

#include <sodium.h>
#include <stdbool.h>

#include "zmtp/curve_box.h"

static struct unit_guard guard;

struct vector {
    uint8_t key[32], nonce[24];   /* nonce = prefix (16) + counter (8) */
    struct curve_box_key k;
};

static void vector_random(struct vector *v)
{
    randombytes_buf(v->key, sizeof v->key);
    randombytes_buf(v->nonce, sizeof v->nonce);
    curve_box_key_init(&v->k, v->key, v->nonce);
}

/* Seals len random bytes both ways and compares; then opens libsodium's box with curve_box_open. */
static void check_length(const struct vector *v, size_t len, bool mac_in_scratch)
{
    uint8_t *m = malloc(len + 1), *want = malloc(len + 1), *buf = malloc(CURVE_BOX_SCRATCH + len);
    uint8_t want_mac[CURVE_BOX_MAC], mac[CURVE_BOX_MAC];
    CHECK(m && want && buf);
    randombytes_buf(m, len);
    CHECK_EQ(crypto_box_detached_afternm(want, want_mac, m, len, v->nonce, v->key), 0);

    memcpy(buf + CURVE_BOX_SCRATCH, m, len);
    uint8_t *mac_out = mac_in_scratch ? buf + 16 : mac;
    curve_box_seal(&v->k, v->nonce + 16, buf, len, mac_out);
    CHECK_MEM(buf + CURVE_BOX_SCRATCH, len, want, len);
    CHECK_MEM(mac_out, CURVE_BOX_MAC, want_mac, CURVE_BOX_MAC);

    /* The guard holds up to a page; a larger box is opened in want itself. */
    uint8_t *c = len <= guard.page ? (uint8_t *)unit_guard_place(&guard, want, len) : want;
    CHECK_EQ(curve_box_open(&v->k, v->nonce + 16, c, len, want_mac), 0);
    CHECK_MEM(c, len, m, len);
    free(m);
    free(want);
    free(buf);
}

static void test_same_boxes_as_libsodium(void)
{
    struct vector v;
    for (size_t len = 0; len <= 1100; len++) {
        vector_random(&v);
        check_length(&v, len, len % 2 == 0);
    }
    static const size_t large[] = {4095, 4096, 65535, 65536 + 7, 1 << 20};
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++) {
        vector_random(&v);
        check_length(&v, large[i], false);
    }
}

/* Every bit of a short box's ciphertext and MAC, and of its counter, flipped: refused by both, with the
 * ciphertext unchanged. */
static void test_tampering_refused(void)
{
    struct vector v;
    vector_random(&v);
    enum { LEN = 40 };
    uint8_t m[LEN], box[LEN], mac[CURVE_BOX_MAC], copy[LEN], plain[LEN];
    randombytes_buf(m, sizeof m);
    CHECK_EQ(crypto_box_detached_afternm(box, mac, m, LEN, v.nonce, v.key), 0);
    for (size_t bit = 0; bit < 8 * (LEN + CURVE_BOX_MAC + 8); bit++) {
        uint8_t bad_mac[CURVE_BOX_MAC], counter[8], nonce[24];
        memcpy(copy, box, LEN);
        memcpy(bad_mac, mac, sizeof mac);
        memcpy(counter, v.nonce + 16, 8);
        size_t byte = bit / 8;
        uint8_t flip = (uint8_t)(1u << (bit % 8));
        if (byte < LEN)
            copy[byte] ^= flip;
        else if (byte < LEN + CURVE_BOX_MAC)
            bad_mac[byte - LEN] ^= flip;
        else
            counter[byte - LEN - CURVE_BOX_MAC] ^= flip;
        memcpy(nonce, v.nonce, 16);
        memcpy(nonce + 16, counter, 8);
        CHECK(crypto_box_open_detached_afternm(plain, copy, bad_mac, LEN, nonce, v.key) != 0);
        uint8_t before[LEN];
        memcpy(before, copy, LEN);
        CHECK_EQ(curve_box_open(&v.k, counter, copy, LEN, bad_mac), -1);
        CHECK_MEM(copy, LEN, before, LEN);
    }
    /* A key for another prefix opens nothing. */
    struct curve_box_key other;
    uint8_t prefix[16];
    memcpy(prefix, v.nonce, 16);
    prefix[15] ^= 1;
    curve_box_key_init(&other, v.key, prefix);
    memcpy(copy, box, LEN);
    CHECK_EQ(curve_box_open(&other, v.nonce + 16, copy, LEN, mac), -1);
    CHECK_EQ(curve_box_open(&v.k, v.nonce + 16, copy, LEN, mac), 0);
    CHECK_MEM(copy, LEN, m, LEN);
}

static void test_wipe(void)
{
    struct vector v;
    vector_random(&v);
    curve_box_key_wipe(&v.k);
    static const uint8_t zero[sizeof v.k.subkey];
    CHECK_MEM(v.k.subkey, sizeof v.k.subkey, zero, sizeof zero);
}

int main(void)
{
    unit_guard_init(&guard);
    CHECK(sodium_init() >= 0);
    test_same_boxes_as_libsodium();
    test_tampering_refused();
    test_wipe();
    unit_guard_fini(&guard);
    return unit_summary("test_zmtp_curve_box");
}

#else
int main(void)
{
    fprintf(stderr, "test_zmtp_curve_box: built without libsodium, skipped\n");
    return 0;
}
#endif
