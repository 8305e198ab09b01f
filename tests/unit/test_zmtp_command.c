/* Unit tests for src/zmtp/command.c and metadata.c: command bodies, PING/PONG, ERROR, the property list,
 * socket type names and the compatibility table. */
#include "unit.h"

#include "zmtp/zmtp.h"

static struct unit_guard guard;

/* Builds bytes from a string literal that may hold NULs: B("\x05READY") -> pointer and length. */
#define B(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static const uint8_t *place(const uint8_t *data, size_t len)
{
    return unit_guard_place(&guard, data, len);
}

/* ---- command bodies ------------------------------------------------------------------------------- */

static int parse_cmd(const uint8_t *data, size_t len, struct zmtp_command *cmd)
{
    return zmtp_command_parse(place(data, len), len, cmd);
}

static void test_command_names(void)
{
    static const struct {
        const char *name;
        enum zmtp_command_id id;
    } known[] = {{"READY", ZMTP_CMD_READY},     {"ERROR", ZMTP_CMD_ERROR},       {"SUBSCRIBE", ZMTP_CMD_SUBSCRIBE},
                 {"CANCEL", ZMTP_CMD_CANCEL},   {"PING", ZMTP_CMD_PING},         {"PONG", ZMTP_CMD_PONG},
                 {"HELLO", ZMTP_CMD_HELLO},     {"WELCOME", ZMTP_CMD_WELCOME},   {"INITIATE", ZMTP_CMD_INITIATE},
                 {"MESSAGE", ZMTP_CMD_MESSAGE}, {"ready", ZMTP_CMD_UNKNOWN},     {"READ", ZMTP_CMD_UNKNOWN},
                 {"READYY", ZMTP_CMD_UNKNOWN},  {"JOIN", ZMTP_CMD_JOIN},         {"LEAVE", ZMTP_CMD_LEAVE},
                 {"join", ZMTP_CMD_UNKNOWN},    {"JOINS", ZMTP_CMD_UNKNOWN},     {"X", ZMTP_CMD_UNKNOWN}};
    uint8_t body[64];
    struct zmtp_command cmd;

    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t len = zmtp_command_write(body, sizeof body, known[i].name, "data", 4);
        CHECK_EQU(len, 1 + strlen(known[i].name) + 4);
        CHECK_EQ(parse_cmd(body, len, &cmd), 1);
        CHECK_EQ(cmd.id, known[i].id);
        CHECK_MEM(cmd.name, cmd.name_len, known[i].name, strlen(known[i].name));
        CHECK_MEM(cmd.data, cmd.data_len, "data", 4);
    }
}

static void test_command_parse_edges(void)
{
    struct zmtp_command cmd;
    uint8_t big[256];

    CHECK_EQ(parse_cmd(NULL, 0, &cmd), ZMTP_E_MALFORMED);                  /* empty body */
    CHECK_EQ(parse_cmd(B("\x00"), &cmd), ZMTP_E_MALFORMED);                /* empty name */
    CHECK_EQ(parse_cmd(B("\x00READY"), &cmd), ZMTP_E_MALFORMED);
    CHECK_EQ(parse_cmd(B("\x05READ"), &cmd), ZMTP_E_MALFORMED);            /* name past the end */
    CHECK_EQ(parse_cmd(B("\xffREADY"), &cmd), ZMTP_E_MALFORMED);
    CHECK_EQ(parse_cmd(B("\x05READY"), &cmd), 1);                          /* name fills the body */
    CHECK_EQ(cmd.id, ZMTP_CMD_READY);
    CHECK_EQU(cmd.data_len, 0);
    big[0] = 255;                                                          /* longest name */
    memset(big + 1, 'A', 255);
    CHECK_EQ(parse_cmd(big, 256, &cmd), 1);
    CHECK_EQU(cmd.name_len, 255);
    CHECK_EQU(cmd.data_len, 0);
    CHECK_EQ(parse_cmd(big, 255, &cmd), ZMTP_E_MALFORMED);
}

