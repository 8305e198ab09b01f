/* Unit tests for src/zmtp/dgram.c: the RADIO/DISH udp:// datagram (group length byte, group, body), every
 * input placed to end right before an unreadable page. */
#include "unit.h"

#include "zmtp/dgram.h"

static struct unit_guard guard;

#define B(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static int decode(const uint8_t *data, size_t len, struct dgram *d)
{
    return dgram_decode(unit_guard_place(&guard, data, len), len, d);
}

static void test_decode(void)
{
    struct dgram d;
    CHECK_EQ(decode(B("\x03" "abcbody"), &d), 0);
    CHECK_MEM(d.group, d.group_len, "abc", 3);
    CHECK_MEM(d.body, d.body_len, "body", 4);
    CHECK_EQ(decode(B("\x00" "body"), &d), 0);
    CHECK_EQU(d.group_len, 0);
    CHECK_MEM(d.body, d.body_len, "body", 4);
    CHECK_EQ(decode(B("\x02" "ab"), &d), 0);   /* empty body */
    CHECK_EQU(d.body_len, 0);
    CHECK_EQ(decode(B("\x00"), &d), 0);
    CHECK_EQU(d.group_len + d.body_len, 0);
    /* malformed: empty, or a group longer than what follows */
    CHECK_EQ(decode((const uint8_t *)"", 0, &d), -1);
    CHECK_EQ(decode(B("\x03" "ab"), &d), -1);
    CHECK_EQ(decode(B("\xff" "abc"), &d), -1);
    uint8_t full[256];
    full[0] = 255;
    memset(full + 1, 'g', 255);
    CHECK_EQ(decode(full, sizeof full, &d), 0);
    CHECK_EQU(d.group_len, 255);
    CHECK_EQU(d.body_len, 0);
    CHECK_EQ(decode(full, sizeof full - 1, &d), -1);
}

static void test_encode(void)
{
    uint8_t out[DGRAM_MAX];
    struct dgram d;
    size_t n = dgram_encode(out, sizeof out, "grp", 3, "hello", 5);
    CHECK_EQU(n, 9);
    CHECK_MEM(out, n, "\x03grphello", 9);
    CHECK_EQ(decode(out, n, &d), 0);
    CHECK_MEM(d.body, d.body_len, "hello", 5);
    CHECK_EQU(dgram_encode(out, sizeof out, "", 0, "", 0), 1);
    char g[256];
    memset(g, 'g', sizeof g);
    CHECK_EQU(dgram_encode(out, sizeof out, g, 255, "x", 1), 257);
    CHECK_EQU(dgram_encode(out, sizeof out, g, 256, "x", 1), 0);   /* group over 255 bytes */
    CHECK_EQU(dgram_encode(out, 9, "grp", 3, "hello", 5), 9);       /* exact fit */
    CHECK_EQU(dgram_encode(out, 8, "grp", 3, "hello", 5), 0);       /* one byte short */
    CHECK_EQU(dgram_encode(out, 3, "grp", 3, "", 0), 0);
    CHECK_EQU(dgram_encode(out, 0, "", 0, "", 0), 0);
    static uint8_t big[DGRAM_MAX];
    CHECK_EQU(dgram_encode(out, sizeof out, "g", 1, big, DGRAM_MAX - 2), DGRAM_MAX);
    CHECK_EQU(dgram_encode(out, sizeof out, "g", 1, big, DGRAM_MAX - 1), 0);
}

int main(void)
{
    unit_guard_init(&guard);
    test_decode();
    test_encode();
    unit_guard_fini(&guard);
    return unit_summary("test_dgram");
}
