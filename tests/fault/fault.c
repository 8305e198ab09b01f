/* The syscall fault layer: a link-time interposer for the calls a ZeroMQ library makes (socket, accept,
 * connect, eventfd, epoll, pipe2, open, malloc/calloc/realloc, read/recv/recvmsg, write/send/sendmsg).
 * Linked into a test executable, its definitions win over libc's for the executable and for every shared
 * library it loads (zinc's libzmq.so or the real libzmq alike), so no LD_PRELOAD is needed and it works
 * under AddressSanitizer and ThreadSanitizer.
 *
 * Each wrapper asks fault_decide whether to fault this call; if not, it calls the next definition: the
 * sanitizer's interceptor when there is one (__interceptor_NAME, a weak reference here, so ASan and TSan
 * keep seeing every allocation and fd), else libc's (__libc_malloc & co, or dlsym(RTLD_NEXT)). The malloc
 * wrappers never call dlsym, so resolving the other functions (dlsym allocates) cannot recurse. The
 * file is built without sanitizer instrumentation: the runtimes call malloc before their shadow exists.
 *
 * Invariants: 1. an unarmed slot costs one relaxed atomic load per call. 2. Every slot field is atomic,
 * so arming from one thread while library threads run is race-free (TSan-clean). 3. The decision for a
 * call depends only on its index among matching calls since arming (deterministic for one thread). */
#include "fault.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

/* ---- the armed faults -------------------------------------------------------------------------------- */

struct fault_slot {
    atomic_int armed;
    atomic_int err;
    atomic_size_t short_to;
    atomic_long after;
    atomic_long count;
    atomic_uint every;
    atomic_int threads;
    _Atomic(pthread_t) armer;
    atomic_long calls;   /* matching calls since arming */
    atomic_long hits;    /* of which faulted */
};

static struct fault_slot fault_slots[FAULT_CALLS];
static atomic_int fault_backtraces;   /* FAULT_BACKTRACE set: print the stack of every injected fault */

void fault_arm(enum fault_call call, const struct fault *f)
{
    struct fault_slot *s = &fault_slots[call];
    atomic_store(&s->armed, 0);
    if (getenv("FAULT_BACKTRACE")) {
        void *warm[2];
        backtrace(warm, 2);   /* its first call loads libgcc (and allocates): not inside a fault */
        atomic_store(&fault_backtraces, 1);
    }
    atomic_store(&s->err, f->err);
    atomic_store(&s->short_to, f->short_to);
    atomic_store(&s->after, f->after);
    atomic_store(&s->count, f->count);
    atomic_store(&s->every, f->every ? f->every : 1);
    atomic_store(&s->threads, (int)f->threads);
    atomic_store(&s->armer, pthread_self());
    atomic_store(&s->calls, 0);
    atomic_store(&s->hits, 0);
    atomic_store(&s->armed, 1);
}

void fault_set(enum fault_call call, int err, long after, long count)
{
    struct fault f = {.err = err, .after = after, .count = count, .threads = FAULT_ANY_THREAD};
    fault_arm(call, &f);
}

void fault_clear(enum fault_call call)
{
    atomic_store(&fault_slots[call].armed, 0);
}

void fault_clear_all(void)
{
    for (int i = 0; i < FAULT_CALLS; i++)
        fault_clear((enum fault_call)i);
}

long fault_calls(enum fault_call call)
{
    return atomic_load(&fault_slots[call].calls);
}

long fault_hits(enum fault_call call)
{
    return atomic_load(&fault_slots[call].hits);
}

static bool fault_thread_matches(struct fault_slot *s)
{
    int threads = atomic_load_explicit(&s->threads, memory_order_relaxed);
    if (threads == FAULT_ANY_THREAD)
        return true;
    bool mine = pthread_equal(pthread_self(), atomic_load_explicit(&s->armer, memory_order_relaxed));
    return threads == FAULT_THIS_THREAD ? mine : !mine;
}

/* Whether to fault this call: true with *err set (fail with it) or *limit set (move at most that many). */
static bool fault_decide(enum fault_call call, int *err, size_t *limit)
{
    struct fault_slot *s = &fault_slots[call];
    if (!atomic_load_explicit(&s->armed, memory_order_acquire) || !fault_thread_matches(s))
        return false;
    long n = atomic_fetch_add(&s->calls, 1) - atomic_load(&s->after);
    long every = (long)atomic_load(&s->every);
    long count = atomic_load(&s->count);
    if (n < 0 || n % every != 0 || (count >= 0 && n / every >= count))
        return false;
    atomic_fetch_add(&s->hits, 1);
    if (atomic_load_explicit(&fault_backtraces, memory_order_relaxed)) {
        void *frames[24];
        backtrace_symbols_fd(frames, backtrace(frames, 24), 2);
        (void)!write(2, "--\n", 3);
    }
    *err = atomic_load(&s->err);
    *limit = atomic_load(&s->short_to);
    return true;
}

