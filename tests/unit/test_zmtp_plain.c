/* Unit tests for src/zmtp/mech_plain.c (RFC 24): a client and a server handshaking, the ZAP pause and
 * each status code, hand-made HELLO/WELCOME/INITIATE/READY bodies with every length wrong, and commands
 * out of order. Inputs end right before a PROT_NONE page. */
#include "unit.h"

#include "zmtp/zmtp.h"

enum { PAIR, PUB, SUB, REQ, REP, DEALER, ROUTER, PULL, PUSH, XPUB, XSUB, STREAM };

static struct unit_guard guard;
static const struct zmtp_mechanism_ops *mech = &zmtp_mech_plain;

#define B(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

struct side {
    void *state;
    int init_rc;
};

static void side_open(struct side *s, int type, bool server, bool zap, const char *user, const char *pass)
{
    struct zmtp_mech_config cfg = {
        .socket_type = type,
        .as_server = server,
        .zap = zap,
        .username = user,
        .password = pass,
    };
    s->state = malloc(mech->state_size);
    memset(s->state, 0xA5, mech->state_size);
    s->init_rc = mech->init(s->state, &cfg);
}

static void side_close(struct side *s)
{
    mech->fini(s->state);
    free(s->state);
}

static int process_guarded(struct side *s, const uint8_t *body, size_t len)
{
    return mech->process_command(s->state, unit_guard_place(&guard, body, len), len);
}

/* Moves commands both ways until neither side has one; returns how many moved. */
static int exchange(struct side *a, struct side *b, int *a_rc, int *b_rc)
{
    uint8_t buf[ZMTP_MECH_COMMAND_MIN];
    int moved = 0;
    bool progress = true;
    *a_rc = *b_rc = 0;
    while (progress && moved < 20) {
        progress = false;
        int n = mech->next_command(a->state, buf, sizeof buf);
        if (n > 0) {
            int rc = process_guarded(b, buf, (size_t)n);
            if (*b_rc == 0)
                *b_rc = rc;
            progress = true;
            moved++;
        }
        n = mech->next_command(b->state, buf, sizeof buf);
        if (n > 0) {
            int rc = process_guarded(a, buf, (size_t)n);
            if (*a_rc == 0)
                *a_rc = rc;
            progress = true;
            moved++;
        }
    }
    return moved;
}

/* Without ZAP: HELLO, WELCOME, INITIATE, READY; both READY, metadata crossed. */
static void test_handshake_without_zap(void)
{
    struct side c, s;
    int c_rc, s_rc;
    size_t len;
    side_open(&c, DEALER, false, false, "admin", "secret");
    side_open(&s, ROUTER, true, false, NULL, NULL);
    CHECK_EQ(c.init_rc, 0);
    CHECK_EQ(s.init_rc, 0);
    CHECK_EQ(exchange(&c, &s, &c_rc, &s_rc), 4);
    CHECK_EQ(c_rc, 0);
    CHECK_EQ(s_rc, 0);
    CHECK_EQ(mech->status(c.state), ZMTP_MECH_READY);
    CHECK_EQ(mech->status(s.state), ZMTP_MECH_READY);
    CHECK_EQ(mech->peer(s.state)->socket_type, DEALER);
    CHECK_EQ(mech->peer(c.state)->socket_type, ROUTER);
    const uint8_t *v = zmtp_peer_property(mech->peer(s.state), "Socket-Type", &len);
    CHECK_MEM(v, len, "DEALER", 6);
    CHECK(mech->transform == NULL);
    side_close(&c);
    side_close(&s);
}

/* With ZAP: the server stops after HELLO and hands out the credentials; 200 lets it go on. */
static void test_zap_accepts(void)
{
    struct side c, s;
    int c_rc, s_rc;
    struct zmtp_zap_request req;
    side_open(&c, PUSH, false, false, "admin", "secret");
    side_open(&s, PULL, true, true, NULL, NULL);
    CHECK_EQ(mech->zap_request(s.state, &req), ZMTP_E_COMMAND);   /* nothing to ask yet */
    CHECK_EQ(exchange(&c, &s, &c_rc, &s_rc), 1);                  /* HELLO only */
    CHECK_EQ(mech->status(s.state), ZMTP_MECH_ZAP_PENDING);
    CHECK_EQ(mech->zap_request(s.state, &req), 0);
    CHECK(strcmp(req.mechanism, "PLAIN") == 0);
    CHECK_EQ(req.credential_count, 2);
    CHECK_MEM(req.credential[0], req.credential_len[0], "admin", 5);
    CHECK_MEM(req.credential[1], req.credential_len[1], "secret", 6);
    mech->zap_result(s.state, 200);
    CHECK_EQ(exchange(&c, &s, &c_rc, &s_rc), 3);
    CHECK_EQ(mech->status(c.state), ZMTP_MECH_READY);
    CHECK_EQ(mech->status(s.state), ZMTP_MECH_READY);
    side_close(&c);
    side_close(&s);
}

