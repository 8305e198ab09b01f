/* The ZMTP wire codec: greeting, frame headers, commands, metadata and the security mechanisms behind a
 * table. Pure code: no I/O, no threads, no allocation outside the mechanism's own state. Every length that
 * comes from the peer is checked against the buffer it claims to live in and against configured limits
 * before anyone copies or allocates with it.
 *
 * Wire references: RFC 23 (ZMTP 3.0), RFC 37 (ZMTP 3.1), RFC 15 (ZMTP 2.0 fallback).
 *
 * Return convention for parsers (picohttpparser style):
 *   > 0   bytes consumed (or the value asked for)
 *   0     need more bytes; nothing consumed
 *   < 0   a ZMTP_E_* code; the connection must be closed with zmtp_strerror(code) as the reason
 */
#ifndef ZINC_ZMTP_H
#define ZINC_ZMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- errors --------------------------------------------------------------------------------------- */
enum {
    ZMTP_E_SIGNATURE = -1,     /* first 10 bytes are not a ZMTP 2.0+ signature */
    ZMTP_E_VERSION = -2,       /* major version we do not speak */
    ZMTP_E_MECHANISM = -3,     /* unknown mechanism, or different from ours */
    ZMTP_E_FLAGS = -4,         /* reserved flag bits set, or COMMAND with MORE */
    ZMTP_E_TOO_LARGE = -5,     /* frame larger than the configured limit (ZMQ_MAXMSGSIZE) */
    ZMTP_E_MALFORMED = -6,     /* a length points outside its frame */
    ZMTP_E_COMMAND = -7,       /* unknown or unexpected command */
    ZMTP_E_SOCKET_TYPE = -8,   /* peer socket type missing or incompatible */
    ZMTP_E_METADATA = -9,      /* bad property name or value */
    ZMTP_E_AUTH = -10,         /* the mechanism refused the peer */
    ZMTP_E_ERROR_CMD = -11,    /* the peer sent ERROR */
    ZMTP_E_NOMEM = -12,        /* the mechanism could not allocate (its copy of the peer's metadata) */
    ZMTP_E_MALFORMED_HELLO = -13,    /* PLAIN/CURVE HELLO of the wrong size or with bad lengths */
    ZMTP_E_MALFORMED_WELCOME = -14,
    ZMTP_E_MALFORMED_INITIATE = -15,
    ZMTP_E_MALFORMED_READY = -16,
    ZMTP_E_MALFORMED_MESSAGE = -17,  /* CURVE MESSAGE too short, or its flags byte has unknown bits */
    ZMTP_E_CRYPTO = -18,             /* a box failed to open: wrong keys, forged or damaged */
    ZMTP_E_SEQUENCE = -19,           /* a CURVE short nonce did not increase (replayed or reordered) */
    ZMTP_E_KEY_EXCHANGE = -20,       /* CURVE INITIATE's vouch does not match the keys in use */
    ZMTP_E_MALFORMED_ERROR = -21,    /* an ERROR command cut short */
};
const char *zmtp_strerror(int code);

/* ---- greeting (RFC 23 section "The Greeting") ------------------------------------------------------- */
#define ZMTP_SIGNATURE_SIZE 10
#define ZMTP_GREETING_SIZE 64
#define ZMTP_MECHANISM_SIZE 20
/* Offsets inside the 64-byte greeting. */
#define ZMTP_GREETING_MAJOR 10
#define ZMTP_GREETING_MINOR 11
#define ZMTP_GREETING_MECH 12
#define ZMTP_GREETING_AS_SERVER 32
/* What zinc announces: ZMTP 3.1. */
#define ZMTP_VERSION_MAJOR 3
#define ZMTP_VERSION_MINOR 1

/* Writes the 10-byte signature: FF, 8 bytes big-endian (identity length + 1), 7F. zinc always announces an
 * empty identity (length + 1 = 1), which a ZMTP 1.0 peer reads as an empty identity frame. */
void zmtp_signature_write(uint8_t out[ZMTP_SIGNATURE_SIZE]);

/* Checks the peer's first bytes. len may be anything (0 included): returns 0 while the bytes so far can
 * still start a valid signature and more are needed, ZMTP_SIGNATURE_SIZE once all 10 are valid (bytes past
 * the 10th are not looked at), or ZMTP_E_SIGNATURE. A ZMTP 1.0 peer is refused this way: its first byte is
 * not FF, or its 10th byte has bit 0 clear (RFC 23 "Detecting ZMTP 1.0 and 2.0 Peers"). The 8 padding
 * bytes are not significant and are not checked. */
