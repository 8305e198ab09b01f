/* The udp:// datagram of RADIO/DISH, as libzmq 4.3 frames it: one datagram per message, holding the
 * group's length (one byte), the group, then the body (everything left). Pure code: no I/O, slices of
 * the caller's buffer, every length checked against what arrived.
 */
#ifndef ZINC_DGRAM_H
#define ZINC_DGRAM_H

#include <stddef.h>
#include <stdint.h>

/* The largest datagram zinc sends or reads for RADIO/DISH (libzmq's limit, 8 KiB). */
#define DGRAM_MAX 8192
#define DGRAM_GROUP_MAX 255

struct dgram {
    const uint8_t *group;   /* slices of the datagram */
    size_t group_len;
    const uint8_t *body;
    size_t body_len;
};

/* Reads one datagram of len bytes: 0, or -1 when it is malformed (empty, or shorter than its group length
 * says). The slices point into in. */
int dgram_decode(const uint8_t *in, size_t len, struct dgram *out);
/* Writes a datagram into out (cap bytes): its length, or 0 when the group is over 255 bytes or the whole
 * does not fit in cap. */
size_t dgram_encode(uint8_t *out, size_t cap, const void *group, size_t group_len, const void *body,
                    size_t body_len);

#endif