/* 400 and 500 answer ERROR with the code as its reason; 300 fails without ERROR. The client reads the
 * code back with zmtp_error_status_code. */
static void test_zap_refusals(void)
{
    static const int codes[] = {400, 500, 300};
    for (int i = 0; i < 3; i++) {
        struct side c, s;
        int c_rc, s_rc;
        uint8_t out[ZMTP_MECH_COMMAND_MIN];
        side_open(&c, PUSH, false, false, "u", "p");
        side_open(&s, PULL, true, true, NULL, NULL);
        exchange(&c, &s, &c_rc, &s_rc);
        mech->zap_result(s.state, codes[i]);
        CHECK_EQ(mech->status(s.state), ZMTP_MECH_ERROR);
        int n = mech->next_command(s.state, out, sizeof out);
        if (codes[i] == 300) {
            CHECK_EQ(n, 0);
        } else {
            CHECK_EQ(n, 9);    /* libzmq 4.3's form: 0x5E "RROR" 3 "400" */
            CHECK_MEM(out, 5, "\x5eRROR", 5);
            CHECK_EQ(process_guarded(&c, out, (size_t)n), ZMTP_E_ERROR_CMD);
            const struct zmtp_peer_info *p = mech->peer(c.state);
            CHECK_EQ(zmtp_error_status_code(p->error_reason, p->error_reason_len), codes[i]);
            CHECK_EQ(mech->next_command(c.state, out, sizeof out), 0);   /* no ERROR for an ERROR */
        }
        CHECK_EQ(mech->next_command(s.state, out, sizeof out), 0);       /* told once */
        side_close(&c);
        side_close(&s);
    }
    /* the client also takes the RFC's form of ERROR */
    struct side c;
    uint8_t out[ZMTP_MECH_COMMAND_MIN];
    side_open(&c, PUSH, false, false, "u", "p");
    CHECK(mech->next_command(c.state, out, sizeof out) > 0);
    CHECK_EQ(process_guarded(&c, B("\x05" "ERROR\x03" "500")), ZMTP_E_ERROR_CMD);
    CHECK_EQ(zmtp_error_status_code(mech->peer(c.state)->error_reason, mech->peer(c.state)->error_reason_len), 500);
    side_close(&c);
    side_open(&c, PUSH, false, false, "u", "p");   /* a cut-short libzmq-form ERROR is still an ERROR */
    CHECK(mech->next_command(c.state, out, sizeof out) > 0);
    CHECK_EQ(process_guarded(&c, B("\x5eRROR")), ZMTP_E_ERROR_CMD);
    side_close(&c);
    CHECK_EQ(zmtp_error_status_code(B("200")), 0);
    CHECK_EQ(zmtp_error_status_code(B("4000")), 0);
    CHECK_EQ(zmtp_error_status_code(B("410")), 0);
}