int zmtp_signature_check(const uint8_t *in, size_t len);

/* Writes greeting bytes 11..63 (minor, mechanism, as-server, filler): 53 bytes. */
#define ZMTP_GREETING_TAIL_SIZE (ZMTP_GREETING_SIZE - ZMTP_GREETING_MINOR)
void zmtp_greeting_tail_write(uint8_t out[ZMTP_GREETING_TAIL_SIZE], uint8_t minor, const char *mechanism,
                              bool as_server);

struct zmtp_greeting {
    uint8_t major;                              /* 3 (a higher peer version is recorded as 3.1) */
    uint8_t minor;                              /* 0 or 1 (anything higher is recorded as 1) */
    char mechanism[ZMTP_MECHANISM_SIZE + 1];    /* NUL-terminated name, e.g. "NULL" */
    bool as_server;                             /* the peer's byte 32 was non-zero */
};
/* Parses a full 64-byte 3.x greeting (reads exactly 64 bytes). Returns ZMTP_GREETING_SIZE or:
 *   ZMTP_E_SIGNATURE  bytes 0..9 fail zmtp_signature_check
 *   ZMTP_E_VERSION    major < 3 (a 2.0 peer must be caught at byte 10, before asking for 64 bytes)
 *   ZMTP_E_MECHANISM  the name is empty, has a character outside A-Z 0-9 - _ . +, or has bytes after
 *                     its NUL padding started. Whether it is the mechanism we use is the caller's check.
 * The filler is not checked (a later minor version may use it). */
int zmtp_greeting_parse(const uint8_t in[ZMTP_GREETING_SIZE], struct zmtp_greeting *out);

/* ZMTP 2.0 (RFC 15): after the signature, a revision byte (01) and the socket type byte, then the identity
 * as one short final frame (parse it with zmtp_frame_header_parse, version 2). The revision byte sits
 * where 3.x has its major version, so a peer whose byte 10 is 1 or 2 speaks 2.0. The socket type byte
 * uses libzmq's numbers (PAIR 0 ... XSUB 10), so zmtp2_socket_type_valid is a range check: returns 1 if
 * valid, 0 if not (STREAM, 11, never handshakes). */
#define ZMTP2_REVISION 1
#define ZMTP2_GREETING_SIZE 12  /* signature, revision, socket type */
int zmtp2_socket_type_valid(int type);

/* ---- frames (RFC 23 "Framing", RFC 15 for 2.0) -------------------------------------------------------- */
#define ZMTP_FLAG_MORE 0x01
#define ZMTP_FLAG_LONG 0x02
#define ZMTP_FLAG_COMMAND 0x04
#define ZMTP_FRAME_HEADER_MAX 9

struct zmtp_frame_header {
    uint8_t flags;  /* ZMTP_FLAG_MORE and/or ZMTP_FLAG_COMMAND; LONG is consumed by the parser */
    uint64_t size;  /* body size, already checked against max_size */
};
/* Parses one frame header. version is 2 (RFC 15: bits 2-7 reserved, so no COMMAND) or 3 (RFC 23: bits 3-7
 * reserved, COMMAND must not carry MORE). max_size < 0 means no limit; it applies to every frame, commands
 * included (pass a larger limit during the handshake if ZMQ_MAXMSGSIZE is tiny). A long size above
 * INT64_MAX is ZMTP_E_TOO_LARGE whatever max_size says. A long header may carry a size below 256.
 * Bad flags are reported as soon as the first byte is in, a bad size as soon as the size is in.
 * Returns the header length (2 or 9), 0 if more bytes are needed, or ZMTP_E_FLAGS / ZMTP_E_TOO_LARGE. */
int zmtp_frame_header_parse(const uint8_t *in, size_t len, int version, int64_t max_size,
                            struct zmtp_frame_header *out);
/* Writes a frame header for a body of size bytes (at most INT64_MAX); chooses the short form when
 * size < 256. flags may hold MORE and/or COMMAND; LONG is set here. Returns 2 or 9. */
size_t zmtp_frame_header_write(uint8_t out[ZMTP_FRAME_HEADER_MAX], uint64_t size, uint8_t flags);

