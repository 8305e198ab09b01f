/* Fuzz target: the ws:// HTTP upgrade parser (src/transport/ws_http.c) fed a hostile peer's head, as a
 * request (server side) and as a response (client side). It must never read past the input, must answer
 * the same for a head whatever follows it, and every field it fills must be NUL-terminated within its
 * array; the checks that follow must not crash on any head. */
#include <string.h>

#include "fuzz.h"
#include "transport/ws_codec.h"

static void check_head(const struct ws_http_head *h)
{
    FUZZ_CHECK(memchr(h->path, 0, sizeof h->path) != NULL);
    FUZZ_CHECK(memchr(h->key, 0, sizeof h->key) != NULL);
    FUZZ_CHECK(memchr(h->protocols, 0, sizeof h->protocols) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = fuzz_copy(data, size);
    for (int request = 0; request < 2; request++) {
        struct ws_http_head h;
        int rc = ws_http_parse(copy, size, request, &h);
        FUZZ_CHECK(rc <= (int)size && rc <= WS_HTTP_MAX);
        FUZZ_CHECK(rc >= 0 || rc == WS_E_HTTP_TOO_LONG || rc == WS_E_HTTP_SYNTAX);
        if (rc > 0) {
            check_head(&h);
            /* the head alone parses the same */
            struct ws_http_head h2;
            FUZZ_CHECK(ws_http_parse(copy, (size_t)rc, request, &h2) == rc);
            FUZZ_CHECK(memcmp(&h, &h2, sizeof h) == 0);
            char proto[32];
            if (request) {
                int c = ws_http_check_request(&h, "NULL", proto, sizeof proto);
                FUZZ_CHECK(c == 0 || c == WS_E_HTTP_UPGRADE || c == WS_E_HTTP_PROTOCOL);
                char text[WS_HTTP_MAX];
                if (c == 0)
                    FUZZ_CHECK(ws_http_response(text, sizeof text, h.key, proto) > 0);
            } else {
                int c = ws_http_check_response(&h, "dGhlIHNhbXBsZSBub25jZQ==", "NULL");
                FUZZ_CHECK(c <= 0 && c >= WS_E_HTTP_ACCEPT);
            }
        } else if (rc == 0) {
            FUZZ_CHECK(size < WS_HTTP_MAX);
        }
    }
    free(copy);
    return 0;
}
