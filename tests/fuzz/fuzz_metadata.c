/* Fuzz target: a READY property list (the data after "READY", also what CURVE's INITIATE and WELCOME boxes
 * carry). Walks it with zmtp_metadata_next, looks names up with zmtp_peer_property as the engine does
 * (Socket-Type, Identity, a user property), checks the Socket-Type value against every socket type, and
 * writes each accepted property back: the rewrite must be byte for byte the input. */
#include <string.h>

#include "fuzz.h"
#include "zmtp/zmtp.h"

static void fuzz_rewrite(const struct zmtp_property *prop, const uint8_t *start)
{
    char name[256];
    size_t len = 1 + prop->name_len + 4 + prop->value_len;
    uint8_t *out = malloc(len);

    FUZZ_CHECK(out != NULL && prop->name_len < sizeof name);
    memcpy(name, prop->name, prop->name_len);
    name[prop->name_len] = '\0';
    FUZZ_CHECK(zmtp_metadata_write(out, len, name, prop->value, prop->value_len) == len);
    FUZZ_CHECK(memcmp(out, start, len) == 0);
    FUZZ_CHECK(zmtp_metadata_write(out, len - 1, name, prop->value, prop->value_len) == 0);
    free(out);
}

static void fuzz_lookup(const uint8_t *data, size_t len, size_t valid_len)
{
    static const char *const names[] = {"Socket-Type", "Identity", "X-Custom", "Resource", "User-Id"};
    struct zmtp_peer_info peer = {.socket_type = -1, .metadata = data, .metadata_len = valid_len};
    size_t n;

    (void)len;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const uint8_t *value = zmtp_peer_property(&peer, names[i], &n);
        if (value == NULL)
            continue;
        FUZZ_CHECK(value >= data && value + n <= data + valid_len);
        if (i != 0)
            continue;
        int type = zmtp_socket_type_from_name(value, n);
        FUZZ_CHECK(type >= -1 && type <= 10);
        for (int ours = -1; ours <= 12; ours++) {
            bool ok = zmtp_socket_types_compatible(ours, type);
            FUZZ_CHECK(ok == zmtp_socket_types_compatible(type, ours));
            FUZZ_CHECK(!ok || type >= 0);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *pos = data;
    const uint8_t *start = data;
    struct zmtp_property prop;
    int rc;

    while ((rc = zmtp_metadata_next(&pos, data + size, &prop)) == 1) {
        FUZZ_CHECK(prop.name == start + 1 && prop.name_len == start[0] && prop.name_len >= 1);
        FUZZ_CHECK(prop.value_len <= INT32_MAX && prop.value + prop.value_len == pos && pos <= data + size);
        fuzz_rewrite(&prop, start);
        start = pos;
    }
    FUZZ_CHECK(rc == 0 || rc == ZMTP_E_METADATA);
    FUZZ_CHECK(pos == start && (rc != 0 || pos == data + size));
    /* zmtp_peer_property walks only what the mechanism accepted: the valid prefix. */
    size_t valid_len = (size_t)(pos - data);
    uint8_t *copy = fuzz_copy(data, valid_len);
    fuzz_lookup(copy, size, valid_len);
    free(copy);
    return 0;
}
