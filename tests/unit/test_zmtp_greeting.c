/* Unit tests for src/zmtp/greeting.c: the signature, the 64-byte 3.x greeting, ZMTP 2.0 socket types. */
#include "unit.h"

#include "zmtp/zmtp.h"

static struct unit_guard guard;

/* A full greeting: signature, major, minor, mechanism, as-server, zero filler. */
static void make_greeting(uint8_t g[ZMTP_GREETING_SIZE], uint8_t major, uint8_t minor, const char *mech,
                          uint8_t as_server)
{
    memset(g, 0, ZMTP_GREETING_SIZE);
    zmtp_signature_write(g);
    g[ZMTP_GREETING_MAJOR] = major;
    g[ZMTP_GREETING_MINOR] = minor;
    memcpy(g + ZMTP_GREETING_MECH, mech, strlen(mech));
    g[ZMTP_GREETING_AS_SERVER] = as_server;
}

static void test_signature_write(void)
{
    static const uint8_t want[] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F};
    uint8_t sig[ZMTP_SIGNATURE_SIZE];

    memset(sig, 0xAA, sizeof sig);
    zmtp_signature_write(sig);
    CHECK_MEM(sig, sizeof sig, want, sizeof want);
    CHECK_EQ(zmtp_signature_check(sig, sizeof sig), ZMTP_SIGNATURE_SIZE);
}

/* Expected result of zmtp_signature_check for a prefix of len bytes of a signature that, complete, gives
 * full (10 or an error), when the error shows at byte first_bad (1-based count of bytes needed). */
static int signature_expect(size_t len, int full, size_t first_bad)
{
    if (full > 0)
        return len >= ZMTP_SIGNATURE_SIZE ? full : 0;
    return len >= first_bad ? full : 0;
}

static void check_signature_prefixes(const uint8_t *sig, int full, size_t first_bad)
{
    for (size_t len = 0; len <= ZMTP_SIGNATURE_SIZE; len++) {
        const uint8_t *p = unit_guard_place(&guard, sig, len);
        CHECK_EQ(zmtp_signature_check(p, len), signature_expect(len, full, first_bad));
    }
}

static void test_signature_check(void)
{
    static const uint8_t zmtp3[] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F};
    static const uint8_t libzmq[] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 6, 0x7F};   /* 5-byte routing id + 1 */
    static const uint8_t noise_padding[] = {0xFF, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 0x7F};
    static const uint8_t lsb_only[] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x01};
    static const uint8_t zmtp1_short[] = {0x05, 0x00, 'h', 'e', 'l', 'l', 'o', 0, 0, 0};
    static const uint8_t zmtp1_long[] = {0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x00};   /* 256-byte identity */
    static const uint8_t zmtp1_long_more[] = {0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x7E};

    check_signature_prefixes(zmtp3, ZMTP_SIGNATURE_SIZE, 0);
    check_signature_prefixes(libzmq, ZMTP_SIGNATURE_SIZE, 0);
    check_signature_prefixes(noise_padding, ZMTP_SIGNATURE_SIZE, 0);
    check_signature_prefixes(lsb_only, ZMTP_SIGNATURE_SIZE, 0);
    check_signature_prefixes(zmtp1_short, ZMTP_E_SIGNATURE, 1);
    check_signature_prefixes(zmtp1_long, ZMTP_E_SIGNATURE, 10);
    check_signature_prefixes(zmtp1_long_more, ZMTP_E_SIGNATURE, 10);

    /* Bytes past the tenth are not looked at. */
    uint8_t longer[12];
    memcpy(longer, zmtp3, 10);
    longer[10] = 3;
    longer[11] = 0xEE;
    CHECK_EQ(zmtp_signature_check(longer, sizeof longer), ZMTP_SIGNATURE_SIZE);
}

static int parse_guarded(const uint8_t g[ZMTP_GREETING_SIZE], struct zmtp_greeting *out)
{
    return zmtp_greeting_parse(unit_guard_place(&guard, g, ZMTP_GREETING_SIZE), out);
}

