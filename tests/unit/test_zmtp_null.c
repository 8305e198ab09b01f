/* Unit tests for src/zmtp/mech_null.c and mechanism.c: two NULL mechanisms handshaking with each other,
 * hand-made READY/ERROR bodies, and the mechanism table. */
#include "unit.h"

#include "zmtp/zmtp.h"

enum { PAIR, PUB, SUB, REQ, REP, DEALER, ROUTER, PULL, PUSH, XPUB, XSUB, STREAM };

static struct unit_guard guard;
static const struct zmtp_mechanism_ops *mech = &zmtp_mech_null;

#define B(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

/* One side of a handshake: the engine-allocated state and the config it was made from. */
struct side {
    void *state;
    int init_rc;
};

static void side_open(struct side *s, int socket_type, const char *identity)
{
    struct zmtp_mech_config cfg = {
        .socket_type = socket_type,
        .identity = (const uint8_t *)identity,
        .identity_len = identity ? strlen(identity) : 0,
    };

    s->state = malloc(mech->state_size);
    memset(s->state, 0xA5, mech->state_size);  /* init must not rely on zeroed memory */
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

/* Runs both sides until neither has anything to send; returns the number of commands exchanged. The
 * first error each side reports is kept in *a_rc / *b_rc. */
static int handshake(struct side *a, struct side *b, int *a_rc, int *b_rc)
{
    uint8_t buf[ZMTP_MECH_COMMAND_MIN];
    int exchanged = 0;
    bool progress = true;

    *a_rc = *b_rc = 0;
    while (progress && exchanged < 10) {
        progress = false;
        int n = mech->next_command(a->state, buf, sizeof buf);
        if (n > 0) {
            int rc = process_guarded(b, buf, (size_t)n);
            if (*b_rc == 0)
                *b_rc = rc;
            progress = true;
            exchanged++;
        }
        n = mech->next_command(b->state, buf, sizeof buf);
        if (n > 0) {
            int rc = process_guarded(a, buf, (size_t)n);
            if (*a_rc == 0)
                *a_rc = rc;
            progress = true;
            exchanged++;
        }
    }
    return exchanged;
}

static void test_dealer_router(void)
{
    struct side dealer, router;
    int d_rc, r_rc;
    size_t len;

    side_open(&dealer, DEALER, "client-7");
    side_open(&router, ROUTER, "R");
    CHECK_EQ(dealer.init_rc, 0);
    CHECK_EQ(router.init_rc, 0);
    CHECK_EQ(mech->status(dealer.state), ZMTP_MECH_HANDSHAKING);
    CHECK_EQ(mech->peer(dealer.state)->socket_type, -1);
    CHECK_EQ(handshake(&dealer, &router, &d_rc, &r_rc), 2);
    CHECK_EQ(d_rc, 0);
    CHECK_EQ(r_rc, 0);
    CHECK_EQ(mech->status(dealer.state), ZMTP_MECH_READY);
    CHECK_EQ(mech->status(router.state), ZMTP_MECH_READY);

    const struct zmtp_peer_info *rp = mech->peer(router.state);
    CHECK_EQ(rp->socket_type, DEALER);
    CHECK_MEM(rp->identity, rp->identity_len, "client-7", 8);
    const uint8_t *v = zmtp_peer_property(rp, "socket-type", &len);
    CHECK_MEM(v, len, "DEALER", 6);

    const struct zmtp_peer_info *dp = mech->peer(dealer.state);
    CHECK_EQ(dp->socket_type, ROUTER);
    CHECK_MEM(dp->identity, dp->identity_len, "R", 1);  /* libzmq's ROUTER announces its identity too */

    uint8_t buf[ZMTP_MECH_COMMAND_MIN];
    CHECK_EQ(mech->next_command(dealer.state, buf, sizeof buf), 0);     /* nothing more to say */
    CHECK_EQ(process_guarded(&dealer, B("\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER")), ZMTP_E_COMMAND);
    CHECK_EQ(mech->status(dealer.state), ZMTP_MECH_ERROR);
    side_close(&dealer);
    side_close(&router);
}

/* Who sends Identity: REQ, DEALER, ROUTER (even empty); nobody else. */
static void test_identity_senders(void)
{
    static const struct {
        int ours, theirs;
        bool theirs_sends;
    } cases[] = {
        {REP, REQ, true},   {REQ, REP, false},  {ROUTER, DEALER, true}, {DEALER, REP, false},
        {PUB, SUB, false},  {XSUB, XPUB, false}, {PAIR, PAIR, false},   {PULL, PUSH, false},
        {DEALER, DEALER, true}, {ROUTER, REQ, true},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct side a, b;
        int a_rc, b_rc;
        size_t len = 99;

        side_open(&a, cases[i].ours, "ignored-unless-sent");
        side_open(&b, cases[i].theirs, NULL);
        CHECK_EQ(handshake(&a, &b, &a_rc, &b_rc), 2);
        CHECK_EQ(a_rc, 0);
        CHECK_EQ(b_rc, 0);
        CHECK_EQ(mech->status(a.state), ZMTP_MECH_READY);
        const struct zmtp_peer_info *p = mech->peer(a.state);
        CHECK_EQ(p->socket_type, cases[i].theirs);
        CHECK_EQ(zmtp_peer_property(p, "Identity", &len) != NULL, cases[i].theirs_sends);
        CHECK_EQU(p->identity_len, 0);
        p = mech->peer(b.state);
        CHECK_EQ(zmtp_peer_property(p, "Identity", &len) != NULL,
                 cases[i].ours == REQ || cases[i].ours == DEALER || cases[i].ours == ROUTER);
        side_close(&a);
        side_close(&b);
    }
}

/* PUSH<->PUSH (and other mismatches) are refused on both sides; each then offers one ERROR command. */
static void test_incompatible(void)
{
    static const int pairs[][2] = {{PUSH, PUSH}, {PUB, PUB}, {REQ, REQ}, {REP, ROUTER}, {PAIR, DEALER}};

    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        struct side a, b;
        int a_rc, b_rc;
        uint8_t buf[ZMTP_MECH_COMMAND_MIN];
        struct zmtp_command cmd;

        side_open(&a, pairs[i][0], NULL);
        side_open(&b, pairs[i][1], NULL);
        uint8_t ready_a[ZMTP_MECH_COMMAND_MIN], ready_b[ZMTP_MECH_COMMAND_MIN];
        int na = mech->next_command(a.state, ready_a, sizeof ready_a);
        int nb = mech->next_command(b.state, ready_b, sizeof ready_b);
        CHECK(na > 0 && nb > 0);
        a_rc = process_guarded(&a, ready_b, (size_t)nb);
        b_rc = process_guarded(&b, ready_a, (size_t)na);
        CHECK_EQ(a_rc, ZMTP_E_SOCKET_TYPE);
        CHECK_EQ(b_rc, ZMTP_E_SOCKET_TYPE);
        CHECK_EQ(mech->status(a.state), ZMTP_MECH_ERROR);
        CHECK_EQ(mech->peer(a.state)->socket_type, pairs[i][1]);   /* recorded, for the log */

        int n = mech->next_command(a.state, buf, sizeof buf);
        CHECK(n > 0);
        CHECK_EQ(zmtp_command_parse(buf, (size_t)n, &cmd), 1);
        CHECK_EQ(cmd.id, ZMTP_CMD_ERROR);
        CHECK_EQ(mech->next_command(a.state, buf, sizeof buf), 0);  /* only once */
        /* sticky: a fine READY now changes nothing */
        CHECK_EQ(process_guarded(&a, ready_b, (size_t)nb), ZMTP_E_SOCKET_TYPE);
        CHECK_EQ(mech->status(a.state), ZMTP_MECH_ERROR);

        /* b failed first: its own error stays, whatever a would tell it */
        CHECK_EQ(process_guarded(&b, buf, (size_t)n), ZMTP_E_SOCKET_TYPE);   /* b already failed */
        side_close(&a);
        side_close(&b);
    }
}