static void test_command_write(void)
{
    uint8_t out[300];
    char long_name[257];

    CHECK_EQU(zmtp_command_name_write(out, sizeof out, "PING"), 5);
    CHECK_MEM(out, 5, "\x04PING", 5);
    CHECK_EQU(zmtp_command_name_write(out, 5, "PING"), 5);
    CHECK_EQU(zmtp_command_name_write(out, 4, "PING"), 0);
    CHECK_EQU(zmtp_command_name_write(out, sizeof out, ""), 0);
    memset(long_name, 'A', 256);
    long_name[256] = '\0';
    CHECK_EQU(zmtp_command_name_write(out, sizeof out, long_name), 0);
    long_name[255] = '\0';
    CHECK_EQU(zmtp_command_name_write(out, sizeof out, long_name), 256);

    CHECK_EQU(zmtp_command_write(out, 14, "SUBSCRIBE", "abcd", 4), 14);
    CHECK_MEM(out, 14, "\x09SUBSCRIBEabcd", 14);
    CHECK_EQU(zmtp_command_write(out, 13, "SUBSCRIBE", "abcd", 4), 0);
    CHECK_EQU(zmtp_command_write(out, 7, "CANCEL", NULL, 0), 7);
    CHECK_EQU(zmtp_command_write(out, sizeof out, "CANCEL", "x", SIZE_MAX), 0);   /* no wrap */
}

/* ---- PING / PONG --------------------------------------------------------------------------------- */

static void test_ping(void)
{
    uint8_t ctx[ZMTP_PING_CONTEXT_MAX + 1];
    uint8_t body[64];
    struct zmtp_command cmd;
    uint16_t ttl;
    const uint8_t *got;
    size_t got_len;

    for (size_t i = 0; i < sizeof ctx; i++)
        ctx[i] = (uint8_t)(0xA0 + i);
    for (size_t n = 0; n <= ZMTP_PING_CONTEXT_MAX; n++) {
        size_t len = zmtp_ping_write(body, sizeof body, 0x1234, ctx, n);
        CHECK_EQU(len, 5 + 2 + n);
        CHECK_EQ(parse_cmd(body, len, &cmd), 1);
        CHECK_EQ(cmd.id, ZMTP_CMD_PING);
        CHECK_EQ(zmtp_ping_parse(place(cmd.data, cmd.data_len), cmd.data_len, &ttl, &got, &got_len), 1);
        CHECK_EQ(ttl, 0x1234);
        CHECK_MEM(got, got_len, ctx, n);

        len = zmtp_pong_write(body, sizeof body, ctx, n);
        CHECK_EQU(len, 5 + n);
        CHECK_EQ(parse_cmd(body, len, &cmd), 1);
        CHECK_EQ(cmd.id, ZMTP_CMD_PONG);
        CHECK_MEM(cmd.data, cmd.data_len, ctx, n);
    }
    CHECK_EQU(zmtp_ping_write(body, sizeof body, 1, ctx, 17), 0);
    CHECK_EQU(zmtp_pong_write(body, sizeof body, ctx, 17), 0);
    CHECK_EQU(zmtp_ping_write(body, 6, 1, NULL, 0), 0);
    CHECK_EQU(zmtp_ping_write(body, 7, 1, NULL, 0), 7);

    uint8_t data[2 + ZMTP_PING_CONTEXT_MAX + 1] = {0xFF, 0xFE};
    CHECK_EQ(zmtp_ping_parse(place(data, 0), 0, &ttl, &got, &got_len), ZMTP_E_MALFORMED);
    CHECK_EQ(zmtp_ping_parse(place(data, 1), 1, &ttl, &got, &got_len), ZMTP_E_MALFORMED);
    CHECK_EQ(zmtp_ping_parse(place(data, 2), 2, &ttl, &got, &got_len), 1);
    CHECK_EQ(ttl, 0xFFFE);
    CHECK_EQU(got_len, 0);
    CHECK_EQ(zmtp_ping_parse(place(data, 18), 18, &ttl, &got, &got_len), 1);
    CHECK_EQU(got_len, 16);
    CHECK_EQ(zmtp_ping_parse(place(data, 19), 19, &ttl, &got, &got_len), ZMTP_E_MALFORMED);
}

/* ---- ERROR --------------------------------------------------------------------------------------- */