static void test_greeting_versions(void)
{
    uint8_t g[ZMTP_GREETING_SIZE];
    struct zmtp_greeting out;

    make_greeting(g, 3, 0, "NULL", 0);
    CHECK_EQ(parse_guarded(g, &out), ZMTP_GREETING_SIZE);
    CHECK_EQ(out.major, 3);
    CHECK_EQ(out.minor, 0);
    CHECK(strcmp(out.mechanism, "NULL") == 0);
    CHECK(!out.as_server);

    make_greeting(g, 3, 1, "PLAIN", 1);
    CHECK_EQ(parse_guarded(g, &out), ZMTP_GREETING_SIZE);
    CHECK_EQ(out.minor, 1);
    CHECK(strcmp(out.mechanism, "PLAIN") == 0);
    CHECK(out.as_server);

    make_greeting(g, 3, 2, "CURVE", 0);     /* a later minor is spoken to as 3.1 */
    CHECK_EQ(parse_guarded(g, &out), ZMTP_GREETING_SIZE);
    CHECK_EQ(out.major, 3);
    CHECK_EQ(out.minor, 1);

    make_greeting(g, 4, 0, "NULL", 0);      /* so is a later major (RFC 23: MUST accept higher versions) */
    CHECK_EQ(parse_guarded(g, &out), ZMTP_GREETING_SIZE);
    CHECK_EQ(out.major, 3);
    CHECK_EQ(out.minor, 1);

    make_greeting(g, 255, 255, "NULL", 0);
    CHECK_EQ(parse_guarded(g, &out), ZMTP_GREETING_SIZE);

    for (uint8_t major = 0; major < 3; major++) {
        make_greeting(g, major, 1, "NULL", 0);
        CHECK_EQ(parse_guarded(g, &out), ZMTP_E_VERSION);
    }

    make_greeting(g, 3, 1, "NULL", 0);
    g[0] = 0x00;
    CHECK_EQ(parse_guarded(g, &out), ZMTP_E_SIGNATURE);
    make_greeting(g, 3, 1, "NULL", 0);
    g[9] = 0x7E;
    CHECK_EQ(parse_guarded(g, &out), ZMTP_E_SIGNATURE);
}

static void test_greeting_fields(void)
{
    uint8_t g[ZMTP_GREETING_SIZE];
    struct zmtp_greeting out;

    make_greeting(g, 3, 1, "NULL", 2);      /* as-server: any non-zero byte is "server" */
    CHECK_EQ(parse_guarded(g, &out), ZMTP_GREETING_SIZE);
    CHECK(out.as_server);

    make_greeting(g, 3, 1, "NULL", 0);      /* filler and padding are not checked */
    memset(g + 33, 0x5A, 31);
    memset(g + 1, 0x33, 8);
    CHECK_EQ(parse_guarded(g, &out), ZMTP_GREETING_SIZE);

    make_greeting(g, 3, 1, "ABCDEFGHIJKLMNOPQRST", 0);    /* 20 characters, no NUL at all */
    CHECK_EQ(parse_guarded(g, &out), ZMTP_GREETING_SIZE);
    CHECK(strcmp(out.mechanism, "ABCDEFGHIJKLMNOPQRST") == 0);

    make_greeting(g, 3, 1, "X-9_A.B+C", 0);
    CHECK_EQ(parse_guarded(g, &out), ZMTP_GREETING_SIZE);
    CHECK(strcmp(out.mechanism, "X-9_A.B+C") == 0);
}

static void test_greeting_bad_mechanism(void)
{
    static const char *const bad[] = {"", "null", "NU LL", "NULL\xff", "N/A", "\x01"};
    uint8_t g[ZMTP_GREETING_SIZE];
    struct zmtp_greeting out;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        make_greeting(g, 3, 1, bad[i], 0);
        CHECK_EQ(parse_guarded(g, &out), ZMTP_E_MECHANISM);
    }
    make_greeting(g, 3, 1, "NULL", 0);      /* something after the NUL padding began */
    g[ZMTP_GREETING_MECH + 5] = 'X';
    CHECK_EQ(parse_guarded(g, &out), ZMTP_E_MECHANISM);
    make_greeting(g, 3, 1, "NULL", 0);
    g[ZMTP_GREETING_MECH + 19] = 'X';
    CHECK_EQ(parse_guarded(g, &out), ZMTP_E_MECHANISM);
}

