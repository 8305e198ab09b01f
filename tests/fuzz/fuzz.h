/* Shared by the fuzz targets and replay.c: the libFuzzer entry point and a check that survives NDEBUG. */
#ifndef ZINC_TEST_FUZZ_H
#define ZINC_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                                     \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__, __LINE__, #cond);                    \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

/* A heap copy of exactly len bytes, so AddressSanitizer sees a read one past a slice's end. */
static inline uint8_t *fuzz_copy(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);

    FUZZ_CHECK(copy != NULL);
    for (size_t i = 0; i < len; i++)
        copy[i] = data[i];
    return copy;
}

#endif