/* Hand-made READY bodies against a ROUTER. */
static void test_ready_bodies(void)
{
    static const struct {
        const char *body;
        size_t len;
        int want;
    } cases[] = {
#define C(lit, want) {lit, sizeof(lit) - 1, want}
        C("\x05READY", ZMTP_E_SOCKET_TYPE),                                            /* no properties */
        C("\x05READY\x08Identity\x00\x00\x00\x01" "A", ZMTP_E_SOCKET_TYPE),            /* no Socket-Type */
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x03" "FOO", ZMTP_E_SOCKET_TYPE),
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x06" "STREAM", ZMTP_E_SOCKET_TYPE),
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x06" "dealer", ZMTP_E_SOCKET_TYPE),   /* values are exact */
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x00", ZMTP_E_SOCKET_TYPE),
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x04" "PUSH", ZMTP_E_SOCKET_TYPE),
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x06" "DEALER", 0),
        C("\x05READY\x0bSOCKET-TYPE\x00\x00\x00\x03" "REQ", 0),                        /* names are not */
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x06" "DEALER\x00", ZMTP_E_METADATA),
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x07" "DEALER", ZMTP_E_METADATA),
        C("\x05READY\x0bSocket-Type\xff\xff\xff\xff" "DEALER", ZMTP_E_METADATA),
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x06" "DEALER\x01" "a\x80\x00\x00\x00", ZMTP_E_METADATA),
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x06" "DEALER\x03X-A\x00\x00\x00\x02" "hi", 0),
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x06" "DEALER\x0bSocket-Type\x00\x00\x00\x04" "PUSH",
          ZMTP_E_SOCKET_TYPE),                                                         /* every one counts */
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x06" "DEALER\x0bSocket-Type\x00\x00\x00\x06" "DEALER", 0),
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x04" "PUSH\x0bSocket-Type\x00\x00\x00\x06" "DEALER",
          ZMTP_E_SOCKET_TYPE),
        C("\x05READX", ZMTP_E_COMMAND),
        C("\x04PING\x00\x00", ZMTP_E_COMMAND),                                         /* not before READY */
        C("\x09SUBSCRIBE", ZMTP_E_COMMAND),
        C("\x05HELLO", ZMTP_E_COMMAND),
        C("\x00", ZMTP_E_MALFORMED),
        C("", ZMTP_E_MALFORMED),
        C("\x09READY", ZMTP_E_MALFORMED),
