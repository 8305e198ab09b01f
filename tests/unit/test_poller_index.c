/* The poller's registration table and its hash index (core/poller.c, invariants 1 and 2): after any
 * seeded random sequence of adds, modifies and removes of plain fds and sockets, each key is found exactly
 * while it is registered, duplicates and unknown keys are refused with EINVAL, and the size is the count
 * of registrations. Checked against plain arrays. Sockets are zeroed stand-ins registered with events 0
 * (the table then only reads safe.on: not thread-safe); nothing is ever waited on. */
#define ZMQ_BUILD_DRAFT_API
#include "core/poller.h"
#include "core/socket.h"

#include <errno.h>
#include <stdbool.h>

#include "unit.h"

#define KEYS 3000
#define STEPS 300000

static uint32_t rng = 2463534242u;
static uint32_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static _Alignas(16) char arena[KEYS * 16];     /* user_data */
static struct socket socks[KEYS];              /* stand-in sockets, all zero */
static bool fd_in[KEYS], sock_in[KEYS];

/* Spread fd numbers three ways: dense small numbers, a stride, and large ones. */
static int key_fd(int k)
{
    return k < 1000 ? k : k < 2000 ? 3000 + (k - 1000) * 1031 : (1 << 22) | k;
}

static struct socket *key_sock(int k)
{
    return &socks[k];
}

static int expected_size(void)
{
    int n = 0;
    for (int k = 0; k < KEYS; k++)
        n += fd_in[k] + sock_in[k];
    return n;
}

static void step(struct poller *p)
{
    uint32_t r = next_random();
    int k = (int)(r % KEYS);
    bool on_fd = (r >> 16) & 1;
    bool *in = on_fd ? &fd_in[k] : &sock_in[k];
    int want_missing = *in ? 0 : -EINVAL;
    switch ((r >> 17) % 3) {
    case 0: {
        int rc = on_fd ? poller_add_fd(p, key_fd(k), &arena[k], ZMQ_POLLIN) : poller_add(p, key_sock(k), NULL, 0);
        CHECK_EQ(rc, *in ? -EINVAL : 0);
        *in = true;
        break;
    }
    case 1: {
        int rc = on_fd ? poller_modify_fd(p, key_fd(k), ZMQ_POLLOUT) : poller_modify(p, key_sock(k), 0);
        CHECK_EQ(rc, want_missing);
        break;
    }
    default: {
        int rc = on_fd ? poller_remove_fd(p, key_fd(k)) : poller_remove(p, key_sock(k));
        CHECK_EQ(rc, want_missing);
        *in = false;
        break;
    }
    }
}

/* Every key answers as the arrays say. */
static void check_all(struct poller *p)
{
    for (int k = 0; k < KEYS; k++) {
        CHECK_EQ(poller_modify_fd(p, key_fd(k), ZMQ_POLLIN), fd_in[k] ? 0 : -EINVAL);
        CHECK_EQ(poller_modify(p, key_sock(k), 0), sock_in[k] ? 0 : -EINVAL);
    }
    CHECK_EQ(poller_size(p), expected_size());
}

int main(void)
{
    struct poller *p = poller_new();
    CHECK(p != NULL);
    CHECK_EQU(poller_tag(p), POLLER_TAG);
    for (int s = 0; s < STEPS; s++) {
        step(p);
        if (s % 20000 == 0)
            check_all(p);
    }
    check_all(p);
    /* fill to every key, then empty: the index grows and every slot is cleared again */
    for (int k = 0; k < KEYS; k++) {
        if (!fd_in[k])
            CHECK_EQ(poller_add_fd(p, key_fd(k), NULL, 0), 0);
        if (!sock_in[k])
            CHECK_EQ(poller_add(p, key_sock(k), NULL, 0), 0);
        fd_in[k] = sock_in[k] = true;
    }
    check_all(p);
    for (int k = KEYS - 1; k >= 0; k--) {
        CHECK_EQ(poller_remove(p, key_sock(k)), 0);
        CHECK_EQ(poller_remove_fd(p, key_fd(k)), 0);
        fd_in[k] = sock_in[k] = false;
    }
    check_all(p);
    CHECK_EQ(poller_size(p), 0);
    poller_destroy(p);
    return unit_summary("test_poller_index");
}
