/* Unit tests for src/zmtp/frame.c: short/long headers, limits, reserved flags, and no read past the end. */
#include "unit.h"

#include "zmtp/zmtp.h"

static struct unit_guard guard;

#define NO_LIMIT (-1)

static int parse_guarded(const uint8_t *in, size_t len, int version, int64_t max_size,
                         struct zmtp_frame_header *out)
{
    return zmtp_frame_header_parse(unit_guard_place(&guard, in, len), len, version, max_size, out);
}

/* Writes a header, checks its length and bytes, parses it back. */
static void roundtrip(uint64_t size, uint8_t flags, size_t want_len)
{
    uint8_t buf[ZMTP_FRAME_HEADER_MAX];
    struct zmtp_frame_header h = {0xEE, 0xEE};
    size_t len = zmtp_frame_header_write(buf, size, flags);

    CHECK_EQU(len, want_len);
    CHECK_EQ(buf[0] & ZMTP_FLAG_LONG, want_len == 9 ? ZMTP_FLAG_LONG : 0);
    CHECK_EQ(parse_guarded(buf, len, 3, NO_LIMIT, &h), (int)want_len);
    CHECK_EQU(h.size, size);
    CHECK_EQ(h.flags, flags);
}

static void test_roundtrip(void)
{
    static const uint8_t flag_sets[] = {0, ZMTP_FLAG_MORE, ZMTP_FLAG_COMMAND};

    for (size_t f = 0; f < sizeof flag_sets; f++) {
        roundtrip(0, flag_sets[f], 2);
        roundtrip(1, flag_sets[f], 2);
        roundtrip(255, flag_sets[f], 2);
        roundtrip(256, flag_sets[f], 9);
        roundtrip(65536, flag_sets[f], 9);
        roundtrip(UINT64_C(1) << 32, flag_sets[f], 9);
        roundtrip((uint64_t)INT64_MAX, flag_sets[f], 9);
    }
}

static void test_wire_bytes(void)
{
    static const uint8_t short_255[] = {0x01, 0xFF};
    static const uint8_t long_256[] = {0x06, 0, 0, 0, 0, 0, 0, 0x01, 0x00};
    uint8_t buf[ZMTP_FRAME_HEADER_MAX];
    size_t len;

    len = zmtp_frame_header_write(buf, 255, ZMTP_FLAG_MORE);
    CHECK_MEM(buf, len, short_255, sizeof short_255);
    len = zmtp_frame_header_write(buf, 256, ZMTP_FLAG_COMMAND);
    CHECK_MEM(buf, len, long_256, sizeof long_256);
}

/* RFC 23 says SHOULD for the short form, so a long header with a small size is still a frame. */
static void test_long_form_small_size(void)
{
    static const uint8_t long_5[] = {0x02, 0, 0, 0, 0, 0, 0, 0, 5};
    static const uint8_t long_0[] = {0x03, 0, 0, 0, 0, 0, 0, 0, 0};
    struct zmtp_frame_header h;

    CHECK_EQ(parse_guarded(long_5, sizeof long_5, 3, NO_LIMIT, &h), 9);
    CHECK_EQU(h.size, 5);
    CHECK_EQ(h.flags, 0);
    CHECK_EQ(parse_guarded(long_0, sizeof long_0, 3, NO_LIMIT, &h), 9);
    CHECK_EQU(h.size, 0);
    CHECK_EQ(h.flags, ZMTP_FLAG_MORE);
}

