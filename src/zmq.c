/* The public API: every zmq_* function zinc exports. Each checks its handles, calls inward, and turns the
 * negative error code it gets back into -1 with errno set (the only place errno is set for callers). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "core/ctx.h"
#include "core/monitor.h"
#include "core/msg.h"
#include "core/option_table.h"
#include "core/poll.h"
#include "core/proxy.h"
#include "core/socket.h"
#include "core/timers.h"
#include "core/z85.h"
#include "zmq_edge.h"

#ifdef ZINC_HAVE_SODIUM
#include <sodium.h>
#endif

_Static_assert(sizeof(zmq_msg_t) == sizeof(struct msg), "zmq_msg_t and struct msg must match");

static struct ctx *as_ctx(void *p)
{
    struct ctx *c = p;
    return c && c->tag == CTX_TAG ? c : NULL;
}

static struct msg *as_msg(zmq_msg_t *m)
{
    return (struct msg *)m;
}

/* ---- errors and version --------------------------------------------------------------------------- */
int zmq_errno(void)
{
    return errno;
}

const char *zmq_strerror(int errnum)
{
    switch (errnum) {
    case EFSM: return "Operation cannot be accomplished in current state";
    case ENOCOMPATPROTO: return "The protocol is not compatible with the socket type";
    case ETERM: return "Context was terminated";
    case EMTHREAD: return "No thread available";
    default: return strerror(errnum);
    }
}

void zmq_version(int *major, int *minor, int *patch)
{
    if (major)
        *major = ZMQ_VERSION_MAJOR;
    if (minor)
        *minor = ZMQ_VERSION_MINOR;
    if (patch)
        *patch = ZMQ_VERSION_PATCH;
}

const char *zinc_version(void)
{
#define ZINC_STR2(x) #x
#define ZINC_STR(x) ZINC_STR2(x)
    return "zinc " ZINC_STR(ZINC_VERSION_MAJOR) "." ZINC_STR(ZINC_VERSION_MINOR) "." ZINC_STR(ZINC_VERSION_PATCH);
}

/* ---- context ---------------------------------------------------------------------------------------- */
void *zmq_ctx_new(void)
{
    struct ctx *c = ctx_new();
    if (!c)
        errno = ENOMEM;
    return c;
}

int zmq_ctx_term(void *context)
{
    struct ctx *c = as_ctx(context);
    if (!c)
        return api_fail(EFAULT);
    return api_rc(ctx_term(c));
}

int zmq_ctx_shutdown(void *context)
{
    struct ctx *c = as_ctx(context);
    if (!c)
        return api_fail(EFAULT);
    return api_rc(ctx_shutdown(c));
}

int zmq_ctx_set(void *context, int option, int optval)
{
    struct ctx *c = as_ctx(context);
    if (!c)
        return api_fail(EFAULT);
    return api_rc(ctx_set(c, option, optval));
}

int zmq_ctx_get(void *context, int option)
{
    struct ctx *c = as_ctx(context);
    if (!c)
        return api_fail(EFAULT);
    int value;
    int rc = ctx_get(c, option, &value);
    return rc < 0 ? api_fail(-rc) : value;
}

void *zmq_init(int io_threads)
{
    if (io_threads < 0) {
        errno = EINVAL;
        return NULL;
    }
    void *c = zmq_ctx_new();
    if (c)
        zmq_ctx_set(c, ZMQ_IO_THREADS, io_threads);
    return c;
}

int zmq_term(void *context)
{
    return zmq_ctx_term(context);
}

int zmq_ctx_destroy(void *context)
{
    return zmq_ctx_term(context);
}

/* ---- sockets ---------------------------------------------------------------------------------------- */
void *zmq_socket(void *context, int type)
{
    struct ctx *c = as_ctx(context);
    if (!c) {
        errno = EFAULT;
        return NULL;
    }
    int err = 0;
    struct socket *s = socket_new(c, type, &err);
    if (!s)
        errno = err;
    return s;
}

int zmq_close(void *sock)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    return api_rc(socket_close(s));
}

int zmq_setsockopt(void *sock, int option, const void *optval, size_t optvallen)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    return api_rc(socket_setopt(s, option, optval, optvallen));
}

