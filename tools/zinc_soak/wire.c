/* zinc_soak's message format: a header and a payload whose every byte is a function of (inc, seq), so any
 * damaged, truncated or padded message is caught without keeping a copy (soak.h invariant 1). */
#include "soak.h"

#include <string.h>
#include <time.h>

uint64_t soak_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t soak_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* Mostly small messages, some medium, one in a thousand large (multi-read on the stream transports). */
size_t soak_payload_len(uint64_t seq)
{
    if (seq % 1000 == 999)
        return 65536 + seq % 100;
    if (seq % 7 == 0)
        return (seq * 37) % 4000;
    return 16 + seq % 64;
}

static uint8_t payload_byte(uint32_t inc, uint64_t seq, size_t i)
{
    return (uint8_t)(seq * 131u + i * 7u + inc + (i >> 8));
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

size_t soak_encode(uint8_t *buf, char topic, uint32_t inc, uint64_t seq, uint64_t send_ns)
{
    size_t len = soak_payload_len(seq);
    buf[0] = (uint8_t)topic;
    put32(buf + 1, SOAK_MAGIC);
    put32(buf + 5, inc);
    put64(buf + 9, seq);
    put64(buf + 17, send_ns);
    put32(buf + 25, (uint32_t)len);
    uint8_t *p = buf + SOAK_HDR_LEN;
    for (size_t i = 0; i < len; i++)
        p[i] = payload_byte(inc, seq, i);
    return SOAK_HDR_LEN + len;
}

int soak_decode(const uint8_t *buf, size_t n, struct soak_hdr *h)
{
    if (n < SOAK_HDR_LEN || get32(buf + 1) != SOAK_MAGIC)
        return -1;
    h->topic = (char)buf[0];
    h->inc = get32(buf + 5);
    h->seq = get64(buf + 9);
    h->send_ns = get64(buf + 17);
    h->len = get32(buf + 25);
    if (h->len != soak_payload_len(h->seq) || n != SOAK_HDR_LEN + (size_t)h->len)
        return -1;
    const uint8_t *p = buf + SOAK_HDR_LEN;
    for (size_t i = 0; i < h->len; i++)
        if (p[i] != payload_byte(h->inc, h->seq, i))
            return -1;
    return 0;
}
