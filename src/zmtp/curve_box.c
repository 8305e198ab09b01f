/* curve_box.c: XSalsa20-Poly1305 boxes with the per-stream subkey cached; see curve_box.h for why and for
 * the proof of equality with libsodium's crypto_box_*_afternm. The steps are crypto_secretbox's: the first
 * 32 bytes of the Salsa20 keystream (counter 0) are the Poly1305 one-time key, the rest encrypts the
 * message, and the MAC covers the ciphertext. */
#ifdef ZINC_HAVE_SODIUM

#include "zmtp/curve_box.h"

#include <sodium.h>
#include <string.h>

void curve_box_key_init(struct curve_box_key *k, const uint8_t key[32], const uint8_t prefix[16])
{
    crypto_core_hsalsa20(k->subkey, prefix, key, NULL);
}

void curve_box_key_wipe(struct curve_box_key *k)
{
    sodium_memzero(k, sizeof *k);
}

/* One Salsa20 pass over 32 zero bytes followed by the plaintext gives the one-time key and the
 * ciphertext together, exactly as crypto_secretbox's first block and its continuation would. */
void curve_box_seal(const struct curve_box_key *k, const uint8_t counter[8], uint8_t *buf, size_t len,
                    uint8_t mac[CURVE_BOX_MAC])
{
    uint8_t one_time_key[32], tag[CURVE_BOX_MAC];

    memset(buf, 0, CURVE_BOX_SCRATCH);
    crypto_stream_salsa20_xor(buf, buf, CURVE_BOX_SCRATCH + len, counter, k->subkey);
    memcpy(one_time_key, buf, sizeof one_time_key);
    crypto_onetimeauth_poly1305(tag, buf + CURVE_BOX_SCRATCH, len, one_time_key);
    memcpy(mac, tag, sizeof tag);   /* mac may overlap the scratch bytes: written only now */
    sodium_memzero(one_time_key, sizeof one_time_key);
}

/* The first keystream block gives the one-time key (bytes 0..31) and the pad for the first 32 ciphertext
 * bytes (32..63); the MAC is verified before any byte of c changes. */
int curve_box_open(const struct curve_box_key *k, const uint8_t counter[8], uint8_t *c, size_t len,
                   const uint8_t mac[CURVE_BOX_MAC])
{
    uint8_t block0[64];

    crypto_stream_salsa20(block0, sizeof block0, counter, k->subkey);
    if (crypto_onetimeauth_poly1305_verify(mac, c, len, block0) != 0) {
        sodium_memzero(block0, sizeof block0);
        return -1;
    }
    size_t head = len < 32 ? len : 32;
    for (size_t i = 0; i < head; i++)
        c[i] ^= block0[32 + i];
    if (len > head)
        crypto_stream_salsa20_xor_ic(c + head, c + head, len - head, counter, 1, k->subkey);
    sodium_memzero(block0, sizeof block0);
    return 0;
}

#endif /* ZINC_HAVE_SODIUM */
