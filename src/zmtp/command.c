/* ZMTP commands: the name/data split of a command body, the few commands whose data has a shape (PING,
 * PONG, ERROR), and the socket types READY names with the table of which may talk to which. */
#include <string.h>

#include "zmtp/wire.h"
#include "zmtp/zmtp.h"

/* ---- command bodies ------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    enum zmtp_command_id id;
} command_names[] = {
    {"READY", ZMTP_CMD_READY},       {"ERROR", ZMTP_CMD_ERROR},     {"SUBSCRIBE", ZMTP_CMD_SUBSCRIBE},
    {"CANCEL", ZMTP_CMD_CANCEL},     {"PING", ZMTP_CMD_PING},       {"PONG", ZMTP_CMD_PONG},
    {"HELLO", ZMTP_CMD_HELLO},       {"WELCOME", ZMTP_CMD_WELCOME}, {"INITIATE", ZMTP_CMD_INITIATE},
    {"MESSAGE", ZMTP_CMD_MESSAGE},   {"JOIN", ZMTP_CMD_JOIN},       {"LEAVE", ZMTP_CMD_LEAVE},
};

static enum zmtp_command_id command_lookup(const uint8_t *name, size_t name_len)
{
    for (size_t i = 0; i < sizeof command_names / sizeof command_names[0]; i++) {
        if (strlen(command_names[i].name) == name_len && memcmp(command_names[i].name, name, name_len) == 0)
            return command_names[i].id;
    }
    return ZMTP_CMD_UNKNOWN;
}

/* RFC 37 "Formal Grammar": command-body = command-name command-data;
 * command-name = short-size 1*255command-name-char. */
int zmtp_command_parse(const uint8_t *body, size_t len, struct zmtp_command *out)
{
    size_t name_len;

    if (len < 1)
        return ZMTP_E_MALFORMED;
    name_len = body[0];
    if (name_len == 0 || name_len > len - 1)
        return ZMTP_E_MALFORMED;
    out->name = body + 1;
    out->name_len = name_len;
    out->data = body + 1 + name_len;
    out->data_len = len - 1 - name_len;
    out->id = command_lookup(out->name, name_len);
    return 1;
}

size_t zmtp_command_name_write(uint8_t *out, size_t cap, const char *name)
{
    size_t name_len = strlen(name);

    if (name_len == 0 || name_len > 255 || cap < 1 + name_len)
        return 0;
    out[0] = (uint8_t)name_len;
    memcpy(out + 1, name, name_len);
    return 1 + name_len;
}

size_t zmtp_command_write(uint8_t *out, size_t cap, const char *name, const void *data, size_t data_len)
{
    size_t name_size = zmtp_command_name_write(out, cap, name);

    if (name_size == 0 || data_len > cap - name_size)
        return 0;
    if (data_len > 0)
        memcpy(out + name_size, data, data_len);
    return name_size + data_len;
}

/* ---- PING / PONG (RFC 37 "Connection Heartbeating") ------------------------------------------------ */

/* ping = command-size %d4 "PING" ping-ttl ping-context; ping-ttl = 2OCTET; ping-context = 0*16OCTET */
int zmtp_ping_parse(const uint8_t *data, size_t len, uint16_t *ttl, const uint8_t **context,
                    size_t *context_len)
{
    if (len < 2 || len - 2 > ZMTP_PING_CONTEXT_MAX)
        return ZMTP_E_MALFORMED;
    *ttl = zmtp_get_be16(data);
    *context = data + 2;
    *context_len = len - 2;
    return 1;
}

size_t zmtp_ping_write(uint8_t *out, size_t cap, uint16_t ttl, const void *context, size_t context_len)
{
    uint8_t data[2 + ZMTP_PING_CONTEXT_MAX];

    if (context_len > ZMTP_PING_CONTEXT_MAX)
        return 0;
    zmtp_put_be16(data, ttl);
    if (context_len > 0)
        memcpy(data + 2, context, context_len);
    return zmtp_command_write(out, cap, "PING", data, 2 + context_len);
}

/* pong = command-size %d4 "PONG" ping-context */
size_t zmtp_pong_write(uint8_t *out, size_t cap, const void *context, size_t context_len)
{
    if (context_len > ZMTP_PING_CONTEXT_MAX)
        return 0;
    return zmtp_command_write(out, cap, "PONG", context, context_len);
}

/* ---- ERROR (RFC 23 "The NULL Security Mechanism": error-reason = OCTET 0*255VCHAR) ------------------- */

/* The reason is only logged, so its characters are not checked; only that it fits the command. Bytes
 * after the reason are tolerated (a later revision may add fields). */
int zmtp_error_parse(const uint8_t *data, size_t len, const uint8_t **reason, size_t *reason_len)
{
    if (len < 1 || data[0] > len - 1)
        return ZMTP_E_MALFORMED;
    *reason = data + 1;
    *reason_len = data[0];
    return 1;
}

