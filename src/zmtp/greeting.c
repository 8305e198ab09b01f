/* The ZMTP greeting: the 10-byte signature, the rest of the 64-byte 3.x greeting, and the ZMTP 2.0
 * socket-type byte. Writers and checkers only; the staging (what to send when) is the engine's. */
#include <assert.h>
#include <string.h>

#include "zmtp/zmtp.h"

/* RFC 23 "Detecting ZMTP 1.0 and 2.0 Peers": FF, 8-byte big-endian (identity length + 1), 7F. zinc's
 * identity on the wire is always empty here, so the padding reads as 1 to a ZMTP 1.0 peer. */
void zmtp_signature_write(uint8_t out[ZMTP_SIGNATURE_SIZE])
{
    memset(out, 0, ZMTP_SIGNATURE_SIZE);
    out[0] = 0xFF;
    out[8] = 1;
    out[9] = 0x7F;
}

/* RFC 23 "Detecting ZMTP 1.0 and 2.0 Peers": first octet not FF, or bit 0 of the 10th octet clear, is a
 * ZMTP 1.0 identity frame. The padding "SHALL NOT" be interpreted, so bytes 1..8 are never looked at. */
int zmtp_signature_check(const uint8_t *in, size_t len)
{
    if (len >= 1 && in[0] != 0xFF)
        return ZMTP_E_SIGNATURE;
    if (len < ZMTP_SIGNATURE_SIZE)
        return 0;
    if ((in[9] & 0x01) == 0)
        return ZMTP_E_SIGNATURE;
    return ZMTP_SIGNATURE_SIZE;
}

/* RFC 23 "Formal Grammar": minor, mechanism (20 octets, NUL padded), as-server, filler (31 zero octets). */
void zmtp_greeting_tail_write(uint8_t out[ZMTP_GREETING_TAIL_SIZE], uint8_t minor, const char *mechanism,
                              bool as_server)
{
    size_t name_len = strlen(mechanism);

    assert(name_len >= 1 && name_len <= ZMTP_MECHANISM_SIZE);
    memset(out, 0, ZMTP_GREETING_TAIL_SIZE);
    out[0] = minor;
    memcpy(out + ZMTP_GREETING_MECH - ZMTP_GREETING_MINOR, mechanism, name_len);
    out[ZMTP_GREETING_AS_SERVER - ZMTP_GREETING_MINOR] = as_server ? 1 : 0;
}

/* RFC 23: mechanism-char = "A"-"Z" | DIGIT | "-" | "_" | "." | "+" */
static bool greeting_mechanism_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '+';
}

/* Copies the NUL-padded name into out (21 bytes). The name must be 1..20 valid characters and the padding
 * after it all NUL: an embedded NUL followed by more characters is not a name. */
static int greeting_mechanism_parse(const uint8_t in[ZMTP_MECHANISM_SIZE],
                                    char out[ZMTP_MECHANISM_SIZE + 1])
{
    size_t name_len = 0;

    while (name_len < ZMTP_MECHANISM_SIZE && in[name_len] != 0) {
        if (!greeting_mechanism_char(in[name_len]))
            return ZMTP_E_MECHANISM;
        name_len++;
    }
    if (name_len == 0)
        return ZMTP_E_MECHANISM;
    for (size_t i = name_len; i < ZMTP_MECHANISM_SIZE; i++) {
        if (in[i] != 0)
            return ZMTP_E_MECHANISM;
    }
    memcpy(out, in, name_len);
    out[name_len] = '\0';
    return 0;
}

/* RFC 23 "Version Negotiation": a peer MUST accept versions >= 3.0 and speak its own protocol to them, so
 * a 3.2 or 4.0 peer is recorded as 3.1, the highest we know. */
int zmtp_greeting_parse(const uint8_t in[ZMTP_GREETING_SIZE], struct zmtp_greeting *out)
{
    uint8_t major = in[ZMTP_GREETING_MAJOR];
    uint8_t minor = in[ZMTP_GREETING_MINOR];
    int rc = zmtp_signature_check(in, ZMTP_SIGNATURE_SIZE);

    if (rc < 0)
        return rc;
    if (major < 3)
        return ZMTP_E_VERSION;
    rc = greeting_mechanism_parse(in + ZMTP_GREETING_MECH, out->mechanism);
    if (rc < 0)
        return rc;
    out->major = 3;
    out->minor = (major > 3 || minor >= 1) ? 1 : 0;
    out->as_server = in[ZMTP_GREETING_AS_SERVER] != 0;
    return ZMTP_GREETING_SIZE;
}

/* RFC 15 "Formal Grammar": socket-type = PAIR %x00 ... PUSH %x08; libzmq 3.x also sent XPUB 9, XSUB 10. */
int zmtp2_socket_type_valid(int type)
{
    return type >= 0 && type <= 10;
}