int zmq_getsockopt(void *sock, int option, void *optval, size_t *optvallen)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    if (!optval || !optvallen)
        return api_fail(EFAULT);
    return api_rc(socket_getopt(s, option, optval, optvallen));
}

int zmq_bind(void *sock, const char *addr)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    return api_rc(socket_bind(s, addr));
}

int zmq_connect(void *sock, const char *addr)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    return api_rc(socket_connect(s, addr));
}

int zmq_unbind(void *sock, const char *addr)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    return api_rc(socket_unbind(s, addr));
}

int zmq_disconnect(void *sock, const char *addr)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    return api_rc(socket_disconnect(s, addr));
}

int zmq_socket_monitor(void *sock, const char *addr, int events)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    return api_rc(monitor_start(s, addr, events));
}

/* ---- messages --------------------------------------------------------------------------------------- */
int zmq_msg_init(zmq_msg_t *msg)
{
    msg_init(as_msg(msg));
    return 0;
}

int zmq_msg_init_size(zmq_msg_t *msg, size_t size)
{
    return api_rc(msg_init_size(as_msg(msg), size));
}

int zmq_msg_init_data(zmq_msg_t *msg, void *data, size_t size, zmq_free_fn *ffn, void *hint)
{
    if (!data && size)
        return api_fail(EINVAL);
    return api_rc(msg_init_data(as_msg(msg), data, size, ffn, hint));
}

int zmq_msg_init_buffer(zmq_msg_t *msg, const void *buf, size_t size)
{
    if (!buf && size)
        return api_fail(EINVAL);
    int rc = msg_init_size(as_msg(msg), size);
    if (rc < 0)
        return api_fail(-rc);
    if (size)
        memcpy(msg_data(as_msg(msg)), buf, size);
    return 0;
}

int zmq_msg_close(zmq_msg_t *msg)
{
    return api_rc(msg_close(as_msg(msg)));
}

/* libzmq closes dest first, so dest must be a live message too (EFAULT otherwise). */
int zmq_msg_move(zmq_msg_t *dest, zmq_msg_t *src)
{
    if (!msg_valid(as_msg(dest)))
        return api_fail(EFAULT);
    return api_rc(msg_move(as_msg(dest), as_msg(src)));
}

int zmq_msg_copy(zmq_msg_t *dest, zmq_msg_t *src)
{
    if (!msg_valid(as_msg(dest)))
        return api_fail(EFAULT);
    return api_rc(msg_copy(as_msg(dest), as_msg(src)));
}

void *zmq_msg_data(zmq_msg_t *msg)
{
    return msg_data(as_msg(msg));
}

size_t zmq_msg_size(const zmq_msg_t *msg)
{
    return msg_size((const struct msg *)msg);
}

int zmq_msg_more(const zmq_msg_t *msg)
{
    return msg_more((const struct msg *)msg);
}

int zmq_msg_get(const zmq_msg_t *msg, int property)
{
    const struct msg *m = (const struct msg *)msg;
    switch (property) {
    case ZMQ_MORE: return msg_more(m);
    case ZMQ_SRCFD: {
        /* As libzmq: the fd the connection recorded in the message's properties; -1/EINVAL without one
         * (inproc, or a message made by the application). */
        const char *fd = m->meta ? msg_meta_get(m->meta, MSG_PROP_FD) : NULL;
        return fd ? atoi(fd) : api_fail(EINVAL);
    }
    case ZMQ_SHARED: return msg_is_shared(m);
    default: return api_fail(EINVAL);
    }
}

int zmq_msg_set(zmq_msg_t *msg, int property, int optval)
{
    (void)msg;
    (void)property;
    (void)optval;
    return api_fail(EINVAL);
}

const char *zmq_msg_gets(const zmq_msg_t *msg, const char *property)
{
    const struct msg *m = (const struct msg *)msg;
    const char *v = m->meta && property ? msg_meta_get(m->meta, property) : NULL;
    if (!v)
        errno = EINVAL;
    return v;
}