static int parse_error(const uint8_t *data, size_t len, const uint8_t **reason, size_t *reason_len)
{
    return zmtp_error_parse(place(data, len), len, reason, reason_len);
}

static void test_error(void)
{
    uint8_t body[300];
    char reason[300];
    struct zmtp_command cmd;
    const uint8_t *got;
    size_t got_len;
    size_t len;

    len = zmtp_error_write(body, sizeof body, "Invalid socket type");
    CHECK_EQU(len, 6 + 1 + 19);
    CHECK_EQ(parse_cmd(body, len, &cmd), 1);
    CHECK_EQ(cmd.id, ZMTP_CMD_ERROR);
    CHECK_EQ(zmtp_error_parse(place(cmd.data, cmd.data_len), cmd.data_len, &got, &got_len), 1);
    CHECK_MEM(got, got_len, "Invalid socket type", 19);

    CHECK_EQU(zmtp_error_write(body, sizeof body, ""), 7);
    CHECK_EQU(zmtp_error_write(body, 6, ""), 0);
    memset(reason, 'r', 299);                   /* cut to 255 */
    reason[299] = '\0';
    len = zmtp_error_write(body, sizeof body, reason);
    CHECK_EQU(len, 6 + 1 + 255);
    CHECK_EQ(body[6], 255);
    CHECK_EQU(zmtp_error_write(body, 6 + 255, reason), 0);

    CHECK_EQ(parse_error(NULL, 0, &got, &got_len), ZMTP_E_MALFORMED);
    CHECK_EQ(parse_error(B("\x05" "abcd"), &got, &got_len), ZMTP_E_MALFORMED);
    CHECK_EQ(parse_error(B("\x00"), &got, &got_len), 1);
    CHECK_EQU(got_len, 0);
    CHECK_EQ(parse_error(B("\x02" "abcd"), &got, &got_len), 1);   /* trailing bytes tolerated */
    CHECK_MEM(got, got_len, "ab", 2);
}

/* ---- metadata ------------------------------------------------------------------------------------ */

/* Walks a property list at the page end; returns the count, or the error. */
static int walk(const uint8_t *data, size_t len)
{
    const uint8_t *p = place(data, len);
    const uint8_t *pos = p;
    struct zmtp_property prop;
    int count = 0;
    int rc;

    while ((rc = zmtp_metadata_next(&pos, p + len, &prop)) == 1) {
        count++;
        CHECK(prop.value + prop.value_len <= p + len);
        CHECK(pos == prop.value + prop.value_len);
    }
    return rc < 0 ? rc : count;
}

static void test_metadata_roundtrip(void)
{
    uint8_t buf[512];
    size_t len = 0;
    const uint8_t *pos = buf;
    struct zmtp_property prop;

    len += zmtp_metadata_write(buf + len, sizeof buf - len, "Socket-Type", "DEALER", 6);
    len += zmtp_metadata_write(buf + len, sizeof buf - len, "Identity", NULL, 0);
    len += zmtp_metadata_write(buf + len, sizeof buf - len, "X-a.b_c+9", "v", 1);
    CHECK_EQU(len, (1 + 11 + 4 + 6) + (1 + 8 + 4) + (1 + 9 + 4 + 1));
    CHECK_MEM(buf, 22, "\x0bSocket-Type\x00\x00\x00\x06" "DEALER", 22);
    CHECK_EQ(walk(buf, len), 3);

    CHECK_EQ(zmtp_metadata_next(&pos, buf + len, &prop), 1);
    CHECK(zmtp_property_is(&prop, "socket-type"));
    CHECK(zmtp_property_is(&prop, "SOCKET-TYPE"));
    CHECK(!zmtp_property_is(&prop, "Socket-Typ"));
    CHECK(!zmtp_property_is(&prop, "Socket-Types"));
    CHECK(!zmtp_property_is(&prop, "Socket_Type"));
    CHECK_MEM(prop.value, prop.value_len, "DEALER", 6);
    CHECK_EQ(zmtp_metadata_next(&pos, buf + len, &prop), 1);
    CHECK(zmtp_property_is(&prop, "identity"));
    CHECK_EQU(prop.value_len, 0);
    CHECK_EQ(zmtp_metadata_next(&pos, buf + len, &prop), 1);
    CHECK_EQ(zmtp_metadata_next(&pos, buf + len, &prop), 0);
    CHECK_EQ(zmtp_metadata_next(&pos, buf + len, &prop), 0);
    CHECK_EQ(walk(buf, 0), 0);
}