#undef C
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct side r;

        side_open(&r, ROUTER, NULL);
        int rc = process_guarded(&r, (const uint8_t *)cases[i].body, cases[i].len);
        if (rc != cases[i].want)
            fprintf(stderr, "    (case %zu)\n", i);
        CHECK_EQ(rc, cases[i].want);
        CHECK_EQ(mech->status(r.state), rc == 0 ? ZMTP_MECH_HANDSHAKING : ZMTP_MECH_ERROR);
        side_close(&r);
    }
}

static void test_identity_limits(void)
{
    uint8_t body[400];
    uint8_t id[256];
    size_t len;
    struct side r;

    memset(id, 'i', sizeof id);
    for (size_t id_len = 254; id_len <= 256; id_len++) {
        len = zmtp_command_name_write(body, sizeof body, "READY");
        len += zmtp_metadata_write(body + len, sizeof body - len, "Socket-Type", "REQ", 3);
        len += zmtp_metadata_write(body + len, sizeof body - len, "Identity", id, id_len);
        side_open(&r, ROUTER, NULL);
        CHECK_EQ(process_guarded(&r, body, len), id_len <= 255 ? 0 : ZMTP_E_METADATA);
        if (id_len <= 255)
            CHECK_MEM(mech->peer(r.state)->identity, mech->peer(r.state)->identity_len, id, id_len);
        side_close(&r);
    }

    /* Our own identity: 255 bytes fits in ZMTP_MECH_COMMAND_MIN, 256 is refused at init. */
    char ours[257];
    uint8_t out[ZMTP_MECH_COMMAND_MIN];
    memset(ours, 'o', 256);
    ours[256] = '\0';
    side_open(&r, DEALER, ours);
    CHECK_EQ(r.init_rc, ZMTP_E_METADATA);
    side_close(&r);                             /* fini is safe after a failed init */
    ours[255] = '\0';
    side_open(&r, DEALER, ours);
    CHECK_EQ(r.init_rc, 0);
    int n = mech->next_command(r.state, out, sizeof out);
    CHECK_EQ(n, 6 + 22 + 13 + 255);
    side_close(&r);
}

