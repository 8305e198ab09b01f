/* Unit tests for src/zmtp/mech_curve.c (RFC 26): a client and a server handshaking, the MESSAGE
 * transform both ways, and a hand-built client (libsodium directly) that sends what a hostile peer would:
 * every size wrong, tampered cookies and vouches, metadata whose lengths point past the box (the class of
 * CVE-2019-13132), replayed, reordered and forged boxes. Inputs end right before a PROT_NONE page. */
#include "unit.h"

#ifdef ZINC_HAVE_SODIUM

#include <sodium.h>

#include "zmtp/wire.h"
#include "zmtp/zmtp.h"

enum { PAIR, PUB, SUB, REQ, REP, DEALER, ROUTER, PULL, PUSH, XPUB, XSUB, STREAM };

static struct unit_guard guard;
static const struct zmtp_mechanism_ops *mech = &zmtp_mech_curve;
static uint8_t server_pk[32], server_sk[32], client_pk[32], client_sk[32];

struct side {
    void *state;
    int init_rc;
};

static void side_open(struct side *s, int type, bool server, bool zap)
{
    struct zmtp_mech_config cfg = {
        .socket_type = type,
        .as_server = server,
        .zap = zap,
        .public_key = server ? server_pk : client_pk,
        .secret_key = server ? server_sk : client_sk,
        .server_key = server ? NULL : server_pk,
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
    if (len > guard.page)   /* larger than the guard area: as is */
        return mech->process_command(s->state, body, len);
    return mech->process_command(s->state, unit_guard_place(&guard, body, len), len);
}

static int exchange(struct side *a, struct side *b)
{
    uint8_t buf[2048];
    int moved = 0;
    bool progress = true;
    while (progress && moved < 20) {
        progress = false;
        int n = mech->next_command(a->state, buf, sizeof buf);
        if (n > 0) {
            process_guarded(b, buf, (size_t)n);
            progress = true;
            moved++;
        }
        n = mech->next_command(b->state, buf, sizeof buf);
        if (n > 0) {
            process_guarded(a, buf, (size_t)n);
            progress = true;
            moved++;
        }
    }
    return moved;
}

/* Opens a box produced by `from` at `to`, the body placed before a guard page (unwrap works in place). */
static int unwrap_guarded(struct side *to, const uint8_t *box, size_t len, uint8_t **data, size_t *data_len,
                          uint8_t *flags)
{
    uint8_t *copy = (uint8_t *)(uintptr_t)unit_guard_place(&guard, box, len);
    return mech->transform->unwrap(to->state, copy, len, data, data_len, flags);
}

static void test_handshake_and_messages(void)
{
    struct side c, s;
    uint8_t box[256], *data;
    size_t len;
    uint8_t flags;

    side_open(&c, DEALER, false, false);
    side_open(&s, ROUTER, true, false);
    CHECK_EQ(c.init_rc, 0);
    CHECK_EQ(s.init_rc, 0);
    CHECK_EQ(exchange(&c, &s), 4);   /* HELLO, WELCOME, INITIATE, READY */
    CHECK_EQ(mech->status(c.state), ZMTP_MECH_READY);
    CHECK_EQ(mech->status(s.state), ZMTP_MECH_READY);
    CHECK_EQ(mech->peer(s.state)->socket_type, DEALER);
    CHECK_EQ(mech->peer(c.state)->socket_type, ROUTER);

    CHECK_EQU(mech->transform->wrap_size(5), 38);
    int n = mech->transform->wrap(c.state, ZMTP_FLAG_MORE, (const uint8_t *)"hello", 5, box);
    CHECK_EQ(n, 38);
    CHECK_MEM(box, 8, "\x07MESSAGE", 8);
    CHECK_EQ(unwrap_guarded(&s, box, (size_t)n, &data, &len, &flags), 0);
    CHECK_MEM(data, len, "hello", 5);
    CHECK_EQ(flags, ZMTP_FLAG_MORE);

    n = mech->transform->wrap(s.state, ZMTP_FLAG_COMMAND, (const uint8_t *)"\x04PING\x00\x00", 7, box);
    CHECK_EQ(unwrap_guarded(&c, box, (size_t)n, &data, &len, &flags), 0);
    CHECK_EQ(flags, ZMTP_FLAG_COMMAND);
    CHECK_MEM(data, len, "\x04PING\x00\x00", 7);

    n = mech->transform->wrap(s.state, 0, NULL, 0, box);   /* an empty frame */
    CHECK_EQ(n, 33);
    CHECK_EQ(unwrap_guarded(&c, box, (size_t)n, &data, &len, &flags), 0);
    CHECK_EQU(len, 0);
    CHECK_EQ(flags, 0);

    /* a box sent by the client does not open at the client (the nonce prefix names the direction) */
    n = mech->transform->wrap(c.state, 0, (const uint8_t *)"x", 1, box);
    CHECK_EQ(unwrap_guarded(&c, box, (size_t)n, &data, &len, &flags), ZMTP_E_CRYPTO);
    side_close(&c);
    side_close(&s);
}

/* Replayed, reordered and forged boxes fail; a forged box does not advance the nonce. */
static void test_replay_reorder_forgery(void)
{
    struct side c, s;
    uint8_t b1[64], b2[64], b3[64], *data;
    size_t len;
    uint8_t flags;

    side_open(&c, PUSH, false, false);
    side_open(&s, PULL, true, false);
    exchange(&c, &s);
    int n1 = mech->transform->wrap(c.state, 0, (const uint8_t *)"one", 3, b1);
    int n2 = mech->transform->wrap(c.state, 0, (const uint8_t *)"two", 3, b2);
    int n3 = mech->transform->wrap(c.state, 0, (const uint8_t *)"three", 5, b3);

    b2[34] ^= 1;                                                      /* forged */
    CHECK_EQ(unwrap_guarded(&s, b2, (size_t)n2, &data, &len, &flags), ZMTP_E_CRYPTO);
    b2[34] ^= 1;
    CHECK_EQ(unwrap_guarded(&s, b2, (size_t)n2, &data, &len, &flags), 0);   /* the real one still opens */
    CHECK_EQ(unwrap_guarded(&s, b2, (size_t)n2, &data, &len, &flags), ZMTP_E_SEQUENCE);   /* replayed */
    CHECK_EQ(unwrap_guarded(&s, b1, (size_t)n1, &data, &len, &flags), ZMTP_E_SEQUENCE);   /* reordered */
    b3[14] ^= 1;                                                      /* nonce changed: MAC fails */
    CHECK_EQ(unwrap_guarded(&s, b3, (size_t)n3, &data, &len, &flags), ZMTP_E_CRYPTO);
    b3[14] ^= 1;
    CHECK_EQ(unwrap_guarded(&s, b3, (size_t)n3, &data, &len, &flags), 0);
    CHECK_MEM(data, len, "three", 5);

    uint8_t small[33] = "\x07MESSAGE";
    CHECK_EQ(unwrap_guarded(&s, small, 32, &data, &len, &flags), ZMTP_E_MALFORMED_MESSAGE);
    CHECK_EQ(unwrap_guarded(&s, (const uint8_t *)"\x07MESSAGX" "0123456789012345678901234", 33, &data, &len,
                            &flags), ZMTP_E_MALFORMED_MESSAGE);
    side_close(&c);
    side_close(&s);
}

/* ---- a hand-built client ------------------------------------------------------------------------------ */
struct hand {
    uint8_t cn_pk[32], cn_sk[32];     /* client transient */
    uint8_t sn_pk[32];                /* server transient, from WELCOME */
    uint8_t cookie[96];
    uint8_t shared[32];
};

static size_t hand_hello(struct hand *h, uint8_t *out, uint64_t nonce_value)
{
    uint8_t nonce[24], zeros[64] = {0};
    crypto_box_keypair(h->cn_pk, h->cn_sk);
    memset(out, 0, 200);
    memcpy(out, "\x05HELLO\x01\x00", 8);
    memcpy(out + 80, h->cn_pk, 32);
    zmtp_put_be64(out + 112, nonce_value);
    memcpy(nonce, "CurveZMQHELLO---", 16);
    zmtp_put_be64(nonce + 16, nonce_value);
    CHECK_EQ(crypto_box_easy(out + 120, zeros, 64, nonce, server_pk, h->cn_sk), 0);
    return 200;
}

/* Sends HELLO to the server side, reads its WELCOME. */
static void hand_start(struct hand *h, struct side *s)
{
    uint8_t buf[256], nonce[24], plain[128];
    size_t n = hand_hello(h, buf, 1);
    CHECK_EQ(process_guarded(s, buf, n), 0);
    CHECK_EQ(mech->next_command(s->state, buf, sizeof buf), 168);
    memcpy(nonce, "WELCOME-", 8);
    memcpy(nonce + 8, buf + 8, 16);
    CHECK_EQ(crypto_box_open_easy(plain, buf + 24, 144, nonce, server_pk, h->cn_sk), 0);
    memcpy(h->sn_pk, plain, 32);
    memcpy(h->cookie, plain + 32, 96);
    CHECK_EQ(crypto_box_beforenm(h->shared, h->sn_pk, h->cn_sk), 0);
}

/* INITIATE with the given metadata bytes; vouch_server names the server key inside the vouch. */
static size_t hand_initiate(struct hand *h, uint8_t *out, uint64_t nonce_value, const uint8_t *meta, size_t meta_len,
                            const uint8_t *vouch_server)
{
    uint8_t nonce[24], vouch_plain[64];
    size_t plain_len = 32 + 96 + meta_len;
    uint8_t *plain = malloc(plain_len);
    memcpy(plain, client_pk, 32);
    randombytes_buf(plain + 32, 16);
    memcpy(nonce, "VOUCH---", 8);
    memcpy(nonce + 8, plain + 32, 16);
    memcpy(vouch_plain, h->cn_pk, 32);
    memcpy(vouch_plain + 32, vouch_server, 32);
    CHECK_EQ(crypto_box_easy(plain + 48, vouch_plain, 64, nonce, h->sn_pk, client_sk), 0);
    memcpy(plain + 128, meta, meta_len);
    memcpy(out, "\x08INITIATE", 9);
    memcpy(out + 9, h->cookie, 96);
    zmtp_put_be64(out + 105, nonce_value);
    memcpy(nonce, "CurveZMQINITIATE", 16);
    zmtp_put_be64(nonce + 16, nonce_value);
    crypto_box_easy_afternm(out + 113, plain, plain_len, nonce, h->shared);
    free(plain);
    return 113 + 16 + plain_len;
}

#define META_PUSH "\x0bSocket-Type\x00\x00\x00\x04PUSH"

static void test_hand_client_accepted(void)
{
    struct side s;
    struct hand h;
    uint8_t buf[1024];
    side_open(&s, PULL, true, true);
    hand_start(&h, &s);
    size_t n = hand_initiate(&h, buf, 2, (const uint8_t *)META_PUSH, sizeof META_PUSH - 1, server_pk);
    CHECK_EQ(process_guarded(&s, buf, n), 0);
    CHECK_EQ(mech->status(s.state), ZMTP_MECH_ZAP_PENDING);
    struct zmtp_zap_request req;
    CHECK_EQ(mech->zap_request(s.state, &req), 0);
    CHECK(strcmp(req.mechanism, "CURVE") == 0);
    CHECK_MEM(req.credential[0], req.credential_len[0], client_pk, 32);
    CHECK_EQ(mech->next_command(s.state, buf, sizeof buf), 0);   /* READY waits for the handler */
    mech->zap_result(s.state, 200);
    CHECK(mech->next_command(s.state, buf, sizeof buf) > 0);
    CHECK_EQ(mech->status(s.state), ZMTP_MECH_READY);
    side_close(&s);
}

/* Each hostile INITIATE or HELLO, against a fresh server. */
static void test_hostile_handshakes(void)
{
    static const uint8_t overflow_meta[] = "\x0bSocket-Type\x00\xff\xff\xff" "PUSH";  /* value length past the box */
    static const uint8_t long_name_meta[] = "\xff" "Socket-Type";                     /* name length past the box */
    uint8_t other_pk[32], other_sk[32];
    crypto_box_keypair(other_pk, other_sk);
    uint8_t *big_meta = calloc(1, 40000);
    memcpy(big_meta, META_PUSH, sizeof META_PUSH - 1);

    for (int kase = 0; kase < 9; kase++) {
        struct side s;
        struct hand h;
        uint8_t *buf = malloc(50000);
        size_t n = 0;
        int want = 0;
        side_open(&s, PULL, true, false);
        if (kase == 0) {            /* HELLO one byte short, one byte long, wrong version */
            n = hand_hello(&h, buf, 1);
            CHECK_EQ(process_guarded(&s, buf, n - 1), ZMTP_E_MALFORMED_HELLO);
            side_close(&s);
            side_open(&s, PULL, true, false);
            buf[6] = 2;
            CHECK_EQ(process_guarded(&s, buf, n), ZMTP_E_MALFORMED_HELLO);
            free(buf);
            side_close(&s);
            continue;
        }
        if (kase == 1) {            /* HELLO boxed for another server key */
            memcpy(server_pk, other_pk, 32);
            n = hand_hello(&h, buf, 1);
            crypto_scalarmult_base(server_pk, server_sk);
            CHECK_EQ(process_guarded(&s, buf, n), ZMTP_E_CRYPTO);
            free(buf);
            side_close(&s);
            continue;
        }
        hand_start(&h, &s);
        switch (kase) {
        case 2:   /* metadata value length far past the box (CVE-2019-13132 class) */
            n = hand_initiate(&h, buf, 2, overflow_meta, sizeof overflow_meta - 1, server_pk);
            want = ZMTP_E_METADATA;
            break;
        case 3:   /* metadata name length past the box */
            n = hand_initiate(&h, buf, 2, long_name_meta, sizeof long_name_meta - 1, server_pk);
            want = ZMTP_E_METADATA;
            break;
        case 4:   /* vouch for another server */
            n = hand_initiate(&h, buf, 2, (const uint8_t *)META_PUSH, sizeof META_PUSH - 1, other_pk);
            want = ZMTP_E_KEY_EXCHANGE;
            break;
        case 5:   /* tampered cookie */
            n = hand_initiate(&h, buf, 2, (const uint8_t *)META_PUSH, sizeof META_PUSH - 1, server_pk);
            buf[9 + 40] ^= 1;
            want = ZMTP_E_CRYPTO;
            break;
        case 6:   /* INITIATE nonce not above HELLO's */
            n = hand_initiate(&h, buf, 1, (const uint8_t *)META_PUSH, sizeof META_PUSH - 1, server_pk);
            want = ZMTP_E_SEQUENCE;
            break;
        case 7:   /* too short to hold cookie, nonce, C and vouch */
            n = hand_initiate(&h, buf, 2, (const uint8_t *)META_PUSH, 0, server_pk) - 1;
            want = ZMTP_E_MALFORMED_INITIATE;
            break;
        case 8:   /* more metadata than any real peer sends: refused before anything is opened */
            n = hand_initiate(&h, buf, 2, big_meta, 40000, server_pk);
            want = ZMTP_E_MALFORMED_INITIATE;
            break;
        }
        CHECK_EQ(process_guarded(&s, buf, n), want);
        CHECK_EQ(mech->status(s.state), ZMTP_MECH_ERROR);
        uint8_t out[512];
        CHECK_EQ(mech->next_command(s.state, out, sizeof out), 0);   /* as libzmq: close, no ERROR */
        free(buf);
        side_close(&s);
    }
    free(big_meta);
}

/* The client side: WELCOME of the wrong size or from the wrong server, READY replayed or bad. */
static void test_client_refuses(void)
{
    struct side c, s;
    uint8_t buf[1024];
    side_open(&c, PUSH, false, false);
    CHECK_EQ(mech->next_command(c.state, buf, sizeof buf), 200);
    CHECK_EQ(buf[6], 1);
    for (int i = 8; i < 80; i++)
        CHECK_EQ(buf[i], 0);   /* 72 bytes of padding */
    CHECK_EQ(process_guarded(&c, (const uint8_t *)"\x07WELCOME" "short", 13), ZMTP_E_MALFORMED_WELCOME);
    side_close(&c);

    uint8_t saved = server_pk[0];   /* a WELCOME from a server with another key does not open */
    side_open(&c, PUSH, false, false);
    side_open(&s, PULL, true, false);
    int n = mech->next_command(c.state, buf, sizeof buf);
    CHECK_EQ(process_guarded(&s, buf, (size_t)n), 0);
    n = mech->next_command(s.state, buf, sizeof buf);
    buf[100] ^= 1;
    CHECK_EQ(process_guarded(&c, buf, (size_t)n), ZMTP_E_CRYPTO);
    side_close(&c);
    side_close(&s);
    server_pk[0] = saved;

    side_open(&c, PUSH, false, false);   /* READY cut below its MAC */
    side_open(&s, PULL, true, false);
    for (int i = 0; i < 2; i++) {
        n = mech->next_command(c.state, buf, sizeof buf);
        process_guarded(&s, buf, (size_t)n);
        n = mech->next_command(s.state, buf, sizeof buf);
        if (i == 0)
            process_guarded(&c, buf, (size_t)n);
    }
    CHECK_EQ(process_guarded(&c, buf, 20), ZMTP_E_MALFORMED_READY);
    side_close(&c);
    side_close(&s);

    struct zmtp_mech_config cfg = {.socket_type = PUSH, .secret_key = client_sk};   /* no server key */
    void *state = malloc(mech->state_size);
    CHECK_EQ(mech->init(state, &cfg), ZMTP_E_KEY_EXCHANGE);
    mech->fini(state);
    free(state);
}

/* fini leaves no secret behind. */
static void test_fini_wipes(void)
{
    struct side c, s;
    side_open(&c, PUSH, false, false);
    side_open(&s, PULL, true, false);
    exchange(&c, &s);
    mech->fini(s.state);
    const uint8_t *bytes = s.state;
    size_t nonzero = 0;
    for (size_t i = 0; i < mech->state_size; i++)
        nonzero += bytes[i] != 0;
    CHECK_EQU(nonzero, 0);
    free(s.state);
    side_close(&c);
}

int main(void)
{
    unit_guard_init(&guard);
    CHECK(sodium_init() >= 0);
    crypto_box_keypair(server_pk, server_sk);
    crypto_box_keypair(client_pk, client_sk);
    test_handshake_and_messages();
    test_replay_reorder_forgery();
    test_hand_client_accepted();
    test_hostile_handshakes();
    test_client_refuses();
    test_fini_wipes();
    CHECK(zmtp_mechanism_find("CURVE") == &zmtp_mech_curve);
    unit_guard_fini(&guard);
    return unit_summary("test_zmtp_curve");
}

#else
int main(void)
{
    fprintf(stderr, "test_zmtp_curve: built without libsodium, skipped\n");
    return 0;
}
#endif
