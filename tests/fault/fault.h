/* fault.h: the control API of the syscall fault layer (tests/fault/fault.c). A test linked with fault.c
 * arms a fault on one kind of call; the layer then makes chosen calls of that kind fail with an errno, or
 * (for reads and writes) move fewer bytes than asked. Calls before arming and after fault_clear pass
 * through untouched.
 *
 *   fault_set (FAULT_ACCEPT, EMFILE, 0, -1);              every accept from now on fails with EMFILE
 *   fault_set (FAULT_MALLOC, ENOMEM, 3, 1);               the 4th malloc/calloc/realloc fails, once
 *   fault_arm (FAULT_RECV, &(struct fault){.err = EINTR, .every = 2, .count = -1,
 *                                          .threads = FAULT_OTHER_THREADS});   every 2nd read on a
 *                                          socket from a library thread says EINTR
 *   fault_arm (FAULT_SEND, &(struct fault){.short_to = 3, .count = -1});      writes move <= 3 bytes
 */
#ifndef ZINC_FAULT_H
#define ZINC_FAULT_H

#include <stddef.h>

enum fault_call {
    FAULT_SOCKET,         /* socket */
    FAULT_ACCEPT,         /* accept, accept4 */
    FAULT_CONNECT,        /* connect */
    FAULT_EVENTFD,        /* eventfd */
    FAULT_EPOLL_CREATE,   /* epoll_create1 */
    FAULT_EPOLL_WAIT,     /* epoll_wait */
    FAULT_EPOLL_ADD,      /* epoll_ctl with EPOLL_CTL_ADD (MOD and DEL pass through) */
    FAULT_PIPE,           /* pipe2 */
    FAULT_OPEN,           /* open */
    FAULT_MALLOC,         /* malloc, calloc, realloc (not free) */
    FAULT_RECV,           /* recv, recvmsg, read: on sockets only (eventfds and files pass through) */
    FAULT_SEND,           /* send, sendmsg, write: on sockets only */
    FAULT_CALLS
};

enum fault_threads {
    FAULT_ANY_THREAD,     /* every thread */
    FAULT_THIS_THREAD,    /* only the thread that armed the fault (the application thread) */
    FAULT_OTHER_THREADS   /* every thread but the one that armed it (the library's I/O threads) */
};

struct fault {
    int err;                    /* errno to fail with; 0 with short_to > 0 means "short I/O" */
    size_t short_to;            /* FAULT_RECV/FAULT_SEND: move at most this many bytes per call */
    long after;                 /* let this many matching calls through first */
    long count;                 /* then fault this many calls (-1: no limit) */
    unsigned every;             /* of the calls after `after`, fault one in `every` (0 or 1: each) */
    enum fault_threads threads; /* whose calls count */
};

/* Arms a fault on `call`, replacing any earlier one, and zeroes its counters. */
void fault_arm(enum fault_call call, const struct fault *f);
/* Shorthand: fail calls number after+1 .. after+count (any thread) with err. */
void fault_set(enum fault_call call, int err, long after, long count);
/* Disarms one kind of call, or all of them. */
void fault_clear(enum fault_call call);
void fault_clear_all(void);
/* Since arming: matching calls seen, and how many of them were faulted. */
long fault_calls(enum fault_call call);
long fault_hits(enum fault_call call);

/* For trying cases one at a time (say, against libzmq, which aborts on some): with no arguments every case
 * runs, else those named on the command line. */
#include <string.h>
static inline int fault_case_selected(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return argc <= 1;
}
#define RUN_SELECTED(fn)                                                                                      \
    do {                                                                                                     \
        if (fault_case_selected(argc, argv, #fn))                                                            \
            RUN(fn);                                                                                         \
    } while (0)

#endif
