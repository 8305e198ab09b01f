/* Z85 encoding per RFC 32: base-85 big-endian groups over a fixed alphabet. */
#include "core/z85.h"

#include <string.h>

static const char z85_alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

char *z85_encode(char *dest, const uint8_t *data, size_t size)
{
    if (!dest || (!data && size) || size % 4)
        return NULL;
    size_t out = 0;
    for (size_t i = 0; i < size; i += 4) {
        uint32_t value = (uint32_t)data[i] << 24 | (uint32_t)data[i + 1] << 16 | (uint32_t)data[i + 2] << 8 |
                         data[i + 3];
        for (int d = 4; d >= 0; d--) {
            dest[out + (size_t)d] = z85_alphabet[value % 85];
            value /= 85;
        }
        out += 5;
    }
    dest[out] = 0;
    return dest;
}

static int z85_value(char c)
{
    const char *p = c ? strchr(z85_alphabet, c) : NULL;
    return p ? (int)(p - z85_alphabet) : -1;
}

uint8_t *z85_decode(uint8_t *dest, const char *text)
{
    if (!dest || !text)
        return NULL;
    size_t len = strlen(text);
    if (len == 0 || len % 5)   /* libzmq refuses an empty string too */
        return NULL;
    size_t out = 0;
    for (size_t i = 0; i < len; i += 5) {
        uint64_t value = 0;
        for (int d = 0; d < 5; d++) {
            int v = z85_value(text[i + (size_t)d]);
            if (v < 0)
                return NULL;
            value = value * 85 + (uint64_t)v;
        }
        if (value > 0xffffffffu)
            return NULL;
        dest[out++] = (uint8_t)(value >> 24);
        dest[out++] = (uint8_t)(value >> 16);
        dest[out++] = (uint8_t)(value >> 8);
        dest[out++] = (uint8_t)value;
    }
    return dest;
}
