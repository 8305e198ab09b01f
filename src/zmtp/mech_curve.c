/* The CURVE security mechanism (RFC 26, CurveZMQ) with libsodium as the only cryptography: the
 * handshake (HELLO, WELCOME with a sealed cookie, INITIATE with the vouch and metadata, READY), then the
 * MESSAGE transform that boxes every frame and command. Pure codec: no I/O; randomness from libsodium.
 *
 * Wire facts libzmq depends on (checked against libzmq 4.3.4 by tests/interop): HELLO carries 72 zero
 * bytes of padding (the RFC's grammar; its prose says 70); a MESSAGE box's first plaintext byte has
 * `more` in bit 0 and `command` in bit 1, and MESSAGE frames go out with no ZMTP flags.
 *
 * Client, the function behind each transition in brackets:
 *   SEND_HELLO --[curve_hello_write]--> WAIT_WELCOME --[curve_welcome]--> SEND_INITIATE
 *   --[curve_initiate_write]--> WAIT_READY --[curve_ready]--> DONE
 * Server:
 *   WAIT_HELLO --[curve_hello]--> SEND_WELCOME --[curve_welcome_write]--> WAIT_INITIATE
 *   --[curve_initiate] (zap: ZAP_PENDING --200-->)--> SEND_READY --[curve_ready_write]--> DONE
 * Any state: a bad box, a bad length, an unexpected command, the peer's ERROR or a ZAP refusal --> ERROR.
 *
 * Invariants:
 *   1. Every length is checked against the command's own size before a byte is read or opened; HELLO,
 *      WELCOME and the cookie have exact sizes; INITIATE's box is opened into a buffer sized from the
 *      checked length, never a fixed stack array (CVE-2019-13132).
 *   2. Short nonces we send start at 1 and only grow; a peer's short nonce must be greater than the last
 *      one accepted from it (HELLO < INITIATE < MESSAGE..., READY < MESSAGE...), and is recorded only once
 *      its box opened, so replayed, reordered or forged boxes fail (ZMTP_E_SEQUENCE / ZMTP_E_CRYPTO).
 *   3. The transient shared key is computed once (crypto_box_beforenm) when the peer's transient key is
 *      known, and used for INITIATE, READY and every MESSAGE.
 *      MESSAGE boxes use it through tx/rx, its subkeys for the two short-nonce prefixes (curve_box.h),
 *      set in curve_shared_key together with it.
 *   4. The cookie key lives only from WELCOME to INITIATE (one connection's handshake, bounded by the
 *      handshake timeout) and is wiped once used; all secrets are wiped in curve_fini.
 */
#ifdef ZINC_HAVE_SODIUM

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "zmtp/curve_box.h"
#include "zmtp/mech_common.h"
#include "zmtp/wire.h"
#include "zmtp/zmtp.h"

#define KEY ZMTP_KEY_SIZE
#define MAC crypto_box_MACBYTES                  /* 16 */
#define HELLO_SIZE 200                           /* 6 name, 2 version, 72 padding, 32 C', 8 nonce, 80 box */
#define WELCOME_SIZE 168                         /* 8 name, 16 nonce, 144 box */
#define COOKIE_SIZE 96                           /* 16 nonce, 80 box (C' + s') */
#define VOUCH_SIZE 96                            /* 16 nonce, 80 box (C' + S) */
#define INITIATE_MIN (9 + COOKIE_SIZE + 8 + MAC + KEY + VOUCH_SIZE)
#define INITIATE_MAX (32 * 1024)                 /* whole command; metadata past this is refused */
#define READY_MIN (6 + 8 + MAC)
#define MESSAGE_OVERHEAD (8 + 8 + MAC + 1)       /* name, nonce, MAC, flags: 33 */
#define MESSAGE_FLAGS_KNOWN 0x03                 /* bit 0 more, bit 1 command */

enum curve_phase {
    CURVE_SEND_HELLO,
    CURVE_WAIT_WELCOME,
    CURVE_SEND_INITIATE,
    CURVE_WAIT_READY,
    CURVE_WAIT_HELLO,
    CURVE_SEND_WELCOME,
    CURVE_WAIT_INITIATE,
    CURVE_SEND_READY,
    CURVE_DONE,
};

