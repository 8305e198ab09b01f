/* Fuzz target: the SOCKS5 client codec (src/transport/socks.c) fed a hostile proxy's bytes. The first byte
 * picks the destination form and the chunking; the rest is what the proxy sends. The codec must never take
 * more than it asked for, never exceed its buffers, and finish only on a well-formed success reply. */
#include <string.h>

#include "fuzz.h"
#include "transport/socks.h"

static const char *const dests[] = {"127.0.0.1:5555", "[::1]:80", "localhost:1", "example.org:65535"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct socks_client sc;
    FUZZ_CHECK(socks_client_init(&sc, dests[data[0] & 3]) == 0);
    FUZZ_CHECK(sc.out_len == 3);
    int bytewise = data[0] & 4;
    size_t off = 1;
    int rc = 0;
    while (off < size && rc == 0) {
        size_t want = socks_client_want(&sc);
        FUZZ_CHECK(want >= 1 && want <= SOCKS_REPLY_MAX);
        size_t n = bytewise ? 1 : (want < size - off ? want : size - off);
        uint8_t *chunk = fuzz_copy(data + off, n);
        rc = socks_client_input(&sc, chunk, n);
        free(chunk);
        off += n;
        FUZZ_CHECK(sc.in_len <= SOCKS_REPLY_MAX && sc.out_len <= SOCKS_REQUEST_MAX);
        FUZZ_CHECK(rc == 0 || rc == 1 || (rc <= SOCKS_E_VERSION && rc >= SOCKS_E_ADDRESS));
    }
    if (rc == 1) {
        FUZZ_CHECK(sc.step == SOCKS_DONE && socks_client_want(&sc) == 0 && sc.rep == 0);
        FUZZ_CHECK(socks_reply_length(sc.in, sc.in_len) == (int)sc.in_len);
    }
    return 0;
}
