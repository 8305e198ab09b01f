/* binding_check.h: the few helpers shared by the binding programs (czmq in C, cppzmq in C++). They are
 * built against the SYSTEM headers and libraries (czmq, cppzmq, libzmq 4.3.4) exactly as a user's program
 * would be, and run with LD_LIBRARY_PATH pointing at zinc's build directory: the dynamic loader then maps
 * zinc's libzmq.so.5 in place of Debian's. So this header never includes zinc's zmq.h, and it proves at
 * run time which library was loaded (zinc exports zinc_version, libzmq does not).
 *
 * Usage: bc_begin (argc, argv, seconds) with argv[1] "zinc" or "libzmq" (what the test expects to be
 * loaded) and an optional argv[2] naming the one case to run; BC_RUN (fn) per case; return bc_end ().
 * BC_RUN_ALONE (fn) marks a case that must run in a process of its own (czmq's systemd socket activation,
 * which has to happen before zsys_init): it runs only when named in argv[2], as its own ctest test. A failed BC_CHECK prints file:line and exits 1 at once; an
 * alarm kills a program that hangs. bc_end prints ctest's plain "N passed, 0 failed" line.
 */
#ifndef ZINC_BINDING_CHECK_H
#define ZINC_BINDING_CHECK_H

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *bc_case = "(setup)";
static const char *bc_only; /* argv[2]: the one case to run, or NULL for all but the BC_RUN_ALONE ones */
static int bc_passed;

#if defined(__GNUC__)
__attribute__((unused, noreturn))
#endif
static void bc_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: FAIL in %s: %s (errno %d: %s)\n", file, line, bc_case, what, errno, strerror(errno));
    fflush(stderr);
    fflush(stdout);
    _exit(1);
}

#define BC_CHECK(cond)                                                                                       \
    do {                                                                                                     \
        if (!(cond))                                                                                         \
            bc_fail(__FILE__, __LINE__, #cond);                                                              \
    } while (0)

/* BC_CHECK_INT (a, op, b): prints both values. */
#define BC_CHECK_INT(a, op, b)                                                                               \
    do {                                                                                                     \
        long long bc_a_ = (long long)(a), bc_b_ = (long long)(b);                                            \
        if (!(bc_a_ op bc_b_)) {                                                                             \
            char bc_msg_[256];                                                                               \
            snprintf(bc_msg_, sizeof bc_msg_, "%s %s %s: got %lld, expected %lld", #a, #op, #b, bc_a_, bc_b_); \
            bc_fail(__FILE__, __LINE__, bc_msg_);                                                            \
        }                                                                                                    \
    } while (0)

#define BC_RUN(fn)                                                                                           \
    do {                                                                                                     \
        if (bc_only && strcmp(bc_only, #fn) != 0)                                                            \
            break;                                                                                           \
        bc_case = #fn;                                                                                       \
        fn();                                                                                                \
        printf("%s: ok\n", #fn);                                                                             \
        fflush(stdout);                                                                                      \
        bc_passed++;                                                                                         \
    } while (0)

#define BC_RUN_ALONE(fn)                                                                                     \
    do {                                                                                                     \
        if (bc_only && strcmp(bc_only, #fn) == 0)                                                            \
            BC_RUN(fn);                                                                                      \
        else if (!bc_only)                                                                                   \
            printf("%s: runs as its own test\n", #fn);                                                       \
    } while (0)

static void bc_watchdog(int sig)
{
    static const char msg[] = "FAIL: watchdog: the program hung\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to do */
    }
    _exit(2);
}

/* bc_loaded_zinc: 1 when the libzmq.so.5 in this process is zinc. */
static int bc_loaded_zinc(void)
{
    return dlsym(RTLD_DEFAULT, "zinc_version") != NULL;
}

static void bc_begin(int argc, char **argv, unsigned seconds)
{
    const char *expect = argc > 1 ? argv[1] : "any";
    bc_only = argc > 2 ? argv[2] : NULL;
    signal(SIGALRM, bc_watchdog);
    alarm(seconds);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(expect, "zinc") == 0 && !bc_loaded_zinc())
        bc_fail(__FILE__, __LINE__, "expected zinc's libzmq.so.5 to be loaded (check LD_LIBRARY_PATH)");
    if (strcmp(expect, "libzmq") == 0 && bc_loaded_zinc())
        bc_fail(__FILE__, __LINE__, "expected the system libzmq, found zinc");
    printf("running on %s\n", bc_loaded_zinc() ? "zinc" : "the system libzmq");
}

static int bc_end(void)
{
    if (bc_only && bc_passed == 0)
        bc_fail(__FILE__, __LINE__, "no case of that name");
    printf("%d passed, 0 failed\n", bc_passed);
    return 0;
}

/* bc_now_ms: monotonic milliseconds, for bounded waits. */
#if defined(__GNUC__)
__attribute__((unused))
#endif
static long long bc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
