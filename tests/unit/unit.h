/* Shared helpers for tests/unit: checks that print both values and file:line and keep going, a summary
 * that sets the exit status, and a guard page to catch any read past the end of an input. */
#ifndef ZINC_TEST_UNIT_H
#define ZINC_TEST_UNIT_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int unit_checks;
static int unit_failures;

static inline void unit_fail_head(const char *file, int line, const char *what)
{
    unit_failures++;
    fprintf(stderr, "%s:%d: FAILED %s\n", file, line, what);
}

/* Signed comparison; both values printed. */
#define CHECK_EQ(a, b)                                                                                       \
    do {                                                                                                     \
        intmax_t unit_a_ = (intmax_t)(a), unit_b_ = (intmax_t)(b);                                           \
        unit_checks++;                                                                                       \
        if (unit_a_ != unit_b_) {                                                                            \
            unit_fail_head(__FILE__, __LINE__, "CHECK_EQ(" #a ", " #b ")");                                  \
            fprintf(stderr, "    left  = %jd\n    right = %jd\n", unit_a_, unit_b_);                         \
        }                                                                                                    \
    } while (0)

/* Unsigned comparison (sizes up to 2^64-1); both values printed in decimal and hex. */
#define CHECK_EQU(a, b)                                                                                      \
    do {                                                                                                     \
        uintmax_t unit_a_ = (uintmax_t)(a), unit_b_ = (uintmax_t)(b);                                        \
        unit_checks++;                                                                                       \
        if (unit_a_ != unit_b_) {                                                                            \
            unit_fail_head(__FILE__, __LINE__, "CHECK_EQU(" #a ", " #b ")");                                 \
            fprintf(stderr, "    left  = %ju (0x%jx)\n    right = %ju (0x%jx)\n", unit_a_, unit_a_, unit_b_, \
                    unit_b_);                                                                                \
        }                                                                                                    \
    } while (0)

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        unit_checks++;                                                                                       \
        if (!(cond))                                                                                         \
            unit_fail_head(__FILE__, __LINE__, "CHECK(" #cond ")");                                          \
    } while (0)

static inline void unit_hexdump(const char *label, const void *p, size_t len)
{
    const uint8_t *b = p;

    fprintf(stderr, "    %s (%zu):", label, len);
    for (size_t i = 0; i < len; i++)
        fprintf(stderr, " %02x", b[i]);
    fprintf(stderr, "\n");
}

/* Byte comparison of a (a_len bytes) against b (b_len bytes); both dumped in hex on failure. */
#define CHECK_MEM(a, a_len, b, b_len)                                                                        \
    do {                                                                                                     \
        const void *unit_a_ = (a), *unit_b_ = (b);                                                           \
        size_t unit_al_ = (a_len), unit_bl_ = (b_len);                                                       \
        unit_checks++;                                                                                       \
        if (unit_al_ != unit_bl_ || (unit_al_ > 0 && memcmp(unit_a_, unit_b_, unit_al_) != 0)) {             \
            unit_fail_head(__FILE__, __LINE__, "CHECK_MEM(" #a ", " #b ")");                                 \
            unit_hexdump("left ", unit_a_, unit_al_);                                                        \
            unit_hexdump("right", unit_b_, unit_bl_);                                                        \
        }                                                                                                    \
    } while (0)

/* Call at the end of main: prints the tally, returns the exit status. */
static inline int unit_summary(const char *name)
{
    fprintf(stderr, "%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
    return unit_failures == 0 ? 0 : 1;
}

/* ---- guard page ---------------------------------------------------------------------------------------
 * Two pages mapped, the second PROT_NONE: unit_guard_place copies an input so that its last byte is the
 * last readable byte. A parser that reads one byte past the length it was given dies with SIGSEGV.
 * (picohttpparser's test.c technique.) Inputs up to one page. */
struct unit_guard {
    uint8_t *base;
    size_t page;
};

static inline void unit_guard_init(struct unit_guard *g)
{
    long page = sysconf(_SC_PAGESIZE);

    g->page = (size_t)page;
    g->base = mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->base == MAP_FAILED || mprotect(g->base + g->page, g->page, PROT_NONE) != 0) {
        perror("unit_guard_init");
        abort();
    }
}

static inline void unit_guard_fini(struct unit_guard *g)
{
    munmap(g->base, 2 * g->page);
}

static inline const uint8_t *unit_guard_place(struct unit_guard *g, const void *data, size_t len)
{
    uint8_t *p;

    if (len > g->page)
        abort();
    p = g->base + g->page - len;
    if (len > 0)
        memcpy(p, data, len);
    return p;
}

#endif