static void test_metadata_bad(void)
{
    /* zero-length name */
    CHECK_EQ(walk(B("\x00\x00\x00\x00\x00")), ZMTP_E_METADATA);
    /* truncated name, truncated value lengths */
    CHECK_EQ(walk(B("\x05" "abc")), ZMTP_E_METADATA);
    CHECK_EQ(walk(B("\x01" "a")), ZMTP_E_METADATA);
    CHECK_EQ(walk(B("\x01" "a\x00")), ZMTP_E_METADATA);
    CHECK_EQ(walk(B("\x01" "a\x00\x00\x00")), ZMTP_E_METADATA);
    CHECK_EQ(walk(B("\x01" "a\x00\x00\x00\x00")), 1);
    /* value longer than what is left, by one */
    CHECK_EQ(walk(B("\x01" "a\x00\x00\x00\x03" "xy")), ZMTP_E_METADATA);
    CHECK_EQ(walk(B("\x01" "a\x00\x00\x00\x02" "xy")), 1);
    /* 0xFFFFFFFF, 2^31 and INT32_MAX against a tiny list: no wrap, no read */
    CHECK_EQ(walk(B("\x01" "a\xff\xff\xff\xff" "xy")), ZMTP_E_METADATA);
    CHECK_EQ(walk(B("\x01" "a\x80\x00\x00\x00" "xy")), ZMTP_E_METADATA);
    CHECK_EQ(walk(B("\x01" "a\x7f\xff\xff\xff" "xy")), ZMTP_E_METADATA);
    /* a good property then a bad one */
    CHECK_EQ(walk(B("\x01" "a\x00\x00\x00\x00" "\x00")), ZMTP_E_METADATA);
    CHECK_EQ(walk(B("\x01" "a\x00\x00\x00\x00" "\x01")), ZMTP_E_METADATA);
    /* name characters outside the grammar */
    CHECK_EQ(walk(B("\x02" "a:\x00\x00\x00\x00")), ZMTP_E_METADATA);
    CHECK_EQ(walk(B("\x02" "a \x00\x00\x00\x00")), ZMTP_E_METADATA);
    CHECK_EQ(walk(B("\x02" "a\x00\x00\x00\x00\x00")), ZMTP_E_METADATA);
    CHECK_EQ(walk(B("\x02" "\xc3\xa9\x00\x00\x00\x00")), ZMTP_E_METADATA);

    /* an error leaves *pos where it was */
    const uint8_t *bad = place(B("\x01" "a\x00\x00\x00\x09"));
    const uint8_t *pos = bad;
    struct zmtp_property prop;
    CHECK_EQ(zmtp_metadata_next(&pos, bad + 6, &prop), ZMTP_E_METADATA);
    CHECK(pos == bad);
}

static void test_metadata_write_limits(void)
{
    uint8_t buf[300];
    char name[257];

    CHECK_EQU(zmtp_metadata_write(buf, sizeof buf, "", "v", 1), 0);
    CHECK_EQU(zmtp_metadata_write(buf, sizeof buf, "bad name", "v", 1), 0);
    CHECK_EQU(zmtp_metadata_write(buf, sizeof buf, "a", "v", (size_t)INT32_MAX + 1), 0);
    CHECK_EQU(zmtp_metadata_write(buf, sizeof buf, "a", "v", SIZE_MAX), 0);
    CHECK_EQU(zmtp_metadata_write(buf, 7, "a", "vv", 2), 0);
    CHECK_EQU(zmtp_metadata_write(buf, 8, "a", "vv", 2), 8);
    CHECK_EQU(zmtp_metadata_write(buf, 5, "a", NULL, 0), 0);
    CHECK_EQU(zmtp_metadata_write(buf, 6, "a", NULL, 0), 6);
    memset(name, 'n', 256);
    name[256] = '\0';
    CHECK_EQU(zmtp_metadata_write(buf, sizeof buf, name, NULL, 0), 0);
    name[255] = '\0';
    CHECK_EQU(zmtp_metadata_write(buf, sizeof buf, name, NULL, 0), 260);
    CHECK_EQ(walk(buf, 260), 1);
}

