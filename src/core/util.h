/* Small helpers every module uses: the monotonic clock, allocation that reports failure, the loud abort
 * for "impossible" system-call failures, and branch hints. Nothing here holds state. */
#ifndef ZINC_UTIL_H
#define ZINC_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ZN_LIKELY(x) __builtin_expect(!!(x), 1)
#define ZN_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ZN_UNUSED(x) ((void)(x))
#define ZN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ZN_CACHELINE 64

/* For failures no peer and no user input can cause (a corrupt epoll fd, a broken mutex). */
#define ZN_PANIC(what)                                                                                     \
    do {                                                                                                   \
        fprintf(stderr, "zinc: fatal: %s (%s:%d)\n", (what), __FILE__, __LINE__);                           \
        abort();                                                                                           \
    } while (0)

static inline uint64_t zn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A spin-wait's pause between two looks at a shared word. */
static inline void zn_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline uint64_t zn_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t zn_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#endif
