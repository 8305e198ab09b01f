/* The RADIO/DISH udp:// datagram codec (dgram.h): group length byte, group, body. */
#include <string.h>

#include "zmtp/dgram.h"

int dgram_decode(const uint8_t *in, size_t len, struct dgram *out)
{
    if (len < 1)
        return -1;
    size_t group_len = in[0];
    if (group_len > len - 1)
        return -1;
    out->group = in + 1;
    out->group_len = group_len;
    out->body = in + 1 + group_len;
    out->body_len = len - 1 - group_len;
    return 0;
}

size_t dgram_encode(uint8_t *out, size_t cap, const void *group, size_t group_len, const void *body,
                    size_t body_len)
{
    if (group_len > DGRAM_GROUP_MAX || cap < 1 || group_len > cap - 1 || body_len > cap - 1 - group_len)
        return 0;
    out[0] = (uint8_t)group_len;
    if (group_len)
        memcpy(out + 1, group, group_len);
    if (body_len)
        memcpy(out + 1 + group_len, body, body_len);
    return 1 + group_len + body_len;
}
