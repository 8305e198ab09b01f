/* ZMTP metadata: the name/value property list that READY (and CURVE's INITIATE/WELCOME boxes) carry.
 * Iteration hands out slices of the input; nothing is copied or allocated. */
#include <string.h>

#include "zmtp/wire.h"
#include "zmtp/zmtp.h"

/* RFC 23 "The NULL Security Mechanism": name-char = ALPHA | DIGIT | "-" | "_" | "." | "+" */
static bool metadata_name_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '+';
}

static bool metadata_name_valid(const uint8_t *name, size_t len)
{
    if (len == 0 || len > 255)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!metadata_name_char(name[i]))
            return false;
    }
    return true;
}

/* property = name value; name = short-size 1*255name-char; value = 4OCTET *OCTET, 0..INT32_MAX octets.
 * Every comparison is "wanted <= what is left", so no sum of peer-chosen lengths can wrap. */
int zmtp_metadata_next(const uint8_t **pos, const uint8_t *end, struct zmtp_property *prop)
{
    const uint8_t *p = *pos;
    size_t left = (size_t)(end - p);
    size_t name_len;
    uint32_t value_len;

    if (left == 0)
        return 0;
    name_len = p[0];
    left -= 1;
    if (name_len > left || left - name_len < 4)
        return ZMTP_E_METADATA;
    if (!metadata_name_valid(p + 1, name_len))
        return ZMTP_E_METADATA;
    value_len = zmtp_get_be32(p + 1 + name_len);
    left -= name_len + 4;
    if (value_len > INT32_MAX || value_len > left)
        return ZMTP_E_METADATA;
    prop->name = p + 1;
    prop->name_len = name_len;
    prop->value = p + 1 + name_len + 4;
    prop->value_len = value_len;
    *pos = prop->value + value_len;
    return 1;
}

/* RFC 23: "The case (upper or lower) of names SHALL NOT be significant." ASCII folding only. */
static uint8_t metadata_fold(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

bool zmtp_property_is(const struct zmtp_property *prop, const char *name)
{
    size_t len = strlen(name);

    if (len != prop->name_len)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (metadata_fold(prop->name[i]) != metadata_fold((uint8_t)name[i]))
            return false;
    }
    return true;
}

size_t zmtp_metadata_write(uint8_t *out, size_t cap, const char *name, const void *value, size_t value_len)
{
    size_t name_len = strlen(name);

    if (!metadata_name_valid((const uint8_t *)name, name_len) || value_len > INT32_MAX)
        return 0;
    if (cap < 1 + name_len + 4 || value_len > cap - (1 + name_len + 4))
        return 0;
    out[0] = (uint8_t)name_len;
    memcpy(out + 1, name, name_len);
    zmtp_put_be32(out + 1 + name_len, (uint32_t)value_len);
    if (value_len > 0)
        memcpy(out + 1 + name_len + 4, value, value_len);
    return 1 + name_len + 4 + value_len;
}

const uint8_t *zmtp_peer_property(const struct zmtp_peer_info *peer, const char *name, size_t *len)
{
    const uint8_t *pos = peer->metadata;
    const uint8_t *end;
    struct zmtp_property prop;

    if (pos == NULL)
        return NULL;
    end = pos + peer->metadata_len;
    while (zmtp_metadata_next(&pos, end, &prop) == 1) {
        if (zmtp_property_is(&prop, name)) {
            *len = prop.value_len;
            return prop.value;
        }
    }
    return NULL;
}
