/* Big-endian field access for the ZMTP codec files; private to src/zmtp/. Network byte order everywhere
 * (RFC 23 "Framing": sizes are "in network byte order"); fields are unaligned, so bytes, not casts. */
#ifndef ZINC_ZMTP_WIRE_H
#define ZINC_ZMTP_WIRE_H

#include <stdint.h>

static inline uint16_t zmtp_get_be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t zmtp_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t zmtp_get_be64(const uint8_t *p)
{
    return (uint64_t)zmtp_get_be32(p) << 32 | zmtp_get_be32(p + 4);
}

static inline void zmtp_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void zmtp_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void zmtp_put_be64(uint8_t *p, uint64_t v)
{
    zmtp_put_be32(p, (uint32_t)(v >> 32));
    zmtp_put_be32(p + 4, (uint32_t)v);
}

#endif