/* What the engine sends: signature, major, then the tail; it parses back to what went in. */
static void test_greeting_tail_roundtrip(void)
{
    uint8_t g[ZMTP_GREETING_SIZE];
    struct zmtp_greeting out;

    memset(g, 0xCC, sizeof g);
    zmtp_signature_write(g);
    g[ZMTP_GREETING_MAJOR] = ZMTP_VERSION_MAJOR;
    zmtp_greeting_tail_write(g + ZMTP_GREETING_MINOR, ZMTP_VERSION_MINOR, "CURVE", true);
    CHECK_EQ(parse_guarded(g, &out), ZMTP_GREETING_SIZE);
    CHECK_EQ(out.major, 3);
    CHECK_EQ(out.minor, 1);
    CHECK(strcmp(out.mechanism, "CURVE") == 0);
    CHECK(out.as_server);
    for (size_t i = ZMTP_GREETING_AS_SERVER + 1; i < ZMTP_GREETING_SIZE; i++)
        CHECK_EQ(g[i], 0);
    for (size_t i = ZMTP_GREETING_MECH + 5; i < ZMTP_GREETING_AS_SERVER; i++)
        CHECK_EQ(g[i], 0);

    zmtp_greeting_tail_write(g + ZMTP_GREETING_MINOR, 0, "NULL", false);
    CHECK_EQ(parse_guarded(g, &out), ZMTP_GREETING_SIZE);
    CHECK_EQ(out.minor, 0);
    CHECK(!out.as_server);
    CHECK_EQ(g[ZMTP_GREETING_AS_SERVER], 0);
}

/* Every prefix of every greeting through the signature check, then the full parse at the page end. */
static void test_greeting_guard_prefixes(void)
{
    uint8_t g[ZMTP_GREETING_SIZE];
    struct zmtp_greeting out;
    static const struct {
        uint8_t major;
        const char *mech;
        int want;
    } cases[] = {{3, "NULL", ZMTP_GREETING_SIZE}, {2, "NULL", ZMTP_E_VERSION}, {3, "", ZMTP_E_MECHANISM}};

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        make_greeting(g, cases[c].major, 1, cases[c].mech, 0);
        for (size_t len = 0; len <= ZMTP_GREETING_SIZE; len++) {
            const uint8_t *p = unit_guard_place(&guard, g, len);
            CHECK_EQ(zmtp_signature_check(p, len), len < ZMTP_SIGNATURE_SIZE ? 0 : ZMTP_SIGNATURE_SIZE);
        }
        CHECK_EQ(parse_guarded(g, &out), cases[c].want);
    }
}

static void test_zmtp2_socket_types(void)
{
    CHECK_EQ(zmtp2_socket_type_valid(-1), 0);
    for (int t = 0; t <= 10; t++)
        CHECK_EQ(zmtp2_socket_type_valid(t), 1);
    CHECK_EQ(zmtp2_socket_type_valid(11), 0);   /* STREAM */
    CHECK_EQ(zmtp2_socket_type_valid(255), 0);
    CHECK_EQ(ZMTP2_GREETING_SIZE, ZMTP_SIGNATURE_SIZE + 2);
}

int main(void)
{
    unit_guard_init(&guard);
    test_signature_write();
    test_signature_check();
    test_greeting_versions();
    test_greeting_fields();
    test_greeting_bad_mechanism();
    test_greeting_tail_roundtrip();
    test_greeting_guard_prefixes();
    test_zmtp2_socket_types();
    unit_guard_fini(&guard);
    return unit_summary("test_zmtp_greeting");
}
