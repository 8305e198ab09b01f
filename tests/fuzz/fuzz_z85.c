/* Fuzz target: the Z85 decoder (RFC 32). Not reachable from the network (it reads CURVE keys given to
 * zmq_setsockopt and zmq_z85_decode's argument), but it takes arbitrary text from the application. A
 * decoded string must encode back to itself; any 4-byte-aligned binary must survive encode + decode. */
#include <string.h>

#include "core/z85.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text);
    uint8_t *bin = malloc(len * 4 / 5 + 1);
    char *again = malloc(len + 1);
    FUZZ_CHECK(bin != NULL && again != NULL);
    if (z85_decode(bin, text) != NULL) {
        FUZZ_CHECK(len % 5 == 0);
        FUZZ_CHECK(z85_encode(again, bin, len * 4 / 5) == again && strcmp(again, text) == 0);
    }
    free(again);
    free(bin);
    size_t whole = size - size % 4;
    char *enc = malloc(whole * 5 / 4 + 1);
    uint8_t *dec = malloc(whole + 1);
    FUZZ_CHECK(enc != NULL && dec != NULL);
    if (whole > 0) {   /* an empty string is refused, as libzmq does */
        FUZZ_CHECK(z85_encode(enc, data, whole) == enc && strlen(enc) == whole * 5 / 4);
        FUZZ_CHECK(z85_decode(dec, enc) == dec && memcmp(dec, data, whole) == 0);
    }
    free(dec);
    free(enc);
    free(text);
    return 0;
}