/* ---- sending and receiving ---------------------------------------------------------------------------- */
int zmq_msg_send(zmq_msg_t *msg, void *sock, int flags)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    struct msg *m = as_msg(msg);
    if (!msg_valid(m))
        return api_fail(EFAULT);
    size_t size = msg_size(m);
    int rc = socket_send(s, m, flags);
    if (rc < 0)
        return api_fail(-rc);
    return size > INT32_MAX ? INT32_MAX : (int)size;
}

int zmq_msg_recv(zmq_msg_t *msg, void *sock, int flags)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    struct msg *m = as_msg(msg);
    if (!msg_valid(m))
        return api_fail(EFAULT);
    struct msg in;
    int rc = socket_recv(s, &in, flags);
    if (rc < 0)
        return api_fail(-rc);
    msg_close(m);
    memcpy(m, &in, sizeof in);
    size_t size = msg_size(m);
    return size > INT32_MAX ? INT32_MAX : (int)size;
}

int zmq_sendmsg(void *sock, zmq_msg_t *msg, int flags)
{
    return zmq_msg_send(msg, sock, flags);
}

int zmq_recvmsg(void *sock, zmq_msg_t *msg, int flags)
{
    return zmq_msg_recv(msg, sock, flags);
}

int zmq_send(void *sock, const void *buf, size_t len, int flags)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    if (!buf && len)
        return api_fail(EFAULT);
    struct msg m;
    int rc = msg_init_size(&m, len);
    if (rc < 0)
        return api_fail(-rc);
    if (len)
        memcpy(msg_data(&m), buf, len);
    rc = socket_send(s, &m, flags);
    if (rc < 0) {
        msg_close(&m);
        return api_fail(-rc);
    }
    return len > INT32_MAX ? INT32_MAX : (int)len;
}

int zmq_send_const(void *sock, const void *buf, size_t len, int flags)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    if (!buf && len)
        return api_fail(EFAULT);
    struct msg m;
    msg_init_const(&m, buf, len);
    int rc = socket_send(s, &m, flags);
    if (rc < 0) {
        msg_close(&m);
        return api_fail(-rc);
    }
    return len > INT32_MAX ? INT32_MAX : (int)len;
}

int zmq_recv(void *sock, void *buf, size_t len, int flags)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    struct msg m;
    int rc = socket_recv(s, &m, flags);
    if (rc < 0)
        return api_fail(-rc);   /* libzmq answers EAGAIN/EFSM/... before it looks at buf */
    size_t size = msg_size(&m);
    size_t n = size < len ? size : len;
    if (!buf && n) {
        msg_close(&m);      /* libzmq would crash copying into NULL; we refuse instead */
        return api_fail(EFAULT);
    }
    if (n)
        memcpy(buf, msg_data(&m), n);
    msg_close(&m);
    return size > INT32_MAX ? INT32_MAX : (int)size;
}

/* As libzmq 4.3.4: each part is sent with the caller's flags, except that the last one never has
 * ZMQ_SNDMORE. So flags 0 sends count single-part messages, ZMQ_SNDMORE one count-part message. Returns what
 * the last send returned (that part's size). */
int zmq_sendiov(void *sock, struct iovec *iov, size_t count, int flags)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    if (count == 0 || !iov)
        return api_fail(EINVAL);
    int last = 0;
    for (size_t i = 0; i < count; i++) {
        struct msg m;
        int rc = msg_init_size(&m, iov[i].iov_len);
        if (rc < 0)
            return api_fail(-rc);
        if (iov[i].iov_len)
            memcpy(msg_data(&m), iov[i].iov_base, iov[i].iov_len);
        int f = i + 1 < count ? flags : flags & ~ZMQ_SNDMORE;
        rc = socket_send(s, &m, f);
        if (rc < 0) {
            msg_close(&m);
            return api_fail(-rc);
        }
        last = iov[i].iov_len > INT32_MAX ? INT32_MAX : (int)iov[i].iov_len;
    }
    return last;
}

/* As libzmq 4.3.4: receives up to *count parts of one message into buffers it mallocs (the caller frees
 * each iov_base, even for an empty part); returns the number of parts and sets *count to it. Parts beyond
 * *count stay queued (ZMQ_RCVMORE). On error: -1, with *count the parts already stored. */