static void test_peer_property(void)
{
    uint8_t buf[128];
    size_t len = 0;
    struct zmtp_peer_info peer = {.socket_type = -1};
    size_t vlen = 99;

    CHECK(zmtp_peer_property(&peer, "Socket-Type", &vlen) == NULL);
    len += zmtp_metadata_write(buf + len, sizeof buf - len, "Socket-Type", "PUB", 3);
    len += zmtp_metadata_write(buf + len, sizeof buf - len, "X-Empty", NULL, 0);
    len += zmtp_metadata_write(buf + len, sizeof buf - len, "socket-type", "SUB", 3);
    peer.metadata = place(buf, len);
    peer.metadata_len = len;
    const uint8_t *v = zmtp_peer_property(&peer, "SOCKET-TYPE", &vlen);
    CHECK_MEM(v, vlen, "PUB", 3);                    /* the first one wins */
    v = zmtp_peer_property(&peer, "x-empty", &vlen);
    CHECK(v != NULL);
    CHECK_EQU(vlen, 0);
    CHECK(zmtp_peer_property(&peer, "Identity", &vlen) == NULL);
}

/* ---- socket types -------------------------------------------------------------------------------- */

enum { PAIR, PUB, SUB, REQ, REP, DEALER, ROUTER, PULL, PUSH, XPUB, XSUB, STREAM, SERVER, CLIENT, RADIO, DISH,
       GATHER, SCATTER, DGRAM, PEER, CHANNEL };

static void test_socket_type_names(void)
{
    static const char *const names[] = {"PAIR", "PUB",  "SUB",  "REQ",  "REP",  "DEALER", "ROUTER",
                                        "PULL", "PUSH", "XPUB", "XSUB", "STREAM", "SERVER", "CLIENT",
                                        "RADIO", "DISH", "GATHER", "SCATTER", "DGRAM", "PEER", "CHANNEL"};

    for (int t = PAIR; t <= CHANNEL; t++) {
        bool wire = t != STREAM && t != DGRAM;   /* raw TCP and raw UDP: never in a READY */
        CHECK(strcmp(zmtp_socket_type_name(t), names[t]) == 0);
        CHECK_EQ(zmtp_socket_type_from_name((const uint8_t *)names[t], strlen(names[t])), wire ? t : -1);
        CHECK_EQ(zmtp_socket_type_handshakes(t), wire);
    }
    CHECK(zmtp_socket_type_name(-1) == NULL);
    CHECK(zmtp_socket_type_name(CHANNEL + 1) == NULL);
    CHECK_EQ(zmtp_socket_type_from_name(B("dealer")), -1);
    CHECK_EQ(zmtp_socket_type_from_name(B("DEALE")), -1);
    CHECK_EQ(zmtp_socket_type_from_name(B("DEALERS")), -1);
    CHECK_EQ(zmtp_socket_type_from_name(B("CLIENT")), CLIENT);
    CHECK_EQ(zmtp_socket_type_from_name(B("CLIENTS")), -1);
    CHECK_EQ(zmtp_socket_type_from_name(B("RADIO")), RADIO);
    CHECK_EQ(zmtp_socket_type_from_name(B("RADI")), -1);
    CHECK_EQ(zmtp_socket_type_from_name(B("PUB\0")), -1);
    CHECK_EQ(zmtp_socket_type_from_name((const uint8_t *)"", 0), -1);
}