/* For calls that can only fail: the errno to fail with, or 0. */
static int fault_error(enum fault_call call)
{
    int err = 0;
    size_t limit = 0;
    return fault_decide(call, &err, &limit) ? err : 0;
}

/* ---- the next definition ----------------------------------------------------------------------------- */

/* The sanitizer runtimes define __interceptor_NAME; without one these weak references are null. */
#define WEAK_INTERCEPTOR(ret, name, params) extern ret __interceptor_##name params __attribute__((weak));
WEAK_INTERCEPTOR(void *, malloc, (size_t))
WEAK_INTERCEPTOR(void *, calloc, (size_t, size_t))
WEAK_INTERCEPTOR(void *, realloc, (void *, size_t))
WEAK_INTERCEPTOR(int, socket, (int, int, int))
WEAK_INTERCEPTOR(int, accept, (int, struct sockaddr *, socklen_t *))
WEAK_INTERCEPTOR(int, accept4, (int, struct sockaddr *, socklen_t *, int))
WEAK_INTERCEPTOR(int, connect, (int, const struct sockaddr *, socklen_t))
WEAK_INTERCEPTOR(int, eventfd, (unsigned int, int))
WEAK_INTERCEPTOR(int, epoll_create1, (int))
WEAK_INTERCEPTOR(int, epoll_wait, (int, struct epoll_event *, int, int))
WEAK_INTERCEPTOR(int, pipe2, (int *, int))
WEAK_INTERCEPTOR(int, open, (const char *, int, ...))
WEAK_INTERCEPTOR(ssize_t, read, (int, void *, size_t))
WEAK_INTERCEPTOR(ssize_t, recv, (int, void *, size_t, int))
WEAK_INTERCEPTOR(ssize_t, recvmsg, (int, struct msghdr *, int))
WEAK_INTERCEPTOR(ssize_t, write, (int, const void *, size_t))
WEAK_INTERCEPTOR(ssize_t, send, (int, const void *, size_t, int))
WEAK_INTERCEPTOR(ssize_t, sendmsg, (int, const struct msghdr *, int))
WEAK_INTERCEPTOR(int, epoll_ctl, (int, int, int, struct epoll_event *))

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static void *fault_next(void *interceptor, _Atomic(void *) *cache, const char *name)
{
    if (interceptor)
        return interceptor;
    void *fn = atomic_load_explicit(cache, memory_order_acquire);
    if (!fn) {
        fn = dlsym(RTLD_NEXT, name);
        if (!fn)
            __builtin_trap();   /* no next definition: nothing sensible to call */
        atomic_store_explicit(cache, fn, memory_order_release);
    }
    return fn;
}