/* The RFC 23 worked example: a DEALER with an empty identity sends exactly these 41 bytes. */
static void test_ready_wire_bytes(void)
{
    static const uint8_t want[] = "\x05READY\x0bSocket-Type\x00\x00\x00\x06" "DEALER\x08Identity\x00\x00\x00\x00";
    uint8_t out[ZMTP_MECH_COMMAND_MIN];
    struct side d;

    side_open(&d, DEALER, NULL);
    int n = mech->next_command(d.state, out, sizeof out);
    CHECK_EQ(n, 41);
    CHECK_MEM(out, (size_t)n, want, sizeof want - 1);
    CHECK_EQ(mech->next_command(d.state, out, sizeof out), 0);
    CHECK_EQ(mech->status(d.state), ZMTP_MECH_HANDSHAKING);
    side_close(&d);

    side_open(&d, DEALER, NULL);                /* too small a buffer: an error, and READY not marked sent */
    CHECK_EQ(mech->next_command(d.state, out, 5), ZMTP_E_TOO_LARGE);        /* not even the name */
    CHECK_EQ(mech->next_command(d.state, out, 6 + 21), ZMTP_E_TOO_LARGE);   /* not Socket-Type */
    CHECK_EQ(mech->next_command(d.state, out, 40), ZMTP_E_TOO_LARGE);       /* not Identity */
    CHECK_EQ(mech->status(d.state), ZMTP_MECH_HANDSHAKING);
    CHECK_EQ(mech->next_command(d.state, out, 41), 41);
    side_close(&d);
}

/* The peer's READY may arrive before ours is produced; status waits for both. */
static void test_order(void)
{
    uint8_t out[ZMTP_MECH_COMMAND_MIN];
    struct side s;

    side_open(&s, PULL, NULL);
    CHECK_EQ(process_guarded(&s, B("\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH")), 0);
    CHECK_EQ(mech->status(s.state), ZMTP_MECH_HANDSHAKING);
    CHECK(mech->next_command(s.state, out, sizeof out) > 0);
    CHECK_EQ(mech->status(s.state), ZMTP_MECH_READY);
    side_close(&s);
}

static void test_peer_error(void)
{
    uint8_t out[ZMTP_MECH_COMMAND_MIN];
    struct side s;

    side_open(&s, SUB, NULL);
    CHECK_EQ(process_guarded(&s, B("\x05" "ERROR\x0b" "go away now")), ZMTP_E_ERROR_CMD);
    CHECK_EQ(mech->status(s.state), ZMTP_MECH_ERROR);
    const struct zmtp_peer_info *p = mech->peer(s.state);
    CHECK_MEM(p->error_reason, p->error_reason_len, "go away now", 11);
    CHECK_EQ(mech->next_command(s.state, out, sizeof out), 0);     /* no ERROR answered to an ERROR */
    side_close(&s);

    side_open(&s, SUB, NULL);                   /* a malformed ERROR is still an ERROR */
    CHECK_EQ(process_guarded(&s, B("\x05" "ERROR\x20" "short")), ZMTP_E_ERROR_CMD);
    CHECK_EQU(mech->peer(s.state)->error_reason_len, 0);
    side_close(&s);

    side_open(&s, SUB, NULL);                   /* ERROR after READY, still during the handshake */
    CHECK_EQ(process_guarded(&s, B("\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB")), 0);
    CHECK_EQ(process_guarded(&s, B("\x05" "ERROR\x00")), ZMTP_E_ERROR_CMD);
    side_close(&s);
}

static void test_init_socket_types(void)
{
    struct side s;

    /* STREAM + 1 .. + 9: SERVER, CLIENT, RADIO, DISH, GATHER, SCATTER, DGRAM, PEER, CHANNEL; DGRAM (raw
     * UDP) and STREAM (raw TCP) never handshake */
    for (int t = -1; t <= STREAM + 10; t++) {
        side_open(&s, t, NULL);
        bool ok = (t >= PAIR && t <= XSUB) || (t > STREAM && t <= STREAM + 9 && t != STREAM + 7);
        CHECK_EQ(s.init_rc, ok ? 0 : ZMTP_E_SOCKET_TYPE);
        side_close(&s);
    }
}

