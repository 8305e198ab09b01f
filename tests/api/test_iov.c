/* zmq_sendiov / zmq_recviov and zmq_atomic_counter_* return exactly what libzmq 4.3.4 returns (its
 * behaviour, which differs from its man pages in places):
 *  - zmq_sendiov sends each part with the caller's flags but never ZMQ_SNDMORE on the last: flags 0 sends
 *    count separate messages, ZMQ_SNDMORE one multipart message. It returns the last part's size.
 *  - zmq_recviov reads up to *count parts of one message into malloc'd buffers the caller frees (an empty
 *    part too) and returns the number of parts, also stored in *count; the rest of a longer message stays
 *    queued. On error -1, *count 0.
 *  - zmq_atomic_counter_inc returns the value before; _dec returns 1 if the counter is non-zero after the
 *    decrement, else 0. */
#include "testutil.h"

#include <sys/uio.h>

static void *ctx;

static void pair_up(void **a, void **b)
{
    char ep[TU_ENDPOINT_LEN];
    *a = bound_socket(ctx, ZMQ_PAIR, "inproc", ep, sizeof ep);
    *b = connected_socket(ctx, ZMQ_PAIR, ep);
}

static void free_parts(struct iovec *iov, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(iov[i].iov_base);
}

static void sendiov_flags_zero_shall_send_separate_messages(void)
{
    void *a, *b;
    pair_up(&a, &b);
    struct iovec iov[3] = {{"ab", 2}, {"cdef", 4}, {"g", 1}};
    CHECK_EQ(zmq_sendiov(a, iov, 3, 0), 1);
    recv_expect(b, "ab");
    recv_expect(b, "cdef");
    recv_expect(b, "g");
    close_zero_linger(a);
    close_zero_linger(b);
}

static void sendiov_sndmore_shall_send_one_multipart_message(void)
{
    void *a, *b;
    pair_up(&a, &b);
    struct iovec iov[3] = {{"ab", 2}, {"cdef", 4}, {"g", 1}};
    CHECK_EQ(zmq_sendiov(a, iov, 3, ZMQ_SNDMORE), 1);
    send_str(a, "next");
    recv_expect_more(b, "ab");
    recv_expect_more(b, "cdef");
    recv_expect(b, "g");
    recv_expect(b, "next");
    close_zero_linger(a);
    close_zero_linger(b);
}

static void sendiov_errors(void)
{
    void *a, *b;
    pair_up(&a, &b);
    struct iovec iov[2] = {{"ab", 2}, {"c", 1}};
    CHECK_ERR(zmq_sendiov(a, iov, 0, 0), EINVAL);
    CHECK_ERR(zmq_sendiov(a, NULL, 1, 0), EINVAL);
    CHECK_ERR(zmq_sendiov(NULL, iov, 1, 0), ENOTSOCK);
    void *push = test_socket(ctx, ZMQ_PUSH), *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_ERR(zmq_sendiov(push, iov, 2, ZMQ_DONTWAIT), EAGAIN);
    CHECK_ERR(zmq_sendiov(pull, iov, 2, ZMQ_DONTWAIT), ENOTSUP);
    close_zero_linger(push);
    close_zero_linger(pull);
    close_zero_linger(a);
    close_zero_linger(b);
}

static void recviov_shall_return_parts_and_allocate_them(void)
{
    void *a, *b;
    pair_up(&a, &b);
    send_str_more(a, "A1");
    send_str_more(a, "A22");
    send_str(a, "");
    send_str(a, "B1");
    struct iovec iov[8];
    size_t count = 8;
    CHECK_EQ(zmq_recviov(b, iov, &count, 0), 3);
    CHECK_EQ(count, 3);
    CHECK_MEM(iov[0].iov_base, iov[0].iov_len, "A1", 2);
    CHECK_MEM(iov[1].iov_base, iov[1].iov_len, "A22", 3);
    CHECK_EQ(iov[2].iov_len, 0);
    CHECK(iov[2].iov_base != NULL);
    CHECK_EQ(rcvmore(b), 0);
    free_parts(iov, count);
    count = 8;
    CHECK_EQ(zmq_recviov(b, iov, &count, 0), 1);
    CHECK_EQ(count, 1);
    CHECK_MEM(iov[0].iov_base, iov[0].iov_len, "B1", 2);
    free_parts(iov, count);
    close_zero_linger(a);
    close_zero_linger(b);
}

