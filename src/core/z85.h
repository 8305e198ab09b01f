/* Z85 (RFC 32): binary <-> printable text, 4 bytes to 5 characters. Used for CURVE keys. */
#ifndef ZINC_Z85_H
#define ZINC_Z85_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* dest holds size * 5 / 4 + 1 bytes; size must be a multiple of 4. Returns dest or NULL. */
char *z85_encode(char *dest, const uint8_t *data, size_t size);
/* dest holds strlen(text) * 4 / 5 bytes; strlen(text) must be a multiple of 5. Returns dest or NULL. */
uint8_t *z85_decode(uint8_t *dest, const char *text);

#endif
