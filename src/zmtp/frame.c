/* ZMTP frame headers: one flags octet and a 1- or 8-octet size (RFC 23 "Framing", RFC 15 "Framing" for
 * 2.0). The body is never touched here: the engine reads it, or points at it, once the size is known. */
#include <assert.h>

#include "zmtp/wire.h"
#include "zmtp/zmtp.h"

#define FRAME_SHORT_HEADER 2
#define FRAME_LONG_HEADER 9

/* RFC 23: bits 7-3 reserved and MUST be zero; MORE "SHALL be zero on command frames".
 * RFC 15: bits 7-2 reserved (2.0 has no COMMAND bit). */
static int frame_flags_check(uint8_t flags, int version)
{
    uint8_t reserved = version == 2 ? 0xFC : 0xF8;

    if (flags & reserved)
        return ZMTP_E_FLAGS;
    if ((flags & ZMTP_FLAG_COMMAND) && (flags & ZMTP_FLAG_MORE))
        return ZMTP_E_FLAGS;
    return 0;
}

/* RFC 23: "A long frame has a body of 0 to 2^63-1 octets". The size is checked before the caller may
 * allocate or wait for anything on its strength (CVE-2019-6250 was a size that wrapped). */
static int frame_size_check(uint64_t size, int64_t max_size)
{
    if (size > (uint64_t)INT64_MAX)
        return ZMTP_E_TOO_LARGE;
    if (max_size >= 0 && size > (uint64_t)max_size)
        return ZMTP_E_TOO_LARGE;
    return 0;
}

int zmtp_frame_header_parse(const uint8_t *in, size_t len, int version, int64_t max_size,
                            struct zmtp_frame_header *out)
{
    size_t header_len;
    uint64_t size;
    int rc;

    if (len < 1)
        return 0;
    rc = frame_flags_check(in[0], version);
    if (rc < 0)
        return rc;
    header_len = (in[0] & ZMTP_FLAG_LONG) ? FRAME_LONG_HEADER : FRAME_SHORT_HEADER;
    if (len < header_len)
        return 0;
    size = header_len == FRAME_LONG_HEADER ? zmtp_get_be64(in + 1) : in[1];
    rc = frame_size_check(size, max_size);
    if (rc < 0)
        return rc;
    out->flags = in[0] & (ZMTP_FLAG_MORE | ZMTP_FLAG_COMMAND);
    out->size = size;
    return (int)header_len;
}

/* RFC 23 "Framing": short form for 0..255, long form (LONG bit, 8-octet big-endian size) above. */
size_t zmtp_frame_header_write(uint8_t out[ZMTP_FRAME_HEADER_MAX], uint64_t size, uint8_t flags)
{
    assert(size <= (uint64_t)INT64_MAX);
    assert((flags & ~(ZMTP_FLAG_MORE | ZMTP_FLAG_COMMAND)) == 0);
    if (size < 256) {
        out[0] = flags;
        out[1] = (uint8_t)size;
        return FRAME_SHORT_HEADER;
    }
    out[0] = flags | ZMTP_FLAG_LONG;
    zmtp_put_be64(out + 1, size);
    return FRAME_LONG_HEADER;
}