/* A message longer than *count: the rest stays queued, ZMQ_RCVMORE says so, the next call continues it. */
static void recviov_shall_leave_the_rest_of_a_long_message(void)
{
    void *a, *b;
    pair_up(&a, &b);
    send_str_more(a, "1");
    send_str_more(a, "2");
    send_str(a, "3");
    struct iovec iov[2];
    size_t count = 2;
    CHECK_EQ(zmq_recviov(b, iov, &count, 0), 2);
    CHECK_EQ(count, 2);
    CHECK_EQ(rcvmore(b), 1);
    free_parts(iov, count);
    count = 2;
    CHECK_EQ(zmq_recviov(b, iov, &count, 0), 1);
    CHECK_MEM(iov[0].iov_base, iov[0].iov_len, "3", 1);
    free_parts(iov, count);
    close_zero_linger(a);
    close_zero_linger(b);
}

static void recviov_errors(void)
{
    void *a, *b;
    pair_up(&a, &b);
    struct iovec iov[4];
    size_t count = 4;
    CHECK_ERR(zmq_recviov(b, iov, &count, ZMQ_DONTWAIT), EAGAIN);
    CHECK_EQ(count, 0);
    count = 0;
    CHECK_ERR(zmq_recviov(b, iov, &count, ZMQ_DONTWAIT), EINVAL);
    CHECK_ERR(zmq_recviov(b, iov, NULL, ZMQ_DONTWAIT), EINVAL);
    count = 1;
    CHECK_ERR(zmq_recviov(b, NULL, &count, ZMQ_DONTWAIT), EINVAL);
    count = 1;
    CHECK_ERR(zmq_recviov(NULL, iov, &count, 0), ENOTSOCK);
    void *push = test_socket(ctx, ZMQ_PUSH);
    count = 3;
    CHECK_ERR(zmq_recviov(push, iov, &count, ZMQ_DONTWAIT), ENOTSUP);
    CHECK_EQ(count, 0);
    close_zero_linger(push);
    close_zero_linger(a);
    close_zero_linger(b);
}

static void atomic_counter_shall_match_libzmq(void)
{
    void *c = zmq_atomic_counter_new();
    CHECK(c != NULL);
    CHECK_EQ(zmq_atomic_counter_value(c), 0);
    CHECK_EQ(zmq_atomic_counter_inc(c), 0);
    CHECK_EQ(zmq_atomic_counter_inc(c), 1);
    CHECK_EQ(zmq_atomic_counter_value(c), 2);
    CHECK_EQ(zmq_atomic_counter_dec(c), 1);   /* 2 -> 1: non-zero */
    CHECK_EQ(zmq_atomic_counter_dec(c), 0);   /* 1 -> 0 */
    CHECK_EQ(zmq_atomic_counter_dec(c), 1);   /* 0 -> -1: non-zero */
    CHECK_EQ(zmq_atomic_counter_value(c), -1);
    zmq_atomic_counter_set(c, 10);
    CHECK_EQ(zmq_atomic_counter_dec(c), 1);
    CHECK_EQ(zmq_atomic_counter_value(c), 9);
    zmq_atomic_counter_set(c, -5);
    CHECK_EQ(zmq_atomic_counter_inc(c), -5);
    CHECK_EQ(zmq_atomic_counter_value(c), -4);
    zmq_atomic_counter_destroy(&c);
    CHECK(c == NULL);
    zmq_atomic_counter_destroy(&c);   /* a NULL counter is fine */
    CHECK(c == NULL);
}

struct counter_job {
    void *counter;
    int n;
};

static void *hammer(void *arg)
{
    struct counter_job *job = arg;
    for (int i = 0; i < job->n; i++) {
        zmq_atomic_counter_inc(job->counter);
        zmq_atomic_counter_dec(job->counter);
        zmq_atomic_counter_inc(job->counter);
    }
    return NULL;
}

static void atomic_counter_shall_be_atomic(void)
{
    struct counter_job job = {zmq_atomic_counter_new(), 100000};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, hammer, &job), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(zmq_atomic_counter_value(job.counter), 4 * job.n);
    zmq_atomic_counter_destroy(&job.counter);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(sendiov_flags_zero_shall_send_separate_messages);
    RUN(sendiov_sndmore_shall_send_one_multipart_message);
    RUN(sendiov_errors);
    RUN(recviov_shall_return_parts_and_allocate_them);
    RUN(recviov_shall_leave_the_rest_of_a_long_message);
    RUN(recviov_errors);
    RUN(atomic_counter_shall_match_libzmq);
    RUN(atomic_counter_shall_be_atomic);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
