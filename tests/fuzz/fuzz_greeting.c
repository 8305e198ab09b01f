/* Fuzz target: the signature check on every prefix, the 64-byte greeting parse, and the ZMTP 2.0 path
 * (revision, socket type, identity frame header). Parsed greetings must write back to what they say. */
#include <string.h>

#include "fuzz.h"
#include "zmtp/zmtp.h"

static void fuzz_greeting_roundtrip(const struct zmtp_greeting *g)
{
    uint8_t out[ZMTP_GREETING_SIZE];
    struct zmtp_greeting again;

    zmtp_signature_write(out);
    out[ZMTP_GREETING_MAJOR] = g->major;
    zmtp_greeting_tail_write(out + ZMTP_GREETING_MINOR, g->minor, g->mechanism, g->as_server);
    FUZZ_CHECK(zmtp_greeting_parse(out, &again) == ZMTP_GREETING_SIZE);
    FUZZ_CHECK(again.major == g->major && again.minor == g->minor && again.as_server == g->as_server);
    FUZZ_CHECK(strcmp(again.mechanism, g->mechanism) == 0);
}

static void fuzz_zmtp2(const uint8_t *data, size_t size)
{
    struct zmtp_frame_header h;

    if (size < ZMTP2_GREETING_SIZE || data[ZMTP_GREETING_MAJOR] < 1 || data[ZMTP_GREETING_MAJOR] > 2)
        return;
    (void)zmtp2_socket_type_valid(data[ZMTP_GREETING_MINOR]);
    int rc = zmtp_frame_header_parse(data + ZMTP2_GREETING_SIZE, size - ZMTP2_GREETING_SIZE, 2, 255, &h);
    FUZZ_CHECK(rc == 0 || rc == 2 || rc == 9 || rc == ZMTP_E_FLAGS || rc == ZMTP_E_TOO_LARGE);
    if (rc > 0)
        FUZZ_CHECK(h.size <= 255 && (h.flags & ZMTP_FLAG_COMMAND) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct zmtp_greeting g;
    uint8_t *copy;

    for (size_t len = 0; len <= size && len <= ZMTP_SIGNATURE_SIZE + 1; len++) {
        copy = fuzz_copy(data, len);
        int rc = zmtp_signature_check(copy, len);
        FUZZ_CHECK(rc == 0 || rc == ZMTP_SIGNATURE_SIZE || rc == ZMTP_E_SIGNATURE);
        FUZZ_CHECK(rc != ZMTP_SIGNATURE_SIZE || len >= ZMTP_SIGNATURE_SIZE);
        free(copy);
    }
    if (zmtp_signature_check(data, size) == ZMTP_SIGNATURE_SIZE)
        fuzz_zmtp2(data, size);
    if (size < ZMTP_GREETING_SIZE)
        return 0;
    copy = fuzz_copy(data, ZMTP_GREETING_SIZE);
    int rc = zmtp_greeting_parse(copy, &g);
    free(copy);
    FUZZ_CHECK(rc == ZMTP_GREETING_SIZE || rc == ZMTP_E_SIGNATURE || rc == ZMTP_E_VERSION ||
               rc == ZMTP_E_MECHANISM);
    if (rc == ZMTP_GREETING_SIZE) {
        FUZZ_CHECK(g.major == 3 && g.minor <= 1);
        FUZZ_CHECK(strlen(g.mechanism) >= 1 && strlen(g.mechanism) <= ZMTP_MECHANISM_SIZE);
        (void)zmtp_mechanism_find(g.mechanism);
        fuzz_greeting_roundtrip(&g);
    }
    return 0;
}