int zmq_recviov(void *sock, struct iovec *iov, size_t *count, int flags)
{
    struct socket *s = api_socket(sock);
    if (!s)
        return api_fail(ENOTSOCK);
    if (!count || !*count || !iov)
        return api_fail(EINVAL);
    size_t cap = *count;
    *count = 0;
    bool more = true;
    while (more && *count < cap) {
        struct msg m;
        int rc = socket_recv(s, &m, flags);
        if (rc < 0)
            return api_fail(-rc);
        size_t size = msg_size(&m);
        void *buf = malloc(size ? size : 1);
        if (!buf) {
            msg_close(&m);
            return api_fail(ENOMEM);
        }
        if (size)
            memcpy(buf, msg_data(&m), size);
        iov[*count].iov_base = buf;
        iov[*count].iov_len = size;
        more = msg_more(&m);
        msg_close(&m);
        (*count)++;
    }
    return (int)*count;
}

/* ---- polling, proxies ------------------------------------------------------------------------------- */
int zmq_poll(zmq_pollitem_t *items, int nitems, long timeout)
{
    return api_rc(poll_items(items, nitems, timeout));
}

int zmq_proxy(void *frontend, void *backend, void *capture)
{
    return zmq_proxy_steerable(frontend, backend, capture, NULL);
}

int zmq_proxy_steerable(void *frontend, void *backend, void *capture, void *control)
{
    struct socket *f = api_socket(frontend), *b = api_socket(backend);
    struct socket *cap = capture ? api_socket(capture) : NULL;
    struct socket *ctl = control ? api_socket(control) : NULL;
    if (!f || !b || (capture && !cap) || (control && !ctl))
        return api_fail(ENOTSOCK);
    return api_rc(proxy_run(f, b, cap, ctl));
}

int zmq_device(int type, void *frontend, void *backend)
{
    (void)type;
    return zmq_proxy(frontend, backend, NULL);
}

/* ---- capabilities, Z85, CURVE keys ------------------------------------------------------------------- */
int zmq_has(const char *capability)
{
    if (!capability)
        return 0;
    /* libzmq 4.3.4 spells its WebSocket capability "WS" (Debian's build says 1 to "WS", 0 to "ws"); "draft":
     * zinc always carries libzmq's draft API (the functions behind ZMQ_BUILD_DRAFT_API are exported) */
    if (strcmp(capability, "ipc") == 0 || strcmp(capability, "WS") == 0 || strcmp(capability, "draft") == 0)
        return 1;
    /* the same switch that lets zmq_setsockopt take the mechanism's options (core/option_table.c) */
    if (strcmp(capability, "curve") == 0)
        return option_mech_available(ZMQ_CURVE);
    if (strcmp(capability, "gssapi") == 0)
        return option_mech_available(ZMQ_GSSAPI);
    return 0;
}

char *zmq_z85_encode(char *dest, const uint8_t *data, size_t size)
{
    char *r = z85_encode(dest, data, size);
    if (!r)
        errno = EINVAL;
    return r;
}

uint8_t *zmq_z85_decode(uint8_t *dest, const char *string)
{
    uint8_t *r = z85_decode(dest, string);
    if (!r)
        errno = EINVAL;
    return r;
}

int zmq_curve_keypair(char *z85_public_key, char *z85_secret_key)
{
#ifdef ZINC_HAVE_SODIUM
    uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
    if (sodium_init() < 0)
        return api_fail(ENOTSUP);
    crypto_box_keypair(pk, sk);
    z85_encode(z85_public_key, pk, sizeof pk);
    z85_encode(z85_secret_key, sk, sizeof sk);
    sodium_memzero(sk, sizeof sk);
    return 0;
#else
    (void)z85_public_key;
    (void)z85_secret_key;
    return api_fail(ENOTSUP);
#endif
}

int zmq_curve_public(char *z85_public_key, const char *z85_secret_key)
{
#ifdef ZINC_HAVE_SODIUM
    uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
    if (sodium_init() < 0)
        return api_fail(ENOTSUP);
    if (!z85_secret_key || strlen(z85_secret_key) != 40 || !z85_decode(sk, z85_secret_key))
        return api_fail(EINVAL);
    crypto_scalarmult_base(pk, sk);
    z85_encode(z85_public_key, pk, sizeof pk);
    sodium_memzero(sk, sizeof sk);
    return 0;
#else
    (void)z85_public_key;
    (void)z85_secret_key;
    return api_fail(ENOTSUP);
#endif
}

