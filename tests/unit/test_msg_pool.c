/* Message memory across threads: msg_pool (blocks allocated on one thread and freed on another, every size
 * class and beyond, threads that exit with blocks in their caches, fork while another thread holds the
 * depot), msg_resize across the pool's boundary, a message's last-reference close, and metadata references
 * taken in batches (msg_attach_meta / msg_meta_release). Under TSan this also checks the pool's hand-offs;
 * under ASan the pool is a pass-through and LeakSanitizer checks that nothing is kept. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "core/msg.h"
#include "core/msg_pool.h"
#include "unit.h"

#define RING 256                     /* in-flight messages between producer and consumer */
/* Under a sanitizer the pools are pass-throughs to malloc and every byte costs more: fewer messages keep
 * the test well inside ctest's timeout on a loaded 2-core machine (it took 75 s of 120 at 200,000). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
#define MESSAGES 40000
#define LARGE_MESSAGES 600
#else
#define MESSAGES 200000
#define LARGE_MESSAGES 6000
#endif

struct ring {
    struct msg slot[RING];
    atomic_uint head;                /* written by the producer */
    atomic_uint tail;                /* written by the consumer */
};

static bool big_sizes;   /* the hand-off uses large blocks (msg_bigpool.c: 16 KiB to 2 MiB, and around) */

static size_t size_for(unsigned i)
{
    static const size_t sizes[] = {0, 1, 48, 49, 64, 87, 88, 89, 100, 216, 217, 300, 472, 473, 1000, 5000};
    static const size_t big[] = {16000, 16336, 16337, 16400, 18433, 65536, 65537, 100000, 1 << 20,
                                 (2 << 20) - 64, 2 << 20, (2 << 20) + 1};
    if (big_sizes)
        return big[i % (sizeof big / sizeof big[0])];
    return sizes[i % (sizeof sizes / sizeof sizes[0])];
}

/* The bytes of message i that are written and checked: all of a small one, a few spots of a large one. */
static bool byte_checked(size_t k, size_t size)
{
    return !big_sizes || k < 64 || k + 64 >= size || k % 4093 == 0;
}

static uint8_t byte_for(unsigned i, size_t k)
{
    return (uint8_t)(i * 7 + k);
}

static struct ring *the_ring;

static void *producer(void *arg)
{
    unsigned messages = *(unsigned *)arg;
    struct ring *r = the_ring;
    for (unsigned i = 0; i < messages; i++) {
        while (atomic_load_explicit(&r->head, memory_order_relaxed) -
                   atomic_load_explicit(&r->tail, memory_order_acquire) == RING)
            sched_yield();
        struct msg *m = &r->slot[i % RING];
        size_t size = size_for(i);
        if (msg_init_size(m, size) != 0)
            abort();
        uint8_t *d = msg_data(m);
        for (size_t k = 0; k < size; k++)
            if (byte_checked(k, size))
                d[k] = byte_for(i, k);
        atomic_store_explicit(&r->head, i + 1, memory_order_release);
    }
    return NULL;
}

/* Blocks made on one thread, checked and freed on another: no block is handed out twice while live. */
static void hand_off(unsigned messages)
{
    static struct ring r;
    atomic_store(&r.head, 0);
    atomic_store(&r.tail, 0);
    the_ring = &r;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, producer, &messages), 0);
    unsigned bad = 0;
    for (unsigned i = 0; i < messages; i++) {
        while (atomic_load_explicit(&r.head, memory_order_acquire) == i)
            sched_yield();
        struct msg *m = &r.slot[i % RING];
        size_t size = size_for(i);
        const uint8_t *d = msg_data(m);
        bad += msg_size(m) != size;
        for (size_t k = 0; k < size && k < msg_size(m); k++)
            if (byte_checked(k, size))
                bad += d[k] != byte_for(i, k);
        msg_close(m);
        atomic_store_explicit(&r.tail, i + 1, memory_order_release);
    }
    pthread_join(t, NULL);
    CHECK_EQU(bad, 0);
}

static void cross_thread_hand_off(void)
{
    big_sizes = false;
    hand_off(MESSAGES);
}

/* The same with large blocks, which wait in msg_bigpool's lists between a free and the next allocation. */
static void cross_thread_hand_off_large(void)
{
    big_sizes = true;
    hand_off(LARGE_MESSAGES);
    big_sizes = false;
}

static void *alloc_and_exit(void *arg)
{
    (void)arg;
    void *blocks[300];
    for (int i = 0; i < 300; i++)
        blocks[i] = msg_pool_alloc(100 + (size_t)i);
    for (int i = 0; i < 300; i++)
        msg_pool_free(blocks[i], 100 + (size_t)i);
    return NULL;   /* its cache goes to the depot or back to free() */
}