/* ---- commands (RFC 23 "Commands", RFC 37 for SUBSCRIBE/CANCEL/PING/PONG) ------------------------------ */
enum zmtp_command_id {
    ZMTP_CMD_UNKNOWN = 0,
    ZMTP_CMD_READY,
    ZMTP_CMD_ERROR,
    ZMTP_CMD_SUBSCRIBE,
    ZMTP_CMD_CANCEL,
    ZMTP_CMD_PING,
    ZMTP_CMD_PONG,
    ZMTP_CMD_HELLO,
    ZMTP_CMD_WELCOME,
    ZMTP_CMD_INITIATE,
    ZMTP_CMD_MESSAGE,
    ZMTP_CMD_JOIN,          /* RADIO/DISH (libzmq 4.3): JOIN / LEAVE + the group's bytes, no length prefix */
    ZMTP_CMD_LEAVE,
};
struct zmtp_command {
    enum zmtp_command_id id;
    const uint8_t *name;    /* slice of the input */
    size_t name_len;
    const uint8_t *data;    /* slice of the input: everything after the name */
    size_t data_len;
};
/* Parses a command frame body: name-size, name, data. Returns 1 or ZMTP_E_MALFORMED (empty body, empty
 * name, name past the end). Names are matched exactly ("READY", not "ready"); any other name, valid or
 * not, gives ZMTP_CMD_UNKNOWN for the caller to refuse or ignore. */
int zmtp_command_parse(const uint8_t *body, size_t len, struct zmtp_command *out);
/* Writes name-size + name into out (cap bytes). Returns bytes written or 0 if it does not fit (or the
 * name is empty or longer than 255). */
size_t zmtp_command_name_write(uint8_t *out, size_t cap, const char *name);
/* Writes a whole command body: name-size + name + data_len bytes of data (SUBSCRIBE, CANCEL, ...).
 * Returns bytes written or 0 if it does not fit. The frame header is the caller's. */
size_t zmtp_command_write(uint8_t *out, size_t cap, const char *name, const void *data, size_t data_len);

/* PING (RFC 37 "Connection Heartbeating"): 2-byte TTL (tenths of a second) + up to 16 bytes of context.
 * zmtp_ping_parse takes the command's data (after the name). Returns 1, or ZMTP_E_MALFORMED when the TTL
 * is cut short or the context is longer than 16 bytes. */
#define ZMTP_PING_CONTEXT_MAX 16
int zmtp_ping_parse(const uint8_t *data, size_t len, uint16_t *ttl, const uint8_t **context,
                    size_t *context_len);
/* Write whole PING / PONG command bodies. Return bytes written, or 0 if cap is too small or context_len
 * is above ZMTP_PING_CONTEXT_MAX. A PONG echoes the PING's context. */
size_t zmtp_ping_write(uint8_t *out, size_t cap, uint16_t ttl, const void *context, size_t context_len);
size_t zmtp_pong_write(uint8_t *out, size_t cap, const void *context, size_t context_len);

/* ERROR (RFC 23 "The NULL Security Mechanism"): a reason of 0..255 bytes behind a 1-byte length.
 * zmtp_error_parse takes the command's data; returns 1 or ZMTP_E_MALFORMED. A reason longer than 255
 * bytes is cut to 255 by zmtp_error_write, which returns bytes written or 0 if cap is too small. */
#define ZMTP_ERROR_REASON_MAX 255
int zmtp_error_parse(const uint8_t *data, size_t len, const uint8_t **reason, size_t *reason_len);
size_t zmtp_error_write(uint8_t *out, size_t cap, const char *reason);

/* ---- metadata (RFC 23 "The READY command": property = name (1-byte len) value (4-byte len)) ----------- */
struct zmtp_property {
    const uint8_t *name;
    size_t name_len;    /* 1..255 */
    const uint8_t *value;
    size_t value_len;
};
/* Iterates properties: *pos starts at data, returns 1 with *prop filled (slices of the input) and *pos
 * moved past it, 0 at the end, ZMTP_E_METADATA (and *pos untouched) on an empty name, a name character
 * outside A-Z a-z 0-9 - _ . +, a value length above INT32_MAX, or a length past end. Names are compared
 * case-insensitively by zmtp_property_is. */
int zmtp_metadata_next(const uint8_t **pos, const uint8_t *end, struct zmtp_property *prop);
bool zmtp_property_is(const struct zmtp_property *prop, const char *name);
/* Appends one property. Returns bytes written, or 0 if cap is too small, the name is invalid or the value
 * is longer than INT32_MAX. */