/* ---- atomic counters -------------------------------------------------------------------------------- */
void *zmq_atomic_counter_new(void)
{
    atomic_int *c = malloc(sizeof *c);
    if (c)
        atomic_init(c, 0);
    return c;
}

void zmq_atomic_counter_set(void *counter, int value)
{
    atomic_store((atomic_int *)counter, value);
}

/* Returns the value before the increment, as libzmq. */
int zmq_atomic_counter_inc(void *counter)
{
    return atomic_fetch_add((atomic_int *)counter, 1);
}

/* As libzmq 4.3.4 (whatever its man page says): 1 if the counter is non-zero after the decrement, else 0. */
int zmq_atomic_counter_dec(void *counter)
{
    return atomic_fetch_sub((atomic_int *)counter, 1) - 1 != 0;
}

int zmq_atomic_counter_value(void *counter)
{
    return atomic_load((atomic_int *)counter);
}

void zmq_atomic_counter_destroy(void **counter_p)
{
    if (counter_p) {
        free(*counter_p);
        *counter_p = NULL;
    }
}

/* ---- timers ----------------------------------------------------------------------------------------- */
void *zmq_timers_new(void)
{
    return timers_new();
}

int zmq_timers_destroy(void **timers_p)
{
    if (!timers_p || !*timers_p)
        return api_fail(EFAULT);
    timers_destroy(*timers_p);
    *timers_p = NULL;
    return 0;
}

int zmq_timers_add(void *timers, size_t interval, zmq_timer_fn handler, void *arg)
{
    if (!timers)
        return api_fail(EFAULT);
    if (!handler)
        return api_fail(EFAULT);
    return api_rc(timers_add(timers, interval, handler, arg));
}

int zmq_timers_cancel(void *timers, int timer_id)
{
    if (!timers)
        return api_fail(EFAULT);
    return api_rc(timers_cancel(timers, timer_id));
}

int zmq_timers_set_interval(void *timers, int timer_id, size_t interval)
{
    if (!timers)
        return api_fail(EFAULT);
    return api_rc(timers_set_interval(timers, timer_id, interval));
}

int zmq_timers_reset(void *timers, int timer_id)
{
    if (!timers)
        return api_fail(EFAULT);
    return api_rc(timers_reset(timers, timer_id));
}

long zmq_timers_timeout(void *timers)
{
    if (!timers)
        return api_fail(EFAULT);
    return timers_timeout(timers);
}

int zmq_timers_execute(void *timers)
{
    if (!timers)
        return api_fail(EFAULT);
    return api_rc(timers_execute(timers));
}

/* ---- stopwatch, sleep, threads (libzmq's old utilities) ---------------------------------------------- */
static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void *zmq_stopwatch_start(void)
{
    uint64_t *w = malloc(sizeof *w);
    if (w)
        *w = now_us();
    return w;
}

unsigned long zmq_stopwatch_intermediate(void *watch)
{
    return (unsigned long)(now_us() - *(uint64_t *)watch);
}

unsigned long zmq_stopwatch_stop(void *watch)
{
    unsigned long r = zmq_stopwatch_intermediate(watch);
    free(watch);
    return r;
}

void zmq_sleep(int seconds)
{
    sleep((unsigned)seconds);
}

struct thread_start {
    zmq_thread_fn *fn;
    void *arg;
    pthread_t tid;
};

static void *thread_trampoline(void *p)
{
    struct thread_start *t = p;
    t->fn(t->arg);
    return NULL;
}

void *zmq_threadstart(zmq_thread_fn *func, void *arg)
{
    struct thread_start *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    t->fn = func;
    t->arg = arg;
    if (pthread_create(&t->tid, NULL, thread_trampoline, t) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void zmq_threadclose(void *thread)
{
    struct thread_start *t = thread;
    if (!t)
        return;
    pthread_join(t->tid, NULL);
    free(t);
}