static void test_socket_type_table(void)
{
    static const int pairs[][2] = {
        {PAIR, PAIR},     {PUB, SUB},     {PUB, XSUB},      {XPUB, SUB},     {XPUB, XSUB},
        {REQ, REP},       {REQ, ROUTER},  {REP, DEALER},    {DEALER, DEALER}, {DEALER, ROUTER},
        {ROUTER, ROUTER}, {PULL, PUSH},   {SERVER, CLIENT},   /* RFC 41 */
        {RADIO, DISH},    /* RFC 48 */    {GATHER, SCATTER},  /* RFC 49 */
        {PEER, PEER},     /* RFC 51 */    {CHANNEL, CHANNEL},
    };
    bool want[CHANNEL + 1][CHANNEL + 1];

    memset(want, 0, sizeof want);
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        want[pairs[i][0]][pairs[i][1]] = true;
        want[pairs[i][1]][pairs[i][0]] = true;
    }
    for (int a = -1; a <= CHANNEL + 1; a++) {
        for (int b = -1; b <= CHANNEL + 1; b++) {
            bool w = a >= 0 && b >= 0 && a <= CHANNEL && b <= CHANNEL && want[a][b];
            CHECK_EQ(zmtp_socket_types_compatible(a, b), w);
        }
    }
    CHECK(!zmtp_socket_types_compatible(PUSH, PUSH));
    CHECK(!zmtp_socket_types_compatible(STREAM, STREAM));
    CHECK(!zmtp_socket_types_compatible(DGRAM, DGRAM));
    CHECK(!zmtp_socket_types_compatible(1000, PAIR));
}

/* ---- every prefix of every input, at the page end ------------------------------------------------- */

#define S(lit) lit, sizeof(lit) - 1

static void test_guard_prefixes(void)
{
    static const struct {
        const char *bytes;
        size_t len;
    } inputs[] = {
        {S("\x05READY\x0bSocket-Type\x00\x00\x00\x06" "DEALER\x08Identity\x00\x00\x00\x00")},
        {S("\x04PING\x00\x0a" "0123456789abcdef")},
        {S("\x04PING\x00\x0a" "0123456789abcdefX")},
        {S("\x05" "ERROR\x05" "oops!")},
        {S("\x05" "ERROR\x09" "oops!")},
        {S("\x05READY\x01" "a\xff\xff\xff\xff" "xyz")},
        {S("\x05READY\x00\x00\x00\x00\x00")},
        {S("\x09SUBSCRIBE")},
        {S("\xff")},
    };
    struct zmtp_command cmd;
    uint16_t ttl;
    const uint8_t *ctx;
    size_t ctx_len;

    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        const uint8_t *full = (const uint8_t *)inputs[i].bytes;
        for (size_t len = 0; len <= inputs[i].len; len++) {
            const uint8_t *p = place(full, len);
            /* every parser on the raw prefix */
            (void)zmtp_ping_parse(p, len, &ttl, &ctx, &ctx_len);
            (void)zmtp_error_parse(p, len, &ctx, &ctx_len);
            (void)walk(full, len);
            if (zmtp_command_parse(p, len, &cmd) != 1)
                continue;
            CHECK(cmd.data + cmd.data_len == p + len);
            /* and on the data of the command, re-placed at the page end */
            const uint8_t *d = place(cmd.data, cmd.data_len);
            (void)zmtp_ping_parse(d, cmd.data_len, &ttl, &ctx, &ctx_len);
            (void)zmtp_error_parse(d, cmd.data_len, &ctx, &ctx_len);
            (void)walk(cmd.data, cmd.data_len);
        }
    }
    /* the valid READY: every strict prefix of its metadata is an error, the whole of it is 2 properties */
    const uint8_t *ready_md = (const uint8_t *)inputs[0].bytes + 6;
    CHECK_EQU(inputs[0].len, 6 + 22 + 13);
    for (size_t len = 1; len < 35; len++) {
        int want = len == 22 ? 1 : ZMTP_E_METADATA;
        CHECK_EQ(walk(ready_md, len), want);
    }
    CHECK_EQ(walk(ready_md, 35), 2);
}

int main(void)
{
    unit_guard_init(&guard);
    test_command_names();
    test_command_parse_edges();
    test_command_write();
    test_ping();
    test_error();
    test_metadata_roundtrip();
    test_metadata_bad();
    test_metadata_write_limits();
    test_peer_property();
    test_socket_type_names();
    test_socket_type_table();
    test_guard_prefixes();
    unit_guard_fini(&guard);
    return unit_summary("test_zmtp_command");
}