size_t zmtp_metadata_write(uint8_t *out, size_t cap, const char *name, const void *value, size_t value_len);

/* Socket type names as READY carries them ("PAIR", "PUB", ...), indexed by libzmq socket type number;
 * NULL outside PAIR..STREAM, SERVER, CLIENT. from_name is exact (case-sensitive) and knows PAIR..XSUB,
 * SERVER and CLIENT (not STREAM). */
const char *zmtp_socket_type_name(int type);
/* A type that handshakes with ZMTP 3.x (every named type but STREAM: PAIR..XSUB, SERVER, CLIENT). */
bool zmtp_socket_type_handshakes(int type);
int zmtp_socket_type_from_name(const uint8_t *name, size_t len);   /* -1 if unknown */
/* RFC 23 compatibility table (plus libzmq's: STREAM never handshakes), and RFC 41's SERVER <-> CLIENT.
 * Symmetric; false for any number outside PAIR..XSUB, SERVER, CLIENT. */
bool zmtp_socket_types_compatible(int ours, int theirs);

/* ---- mechanisms -------------------------------------------------------------------------------------- */
/* A mechanism runs the handshake after the greeting: it produces commands to send and consumes commands
 * received, then (CURVE) wraps and unwraps message frames. It never does I/O. The engine calls:
 *
 *   init -> loop { next_command (send what it gives) ; process_command (for each command received) }
 *   until status() == ZMTP_MECH_READY or ZMTP_MECH_ERROR.
 *
 * When process_command refuses the peer (status ERROR), next_command may still give one ERROR command
 * telling the peer why (RFC 23 "Error Handling"); the engine may send it before closing, or not.
 * fini is safe after a failed init, and after init alone. The state must not move between init and fini.
 * The mechanism owns the peer properties it received (valid until fini). */
/* ZAP (RFC 27): a mechanism configured with zap = true stops in ZMTP_MECH_ZAP_PENDING once it holds the
 * peer's credentials (PLAIN: HELLO; CURVE: INITIATE; NULL: at once). The engine then reads them with
 * zap_request, asks the handler (or decides there is none) and hands the status code to zap_result:
 *   200       the handshake goes on (WELCOME for PLAIN, READY for NULL and CURVE)
 *   300       the handshake fails quietly: no ERROR command (libzmq: a temporary failure, the peer retries)
 *   400, 500  the handshake fails; next_command gives ERROR with the code ("400") as its reason
 * The mechanism never talks to the handler itself. */
enum zmtp_mech_status { ZMTP_MECH_HANDSHAKING, ZMTP_MECH_READY, ZMTP_MECH_ERROR, ZMTP_MECH_ZAP_PENDING };

#define ZMTP_KEY_SIZE 32
struct zmtp_mech_config {
    int socket_type;            /* our libzmq socket type */
    const uint8_t *identity;    /* our routing id, sent in READY for REQ, DEALER, ROUTER */
    size_t identity_len;
    bool as_server;             /* from our own options (PLAIN/CURVE server), never from the peer */
    bool zap;                   /* stop in ZMTP_MECH_ZAP_PENDING for a ZAP decision (see above) */
    /* PLAIN client: the credentials sent in HELLO (NUL-terminated, up to 255 bytes each). */
    const char *username;
    const char *password;
    /* CURVE: our long-term keys; the server's public key (client only). The mechanism copies them and
     * wipes its copies in fini. */
    const uint8_t *public_key;
    const uint8_t *secret_key;
    const uint8_t *server_key;
};

/* What the engine sends the ZAP handler: the mechanism's name and up to two credential frames (PLAIN:
 * username, password; CURVE: the client's public key; NULL: none). Slices of the mechanism's state,
 * valid until the next call on it. */
struct zmtp_zap_request {
    const char *mechanism;
    const uint8_t *credential[2];
    size_t credential_len[2];
    int credential_count;
};


/* next_command's out buffer must hold at least this much (our READY: Socket-Type and a 255-byte
 * Identity need 296 bytes); a smaller cap gives ZMTP_E_TOO_LARGE. */
#define ZMTP_MECH_COMMAND_MIN 512

/* Peer metadata as it came in READY/WELCOME/INITIATE. metadata is the mechanism's private copy of the
 * property list (RFC 23 grammar, already validated): walk it with zmtp_metadata_next or look a name up
 * with zmtp_peer_property. Valid until the mechanism's fini. */
