/* Fuzz target: the ws:// frame header codec (src/transport/ws_frame.c) walking a hostile stream of frames
 * the way core/ws_relay.c does: parse a header, check it (both roles, with and without a size limit),
 * skip its payload. The parser must never claim more bytes than it was given, a header it accepts must
 * write back to the same bytes when it is in minimal form, and an accepted binary frame's body must fit
 * the limit. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "transport/ws_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = fuzz_copy(data, size);
    size_t off = 0;
    int64_t limit = size ? (int64_t)(data[0] & 0x7f) - 1 : -1;   /* -1 .. 126 */
    while (off < size) {
        struct ws_frame_head h;
        int hl = ws_frame_parse(copy + off, size - off, &h);
        FUZZ_CHECK(hl <= (int)(size - off) && hl <= WS_FRAME_HEAD_MAX);
        if (hl <= 0) {
            FUZZ_CHECK(hl == 0 || hl == WS_E_FRAME_LENGTH);
            break;
        }
        FUZZ_CHECK(hl >= 2 && (h.len >> 63) == 0);
        for (int role = 0; role < 2; role++) {
            int c = ws_frame_check(&h, role, limit);
            FUZZ_CHECK(c <= 0 && c >= WS_E_FRAME_TOO_BIG);
            if (c == 0 && h.opcode == WS_OP_BINARY)
                FUZZ_CHECK(h.len >= 1 && (limit < 0 || h.len - 1 <= (uint64_t)limit));
            if (c == 0 && h.opcode != WS_OP_BINARY)
                FUZZ_CHECK(h.len <= WS_CONTROL_MAX);
        }
        uint8_t out[WS_FRAME_HEAD_MAX];
        size_t wl = ws_frame_head_write(out, h.opcode, h.len, h.masked ? h.mask : NULL);
        bool minimal = (size_t)hl == wl;
        if (minimal && h.fin && h.rsv == 0)
            FUZZ_CHECK(memcmp(out, copy + off, wl) == 0);
        off += (size_t)hl;
        if (h.len > size - off)
            break;
        off += (size_t)h.len;
    }
    free(copy);
    return 0;
}