struct curve_state {
    struct mech_common m;
    enum curve_phase phase;
    bool server;
    uint8_t public_key[KEY];        /* our permanent key pair */
    uint8_t secret_key[KEY];
    uint8_t server_key[KEY];        /* client: the server's permanent public key */
    uint8_t client_key[KEY];        /* server: the client's permanent public key (INITIATE), for ZAP */
    uint8_t cn_public[KEY];         /* our transient key pair */
    uint8_t cn_secret[KEY];
    uint8_t peer_transient[KEY];    /* the peer's transient public key */
    uint8_t shared[crypto_box_BEFORENMBYTES];   /* beforenm(peer transient, our transient secret) */
    uint8_t cookie_key[KEY];        /* server, WELCOME..INITIATE only */
    uint8_t cookie[COOKIE_SIZE];    /* client: as WELCOME gave it */
    struct curve_box_key tx, rx;    /* MESSAGE boxes we send / open: subkeys of shared (curve_box.h) */
    uint64_t nonce;                 /* our next short nonce */
    uint64_t peer_nonce;            /* the last short nonce accepted from the peer */
};

static int curve_init(void *state, const struct zmtp_mech_config *cfg)
{
    struct curve_state *s = state;
    int rc;

    memset(s, 0, sizeof *s);
    if ((rc = mech_common_init(&s->m, cfg)) < 0)
        return rc;
    s->m.quiet = true;
    if (sodium_init() < 0)
        return ZMTP_E_CRYPTO;
    s->server = cfg->as_server;
    s->phase = s->server ? CURVE_WAIT_HELLO : CURVE_SEND_HELLO;
    s->nonce = 1;
    if (!cfg->secret_key || (!s->server && !cfg->server_key))
        return ZMTP_E_KEY_EXCHANGE;   /* libzmq too refuses to handshake without keys */
    memcpy(s->secret_key, cfg->secret_key, KEY);
    crypto_scalarmult_base(s->public_key, s->secret_key);
    if (!s->server)
        memcpy(s->server_key, cfg->server_key, KEY);
    crypto_box_keypair(s->cn_public, s->cn_secret);
    return 0;
}

static void curve_fini(void *state)
{
    struct curve_state *s = state;

    mech_common_fini(&s->m);
    sodium_memzero(s, sizeof *s);
}

/* A 24-byte nonce: a 16-byte text prefix and an 8-byte big-endian short nonce. */
static void short_nonce(uint8_t out[crypto_box_NONCEBYTES], const char prefix[16], uint64_t n)
{
    memcpy(out, prefix, 16);
    zmtp_put_be64(out + 16, n);
}

/* A 24-byte nonce: an 8-byte text prefix and 16 bytes (random when sending, read when receiving). */
static void long_nonce(uint8_t out[crypto_box_NONCEBYTES], const char prefix[8], const uint8_t tail[16])
{
    memcpy(out, prefix, 8);
    memcpy(out + 8, tail, 16);
}

/* Our next short nonce; the connection must end before it would wrap. */
static int next_nonce(struct curve_state *s, uint64_t *out)
{
    if (s->nonce == UINT64_MAX)
        return ZMTP_E_SEQUENCE;
    *out = s->nonce++;
    return 0;
}

/* The shared key from the peer's transient key, and the MESSAGE subkeys derived from it. */
static int curve_shared_key(struct curve_state *s)
{
    if (crypto_box_beforenm(s->shared, s->peer_transient, s->cn_secret) != 0)
        return -1;
    const char *ours = s->server ? "CurveZMQMESSAGES" : "CurveZMQMESSAGEC";
    const char *theirs = s->server ? "CurveZMQMESSAGEC" : "CurveZMQMESSAGES";
    curve_box_key_init(&s->tx, s->shared, (const uint8_t *)ours);
    curve_box_key_init(&s->rx, s->shared, (const uint8_t *)theirs);
    return 0;
}

/* ---- client side ---------------------------------------------------------------------------------- */
/* hello = %x05 "HELLO" version padding hello-client hello-nonce hello-box (RFC 26) */
static int curve_hello_write(struct curve_state *s, uint8_t *out, size_t cap)
{
    uint8_t nonce[crypto_box_NONCEBYTES], zeros[64] = {0};
    uint64_t n;

    if (cap < HELLO_SIZE)
        return ZMTP_E_TOO_LARGE;
    if (next_nonce(s, &n) < 0)
        return ZMTP_E_SEQUENCE;
    memset(out, 0, HELLO_SIZE);
    memcpy(out, "\x05HELLO\x01\x00", 8);   /* version 1.0, then 72 bytes of zero padding */
    memcpy(out + 80, s->cn_public, KEY);
    zmtp_put_be64(out + 112, n);
    short_nonce(nonce, "CurveZMQHELLO---", n);
    if (crypto_box_easy(out + 120, zeros, sizeof zeros, nonce, s->server_key, s->cn_secret) != 0)
        return ZMTP_E_CRYPTO;
    return HELLO_SIZE;
}

