/* Fuzz target: one udp:// datagram as it arrives from the network (RADIO/DISH: group length byte, group,
 * body). What decodes must stay inside the input and encode back to the same bytes; what does not must be
 * empty or announce a group longer than what follows. */
#include <string.h>

#include "fuzz.h"
#include "zmtp/dgram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dgram d;
    if (size == 0) {
        FUZZ_CHECK(dgram_decode(data, 0, &d) < 0);
        return 0;
    }
    uint8_t *in = fuzz_copy(data, size);
    if (dgram_decode(in, size, &d) < 0) {
        FUZZ_CHECK((size_t)data[0] > size - 1);
    } else {
        FUZZ_CHECK(d.group == in + 1 && d.group_len <= DGRAM_GROUP_MAX);
        FUZZ_CHECK(1 + d.group_len + d.body_len == size && d.body == in + 1 + d.group_len);
        static uint8_t out[DGRAM_MAX];
        size_t n = dgram_encode(out, sizeof out, d.group, d.group_len, d.body, d.body_len);
        FUZZ_CHECK(size > DGRAM_MAX ? n == 0 : (n == size && memcmp(out, data, size) == 0));
    }
    free(in);
    return 0;
}