size_t zmtp_error_write(uint8_t *out, size_t cap, const char *reason)
{
    size_t reason_len = strlen(reason);
    size_t name_size = zmtp_command_name_write(out, cap, "ERROR");

    if (reason_len > ZMTP_ERROR_REASON_MAX)
        reason_len = ZMTP_ERROR_REASON_MAX;
    if (name_size == 0 || cap - name_size < 1 + reason_len)
        return 0;
    out[name_size] = (uint8_t)reason_len;
    memcpy(out + name_size + 1, reason, reason_len);
    return name_size + 1 + reason_len;
}

/* ---- socket types (RFC 23 "The Socket-Type Property"; numbers are libzmq's) -------------------------- */

enum {
    ST_PAIR, ST_PUB, ST_SUB, ST_REQ, ST_REP, ST_DEALER, ST_ROUTER, ST_PULL, ST_PUSH, ST_XPUB, ST_XSUB,
    ST_STREAM, ST_SERVER, ST_CLIENT, ST_RADIO, ST_DISH, ST_GATHER, ST_SCATTER, ST_DGRAM, ST_PEER, ST_CHANNEL,
    ST_COUNT
};

static const char *const socket_type_names[ST_COUNT] = {
    [ST_PAIR] = "PAIR",     [ST_PUB] = "PUB",       [ST_SUB] = "SUB",   [ST_REQ] = "REQ",
    [ST_REP] = "REP",       [ST_DEALER] = "DEALER", [ST_ROUTER] = "ROUTER", [ST_PULL] = "PULL",
    [ST_PUSH] = "PUSH",     [ST_XPUB] = "XPUB",     [ST_XSUB] = "XSUB", [ST_STREAM] = "STREAM",
    [ST_SERVER] = "SERVER", [ST_CLIENT] = "CLIENT", [ST_RADIO] = "RADIO",   [ST_DISH] = "DISH",
    [ST_GATHER] = "GATHER", [ST_SCATTER] = "SCATTER", [ST_DGRAM] = "DGRAM", [ST_PEER] = "PEER",
    [ST_CHANNEL] = "CHANNEL",
};

#define ST_BIT(t) (1u << (t))
/* Row = our type, bits = peer types we accept. The RFC 23 table, which is symmetric, with the draft types'
 * pairs (RFC 41, 48, 49, 51; CHANNEL with itself, as libzmq). STREAM and DGRAM have empty rows: STREAM
 * speaks raw TCP and DGRAM raw UDP, so neither reaches a handshake. */
static const unsigned socket_type_peers[ST_COUNT] = {
    [ST_PAIR] = ST_BIT(ST_PAIR),
    [ST_PUB] = ST_BIT(ST_SUB) | ST_BIT(ST_XSUB),
    [ST_XPUB] = ST_BIT(ST_SUB) | ST_BIT(ST_XSUB),
    [ST_SUB] = ST_BIT(ST_PUB) | ST_BIT(ST_XPUB),
    [ST_XSUB] = ST_BIT(ST_PUB) | ST_BIT(ST_XPUB),
    [ST_REQ] = ST_BIT(ST_REP) | ST_BIT(ST_ROUTER),
    [ST_REP] = ST_BIT(ST_REQ) | ST_BIT(ST_DEALER),
    [ST_DEALER] = ST_BIT(ST_REP) | ST_BIT(ST_DEALER) | ST_BIT(ST_ROUTER),
    [ST_ROUTER] = ST_BIT(ST_REQ) | ST_BIT(ST_DEALER) | ST_BIT(ST_ROUTER),
    [ST_PULL] = ST_BIT(ST_PUSH),
    [ST_PUSH] = ST_BIT(ST_PULL),
    [ST_STREAM] = 0,
    [ST_SERVER] = ST_BIT(ST_CLIENT),   /* RFC 41 */
    [ST_CLIENT] = ST_BIT(ST_SERVER),
    [ST_RADIO] = ST_BIT(ST_DISH),      /* RFC 48 */
    [ST_DISH] = ST_BIT(ST_RADIO),
    [ST_GATHER] = ST_BIT(ST_SCATTER),  /* RFC 49 */
    [ST_SCATTER] = ST_BIT(ST_GATHER),
    [ST_DGRAM] = 0,
    [ST_PEER] = ST_BIT(ST_PEER),       /* RFC 51 */
    [ST_CHANNEL] = ST_BIT(ST_CHANNEL),
};

const char *zmtp_socket_type_name(int type)
{
    if (type < 0 || type >= ST_COUNT)
        return NULL;
    return socket_type_names[type];
}

/* Exact and case-sensitive, as the grammar spells them. "STREAM" is not a wire name: -1. */
int zmtp_socket_type_from_name(const uint8_t *name, size_t len)
{
    for (int type = 0; type < ST_COUNT; type++) {
        if (zmtp_socket_type_handshakes(type) && strlen(socket_type_names[type]) == len && memcmp(socket_type_names[type], name, len) == 0)
            return type;
    }
    return -1;
}

bool zmtp_socket_type_handshakes(int type)
{
    return type >= 0 && type < ST_COUNT && type != ST_STREAM && type != ST_DGRAM;
}

bool zmtp_socket_types_compatible(int ours, int theirs)
{
    if (ours < 0 || ours >= ST_COUNT || theirs < 0 || theirs >= ST_COUNT)
        return false;
    return (socket_type_peers[ours] & ST_BIT(theirs)) != 0;
}