/* welcome = %x07 "WELCOME" welcome-nonce welcome-box; the box holds S' and the cookie. */
static int curve_welcome(struct curve_state *s, const uint8_t *data, size_t len)
{
    uint8_t nonce[crypto_box_NONCEBYTES], plain[KEY + COOKIE_SIZE];

    if (len != WELCOME_SIZE - 8)
        return mech_fail(&s->m, ZMTP_E_MALFORMED_WELCOME);
    long_nonce(nonce, "WELCOME-", data);
    if (crypto_box_open_easy(plain, data + 16, sizeof plain + MAC, nonce, s->server_key, s->cn_secret) != 0)
        return mech_fail(&s->m, ZMTP_E_CRYPTO);
    memcpy(s->peer_transient, plain, KEY);
    memcpy(s->cookie, plain + KEY, COOKIE_SIZE);
    sodium_memzero(plain, sizeof plain);
    if (curve_shared_key(s) != 0)
        return mech_fail(&s->m, ZMTP_E_CRYPTO);
    s->phase = CURVE_SEND_INITIATE;
    return 0;
}

/* initiate = %x08 "INITIATE" cookie initiate-nonce initiate-box; box: C + vouch + metadata. */
static int curve_initiate_write(struct curve_state *s, uint8_t *out, size_t cap)
{
    uint8_t meta[512], vouch_plain[2 * KEY], nonce[crypto_box_NONCEBYTES];
    uint8_t plain[KEY + VOUCH_SIZE + sizeof meta];
    size_t meta_len = mech_metadata_write(&s->m, meta, sizeof meta);
    uint64_t n;

    if (meta_len == 0)
        return ZMTP_E_TOO_LARGE;
    size_t plain_len = KEY + VOUCH_SIZE + meta_len;
    size_t total = 9 + COOKIE_SIZE + 8 + MAC + plain_len;
    if (cap < total)
        return ZMTP_E_TOO_LARGE;
    if (next_nonce(s, &n) < 0)
        return ZMTP_E_SEQUENCE;
    /* vouch = 16-byte nonce + Box[C' + S](C -> S') */
    memcpy(plain, s->public_key, KEY);
    randombytes_buf(plain + KEY, 16);
    long_nonce(nonce, "VOUCH---", plain + KEY);
    memcpy(vouch_plain, s->cn_public, KEY);
    memcpy(vouch_plain + KEY, s->server_key, KEY);
    if (crypto_box_easy(plain + KEY + 16, vouch_plain, sizeof vouch_plain, nonce, s->peer_transient,
                        s->secret_key) != 0)
        return ZMTP_E_CRYPTO;
    memcpy(plain + KEY + VOUCH_SIZE, meta, meta_len);
    memcpy(out, "\x08INITIATE", 9);
    memcpy(out + 9, s->cookie, COOKIE_SIZE);
    zmtp_put_be64(out + 9 + COOKIE_SIZE, n);
    short_nonce(nonce, "CurveZMQINITIATE", n);
    if (crypto_box_easy_afternm(out + 9 + COOKIE_SIZE + 8, plain, plain_len, nonce, s->shared) != 0)
        return ZMTP_E_CRYPTO;
    sodium_memzero(s->cookie, sizeof s->cookie);
    s->phase = CURVE_WAIT_READY;
    return (int)total;
}

/* ready = %x05 "READY" ready-nonce ready-box; box: metadata. Opened in a buffer sized from len. */
static int curve_ready(struct curve_state *s, const uint8_t *data, size_t len)
{
    uint8_t nonce[crypto_box_NONCEBYTES];

    if (len < READY_MIN - 6)
        return mech_fail(&s->m, ZMTP_E_MALFORMED_READY);
    uint64_t n = zmtp_get_be64(data);
    if (n <= s->peer_nonce)
        return mech_fail(&s->m, ZMTP_E_SEQUENCE);
    size_t plain_len = len - 8 - MAC;
    uint8_t *plain = malloc(plain_len ? plain_len : 1);
    if (!plain)
        return mech_fail(&s->m, ZMTP_E_NOMEM);
    short_nonce(nonce, "CurveZMQREADY---", n);
    int rc = crypto_box_open_easy_afternm(plain, data + 8, len - 8, nonce, s->shared) == 0 ? 0 : ZMTP_E_CRYPTO;
    if (rc == 0) {
        s->peer_nonce = n;
        rc = mech_accept_metadata(&s->m, plain, plain_len);
    }
    free(plain);
    if (rc < 0)
        return mech_fail(&s->m, rc);
    s->phase = CURVE_DONE;
    return 0;
}