/* Every prefix of a valid READY and of some invalid ones, each into a fresh mechanism, at the page end. */
static void test_guard_prefixes(void)
{
    static const struct {
        const char *body;
        size_t len;
    } inputs[] = {
#define C(lit) {lit, sizeof(lit) - 1}
        C("\x05READY\x0bSocket-Type\x00\x00\x00\x06" "DEALER\x08Identity\x00\x00\x00\x03" "abc"),
        C("\x05READY\x0bSocket-Type\xff\xff\xff\xff" "DEALER"),
        C("\x05READY\x00\x00\x00\x00\x00"),
        C("\x05" "ERROR\x04" "boom"),
        C("\x05" "ERROR\xff" "boom"),
#undef C
    };

    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        for (size_t len = 0; len <= inputs[i].len; len++) {
            struct side s;
            side_open(&s, ROUTER, NULL);
            int rc = process_guarded(&s, (const uint8_t *)inputs[i].body, len);
            CHECK(rc <= 0);
            if (i == 0)     /* prefixes of the good one: only the full body and the one without Identity */
                CHECK_EQ(rc == 0, len == inputs[i].len || len == 6 + 22);
            side_close(&s);
        }
    }
}

static void test_table(void)
{
    CHECK(zmtp_mechanism_find("NULL") == &zmtp_mech_null);
    CHECK(zmtp_mechanism_find("null") == NULL);
    CHECK(zmtp_mechanism_find("NULL ") == NULL);
    CHECK(zmtp_mechanism_find("") == NULL);
    CHECK(zmtp_mechanism_find("CURVEZ") == NULL);
    CHECK(strcmp(zmtp_mech_null.name, "NULL") == 0);
    CHECK(zmtp_mech_null.state_size > 0);

    for (int code = ZMTP_E_NOMEM; code <= ZMTP_E_SIGNATURE; code++) {
        const char *text = zmtp_strerror(code);
        CHECK(text != NULL && text[0] != '\0');
        CHECK(strcmp(text, zmtp_strerror(0)) != 0);
        for (int other = code + 1; other <= ZMTP_E_SIGNATURE; other++)
            CHECK(strcmp(text, zmtp_strerror(other)) != 0);
    }
    CHECK(strcmp(zmtp_strerror(-1000), zmtp_strerror(1)) == 0);
}

/* With a ZAP domain (cfg.zap): READY waits for the handler; 200 releases it, 400 gives ERROR "400". */
static void test_zap(void)
{
    for (int code = 200; code <= 400; code += 200) {
        struct zmtp_mech_config cfg = {.socket_type = PULL, .zap = true};
        struct zmtp_zap_request req;
        uint8_t out[ZMTP_MECH_COMMAND_MIN];
        void *state = malloc(mech->state_size);
        CHECK_EQ(mech->init(state, &cfg), 0);
        CHECK_EQ(mech->status(state), ZMTP_MECH_ZAP_PENDING);
        CHECK_EQ(mech->next_command(state, out, sizeof out), 0);
        CHECK_EQ(mech->zap_request(state, &req), 0);
        CHECK(strcmp(req.mechanism, "NULL") == 0);
        CHECK_EQ(req.credential_count, 0);
        CHECK_EQ(process_guarded(&(struct side){state, 0}, B("\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH")), 0);
        mech->zap_result(state, code);
        int n = mech->next_command(state, out, sizeof out);
        if (code == 200) {
            CHECK_MEM(out, 6, "\x05READY", 6);
            CHECK_EQ(mech->status(state), ZMTP_MECH_READY);
        } else {
            CHECK_EQ(n, 10);
            CHECK_MEM(out, 10, "\x05" "ERROR\x03" "400", 10);
            CHECK_EQ(mech->status(state), ZMTP_MECH_ERROR);
        }
        mech->fini(state);
        free(state);
    }
}

int main(void)
{
    unit_guard_init(&guard);
    test_zap();
    test_dealer_router();
    test_identity_senders();
    test_incompatible();
    test_ready_bodies();
    test_identity_limits();
    test_ready_wire_bytes();
    test_order();
    test_peer_error();
    test_init_socket_types();
    test_guard_prefixes();
    test_table();
    unit_guard_fini(&guard);
    return unit_summary("test_zmtp_null");
}