#define ZMTP_IDENTITY_MAX 255
struct zmtp_peer_info {
    int socket_type;                    /* libzmq number; -1 until known */
    uint8_t identity[ZMTP_IDENTITY_MAX]; /* the peer's Identity property, if it sent one */
    size_t identity_len;                /* 0 if absent or empty */
    const uint8_t *metadata;            /* every property the peer sent; NULL until known */
    size_t metadata_len;
    uint8_t error_reason[ZMTP_ERROR_REASON_MAX];    /* reason from the peer's ERROR command, for logs */
    size_t error_reason_len;
};
/* Finds a property by name (case-insensitive; the first if the peer sent it twice). Returns its value and
 * length, or NULL if absent. */
const uint8_t *zmtp_peer_property(const struct zmtp_peer_info *peer, const char *name, size_t *len);

struct zmtp_mechanism_ops {
    const char *name;           /* as in the greeting: "NULL", "PLAIN", "CURVE" */
    size_t state_size;          /* the engine allocates this many bytes for the state */
    int (*init)(void *state, const struct zmtp_mech_config *cfg);
    void (*fini)(void *state);
    /* Produces the next command body to send (name-size + name + data), if any. Returns its length, 0 if
     * nothing to send now, or a ZMTP_E_* code. out has cap (>= ZMTP_MECH_COMMAND_MIN) bytes. */
    int (*next_command)(void *state, uint8_t *out, size_t cap);
    /* Consumes one received command body. Returns 0 or a ZMTP_E_* code (then status() is ERROR, and
     * stays so: later calls return the same code). */
    int (*process_command)(void *state, const uint8_t *body, size_t len);
    enum zmtp_mech_status (*status)(const void *state);
    const struct zmtp_peer_info *(*peer)(const void *state);
    /* ZAP (NULL if the mechanism never asks): see ZMTP_MECH_ZAP_PENDING. zap_request fills req while the
     * status is ZAP_PENDING (0, or ZMTP_E_COMMAND otherwise); zap_result takes the handler's code. */
    int (*zap_request)(const void *state, struct zmtp_zap_request *req);
    void (*zap_result)(void *state, int status_code);
    /* Once READY, the per-message transform (CURVE), or NULL for none (NULL, PLAIN): */
    const struct zmtp_transform_ops *transform;
};

/* A message transform that outlives the handshake (CURVE MESSAGE boxes). The engine keeps the mechanism's
 * state after READY when transform is set, and passes every frame after the handshake through it.
 *   wrap: encrypts one frame (flags ZMTP_FLAG_MORE and/or ZMTP_FLAG_COMMAND; a command frame's body is
 *         name-size + name + data) into out, which holds wrap_size(len) bytes: a whole command body
 *         ("MESSAGE" + nonce + box) to be framed with no flags. Returns the bytes written or ZMTP_E_*.
 *   unwrap: opens one received frame body in place; on success *data and *len give the plaintext (inside
 *         body) and *flags its ZMTP_FLAG_MORE / ZMTP_FLAG_COMMAND bits. Returns 0 or ZMTP_E_*. */
struct zmtp_transform_ops {
    size_t (*wrap_size)(size_t len);
    int (*wrap)(void *state, uint8_t flags, const uint8_t *data, size_t len, uint8_t *out);
    int (*unwrap)(void *state, uint8_t *body, size_t len, uint8_t **data, size_t *data_len, uint8_t *flags);
};

/* The table: NULL (and PLAIN/CURVE once they exist). Looks up by the greeting's mechanism field (exact,
 * case-sensitive, as zmtp_greeting_parse leaves it). Returns NULL for a name zinc does not implement. */
const struct zmtp_mechanism_ops *zmtp_mechanism_find(const char *name);
extern const struct zmtp_mechanism_ops zmtp_mech_null;
extern const struct zmtp_mechanism_ops zmtp_mech_plain;
#ifdef ZINC_HAVE_SODIUM
extern const struct zmtp_mechanism_ops zmtp_mech_curve;
#endif

/* A ZAP status code from a peer's ERROR reason: 300, 400 or 500 when the reason is exactly that text
 * (libzmq reports those as an authentication failure), else 0. */
int zmtp_error_status_code(const uint8_t *reason, size_t len);

#endif