/* NEXT(name): a pointer of name's type to the definition this wrapper hides. */
#define NEXT(name)                                                                                            \
    ({                                                                                                        \
        static _Atomic(void *) next_cache_;                                                                   \
        (__typeof__(&name))fault_next((void *)__interceptor_##name, &next_cache_, #name);                     \
    })

/* ---- allocation -------------------------------------------------------------------------------------- */

void *malloc(size_t size)
{
    if (fault_error(FAULT_MALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __interceptor_malloc ? __interceptor_malloc(size) : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    if (fault_error(FAULT_MALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __interceptor_calloc ? __interceptor_calloc(n, size) : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (size && fault_error(FAULT_MALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __interceptor_realloc ? __interceptor_realloc(p, size) : __libc_realloc(p, size);
}

/* ---- descriptors ------------------------------------------------------------------------------------- */

#define FAIL_IF_FAULTED(call)                                                                                \
    do {                                                                                                     \
        int fault_err_ = fault_error(call);                                                                  \
        if (fault_err_) {                                                                                    \
            errno = fault_err_;                                                                              \
            return -1;                                                                                       \
        }                                                                                                    \
    } while (0)

int socket(int domain, int type, int protocol)
{
    FAIL_IF_FAULTED(FAULT_SOCKET);
    return NEXT(socket)(domain, type, protocol);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    FAIL_IF_FAULTED(FAULT_ACCEPT);
    return NEXT(accept)(fd, addr, len);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    FAIL_IF_FAULTED(FAULT_ACCEPT);
    return NEXT(accept4)(fd, addr, len, flags);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    FAIL_IF_FAULTED(FAULT_CONNECT);
    return NEXT(connect)(fd, addr, len);
}

int eventfd(unsigned int initval, int flags)
{
    FAIL_IF_FAULTED(FAULT_EVENTFD);
    return NEXT(eventfd)(initval, flags);
}

int epoll_create1(int flags)
{
    FAIL_IF_FAULTED(FAULT_EPOLL_CREATE);
    return NEXT(epoll_create1)(flags);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    if (op == EPOLL_CTL_ADD)
        FAIL_IF_FAULTED(FAULT_EPOLL_ADD);
    return NEXT(epoll_ctl)(epfd, op, fd, ev);
}

int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
    FAIL_IF_FAULTED(FAULT_EPOLL_WAIT);
    return NEXT(epoll_wait)(epfd, events, max, timeout);
}

int pipe2(int fds[2], int flags)
{
    FAIL_IF_FAULTED(FAULT_PIPE);
    return NEXT(pipe2)(fds, flags);
}

int open(const char *path, int flags, ...)
{
    unsigned mode = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, unsigned);
        va_end(ap);
    }
    FAIL_IF_FAULTED(FAULT_OPEN);
    return NEXT(open)(path, flags, mode);
}

/* ---- reads and writes (sockets only) ----------------------------------------------------------------- */

static bool fd_is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* For a read or write of len bytes on fd: -1 with errno set to fault it, else how many bytes to move. */
static ssize_t io_fault(enum fault_call call, int fd, size_t len, bool known_socket, size_t *allowed)
{
    *allowed = len;
    if (!atomic_load_explicit(&fault_slots[call].armed, memory_order_relaxed))
        return 0;
    if (!known_socket && !fd_is_socket(fd))
        return 0;
    int err = 0;
    size_t limit = 0;
    if (!fault_decide(call, &err, &limit))
        return 0;
    if (err) {
        errno = err;
        return -1;
    }
    if (limit && limit < len)
        *allowed = limit;
    return 0;
}

/* A copy of mh whose iovecs add up to at most `allowed` bytes (iov is the caller's storage, IOV_CAP). */
#define IOV_CAP 16
static struct msghdr msghdr_limited(const struct msghdr *mh, struct iovec *iov, size_t allowed)
{
    struct msghdr out = *mh;
    size_t n = 0;
    for (size_t i = 0; i < mh->msg_iovlen && n < IOV_CAP && allowed > 0; i++) {
        size_t take = mh->msg_iov[i].iov_len < allowed ? mh->msg_iov[i].iov_len : allowed;
        iov[n++] = (struct iovec){mh->msg_iov[i].iov_base, take};
        allowed -= take;
    }
    out.msg_iov = iov;
    out.msg_iovlen = n;
    return out;
}

static size_t msghdr_bytes(const struct msghdr *mh)
{
    size_t total = 0;
    for (size_t i = 0; i < mh->msg_iovlen; i++)
        total += mh->msg_iov[i].iov_len;
    return total;
}

ssize_t read(int fd, void *buf, size_t len)
{
    size_t allowed;
    if (io_fault(FAULT_RECV, fd, len, false, &allowed) < 0)
        return -1;
    return NEXT(read)(fd, buf, allowed);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    size_t allowed;
    if (io_fault(FAULT_RECV, fd, len, true, &allowed) < 0)
        return -1;
    return NEXT(recv)(fd, buf, allowed, flags);
}

ssize_t recvmsg(int fd, struct msghdr *mh, int flags)
{
    size_t total = msghdr_bytes(mh), allowed;
    if (io_fault(FAULT_RECV, fd, total, true, &allowed) < 0)
        return -1;
    if (allowed == total)
        return NEXT(recvmsg)(fd, mh, flags);
    struct iovec iov[IOV_CAP];
    struct msghdr limited = msghdr_limited(mh, iov, allowed);
    ssize_t n = NEXT(recvmsg)(fd, &limited, flags);
    mh->msg_controllen = limited.msg_controllen;
    mh->msg_flags = limited.msg_flags;
    mh->msg_namelen = limited.msg_namelen;
    return n;
}

ssize_t write(int fd, const void *buf, size_t len)
{
    size_t allowed;
    if (io_fault(FAULT_SEND, fd, len, false, &allowed) < 0)
        return -1;
    return NEXT(write)(fd, buf, allowed);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    size_t allowed;
    if (io_fault(FAULT_SEND, fd, len, true, &allowed) < 0)
        return -1;
    return NEXT(send)(fd, buf, allowed, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *mh, int flags)
{
    size_t total = msghdr_bytes(mh), allowed;
    if (io_fault(FAULT_SEND, fd, total, true, &allowed) < 0)
        return -1;
    if (allowed == total)
        return NEXT(sendmsg)(fd, mh, flags);
    struct iovec iov[IOV_CAP];
    struct msghdr limited = msghdr_limited(mh, iov, allowed);
    return NEXT(sendmsg)(fd, &limited, flags);
}