/* HELLO: every length checked against the command; leftovers and short credentials are malformed. */
static void test_malformed_hello(void)
{
    static const struct {
        const char *body;
        size_t len;
        int rc;
    } cases[] = {
        {"\x05HELLO\x05" "admin\x06" "secret", 19, 0},
        {"\x05HELLO\x00\x00", 8, 0},                       /* empty credentials are allowed */
        {"\x05HELLO", 6, ZMTP_E_MALFORMED_HELLO},          /* no username length */
        {"\x05HELLO\x05" "adm", 10, ZMTP_E_MALFORMED_HELLO},   /* username past the end */
        {"\x05HELLO\x01" "a", 8, ZMTP_E_MALFORMED_HELLO},   /* no password length */
        {"\x05HELLO\x01" "a\x02" "p", 10, ZMTP_E_MALFORMED_HELLO},   /* password past the end */
        {"\x05HELLO\x01" "a\x01" "pX", 11, ZMTP_E_MALFORMED_HELLO},  /* a byte left over */
        {"\x05HELLO\xff", 7, ZMTP_E_MALFORMED_HELLO},
        {"\x07WELCOME", 8, ZMTP_E_COMMAND},                /* a server never takes WELCOME */
        {"\x08INITIATE", 9, ZMTP_E_COMMAND},               /* nor INITIATE before HELLO */
        {"\x05READY", 6, ZMTP_E_COMMAND},
        {"", 0, ZMTP_E_MALFORMED},
        {"\x09HELLO", 6, ZMTP_E_MALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct side s;
        side_open(&s, PULL, true, false, NULL, NULL);
        CHECK_EQ(process_guarded(&s, (const uint8_t *)cases[i].body, cases[i].len), cases[i].rc);
        CHECK_EQ(mech->status(s.state), cases[i].rc == 0 ? ZMTP_MECH_HANDSHAKING : ZMTP_MECH_ERROR);
        side_close(&s);
    }
}

/* The client: WELCOME must be empty; READY before WELCOME, a second WELCOME, bad metadata all fail. */
static void test_client_errors(void)
{
    uint8_t out[ZMTP_MECH_COMMAND_MIN];
    struct side c;

    side_open(&c, PUSH, false, false, "u", "p");
    CHECK(mech->next_command(c.state, out, sizeof out) > 0);   /* HELLO */
    CHECK_EQ(process_guarded(&c, B("\x07WELCOMEx")), ZMTP_E_MALFORMED_WELCOME);
    side_close(&c);

    side_open(&c, PUSH, false, false, "u", "p");
    CHECK(mech->next_command(c.state, out, sizeof out) > 0);
    CHECK_EQ(process_guarded(&c, B("\x05READY\x0bSocket-Type\x00\x00\x00\x04PULL")), ZMTP_E_COMMAND);
    side_close(&c);

    side_open(&c, PUSH, false, false, "u", "p");
    CHECK(mech->next_command(c.state, out, sizeof out) > 0);
    CHECK_EQ(process_guarded(&c, B("\x07WELCOME")), 0);
    CHECK(mech->next_command(c.state, out, sizeof out) > 0);   /* INITIATE */
    CHECK_EQ(process_guarded(&c, B("\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH")), ZMTP_E_SOCKET_TYPE);
    side_close(&c);

    side_open(&c, PUSH, false, false, "u", "p");
    CHECK(mech->next_command(c.state, out, sizeof out) > 0);
    CHECK_EQ(process_guarded(&c, B("\x07WELCOME")), 0);
    CHECK(mech->next_command(c.state, out, sizeof out) > 0);
    CHECK_EQ(process_guarded(&c, B("\x05READY\x0bSocket-Type\x00\x00\x00\x09PULL")), ZMTP_E_METADATA);
    side_close(&c);

    /* a username longer than 255 bytes is refused at init */
    char long_name[300];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    side_open(&c, PUSH, false, false, long_name, "p");
    CHECK_EQ(c.init_rc, ZMTP_E_METADATA);
    side_close(&c);

    /* a cap too small for HELLO */
    side_open(&c, PUSH, false, false, "u", "p");
    CHECK_EQ(mech->next_command(c.state, out, 6), ZMTP_E_TOO_LARGE);
    side_close(&c);
}

/* The server's INITIATE: metadata checked, then READY; the peer's ERROR at any point ends it. */
static void test_server_initiate(void)
{
    uint8_t out[ZMTP_MECH_COMMAND_MIN];
    struct side s;

    side_open(&s, PULL, true, false, NULL, NULL);
    CHECK_EQ(process_guarded(&s, B("\x05HELLO\x00\x00")), 0);
    CHECK_EQ(mech->next_command(s.state, out, sizeof out), 8);   /* WELCOME */
    CHECK_MEM(out, 8, "\x07WELCOME", 8);
    CHECK_EQ(process_guarded(&s, B("\x08INITIATE\x0bSocket-Type\x00\x00\x00\x04PUSH\x08Identity\x00\x00\x00\x01X")), 0);
    CHECK_EQ(mech->peer(s.state)->identity_len, 1);
    CHECK(mech->next_command(s.state, out, sizeof out) > 0);     /* READY */
    CHECK_EQ(mech->status(s.state), ZMTP_MECH_READY);
    side_close(&s);

    side_open(&s, PULL, true, false, NULL, NULL);
    CHECK_EQ(process_guarded(&s, B("\x05HELLO\x00\x00")), 0);
    CHECK_EQ(mech->next_command(s.state, out, sizeof out), 8);
    CHECK_EQ(process_guarded(&s, B("\x05" "ERROR\x03" "bye")), ZMTP_E_ERROR_CMD);
    CHECK_EQ(mech->next_command(s.state, out, sizeof out), 0);
    side_close(&s);

    side_open(&s, PULL, true, false, NULL, NULL);
    CHECK_EQ(process_guarded(&s, B("\x05HELLO\x00\x00")), 0);
    CHECK_EQ(process_guarded(&s, B("\x05HELLO\x00\x00")), ZMTP_E_COMMAND);   /* a second HELLO */
    side_close(&s);
}

int main(void)
{
    unit_guard_init(&guard);
    test_handshake_without_zap();
    test_zap_accepts();
    test_zap_refusals();
    test_malformed_hello();
    test_client_errors();
    test_server_initiate();
    CHECK(zmtp_mechanism_find("PLAIN") == &zmtp_mech_plain);
    unit_guard_fini(&guard);
    return unit_summary("test_zmtp_plain");
}