/* Threads that exit with blocks in their caches hand them back (LSan sees any that are lost). */
static void thread_exit_releases(void)
{
    for (int i = 0; i < 50; i++) {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, alloc_and_exit, NULL), 0);
        pthread_join(t, NULL);
    }
}

static atomic_int churn_stop;

static void *churn(void *arg)
{
    (void)arg;
    while (!atomic_load(&churn_stop)) {
        void *b[200];
        for (int i = 0; i < 200; i++)
            b[i] = msg_pool_alloc(200);
        for (int i = 0; i < 200; i++)
            msg_pool_free(b[i], 200);
    }
    return NULL;
}

/* fork while another thread trades batches with the depot: the child can still allocate (no lock inherited). */
static void fork_while_busy(void)
{
    pthread_t t;
    atomic_store(&churn_stop, 0);
    CHECK_EQ(pthread_create(&t, NULL, churn, NULL), 0);
    for (int i = 0; i < 20; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            void *b[300];
            for (int k = 0; k < 300; k++)
                b[k] = msg_pool_alloc(200);
            for (int k = 0; k < 300; k++)
                msg_pool_free(b[k], 200);
            _exit(0);
        }
        CHECK(pid > 0);
        int status = -1;
        alarm(10);   /* a child stuck on an inherited lock fails the test instead of hanging it */
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        alarm(0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    atomic_store(&churn_stop, 1);
    pthread_join(t, NULL);
}

/* msg_resize keeps the first bytes whether the old or new block is pooled or not. */
static void resize_across_the_pool(void)
{
    static const size_t steps[] = {60, 100, 400, 3000, 200000, 70, 1 << 20, 90, 20000, 70000, 2 << 20,
                                   5 << 20, 65536, 90};
    struct msg m;
    CHECK_EQ(msg_init_size(&m, 50), 0);
    uint8_t *d = msg_data(&m);
    for (size_t k = 0; k < 50; k++)
        d[k] = (uint8_t)k;
    size_t keep = 50;
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        CHECK_EQ(msg_resize(&m, steps[s]), 0);
        CHECK_EQU(msg_size(&m), steps[s]);
        d = msg_data(&m);
        if (keep > steps[s])
            keep = steps[s];   /* shrinking keeps only what fits */
        size_t same = 0;
        for (size_t k = 0; k < keep; k++)
            same += d[k] == (uint8_t)k;
        CHECK_EQU(same, keep);
        for (size_t k = keep; k < steps[s] && k < 100; k++)
            d[k] = (uint8_t)k;
        keep = steps[s] < 100 ? steps[s] : 100;
    }
    struct msg copy;
    msg_init(&copy);
    CHECK_EQ(msg_copy(&copy, &m), 0);
    CHECK_EQ(msg_resize(&m, 500), -EINVAL);   /* shared: refused */
    msg_close(&copy);
    msg_close(&m);
    CHECK_EQ(msg_init_size(&m, 10), 0);
    CHECK_EQ(msg_resize(&m, 500), -EINVAL);   /* inline: refused */
    msg_close(&m);
}

/* Metadata stamped on many messages through credit: the count never reaches zero early, and the last
 * close (message or holder, in either order) frees it. LSan checks the free. */
static void meta_credit(void)
{
    struct msg_meta *meta = msg_meta_new(0);
    unsigned credit = 0;
    enum { N = 3000 };
    static struct msg msgs[N];
    for (int i = 0; i < N; i++) {
        msg_init(&msgs[i]);
        msg_attach_meta(&msgs[i], meta, &credit);
    }
    CHECK_EQ(atomic_load(&meta->refs), 1 + N + (int)credit);
    for (int i = 0; i < N / 2; i++)
        msg_close(&msgs[i]);
    msg_meta_release(meta, &credit);   /* the holder goes first: the messages keep it alive */
    CHECK_EQU(credit, 0);
    CHECK_EQ(atomic_load(&meta->refs), N - N / 2);
    for (int i = N / 2; i < N; i++)
        msg_close(&msgs[i]);
}

int main(void)
{
    cross_thread_hand_off();
    cross_thread_hand_off_large();
    thread_exit_releases();
    if (msg_pool_owns(200))
        fork_while_busy();   /* under ASan the pool is off, and ASan's own allocator can hang a child forked
                              * while another thread allocates: nothing of ours to test there */
    resize_across_the_pool();
    meta_credit();
    msg_pool_trim();   /* what zmq_ctx_term does: the pool gives its blocks back, and still works after */
    void *b = msg_pool_alloc(100);
    CHECK(b != NULL);
    msg_pool_free(b, 100);
    msg_pool_trim();
    return unit_summary("test_msg_pool");
}
