/* Fuzz target: a stream of frames. Byte 0 picks the version and the size limit; the rest is parsed frame
 * after frame. Command bodies that are complete go through the command, PING, ERROR and metadata parsers,
 * each on an exact-size heap copy so AddressSanitizer catches a read past the end. */
#include <string.h>

#include "fuzz.h"
#include "zmtp/zmtp.h"

static void fuzz_metadata(const uint8_t *data, size_t len)
{
    const uint8_t *pos = data;
    struct zmtp_property prop;
    int rc;

    while ((rc = zmtp_metadata_next(&pos, data + len, &prop)) == 1) {
        FUZZ_CHECK(prop.name_len >= 1 && prop.name_len <= 255 && prop.value_len <= INT32_MAX);
        FUZZ_CHECK(prop.value + prop.value_len == pos && pos <= data + len);
        (void)zmtp_property_is(&prop, "Socket-Type");
    }
    FUZZ_CHECK(rc == 0 || rc == ZMTP_E_METADATA);
}

static void fuzz_command(const uint8_t *body, size_t len)
{
    struct zmtp_command cmd;
    const uint8_t *slice;
    size_t slice_len;
    uint16_t ttl;

    if (zmtp_command_parse(body, len, &cmd) != 1)
        return;
    FUZZ_CHECK(cmd.name_len >= 1 && cmd.data + cmd.data_len == body + len);
    uint8_t *data = fuzz_copy(cmd.data, cmd.data_len);
    if (cmd.id == ZMTP_CMD_PING && zmtp_ping_parse(data, cmd.data_len, &ttl, &slice, &slice_len) == 1)
        FUZZ_CHECK(slice_len <= ZMTP_PING_CONTEXT_MAX);
    if (cmd.id == ZMTP_CMD_ERROR && zmtp_error_parse(data, cmd.data_len, &slice, &slice_len) == 1)
        FUZZ_CHECK(slice_len < cmd.data_len);
    if (cmd.id == ZMTP_CMD_READY || cmd.id == ZMTP_CMD_UNKNOWN)
        fuzz_metadata(data, cmd.data_len);
    free(data);
}

/* The header writer must give back the same header (in its canonical form). */
static void fuzz_header_roundtrip(const struct zmtp_frame_header *h, int version, int64_t max_size)
{
    uint8_t out[ZMTP_FRAME_HEADER_MAX];
    struct zmtp_frame_header again;
    size_t len = zmtp_frame_header_write(out, h->size, h->flags);

    FUZZ_CHECK(zmtp_frame_header_parse(out, len, version, max_size, &again) == (int)len);
    FUZZ_CHECK(again.size == h->size && again.flags == h->flags);
    FUZZ_CHECK(len == (h->size < 256 ? 2u : 9u));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t limits[] = {-1, 0, 255, 256, 65536, INT64_MAX};
    struct zmtp_frame_header h;

    if (size < 1)
        return 0;
    int version = (data[0] & 1) ? 3 : 2;
    int64_t max_size = limits[(data[0] >> 1) % (sizeof limits / sizeof limits[0])];
    size_t pos = 1;
    while (pos < size) {
        uint8_t *copy = fuzz_copy(data + pos, size - pos);
        int rc = zmtp_frame_header_parse(copy, size - pos, version, max_size, &h);
        free(copy);
        if (rc <= 0) {
            FUZZ_CHECK(rc == 0 || rc == ZMTP_E_FLAGS || rc == ZMTP_E_TOO_LARGE);
            break;
        }
        FUZZ_CHECK((rc == 2 || rc == 9) && h.size <= (uint64_t)INT64_MAX);
        FUZZ_CHECK(max_size < 0 || h.size <= (uint64_t)max_size);
        FUZZ_CHECK(version == 3 || (h.flags & ZMTP_FLAG_COMMAND) == 0);
        FUZZ_CHECK((h.flags & (ZMTP_FLAG_COMMAND | ZMTP_FLAG_MORE)) != (ZMTP_FLAG_COMMAND | ZMTP_FLAG_MORE));
        fuzz_header_roundtrip(&h, version, max_size);
        pos += (size_t)rc;
        size_t body = h.size < size - pos ? (size_t)h.size : size - pos;
        if ((h.flags & ZMTP_FLAG_COMMAND) && body == h.size) {
            copy = fuzz_copy(data + pos, body);
            fuzz_command(copy, body);
            free(copy);
        }
        pos += body;
    }
    return 0;
}