/* ---- server side ---------------------------------------------------------------------------------- */
static int curve_hello(struct curve_state *s, const uint8_t *body, size_t len)
{
    uint8_t nonce[crypto_box_NONCEBYTES], zeros[64];

    if (len != HELLO_SIZE)
        return mech_fail(&s->m, ZMTP_E_MALFORMED_HELLO);
    if (body[6] != 1 || body[7] != 0)
        return mech_fail(&s->m, ZMTP_E_MALFORMED_HELLO);   /* version 1.0 only */
    uint64_t n = zmtp_get_be64(body + 112);
    short_nonce(nonce, "CurveZMQHELLO---", n);
    if (crypto_box_open_easy(zeros, body + 120, sizeof zeros + MAC, nonce, body + 80, s->secret_key) != 0)
        return mech_fail(&s->m, ZMTP_E_CRYPTO);
    memcpy(s->peer_transient, body + 80, KEY);
    s->peer_nonce = n;
    s->phase = CURVE_SEND_WELCOME;
    return 0;
}

/* The cookie: 16-byte nonce + SecretBox[C' + s'](K), K a fresh key for this handshake only. */
static int curve_welcome_write(struct curve_state *s, uint8_t *out, size_t cap)
{
    uint8_t nonce[crypto_box_NONCEBYTES], plain[KEY + COOKIE_SIZE], cookie_plain[2 * KEY];

    if (cap < WELCOME_SIZE)
        return ZMTP_E_TOO_LARGE;
    crypto_secretbox_keygen(s->cookie_key);
    memcpy(cookie_plain, s->peer_transient, KEY);
    memcpy(cookie_plain + KEY, s->cn_secret, KEY);
    uint8_t *cookie = plain + KEY;
    randombytes_buf(cookie, 16);
    long_nonce(nonce, "COOKIE--", cookie);
    crypto_secretbox_easy(cookie + 16, cookie_plain, sizeof cookie_plain, nonce, s->cookie_key);
    sodium_memzero(cookie_plain, sizeof cookie_plain);
    memcpy(plain, s->cn_public, KEY);
    memcpy(out, "\x07WELCOME", 8);
    randombytes_buf(out + 8, 16);
    long_nonce(nonce, "WELCOME-", out + 8);
    if (crypto_box_easy(out + 24, plain, sizeof plain, nonce, s->peer_transient, s->secret_key) != 0)
        return ZMTP_E_CRYPTO;
    s->phase = CURVE_WAIT_INITIATE;
    return WELCOME_SIZE;
}

/* The cookie must open with our key and name the transient keys of this very handshake. */
static int curve_check_cookie(struct curve_state *s, const uint8_t *cookie)
{
    uint8_t nonce[crypto_box_NONCEBYTES], plain[2 * KEY];
    int rc = 0;

    long_nonce(nonce, "COOKIE--", cookie);
    if (crypto_secretbox_open_easy(plain, cookie + 16, COOKIE_SIZE - 16, nonce, s->cookie_key) != 0)
        rc = ZMTP_E_CRYPTO;
    else if (sodium_memcmp(plain, s->peer_transient, KEY) != 0 || sodium_memcmp(plain + KEY, s->cn_secret, KEY) != 0)
        rc = ZMTP_E_KEY_EXCHANGE;
    sodium_memzero(plain, sizeof plain);
    sodium_memzero(s->cookie_key, sizeof s->cookie_key);   /* one use */
    return rc;
}

/* The vouch proves the holder of C made C' for talking to us: Box[C' + S](C -> S'). */
static int curve_check_vouch(struct curve_state *s, const uint8_t *client_key, const uint8_t *vouch)
{
    uint8_t nonce[crypto_box_NONCEBYTES], plain[2 * KEY];

    long_nonce(nonce, "VOUCH---", vouch);
    if (crypto_box_open_easy(plain, vouch + 16, VOUCH_SIZE - 16, nonce, client_key, s->cn_secret) != 0)
        return ZMTP_E_KEY_EXCHANGE;
    if (sodium_memcmp(plain, s->peer_transient, KEY) != 0 || sodium_memcmp(plain + KEY, s->public_key, KEY) != 0)
        return ZMTP_E_KEY_EXCHANGE;
    return 0;
}

