/* The sizes, alignments and field offsets of zmq.h's public types, as libzmq 4.3 has them. Programs
 * and bindings allocate these themselves, so any change here breaks them silently; this file breaks
 * the build instead. It is all compile time; running it only reports what was checked. */

#include <zmq.h>
#include <zmq_utils.h>

#include <assert.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* zmq_msg_t: 64 opaque bytes on a pointer boundary, on every platform. */
static_assert(sizeof(zmq_msg_t) == 64, "zmq_msg_t must be 64 bytes");
static_assert(alignof(zmq_msg_t) == alignof(void *), "zmq_msg_t must be pointer aligned");
static_assert(sizeof(((zmq_msg_t *)0)->_) == 64, "zmq_msg_t's storage is the 64-byte array _");

/* A zmq_msg_t after a char in a struct starts on the next pointer boundary (how bindings embed it). */
struct msg_after_char {
    char c;
    zmq_msg_t msg;
};
static_assert(offsetof(struct msg_after_char, msg) == sizeof(void *), "zmq_msg_t embedded misaligned");

/* zmq_pollitem_t: { void *socket; int fd; short events; short revents; } in that order. */
static_assert(sizeof(zmq_fd_t) == sizeof(int), "zmq_fd_t is int on POSIX");
static_assert(offsetof(zmq_pollitem_t, socket) == 0, "pollitem.socket offset");
static_assert(offsetof(zmq_pollitem_t, fd) == sizeof(void *), "pollitem.fd offset");
static_assert(offsetof(zmq_pollitem_t, events) == sizeof(void *) + sizeof(int), "pollitem.events offset");
static_assert(offsetof(zmq_pollitem_t, revents) == sizeof(void *) + sizeof(int) + sizeof(short),
              "pollitem.revents offset");
static_assert(sizeof(((zmq_pollitem_t *)0)->events) == sizeof(short), "pollitem.events is short");
static_assert(sizeof(((zmq_pollitem_t *)0)->revents) == sizeof(short), "pollitem.revents is short");
static_assert(alignof(zmq_pollitem_t) == alignof(void *), "zmq_pollitem_t alignment");

#if defined(__x86_64__) && defined(__LP64__)
/* The numbers as measured against Debian's libzmq 4.3.4 on x86_64. */
static_assert(alignof(zmq_msg_t) == 8, "x86_64: zmq_msg_t aligned to 8");
static_assert(sizeof(zmq_pollitem_t) == 16, "x86_64: zmq_pollitem_t is 16 bytes");
static_assert(offsetof(zmq_pollitem_t, fd) == 8, "x86_64: pollitem.fd at 8");
static_assert(offsetof(zmq_pollitem_t, events) == 12, "x86_64: pollitem.events at 12");
static_assert(offsetof(zmq_pollitem_t, revents) == 14, "x86_64: pollitem.revents at 14");
#endif

/* Callback types are plain function types: a pointer to one is an ordinary function pointer. */
static void free_cb(void *data, void *hint)
{
    (void)data;
    (void)hint;
}
static void timer_cb(int timer_id, void *arg)
{
    (void)timer_id;
    (void)arg;
}
static void thread_cb(void *arg)
{
    (void)arg;
}
static zmq_free_fn *const free_fn = free_cb;
static zmq_timer_fn *const timer_fn = timer_cb;
static zmq_thread_fn *const thread_fn = thread_cb;

/* Versions bindings gate features on. */
static_assert(ZMQ_VERSION_MAJOR == 4 && ZMQ_VERSION_MINOR == 3 && ZMQ_VERSION_PATCH == 4, "API level 4.3.4");
static_assert(ZMQ_VERSION == 40304, "ZMQ_VERSION");
static_assert(ZMQ_MAKE_VERSION(4, 3, 5) > ZMQ_VERSION, "ZMQ_MAKE_VERSION orders versions");

int main(void)
{
    (void)free_fn;
    (void)timer_fn;
    (void)thread_fn;
    printf("zmq_msg_t: size %zu, align %zu\n", sizeof(zmq_msg_t), alignof(zmq_msg_t));
    printf("zmq_pollitem_t: size %zu, align %zu, fd at %zu, events at %zu, revents at %zu\n",
           sizeof(zmq_pollitem_t), alignof(zmq_pollitem_t), offsetof(zmq_pollitem_t, fd),
           offsetof(zmq_pollitem_t, events), offsetof(zmq_pollitem_t, revents));
    return 0;
}
