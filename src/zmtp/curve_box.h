/* curve_box: the boxes of one direction of a CurveZMQ MESSAGE stream, with the XSalsa20 subkey computed once
 * per stream instead of once per box. Private to src/zmtp (mech_curve.c and its tests).
 *
 * A MESSAGE box is NaCl's crypto_box_afternm, i.e. crypto_secretbox_xsalsa20poly1305 under the connection's
 * precomputed key K with the 24-byte nonce "CurveZMQMESSAGEC"/"CurveZMQMESSAGES" + an 8-byte counter. That
 * construction begins every box with HSalsa20(K, first 16 nonce bytes), and those 16 bytes never change in
 * a stream, so the result (the subkey) is the same for every box. Computing it once, and sealing in one
 * Salsa20 pass, takes about a third off the CPU time of a 64-byte message's box (seal 930 -> 650 ns, open
 * 1,050 -> 620 ns on the 2-core test VM). Every primitive is libsodium's (crypto_core_hsalsa20,
 * crypto_stream_salsa20[_xor[_ic]], crypto_onetimeauth_poly1305[_verify]); this file only calls them in
 * the order crypto_secretbox does. Proof of equality: tests/unit/test_zmtp_curve_box.c compares every
 * output with crypto_box_detached_afternm / crypto_box_open_detached_afternm (all lengths 0..1100, random
 * keys and counters, every tampering), and fuzz_curve_message mode 3 does the same on fuzzed inputs.
 *
 * Invariants:
 *   1. A key is only the subkey for one (K, 16-byte prefix) pair; it is wiped by curve_box_key_wipe.
 *   2. curve_box_open changes nothing unless the MAC verifies (checked in constant time first).
 *   3. Keystream and one-time keys on the stack are wiped before returning. */
#ifndef ZINC_ZMTP_CURVE_BOX_H
#define ZINC_ZMTP_CURVE_BOX_H

#include <stddef.h>
#include <stdint.h>

#define CURVE_BOX_SCRATCH 32 /* bytes in front of the plaintext that curve_box_seal may use */
#define CURVE_BOX_MAC 16

struct curve_box_key {
    uint8_t subkey[32];
};

/* subkey = HSalsa20(key, prefix): what crypto_secretbox derives first for each nonce starting with prefix. */
void curve_box_key_init(struct curve_box_key *k, const uint8_t key[32], const uint8_t prefix[16]);
void curve_box_key_wipe(struct curve_box_key *k);

/* Boxes buf[CURVE_BOX_SCRATCH .. CURVE_BOX_SCRATCH + len) in place under the nonce prefix + counter (8 bytes,
 * as sent) and writes the MAC to mac (which may lie inside the scratch bytes). The scratch bytes' contents
 * are lost. Same bytes as crypto_box_detached_afternm(c, mac, m, len, prefix + counter, key). */
void curve_box_seal(const struct curve_box_key *k, const uint8_t counter[8], uint8_t *buf, size_t len,
                    uint8_t mac[CURVE_BOX_MAC]);

/* Opens c[0 .. len) in place; 0, or -1 (c unchanged) when the MAC does not verify. Same result as
 * crypto_box_open_detached_afternm(c, c, mac, len, prefix + counter, key). */
int curve_box_open(const struct curve_box_key *k, const uint8_t counter[8], uint8_t *c, size_t len,
                   const uint8_t mac[CURVE_BOX_MAC]);

#endif