static void test_max_size(void)
{
    static const uint8_t short_0[] = {0x00, 0};
    static const uint8_t short_1[] = {0x00, 1};
    static const uint8_t short_100[] = {0x00, 100};
    static const uint8_t long_1000[] = {0x02, 0, 0, 0, 0, 0, 0, 0x03, 0xE8};
    struct zmtp_frame_header h;

    CHECK_EQ(parse_guarded(short_0, 2, 3, 0, &h), 2);
    CHECK_EQ(parse_guarded(short_1, 2, 3, 0, &h), ZMTP_E_TOO_LARGE);
    CHECK_EQ(parse_guarded(short_100, 2, 3, 100, &h), 2);
    CHECK_EQ(parse_guarded(short_100, 2, 3, 99, &h), ZMTP_E_TOO_LARGE);
    CHECK_EQ(parse_guarded(long_1000, 9, 3, 1000, &h), 9);
    CHECK_EQ(parse_guarded(long_1000, 9, 3, 999, &h), ZMTP_E_TOO_LARGE);
    CHECK_EQ(parse_guarded(long_1000, 9, 2, 999, &h), ZMTP_E_TOO_LARGE);
    CHECK_EQ(parse_guarded(long_1000, 9, 3, NO_LIMIT, &h), 9);
    CHECK_EQ(parse_guarded(long_1000, 9, 3, INT64_MIN, &h), 9);      /* any negative: no limit */
    /* Commands obey the same limit. */
    static const uint8_t cmd_100[] = {0x04, 100};
    CHECK_EQ(parse_guarded(cmd_100, 2, 3, 99, &h), ZMTP_E_TOO_LARGE);
}