static int curve_initiate_open(struct curve_state *s, const uint8_t *data, size_t len, uint8_t *plain)
{
    uint8_t nonce[crypto_box_NONCEBYTES];
    int rc = curve_check_cookie(s, data);
    if (rc < 0)
        return rc;
    uint64_t n = zmtp_get_be64(data + COOKIE_SIZE);
    if (n <= s->peer_nonce)
        return ZMTP_E_SEQUENCE;
    if (curve_shared_key(s) != 0)
        return ZMTP_E_CRYPTO;
    short_nonce(nonce, "CurveZMQINITIATE", n);
    size_t box_len = len - COOKIE_SIZE - 8;
    if (crypto_box_open_easy_afternm(plain, data + COOKIE_SIZE + 8, box_len, nonce, s->shared) != 0)
        return ZMTP_E_CRYPTO;
    s->peer_nonce = n;
    rc = curve_check_vouch(s, plain, plain + KEY);
    if (rc < 0)
        return rc;
    memcpy(s->client_key, plain, KEY);
    return mech_accept_metadata(&s->m, plain + KEY + VOUCH_SIZE, box_len - MAC - KEY - VOUCH_SIZE);
}

static int curve_initiate(struct curve_state *s, const uint8_t *data, size_t len)
{
    if (len + 9 < INITIATE_MIN || len + 9 > INITIATE_MAX)
        return mech_fail(&s->m, ZMTP_E_MALFORMED_INITIATE);
    uint8_t *plain = malloc(len);
    if (!plain)
        return mech_fail(&s->m, ZMTP_E_NOMEM);
    int rc = curve_initiate_open(s, data, len, plain);
    sodium_memzero(plain, len);
    free(plain);
    if (rc < 0)
        return mech_fail(&s->m, rc);
    s->phase = CURVE_SEND_READY;
    s->m.zap_pending = s->m.zap;
    return 0;
}

/* ready = %x05 "READY" ready-nonce Box[metadata](S' -> C') */
static int curve_ready_write(struct curve_state *s, uint8_t *out, size_t cap)
{
    uint8_t meta[512], nonce[crypto_box_NONCEBYTES];
    size_t meta_len = mech_metadata_write(&s->m, meta, sizeof meta);
    uint64_t n;

    if (meta_len == 0 || cap < 6 + 8 + MAC + meta_len)
        return ZMTP_E_TOO_LARGE;
    if (next_nonce(s, &n) < 0)
        return ZMTP_E_SEQUENCE;
    memcpy(out, "\x05READY", 6);
    zmtp_put_be64(out + 6, n);
    short_nonce(nonce, "CurveZMQREADY---", n);
    if (crypto_box_easy_afternm(out + 14, meta, meta_len, nonce, s->shared) != 0)
        return ZMTP_E_CRYPTO;
    s->phase = CURVE_DONE;
    return (int)(6 + 8 + MAC + meta_len);
}

/* ---- the mechanism ops ------------------------------------------------------------------------------ */
static int curve_next_command(void *state, uint8_t *out, size_t cap)
{
    struct curve_state *s = state;
    bool failed;
    int rc = mech_error_command(&s->m, out, cap, &failed);

    if (failed)
        return rc;
    switch (s->phase) {
    case CURVE_SEND_HELLO:
        rc = curve_hello_write(s, out, cap);
        if (rc > 0)
            s->phase = CURVE_WAIT_WELCOME;
        return rc;
    case CURVE_SEND_INITIATE:
        return curve_initiate_write(s, out, cap);
    case CURVE_SEND_WELCOME:
        return curve_welcome_write(s, out, cap);
    case CURVE_SEND_READY:
        return s->m.zap_pending ? 0 : curve_ready_write(s, out, cap);
    default:
        return 0;
    }
}