/* Sizes the RFC forbids are refused whatever the limit, before anything is filled in. */
static void test_huge_sizes(void)
{
    static const uint8_t two_63[] = {0x02, 0x80, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t max_u64[] = {0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    static const uint8_t int64_max[] = {0x02, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    struct zmtp_frame_header h = {0x55, 0x55};

    CHECK_EQ(parse_guarded(two_63, 9, 3, NO_LIMIT, &h), ZMTP_E_TOO_LARGE);
    CHECK_EQ(parse_guarded(two_63, 9, 3, INT64_MAX, &h), ZMTP_E_TOO_LARGE);
    CHECK_EQ(parse_guarded(max_u64, 9, 3, NO_LIMIT, &h), ZMTP_E_TOO_LARGE);
    CHECK_EQ(parse_guarded(max_u64, 9, 2, NO_LIMIT, &h), ZMTP_E_FLAGS);    /* COMMAND: not in 2.0 */
    CHECK_EQ(parse_guarded(two_63, 9, 2, NO_LIMIT, &h), ZMTP_E_TOO_LARGE);
    CHECK_EQ(h.flags, 0x55);
    CHECK_EQU(h.size, 0x55);
    CHECK_EQ(parse_guarded(int64_max, 9, 3, NO_LIMIT, &h), 9);
    CHECK_EQU(h.size, (uint64_t)INT64_MAX);
    CHECK_EQ(parse_guarded(int64_max, 9, 3, INT64_MAX, &h), 9);
    CHECK_EQ(parse_guarded(int64_max, 9, 3, INT64_MAX - 1, &h), ZMTP_E_TOO_LARGE);
}

static void test_flags(void)
{
    struct zmtp_frame_header h;
    uint8_t in[2] = {0, 0};

    for (int bit = 3; bit < 8; bit++) {     /* RFC 23: bits 7-3 reserved */
        in[0] = (uint8_t)(1u << bit);
        CHECK_EQ(parse_guarded(in, 1, 3, NO_LIMIT, &h), ZMTP_E_FLAGS);
        CHECK_EQ(parse_guarded(in, 2, 3, NO_LIMIT, &h), ZMTP_E_FLAGS);
    }
    for (int bit = 2; bit < 8; bit++) {     /* RFC 15: bits 7-2 reserved, so no COMMAND in 2.0 */
        in[0] = (uint8_t)(1u << bit);
        CHECK_EQ(parse_guarded(in, 2, 2, NO_LIMIT, &h), ZMTP_E_FLAGS);
    }
    in[0] = ZMTP_FLAG_COMMAND | ZMTP_FLAG_MORE;
    CHECK_EQ(parse_guarded(in, 1, 3, NO_LIMIT, &h), ZMTP_E_FLAGS);
    in[0] = ZMTP_FLAG_COMMAND | ZMTP_FLAG_MORE | ZMTP_FLAG_LONG;
    CHECK_EQ(parse_guarded(in, 1, 3, NO_LIMIT, &h), ZMTP_E_FLAGS);
    for (uint8_t f = 0; f < 4; f++) {       /* MORE and LONG are fine in both versions */
        uint8_t full[9] = {f, 0, 0, 0, 0, 0, 0, 0, 7};
        size_t want = (f & ZMTP_FLAG_LONG) ? 9 : 2;
        for (int version = 2; version <= 3; version++) {
            CHECK_EQ(parse_guarded(full, want, version, NO_LIMIT, &h), (int)want);
            CHECK_EQ(h.flags, f & ZMTP_FLAG_MORE);
        }
    }
    for (int f = 0; f < 256; f++) {         /* every flags byte: only 0..7 minus COMMAND|MORE pass in 3.x */
        uint8_t full[9] = {(uint8_t)f, 0, 0, 0, 0, 0, 0, 0, 1};
        bool ok3 = f < 8 && (f & 5) != 5;
        bool ok2 = f < 4;
        CHECK_EQ(parse_guarded(full, 9, 3, NO_LIMIT, &h) > 0, ok3);
        CHECK_EQ(parse_guarded(full, 9, 2, NO_LIMIT, &h) > 0, ok2);
    }
}

/* Every prefix, valid and invalid, at the page end. Flags errors show from byte 1, size errors once the
 * size is complete, success once the header is. */
struct prefix_case {
    uint8_t bytes[9];
    size_t len;
    int version;
    int64_t max_size;
    int want;          /* result on the full header */
    size_t decided_at; /* first length at which the result is final */
};

static void test_guard_prefixes(void)
{
    static const struct prefix_case cases[] = {
        {{0x00, 0x00}, 2, 3, NO_LIMIT, 2, 2},
        {{0x01, 0xFF}, 2, 3, NO_LIMIT, 2, 2},
        {{0x04, 0x10}, 2, 3, NO_LIMIT, 2, 2},
        {{0x02, 0, 0, 0, 0, 0, 0, 1, 0}, 9, 3, NO_LIMIT, 9, 9},
        {{0x06, 0, 0, 0, 0, 0, 0, 1, 0}, 9, 3, 256, 9, 9},
        {{0x06, 0, 0, 0, 0, 0, 0, 1, 1}, 9, 3, 256, ZMTP_E_TOO_LARGE, 9},
        {{0x02, 0x80, 0, 0, 0, 0, 0, 0, 0}, 9, 3, NO_LIMIT, ZMTP_E_TOO_LARGE, 9},
        {{0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 9, 2, NO_LIMIT, ZMTP_E_TOO_LARGE, 9},
        {{0x00, 0x05}, 2, 3, 4, ZMTP_E_TOO_LARGE, 2},
        {{0x05, 0x00}, 2, 3, NO_LIMIT, ZMTP_E_FLAGS, 1},
        {{0x07, 0, 0, 0, 0, 0, 0, 0, 1}, 9, 3, NO_LIMIT, ZMTP_E_FLAGS, 1},
        {{0x08, 0x00}, 2, 3, NO_LIMIT, ZMTP_E_FLAGS, 1},
        {{0x80, 0x00}, 2, 3, NO_LIMIT, ZMTP_E_FLAGS, 1},
        {{0x04, 0x00}, 2, 2, NO_LIMIT, ZMTP_E_FLAGS, 1},
        {{0x06, 0, 0, 0, 0, 0, 0, 0, 9}, 9, 2, NO_LIMIT, ZMTP_E_FLAGS, 1},
    };
    struct zmtp_frame_header h;

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const struct prefix_case *pc = &cases[c];
        for (size_t len = 0; len <= pc->len; len++) {
            int want = len >= pc->decided_at ? pc->want : 0;
            CHECK_EQ(parse_guarded(pc->bytes, len, pc->version, pc->max_size, &h), want);
        }
    }
}

/* A header followed by body bytes: only the header is consumed. */
static void test_trailing_bytes(void)
{
    static const uint8_t in[] = {0x01, 0x03, 'a', 'b', 'c', 0x00, 0x00};
    struct zmtp_frame_header h;

    CHECK_EQ(parse_guarded(in, sizeof in, 3, NO_LIMIT, &h), 2);
    CHECK_EQU(h.size, 3);
    CHECK_EQ(h.flags, ZMTP_FLAG_MORE);
}

int main(void)
{
    unit_guard_init(&guard);
    test_roundtrip();
    test_wire_bytes();
    test_long_form_small_size();
    test_max_size();
    test_huge_sizes();
    test_flags();
    test_guard_prefixes();
    test_trailing_bytes();
    unit_guard_fini(&guard);
    return unit_summary("test_zmtp_frame");
}