static int curve_process_command(void *state, const uint8_t *body, size_t len)
{
    struct curve_state *s = state;
    struct zmtp_command cmd;

    if (s->m.error != 0)
        return s->m.error;
    if (zmtp_command_parse(body, len, &cmd) < 0)
        return mech_fail(&s->m, ZMTP_E_MALFORMED);
    if (cmd.id == ZMTP_CMD_ERROR)
        return mech_peer_error(&s->m, cmd.data, cmd.data_len);
    if (s->phase == CURVE_WAIT_HELLO && cmd.id == ZMTP_CMD_HELLO)
        return curve_hello(s, body, len);
    if (s->phase == CURVE_WAIT_INITIATE && cmd.id == ZMTP_CMD_INITIATE)
        return curve_initiate(s, cmd.data, cmd.data_len);
    if (s->phase == CURVE_WAIT_WELCOME && cmd.id == ZMTP_CMD_WELCOME)
        return curve_welcome(s, cmd.data, cmd.data_len);
    if (s->phase == CURVE_WAIT_READY && cmd.id == ZMTP_CMD_READY)
        return curve_ready(s, cmd.data, cmd.data_len);
    return mech_fail(&s->m, ZMTP_E_COMMAND);
}

static enum zmtp_mech_status curve_status(const void *state)
{
    const struct curve_state *s = state;

    return mech_status(&s->m, s->phase == CURVE_DONE);
}

static const struct zmtp_peer_info *curve_peer(const void *state)
{
    const struct curve_state *s = state;

    return &s->m.peer;
}

static int curve_zap_request(const void *state, struct zmtp_zap_request *req)
{
    const struct curve_state *s = state;

    if (mech_zap_request_begin(&s->m, req, "CURVE") < 0)
        return ZMTP_E_COMMAND;
    req->credential[0] = s->client_key;
    req->credential_len[0] = KEY;
    req->credential_count = 1;
    return 0;
}

static void curve_zap_result(void *state, int status_code)
{
    struct curve_state *s = state;

    mech_zap_result(&s->m, status_code);
}

/* ---- MESSAGE (RFC 26 "The MESSAGE Command") --------------------------------------------------------- */
static size_t curve_wrap_size(size_t len)
{
    return MESSAGE_OVERHEAD + len;
}

/* message = %x07 "MESSAGE" message-nonce Box[flags + payload]; boxed in place in out, whose first 32 bytes
 * (name, nonce, MAC) serve as the box's scratch space until they are written. */
static int curve_wrap(void *state, uint8_t flags, const uint8_t *data, size_t len, uint8_t *out)
{
    struct curve_state *s = state;
    uint8_t counter[8];
    uint64_t n;

    if (next_nonce(s, &n) < 0)
        return ZMTP_E_SEQUENCE;
    zmtp_put_be64(counter, n);
    out[32] = (uint8_t)((flags & ZMTP_FLAG_MORE ? 0x01 : 0) | (flags & ZMTP_FLAG_COMMAND ? 0x02 : 0));
    if (len)
        memcpy(out + 33, data, len);
    curve_box_seal(&s->tx, counter, out, len + 1, out + 16);
    memcpy(out, "\x07MESSAGE", 8);
    memcpy(out + 8, counter, 8);
    return (int)(MESSAGE_OVERHEAD + len);
}

static int curve_unwrap(void *state, uint8_t *body, size_t len, uint8_t **data, size_t *data_len, uint8_t *flags)
{
    struct curve_state *s = state;

    if (len < MESSAGE_OVERHEAD || memcmp(body, "\x07MESSAGE", 8) != 0)
        return ZMTP_E_MALFORMED_MESSAGE;
    uint64_t n = zmtp_get_be64(body + 8);
    if (n <= s->peer_nonce)
        return ZMTP_E_SEQUENCE;
    if (curve_box_open(&s->rx, body + 8, body + 32, len - 32, body + 16) != 0)
        return ZMTP_E_CRYPTO;
    s->peer_nonce = n;
    if (body[32] & ~MESSAGE_FLAGS_KNOWN)
        return ZMTP_E_MALFORMED_MESSAGE;
    *flags = (uint8_t)((body[32] & 0x01 ? ZMTP_FLAG_MORE : 0) | (body[32] & 0x02 ? ZMTP_FLAG_COMMAND : 0));
    *data = body + 33;
    *data_len = len - 33;
    return 0;
}

static const struct zmtp_transform_ops curve_transform = {
    .wrap_size = curve_wrap_size,
    .wrap = curve_wrap,
    .unwrap = curve_unwrap,
};

const struct zmtp_mechanism_ops zmtp_mech_curve = {
    .name = "CURVE",
    .state_size = sizeof(struct curve_state),
    .init = curve_init,
    .fini = curve_fini,
    .next_command = curve_next_command,
    .process_command = curve_process_command,
    .status = curve_status,
    .peer = curve_peer,
    .zap_request = curve_zap_request,
    .zap_result = curve_zap_result,
    .transform = &curve_transform,
};

#endif /* ZINC_HAVE_SODIUM */
